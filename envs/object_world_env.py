"""``ObjectWorldEnv``: one ObjectWorld behind the exact gymnasium ``Env`` API."""

from __future__ import annotations

from typing import Any, ClassVar

import gymnasium as gym
import numpy as np
from gymnasium import spaces

from envs.batched_world import BatchedWorld, Observation, observation_space
from envs.step_kernel import ACTION_NAMES
from envs.world_config import WorldConfig

DEFAULT_RENDER_SIZE = 256


class ObjectWorldEnv(gym.Env):
    """A 2-D arena of coloured sprites and an agent with 4 moves (5 with ``noop_action``).

    Keyword arguments are those of :class:`envs.world_config.WorldConfig` plus ``render_mode``
    (``"rgb_array"`` or ``"human"``), ``render_size`` (pixels of ``render()``) and ``with_masks``
    (put the (H, W) uint8 instance mask of the observation frame in ``info["masks"]``).
    Episodes terminate on success or failure and are truncated after ``max_steps`` steps.
    ``info["is_success"]`` is set on the last step of every episode.
    """

    metadata: ClassVar[dict[str, Any]] = {"render_modes": ["rgb_array", "human"], "render_fps": 10}

    def __init__(self, render_mode: str | None = None, render_size: int = DEFAULT_RENDER_SIZE,
                 with_masks: bool = False, **config_kwargs: Any) -> None:
        if render_mode is not None and render_mode not in self.metadata["render_modes"]:
            raise ValueError(
                f"render_mode={render_mode!r} is unknown; allowed: None, {', '.join(self.metadata['render_modes'])}"
            )
        self.config = WorldConfig(**config_kwargs)
        self.render_mode = render_mode
        self.render_size = render_size
        self.with_masks = with_masks
        self.world = BatchedWorld(self.config, 1)
        self.observation_space = observation_space(self.config)
        self.action_space = spaces.Discrete(self.config.n_actions)
        self.action_names = ACTION_NAMES[: self.config.n_actions]
        self._needs_reset = True
        self._window = None

    def reset(self, *, seed: int | None = None, options: dict[str, Any] | None = None) -> tuple[Observation, dict]:
        super().reset(seed=seed)
        if seed is not None:
            self.world.seed(seed)  # otherwise the env's own stream continues (seeded at random)
        self.world.reset()
        self._needs_reset = False
        if self.render_mode == "human":
            self.render()
        return self._observation(), self._info()

    def step(self, action: Any) -> tuple[Observation, float, bool, bool, dict]:
        if self._needs_reset:
            raise RuntimeError("call reset() before step(), and again after an episode ends")
        world = self.world
        world.step(world.check_actions(action))
        terminated = bool(world.terminated[0])
        truncated = bool(world.truncated[0])
        info = self._info()
        if terminated or truncated:
            info["is_success"] = bool(world.success[0])
            self._needs_reset = True
        if self.render_mode == "human":
            self.render()
        return self._observation(), float(world.rewards[0]), terminated, truncated, info

    def render(self) -> np.ndarray | None:
        """``rgb_array``: the frame (render_size, render_size, 3) uint8; ``human``: shows a window."""
        frame = self.world.render_rgb(self.render_size)[0]
        if self.render_mode == "human":
            from envs.viewer import show_frame  # pygame only when a window is wanted

            self._window = show_frame(frame, self._window, fps=self.metadata["render_fps"])
            return None
        return frame

    def render_masks(self, size: int | None = None) -> np.ndarray:
        """Instance mask (size, size) uint8 of the current state (defaults to the observation size)."""
        return self.world.render_masks(size)[0]

    def close(self) -> None:
        if self._window is not None:
            from envs.viewer import close_window

            close_window()
            self._window = None

    def _observation(self) -> Observation:
        obs = self.world.observe()
        if isinstance(obs, dict):
            return {key: value[0] for key, value in obs.items()}
        return obs[0]

    def _info(self) -> dict[str, Any]:
        if self.with_masks:
            return {"masks": self.render_masks()}
        return {}
