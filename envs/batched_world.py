"""``BatchedWorld``: B ObjectWorlds as arrays, driven by the numba kernels.

The single gymnasium env (B = 1) and the SB3 VecEnv both sit on this class, so seeding, action
checks and observation layout are written once.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np
from gymnasium import spaces

from envs.observation_spaces import observation_space_for
from envs.observe_kernel import N_FEATURES, observe_objects
from envs.render_kernel import render_worlds
from envs.reset_kernel import reset_worlds
from envs.rng import seed_state
from envs.step_kernel import step_worlds
from envs.world_config import WorldConfig
from envs.world_state import allocate_state

Observation = np.ndarray | dict[str, np.ndarray]


def observation_space(config: WorldConfig) -> spaces.Space:
    """The observation space of one env for ``config.obs_mode``."""
    return observation_space_for(config.obs_mode, config.image_size, config.object_rows, N_FEATURES)


class BatchedWorld:
    """State, kernels and output buffers for ``n_envs`` worlds sharing one ``WorldConfig``."""

    def __init__(self, config: WorldConfig, n_envs: int) -> None:
        if n_envs < 1:
            raise ValueError(f"n_envs={n_envs} must be >= 1")
        self.config = config
        self.n_envs = n_envs
        self.objects, self.worlds = allocate_state(n_envs, config.capacity)
        self._cfg = config.to_record()
        self._shape_pool = config.shape_pool()
        self._color_pool = config.color_pool()
        self._all = np.ones(n_envs, dtype=np.bool_)
        self._one_action = np.zeros(1, dtype=np.int64)
        self._no_masks = np.zeros((n_envs, 1, 1), dtype=np.uint8)
        self.rewards = np.zeros(n_envs, dtype=np.float32)
        self.terminated = np.zeros(n_envs, dtype=np.bool_)
        self.truncated = np.zeros(n_envs, dtype=np.bool_)
        self.success = np.zeros(n_envs, dtype=np.bool_)
        self.seed(None)

    def seed(self, seed: int | None) -> None:
        """Seed env ``i`` with ``seed + i`` (fresh entropy when ``seed`` is None)."""
        if seed is None:
            seed = int(np.random.SeedSequence().generate_state(1, dtype=np.uint32)[0])
        self.seed_rows([seed + i for i in range(self.n_envs)])

    def seed_rows(self, seeds: Sequence[int | None]) -> None:
        """Seed env ``i`` with ``seeds[i]``, leaving rows whose seed is None as they are."""
        for i, seed in enumerate(seeds):
            if seed is not None:
                self.worlds[i]["rng"] = seed_state(seed)

    def reset(self, which: np.ndarray | None = None) -> None:
        """Start a new episode in the flagged envs (all when ``which`` is None)."""
        reset_worlds(
            self.objects, self.worlds, self._cfg, self._shape_pool, self._color_pool,
            self._all if which is None else which,
        )

    def check_actions(self, actions: Any) -> np.ndarray:
        """``actions`` as a (B,) int64 array; ValueError when a value is not a valid action."""
        if self.n_envs == 1 and isinstance(actions, int | np.integer) and not isinstance(actions, bool):
            # The single-env hot path: a plain integer needs no array conversion.
            if not 0 <= actions < self.config.n_actions:
                raise ValueError(f"action {actions} is out of range; valid actions are 0..{self.config.n_actions - 1}")
            self._one_action[0] = actions
            return self._one_action
        array = np.asarray(actions)
        if array.shape not in ((self.n_envs,), (self.n_envs, 1)) and not (self.n_envs == 1 and array.ndim == 0):
            raise ValueError(f"expected {self.n_envs} actions, got an array of shape {array.shape}")
        if array.dtype.kind not in "iub" and not (array.dtype.kind == "f" and np.all(array == np.round(array))):
            raise ValueError(f"actions must be integers, got dtype {array.dtype}")
        flat = array.reshape(self.n_envs).astype(np.int64)
        n_actions = self.config.n_actions
        if flat.min() < 0 or flat.max() >= n_actions:
            bad = flat[(flat < 0) | (flat >= n_actions)][0]
            raise ValueError(f"action {bad} is out of range; valid actions are 0..{n_actions - 1}")
        return flat

    def step(self, actions: np.ndarray) -> None:
        """Advance every env by its (checked) action; results land in the reward/flag buffers."""
        step_worlds(
            self.objects, self.worlds, self._cfg, actions,
            self.rewards, self.terminated, self.truncated, self.success,
        )

    def render_rgb(self, size: int | None = None, which: np.ndarray | None = None,
                   out: np.ndarray | None = None) -> np.ndarray:
        """Frames (B, size, size, 3) uint8 (``size`` defaults to the observation size)."""
        size = size or self.config.image_size
        images = out if out is not None else np.empty((self.n_envs, size, size, 3), dtype=np.uint8)
        render_worlds(self.objects, self.worlds, self._cfg, self._all if which is None else which,
                      images, self._no_masks, False)
        return images

    def render_masks(self, size: int | None = None) -> np.ndarray:
        """Instance masks (B, size, size) uint8 of visible pixels: 0 background, i + 1 object row i,
        capacity + 1 the agent."""
        size = size or self.config.image_size
        images = np.empty((self.n_envs, size, size, 3), dtype=np.uint8)
        masks = np.empty((self.n_envs, size, size), dtype=np.uint8)
        render_worlds(self.objects, self.worlds, self._cfg, self._all, images, masks, True)
        return masks

    def observe_objects(self, which: np.ndarray | None = None, out: np.ndarray | None = None) -> np.ndarray:
        """Object feature rows (B, capacity + 2, N_FEATURES) float32."""
        if out is None:
            out = np.empty((self.n_envs, self.config.object_rows, N_FEATURES), dtype=np.float32)
        observe_objects(self.objects, self.worlds, self._cfg, self._all if which is None else which, out)
        return out

    def observe(self) -> Observation:
        """Fresh observation arrays for all envs in the config's ``obs_mode`` (leading axis B)."""
        mode = self.config.obs_mode
        if mode == "rgb":
            return self.render_rgb()
        if mode == "objects":
            return self.observe_objects()
        return {"rgb": self.render_rgb(), "objects": self.observe_objects()}
