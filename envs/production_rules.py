"""A production-rule engine in numba: rules as arrays, matched over every object pair in one kernel.

A world is ``N`` round sprites of one radius. Each object has kinematics ``(x, y, vx, vy)`` (arena
units, x right, y down) and attributes ``(color, shape)`` (palette row and shape code of
:mod:`envs.sprites`). A rule is one row of an int64 table (``RULE_FIELDS``) and one row of a float64
table (``dx, dy``): a condition on the acting object ``a`` (colour, shape, whether its next move by
its own velocity leaves the arena), for binary rules a condition on a partner ``b`` (colour, shape,
contact), and an action. Conflict resolution is by order: each object fires the first rule whose
condition holds (for a binary rule the nearest matching partner is used); an object that matches
no rule is left unchanged (the null rule, ``fired == -1``). Every object reads the state before the
step, so updates are simultaneous.

The same kernel is the environment's dynamics and the symbolic oracle of the production-system
models; :func:`apply_rules_reference` is a plain-Python matcher with the same semantics (tests and
the speed comparison of ``slotmind reason bench nps``).
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np
from numba import njit

from envs.sprites import CIRCLE, SQUARE, TRIANGLE, color_index

ANY = -1  # a condition field that matches every value

# Columns of the int64 rule table.
RULE_FIELDS: tuple[str, ...] = ("arity", "a_color", "a_shape", "a_wall", "b_color", "b_shape", "contact",
                                "action", "arg")
ARITY, A_COLOR, A_SHAPE, A_WALL, B_COLOR, B_SHAPE, CONTACT, ACTION, ARG = range(len(RULE_FIELDS))

# Actions. SHIFT: move by (dx, dy); DRIFT: move by the own velocity; BOUNCE: negate each velocity
# component whose move would leave the arena, then move; RECOLOR: take colour ``arg`` (ANY: the
# partner's); PUSH_AWAY: step ``dx`` away from the partner's centre. Without a partner (a unary
# rule) RECOLOR with ANY and PUSH_AWAY change nothing.
ACTIONS: tuple[str, ...] = ("shift", "drift", "bounce", "recolor", "push_away")
SHIFT, DRIFT, BOUNCE, RECOLOR, PUSH_AWAY = range(len(ACTIONS))


@dataclass(frozen=True)
class Rule:
    """One production rule in readable form; ``to_rows`` turns a list of them into the kernel's tables.

    ``a_wall``: 1 the acting object must be about to leave the arena, 0 it must not, ANY either;
    ``contact`` (binary rules): 1 the partner must touch it, 0 must not, ANY either.
    """

    name: str
    action: int
    a_color: int = ANY
    a_shape: int = ANY
    a_wall: int = ANY
    binary: bool = False
    b_color: int = ANY
    b_shape: int = ANY
    contact: int = ANY
    arg: int = ANY
    dx: float = 0.0
    dy: float = 0.0


def to_rows(rules: list[Rule] | tuple[Rule, ...]) -> tuple[np.ndarray, np.ndarray]:
    """Rule objects -> ``(table (R, len(RULE_FIELDS)) int64, params (R, 2) float64)``."""
    table = np.array([[2 if r.binary else 1, r.a_color, r.a_shape, r.a_wall, r.b_color, r.b_shape, r.contact,
                       r.action, r.arg] for r in rules], dtype=np.int64).reshape(len(rules), len(RULE_FIELDS))
    params = np.array([[r.dx, r.dy] for r in rules], dtype=np.float64).reshape(len(rules), 2)
    return table, params


RED, BLUE = color_index("red"), color_index("blue")
DEFAULT_RULES: tuple[Rule, ...] = (
    Rule("blue touching red turns red", RECOLOR, a_color=BLUE, binary=True, b_color=RED, contact=1),
    Rule("triangles touching anything step away", PUSH_AWAY, a_shape=TRIANGLE, binary=True, contact=1, dx=0.04),
    Rule("squares reverse on walls", BOUNCE, a_shape=SQUARE, a_wall=1),
    Rule("squares drift", DRIFT, a_shape=SQUARE),
    Rule("circles move right", SHIFT, a_shape=CIRCLE, dx=0.03),
)


@njit(cache=True, inline="always")
def _leaves(x: float, y: float, vx: float, vy: float, radius: float) -> bool:
    nx = x + vx
    ny = y + vy
    return nx < radius or nx > 1.0 - radius or ny < radius or ny > 1.0 - radius


@njit(cache=True, inline="always")
def _clip(value: float, radius: float) -> float:
    return min(max(value, radius), 1.0 - radius)


@njit(cache=True, inline="always")
def _unary_holds(rules, r: int, color: int, shape: int, wall: bool) -> bool:
    # Bitwise, not short-circuit: colours and shapes vary at random, so branches would mispredict.
    a_color, a_shape, a_wall = rules[r, A_COLOR], rules[r, A_SHAPE], rules[r, A_WALL]
    return ((a_color == ANY) | (a_color == color)) & ((a_shape == ANY) | (a_shape == shape)) & (
        (a_wall == ANY) | ((a_wall == 1) == wall))


@njit(cache=True, inline="always")
def _nearest_partner(rules, r: int, kin, attrs, w: int, a: int, radius: float) -> int:
    """Index of the nearest object ``b != a`` of world ``w`` meeting rule ``r``'s partner condition, or -1."""
    best = -1
    best_d2 = np.inf
    reach2 = (2.0 * radius) ** 2
    b_color, b_shape, contact = rules[r, B_COLOR], rules[r, B_SHAPE], rules[r, CONTACT]
    for b in range(kin.shape[1]):
        d2 = (kin[w, a, 0] - kin[w, b, 0]) ** 2 + (kin[w, a, 1] - kin[w, b, 1]) ** 2
        ok = (b != a) & ((b_color == ANY) | (b_color == attrs[w, b, 0])) & (
            (b_shape == ANY) | (b_shape == attrs[w, b, 1])) & ((contact == ANY) | ((contact == 1) == (d2 < reach2)))
        if ok & (d2 < best_d2):
            best = b
            best_d2 = d2
    return best


@njit(cache=True, inline="always")
def _act(action: int, arg: int, dx: float, dy: float, x: float, y: float, vx: float, vy: float, color: int,
         b: int, bx: float, by: float, b_color: int, radius: float) -> tuple[float, float, float, float, int]:
    """The new ``(x, y, vx, vy, color)`` of an object that fires ``action`` (partner ``b`` at bx, by;
    b = -1 for a unary rule: RECOLOR from the partner and PUSH_AWAY then change nothing)."""
    if action == SHIFT:
        return _clip(x + dx, radius), _clip(y + dy, radius), vx, vy, color
    if action == DRIFT:
        return _clip(x + vx, radius), _clip(y + vy, radius), vx, vy, color
    if action == BOUNCE:
        if x + vx < radius or x + vx > 1.0 - radius:
            vx = -vx
        if y + vy < radius or y + vy > 1.0 - radius:
            vy = -vy
        return _clip(x + vx, radius), _clip(y + vy, radius), vx, vy, color
    if action == RECOLOR:
        if arg != ANY:
            return x, y, vx, vy, arg
        return x, y, vx, vy, b_color if b >= 0 else color
    if action == PUSH_AWAY and b >= 0:
        ex = x - bx
        ey = y - by
        norm = math.sqrt(ex * ex + ey * ey)
        if norm < 1e-12:  # coincident centres: step right
            ex, ey, norm = 1.0, 0.0, 1.0
        return _clip(x + dx * ex / norm, radius), _clip(y + dx * ey / norm, radius), vx, vy, color
    return x, y, vx, vy, color


@njit(cache=True)
def apply_rules(kin, attrs, rules, params, radius, out_kin, out_attrs, fired, partner) -> None:
    """One simultaneous production-rule step of every world of a batch.

    kin: (B, N, 4) float64 ``x, y, vx, vy``; attrs: (B, N, 2) int64 ``color, shape``;
    rules: (R, len(RULE_FIELDS)) int64; params: (R, 2) float64; radius: sprite radius (contact
    when centres are closer than ``2 * radius``). Outputs: out_kin, out_attrs (same shapes as the
    inputs, may not alias them), fired (B, N) int64 rule index or -1 (null), partner (B, N) int64
    partner index of a binary rule or -1.
    """
    for w in range(kin.shape[0]):
        for a in range(kin.shape[1]):
            x, y, vx, vy = kin[w, a, 0], kin[w, a, 1], kin[w, a, 2], kin[w, a, 3]
            color, shape = attrs[w, a, 0], attrs[w, a, 1]
            wall = _leaves(x, y, vx, vy, radius)
            rule, b = -1, -1
            for r in range(rules.shape[0]):
                if not _unary_holds(rules, r, color, shape, wall):
                    continue
                if rules[r, ARITY] == 2:
                    b = _nearest_partner(rules, r, kin, attrs, w, a, radius)
                    if b < 0:
                        continue
                rule = r
                break
            if rule >= 0:
                bx, by, b_color = (kin[w, b, 0], kin[w, b, 1], attrs[w, b, 0]) if b >= 0 else (0.0, 0.0, -1)
                x, y, vx, vy, color = _act(rules[rule, ACTION], rules[rule, ARG], params[rule, 0], params[rule, 1],
                                           x, y, vx, vy, color, b, bx, by, b_color, radius)
            out_kin[w, a, 0] = x
            out_kin[w, a, 1] = y
            out_kin[w, a, 2] = vx
            out_kin[w, a, 3] = vy
            out_attrs[w, a, 0] = color
            out_attrs[w, a, 1] = shape
            fired[w, a] = rule
            partner[w, a] = b


def apply_rules_reference(kin: np.ndarray, attrs: np.ndarray, rules: np.ndarray, params: np.ndarray,
                          radius: float) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """The same step as :func:`apply_rules`, written as a straightforward pure-Python matcher over
    nested lists (no NumPy in the loops). Shapes as there; returns ``(kin, attrs, fired, partner)``."""
    kin_l, attrs_l, rules_l, params_l = kin.tolist(), attrs.tolist(), rules.tolist(), params.tolist()
    new_kin, new_attrs, fired, partner = [], [], [], []
    lo, hi, reach = radius, 1.0 - radius, 2.0 * radius
    for world_kin, world_attrs in zip(kin_l, attrs_l, strict=True):
        nk, na = [list(row) for row in world_kin], [list(row) for row in world_attrs]
        wf, wp = [-1] * len(world_kin), [-1] * len(world_kin)
        for a, ((x, y, vx, vy), (color, shape)) in enumerate(zip(world_kin, world_attrs, strict=True)):
            wall = not (lo <= x + vx <= hi and lo <= y + vy <= hi)
            for r, rule in enumerate(rules_l):
                arity, a_color, a_shape, a_wall, b_color, b_shape, contact, action, arg = rule
                if a_color not in (ANY, color) or a_shape not in (ANY, shape) or a_wall not in (ANY, int(wall)):
                    continue
                b = -1
                if arity == 2:
                    candidates = []
                    for j, ((bx, by, _, _), (bc, bs)) in enumerate(zip(world_kin, world_attrs, strict=True)):
                        d2 = (x - bx) ** 2 + (y - by) ** 2
                        touching = d2 < reach * reach
                        if j != a and b_color in (ANY, bc) and b_shape in (ANY, bs) and contact in (ANY, int(touching)):
                            candidates.append((d2, j))
                    if not candidates:
                        continue
                    b = min(candidates)[1]
                wf[a], wp[a] = r, b
                dx, dy = params_l[r]
                if action == SHIFT:
                    nk[a][0], nk[a][1] = min(max(x + dx, lo), hi), min(max(y + dy, lo), hi)
                elif action == DRIFT:
                    nk[a][0], nk[a][1] = min(max(x + vx, lo), hi), min(max(y + vy, lo), hi)
                elif action == BOUNCE:
                    nvx = -vx if not lo <= x + vx <= hi else vx
                    nvy = -vy if not lo <= y + vy <= hi else vy
                    nk[a] = [min(max(x + nvx, lo), hi), min(max(y + nvy, lo), hi), nvx, nvy]
                elif action == RECOLOR and (arg != ANY or b >= 0):
                    na[a][0] = world_attrs[b][0] if arg == ANY else arg
                elif action == PUSH_AWAY and b >= 0:
                    ex, ey = x - world_kin[b][0], y - world_kin[b][1]
                    norm = math.hypot(ex, ey)
                    if norm < 1e-12:
                        ex, ey, norm = 1.0, 0.0, 1.0
                    nk[a][0] = min(max(x + dx * ex / norm, lo), hi)
                    nk[a][1] = min(max(y + dx * ey / norm, lo), hi)
                break
        new_kin.append(nk)
        new_attrs.append(na)
        fired.append(wf)
        partner.append(wp)
    return (np.array(new_kin, dtype=np.float64).reshape(kin.shape), np.array(new_attrs, dtype=np.int64).reshape(
        attrs.shape), np.array(fired, dtype=np.int64).reshape(kin.shape[:2]),
        np.array(partner, dtype=np.int64).reshape(kin.shape[:2]))


def step_batch(kin: np.ndarray, attrs: np.ndarray, rules: np.ndarray, params: np.ndarray, radius: float
               ) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """:func:`apply_rules` with freshly allocated outputs: ``(kin, attrs, fired, partner)``, shapes as there."""
    out_kin, out_attrs = np.empty_like(kin), np.empty_like(attrs)
    fired = np.empty(kin.shape[:2], dtype=np.int64)
    partner = np.empty(kin.shape[:2], dtype=np.int64)
    apply_rules(kin, attrs, rules, params, float(radius), out_kin, out_attrs, fired, partner)
    return out_kin, out_attrs, fired, partner
