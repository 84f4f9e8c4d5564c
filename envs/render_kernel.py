"""Rasterisation: the numba kernel that draws RGB frames and instance masks for a batch.

Sprites are drawn in row order with the agent last, so later sprites hide earlier ones (z-order);
the instance mask records which sprite owns each visible pixel: 0 background (the push goal
region included), ``i + 1`` for object row ``i``, ``capacity + 1`` for the agent (capacity = object rows).
"""

from __future__ import annotations

from numba import njit

from envs.sprites import AGENT_RGB, CIRCLE, GOAL_RGB, PALETTE, SQUARE, shape_contains
from envs.world_config import TASK_PUSH


@njit(cache=True)
def _draw_sprite(image, mask, write_mask, cx, cy, size, shape, rgb, label) -> None:
    height, width = image.shape[0], image.shape[1]
    x0 = max(int((cx - size) * width), 0)
    x1 = min(int((cx + size) * width) + 1, width)
    y0 = max(int((cy - size) * height), 0)
    y1 = min(int((cy + size) * height) + 1, height)
    inv = 1.0 / size
    for py in range(y0, y1):
        dy = ((py + 0.5) / height - cy) * inv
        for px in range(x0, x1):
            dx = ((px + 0.5) / width - cx) * inv
            if shape_contains(shape, dx, dy):
                image[py, px, 0] = rgb[0]
                image[py, px, 1] = rgb[1]
                image[py, px, 2] = rgb[2]
                if write_mask:
                    mask[py, px] = label


@njit(cache=True)
def render_worlds(objects, worlds, cfg_record, which, images, masks, write_masks) -> None:
    """Draw every env ``b`` with ``which[b]`` into ``images[b]`` and, if ``write_masks``, ``masks[b]``.

    images: (B, H, W, 3) uint8, any H, W (so the same state renders at any resolution);
    masks: (B, H, W) uint8 (ignored unless ``write_masks``); which: (B,) bool.
    """
    cfg = cfg_record[0]
    n_slots = objects.shape[1]
    for b in range(worlds.shape[0]):
        if not which[b]:
            continue
        image = images[b]
        mask = masks[b]
        image[:] = 0
        if write_masks:
            mask[:] = 0
        world = worlds[b]
        if cfg.task == TASK_PUSH:
            _draw_sprite(image, mask, False, world.goal_x, world.goal_y, cfg.goal_size, SQUARE, GOAL_RGB, 0)
        row = objects[b]
        for i in range(n_slots):
            obj = row[i]
            if obj.present:
                _draw_sprite(image, mask, write_masks, obj.x, obj.y, obj.size, obj.shape, PALETTE[obj.color], i + 1)
        _draw_sprite(
            image, mask, write_masks, world.agent_x, world.agent_y, cfg.agent_size, CIRCLE, AGENT_RGB, n_slots + 1
        )
