"""Is training limited by the environment? SB3's fps with the real VecEnv vs a constant one.

``ConstantVecEnv`` has the same spaces and episode length but does no work: it returns the same
observation every step. Training both the same way, in one process, one after the other, gives
the ratio real / constant; near 1 means the env costs the learner nothing.
"""

from __future__ import annotations

import time
from typing import Any

import numpy as np
from gymnasium import spaces
from stable_baselines3.common.vec_env import VecEnv

from agents.slot_vec_env import SlotObservationVecEnv
from agents.training.env_factory import build_vec_env, encode_observations
from agents.training.policy_factory import make_model
from agents.training.train_config import TrainConfig


class ConstantVecEnv(VecEnv):
    """``n_envs`` envs with ``observation_space``/``action_space`` that return one fixed observation
    (a sample of the space), reward 0, and end every ``episode_length`` steps."""

    def __init__(self, n_envs: int, observation_space: spaces.Space, action_space: spaces.Space,
                 episode_length: int = 100) -> None:
        self.render_mode = None
        super().__init__(n_envs, observation_space, action_space)
        observation_space.seed(0)
        sample = observation_space.sample()
        self._obs = np.stack([sample] * n_envs)
        self._rewards = np.zeros(n_envs, dtype=np.float32)
        self._steps = 0
        self.episode_length = episode_length

    def reset(self) -> np.ndarray:
        return self._obs.copy()

    def step_async(self, actions: np.ndarray) -> None:
        self._steps += 1

    def step_wait(self) -> Any:
        done = self._steps % self.episode_length == 0
        dones = np.full(self.num_envs, done)
        infos = [{"terminal_observation": self._obs[i], "TimeLimit.truncated": True} if done else {}
                 for i in range(self.num_envs)]
        return self._obs.copy(), self._rewards.copy(), dones, infos

    def close(self) -> None:
        pass

    def get_attr(self, attr_name: str, indices: Any = None) -> list[Any]:
        return [getattr(self, attr_name)] * self.num_envs

    def set_attr(self, attr_name: str, value: Any, indices: Any = None) -> None:
        setattr(self, attr_name, value)

    def env_method(self, method_name: str, *args: Any, indices: Any = None, **kwargs: Any) -> list[Any]:
        raise AttributeError(method_name)

    def env_is_wrapped(self, wrapper_class: type, indices: Any = None) -> list[bool]:
        return [False] * self.num_envs


def training_fps(config: TrainConfig, env: VecEnv, timesteps: int, encoder_path: str | None) -> float:
    """Env steps per second of ``learn(timesteps)`` on ``env`` (after a short warm-up rollout)."""
    model = make_model(config, env, encoder_path, tensorboard_dir=None)
    model.learn(total_timesteps=min(timesteps, 2 * config.n_envs * config.algo_kwargs().get("n_steps", 128)))
    start_steps = model.num_timesteps
    start = time.perf_counter()
    model.learn(total_timesteps=timesteps, reset_num_timesteps=False)
    return (model.num_timesteps - start_steps) / (time.perf_counter() - start)


def fps_ratio(config: TrainConfig, encoder: Any, encoder_path: str | None, timesteps: int = 20_000) -> dict[str, float]:
    """{"real_fps", "constant_fps", "ratio"} for ``config`` (same algorithm, policy and seed on both).

    With a frozen slot encoder both envs are wrapped by the same encoder, so the ratio isolates the
    environment's cost from the (shared) cost of encoding frames into slots.
    """
    real = build_vec_env(config, encoder, config.n_envs, config.seed)
    raw = real.venv if isinstance(real, SlotObservationVecEnv) else real
    constant = encode_observations(config, ConstantVecEnv(config.n_envs, raw.observation_space, raw.action_space),
                                   encoder)
    try:
        real_fps = training_fps(config, real, timesteps, encoder_path)
        constant_fps = training_fps(config, constant, timesteps, encoder_path)
    finally:
        real.close()
    return {"real_fps": real_fps, "constant_fps": constant_fps, "ratio": real_fps / constant_fps}
