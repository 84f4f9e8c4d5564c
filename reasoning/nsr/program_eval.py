"""The numba interpreter of :mod:`reasoning.nsr.dsl` programs, with bounded recursion.

Every value is one int64 so that the interpreter is a plain recursive function over int64s:

* an ``INT`` value is the natural number itself;
* a ``SEQ`` value is a handle ``start << LEN_BITS | length`` to ``length`` tokens stored at
  ``arena[start:start + length]``. Values are immutable, so ``head``/``tail``/``last``/``init`` return
  views of their argument and only ``concat`` copies (to the top of the arena). The arena starts
  with the identity table ``arena[t] = t``, so ``const_t`` is the view ``(t, 1)`` and costs nothing.

``FAIL`` (-1) is the failure of an evaluation: a partial primitive on the empty sequence, a
sequence longer than the maximum length, a full arena, or a recursion deeper than ``max_depth``
calls or longer than ``max_steps`` node visits. A failure anywhere fails the whole evaluation,
so a divergent program fails quickly instead of hanging.

The code of one evaluation (library functions, then the program) lives in one int64 buffer with
the precomputed end of every subtree, so that a lazy ``if`` can jump to the branch it takes.
:class:`Machine` owns these buffers; :func:`run_program` is the Python entry point.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
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
    ZERO,
    Function,
    Program,
    check_program,
    fill_subtree_ends,
    n_children_of,
)

FAIL = -1
LEN_BITS = 16
LEN_MASK = (1 << LEN_BITS) - 1

# Slots of the int64 ``state`` array shared by the kernels.
STEPS, TOP, BASE, MAX_STEPS, MAX_DEPTH, MAX_LEN = range(6)
N_STATE = 6

Value = int | tuple[int, ...]
"""A Python-side value: a natural number or a tuple of token ids."""


@dataclass(frozen=True)
class EvalLimits:
    """Bounds of one evaluation; exceeding any of them is a failure, never a hang or a crash.

    Attributes:
        max_steps: node visits per evaluation (bounds exponential recursion).
        max_depth: nesting of ``self``/``call_k`` calls (bounds the native stack).
        max_len: the longest sequence value, at most ``2**16 - 1``.
        arena_size: int64 scratch slots for the sequence tokens every ``concat`` writes; the token
            table and the stored inputs get their own room on top (see :class:`Machine`).
    """

    max_steps: int = 200_000
    max_depth: int = 1_000
    max_len: int = 512
    arena_size: int = 1 << 18

    def __post_init__(self) -> None:
        if not 0 < self.max_len <= LEN_MASK:
            raise ValueError(f"EvalLimits.max_len must be in 1..{LEN_MASK}, got {self.max_len}")
        if min(self.max_steps, self.max_depth, self.arena_size) <= 0:
            raise ValueError(f"EvalLimits fields must be positive, got {self}")


# An explicit signature: a cached recursive function whose recursive call is typed differently from
# its entry crashes when loaded from the cache (numba issue #6061); with one signature there is one
# specialisation. The arrays are codes, ends, lib_starts, arena, state.
_EVAL_SIGNATURE = f"int64({', '.join(['int64[::1]'] * 5 + ['int64'] * 6)})"


@njit(_EVAL_SIGNATURE, cache=True)
def _eval(codes, ends, lib_starts, arena, state, node, root, a0, a1, a2, depth):
    """The value of the subtree at ``node`` of the function rooted at ``root``, called with ``a0..a2``."""
    state[STEPS] += 1
    if state[STEPS] > state[MAX_STEPS]:
        return FAIL
    code = codes[node]
    op = code & OP_MASK
    if op == ARG:
        i = code >> OPERAND_SHIFT
        return a0 if i == 0 else (a1 if i == 1 else a2)
    if op in (ZERO, EMPTY):
        return 0  # the number 0 and the sequence handle (0, 0)
    if op == CONST:
        return (code >> OPERAND_SHIFT) << LEN_BITS | 1
    if op in (SELF, CALL):
        if depth >= state[MAX_DEPTH]:
            return FAIL
        b0 = b1 = b2 = 0
        child = node + 1
        for k in range(n_children_of(code)):
            value = _eval(codes, ends, lib_starts, arena, state, child, root, a0, a1, a2, depth)
            if value == FAIL:
                return FAIL
            if k == 0:
                b0 = value
            elif k == 1:
                b1 = value
            else:
                b2 = value
            child = ends[child]
        callee = root if op == SELF else lib_starts[code >> OPERAND_SHIFT]
        return _eval(codes, ends, lib_starts, arena, state, callee, callee, b0, b1, b2, depth + 1)
    first = _eval(codes, ends, lib_starts, arena, state, node + 1, root, a0, a1, a2, depth)
    if first == FAIL:
        return FAIL
    if op in (IF_ZERO, IF_EMPTY):
        empty_or_zero = first == 0 if op == IF_ZERO else (first & LEN_MASK) == 0
        branch = ends[node + 1] if empty_or_zero else ends[ends[node + 1]]
        return _eval(codes, ends, lib_starts, arena, state, branch, root, a0, a1, a2, depth)
    if op == INC:
        return first + 1
    if op == DEC:
        return first - 1 if first > 0 else 0
    length = first & LEN_MASK
    start = first >> LEN_BITS
    if op == CONCAT:
        second = _eval(codes, ends, lib_starts, arena, state, ends[node + 1], root, a0, a1, a2, depth)
        if second == FAIL:
            return FAIL
        second_length = second & LEN_MASK
        if length == 0:
            return second
        if second_length == 0:
            return first
        total = length + second_length
        top = state[TOP]
        if total > state[MAX_LEN] or top + total > arena.shape[0]:
            return FAIL
        second_start = second >> LEN_BITS
        for i in range(length):
            arena[top + i] = arena[start + i]
        for i in range(second_length):
            arena[top + length + i] = arena[second_start + i]
        state[TOP] = top + total
        return top << LEN_BITS | total
    if length == 0:
        return FAIL  # head, tail, last and init are partial
    if op == HEAD:
        return start << LEN_BITS | 1
    if op == TAIL:
        return (start + 1) << LEN_BITS | (length - 1)
    if op == LAST:
        return (start + length - 1) << LEN_BITS | 1
    if op == INIT:
        return start << LEN_BITS | (length - 1)
    return FAIL


@njit(cache=True)
def evaluate(codes, ends, lib_starts, arena, state, root, args) -> int:
    """Evaluate the function rooted at ``codes[root]`` on one argument row.

    Args:
        codes, ends: int64 (n,) node codes and subtree ends of the library and the program.
        lib_starts: int64 (n_library,) root index of each library function.
        arena: int64 (arena_size,) sequence storage; state: int64 (N_STATE,) counters and limits.
        root: index of the function's root node.
        args: int64 (3,) argument values (numbers or sequence handles), unused slots ignored.

    Returns:
        the value (number or sequence handle), or ``FAIL``.
    """
    state[STEPS] = 0
    state[TOP] = state[BASE]
    return _eval(codes, ends, lib_starts, arena, state, root, root, args[0], args[1], args[2], 0)


@njit(cache=True)
def same_value(arena, value, expected, is_sequence) -> bool:
    """Whether two values are equal: numbers by value, sequence handles by their tokens."""
    if value == FAIL or not is_sequence:
        return value == expected
    length = value & LEN_MASK
    if length != expected & LEN_MASK:
        return False
    start = value >> LEN_BITS
    expected_start = expected >> LEN_BITS
    return np.array_equal(arena[start : start + length], arena[expected_start : expected_start + length])


@njit(cache=True)
def count_matches(codes, ends, lib_starts, arena, state, root, example_args, expected, is_sequence, need) -> int:
    """How many examples the function rooted at ``root`` gets right, stopping once ``need`` is out of reach.

    Args:
        codes, ends, lib_starts, arena, state: as for :func:`evaluate`.
        example_args: int64 (n_examples, 3) argument values; expected: int64 (n_examples,) outputs.
        is_sequence: whether the outputs are sequence handles (else numbers).
        need: the caller only cares whether the count reaches ``need``.

    Returns:
        the number of matching examples; a smaller number than ``need`` once ``need`` cannot be reached.
    """
    n = expected.shape[0]
    matched = 0
    for e in range(n):
        if matched + n - e < need:
            break
        value = evaluate(codes, ends, lib_starts, arena, state, root, example_args[e])
        if same_value(arena, value, expected[e], is_sequence):
            matched += 1
    return matched


def _is_natural(value: object) -> bool:
    return isinstance(value, Integral) and not isinstance(value, bool) and value >= 0


def value_type(value: object) -> int:
    """``INT`` for a natural number, ``SEQ`` for a sequence (list, tuple or 1-D array) of token ids.

    Raises:
        ValueError: anything else, e.g. a negative number or a nested list.
    """
    if _is_natural(value):
        return INT
    if isinstance(value, (list, tuple, np.ndarray)) and np.ndim(value) == 1 and all(map(_is_natural, value)):
        return SEQ
    raise ValueError(f"a value is a natural number or a 1-D sequence of token ids >= 0, got {value!r}")


class Machine:
    """The buffers of the kernels: code of a library plus one program, an arena, and the state array.

    Attributes:
        codes, ends: int64 (library nodes + program capacity,) node codes and subtree ends.
        lib_starts: int64 (n_library,) root of each library function in ``codes``.
        program_start: where the program's root goes in ``codes``.
        arena: int64 (n_tokens + stored + arena_size,): the token table ``arena[t] = t``, stored
            values, then scratch.
        state: int64 (N_STATE,): the counters and limits read by the kernels.
    """

    def __init__(
        self, library: Sequence[Function], n_tokens: int, program_capacity: int, limits: EvalLimits, stored: int = 0
    ) -> None:
        """Lay out ``library``, room for a program of ``program_capacity`` nodes, tokens ``0..n_tokens-1``,
        ``stored`` tokens of values to :meth:`store` and ``limits.arena_size`` of scratch."""
        sizes = [function.program.size for function in library]
        self.program_start = sum(sizes)
        self.lib_starts = np.cumsum([0, *sizes[:-1]]).astype(np.int64) if sizes else np.zeros(0, np.int64)
        self.codes = np.zeros(self.program_start + program_capacity, np.int64)
        self.ends = np.zeros_like(self.codes)
        for start, function in zip(self.lib_starts.tolist(), library, strict=True):
            self.codes[start : start + function.program.size] = function.program
            fill_subtree_ends(self.codes, start, function.program.size, self.ends)
        n_tokens = max([n_tokens, *(token_count(function.program) for function in library)])
        self.arena = np.zeros(n_tokens + stored + limits.arena_size, np.int64)
        self.arena[:n_tokens] = np.arange(n_tokens)
        self.state = np.zeros(N_STATE, np.int64)
        self.state[TOP] = self.state[BASE] = n_tokens
        self.state[MAX_STEPS] = limits.max_steps
        self.state[MAX_DEPTH] = limits.max_depth
        self.state[MAX_LEN] = limits.max_len

    def set_program(self, program: Program) -> None:
        """Copy ``program`` (int64 (n_nodes,)) to ``codes[program_start:]`` and compute its subtree ends."""
        size = program.size
        if self.program_start + size > self.codes.size:
            raise ValueError(f"a program of {size} nodes exceeds the capacity this Machine was built with")
        self.codes[self.program_start : self.program_start + size] = program
        fill_subtree_ends(self.codes, self.program_start, size, self.ends)

    def store(self, value: Value, kind: int) -> int:
        """Store a Python value for the kernels: a number as itself, a sequence in the arena (kept across evaluations).

        Returns:
            the int64 value or handle.
        """
        if kind == INT:
            return int(value)
        tokens = np.asarray(value, dtype=np.int64)
        base = int(self.state[BASE])
        if tokens.size > self.state[MAX_LEN]:
            raise ValueError(f"a sequence of {tokens.size} tokens exceeds EvalLimits.max_len={self.state[MAX_LEN]}")
        if base + tokens.size > self.arena.size:
            raise ValueError("the stored values exceed the room this Machine was built with (its `stored`)")
        self.arena[base : base + tokens.size] = tokens
        self.state[[BASE, TOP]] = base + tokens.size
        return base << LEN_BITS | tokens.size

    def load(self, value: int, kind: int) -> Value | None:
        """The Python value of a kernel value (``None`` for ``FAIL``)."""
        if value == FAIL:
            return None
        if kind == INT:
            return int(value)
        start = value >> LEN_BITS
        return tuple(self.arena[start : start + (value & LEN_MASK)].tolist())


def token_count(program: Program) -> int:
    """One more than the largest token id of the program's constants (0 without constants)."""
    codes = np.asarray(program, dtype=np.int64)
    constants = codes[(codes & OP_MASK) == CONST] >> OPERAND_SHIFT
    return int(constants.max()) + 1 if constants.size else 0


def storage_size(values: Iterable[object]) -> int:
    """The arena room :meth:`Machine.store` needs for ``values``: the summed length of the sequences
    among them (natural numbers need none)."""
    return sum(len(value) for value in values if not isinstance(value, Integral))  # type: ignore[arg-type]


def run_program(
    program: Program, args: Sequence[Value], library: Sequence[Function] = (), limits: EvalLimits | None = None
) -> Value | None:
    """Evaluate a program on one tuple of arguments.

    Args:
        program: int64 array (n_nodes,), prefix order (see :mod:`reasoning.nsr.dsl`).
        args: 0..3 values, each a natural number or a sequence of token ids.
        library: the functions ``call_k`` refers to.
        limits: evaluation bounds; :class:`EvalLimits` defaults when None.

    Returns:
        an int, a tuple of token ids, or None when the evaluation fails.

    Raises:
        ValueError: an ill-formed or ill-typed program, or more than 3 or invalid arguments.
    """
    if len(args) > MAX_ARITY:
        raise ValueError(f"a program takes at most {MAX_ARITY} arguments, got {len(args)}")
    arg_types = [value_type(value) for value in args]
    return_type = check_program(program, arg_types, library)
    codes = np.asarray(program, dtype=np.int64)
    machine = Machine(library, token_count(codes), codes.size, limits or EvalLimits(), storage_size(args))
    machine.set_program(codes)
    row = np.zeros(MAX_ARITY, np.int64)
    for i, (value, kind) in enumerate(zip(args, arg_types, strict=True)):
        row[i] = machine.store(value, kind)
    result = evaluate(
        machine.codes, machine.ends, machine.lib_starts, machine.arena, machine.state, machine.program_start, row
    )
    return machine.load(result, return_type)
