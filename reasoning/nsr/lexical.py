"""Lexical symbols: input tokens that stand for themselves in the output, sharing one meaning per arity.

In PCFG SET the 520 letters ``A1 ... Z20`` of an input are copied into the output, and every letter
behaves like every other: ``reverse A1 B2`` is ``B2 A1`` as ``reverse C3 D4`` is ``D4 C3``. A
symbol whose token is also an output token is *lexical*: its meaning with k children is one program
of k + 1 arguments shared by all lexical symbols, the last argument being the node's own token
(``L/1(x, w) = concat(w, x)``). The shared program is induced from the examples of every lexical
symbol pooled together, so that a reading of a short input that only one letter's examples would
allow (a letter heading the function word) has to hold for all letters, and each letter's meaning
is the shared program with its own token written in (``A1/1(x) = concat(const_A1, x)``).

Pooled programs use neither ``self`` nor library calls, so that writing in the token is a plain
substitution of the last argument.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Mapping
from dataclasses import replace

import numpy as np

from reasoning.nsr.dsl import ARG, CALL, CONST, OP_MASK, OPERAND_SHIFT, SELF, Function, PrimitiveSet, encode_node
from reasoning.nsr.program_eval import Value
from reasoning.nsr.semantics import Example, Semantics

KeyedSupport = dict[int, Counter]  # semantic key -> Counter of (children values, node value) examples


def pool_lexical(support: Mapping[int, Counter], lexical: Mapping[int, int], stride: int
                 ) -> tuple[KeyedSupport, KeyedSupport]:
    """Split examples by key into those of other symbols and those of lexical symbols pooled per arity.

    Args:
        support: ``semantic key -> Counter((children values, value))``, key = symbol * stride + n_children.
        lexical: lexical symbol -> its own output token id.
        stride: keys per symbol (``MAX_ARITY + 1``).

    Returns:
        (the support of every non-lexical key, ``n_children -> pooled support``), in which each
        lexical example gains the node's own token ``(token,)`` as its last argument.
    """
    own: KeyedSupport = {}
    pooled: KeyedSupport = {}
    for key, counts in support.items():
        token = lexical.get(key // stride)
        if token is None:
            own[key] = counts
            continue
        into = pooled.setdefault(key % stride, Counter())
        for (args, value), count in counts.items():
            example: Example = ((*args, own_token_value(token)), value)
            into[example] += count
    return own, pooled


def pooled_primitives(primitives: PrimitiveSet) -> PrimitiveSet:
    """``primitives`` without ``self`` (a pooled program must stay a plain substitution of its token)."""
    return replace(primitives, ops=tuple(op for op in primitives.ops if op != SELF))


def with_own_token(function: Function, token: int) -> Function | None:
    """A pooled program of k + 1 arguments as the program of k arguments of the symbol of ``token``.

    Every use of the last argument becomes ``const_<token>``. None for a program that calls itself
    or a library (their calls would pass the token argument on).

    Args:
        function: the pooled function, arg_types (k + 1,) with a sequence last.
        token: the symbol's own output token id.
    """
    codes = np.asarray(function.program, dtype=np.int64)
    ops = codes & OP_MASK
    if np.isin(ops, (SELF, CALL)).any() or not function.arg_types:
        return None
    last = len(function.arg_types) - 1
    own = (ops == ARG) & ((codes >> OPERAND_SHIFT) == last)
    program = np.where(own, encode_node(CONST, token), codes).astype(np.int64)
    return Function(f"{function.name}_{token}", program, function.arg_types[:last], function.return_type)


def own_token_value(token: int) -> Value:
    """The value of a lexical node's token argument: the one-token sequence."""
    return (token,)


def with_lexical_meanings(semantics: Semantics, pooled: Semantics | None, lexical: Mapping[int, int], stride: int
                          ) -> Semantics:
    """``semantics`` with the function of every lexical key written from the pooled programs.

    Args:
        semantics: keys ``symbol * stride + n_children``.
        pooled: ``n_children -> pooled function`` (stride functions); None leaves every lexical key
            without a meaning (the table the other keys are searched with).
        lexical: lexical symbol -> its own output token id.
        stride: keys per symbol.
    """
    functions = list(semantics.functions)
    for symbol, token in lexical.items():
        for arity in range(stride):
            shared = None if pooled is None else pooled.functions[arity]
            functions[symbol * stride + arity] = None if shared is None else with_own_token(shared, token)
    return Semantics(tuple(functions), semantics.library)
