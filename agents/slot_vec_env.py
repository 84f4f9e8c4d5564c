"""``SlotObservationVecEnv``: a VecEnv wrapper that turns RGB observations into slots once per step.

With a frozen encoder this is the fast path: PPO's epochs reuse the stored slots instead of
re-encoding every frame in every minibatch. Terminal observations are encoded too.
"""

from __future__ import annotations

import numpy as np
from gymnasium import spaces
from stable_baselines3.common.vec_env import VecEnv, VecEnvWrapper
from stable_baselines3.common.vec_env.base_vec_env import VecEnvStepReturn

from agents.encoders.api import SlotEncoder


def rgb_of(observation: np.ndarray | dict) -> np.ndarray:
    """The RGB part of an observation (a plain array, or the "rgb" entry of a dict)."""
    return observation["rgb"] if isinstance(observation, dict) else observation


class SlotObservationVecEnv(VecEnvWrapper):
    """Observations (B, H, W, 3) uint8 (or dicts with "rgb") -> slots (B, K, D) float32."""

    def __init__(self, venv: VecEnv, encoder: SlotEncoder) -> None:
        space = venv.observation_space
        rgb_space = space["rgb"] if isinstance(space, spaces.Dict) else space
        encoder.check_frames(np.zeros((1, *rgb_space.shape), dtype=np.uint8))
        self.encoder = encoder
        slot_space = spaces.Box(-np.inf, np.inf, (encoder.num_slots, encoder.slot_dim), dtype=np.float32)
        super().__init__(venv, observation_space=slot_space)

    def _encode(self, frames: np.ndarray) -> np.ndarray:
        return self.encoder.encode(frames, with_masks=False)[0]

    def reset(self) -> np.ndarray:
        return self._encode(rgb_of(self.venv.reset()))

    def step_wait(self) -> VecEnvStepReturn:
        observations, rewards, dones, infos = self.venv.step_wait()
        ended = [i for i, info in enumerate(infos) if "terminal_observation" in info]
        if ended:
            last_frames = np.stack([rgb_of(infos[i]["terminal_observation"]) for i in ended])
            for i, slots in zip(ended, self._encode(last_frames), strict=True):
                infos[i]["terminal_observation"] = slots
        return self._encode(rgb_of(observations)), rewards, dones, infos
