"""The program language of NSR's semantics module: opcodes, the program encoding, typing and printing.

A program computes the value of one node of a symbol tree from the values of its children (up to 3
arguments). Values are of two types: natural numbers (``INT``, HINT arithmetic) and sequences of
token ids (``SEQ``, SCAN and PCFG outputs).

A program is a 1-D int64 numpy array of nodes in prefix order (:data:`Program`). Each node is one
integer that packs its opcode, an operand and its number of children::

    code = opcode | n_children << 5 | operand << 8

The operand is the argument index of ``ARG``, the token id of ``CONST`` and the library index of
``CALL``. Storing the number of children in the node makes a program self-describing: ``self`` and
``call_k`` have as many children as the called function has arguments, and the interpreter and the
printer need no outside information to find where a subtree ends.

Primitives (``a``, ``b``, ``c`` are subprograms):

==================  =====================================================================
``arg0..arg2``      the i-th argument
``zero``            0
``inc(a)``          a + 1
``dec(a)``          max(a - 1, 0)
``if_zero(c,a,b)``  ``a`` if ``c == 0`` else ``b``; only the taken branch is evaluated
``empty``           the empty sequence
``const_t``         the one-token sequence ``[t]``
``concat(a, b)``    ``a + b``; fails past the maximum sequence length
``head(a)``         ``[a[0]]``; fails on the empty sequence (so do ``tail``, ``last``, ``init``)
``tail(a)``         ``a[1:]``
``last(a)``         ``[a[-1]]``
``init(a)``         ``a[:-1]``
``if_empty(c,a,b)`` ``a`` if ``c`` is empty else ``b``; lazy like ``if_zero``
``self(...)``       the program being defined, called recursively on new arguments
``call_k(...)``     the k-th function of a library (programs induced earlier for other symbols)
==================  =====================================================================

The ``if`` primitives are polymorphic: their branches may be of either type, their condition is
``INT`` (``if_zero``) or ``SEQ`` (``if_empty``).
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
from numba import njit

Program = np.ndarray
"""A program: int64 array of shape (n_nodes,), nodes in prefix order, encoded by :func:`encode_node`."""

# Value types.
INT = 0
SEQ = 1
TYPE_NAMES: tuple[str, ...] = ("int", "seq")

# Opcodes.
ARG, ZERO, INC, DEC, IF_ZERO, SELF, CALL, EMPTY, CONST, CONCAT, HEAD, TAIL, LAST, INIT, IF_EMPTY = range(15)
N_OPS = 15
OP_NAMES: tuple[str, ...] = (
    "arg", "zero", "inc", "dec", "if_zero", "self", "call", "empty", "const", "concat", "head", "tail", "last",
    "init", "if_empty",
)  # fmt: skip

MAX_ARITY = 3
OP_BITS = 5
CHILD_BITS = 3
OPERAND_SHIFT = OP_BITS + CHILD_BITS
OP_MASK = (1 << OP_BITS) - 1
CHILD_MASK = (1 << CHILD_BITS) - 1

# Signatures of the opcodes whose typing does not depend on context: (result type, child types).
# ``None`` is "the type of the hole the node fills" (the branches and result of the polymorphic ifs).
# ARG, SELF and CALL are typed by the function being defined and by the library.
FIXED_SIGNATURES: dict[int, tuple[int | None, tuple[int | None, ...]]] = {
    ZERO: (INT, ()),
    INC: (INT, (INT,)),
    DEC: (INT, (INT,)),
    IF_ZERO: (None, (INT, None, None)),
    EMPTY: (SEQ, ()),
    CONST: (SEQ, ()),
    CONCAT: (SEQ, (SEQ, SEQ)),
    HEAD: (SEQ, (SEQ,)),
    TAIL: (SEQ, (SEQ,)),
    LAST: (SEQ, (SEQ,)),
    INIT: (SEQ, (SEQ,)),
    IF_EMPTY: (None, (SEQ, None, None)),
}

DEFAULT_ARG_NAMES: tuple[str, ...] = ("x", "y", "z")


def _implied_children(op: int) -> int:
    """The number of children of every node of opcode ``op`` (not SELF or CALL, whose callee decides)."""
    return 0 if op == ARG else len(FIXED_SIGNATURES[op][1])


def encode_node(op: int, operand: int = 0, n_children: int | None = None) -> int:
    """The integer code of one node.

    Args:
        op: an opcode (``ARG`` ... ``IF_EMPTY``).
        operand: argument index (``ARG``), token id (``CONST``) or library index (``CALL``); 0 otherwise.
        n_children: required for ``SELF`` and ``CALL`` (the callee's arity); implied for the other opcodes.

    Returns:
        the node code, a non-negative int.
    """
    if op not in range(N_OPS):
        raise ValueError(f"unknown opcode {op}; use one of the constants ARG ... IF_EMPTY of reasoning.nsr.dsl")
    if op in (SELF, CALL):
        if n_children is None or not 0 <= n_children <= MAX_ARITY:
            raise ValueError(
                f"{OP_NAMES[op]} needs n_children in 0..{MAX_ARITY} (the callee's arity), got {n_children}"
            )
    else:
        implied = _implied_children(op)
        if n_children not in (None, implied):
            raise ValueError(f"{OP_NAMES[op]} takes {implied} children, got n_children={n_children}")
        n_children = implied
    if operand < 0 or (op == ARG and operand >= MAX_ARITY):
        raise ValueError(
            f"operand {operand} of {OP_NAMES[op]} is out of range; arguments are 0..{MAX_ARITY - 1}, "
            f"tokens and library indices >= 0"
        )
    return op | n_children << OP_BITS | operand << OPERAND_SHIFT


@njit(cache=True)
def op_of(code: int) -> int:
    """The opcode of a node code."""
    return code & OP_MASK


@njit(cache=True)
def n_children_of(code: int) -> int:
    """The number of children of a node code."""
    return (code >> OP_BITS) & CHILD_MASK


@njit(cache=True)
def operand_of(code: int) -> int:
    """The operand of a node code (argument index, token id or library index)."""
    return code >> OPERAND_SHIFT


@njit(cache=True)
def fill_subtree_ends(codes: np.ndarray, start: int, n_nodes: int, ends: np.ndarray) -> bool:
    """Write into ``ends[i]`` the index one past the subtree rooted at node ``i``, for one program.

    Args:
        codes: int64 buffer holding the program in ``codes[start:start + n_nodes]``.
        start: index of the program's root in ``codes``.
        n_nodes: the program's length.
        ends: int64 array as long as ``codes``; ``ends[start:start + n_nodes]`` is written with
            absolute indices into ``codes``.

    Returns:
        True when the nodes form exactly one tree; False when the program is truncated or has
        nodes after its root's subtree.
    """
    # Reverse prefix order sees every child before its parent: a stack of finished subtrees.
    stack = np.empty(n_nodes, np.int64)
    depth = 0
    for i in range(start + n_nodes - 1, start - 1, -1):
        k = n_children_of(codes[i])
        if k > depth:
            return False
        end = i + 1 if k == 0 else stack[depth - k]
        depth -= k
        stack[depth] = end
        depth += 1
        ends[i] = end
    return depth == 1


@dataclass(frozen=True)
class Function:
    """A typed program with a name: one entry of a library, callable as ``call_k``.

    Attributes:
        name: printed as ``call_<name>``.
        program: int64 array (n_nodes,), prefix order.
        arg_types: the type (``INT`` or ``SEQ``) of each argument, length 0..3.
        return_type: ``INT`` or ``SEQ``.
    """

    name: str
    program: Program
    arg_types: tuple[int, ...]
    return_type: int


@dataclass(frozen=True)
class PrimitiveSet:
    """Which primitives a search may use.

    Arguments (``arg_i``) are always available, and so is every function of the library passed to
    the search (as ``call_k``); ``ops`` lists the other opcodes, in the order the search tries them.

    Attributes:
        ops: opcodes among ``ZERO INC DEC IF_ZERO SELF EMPTY CONST CONCAT HEAD TAIL LAST INIT IF_EMPTY``.
        tokens: token ids ``CONST`` may produce; ``None`` for any. The search keeps only the tokens
            that occur in the example outputs either way.
    """

    ops: tuple[int, ...]
    tokens: tuple[int, ...] | None = None

    def __post_init__(self) -> None:
        for op in self.ops:
            if op not in FIXED_SIGNATURES and op != SELF:
                name = OP_NAMES[op] if op in range(N_OPS) else str(op)
                raise ValueError(
                    f"PrimitiveSet.ops cannot hold {name!r}: arguments and library calls are always available; "
                    f"list only ZERO INC DEC IF_ZERO SELF EMPTY CONST CONCAT HEAD TAIL LAST INIT IF_EMPTY"
                )
        if len(set(self.ops)) != len(self.ops):
            raise ValueError(f"PrimitiveSet.ops has duplicates: {self.ops}; list each opcode once")
        if self.tokens is not None and any(t < 0 for t in self.tokens):
            raise ValueError(f"PrimitiveSet.tokens must be non-negative token ids, got {self.tokens}")


ARITHMETIC = PrimitiveSet((ZERO, INC, DEC, IF_ZERO, SELF))
"""Natural-number primitives (HINT)."""

SEQUENCES = PrimitiveSet((EMPTY, CONST, CONCAT, HEAD, TAIL, LAST, INIT, IF_EMPTY, SELF))
"""Token-sequence primitives (SCAN, PCFG)."""


def _check_codes(program: Program) -> np.ndarray:
    """``program`` as a C-contiguous int64 array, with every opcode known and the nodes forming one tree."""
    codes = np.ascontiguousarray(program, dtype=np.int64)
    if codes.ndim != 1 or codes.size == 0:
        raise ValueError(f"a program is a non-empty 1-D int array of node codes, got shape {codes.shape}")
    for i, code in enumerate(codes.tolist()):
        op = code & OP_MASK
        if code < 0 or op >= N_OPS:
            raise ValueError(f"node {i} has unknown opcode {op} (code {code}); build nodes with encode_node")
        if op not in (SELF, CALL) and (code >> OP_BITS) & CHILD_MASK != _implied_children(op):
            raise ValueError(
                f"node {i} ({OP_NAMES[op]}) must have {_implied_children(op)} children; build nodes with encode_node"
            )
    if not fill_subtree_ends(codes, 0, codes.size, np.empty(codes.size, np.int64)):
        raise ValueError(f"the {codes.size} nodes do not form exactly one prefix-order tree")
    return codes


def check_program(program: Program, arg_types: Sequence[int], library: Sequence[Function] = ()) -> int:
    """Type-check a program and return its result type.

    Args:
        program: int64 array (n_nodes,), prefix order.
        arg_types: the type of each argument of the function being defined (length 0..3).
        library: the functions ``call_k`` refers to.

    Returns:
        ``INT`` or ``SEQ``.

    Raises:
        ValueError: unknown opcode, malformed tree, argument or library index out of range, wrong
            number of arguments to ``self``/``call_k``, a type mismatch, or no way to return
            without recursing.
    """
    codes = _check_codes(program).tolist()
    arity = len(arg_types)
    # Types that the program's own result type must equal (where ``self`` feeds a typed position).
    demands: list[int] = []

    def require(actual: int | None, required: int, where: int) -> None:
        if actual is None:
            demands.append(required)
        elif actual != required:
            raise ValueError(
                f"node {where} ({OP_NAMES[codes[where] & OP_MASK]}) gets a {TYPE_NAMES[actual]} "
                f"argument where it needs {TYPE_NAMES[required]}"
            )

    def infer(i: int) -> tuple[int | None, int]:
        """(type of the subtree at node i or None when it is self's unknown type, index past the subtree)."""
        code = codes[i]
        op, operand = code & OP_MASK, code >> OPERAND_SHIFT
        child_types: list[int | None] = []
        j = i + 1
        for _ in range((code >> OP_BITS) & CHILD_MASK):
            child_type, j = infer(j)
            child_types.append(child_type)
        if op == ARG:
            if operand >= arity:
                raise ValueError(f"node {i} reads argument {operand} but the function has {arity} arguments")
            return arg_types[operand], j
        if op in (SELF, CALL):
            if op == CALL and operand >= len(library):
                raise ValueError(f"node {i} calls library function {operand} but the library has {len(library)}")
            callee = None if op == SELF else library[operand]
            params = arg_types if callee is None else callee.arg_types
            result = None if callee is None else callee.return_type
            if len(child_types) != len(params):
                raise ValueError(f"node {i} passes {len(child_types)} arguments to a function of {len(params)}")
            for child_type, param in zip(child_types, params, strict=True):
                require(child_type, param, i)
            return result, j
        result, params = FIXED_SIGNATURES[op]
        if result is not None:
            for child_type, param in zip(child_types, params, strict=True):
                require(child_type, param, i)
            return result, j
        # A polymorphic if: typed condition, branches of one common type.
        require(child_types[0], params[0], i)
        known = {t for t in child_types[1:] if t is not None}
        if len(known) > 1:
            raise ValueError(f"node {i} ({OP_NAMES[op]}) has branches of different types")
        return (known.pop() if known else None), j

    result, _ = infer(0)
    if result is None:
        raise ValueError("the program has no way to return without calling self; give it a base case")
    if any(demand != result for demand in demands):
        raise ValueError(f"the program returns {TYPE_NAMES[result]} but uses self's result as another type")
    return result


def format_program(
    program: Program,
    arg_names: Sequence[str] = DEFAULT_ARG_NAMES,
    token_names: Sequence[str] | None = None,
    library_names: Sequence[str] = (),
) -> str:
    """A readable form of a program, e.g. ``if_zero(y, x, inc(self(x, dec(y))))``.

    A chain ``inc(inc(...(zero)))`` of n >= 1 ``inc`` is printed as the number n.

    Args:
        program: int64 array (n_nodes,), prefix order.
        arg_names: the name printed for each argument index.
        token_names: the name of each token id, printed as ``const_<name>``; ids are printed when None.
        library_names: the name of each library function, printed as ``call_<name>``; indices when empty.

    Returns:
        the expression as text; :func:`parse_program` with the same names reads it back.
    """
    codes = _check_codes(program).tolist()

    def node_name(code: int) -> str:
        op, operand = code & OP_MASK, code >> OPERAND_SHIFT
        if op == ARG:
            return arg_names[operand] if operand < len(arg_names) else f"arg{operand}"
        if op == CONST:
            return f"const_{token_names[operand] if token_names is not None else operand}"
        if op == CALL:
            return f"call_{library_names[operand] if operand < len(library_names) else operand}"
        return OP_NAMES[op]

    def numeral(i: int) -> tuple[int, int] | None:
        """(n, index after the chain) when nodes from i are ``inc^n(zero)`` with n >= 1, printed as n."""
        n = 0
        while codes[i + n] & OP_MASK == INC:
            n += 1
        return (n, i + n + 1) if n and codes[i + n] & OP_MASK == ZERO else None

    def text(i: int) -> tuple[str, int]:
        code = codes[i]
        if (chain := numeral(i)) is not None:
            return str(chain[0]), chain[1]
        parts = []
        j = i + 1
        for _ in range((code >> OP_BITS) & CHILD_MASK):
            part, j = text(j)
            parts.append(part)
        name = node_name(code)
        has_parentheses = parts or (code & OP_MASK) in (SELF, CALL)
        return (f"{name}({', '.join(parts)})" if has_parentheses else name), j

    return text(0)[0]


_TOKEN_PATTERN = re.compile(r"\s*(?:([(),])|([^\s(),]+))")


def parse_program(
    text: str,
    arg_names: Sequence[str] = DEFAULT_ARG_NAMES,
    token_names: Sequence[str] | None = None,
    library_names: Sequence[str] = (),
) -> Program:
    """Read the text form written by :func:`format_program` back into a program.

    Args:
        text: e.g. ``"concat(self(tail(x)), head(x))"``. Arguments are ``arg_names`` or ``arg0..arg2``;
            constants are ``const_<token name or id>``; calls are ``call_<library name or index>``;
            a number n is ``inc^n(zero)``.
        arg_names, token_names, library_names: as for :func:`format_program`.

    Returns:
        int64 array (n_nodes,), prefix order. Types are not checked: see :func:`check_program`.

    Raises:
        ValueError: an unknown name, unbalanced parentheses or a wrong number of children.
    """
    words: list[str] = []
    position = 0
    stripped = text.rstrip()
    while position < len(stripped):
        match = _TOKEN_PATTERN.match(stripped, position)
        if match is None:
            raise ValueError(f"cannot read {stripped[position:]!r} in program {text!r}")
        words.append(match.group(1) or match.group(2))
        position = match.end()
    token_ids = {name: t for t, name in enumerate(token_names or ())}
    library_ids = {name: k for k, name in enumerate(library_names)}
    op_ids = {name: op for op, name in enumerate(OP_NAMES) if op in FIXED_SIGNATURES or op == SELF}

    def lookup(name: str, table: dict[str, int], what: str) -> int:
        if name in table:
            return table[name]
        if name.isdigit():
            return int(name)
        raise ValueError(f"unknown {what} {name!r} in program {text!r}; pass its name in {what}_names")

    def node(name: str, n_children: int) -> int:
        if name in arg_names:
            return encode_node(ARG, list(arg_names).index(name), n_children)
        if re.fullmatch(r"arg[0-2]", name):
            return encode_node(ARG, int(name[3]), n_children)
        if name.startswith("const_"):
            return encode_node(CONST, lookup(name[6:], token_ids, "token"), n_children)
        if name.startswith("call_"):
            return encode_node(CALL, lookup(name[5:], library_ids, "library"), n_children)
        if name in op_ids:
            return encode_node(op_ids[name], 0, n_children)
        raise ValueError(f"unknown primitive {name!r} in program {text!r}")

    def expression(i: int) -> tuple[list[int], int]:
        """(the nodes of the expression starting at word i, index of the next word)."""
        if i >= len(words) or words[i] in "(),":
            raise ValueError(f"expected a primitive at word {i} of program {text!r}")
        name = words[i]
        if name.isdigit():
            return [encode_node(INC)] * int(name) + [encode_node(ZERO)], i + 1
        children: list[int] = []
        n_children = 0
        i += 1
        if i < len(words) and words[i] == "(":
            i += 1
            while i < len(words) and words[i] != ")":
                sub, i = expression(i)
                children.extend(sub)
                n_children += 1
                if i < len(words) and words[i] == ",":
                    i += 1
            if i >= len(words):
                raise ValueError(f"unbalanced parentheses in program {text!r}")
            i += 1
        return [node(name, n_children), *children], i

    nodes, end = expression(0)
    if end != len(words):
        raise ValueError(f"unexpected {words[end]!r} after the end of program {text!r}")
    return np.array(nodes, dtype=np.int64)


def constant_function(value: int | tuple[int, ...], name: str) -> Function:
    """A function of no arguments returning ``value``: a natural number, or a token sequence (m,)."""
    if isinstance(value, int):
        codes = [encode_node(INC)] * value + [encode_node(ZERO)]
        return Function(name, np.array(codes, dtype=np.int64), (), INT)
    if not value:
        return Function(name, np.array([encode_node(EMPTY)], dtype=np.int64), (), SEQ)
    # concat(const_a, concat(const_b, const_c)): the constants interleave with the concats in prefix order.
    codes = []
    for i, token in enumerate(value):
        if i < len(value) - 1:
            codes.append(encode_node(CONCAT))
        codes.append(encode_node(CONST, token))
    return Function(name, np.array(codes, dtype=np.int64), (), SEQ)


def define(
    name: str,
    program: Program | str,
    arg_types: Sequence[int],
    library: Sequence[Function] = (),
    arg_names: Sequence[str] = DEFAULT_ARG_NAMES,
    token_names: Sequence[str] | None = None,
) -> Function:
    """A checked :class:`Function` from a program or its text.

    Args:
        name: the function's name.
        program: int64 array (n_nodes,) or text for :func:`parse_program` (calls name library functions).
        arg_types: the type of each argument.
        library: the functions the program calls.
        arg_names, token_names: names used to read ``program`` when it is text.

    Returns:
        the function, with its result type inferred by :func:`check_program`.
    """
    if isinstance(program, str):
        program = parse_program(program, arg_names, token_names, [function.name for function in library])
    codes = _check_codes(program).copy()
    return_type = check_program(codes, arg_types, library)
    codes.flags.writeable = False
    return Function(name, codes, tuple(arg_types), return_type)
