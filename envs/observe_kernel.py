"""The ``objects`` observation: one feature row per object slot, then the agent, then the goal.

Row layout (F = 9 + number of shapes):
``[present, is_agent, is_goal, x, y, size, r, g, b, one-hot shape...]`` with colours in [0, 1].
Absent rows (fewer objects, collected objects, no goal in this task) are all zeros.
"""

from __future__ import annotations

from numba import njit

from envs.sprites import AGENT_RGB, CIRCLE, GOAL_RGB, PALETTE, SHAPES, SQUARE
from envs.world_config import TASK_PUSH

FEATURE_NAMES: tuple[str, ...] = (
    "present",
    "is_agent",
    "is_goal",
    "x",
    "y",
    "size",
    "r",
    "g",
    "b",
    *(f"shape_{name}" for name in SHAPES),
)
N_FEATURES = len(FEATURE_NAMES)
_SHAPE_COLUMN = 9

@njit(cache=True)
def _write_row(out_row, kind_column, x, y, size, rgb, shape) -> None:
    out_row[:] = 0.0
    out_row[0] = 1.0
    if kind_column > 0:
        out_row[kind_column] = 1.0
    out_row[3] = x
    out_row[4] = y
    out_row[5] = size
    out_row[6] = rgb[0] / 255.0
    out_row[7] = rgb[1] / 255.0
    out_row[8] = rgb[2] / 255.0
    out_row[_SHAPE_COLUMN + shape] = 1.0

@njit(cache=True)
def observe_objects(objects, worlds, cfg_record, which, out) -> None:
    """Write the feature rows of every env ``b`` with ``which[b]`` into ``out[b]``.

    out: (B, capacity + 2, N_FEATURES) float32; which: (B,) bool.
    """
    cfg = cfg_record[0]
    n_slots = objects.shape[1]
    for b in range(worlds.shape[0]):
        if not which[b]:
            continue
        row = objects[b]
        features = out[b]
        for i in range(n_slots):
            obj = row[i]
            if obj.present:
                _write_row(features[i], 0, obj.x, obj.y, obj.size, PALETTE[obj.color], obj.shape)
            else:
                features[i, :] = 0.0
        world = worlds[b]
        _write_row(features[n_slots], 1, world.agent_x, world.agent_y, cfg.agent_size, AGENT_RGB, CIRCLE)
        if cfg.task == TASK_PUSH:
            _write_row(features[n_slots + 1], 2, world.goal_x, world.goal_y, cfg.goal_size, GOAL_RGB, SQUARE)
        else:
            features[n_slots + 1, :] = 0.0

