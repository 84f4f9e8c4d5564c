"""``ObjectWorldVecEnv``: B ObjectWorlds stepped by one kernel call, with SB3's VecEnv semantics.

Auto-reset follows SB3 exactly: when env ``i`` ends, ``dones[i]`` is True, the returned
observation is already the first of the next episode, and ``infos[i]["terminal_observation"]``
holds the last one; ``infos[i]["TimeLimit.truncated"]`` tells truncation from termination.
Env ``i`` seeded through ``seed(s)`` replays exactly what ``ObjectWorldEnv`` seeded ``s + i`` does.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import gymnasium as gym
import numpy as np
from gymnasium import spaces
from stable_baselines3.common.vec_env.base_vec_env import VecEnv, VecEnvIndices, VecEnvObs, VecEnvStepReturn

from envs.batched_world import BatchedWorld, observation_space
from envs.step_kernel import ACTION_NAMES
from envs.world_config import WorldConfig


class ObjectWorldVecEnv(VecEnv):
    """``n_envs`` ObjectWorlds with one config; keyword arguments as for ``ObjectWorldEnv``."""

    def __init__(self, n_envs: int, render_mode: str | None = None, render_size: int = 256,
                 with_masks: bool = False, **config_kwargs: Any) -> None:
        if render_mode not in (None, "rgb_array"):
            raise ValueError(f"render_mode={render_mode!r}: a VecEnv renders only None or 'rgb_array'")
        self.config = WorldConfig(**config_kwargs)
        self.world = BatchedWorld(self.config, n_envs)
        self.render_mode = render_mode
        self.render_size = render_size
        self.with_masks = with_masks
        self.action_names = ACTION_NAMES[: self.config.n_actions]
        self._actions: np.ndarray | None = None
        super().__init__(n_envs, observation_space(self.config), spaces.Discrete(self.config.n_actions))

    # --- core API -------------------------------------------------------------------------
    def reset(self) -> VecEnvObs:
        self.world.seed_rows(self._seeds)
        self._reset_seeds()
        self._reset_options()
        self.world.reset()
        self.reset_infos = [self._masks_info(i) for i in range(self.num_envs)]
        return self.world.observe()

    def step_async(self, actions: np.ndarray) -> None:
        self._actions = self.world.check_actions(actions)

    def step_wait(self) -> VecEnvStepReturn:
        if self._actions is None:
            raise RuntimeError("step_wait() called without step_async()")
        world = self.world
        world.step(self._actions)
        self._actions = None
        dones = world.terminated | world.truncated
        obs = world.observe()
        infos: list[dict[str, Any]] = [{} for _ in range(self.num_envs)]
        if dones.any():
            done_rows = np.flatnonzero(dones)
            for i in done_rows:
                infos[i] = {
                    "terminal_observation": _row(obs, i),
                    "TimeLimit.truncated": bool(world.truncated[i]),
                    "is_success": bool(world.success[i]),
                }
            world.reset(dones)
            _refresh_rows(world, obs, dones)
        if self.with_masks:
            masks = world.render_masks()
            for i in range(self.num_envs):
                infos[i]["masks"] = masks[i]
        return obs, world.rewards.copy(), dones, infos

    def close(self) -> None:
        pass

    # --- rendering and ground truth -------------------------------------------------------
    def get_images(self) -> Sequence[np.ndarray | None]:
        return list(self.world.render_rgb(self.render_size))

    def render_masks(self, size: int | None = None) -> np.ndarray:
        """Instance masks (B, size, size) uint8 of the current states."""
        return self.world.render_masks(size)

    # --- attribute plumbing: every env shares this object's attributes ----------------------
    def get_attr(self, attr_name: str, indices: VecEnvIndices = None) -> list[Any]:
        return [getattr(self, attr_name) for _ in self._get_indices(indices)]

    def set_attr(self, attr_name: str, value: Any, indices: VecEnvIndices = None) -> None:
        setattr(self, attr_name, value)

    def env_method(self, method_name: str, *method_args: Any, indices: VecEnvIndices = None,
                   **method_kwargs: Any) -> list[Any]:
        raise AttributeError(f"ObjectWorldVecEnv has no per-env method {method_name!r}; call it on the VecEnv")

    def env_is_wrapped(self, wrapper_class: type[gym.Wrapper], indices: VecEnvIndices = None) -> list[bool]:
        return [False for _ in self._get_indices(indices)]

    def _masks_info(self, i: int) -> dict[str, Any]:
        return {"masks": self.world.render_masks()[i]} if self.with_masks else {}


def _row(obs: np.ndarray | dict[str, np.ndarray], i: int) -> np.ndarray | dict[str, np.ndarray]:
    if isinstance(obs, dict):
        return {key: value[i].copy() for key, value in obs.items()}
    return obs[i].copy()


def _refresh_rows(world: BatchedWorld, obs: np.ndarray | dict[str, np.ndarray], which: np.ndarray) -> None:
    """Overwrite the observations of the just-reset envs in place."""
    mode = world.config.obs_mode
    if mode in ("rgb", "rgb+objects"):
        world.render_rgb(which=which, out=obs["rgb"] if isinstance(obs, dict) else obs)
    if mode in ("objects", "rgb+objects"):
        world.observe_objects(which=which, out=obs["objects"] if isinstance(obs, dict) else obs)
