"""``RuleWorldEnv`` (``slotmind/RuleWorld-v0``): sprites whose dynamics follow hidden production rules.

The world runs by itself: each step applies the rule set with :func:`envs.production_rules.apply_rules`
(the same kernel the production-system models are scored against). There is one action (wait);
rewards are 0 and episodes are truncated after ``max_steps``. ``info["fired"]`` holds the index of
the rule each object fired on the last step (-1: none), the ground truth for rule-selection metrics.

Object feature rows (F = 7 + number of shapes), all in [0, 1]:
``[x, y, 0.5 + VELOCITY_SCALE * vx, 0.5 + VELOCITY_SCALE * vy, r, g, b, one-hot shape...]``.
"""

from __future__ import annotations

from typing import Any, ClassVar

import gymnasium as gym
import numpy as np
from gymnasium import spaces

from envs.observation_spaces import observation_space_for
from envs.production_rules import DEFAULT_RULES, Rule, apply_rules, to_rows
from envs.rng import seed_state
from envs.rule_world_kernels import render_rule_worlds, reset_rule_worlds
from envs.sprites import PALETTE, SHAPES, TRAIN_SHAPES, color_index, shape_index
from envs.world_config import MAX_IMAGE_SIZE, MIN_IMAGE_SIZE, OBS_MODES

ENV_ID = "slotmind/RuleWorld-v0"
VELOCITY_SCALE = 5.0  # speeds are at most MAX_SPEED, so encoded velocities stay in [0, 1]
MAX_SPEED = 0.1
N_FEATURES = 7 + len(SHAPES)
DEFAULT_COLORS: tuple[str, ...] = ("red", "green", "blue")
DEFAULT_RENDER_SIZE = 256


def object_features(kin: np.ndarray, attrs: np.ndarray) -> np.ndarray:
    """Engine state -> feature rows: kin (..., N, 4) float64, attrs (..., N, 2) int64 -> (..., N, F) float32."""
    out = np.zeros((*kin.shape[:-1], N_FEATURES), dtype=np.float32)
    out[..., :2] = kin[..., :2]
    out[..., 2:4] = 0.5 + VELOCITY_SCALE * kin[..., 2:4]
    out[..., 4:7] = PALETTE[attrs[..., 0]] / 255.0
    np.put_along_axis(out, 7 + attrs[..., 1:2], 1.0, axis=-1)
    return out


class RuleWorld:
    """A batch of B RuleWorlds as engine arrays: seeding, scene sampling, rule steps, features, pictures.

    ``rules`` (a sequence of :class:`envs.production_rules.Rule`) and ``num_objects`` are free;
    ``radius`` is the sprite half-extent (objects touch when centres are closer than 2 * radius).
    """

    def __init__(self, n_worlds: int = 1, num_objects: int = 3, rules: tuple[Rule, ...] = DEFAULT_RULES,
                 radius: float = 0.07, colors: tuple[str, ...] = DEFAULT_COLORS,
                 shapes: tuple[str, ...] = TRAIN_SHAPES, speed_range: tuple[float, float] = (0.02, 0.05)) -> None:
        if n_worlds < 1 or not 1 <= num_objects <= 32:
            raise ValueError(f"n_worlds={n_worlds} must be >= 1 and num_objects={num_objects} in [1, 32]")
        if not 0.0 < radius <= 0.2:
            raise ValueError(f"radius={radius} must be in (0, 0.2]")
        if not 0.0 <= speed_range[0] <= speed_range[1] <= MAX_SPEED:
            raise ValueError(f"speed_range={speed_range} must satisfy 0 <= min <= max <= {MAX_SPEED}")
        if not colors or not shapes:
            raise ValueError("colors and shapes must each name at least one entry")
        self.n_worlds, self.num_objects, self.radius = n_worlds, num_objects, float(radius)
        self.rules = tuple(rules)
        self.rule_table, self.rule_params = to_rows(self.rules)
        self.color_pool = np.array([color_index(c) for c in colors], dtype=np.int64)
        self.shape_pool = np.array([shape_index(s) for s in shapes], dtype=np.int64)
        self.speed_range = (float(speed_range[0]), float(speed_range[1]))
        self.kin = np.zeros((n_worlds, num_objects, 4), dtype=np.float64)
        self.attrs = np.zeros((n_worlds, num_objects, 2), dtype=np.int64)
        self.fired = np.full((n_worlds, num_objects), -1, dtype=np.int64)
        self.partner = np.full((n_worlds, num_objects), -1, dtype=np.int64)
        self.rng = np.zeros((n_worlds, 1), dtype=np.uint64)
        self.seed(None)

    def seed(self, seed: int | None) -> None:
        """Seed world ``i`` with ``seed + i`` (fresh entropy when ``seed`` is None)."""
        if seed is None:
            seed = int(np.random.SeedSequence().generate_state(1, dtype=np.uint32)[0])
        self.rng[:, 0] = [seed_state(seed + i) for i in range(self.n_worlds)]

    def reset(self) -> None:
        """Sample a fresh scene in every world."""
        reset_rule_worlds(self.kin, self.attrs, self.rng, self.color_pool, self.shape_pool, self.radius,
                          self.speed_range[0], self.speed_range[1], np.ones(self.n_worlds, dtype=np.bool_))
        self.fired[:] = -1
        self.partner[:] = -1

    def step(self) -> None:
        """Apply the rule set once to every world (fired / partner record what happened)."""
        out_kin, out_attrs = np.empty_like(self.kin), np.empty_like(self.attrs)
        apply_rules(self.kin, self.attrs, self.rule_table, self.rule_params, self.radius, out_kin, out_attrs,
                    self.fired, self.partner)
        self.kin, self.attrs = out_kin, out_attrs

    def features(self) -> np.ndarray:
        """Object feature rows (B, N, F) float32."""
        return object_features(self.kin, self.attrs)

    def render(self, size: int, with_masks: bool = False) -> tuple[np.ndarray, np.ndarray | None]:
        """Frames (B, size, size, 3) uint8 and, if ``with_masks``, instance masks (B, size, size) uint8."""
        images = np.empty((self.n_worlds, size, size, 3), dtype=np.uint8)
        masks = np.empty((self.n_worlds, size, size) if with_masks else (self.n_worlds, 1, 1), dtype=np.uint8)
        render_rule_worlds(self.kin, self.attrs, self.radius, images, masks, with_masks)
        return images, masks if with_masks else None

    def rollout(self, steps: int) -> tuple[np.ndarray, np.ndarray]:
        """From the current state, ``steps`` rule steps: features (B, steps + 1, N, F) float32 and the
        fired rules (B, steps, N) int64 (-1: null)."""
        states = [self.features()]
        fired = []
        for _ in range(steps):
            self.step()
            states.append(self.features())
            fired.append(self.fired.copy())
        empty = np.zeros((self.n_worlds, 0, self.num_objects), dtype=np.int64)
        return np.stack(states, axis=1), np.stack(fired, axis=1) if fired else empty


class RuleWorldEnv(gym.Env):
    """One RuleWorld behind the gymnasium ``Env`` API.

    Keyword arguments: those of :class:`RuleWorld` (``num_objects``, ``rules``, ``radius``,
    ``colors``, ``shapes``, ``speed_range``) plus ``obs_mode`` (``objects``, ``rgb``,
    ``rgb+objects``), ``image_size`` (observation frames), ``max_steps``, ``render_mode``
    (``rgb_array`` or ``human``), ``render_size`` and ``with_masks`` (the (H, W) uint8 instance
    mask of the observation frame in ``info["masks"]``). Observation ``objects``: (N, F) float32.
    """

    metadata: ClassVar[dict[str, Any]] = {"render_modes": ["rgb_array", "human"], "render_fps": 10}

    def __init__(self, render_mode: str | None = None, render_size: int = DEFAULT_RENDER_SIZE,
                 with_masks: bool = False, obs_mode: str = "objects", image_size: int = 64, max_steps: int = 50,
                 **world_kwargs: Any) -> None:
        if render_mode is not None and render_mode not in self.metadata["render_modes"]:
            raise ValueError(f"render_mode={render_mode!r} is unknown; allowed: None, "
                             f"{', '.join(self.metadata['render_modes'])}")
        if obs_mode not in OBS_MODES:
            raise ValueError(f"obs_mode={obs_mode!r} is unknown; allowed: {', '.join(OBS_MODES)}")
        if not MIN_IMAGE_SIZE <= image_size <= MAX_IMAGE_SIZE or max_steps < 1:
            raise ValueError(f"image_size={image_size} must be in [{MIN_IMAGE_SIZE}, {MAX_IMAGE_SIZE}] and "
                             f"max_steps={max_steps} >= 1")
        self.world = RuleWorld(1, **world_kwargs)
        self.render_mode, self.render_size, self.with_masks = render_mode, render_size, with_masks
        self.obs_mode, self.image_size, self.max_steps = obs_mode, image_size, max_steps
        self.observation_space = observation_space_for(obs_mode, image_size, self.world.num_objects, N_FEATURES)
        self.action_space = spaces.Discrete(1)
        self._steps = 0
        self._needs_reset = True
        self._window = None

    def reset(self, *, seed: int | None = None, options: dict[str, Any] | None = None) -> tuple[Any, dict]:
        super().reset(seed=seed)
        if seed is not None:
            self.world.seed(seed)
        self.world.reset()
        self._steps = 0
        self._needs_reset = False
        if self.render_mode == "human":
            self.render()
        return self._observation(), self._info()

    def step(self, action: Any) -> tuple[Any, float, bool, bool, dict]:
        if self._needs_reset:
            raise RuntimeError("call reset() before step(), and again after an episode ends")
        if not self.action_space.contains(action):
            raise ValueError(f"action {action!r} is out of range; the only action is 0 (wait)")
        self.world.step()
        self._steps += 1
        truncated = self._steps >= self.max_steps
        self._needs_reset = truncated
        if self.render_mode == "human":
            self.render()
        return self._observation(), 0.0, False, truncated, self._info()

    def render(self) -> np.ndarray | None:
        """``rgb_array``: the frame (render_size, render_size, 3) uint8; ``human``: shows a window."""
        frame = self.world.render(self.render_size)[0][0]
        if self.render_mode == "human":
            from envs.viewer import show_frame

            self._window = show_frame(frame, self._window, fps=self.metadata["render_fps"])
            return None
        return frame

    def close(self) -> None:
        if self._window is not None:
            from envs.viewer import close_window

            close_window()
            self._window = None

    def _observation(self) -> Any:
        objects = self.world.features()[0]
        if self.obs_mode == "objects":
            return objects
        rgb = self.world.render(self.image_size)[0][0]
        return rgb if self.obs_mode == "rgb" else {"rgb": rgb, "objects": objects}

    def _info(self) -> dict[str, Any]:
        info: dict[str, Any] = {"fired": self.world.fired[0].copy()}
        if self.with_masks:
            info["masks"] = self.world.render(self.image_size, with_masks=True)[1][0]
        return info


def register_rule_world() -> None:
    """Register ``slotmind/RuleWorld-v0`` with gymnasium (idempotent)."""
    if ENV_ID not in gym.registry:
        gym.register(id=ENV_ID, entry_point="envs.rule_world:RuleWorldEnv")
