"""A planning reference policy for every ObjectWorld task, as one numba kernel over a batch of
``objects`` observations.

It reads only what a learned policy reads (the feature rows of ``envs.observe_kernel``) and knows
the task's rules (which object is the target, how far a move goes, what touching means):

- reach tasks (goal, odd one out, collect): a breadth-first search over the agent's reachable
  positions for the shortest path that touches a target and never a distractor; the first move of
  that path is the action. When no such path exists it takes the safe move that gets closest to a
  target.
- push: the target must move along the axis on which it is farthest from the goal square; the
  agent walks (breadth-first, never touching the target) to a spot from which one more move in that
  direction pushes it, then pushes.

It is the ceiling that learned policies are read against, so it must be good rather than fast;
one search costs about a millisecond.
"""

from __future__ import annotations

import numpy as np
from numba import njit, types
from numba.typed import Dict

from envs.observe_kernel import N_FEATURES
from envs.sprites import PALETTE, color_index
from envs.world_config import TASK_COLLECT, TASK_ODD_ONE_OUT, TASK_PUSH, WorldConfig

_SHAPE_COLUMN = N_FEATURES - 5
_MOVES = np.array([[0.0, -1.0], [0.0, 1.0], [-1.0, 0.0], [1.0, 0.0]])  # up, down, left, right
_SAFETY = 1e-4  # the kernels compare in float32: stay this far from every touching boundary
_MAX_NODES = 8192
_KEY_SCALE = 10_000.0


@njit(cache=True)
def _shape_of(row: np.ndarray) -> int:
    best = 0
    for k in range(1, N_FEATURES - _SHAPE_COLUMN):
        if row[_SHAPE_COLUMN + k] > row[_SHAPE_COLUMN + best]:
            best = k
    return best


@njit(cache=True)
def _same_look(a: np.ndarray, b: np.ndarray) -> bool:
    return (abs(a[6] - b[6]) + abs(a[7] - b[7]) + abs(a[8] - b[8]) < 1e-3) and _shape_of(a) == _shape_of(b)


@njit(cache=True)
def _has_color(row: np.ndarray, rgb: np.ndarray) -> bool:
    return abs(row[6] - rgb[0]) + abs(row[7] - rgb[1]) + abs(row[8] - rgb[2]) < 1e-3


@njit(cache=True)
def target_flags(obs: np.ndarray, task: int, target_rgb: np.ndarray, target_shape: int) -> np.ndarray:
    """Which object rows of one observation (R, F) are targets -> (R - 2,) bool (the last two rows are the
    agent and the goal). Odd one out: the one object whose look no other object shares."""
    n = obs.shape[0] - 2
    flags = np.zeros(n, dtype=np.bool_)
    for i in range(n):
        if obs[i, 0] < 0.5:
            continue
        if task == TASK_ODD_ONE_OUT:
            unique = True
            for j in range(n):
                if j != i and obs[j, 0] > 0.5 and _same_look(obs[i], obs[j]):
                    unique = False
                    break
            flags[i] = unique
        elif task == TASK_COLLECT:
            flags[i] = _has_color(obs[i], target_rgb)
        else:
            flags[i] = _has_color(obs[i], target_rgb) and _shape_of(obs[i]) == target_shape
    return flags


@njit(cache=True)
def _touches(x: float, y: float, agent_size: float, row: np.ndarray, margin: float) -> bool:
    reach = agent_size + row[5] + margin
    return (x - row[3]) ** 2 + (y - row[4]) ** 2 < reach * reach


@njit(cache=True)
def _move(x: float, y: float, action: int, step: float, agent_size: float) -> tuple[float, float]:
    nx = min(max(x + _MOVES[action, 0] * step, agent_size), 1.0 - agent_size)
    ny = min(max(y + _MOVES[action, 1] * step, agent_size), 1.0 - agent_size)
    return nx, ny


@njit(cache=True)
def _key(x: float, y: float) -> int:
    return np.int64(np.round(x * _KEY_SCALE)) * 100_000 + np.int64(np.round(y * _KEY_SCALE))


@njit(cache=True)
def _reach_outcome(obs: np.ndarray, targets: np.ndarray, x: float, y: float, agent_size: float) -> int:
    """0: nothing touched; 1: a target touched and no distractor; -1: a distractor touched."""
    hit_target = False
    for i in range(targets.shape[0]):
        if obs[i, 0] < 0.5:
            continue
        if targets[i]:
            if _touches(x, y, agent_size, obs[i], -_SAFETY):
                hit_target = True
        elif _touches(x, y, agent_size, obs[i], _SAFETY):
            return -1
    return 1 if hit_target else 0


@njit(cache=True)
def _push_ready(obs: np.ndarray, t: int, x: float, y: float, action: int, step: float, agent_size: float) -> bool:
    """Whether ``action`` from (x, y) walks into the target row ``t`` in the direction of the move (a push)."""
    nx, ny = _move(x, y, action, step, agent_size)
    if not _touches(nx, ny, agent_size, obs[t], -_SAFETY):
        return False
    along = _MOVES[action, 0] * (obs[t, 3] - x) + _MOVES[action, 1] * (obs[t, 4] - y)
    across = abs(_MOVES[action, 1] * (obs[t, 3] - x)) + abs(_MOVES[action, 0] * (obs[t, 4] - y))
    return along > 0.0 and across < 0.5 * obs[t, 5]


@njit(cache=True)
def _search(obs: np.ndarray, targets: np.ndarray, task: int, push_target: int, push_action: int,
            step: float, agent_size: float) -> int:
    """Breadth-first search from the agent; the first move of the shortest path to a goal node, or -1.

    Reach tasks: a goal node touches a target and no distractor; nodes touching a distractor are walls.
    Push: a goal node is one from which ``push_action`` pushes the target; nodes touching it are walls.
    """
    agent = obs.shape[0] - 2
    qx = np.empty(_MAX_NODES)
    qy = np.empty(_MAX_NODES)
    qfirst = np.empty(_MAX_NODES, dtype=np.int64)
    seen = Dict.empty(key_type=types.int64, value_type=types.int64)
    qx[0] = obs[agent, 3]
    qy[0] = obs[agent, 4]
    qfirst[0] = -1
    seen[_key(qx[0], qy[0])] = 1
    head, tail = 0, 1
    while head < tail:
        x, y, first = qx[head], qy[head], qfirst[head]
        head += 1
        if task == TASK_PUSH and _push_ready(obs, push_target, x, y, push_action, step, agent_size):
            return push_action if first < 0 else first
        for action in range(4):
            nx, ny = _move(x, y, action, step, agent_size)
            key = _key(nx, ny)
            if key in seen:
                continue
            seen[key] = 1
            begin = action if first < 0 else first
            if task == TASK_PUSH:
                if _touches(nx, ny, agent_size, obs[push_target], _SAFETY):
                    continue
            else:
                outcome = _reach_outcome(obs, targets, nx, ny, agent_size)
                if outcome == 1:
                    return begin
                if outcome == -1:
                    continue
            if tail < _MAX_NODES:
                qx[tail], qy[tail], qfirst[tail] = nx, ny, begin
                tail += 1
    return -1


@njit(cache=True)
def _closest_safe_move(obs: np.ndarray, targets: np.ndarray, step: float, agent_size: float,
                       goal_x: float, goal_y: float) -> int:
    """The move that ends nearest (goal_x, goal_y) without touching a distractor (any move if none is safe)."""
    agent = obs.shape[0] - 2
    best, best_distance = 0, np.inf
    for action in range(4):
        nx, ny = _move(obs[agent, 3], obs[agent, 4], action, step, agent_size)
        if _reach_outcome(obs, targets, nx, ny, agent_size) == -1:
            continue
        distance = (nx - goal_x) ** 2 + (ny - goal_y) ** 2
        if distance < best_distance:
            best, best_distance = action, distance
    return best


@njit(cache=True)
def _push_direction(obs: np.ndarray, t: int, goal_size: float, step: float) -> int:
    """The move that brings target row ``t`` towards the goal row along its farther axis, or -1 when inside."""
    goal = obs.shape[0] - 1
    dx = obs[goal, 3] - obs[t, 3]
    dy = obs[goal, 4] - obs[t, 4]
    # Aim for the centre, up to half a step: pushes move the target a whole step at a time.
    slack = min(goal_size - _SAFETY, 0.5 * step + _SAFETY)
    if abs(dx) <= slack and abs(dy) <= slack:
        return -1
    if abs(dx) - slack >= abs(dy) - slack:
        return 3 if dx > 0 else 2
    return 1 if dy > 0 else 0


@njit(cache=True)
def scripted_actions(observations: np.ndarray, cfg_record: np.ndarray, target_rgb: np.ndarray,
                     actions: np.ndarray) -> None:
    """The planner's move for every env: observations (B, R, F) float32 ``objects`` rows -> actions (B,) int64.

    cfg_record: (1,) CONFIG_DTYPE of the env; target_rgb: (3,) the target colour in [0, 1].
    """
    cfg = cfg_record[0]
    step, agent_size = cfg.agent_step, cfg.agent_size
    for b in range(observations.shape[0]):
        obs = observations[b]
        targets = target_flags(obs, cfg.task, target_rgb, cfg.target_shape)
        agent = obs.shape[0] - 2
        if cfg.task == TASK_PUSH:
            t = -1
            for i in range(targets.shape[0]):
                if targets[i]:
                    t = i
            direction = _push_direction(obs, t, cfg.goal_size, step) if t >= 0 else -1
            action = -1
            if direction >= 0:
                action = _search(obs, targets, cfg.task, t, direction, step, agent_size)
            actions[b] = action if action >= 0 else (direction if direction >= 0 else 0)
            continue
        action = _search(obs, targets, cfg.task, -1, -1, step, agent_size)
        if action < 0:
            nearest_x, nearest_y, nearest = obs[agent, 3], obs[agent, 4], np.inf
            for i in range(targets.shape[0]):
                if targets[i] and obs[i, 0] > 0.5:
                    distance = (obs[i, 3] - obs[agent, 3]) ** 2 + (obs[i, 4] - obs[agent, 4]) ** 2
                    if distance < nearest:
                        nearest_x, nearest_y, nearest = obs[i, 3], obs[i, 4], distance
            action = _closest_safe_move(obs, targets, step, agent_size, nearest_x, nearest_y)
        actions[b] = action


class ScriptedPolicy:
    """The planner as a policy: ``predict(observations)`` on a batch of ``objects`` observations of the
    ObjectWorld described by ``config`` (the same call signature as an SB3 model)."""

    def __init__(self, config: WorldConfig) -> None:
        self.config = config
        self._cfg = config.to_record()
        self._target_rgb = PALETTE[color_index(config.target_color)].astype(np.float64) / 255.0

    def predict(self, observations: np.ndarray, state: object = None, episode_start: object = None,
                deterministic: bool = True) -> tuple[np.ndarray, None]:
        """observations (B, R, F) float32 -> (actions (B,) int64, None)."""
        observations = np.asarray(observations, dtype=np.float32)
        if observations.ndim == 2:
            observations = observations[None]
        expected = (self.config.object_rows, N_FEATURES)
        if observations.shape[1:] != expected:
            raise ValueError(f"the scripted policy reads `objects` observations of shape (B, {expected[0]}, "
                             f"{expected[1]}), got {observations.shape}")
        actions = np.zeros(len(observations), dtype=np.int64)
        scripted_actions(observations, self._cfg, self._target_rgb, actions)
        return actions, None
