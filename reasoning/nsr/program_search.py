"""Enumerative program induction: the smallest program of :mod:`reasoning.nsr.dsl` that fits examples.

:func:`induce` enumerates well-typed programs in order of increasing size (number of nodes) and
returns the first one that maps every example's arguments to its output; NSR's abduction uses it
to find the semantics of a symbol from the values its node should take.

Split between Python and numba: Python checks the examples, lays out the buffers and builds the
*choice table* (every node the search may place: arguments, primitives, token constants, ``self``
and library calls, with their types). Everything per program runs in numba: a depth-first
enumeration of prefix-order trees of one size at a time, the pruning, and the evaluation on the
examples. The kernel works in resumable chunks so that Python can check the time budget between
chunks; the order of the enumeration does not depend on the chunking, so the search is
deterministic (when the time budget cuts it, only how far it got depends on the machine).

Enumeration: a partial program is a prefix of nodes plus a stack of open *holes* (typed child
slots still to fill). Position ``pos`` fills the top hole with the next choice that has the hole's
type, leaves room for the open holes in the remaining size, and passes the pruning rules.

Pruning. A rule skips a program only when a kept program that is smaller, or of the same size and
equivalent, is at least as good: it returns the same value wherever the skipped one succeeds. So
neither the first consistent program nor the best partial one is lost (failures abort the whole
evaluation, so a dominating subprogram makes a dominating program, ``self`` calls included):

* ``self`` only inside a branch of an ``if`` (elsewhere it always recurses), never with the
  function's own arguments unchanged, and every program needs a path that returns without ``self``.
* an ``if`` whose condition does not depend on the arguments, whose condition's root makes it
  constant (``zero``, ``inc``, ``empty``, ``const``, ``head``, ``last``), whose branches are equal,
  or that tests an argument an enclosing ``if`` already tests.
* an argument inside the then-branch of an ``if`` testing it: it is written ``zero``/``empty``
  there (when the primitive set has that constant).
* ``dec(zero)``, ``dec(inc(a))``; ``head``/``last``/``tail``/``init`` of ``head``, ``last``, ``empty``
  or a constant (for ``tail``/``init`` only when ``empty`` is available); ``concat`` with an
  ``empty`` operand; ``concat(concat(a, b), c)`` (kept as ``concat(a, concat(b, c))``).

Programs that ignore their arguments are *not* pruned, even with arity > 0: a constant can be the
answer (all outputs equal) and can be the best partial program. Observational equivalence is not
used: a subprogram under ``self`` is evaluated on arguments other than the examples', so two
subprograms equal on the examples may differ inside a recursion.
"""

from __future__ import annotations

import time
from collections.abc import Sequence
from dataclasses import dataclass
from numbers import Integral

import numpy as np
from numba import njit

from reasoning.nsr.dsl import (
    ARG,
    CALL,
    CONCAT,
    CONST,
    DEC,
    EMPTY,
    FIXED_SIGNATURES,
    HEAD,
    IF_EMPTY,
    IF_ZERO,
    INC,
    INIT,
    INT,
    LAST,
    MAX_ARITY,
    OP_MASK,
    OPERAND_SHIFT,
    SELF,
    SEQ,
    TAIL,
    TYPE_NAMES,
    ZERO,
    Function,
    PrimitiveSet,
    Program,
    encode_node,
    fill_subtree_ends,
    n_children_of,
    op_of,
    operand_of,
)
from reasoning.nsr.program_eval import EvalLimits, Machine, Value, count_matches, storage_size, value_type

SAME = -1  # in the choice table: "the type of the hole" (the result and branches of an if)
ROOT_HOLE = -1  # a hole is ``parent_position * 4 + child_index``, the root's is ROOT_HOLE

# Rows of the int64 ``dfs`` array, one column per program position (STACK: one per open hole).
CHOICE, HOLE, TYPE, CONTEXT, STACK = range(5)
# Context bits of a hole: inside a branch of an if (where self may go); bit i of ZEROED_ARGS: argument
# i is 0 or empty here (the then-branch of an if testing it: it must be written ``zero``/``empty``);
# bit i of DECIDED_ARGS: an enclosing if tests argument i (testing it again is redundant).
GUARDED = 1
ZEROED_ARGS = 1 << 1
DECIDED_ARGS = 1 << (1 + MAX_ARITY)
# Slots of the int64 ``settings`` array: the search's constants.
RETURN_TYPE, ARITY, CONSTANT_ARGS, HAS_EMPTY, MAX_SIZE, ALL_ARGS = range(6)
# Slots of the int64 ``meta`` array.
SIZE, POS, N_OPEN, EVALUATED, BEST_MATCHES, BEST_SIZE = range(6)
# What a chunk of the search ended with.
MORE, FOUND, EXHAUSTED = range(3)


@dataclass(frozen=True)
class SearchResult:
    """The outcome of :func:`induce`.

    Attributes:
        program: int64 (n_nodes,) prefix order: the first program consistent with every example,
            else the best one seen (most examples matched, then smallest); None when no program
            matched any example.
        n_consistent: how many examples ``program`` matches.
        n_examples: how many examples there were.
        n_evaluated: how many programs were evaluated (pruned programs are not counted).
        hit_budget: True when the search stopped on the time or size budget without a consistent program.
        seconds: wall time of the search, numba compilation or cache loading included.
        arg_types: the argument types read from the examples.
        return_type: the output type read from the examples.
    """

    program: Program | None
    n_consistent: int
    n_examples: int
    n_evaluated: int
    hit_budget: bool
    seconds: float
    arg_types: tuple[int, ...]
    return_type: int

    def as_function(self, name: str) -> Function:
        """The found program as a library function named ``name``; ValueError when there is none."""
        if self.program is None:
            raise ValueError("the search found no program; there is nothing to add to a library")
        return Function(name, self.program, self.arg_types, self.return_type)


@njit(cache=True)
def _start_size(dfs: np.ndarray, meta: np.ndarray, size: int) -> None:
    """Reset the enumeration to the first program of ``size`` nodes: one open hole, the root."""
    meta[SIZE] = size
    meta[POS] = 0
    meta[N_OPEN] = 1
    dfs[STACK, 0] = ROOT_HOLE
    dfs[CHOICE, 0] = -1


@njit(cache=True)
def _locally_redundant(code: int, parent_code: int, child_index: int, context: int, has_empty: int) -> bool:
    """Whether placing ``code`` as child ``child_index`` of ``parent_code`` is dominated (module docstring).

    ``context`` is the hole's context bits (``ZEROED``/``DECIDED`` masks); ``has_empty``: whether
    ``empty`` is a choice, which the rules that produce an empty sequence need.
    """
    op = op_of(code)
    parent = op_of(parent_code)
    if op == ARG and context >> operand_of(code) & ZEROED_ARGS:
        return True
    if parent == DEC:
        return op in (ZERO, INC)
    if parent in (IF_ZERO, IF_EMPTY):
        if child_index != 0:
            return False
        return op in (ZERO, INC, EMPTY, CONST, HEAD, LAST) or (op == ARG and context >> operand_of(code) & DECIDED_ARGS)
    if parent in (HEAD, LAST):
        return op in (HEAD, LAST, EMPTY, CONST)
    if parent in (TAIL, INIT):
        return op == EMPTY or (has_empty == 1 and op in (HEAD, LAST, CONST))
    if parent == CONCAT:
        return op == EMPTY or (child_index == 0 and op == CONCAT)
    return False


@njit(cache=True)
def _hole_context(dfs, codes, start, parent, child_index, constant_args) -> int:
    """The context bits of child ``child_index`` of the node at position ``parent``."""
    context = dfs[CONTEXT, parent]
    parent_op = op_of(codes[start + parent])
    if child_index == 0 or parent_op not in (IF_ZERO, IF_EMPTY):
        return context
    context |= GUARDED
    condition = codes[start + parent + 1]
    if op_of(condition) == ARG:
        arg = operand_of(condition)
        context |= DECIDED_ARGS << arg
        if child_index == 1 and constant_args >> arg & 1:
            context |= ZEROED_ARGS << arg
    return context


@njit(cache=True)
def _undo(dfs: np.ndarray, codes: np.ndarray, start: int, pos: int, n_open: int) -> int:
    """Take back the node at ``pos``: pop its children's holes, push back the hole it filled; the new n_open."""
    n_open -= n_children_of(codes[start + pos])
    dfs[STACK, n_open] = dfs[HOLE, pos]
    return n_open + 1


@njit(cache=True)
def _next_program(dfs, meta, codes, start, choice_codes, choice_types, child_types, settings) -> bool:
    """Advance the enumeration to the next complete program of ``meta[SIZE]`` nodes.

    The program is written to ``codes[start:start + size]``; ``dfs``/``meta`` hold the resumable state.

    Returns:
        False when every program of this size has been produced.
    """
    size = meta[SIZE]
    pos = meta[POS]
    n_open = meta[N_OPEN]
    if pos == size:  # resume after the previous complete program
        pos -= 1
        n_open = _undo(dfs, codes, start, pos, n_open)
    n_choices = choice_codes.shape[0]
    while pos >= 0:
        hole = dfs[STACK, n_open - 1]
        if hole == ROOT_HOLE:
            hole_type, context, parent_code, child_index = settings[RETURN_TYPE], 0, -1, 0
        else:
            parent = hole >> 2
            child_index = hole & 3
            parent_code = codes[start + parent]
            hole_type = child_types[dfs[CHOICE, parent], child_index]
            if hole_type == SAME:
                hole_type = dfs[TYPE, parent]
            context = _hole_context(dfs, codes, start, parent, child_index, settings[CONSTANT_ARGS])
        remaining = size - pos - 1
        choice = dfs[CHOICE, pos] + 1
        while choice < n_choices:
            code = choice_codes[choice]
            n_open_after = n_open - 1 + n_children_of(code)
            if (
                (choice_types[choice] == hole_type or choice_types[choice] == SAME)
                and n_open_after <= remaining
                and (n_open_after > 0 or remaining == 0)
                and (context & GUARDED or op_of(code) != SELF)
                and not _locally_redundant(code, parent_code, child_index, context, settings[HAS_EMPTY])
            ):
                break
            choice += 1
        if choice == n_choices:  # exhausted at pos: backtrack
            pos -= 1
            if pos >= 0:
                n_open = _undo(dfs, codes, start, pos, n_open)
            continue
        code = choice_codes[choice]
        dfs[CHOICE, pos] = choice
        dfs[HOLE, pos] = hole
        dfs[TYPE, pos] = hole_type
        dfs[CONTEXT, pos] = context
        codes[start + pos] = code
        n_open -= 1
        for j in range(n_children_of(code) - 1, -1, -1):  # child 0 ends on top: prefix order
            dfs[STACK, n_open] = pos * 4 + j
            n_open += 1
        pos += 1
        if pos == size:
            meta[POS] = pos
            meta[N_OPEN] = n_open
            return True
        dfs[CHOICE, pos] = -1
    meta[POS] = -1
    return False


@njit(cache=True)
def _same_subtree(codes: np.ndarray, ends: np.ndarray, a: int, b: int) -> bool:
    """Whether the subtrees rooted at nodes a and b are identical."""
    return np.array_equal(codes[a : ends[a]], codes[b : ends[b]])


@njit(cache=True)
def _redundant_program(codes, ends, start, size, arity, uses_input, can_return) -> bool:
    """Whether a complete program breaks a whole-program pruning rule (module docstring).

    ``uses_input``/``can_return`` are int64 scratch arrays of at least ``size`` entries.
    """
    for i in range(start + size - 1, start - 1, -1):  # children before parents
        code = codes[i]
        op = op_of(code)
        uses = 1 if op in (ARG, SELF) else 0
        returns = 0 if op == SELF else 1
        child = i + 1
        for _ in range(n_children_of(code)):
            uses |= uses_input[child - start]
            returns &= can_return[child - start]
            child = ends[child]
        if op in (IF_ZERO, IF_EMPTY):
            condition = i + 1
            then_branch = ends[condition]
            else_branch = ends[then_branch]
            if uses_input[condition - start] == 0 or _same_subtree(codes, ends, then_branch, else_branch):
                return True
            either_branch = can_return[then_branch - start] | can_return[else_branch - start]
            returns = can_return[condition - start] & either_branch
        if op == SELF:
            unchanged = True
            for j in range(arity):
                if codes[i + 1 + j] != ARG | j << OPERAND_SHIFT:
                    unchanged = False
                    break
            if unchanged:
                return True
        uses_input[i - start] = uses
        can_return[i - start] = returns
    return can_return[0] == 0


@njit(cache=True)
def _uses_every_argument(codes: np.ndarray, start: int, size: int, arity: int) -> bool:
    """Whether the program of ``size`` nodes at ``start`` reads each of its ``arity`` arguments."""
    seen = 0
    for i in range(start, start + size):
        if op_of(codes[i]) == ARG:
            seen |= 1 << operand_of(codes[i])
    return seen == (1 << arity) - 1


@njit(cache=True)
def _search_chunk(
    dfs, meta, best, scratch, codes, ends, lib_starts, arena, state, start, choice_codes, choice_types, child_types,
    settings, example_args, expected, max_visits,
) -> int:  # fmt: skip
    """Enumerate and test up to ``max_visits`` programs, resuming where the previous chunk stopped.

    Args:
        dfs: int64 (5, max_size + 4) enumeration state; meta: int64 (6,) sizes and counters.
        best: int64 (max_size,) the best program so far; scratch: int64 (2, max_size).
        codes, ends, lib_starts, arena, state: the :class:`Machine` buffers; ``start`` the program's root.
        choice_codes: int64 (n_choices,) node codes; choice_types: int64 (n_choices,) result types
            (``SAME`` for ifs); child_types: int64 (n_choices, 3) child types (``SAME`` for if branches).
        settings: int64 (6,) the constants of the search (RETURN_TYPE ... ALL_ARGS).
        example_args: int64 (n_examples, 3) argument values; expected: int64 (n_examples,) outputs.
        max_visits: how many programs to enumerate in this chunk.

    Returns:
        FOUND, EXHAUSTED (every size up to max_size done) or MORE.
    """
    n_examples = expected.shape[0]
    is_sequence = settings[RETURN_TYPE] == SEQ
    for _ in range(max_visits):
        size = meta[SIZE]
        if not _next_program(dfs, meta, codes, start, choice_codes, choice_types, child_types, settings):
            if size >= settings[MAX_SIZE]:
                return EXHAUSTED
            _start_size(dfs, meta, size + 1)
            continue
        fill_subtree_ends(codes, start, size, ends)
        if _redundant_program(codes, ends, start, size, settings[ARITY], scratch[0], scratch[1]):
            continue
        if settings[ALL_ARGS] and not _uses_every_argument(codes, start, size, settings[ARITY]):
            continue
        meta[EVALUATED] += 1
        need = meta[BEST_MATCHES] + 1
        matched = count_matches(codes, ends, lib_starts, arena, state, start, example_args, expected, is_sequence, need)
        if matched >= need:
            meta[BEST_MATCHES] = matched
            meta[BEST_SIZE] = size
            best[:size] = codes[start : start + size]
            if matched == n_examples:
                return FOUND
    return MORE


def search_limits(examples: Sequence[tuple[Sequence[Value], Value]]) -> EvalLimits:
    """Evaluation bounds for a search on ``examples``: tight, so that divergent candidates fail fast.

    Recursion may nest ``2 * largest + 8`` calls, ``largest`` being the largest argument (a number's
    value, a sequence's length): enough for structural recursion on an argument, also through a
    library function recursing on another one (``mul`` calling ``add``), while a candidate that
    never reaches its base case fails after a few dozen calls instead of a thousand.

    Args:
        examples: ``(args, output)`` pairs as for :func:`induce`.

    Returns:
        the bounds; pass your own :class:`EvalLimits` to :func:`induce` for deeper recursion.
    """
    sizes = [value if isinstance(value, Integral) else len(value) for args, _ in examples for value in args]
    return EvalLimits(max_steps=10_000, max_depth=min(2 * max(sizes, default=0) + 8, 1_000), arena_size=1 << 16)


def _read_examples(examples: Sequence[tuple[Sequence[Value], Value]]) -> tuple[tuple[int, ...], int]:
    """(argument types, output type) shared by all examples; ValueError when they disagree."""
    if len(examples) == 0:
        raise ValueError("induce needs at least one (args, output) example")
    signatures = set()
    for i, example in enumerate(examples):
        if len(example) != 2:
            raise ValueError(f"example {i} must be a pair (args_tuple, output), got {example!r}")
        args, output = example
        if len(args) > MAX_ARITY:
            raise ValueError(f"example {i} has {len(args)} arguments; programs take at most {MAX_ARITY}")
        signatures.add((tuple(value_type(value) for value in args), value_type(output)))
    if len(signatures) > 1:
        described = sorted(f"({', '.join(TYPE_NAMES[t] for t in a)}) -> {TYPE_NAMES[r]}" for a, r in signatures)
        raise ValueError(f"the examples disagree on arity or types: {described}; give every example the same shape")
    return signatures.pop()


def _output_tokens(examples: Sequence[tuple[Sequence[Value], Value]], return_type: int) -> set[int]:
    """The token ids occurring in the example outputs (none for number outputs)."""
    if return_type != SEQ:
        return set()
    return {int(t) for _, output in examples for t in np.asarray(output).tolist()}


def _choice_table(
    primitives: PrimitiveSet,
    arg_types: tuple[int, ...],
    return_type: int,
    library: Sequence[Function],
    tokens: list[int],
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Every node the search may place, in the order it tries them.

    Returns:
        (codes (n,), result types (n,), child types (n, 3)), int64, ``SAME`` for the hole's type.
        Choices that need a value of a type nothing can produce are left out.
    """
    rows: list[tuple[int, int, tuple[int, ...]]] = [(encode_node(ARG, i), t, ()) for i, t in enumerate(arg_types)]
    for op in primitives.ops:
        if op == SELF:
            rows.append((encode_node(SELF, 0, len(arg_types)), return_type, arg_types))
            continue
        result, params = FIXED_SIGNATURES[op]
        row_type = SAME if result is None else result
        child_list = tuple(SAME if t is None else t for t in params)
        operands = tokens if op == CONST else [0]
        rows.extend((encode_node(op, operand), row_type, child_list) for operand in operands)
    for k, function in enumerate(library):
        rows.append((encode_node(CALL, k, len(function.arg_types)), function.return_type, function.arg_types))

    # The types some self-free program can build (ifs and self create no new ones).
    inhabited: set[int] = set()
    grew = True
    while grew:
        grew = False
        for code, result, params in rows:
            if result not in (SAME, *inhabited) and code & OP_MASK != SELF and set(params) <= inhabited:
                inhabited.add(result)
                grew = True
    if return_type not in inhabited:
        raise ValueError(
            f"no program of these primitives returns a {TYPE_NAMES[return_type]}; add primitives that build one"
        )
    usable = [row for row in rows if {row[1], *row[2]} - {SAME} <= inhabited]
    child_types = np.full((len(usable), MAX_ARITY), SAME, np.int64)
    for i, (_, _, params) in enumerate(usable):
        child_types[i, : len(params)] = params
    return (
        np.array([row[0] for row in usable], np.int64),
        np.array([row[1] for row in usable], np.int64),
        child_types,
    )


def _settings(primitives: PrimitiveSet, arg_types: tuple[int, ...], return_type: int, max_size: int,
              every_argument: bool) -> np.ndarray:
    """The int64 (6,) ``settings`` array of the kernel."""
    settings = np.zeros(ALL_ARGS + 1, np.int64)
    settings[RETURN_TYPE] = return_type
    settings[ARITY] = len(arg_types)
    # Arguments that, where an if has found them 0 or empty, can be written as the constant instead.
    constant_of_type = {INT: ZERO, SEQ: EMPTY}
    settings[CONSTANT_ARGS] = sum(1 << i for i, t in enumerate(arg_types) if constant_of_type[t] in primitives.ops)
    settings[HAS_EMPTY] = EMPTY in primitives.ops
    settings[MAX_SIZE] = max_size
    settings[ALL_ARGS] = every_argument
    return settings


def induce(
    examples: Sequence[tuple[Sequence[Value], Value]],
    primitives: PrimitiveSet,
    max_size: int,
    time_budget_s: float,
    library: Sequence[Function] | None = None,
    limits: EvalLimits | None = None,
    every_argument: bool = False,
) -> SearchResult:
    """Find the smallest program mapping every example's arguments to its output.

    Args:
        examples: ``(args, output)`` pairs, all of one shape: ``args`` holds 0..3 values, each a
            natural number or a sequence of token ids; ``output`` likewise.
        primitives: the primitives the program may use (arguments and library calls always).
        max_size: the largest program size (nodes) to try.
        time_budget_s: wall-clock budget; checked between chunks, so the search overshoots it by a
            chunk (milliseconds) and always evaluates at least one chunk.
        library: functions the program may call as ``call_k``.
        limits: evaluation bounds for each example; :func:`search_limits` of the examples when None.
        every_argument: only programs that read each of their arguments (a meaning that ignores a
            child is the last thing to believe when the examples do not show it).

    Returns:
        a :class:`SearchResult`; ``hit_budget`` is True unless a consistent program was found.

    Raises:
        ValueError: no examples, examples of different shapes, invalid values, max_size < 1, or
            primitives that cannot build a value of the output type.
    """
    started = time.perf_counter()
    if max_size < 1:
        raise ValueError(f"max_size must be >= 1 (program nodes), got {max_size}")
    arg_types, return_type = _read_examples(examples)
    library = tuple(library or ())
    allowed = _output_tokens(examples, return_type)
    if primitives.tokens is not None:
        allowed &= set(primitives.tokens)
    tokens = sorted(allowed) if CONST in primitives.ops else []
    choice_codes, choice_types, child_types = _choice_table(primitives, arg_types, return_type, library, tokens)

    values = [value for args, output in examples for value in (*args, output)]
    machine = Machine(library, max(tokens, default=-1) + 1, max_size, limits or search_limits(examples),
                      storage_size(values))
    example_args = np.zeros((len(examples), MAX_ARITY), np.int64)
    expected = np.zeros(len(examples), np.int64)
    for e, (args, output) in enumerate(examples):
        for i, (value, kind) in enumerate(zip(args, arg_types, strict=True)):
            example_args[e, i] = machine.store(value, kind)
        expected[e] = machine.store(output, return_type)

    settings = _settings(primitives, arg_types, return_type, max_size, every_argument)
    dfs = np.zeros((STACK + 1, max_size + MAX_ARITY + 1), np.int64)
    meta = np.zeros(BEST_SIZE + 1, np.int64)
    best = np.zeros(max_size, np.int64)
    scratch = np.zeros((2, max_size), np.int64)
    _start_size(dfs, meta, 1)
    visits = 1 << 10
    while True:
        status = _search_chunk(
            dfs, meta, best, scratch, machine.codes, machine.ends, machine.lib_starts, machine.arena, machine.state,
            machine.program_start, choice_codes, choice_types, child_types, settings, example_args, expected, visits,
        )  # fmt: skip
        if status != MORE or time.perf_counter() - started >= time_budget_s:
            break
        visits = min(visits * 2, 1 << 16)  # short first chunks keep the overshoot of tiny budgets small
    n_consistent = int(meta[BEST_MATCHES])
    return SearchResult(
        program=best[: meta[BEST_SIZE]].copy() if n_consistent > 0 else None,
        n_consistent=n_consistent,
        n_examples=len(examples),
        n_evaluated=int(meta[EVALUATED]),
        hit_budget=status != FOUND,
        seconds=time.perf_counter() - started,
        arg_types=arg_types,
        return_type=return_type,
    )
