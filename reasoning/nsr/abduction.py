"""NSR abduction: the most likely revision of a symbol tree whose root value equals the target.

When the deduced value of a tree's root is wrong, :func:`abduce` searches top-down, best-first, for
the cheapest revision that yields the target. Starting from the goal "the root must take the
target", a goal ``(node, desired value)`` is met by one of

* (a) ``value``: keep the node's program and change the value of one child so that the program
  yields the desired value; the child gets that value as its own goal (inverting the program one
  step, by trying candidate values with the interpreter);
* (b) ``symbol``: change the node's symbol to one whose program yields the desired value from the
  children's current values (perception was wrong); or to one whose program can, after (a) on a child;
* (c) ``semantic``: set the node's value directly (the last resort: the symbol gets an example its
  program disagrees with, from which program induction can learn a new meaning).

A revision is one path from the root down: (a) steps, possibly with (b) on the way, ending in
(b) or (c). Nodes off the path keep their symbols and deduced values. Two independent errors in
different subtrees therefore cannot both be fixed, except by (c) above both.

Costs (:class:`AbductionCosts`) add up along the path; the best-first search pops revisions in
order of cost and returns the first complete one, which is thus the cheapest within
``max_changes`` (b)/(c) changes. (a) steps are free by default and do not count as changes: they
only carry the target down to where a change is made. Among revisions of equal cost the deeper
one wins, then the one made first (so the search is deterministic): an error shows at every
ancestor of the node where it arises, and an ancestor whose program can carry the target down to
a child is consistent with it, so the blame goes to the deepest node the target reaches. E.g. with
a wrong ``twice`` in "jump twice and walk", setting ``twice``'s value costs as much as setting the
root's, and ``twice`` is blamed.

Unknown symbols (no program yet) can only be met by (b) or (c); their value can also be reached
by (a) from their parent, the one child whose value is unknown being the one inverted. A node
with a child whose value is unknown cannot be set by (c) (its example would lack an argument), so
a tree with two unknown leaves under one node is not revisable: the result says ``found=False``
rather than inventing values.
"""

from __future__ import annotations

import heapq
import math
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

import numpy as np

from reasoning.nsr.dsl import INT, SEQ
from reasoning.nsr.program_eval import EvalLimits, Value
from reasoning.nsr.semantics import Semantics, as_value, deduce
from reasoning.nsr.symbol_tree import SymbolTree

VALUE, SYMBOL, SEMANTIC = "value", "symbol", "semantic"


@dataclass(frozen=True)
class AbductionCosts:
    """The cost of each kind of change (non-negative; a revision costs their sum).

    Attributes:
        value: one (a) step, a child's value changed by inverting its parent's program; raise it
            to prefer shallow revisions over the deeper ones equal costs prefer.
        symbol: one (b) change when no ``symbol_log_probs`` are given (else the drop in log-probability).
        semantic: one (c) change on a node whose program takes arguments, or that has no program.
        semantic_constant: one (c) change on a node whose program is a constant. Higher, because a
            constant's meaning is the single value it contradicts, at every other occurrence of the
            symbol, while a program of arguments may just be wrong on arguments it has not seen.
    """

    value: float = 0.0
    symbol: float = 1.0
    semantic: float = 4.0
    semantic_constant: float = 8.0

    def __post_init__(self) -> None:
        for name in ("value", "symbol", "semantic", "semantic_constant"):
            cost = getattr(self, name)
            if not (math.isfinite(cost) and cost >= 0):
                raise ValueError(
                    f"AbductionCosts.{name} must be finite and >= 0 (best-first search needs "
                    f"non-negative costs), got {cost}"
                )


@dataclass(frozen=True)
class Change:
    """One change of a revision.

    Attributes:
        kind: ``"value"`` (a), ``"symbol"`` (b) or ``"semantic"`` (c).
        node: the changed node.
        old: the previous value (``value``: the deduced value, possibly None; ``semantic``: the
            program's output, possibly None) or symbol id (``symbol``).
        new: the new value or symbol id.
    """

    kind: str
    node: int
    old: Value | None
    new: Value

    def __str__(self) -> str:
        return f"{self.kind} of node {self.node}: {self.old!r} -> {self.new!r}"


@dataclass(frozen=True)
class AbductionResult:
    """The outcome of :func:`abduce`.

    Attributes:
        tree: when found, the revised tree with every value set and consistent: each node's value is
            its program applied to its children's values, except nodes changed by (c), which hold the
            abduced value. When not found, the input tree with its deduced values (some may be None).
        changes: the changes of the revision, root first (empty when not found or nothing to change).
        cost: the revision's total cost; 0 when the tree already yields the target, inf when not found.
        found: whether a revision yielding the target was found.
        hit_budget: whether ``max_expansions`` stopped the search or ``max_changes`` cut a branch.
        expansions: how many revisions were expanded.
    """

    tree: SymbolTree
    changes: tuple[Change, ...]
    cost: float
    found: bool
    hit_budget: bool
    expansions: int


@dataclass(frozen=True)
class _Revision:
    """A partial revision: symbols so far, the open goal, the values set along the path, its changes."""

    symbols: tuple[int, ...]
    goal: tuple[int, Value] | None  # (node, desired value); None once complete
    assigned: tuple[tuple[int, Value], ...]  # (node, value) of the path, root first
    changes: tuple[Change, ...]
    n_changes: int  # (b) and (c) changes: what max_changes bounds
    symbol_changed: bool  # the goal node's symbol was already changed by (b)

    def then(self, change: Change, goal: tuple[int, Value] | None, symbols: tuple[int, ...] | None = None) -> _Revision:
        """This revision plus ``change``, working on ``goal`` next (None when complete), with new ``symbols`` if given.

        A ``value`` change records the child's new value on the path and is not counted as a change.
        """
        is_value = change.kind == VALUE
        return _Revision(
            self.symbols if symbols is None else symbols,
            goal,
            (*self.assigned, (change.node, change.new)) if is_value else self.assigned,
            (*self.changes, change),
            self.n_changes + (0 if is_value else 1),
            change.kind == SYMBOL,
        )


def _check_log_probs(symbol_log_probs: object, n_nodes: int, n_symbols: int) -> np.ndarray | None:
    """``symbol_log_probs`` as a float64 (n_nodes, n_symbols) array, or None."""
    if symbol_log_probs is None:
        return None
    log_probs = np.asarray(symbol_log_probs, dtype=np.float64)
    if log_probs.shape != (n_nodes, n_symbols):
        raise ValueError(
            f"symbol_log_probs has shape {log_probs.shape} but the tree has {n_nodes} nodes and the "
            f"semantics {n_symbols} symbols; give one row of log-probabilities per node"
        )
    if np.isnan(log_probs).any() or (log_probs > 1e-6).any():  # float32 log_softmax may round a bit above 0
        raise ValueError("symbol_log_probs must be log-probabilities (<= 0, no NaN), e.g. log_softmax outputs")
    return log_probs


def _check_ints(candidate_ints: Iterable[int]) -> list[int]:
    """The candidate numbers as a list of ints, in order, each once."""
    ints = [int(value) for value in candidate_ints]
    if any(value < 0 for value in ints):
        raise ValueError(f"candidate_ints must be natural numbers, got negatives {[v for v in ints if v < 0]}")
    return list(dict.fromkeys(ints))


class _Search:
    """The successors of partial revisions of one tree, with the program outputs they need memoized."""

    def __init__(
        self,
        tree: SymbolTree,
        semantics: Semantics,
        deduced: Sequence[Value | None],
        log_probs: np.ndarray | None,
        ints: list[int],
        costs: AbductionCosts,
        limits: EvalLimits | None,
        max_changes: int,
        penalties: Sequence[float] | None = None,
    ) -> None:
        self.semantics = semantics
        self.penalties = penalties
        self.deduced = deduced
        self.log_probs = log_probs
        self.ints = ints
        self.costs = costs
        self.limits = limits
        self.max_changes = max_changes
        self.children = [tree.children(node) for node in range(len(tree))]
        # The symbols each node may be perceived as (those of finite log-probability), in increasing order.
        every = range(semantics.n_symbols)
        self.alternatives = [every if log_probs is None else np.flatnonzero(np.isfinite(log_probs[node])).tolist()
                             for node in range(len(tree))]
        self.cut_by_changes = False
        self._outputs: dict[tuple[int, int], Value | None] = {}

    def output(self, symbol: int, node: int) -> Value | None:
        """The value ``node`` takes with ``symbol`` and its children's deduced values."""
        key = (symbol, node)
        if key not in self._outputs:
            args = tuple(self.deduced[child] for child in self.children[node])
            self._outputs[key] = self.semantics.apply(symbol, args, self.limits)
        return self._outputs[key]

    def symbol_cost(self, node: int, old: int, new: int) -> float:
        """Cost of perceiving ``node`` as ``new`` instead of ``old``: the drop in log-probability, clipped at 0."""
        if self.log_probs is None:
            return self.costs.symbol
        new_log_prob = float(self.log_probs[node, new])
        if new_log_prob == -math.inf:
            return math.inf  # also when ``old`` is impossible too, where the difference would be NaN
        return max(0.0, float(self.log_probs[node, old]) - new_log_prob)

    def candidates(self, kind: int, desired: Value, current: Value | None) -> list[Value]:
        """Values of type ``kind`` to try for a child: contiguous pieces of a sequence goal, or the candidate ints.

        The child's current value is left out: the goal is open because the program fails to give the
        desired value with it.
        """
        if kind == SEQ:
            pieces: list[Value] = [()]
            if isinstance(desired, tuple):
                pieces.extend(
                    desired[start:stop] for start in range(len(desired)) for stop in range(start + 1, len(desired) + 1)
                )
        else:
            pieces = list(self.ints)
        if current is not None and (kind == INT) == isinstance(current, int):
            pieces.append(current)
        return [value for value in dict.fromkeys(pieces) if value != current]

    def successors(self, revision: _Revision) -> list[tuple[float, _Revision]]:
        """(step cost, revision) for every way to work on the goal of ``revision``."""
        assert revision.goal is not None
        node, desired = revision.goal
        symbol = revision.symbols[node]
        children = self.children[node]
        child_values = tuple(self.deduced[child] for child in children)
        found: list[tuple[float, _Revision]] = []

        if not revision.symbol_changed:
            for other in self.alternatives[node]:
                if other == symbol or self.semantics.arity(other) != len(children):
                    continue
                step = self.symbol_cost(node, symbol, other)
                if not math.isfinite(step):
                    continue
                if revision.n_changes >= self.max_changes:
                    self.cut_by_changes = True
                    break
                symbols = (*revision.symbols[:node], other, *revision.symbols[node + 1 :])
                done = self.output(other, node) == desired
                change = Change(SYMBOL, node, symbol, other)
                found.append((step, revision.then(change, None if done else revision.goal, symbols)))

        function = self.semantics.function(symbol)
        if function is not None and len(function.arg_types) == len(children):
            for i, child in enumerate(children):
                if any(value is None for j, value in enumerate(child_values) if j != i):
                    continue
                values = self.candidates(function.arg_types[i], desired, child_values[i])
                rows = [(*child_values[:i], value, *child_values[i + 1 :]) for value in values]
                outputs = self.semantics.apply_many(symbol, rows, self.limits)
                for value, output in zip(values, outputs, strict=True):
                    if output == desired:
                        change = Change(VALUE, child, child_values[i], value)
                        found.append((self.costs.value, revision.then(change, (child, value))))

        # (c) after (b) on the same node is never cheaper than (c) alone.
        if not revision.symbol_changed and all(value is not None for value in child_values):
            if revision.n_changes >= self.max_changes:
                self.cut_by_changes = True
            else:
                constant = function is not None and not function.arg_types
                step = self.costs.semantic_constant if constant else self.costs.semantic
                if self.penalties is not None:
                    step += self.penalties[symbol]
                if math.isfinite(step):
                    change = Change(SEMANTIC, node, self.output(symbol, node), desired)
                    found.append((step, revision.then(change, None)))
        return found


def abduce(
    tree: SymbolTree,
    semantics: Semantics,
    target: object,
    *,
    symbol_log_probs: object = None,
    max_changes: int = 3,
    max_expansions: int = 2000,
    candidate_ints: Iterable[int] = range(0, 101),
    costs: AbductionCosts | None = None,
    limits: EvalLimits | None = None,
    semantic_penalties: Sequence[float] | None = None,
) -> AbductionResult:
    """The cheapest revision of ``tree`` whose root value is ``target`` (module docstring).

    Args:
        tree: a tree of n nodes; its ``values`` are ignored (recomputed with :func:`deduce`).
        semantics: the meaning of every symbol.
        target: the value the root must take: a natural number or a sequence of token ids.
        symbol_log_probs: (n, n_symbols) log-probabilities of each node's symbol (perception); a (b)
            change costs ``max(0, log p(old) - log p(new))``; ``costs.symbol`` each when None.
        max_changes: the most (b) and (c) changes in a revision.
        max_expansions: the most partial revisions expanded before giving up.
        candidate_ints: the numbers tried for a number child in (a) (besides its current value);
            sequence children try every contiguous piece of the desired sequence, the empty one included.
        costs: the cost of each kind of change; :class:`AbductionCosts` defaults when None.
        limits: evaluation bounds of the programs; defaults when None.
        semantic_penalties: (n_symbols,) extra cost of a (c) change on each symbol (inf: never),
            e.g. for meanings whose examples contradicted each other before; none when None.

    Returns:
        an :class:`AbductionResult`; the unchanged tree with cost 0 when it already yields ``target``.

    Raises:
        ValueError: an invalid target, log-probabilities of the wrong shape, negative candidate ints,
            negative limits, or a symbol outside the semantics.
    """
    if max_changes < 0 or max_expansions < 0:
        raise ValueError(f"max_changes and max_expansions must be >= 0, got {max_changes} and {max_expansions}")
    goal_value = as_value(target)
    log_probs = _check_log_probs(symbol_log_probs, len(tree), semantics.n_symbols)
    deduced = deduce(tree, semantics, limits)
    root = tree.root
    if deduced[root] == goal_value:
        return AbductionResult(tree.with_values(deduced), (), 0.0, True, False, 0)

    search = _Search(
        tree, semantics, deduced, log_probs, _check_ints(candidate_ints), costs or AbductionCosts(), limits,
        max_changes, semantic_penalties,
    )
    start = _Revision(tree.symbols, (root, goal_value), ((root, goal_value),), (), 0, False)
    # (cost, minus the depth of the goal, order made, revision): deeper first among equal costs.
    heap: list[tuple[float, int, int, _Revision]] = [(0.0, 0, 0, start)]
    made = 1
    expansions = 0
    while heap:
        cost, _, _, revision = heapq.heappop(heap)
        if revision.goal is None:
            values = list(deduced)
            for node, value in revision.assigned:
                values[node] = value
            return AbductionResult(
                tree.with_symbols(revision.symbols, values),
                revision.changes,
                cost,
                True,
                search.cut_by_changes,
                expansions,
            )
        if expansions >= max_expansions:
            return AbductionResult(tree.with_values(deduced), (), math.inf, False, True, expansions)
        expansions += 1
        for step, successor in search.successors(revision):
            heapq.heappush(heap, (cost + step, 1 - len(successor.assigned), made, successor))
            made += 1
    return AbductionResult(tree.with_values(deduced), (), math.inf, False, search.cut_by_changes, expansions)
