"""Episode layouts: the numba kernel that samples a fresh scene for every flagged env of a batch."""

from __future__ import annotations

import numpy as np
from numba import njit

from envs.rng import randint, uniform
from envs.world_config import PLACEMENT_GAP, TASK_COLLECT, TASK_ODD_ONE_OUT, TASK_PUSH
from envs.world_state import ROLE_DISTRACTOR, ROLE_TARGET

PLACEMENT_TRIES = 200


@njit(cache=True)
def _sample_in_arena(rng: np.ndarray, margin: float) -> float:
    return margin + (1.0 - 2.0 * margin) * uniform(rng)


@njit(cache=True)
def _place_objects(objects, world, cfg, n, rng) -> None:
    """Sample positions with rejection so sprites neither overlap nor touch the agent (or, for the
    push target, start inside the goal); after PLACEMENT_TRIES the last try is kept."""
    reach = 2.0 * cfg.agent_size  # room for the agent to get behind an object and push it
    for i in range(n):
        obj = objects[i]
        margin = obj.size + reach if cfg.task == TASK_PUSH else obj.size
        for _ in range(PLACEMENT_TRIES):
            obj.x = _sample_in_arena(rng, margin)
            obj.y = _sample_in_arena(rng, margin)
            ok = (obj.x - world.agent_x) ** 2 + (obj.y - world.agent_y) ** 2 > (
                obj.size + cfg.agent_size + PLACEMENT_GAP
            ) ** 2
            for j in range(i):
                other = objects[j]
                gap = obj.size + other.size + PLACEMENT_GAP
                if abs(obj.x - other.x) < gap and abs(obj.y - other.y) < gap:
                    ok = False
            if cfg.task == TASK_PUSH and obj.role == ROLE_TARGET:
                inside = cfg.goal_size + obj.size
                if abs(obj.x - world.goal_x) < inside and abs(obj.y - world.goal_y) < inside:
                    ok = False
            if ok:
                break


@njit(cache=True)
def _sample_distractor_look(obj, cfg, shape_pool, color_pool, rng) -> None:
    """A shape/colour pair that is not the target's (pools are validated to allow one)."""
    while True:
        obj.shape = shape_pool[randint(rng, shape_pool.shape[0])]
        obj.color = color_pool[randint(rng, color_pool.shape[0])]
        if cfg.task == TASK_COLLECT:
            if obj.color != cfg.target_color:
                return
        elif obj.shape != cfg.target_shape or obj.color != cfg.target_color:
            return


@njit(cache=True)
def _assign_looks(objects, cfg, n, shape_pool, color_pool, rng) -> int:
    """Give the first ``n`` objects their shape, colour and role; returns the number of targets."""
    n_targets = 1
    if cfg.task == TASK_ODD_ONE_OUT:
        base_shape = shape_pool[randint(rng, shape_pool.shape[0])]
        base_color = color_pool[randint(rng, color_pool.shape[0])]
        change_color = color_pool.shape[0] > 1 and (shape_pool.shape[0] == 1 or uniform(rng) < 0.5)
        odd_shape, odd_color = base_shape, base_color
        while odd_shape == base_shape and odd_color == base_color:
            if change_color:
                odd_color = color_pool[randint(rng, color_pool.shape[0])]
            else:
                odd_shape = shape_pool[randint(rng, shape_pool.shape[0])]
        for i in range(n):
            objects[i].shape = base_shape
            objects[i].color = base_color
            objects[i].role = ROLE_DISTRACTOR
        objects[0].shape = odd_shape
        objects[0].color = odd_color
        objects[0].role = ROLE_TARGET
        return 1
    if cfg.task == TASK_COLLECT:
        n_targets = 1 + randint(rng, max(1, n // 2))
    for i in range(n):
        obj = objects[i]
        if i < n_targets:
            obj.role = ROLE_TARGET
            obj.color = cfg.target_color
            if cfg.task == TASK_COLLECT:
                obj.shape = shape_pool[randint(rng, shape_pool.shape[0])]
            else:
                obj.shape = cfg.target_shape
        else:
            obj.role = ROLE_DISTRACTOR
            _sample_distractor_look(obj, cfg, shape_pool, color_pool, rng)
    return n_targets


@njit(cache=True)
def _shuffle_first(objects, n, rng) -> None:
    """Fisher-Yates over the first ``n`` rows, so a row index never gives the target away."""
    for i in range(n - 1, 0, -1):
        j = randint(rng, i + 1)
        if j != i:
            _swap_looks(objects, i, j)


@njit(cache=True)
def _swap_looks(objects, i, j) -> None:
    a, b = objects[i], objects[j]
    a.shape, b.shape = b.shape, a.shape
    a.color, b.color = b.color, a.color
    a.role, b.role = b.role, a.role
    a.size, b.size = b.size, a.size


@njit(cache=True)
def reset_worlds(objects, worlds, cfg_record, shape_pool, color_pool, which) -> None:
    """Sample a new episode for every env ``b`` with ``which[b]``.

    objects: (B, capacity) OBJECT_DTYPE; worlds: (B,) WORLD_DTYPE (its ``rng`` is consumed);
    cfg_record: (1,) CONFIG_DTYPE; shape_pool, color_pool: (k,) int64 codes; which: (B,) bool.
    """
    cfg = cfg_record[0]
    rng = np.empty(1, dtype=np.uint64)
    for b in range(worlds.shape[0]):
        if not which[b]:
            continue
        world = worlds[b]
        rng[0] = world.rng
        world.steps = 0
        world.agent_x = _sample_in_arena(rng, cfg.agent_size)
        world.agent_y = _sample_in_arena(rng, cfg.agent_size)
        world.goal_x = -1.0
        world.goal_y = -1.0
        if cfg.task == TASK_PUSH:
            world.goal_x = _sample_in_arena(rng, cfg.goal_size)
            world.goal_y = _sample_in_arena(rng, cfg.goal_size)
        n = cfg.min_objects + randint(rng, cfg.max_objects - cfg.min_objects + 1)
        world.n_objects = n
        row = objects[b]
        for i in range(row.shape[0]):
            row[i].present = i < n
            row[i].size = cfg.size_min + (cfg.size_max - cfg.size_min) * uniform(rng)
        n_targets = _assign_looks(row, cfg, n, shape_pool, color_pool, rng)
        world.n_targets = n_targets
        world.targets_left = n_targets
        _shuffle_first(row, n, rng)
        _place_objects(row, world, cfg, n, rng)
        world.rng = rng[0]
