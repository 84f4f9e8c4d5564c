"""NSR semantics: deduction over hand-made SCAN and HINT trees, example collection and per-symbol program induction.

The helpers at the top (the SCAN and HINT vocabularies, their true semantics and tree builders) are
shared with ``test_nsr_abduction``. HINT digits are symbols whose meaning is a constant program
``inc^d(zero)`` (size d + 1), so inducing the digits 0..9 needs ``max_size >= 10``.
"""

from __future__ import annotations

import itertools
import time
from collections.abc import Collection

import pytest

from reasoning.nsr.dsl import ARITHMETIC, INT, SEQ, SEQUENCES, Function, define
from reasoning.nsr.semantics import (
    Semantics,
    collect_examples,
    deduce,
    format_function,
    format_semantics,
    induce_semantics,
)
from reasoning.nsr.symbol_tree import SymbolTree

# --- SCAN ----------------------------------------------------------------------------------------------------------

TOKEN_NAMES = ("WALK", "JUMP", "LOOK", "RUN")
WALK, JUMP, LOOK, RUN = range(4)
SCAN_SYMBOLS = ("walk", "jump", "look", "run", "twice", "thrice", "and", "after")
TWICE, THRICE, AND, AFTER = 4, 5, 6, 7
SCAN_FUNCTIONS: dict[int, Function] = {
    **{s: define(SCAN_SYMBOLS[s], f"const_{TOKEN_NAMES[s]}", (), token_names=TOKEN_NAMES) for s in range(4)},
    TWICE: define("twice", "concat(x, x)", (SEQ,)),
    THRICE: define("thrice", "concat(x, concat(x, x))", (SEQ,)),
    AND: define("and", "concat(x, y)", (SEQ, SEQ)),
    AFTER: define("after", "concat(y, x)", (SEQ, SEQ)),
}
SCAN_SEMANTICS = Semantics.from_functions(SCAN_FUNCTIONS, len(SCAN_SYMBOLS))

# (command, heads): the dependency trees of SCAN commands, operators heading their operands.
SCAN_COMMANDS = [
    ("jump twice and walk", (1, 2, -1, 2)),
    ("walk twice after look", (1, 2, -1, 2)),
    ("look thrice and run twice", (1, 2, -1, 4, 2)),
    ("run after jump thrice", (1, -1, 3, 1)),
    ("jump and look", (1, -1, 1)),
    ("walk", (-1,)),
]


def scan_tree(command: str, heads: tuple[int, ...]) -> SymbolTree:
    """The SymbolTree of a SCAN command with the true symbols and no values."""
    words = command.split()
    return SymbolTree(words, [SCAN_SYMBOLS.index(word) for word in words], heads)


# --- HINT ----------------------------------------------------------------------------------------------------------

HINT_SYMBOLS = (*"0123456789", "+", "*")
PLUS, TIMES = 10, 11
ADD = define("add", "if_zero(y, x, inc(self(x, dec(y))))", (INT, INT))
MUL = define("mul", "if_zero(y, zero, call_add(self(x, dec(y)), x))", (INT, INT), [ADD])
HINT_FUNCTIONS: dict[int, Function] = {
    **{d: define(str(d), "inc(" * d + "zero" + ")" * d, ()) for d in range(10)},
    PLUS: ADD,
    TIMES: MUL,
}
HINT_SEMANTICS = Semantics.from_functions(HINT_FUNCTIONS, len(HINT_SYMBOLS), library=[ADD])


def hint_tree(expression: str) -> SymbolTree:
    """The SymbolTree of an infix expression of digits, ``+`` and ``*`` (``*`` binds tighter, both left-associative).

    Each operator heads its two operands' subtrees, e.g. ``3 + 4 * 2`` has heads (1, -1, 3, 1, 3).
    """
    words = expression.split()
    heads = [-1] * len(words)
    operands: list[int] = []  # roots of the finished subtrees
    operators: list[int] = []

    def reduce() -> None:
        operator = operators.pop()
        right, left = operands.pop(), operands.pop()
        heads[left] = heads[right] = operator
        operands.append(operator)

    for index, word in enumerate(words):
        if word.isdigit():
            operands.append(index)
            continue
        while operators and (words[operators[-1]] == "*" or word == "+"):
            reduce()
        operators.append(index)
    while operators:
        reduce()
    return SymbolTree(words, [HINT_SYMBOLS.index(word) for word in words], heads)


def abduced(tree: SymbolTree, semantics: Semantics) -> SymbolTree:
    """``tree`` with the values the true ``semantics`` deduces, standing in for a found abduction."""
    return tree.with_values(deduce(tree, semantics))


def consistent_everywhere(semantics: Semantics, tree: SymbolTree, except_nodes: Collection[int] = ()) -> bool:
    """Whether every node's value (but those of ``except_nodes``) is its program applied to its children's values."""
    assert tree.values is not None
    return all(
        tree.values[node] == semantics.apply(tree.symbols[node], [tree.values[c] for c in tree.children(node)])
        for node in range(len(tree))
        if node not in except_nodes
    )


# --- deduction -----------------------------------------------------------------------------------------------------


def test_deduce_scan() -> None:
    tree = scan_tree("jump twice and walk", (1, 2, -1, 2))
    assert deduce(tree, SCAN_SEMANTICS) == ((JUMP,), (JUMP, JUMP), (JUMP, JUMP, WALK), (WALK,))
    tree = scan_tree("look thrice and run twice", (1, 2, -1, 4, 2))
    assert deduce(tree, SCAN_SEMANTICS)[tree.root] == (LOOK,) * 3 + (RUN,) * 2


def test_deduce_hint_with_a_library_call() -> None:
    tree = hint_tree("3 + 4 * 2")
    assert tree.heads == (1, -1, 3, 1, 3)
    assert deduce(tree, HINT_SEMANTICS) == (3, 11, 4, 8, 2)
    assert deduce(hint_tree("2 * 3 + 1 * 4"), HINT_SEMANTICS)[3] == 10


def test_missing_program_or_wrong_arity_gives_none_up_the_tree() -> None:
    tree = scan_tree("jump twice and walk", (1, 2, -1, 2))
    missing = Semantics.from_functions({**SCAN_FUNCTIONS, TWICE: None}, len(SCAN_SYMBOLS))
    assert deduce(tree, missing) == ((JUMP,), None, None, (WALK,))
    binary_twice = Semantics.from_functions({**SCAN_FUNCTIONS, TWICE: SCAN_FUNCTIONS[AND]}, len(SCAN_SYMBOLS))
    assert deduce(tree, binary_twice) == ((JUMP,), None, None, (WALK,))
    nullary_and = Semantics.from_functions({**SCAN_FUNCTIONS, AND: SCAN_FUNCTIONS[WALK]}, len(SCAN_SYMBOLS))
    assert deduce(tree, nullary_and)[tree.root] is None


def test_failed_evaluation_gives_none() -> None:
    head = define("head", "head(x)", (SEQ,))
    semantics = Semantics.from_functions({0: define("nothing", "empty", ()), 1: head})
    assert deduce(SymbolTree(["a", "b"], [0, 1], [1, -1]), semantics) == ((), None)


def test_deduce_rejects_symbols_outside_the_semantics() -> None:
    with pytest.raises(ValueError, match="outside"):
        deduce(SymbolTree(["x"], [len(SCAN_SYMBOLS)], [-1]), SCAN_SEMANTICS)


# --- the Semantics container -----------------------------------------------------------------------------------------


def test_library_keeps_only_called_entries_and_renumbers_calls() -> None:
    unused = define("unused", "dec(x)", (INT,))
    assert len(Semantics.from_functions({PLUS: ADD, TIMES: MUL}, library=[ADD]).library) == 1
    assert Semantics.from_functions({PLUS: ADD}).library == ()
    padded = Semantics.from_functions(
        {TIMES: define("mul", "if_zero(y, zero, call_1(self(x, dec(y)), x))", (INT, INT), [unused, ADD])},
        library=[unused, ADD],
    )
    assert len(padded.library) == 1  # ``unused`` dropped, call_1 renumbered to call_0
    assert padded.apply(TIMES, (6, 7)) == 42


def test_format_semantics_names_calls_after_symbols_and_lists_orphans() -> None:
    text = format_semantics(HINT_SEMANTICS, HINT_SYMBOLS)
    assert "*(x, y) = if_zero(y, zero, call_+(self(x, dec(y)), x))" in text.splitlines()
    assert format_function(SCAN_SEMANTICS, TWICE, SCAN_SYMBOLS, TOKEN_NAMES) == "twice(x) = concat(x, x)"
    assert format_function(SCAN_SEMANTICS, WALK, SCAN_SYMBOLS, TOKEN_NAMES) == "walk() = const_WALK"
    # ``*`` still calls the old ``+`` after ``+`` got another meaning: the copy is listed on its own.
    sub = define("sub", "if_zero(y, x, dec(self(x, dec(y))))", (INT, INT))
    changed = Semantics.from_functions({PLUS: sub, TIMES: MUL}, len(HINT_SYMBOLS), library=[ADD])
    lines = format_semantics(changed, HINT_SYMBOLS).splitlines()
    assert lines[0] == "0 = ?"
    assert "*(x, y) = if_zero(y, zero, call_lib0(self(x, dec(y)), x))" in lines
    assert lines[-1] == "lib0(x, y) = if_zero(y, x, inc(self(x, dec(y))))"


def test_semantics_rejects_bad_input() -> None:
    with pytest.raises(ValueError, match="outside"):
        Semantics.from_functions({5: ADD}, n_symbols=3)
    with pytest.raises(ValueError, match="library"):
        Semantics.from_functions({0: MUL})  # MUL calls a library entry that is not given
    with pytest.raises(ValueError, match="one name per id"):
        format_semantics(SCAN_SEMANTICS, SCAN_SYMBOLS[:3])


# --- examples and induction ----------------------------------------------------------------------------------------


def test_collect_examples_one_per_node_deduplicated() -> None:
    trees = [abduced(scan_tree(c, h), SCAN_SEMANTICS) for c, h in SCAN_COMMANDS]
    examples = collect_examples(trees + trees)
    assert list(examples) == sorted(examples) == list(range(len(SCAN_SYMBOLS)))
    assert examples[WALK] == [((), (WALK,))]
    assert examples[TWICE][0] == (((JUMP,),), (JUMP, JUMP))
    assert len(examples[AND]) == 3
    with pytest.raises(ValueError, match="no value at nodes"):
        collect_examples([scan_tree("walk", (-1,))])


def test_induce_scan_semantics_from_abduced_trees() -> None:
    trees = [abduced(scan_tree(c, h), SCAN_SEMANTICS) for c, h in SCAN_COMMANDS]
    semantics, report = induce_semantics(collect_examples(trees), SEQUENCES, max_size=7, time_budget_s=5.0)
    expected = format_semantics(SCAN_SEMANTICS, SCAN_SYMBOLS, TOKEN_NAMES)
    assert format_semantics(semantics, SCAN_SYMBOLS, TOKEN_NAMES) == expected
    assert all(r.n_consistent == r.n_examples and not r.hit_budget and r.source == "search" for r in report.values())
    assert str(report[TWICE]).startswith("s4(x) = concat(x, x)  [3/3 consistent, search")
    again, _ = induce_semantics(collect_examples(trees), SEQUENCES, max_size=7, time_budget_s=5.0)
    assert again == semantics  # deterministic


HINT_EXPRESSIONS = [
    "2 * 3 + 1", "4 * 0 + 5", "1 * 5 + 2", "3 * 3 + 0", "0 * 7 + 3", "2 + 3", "6 * 1 + 4", "5 * 2",
    "3 * 4", "7 + 0", "0 + 6", "8 + 9", "9 * 2",
]  # fmt: skip


def test_induce_hint_semantics_finds_mul_through_add() -> None:
    trees = [abduced(hint_tree(expression), HINT_SEMANTICS) for expression in HINT_EXPRESSIONS]
    semantics, report = induce_semantics(collect_examples(trees), ARITHMETIC, max_size=10, time_budget_s=10.0)
    for digit in range(10):
        assert semantics.apply(digit, ()) == digit
    for x, y in itertools.product(range(13), repeat=2):
        assert semantics.apply(PLUS, (x, y)) == x + y
    for x, y in itertools.product(range(9), repeat=2):
        assert semantics.apply(TIMES, (x, y)) == x * y
    assert report[PLUS].source == "search" and report[TIMES].source == "library search"
    assert "call_+" in format_function(semantics, TIMES, HINT_SYMBOLS)
    assert not report[TIMES].hit_budget and report[TIMES].n_consistent == report[TIMES].n_examples

    # A second round keeps every still-consistent program without searching, mul's call included.
    kept, kept_report = induce_semantics(collect_examples(trees), ARITHMETIC, 10, 10.0, previous=semantics)
    assert kept == semantics
    assert {r.source for r in kept_report.values()} == {"kept"}
    assert kept.apply(TIMES, (7, 6)) == 42


def test_previous_program_is_replaced_when_inconsistent() -> None:
    identity = Semantics.from_functions({**SCAN_FUNCTIONS, TWICE: define("twice", "x", (SEQ,))}, len(SCAN_SYMBOLS))
    trees = [abduced(scan_tree(c, h), SCAN_SEMANTICS) for c, h in SCAN_COMMANDS]
    semantics, report = induce_semantics(collect_examples(trees), SEQUENCES, 7, 5.0, previous=identity)
    assert report[TWICE].source == "search" and report[AND].source == "kept"
    assert semantics.apply(TWICE, ((RUN, LOOK),)) == (RUN, LOOK, RUN, LOOK)


def test_minority_arity_is_dropped_and_reported() -> None:
    examples = {0: [((), (WALK,)), (((JUMP,),), (JUMP, JUMP)), ((), (WALK,))], 1: [((), (JUMP,))]}
    semantics, report = induce_semantics(examples, SEQUENCES, 5, 2.0, n_symbols=3)
    assert semantics.arity(0) == 0 and report[0].n_dropped == 1 and report[0].n_examples == 2
    assert report[2].source == "none" and report[2].program is None and semantics.function(2) is None


def test_inconsistent_examples_keep_the_best_partial_program() -> None:
    examples = {0: [(((WALK,),), (WALK, WALK)), (((JUMP,),), (JUMP,)), (((LOOK,),), (LOOK, LOOK))]}
    semantics, report = induce_semantics(examples, SEQUENCES, 4, 2.0)
    assert report[0].n_consistent == 2 and report[0].n_examples == 3 and report[0].hit_budget
    assert semantics.apply(0, ((RUN,),)) == (RUN, RUN)


def test_searches_with_one_helper_each_share_a_budget() -> None:
    pairs = list(itertools.product(range(4), repeat=2))
    helpers = [lambda x, y: x + y, lambda x, y: x, lambda x, y: y, lambda x, y: x + 1, lambda x, y: y + 1,
               lambda x, y: x + y + 1, lambda x, y: x + 2, lambda x, y: y + 2, lambda x, y: x + x,
               lambda x, y: y + y]
    examples = {symbol: [((x, y), f(x, y)) for x, y in pairs] for symbol, f in enumerate(helpers)}
    noisy = len(helpers)
    examples[noisy] = [((x, y), (7 * x + 3 * y) % 5) for x, y in pairs]  # no small program fits
    budget = 0.5
    _, report = induce_semantics(examples, ARITHMETIC, max_size=9, time_budget_s=budget, single_helpers=True)
    assert report[noisy].hit_budget and report[noisy].n_consistent < report[noisy].n_examples
    # A budget per helper would be 10 budgets; shared: the plain search, two shared, the full library.
    assert report[noisy].seconds < len(helpers) * budget


def test_a_round_of_induction_stops_searching_when_its_total_budget_is_spent() -> None:
    pairs = list(itertools.product(range(4), repeat=2))
    noisy = {symbol: [((x, y), (7 * x + 3 * y + symbol) % 5) for x, y in pairs] for symbol in range(4)}
    started = time.perf_counter()
    # 11 nodes: a space no search finishes within its 0.5 s (a fast machine runs through 9 nodes in 0.3 s,
    # and a third search would start inside the round's 0.6 s)
    _, report = induce_semantics(noisy, ARITHMETIC, max_size=11, time_budget_s=0.5, total_budget_s=0.6)
    assert time.perf_counter() - started < 4 * 0.5  # searching all four would take four budgets at least
    assert all(r.hit_budget and r.n_consistent < r.n_examples for r in report.values())
    assert sum(r.seconds > 0.4 for r in report.values()) <= 2  # the later symbols were not searched
    assert sum(r.deferred for r in report.values()) >= 2 and not report[0].deferred
    assert "deferred" in str(report[3])
