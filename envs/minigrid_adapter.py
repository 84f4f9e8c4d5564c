"""``MiniGridAdapter``: MiniGrid 3.x envs behind slotmind's observation modes and masks.

A MiniGrid env is wrapped so that it offers what ``ObjectWorldEnv`` offers: ``obs_mode`` in
``rgb`` / ``objects`` / ``rgb+objects``, ``render_masks()`` and ``info["masks"]`` with
``with_masks=True``, and ``info["is_success"]`` on the last step of an episode (reward > 0).
MiniGrid's action space and reward are kept.

``rgb`` is the fully observable top-down frame of the whole grid, without the agent-view
highlight, resized by nearest neighbour to (image_size, image_size, 3) uint8. The grid is rendered
at the smallest tile size ``ts`` whose frame is at least ``image_size`` on both sides; the frame
equals ``env.unwrapped.get_frame(highlight=False, tile_size=ts)`` pixel for pixel, but is
assembled here from MiniGrid's own tiles (rendered once per tile kind) with NumPy gathers over
precomputed index arrays (``get_frame`` also computes the agent's view and loops over cells in
Python, several times the cost of a MiniGrid step). Non-square grids are stretched.

``objects`` is a (max_rows, F) float32 array, max_rows = width * height + 1, values in [0, 1].
Rows 0..n-1 are the n grid cells that hold an object other than floor (walls included), in
row-major order (y, then x); row n is the agent; the remaining rows are all zeros (present = 0).
The cell codes are those of ``env.unwrapped.grid.encode()``. Columns (F = 27):

====== ======================================================================================
col    feature
====== ======================================================================================
0      present (1 for every object row and the agent row)
1-11   one-hot object type, ``OBJECT_TO_IDX`` order: unseen, empty, wall, floor, door, key,
       ball, box, goal, lava, agent (the agent row has ``type_agent``)
12-17  one-hot colour, ``COLOR_TO_IDX`` order: red, green, blue, purple, yellow, grey
       (the agent is red, as MiniGrid draws it)
18-20  one-hot door state: open, closed, locked (doors only; zeros for other rows)
21     x / (width - 1)
22     y / (height - 1)
23-26  one-hot agent direction: right, down, left, up (agent row only)
====== ======================================================================================

``FEATURE_NAMES`` names the columns. An object the agent carries is not on the grid, so it has
no row (as in MiniGrid's full render, where it is not drawn).

Instance masks (``render_masks``) are (size, size) uint8, pixel-aligned with the ``rgb`` frame:
0 for walls, floor and empty cells; 1..n for the other object cells in row-major order (a cell
under the agent is hidden by it and gets no label); n + 1 for the agent's cell.
"""

from __future__ import annotations

from dataclasses import dataclass
from itertools import chain
from typing import Any

import gymnasium as gym
import minigrid  # noqa: F401  (registers the MiniGrid-* ids)
import numpy as np
from gymnasium import spaces
from minigrid.core.constants import COLOR_TO_IDX, OBJECT_TO_IDX, STATE_TO_IDX
from minigrid.core.grid import Grid
from minigrid.core.world_object import WorldObj
from minigrid.minigrid_env import MiniGridEnv

from envs.observation_spaces import observation_space_for
from envs.world_config import MAX_IMAGE_SIZE, MIN_IMAGE_SIZE, OBS_MODES

Observation = np.ndarray | dict[str, np.ndarray]

DIRECTION_NAMES: tuple[str, ...] = ("right", "down", "left", "up")  # MiniGrid's agent_dir 0..3


def _names_in_index_order(index_of: dict[str, int]) -> list[str]:
    return sorted(index_of, key=index_of.__getitem__)


FEATURE_NAMES: tuple[str, ...] = (
    "present",
    *(f"type_{name}" for name in _names_in_index_order(OBJECT_TO_IDX)),
    *(f"color_{name}" for name in _names_in_index_order(COLOR_TO_IDX)),
    *(f"state_{name}" for name in _names_in_index_order(STATE_TO_IDX)),
    "x",
    "y",
    *(f"dir_{name}" for name in DIRECTION_NAMES),
)
N_FEATURES = len(FEATURE_NAMES)
_TYPE_COLUMN = FEATURE_NAMES.index("type_unseen")
_COLOR_COLUMN = FEATURE_NAMES.index("color_red")
_STATE_COLUMN = FEATURE_NAMES.index("state_open")
_X_COLUMN = FEATURE_NAMES.index("x")
_DIR_COLUMN = FEATURE_NAMES.index("dir_right")

_DOOR, _AGENT = OBJECT_TO_IDX["door"], OBJECT_TO_IDX["agent"]
# By object type: which cells get an ``objects`` row, and which get an instance label in the masks.
_NO_ROW_TYPES = ("unseen", "empty", "floor")
_HAS_ROW = np.array([name not in _NO_ROW_TYPES for name in _names_in_index_order(OBJECT_TO_IDX)])
_HAS_LABEL = _HAS_ROW & (np.arange(len(OBJECT_TO_IDX)) != OBJECT_TO_IDX["wall"])
# Flat code index type * n_colors * n_states + colour * n_states + state, as a dot product.
_CODE_STRIDES = np.array([len(COLOR_TO_IDX) * len(STATE_TO_IDX), len(STATE_TO_IDX), 1], dtype=np.intp)
_MAX_LABEL = np.iinfo(np.uint8).max


def _code_rows() -> np.ndarray:
    """Feature rows (n_types, n_colors, n_states, F) float32 of a cell code, x and y left at 0."""
    n_types, n_colors, n_states = len(OBJECT_TO_IDX), len(COLOR_TO_IDX), len(STATE_TO_IDX)
    rows = np.zeros((n_types, n_colors, n_states, N_FEATURES), dtype=np.float32)
    rows[..., 0] = 1.0
    for t in range(n_types):
        rows[t, :, :, _TYPE_COLUMN + t] = 1.0
    for c in range(n_colors):
        rows[:, c, :, _COLOR_COLUMN + c] = 1.0
    for s in range(n_states):
        rows[_DOOR, :, s, _STATE_COLUMN + s] = 1.0
    return rows


def _agent_rows() -> np.ndarray:
    """Feature rows (4, F) float32 of the agent facing each direction, x and y left at 0."""
    rows = np.zeros((len(DIRECTION_NAMES), N_FEATURES), dtype=np.float32)
    rows[:, 0] = 1.0
    rows[:, _TYPE_COLUMN + _AGENT] = 1.0
    rows[:, _COLOR_COLUMN + COLOR_TO_IDX["red"]] = 1.0
    rows[np.arange(len(DIRECTION_NAMES)), _DIR_COLUMN + np.arange(len(DIRECTION_NAMES))] = 1.0
    return rows


_CODE_ROWS = _code_rows().reshape(-1, N_FEATURES)  # indexed by the flat code
_AGENT_ROWS = _agent_rows()


def check_options(obs_mode: str, image_size: int) -> None:
    """Raise ValueError naming ``obs_mode`` or ``image_size`` when it is outside its allowed values."""
    if obs_mode not in OBS_MODES:
        raise ValueError(f"obs_mode={obs_mode!r} is unknown; allowed: {', '.join(OBS_MODES)}")
    if not (MIN_IMAGE_SIZE <= image_size <= MAX_IMAGE_SIZE):
        raise ValueError(f"image_size={image_size} must be in [{MIN_IMAGE_SIZE}, {MAX_IMAGE_SIZE}]")


@dataclass(frozen=True)
class PixelGrid:
    """Where each pixel of a (size, size) nearest-neighbour resize of the grid frame comes from.

    The frame is the grid drawn at ``tile_size`` pixels per cell, (height * ts, width * ts, 3) uint8;
    ``tile_size`` is the smallest whose frame is at least ``size`` on both sides. ``cell``
    (size, size) intp is the flat cell index ``y * width + x`` under each output pixel (used for the
    masks); ``frame_bytes`` (size, size, 3) intp indexes the flattened frame, or is None when the
    frame already is (size, size, 3).
    """

    size: int
    tile_size: int
    cell: np.ndarray
    frame_bytes: np.ndarray | None

    @classmethod
    def build(cls, size: int, width: int, height: int) -> PixelGrid:
        """Index arrays for a (size, size) image of a ``width`` x ``height`` grid."""
        tile_size = -(-size // min(width, height))
        frame_h, frame_w = height * tile_size, width * tile_size
        pixel = np.arange(size)
        # Each output pixel samples the frame at its centre.
        src_y = ((2 * pixel + 1) * frame_h) // (2 * size)
        src_x = ((2 * pixel + 1) * frame_w) // (2 * size)
        cell = (src_y // tile_size)[:, None] * width + (src_x // tile_size)[None, :]
        frame_bytes = None
        if (frame_h, frame_w) != (size, size):
            frame_pixel = src_y[:, None] * frame_w + src_x[None, :]
            frame_bytes = (3 * frame_pixel[..., None] + np.arange(3)).astype(np.intp)
        return cls(size, tile_size, cell.astype(np.intp), frame_bytes)

    def resize(self, frame: np.ndarray) -> np.ndarray:
        """Nearest-neighbour resize of a frame (height * ts, width * ts, 3) uint8 to (size, size, 3)
        (a new array, or ``frame`` itself when it already has that shape and is contiguous)."""
        if self.frame_bytes is None:
            return np.ascontiguousarray(frame)
        return np.take(frame.reshape(-1), self.frame_bytes)


@dataclass(frozen=True)
class GridScan:
    """The non-empty cells of a MiniGrid grid at one instant.

    ``positions`` (n,) intp flat cell indices ``y * width + x`` in increasing order; ``codes``
    (n, 3) intp their ``(type, colour, state)`` encodings (as in ``Grid.encode``); ``keys`` the same
    codes as tuples and ``objects`` the ``WorldObj`` instances (for tile lookups);
    ``agent_cell`` the agent's flat cell index and ``agent_dir`` its direction 0..3.
    """

    positions: np.ndarray
    codes: np.ndarray
    keys: list[tuple[int, int, int]]
    objects: list[WorldObj]
    agent_cell: int
    agent_dir: int

    @classmethod
    def of(cls, env: MiniGridEnv) -> GridScan:
        """Scan ``env.grid`` (one pass over its cell list, encoding only non-empty cells)."""
        cells = env.grid.grid
        positions = [k for k, obj in enumerate(cells) if obj is not None]
        objects = [cells[k] for k in positions]
        keys = [obj.encode() for obj in objects]
        n = len(keys)
        agent_x, agent_y = env.agent_pos
        return cls(
            positions=np.fromiter(positions, dtype=np.intp, count=n),
            codes=np.fromiter(chain.from_iterable(keys), dtype=np.intp, count=3 * n).reshape(n, 3),
            keys=keys,
            objects=objects,
            agent_cell=int(agent_y) * env.width + int(agent_x),
            agent_dir=int(env.agent_dir),
        )


class MiniGridAdapter(gym.Wrapper, gym.utils.RecordConstructorArgs):
    """A MiniGrid env with slotmind observations: ``rgb`` (image_size, image_size, 3) uint8,
    ``objects`` (width * height + 1, N_FEATURES) float32 in [0, 1], or both as a Dict.

    ``with_masks=True`` puts ``render_masks()`` (image_size, image_size) uint8 in ``info["masks"]``
    on reset and step. ``render()`` is MiniGrid's own (native size, agent-view highlight on unless
    the env was made with ``highlight=False``). See the module docstring for the layouts.
    ``env.spec`` records the adapter, so ``gymnasium.make(env.spec)`` rebuilds it.
    """

    def __init__(self, env: gym.Env, obs_mode: str = "rgb", image_size: int = 64,
                 with_masks: bool = False) -> None:
        check_options(obs_mode, image_size)
        # Recorded so that ``env.spec`` can rebuild the wrapped env (gymnasium's checker does).
        gym.utils.RecordConstructorArgs.__init__(self, obs_mode=obs_mode, image_size=image_size,
                                                 with_masks=with_masks)
        gym.Wrapper.__init__(self, env)
        base = env.unwrapped
        if not isinstance(base, MiniGridEnv):
            raise TypeError(f"MiniGridAdapter wraps MiniGrid envs; got {type(base).__name__}")
        self.base: MiniGridEnv = base
        self.obs_mode = obs_mode
        self.image_size = image_size
        self.with_masks = with_masks
        self.width, self.height = int(base.width), int(base.height)
        self.max_rows = self.width * self.height + 1
        self.observation_space = self._make_observation_space()
        # Cell (x, y) normalised to [0, 1], (width * height, 2) float32, indexed by flat cell.
        ys, xs = np.divmod(np.arange(self.width * self.height), self.width)
        self._cell_xy = np.stack([xs / (self.width - 1), ys / (self.height - 1)], axis=1).astype(np.float32)
        self._pixel_grids: dict[int, PixelGrid] = {}
        self._pixels = self.pixel_grid(image_size)
        # Tile atlas at the observation's tile size: (n_tiles, ts, ts, 3) uint8, tile 0 = empty cell.
        self._tiles: list[np.ndarray] = []
        self._object_tile: dict[tuple[int, int, int], int] = {}
        self._agent_tile: dict[tuple[tuple[int, int, int] | None, int], int] = {}
        ts = self._pixels.tile_size
        self._atlas = np.zeros((0, ts, ts, 3), dtype=np.uint8)
        self._add_tile(None, None)

    def _make_observation_space(self) -> spaces.Space:
        return observation_space_for(self.obs_mode, self.image_size, self.max_rows, N_FEATURES)

    def reset(self, *, seed: int | None = None,
              options: dict[str, Any] | None = None) -> tuple[Observation, dict[str, Any]]:
        """Reset MiniGrid (same seed, same grid) and return the adapted observation and info."""
        _, info = self.env.reset(seed=seed, options=options)
        scan = GridScan.of(self.base)
        return self._observation(scan), self._info(dict(info), scan)

    def step(self, action: Any) -> tuple[Observation, float, bool, bool, dict[str, Any]]:
        """One MiniGrid step; ``info["is_success"]`` (reward > 0) on the episode's last step."""
        _, reward, terminated, truncated, info = self.env.step(action)
        scan = GridScan.of(self.base)
        info = self._info(dict(info), scan)
        if terminated or truncated:
            info["is_success"] = bool(reward > 0)
        return self._observation(scan), float(reward), bool(terminated), bool(truncated), info

    def pixel_grid(self, size: int) -> PixelGrid:
        """The (cached) resize index arrays for (size, size) images of this env's grid."""
        pixels = self._pixel_grids.get(size)
        if pixels is None:
            if not (1 <= size <= MAX_IMAGE_SIZE):
                raise ValueError(f"size={size} must be in [1, {MAX_IMAGE_SIZE}]")
            pixels = self._pixel_grids[size] = PixelGrid.build(size, self.width, self.height)
        return pixels

    def observe_rgb(self, scan: GridScan | None = None) -> np.ndarray:
        """The full-grid frame (image_size, image_size, 3) uint8 of the current state."""
        if scan is None:
            scan = GridScan.of(self.base)
        get = self._object_tile.get
        ids = [get(key) for key in scan.keys]
        if None in ids:  # a code not seen before: render its tile once
            ids = [get(key) if get(key) is not None else self._add_tile(obj, None)
                   for key, obj in zip(scan.keys, scan.objects, strict=True)]
        cell_tiles = np.zeros(self.width * self.height, dtype=np.intp)
        cell_tiles[scan.positions] = ids
        cell_tiles[scan.agent_cell] = self._agent_tile_id(scan)
        ts, height, width = self._pixels.tile_size, self.height, self.width
        frame = np.take(self._atlas, cell_tiles, axis=0)  # (height * width, ts, ts, 3)
        frame = frame.reshape(height, width, ts, ts, 3).transpose(0, 2, 1, 3, 4)
        return self._pixels.resize(frame.reshape(height * ts, width * ts, 3))

    def observe_objects(self, scan: GridScan | None = None) -> np.ndarray:
        """Object rows (width * height + 1, N_FEATURES) float32; layout in the module docstring."""
        if scan is None:
            scan = GridScan.of(self.base)
        keep = _HAS_ROW[scan.codes[:, 0]]
        codes, positions = scan.codes[keep], scan.positions[keep]
        n = len(positions)
        out = np.zeros((self.max_rows, N_FEATURES), dtype=np.float32)
        out[:n] = np.take(_CODE_ROWS, codes @ _CODE_STRIDES, axis=0)
        out[:n, _X_COLUMN:_X_COLUMN + 2] = np.take(self._cell_xy, positions, axis=0)
        out[n] = _AGENT_ROWS[scan.agent_dir]
        out[n, _X_COLUMN:_X_COLUMN + 2] = self._cell_xy[scan.agent_cell]
        return out

    def render_masks(self, size: int | None = None, scan: GridScan | None = None) -> np.ndarray:
        """Instance mask (size, size) uint8 of the current state (``size`` defaults to image_size):
        0 walls/floor/empty, 1..n other objects in row-major order, n + 1 the agent."""
        if scan is None:
            scan = GridScan.of(self.base)
        keep = _HAS_LABEL[scan.codes[:, 0]] & (scan.positions != scan.agent_cell)
        labelled = scan.positions[keep]
        n = len(labelled)
        if n + 1 > _MAX_LABEL:
            raise ValueError(f"{n} objects and the agent need {n + 1} instance labels; uint8 masks hold "
                             f"at most {_MAX_LABEL}")
        labels = np.zeros(self.width * self.height, dtype=np.uint8)
        labels[labelled] = np.arange(1, n + 1, dtype=np.uint8)
        labels[scan.agent_cell] = n + 1
        return labels[self.pixel_grid(size or self.image_size).cell]

    def _observation(self, scan: GridScan) -> Observation:
        if self.obs_mode == "rgb":
            return self.observe_rgb(scan)
        if self.obs_mode == "objects":
            return self.observe_objects(scan)
        return {"rgb": self.observe_rgb(scan), "objects": self.observe_objects(scan)}

    def _info(self, info: dict[str, Any], scan: GridScan) -> dict[str, Any]:
        if self.with_masks:
            info["masks"] = self.render_masks(scan=scan)
        return info

    def _agent_tile_id(self, scan: GridScan) -> int:
        index = int(np.searchsorted(scan.positions, scan.agent_cell))
        under = index < len(scan.positions) and scan.positions[index] == scan.agent_cell
        key = (scan.keys[index] if under else None, scan.agent_dir)
        tile = self._agent_tile.get(key)
        if tile is None:
            tile = self._add_tile(scan.objects[index] if under else None, scan.agent_dir)
        return tile

    def _add_tile(self, obj: WorldObj | None, agent_dir: int | None) -> int:
        """Render (via MiniGrid's tile cache) and append the tile of ``obj`` (with the agent facing
        ``agent_dir`` on it, unless None); return its atlas index."""
        ts = self._pixels.tile_size
        tile = Grid.render_tile(obj, agent_dir=agent_dir, highlight=False, tile_size=ts)
        index = len(self._tiles)
        # MiniGrid's tiles may be float (anti-aliased means); get_frame casts them into uint8 like this.
        self._tiles.append(np.asarray(tile).astype(np.uint8))
        self._atlas = np.stack(self._tiles)
        key = obj.encode() if obj is not None else None
        if agent_dir is None:
            if key is not None:
                self._object_tile[key] = index
        else:
            self._agent_tile[(key, agent_dir)] = index
        return index


def make_minigrid_env(env_id: str, obs_mode: str = "rgb", image_size: int = 64,
                      render_mode: str | None = None, with_masks: bool = False, **kwargs: Any) -> gym.Env:
    """``gymnasium.make(env_id, render_mode=render_mode, **kwargs)`` (e.g. ``max_steps``) wrapped in
    :class:`MiniGridAdapter`; observations as described there, (image_size, image_size, 3) uint8
    frames and/or (width * height + 1, N_FEATURES) float32 object rows."""
    check_options(obs_mode, image_size)
    env = gym.make(env_id, render_mode=render_mode, **kwargs)
    return MiniGridAdapter(env, obs_mode=obs_mode, image_size=image_size, with_masks=with_masks)
