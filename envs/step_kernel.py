"""Dynamics and task rules: the numba kernel that advances every env of a batch by one action."""

from __future__ import annotations

from numba import njit

from envs.world_config import TASK_COLLECT, TASK_PUSH
from envs.world_state import ROLE_TARGET

# Action codes. A fifth action (no-op) exists when the config enables it.
UP, DOWN, LEFT, RIGHT, NOOP = range(5)
ACTION_NAMES: tuple[str, ...] = ("up", "down", "left", "right", "noop")


@njit(cache=True)
def _clip(value: float, low: float, high: float) -> float:
    return min(max(value, low), high)


@njit(cache=True)
def _touching(ax: float, ay: float, a_size: float, bx: float, by: float, b_size: float) -> bool:
    reach = a_size + b_size
    return (ax - bx) ** 2 + (ay - by) ** 2 < reach * reach


@njit(cache=True)
def _push(obj, world, cfg, dx: float, dy: float, new_x: float, new_y: float) -> bool:
    """Move the target with the agent when the agent walks into it; returns False when blocked."""
    if not _touching(new_x, new_y, cfg.agent_size, obj.x, obj.y, obj.size):
        return True
    if dx * (obj.x - world.agent_x) + dy * (obj.y - world.agent_y) <= 0.0:
        return True  # moving away from (or along) the object does not push it
    target_x = _clip(obj.x + dx, obj.size, 1.0 - obj.size)
    target_y = _clip(obj.y + dy, obj.size, 1.0 - obj.size)
    if abs(target_x - obj.x) < abs(dx) - 1e-6 or abs(target_y - obj.y) < abs(dy) - 1e-6:
        return False  # the object is against a wall
    obj.x = target_x
    obj.y = target_y
    return True


@njit(cache=True)
def step_worlds(objects, worlds, cfg_record, actions, rewards, terminated, truncated, success) -> None:
    """Apply ``actions`` (B,) int64 to every env and write the outcome.

    objects: (B, capacity) OBJECT_DTYPE and worlds: (B,) WORLD_DTYPE, updated in place;
    cfg_record: (1,) CONFIG_DTYPE; rewards (B,) float32, terminated/truncated/success (B,) bool
    are outputs. Actions must already be checked to lie in [0, n_actions).
    """
    cfg = cfg_record[0]
    step = cfg.agent_step
    for b in range(worlds.shape[0]):
        world = worlds[b]
        row = objects[b]
        action = actions[b]
        dx = 0.0
        dy = 0.0
        if action == UP:
            dy = -step
        elif action == DOWN:
            dy = step
        elif action == LEFT:
            dx = -step
        elif action == RIGHT:
            dx = step
        new_x = _clip(world.agent_x + dx, cfg.agent_size, 1.0 - cfg.agent_size)
        new_y = _clip(world.agent_y + dy, cfg.agent_size, 1.0 - cfg.agent_size)
        reward = 0.0
        done = False
        won = False
        if cfg.task == TASK_PUSH:
            for i in range(row.shape[0]):
                obj = row[i]
                if obj.present and obj.role == ROLE_TARGET and not _push(obj, world, cfg, dx, dy, new_x, new_y):
                    new_x = world.agent_x
                    new_y = world.agent_y
            world.agent_x = new_x
            world.agent_y = new_y
            for i in range(row.shape[0]):
                obj = row[i]
                if (
                    obj.present
                    and obj.role == ROLE_TARGET
                    and abs(obj.x - world.goal_x) <= cfg.goal_size
                    and abs(obj.y - world.goal_y) <= cfg.goal_size
                ):
                    reward = 1.0
                    done = True
                    won = True
        else:
            world.agent_x = new_x
            world.agent_y = new_y
            hit_distractor = False
            for i in range(row.shape[0]):
                obj = row[i]
                if not obj.present or not _touching(new_x, new_y, cfg.agent_size, obj.x, obj.y, obj.size):
                    continue
                if obj.role != ROLE_TARGET:
                    hit_distractor = True
                elif cfg.task == TASK_COLLECT:
                    obj.present = False
                    world.targets_left -= 1
                    reward += 1.0 / world.n_targets
                else:
                    world.targets_left = 0
            if hit_distractor:
                done = True
            elif world.targets_left == 0:
                if cfg.task != TASK_COLLECT:
                    reward = 1.0
                done = True
                won = True
        world.steps += 1
        rewards[b] = reward
        terminated[b] = done
        success[b] = won
        truncated[b] = (not done) and world.steps >= cfg.max_steps
