"""The state of a batch of ObjectWorlds as plain NumPy record arrays (what the kernels mutate).

``objects`` is (B, capacity) of ``OBJECT_DTYPE``; ``worlds`` is (B,) of ``WORLD_DTYPE``.
Positions are sprite centres in arena units ([0, 1], x right, y down).
"""

from __future__ import annotations

import numpy as np

ROLE_DISTRACTOR, ROLE_TARGET = 0, 1

OBJECT_DTYPE = np.dtype(
    [
        ("x", np.float32),
        ("y", np.float32),
        ("size", np.float32),
        ("shape", np.int32),
        ("color", np.int32),
        ("role", np.int32),
        ("present", np.bool_),
    ],
    align=True,
)

WORLD_DTYPE = np.dtype(
    [
        ("agent_x", np.float32),
        ("agent_y", np.float32),
        ("goal_x", np.float32),
        ("goal_y", np.float32),
        ("steps", np.int32),
        ("n_objects", np.int32),
        ("n_targets", np.int32),
        ("targets_left", np.int32),
        ("rng", np.uint64),
    ],
    align=True,
)


def allocate_state(n_envs: int, capacity: int) -> tuple[np.ndarray, np.ndarray]:
    """Zeroed ``(objects (B, capacity), worlds (B,))`` record arrays."""
    return np.zeros((n_envs, capacity), dtype=OBJECT_DTYPE), np.zeros(n_envs, dtype=WORLD_DTYPE)
