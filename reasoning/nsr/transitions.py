"""Arc-standard transitions that build a projective dependency tree over n tokens, and their static oracle.

A configuration is a stack (top last), a buffer (front first) and the heads found so far. From
``initial(n)`` (empty stack, all tokens in the buffer) three actions lead to the final configuration
(one token, the root, on the stack and an empty buffer) in exactly 2n - 1 steps:

- SHIFT moves the front of the buffer onto the stack;
- LEFT_ARC makes the second item of the stack a dependent of the top and pops it;
- RIGHT_ARC makes the top a dependent of the second item and pops the top.

Every sequence of legal actions ends in a projective tree, and every projective tree has one such
sequence chosen by :func:`oracle` (arcs as early as possible, a RIGHT_ARC only once the top has
all its dependents). :func:`apply` is pure: it returns a new configuration.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from enum import IntEnum

from reasoning.nsr.symbol_tree import check_heads, non_projective_node, subtree_indices


class Action(IntEnum):
    """The three arc-standard actions; their values index logits and masks."""

    SHIFT = 0
    LEFT_ARC = 1
    RIGHT_ARC = 2


SHIFT, LEFT_ARC, RIGHT_ARC = Action.SHIFT, Action.LEFT_ARC, Action.RIGHT_ARC
N_ACTIONS = len(Action)


@dataclass(frozen=True)
class Configuration:
    """A parser state over n tokens.

    Attributes:
        stack: token indices on the stack, bottom first (the top is ``stack[-1]``), shape (s,).
        buffer: token indices still to shift, front first, shape (b,); always ``range(n - b, n)``.
        heads: the head found so far for every token, shape (n,); -1 while unattached (and for the root).
    """

    stack: tuple[int, ...]
    buffer: tuple[int, ...]
    heads: tuple[int, ...]


def initial(n: int) -> Configuration:
    """The start configuration for n >= 1 tokens: empty stack, buffer ``0..n-1``, no heads."""
    if n < 1:
        raise ValueError(f"a parse needs at least one token, got n={n}")
    return Configuration(stack=(), buffer=tuple(range(n)), heads=(-1,) * n)


def legal_actions(config: Configuration) -> tuple[bool, bool, bool]:
    """Which actions are legal, indexed by :class:`Action`: (SHIFT, LEFT_ARC, RIGHT_ARC).

    SHIFT needs a non-empty buffer; either arc needs two items on the stack. Only the final
    configuration has no legal action.
    """
    two_on_stack = len(config.stack) >= 2
    return bool(config.buffer), two_on_stack, two_on_stack


def is_final(config: Configuration) -> bool:
    """True when the buffer is empty and only the root is left on the stack."""
    return not config.buffer and len(config.stack) == 1


def apply(config: Configuration, action: int) -> Configuration:
    """The configuration after ``action`` (an :class:`Action` or its int value); ``config`` is unchanged.

    Raises:
        ValueError: the action is unknown or illegal in ``config``.
    """
    action = Action(action)
    if not legal_actions(config)[action]:
        raise ValueError(f"{action.name} is illegal with stack {config.stack} and buffer {config.buffer}")
    if action == SHIFT:
        return Configuration(config.stack + config.buffer[:1], config.buffer[1:], config.heads)
    *rest, second, top = config.stack
    heads = list(config.heads)
    if action == LEFT_ARC:
        heads[second] = top
        return Configuration((*rest, top), config.buffer, tuple(heads))
    heads[top] = second
    return Configuration((*rest, second), config.buffer, tuple(heads))


def run_actions(n: int, actions: Sequence[int]) -> list[Configuration]:
    """Replay ``actions`` (2n - 1,) from ``initial(n)``.

    Returns:
        Every configuration along the way, shape (len(actions) + 1,): the one each action was taken in,
        then the final one.

    Raises:
        ValueError: an action is illegal where taken, or the actions do not end in a final configuration.
    """
    configs = [initial(n)]
    for step, action in enumerate(actions):
        try:
            configs.append(apply(configs[-1], action))
        except ValueError as error:
            raise ValueError(f"action {step} of {len(actions)}: {error}") from error
    if not is_final(configs[-1]):
        raise ValueError(f"{len(actions)} actions leave stack {configs[-1].stack} and buffer {configs[-1].buffer}; "
                         f"a complete parse of {n} tokens takes {2 * n - 1} actions")
    return configs


def heads_from_actions(n: int, actions: Sequence[int]) -> tuple[int, ...]:
    """The tree that ``actions`` (2n - 1,) build over n tokens, as heads (n,) with -1 for the root.

    Raises:
        ValueError: as :func:`run_actions`.
    """
    return run_actions(n, actions)[-1].heads


def oracle_path(heads: Sequence[int]) -> list[tuple[Configuration, Action]]:
    """The static oracle's derivation of a projective tree: each configuration and the action taken in it.

    At every step: LEFT_ARC if the second item's head is the top; else RIGHT_ARC if the top's head is
    the second and the top has collected all its dependents; else SHIFT.

    Args:
        heads: the gold tree, shape (n,), -1 for the root.

    Returns:
        2n - 1 pairs (configuration, action), in order.

    Raises:
        ValueError: ``heads`` is not a tree (see :func:`~reasoning.nsr.symbol_tree.check_heads`) or is
            not projective.
    """
    heads = check_heads(heads)
    node = non_projective_node(heads)
    if node is not None:
        raise ValueError(f"the tree {heads} is not projective: the subtree of token {node} covers "
                         f"{subtree_indices(heads, node)}, not a contiguous span; arc-standard cannot build it")
    missing = [0] * len(heads)  # dependents of each token not attached yet
    for head in heads:
        if head >= 0:
            missing[head] += 1
    config = initial(len(heads))
    path: list[tuple[Configuration, Action]] = []
    while not is_final(config):
        action = SHIFT
        if len(config.stack) >= 2:
            second, top = config.stack[-2:]
            if heads[second] == top:
                action = LEFT_ARC
            elif heads[top] == second and missing[top] == 0:
                action = RIGHT_ARC
        if action != SHIFT:
            missing[config.stack[-1] if action == LEFT_ARC else config.stack[-2]] -= 1
        path.append((config, action))
        config = apply(config, action)
    return path


def oracle(heads: Sequence[int]) -> list[Action]:
    """The static oracle's action sequence (2n - 1,) that builds the projective tree ``heads`` (n,).

    Raises:
        ValueError: as :func:`oracle_path`.
    """
    return [action for _, action in oracle_path(heads)]
