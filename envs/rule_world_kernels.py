"""RuleWorld scenes: the numba kernels that sample fresh scenes and draw them (frames and masks).

Drawing reuses ObjectWorld's sprite rasteriser, so RuleWorld sprites look like ObjectWorld's.
"""

from __future__ import annotations

import math

from numba import njit

from envs.render_kernel import _draw_sprite
from envs.rng import randint, uniform
from envs.sprites import PALETTE
from envs.world_config import PLACEMENT_GAP

PLACEMENT_TRIES = 200


@njit(cache=True)
def reset_rule_worlds(kin, attrs, rng, color_pool, shape_pool, radius, speed_min, speed_max, which) -> None:
    """Sample a scene into every world ``w`` with ``which[w]``.

    kin: (B, N, 4) float64 and attrs: (B, N, 2) int64 (written); rng: (B, 1) uint64 streams
    (advanced); color_pool / shape_pool: (C,) / (S,) int64 codes to draw from; velocities have a
    uniform direction and a speed in [speed_min, speed_max]; positions avoid overlaps (after
    PLACEMENT_TRIES the last try is kept).
    """
    margin = radius
    for w in range(kin.shape[0]):
        if not which[w]:
            continue
        state = rng[w]
        for i in range(kin.shape[1]):
            for _ in range(PLACEMENT_TRIES):
                x = margin + (1.0 - 2.0 * margin) * uniform(state)
                y = margin + (1.0 - 2.0 * margin) * uniform(state)
                ok = True
                for j in range(i):
                    if (x - kin[w, j, 0]) ** 2 + (y - kin[w, j, 1]) ** 2 < (2.0 * radius + PLACEMENT_GAP) ** 2:
                        ok = False
                        break
                if ok:
                    break
            angle = 2.0 * math.pi * uniform(state)
            speed = speed_min + (speed_max - speed_min) * uniform(state)
            kin[w, i, 0] = x
            kin[w, i, 1] = y
            kin[w, i, 2] = speed * math.cos(angle)
            kin[w, i, 3] = speed * math.sin(angle)
            attrs[w, i, 0] = color_pool[randint(state, color_pool.shape[0])]
            attrs[w, i, 1] = shape_pool[randint(state, shape_pool.shape[0])]


@njit(cache=True)
def render_rule_worlds(kin, attrs, radius, images, masks, write_masks) -> None:
    """Draw every world into ``images`` (B, H, W, 3) uint8 and, if ``write_masks``, ``masks``
    (B, H, W) uint8: 0 background, ``i + 1`` where object ``i`` is visible (later objects on top)."""
    for w in range(kin.shape[0]):
        images[w] = 0
        if write_masks:
            masks[w] = 0
        for i in range(kin.shape[1]):
            _draw_sprite(images[w], masks[w], write_masks, kin[w, i, 0], kin[w, i, 1], radius, attrs[w, i, 1],
                         PALETTE[attrs[w, i, 0]], i + 1)
