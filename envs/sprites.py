"""Sprite vocabulary shared by every ObjectWorld kernel: shape codes, the colour palette, and the
point-in-shape test used when rasterising.

Shapes live in a normalised frame centred on the sprite, x to the right and y down, with the
sprite's half-extent scaled to 1, so ``shape_contains(shape, dx, dy)`` is size-independent.
"""

from __future__ import annotations

import numpy as np
from numba import njit

SHAPES: tuple[str, ...] = ("square", "circle", "triangle", "diamond", "cross")
SQUARE, CIRCLE, TRIANGLE, DIAMOND, CROSS = range(len(SHAPES))

# name -> RGB. The first six are the default training palette; the rest are held out.
COLORS: dict[str, tuple[int, int, int]] = {
    "red": (230, 30, 30),
    "green": (40, 200, 60),
    "blue": (50, 90, 245),
    "yellow": (240, 220, 40),
    "magenta": (225, 50, 225),
    "cyan": (40, 220, 225),
    "orange": (250, 140, 20),
    "purple": (135, 60, 205),
    "pink": (250, 160, 195),
    "brown": (150, 95, 45),
}
COLOR_NAMES: tuple[str, ...] = tuple(COLORS)
PALETTE = np.array(list(COLORS.values()), dtype=np.uint8)  # (n_colors, 3)
AGENT_RGB = np.array((255, 255, 255), dtype=np.uint8)
GOAL_RGB = np.array((70, 70, 70), dtype=np.uint8)

TRAIN_COLORS: tuple[str, ...] = COLOR_NAMES[:6]
HELD_OUT_COLORS: tuple[str, ...] = COLOR_NAMES[6:]
TRAIN_SHAPES: tuple[str, ...] = SHAPES[:3]
HELD_OUT_SHAPES: tuple[str, ...] = SHAPES[3:]

_CROSS_ARM = 1.0 / 3.0


@njit(cache=True)
def shape_contains(shape: int, dx: float, dy: float) -> bool:
    """Whether the point (dx, dy), in sprite-normalised units, lies inside ``shape``."""
    ax = abs(dx)
    ay = abs(dy)
    if shape == SQUARE:
        return ax <= 1.0 and ay <= 1.0
    if shape == CIRCLE:
        return dx * dx + dy * dy <= 1.0
    if shape == TRIANGLE:  # apex up, base along the bottom edge
        return -1.0 <= dy <= 1.0 and ax <= 0.5 * (dy + 1.0)
    if shape == DIAMOND:
        return ax + ay <= 1.0
    if shape == CROSS:
        return (ax <= _CROSS_ARM and ay <= 1.0) or (ay <= _CROSS_ARM and ax <= 1.0)
    return False


def shape_index(name: str) -> int:
    """Code of the shape called ``name``; ValueError listing the known shapes otherwise."""
    if name not in SHAPES:
        raise ValueError(f"unknown shape {name!r}; choose from {', '.join(SHAPES)}")
    return SHAPES.index(name)


def color_index(name: str) -> int:
    """Palette row of the colour called ``name``; ValueError listing the known colours otherwise."""
    if name not in COLORS:
        raise ValueError(f"unknown colour {name!r}; choose from {', '.join(COLOR_NAMES)}")
    return COLOR_NAMES.index(name)
