"""Lexical symbols: pooled examples, the own-token substitution, pooled induction in the learner."""

from __future__ import annotations

from collections import Counter
from dataclasses import replace
from pathlib import Path

import numpy as np
import torch
from hypothesis import given
from hypothesis import strategies as st

from reasoning.nsr.dsl import SEQ, SEQUENCES, define
from reasoning.nsr.learner import KEY_STRIDE, Learner, LearnerConfig, semantic_key
from reasoning.nsr.lexical import pool_lexical, pooled_primitives, with_lexical_meanings, with_own_token
from reasoning.nsr.program_search import induce
from reasoning.nsr.semantics import Semantics
from reasoning.nsr.symbol_tree import SymbolTree
from reasoning.nsr.value_domain import ValueDomain
from reasoning.seq2seq.interface import TrainBudget
from reasoning.seq2seq.registry import create_model
from reasoning.tasks.example import Example

CONCAT_OWN = define("lex1", "concat(y, x)", [SEQ, SEQ])  # L/1(x, w) = concat(w, x)


def test_lexical_examples_are_pooled_per_arity_with_the_own_token_last() -> None:
    support = {semantic_key(0, 1): Counter({(((7,),), (5, 7)): 2}), semantic_key(1, 1): Counter({(((5,),), (6, 5)): 1}),
               semantic_key(2, 1): Counter({(((5,),), (5, 5)): 1})}
    own, pooled = pool_lexical(support, {0: 5, 1: 6}, KEY_STRIDE)
    assert own == {semantic_key(2, 1): support[semantic_key(2, 1)]}
    assert pooled == {1: Counter({(((7,), (5,)), (5, 7)): 2, (((5,), (6,)), (6, 5)): 1})}


@given(st.lists(st.integers(0, 30), min_size=1, max_size=6), st.integers(0, 30))
def test_the_own_token_is_written_into_the_pooled_program(child: list[int], token: int) -> None:
    semantics = Semantics.from_functions([with_own_token(CONCAT_OWN, token)])
    assert semantics.apply(0, (tuple(child),)) == (token, *child)


def test_programs_that_call_themselves_are_not_pooled() -> None:
    recursive = define("r", "if_empty(x, y, concat(y, self(tail(x), y)))", [SEQ, SEQ])
    assert with_own_token(recursive, 3) is None
    assert 5 not in pooled_primitives(SEQUENCES).ops  # SELF


def test_lexical_meanings_are_written_for_every_lexical_symbol() -> None:
    pooled = Semantics.from_functions({1: CONCAT_OWN}, n_symbols=KEY_STRIDE)
    empty = Semantics.from_functions({}, n_symbols=3 * KEY_STRIDE)
    written = with_lexical_meanings(empty, pooled, {0: 4, 2: 9}, KEY_STRIDE)
    assert written.apply(semantic_key(0, 1), ((1,),)) == (4, 1)
    assert written.apply(semantic_key(2, 1), ((1,),)) == (9, 1)
    assert written.functions[semantic_key(1, 1)] is None and written.functions[semantic_key(0, 0)] is None
    assert with_lexical_meanings(written, None, {0: 4}, KEY_STRIDE).functions[semantic_key(0, 1)] is None


def test_a_letter_seen_alone_means_the_shared_program_with_its_token() -> None:
    """Three letters each read as a chain: one pooled program per arity, used by all of them."""
    domain = ValueDomain(("a", "b", "c"))
    learner = Learner(3, 3, domain, LearnerConfig(), seed=0)
    learner.set_lexical({0: 0, 1: 1, 2: 2})
    trees = [SymbolTree(("a", "b"), (0, 1), (-1, 0), values=((0, 1), (1,))),
             SymbolTree(("b", "c"), (1, 2), (-1, 0), values=((1, 2), (2,)))]
    learner.explained = {i: (tree, tree.symbols, tree.values[tree.root]) for i, tree in enumerate(trees)}
    learner.induce()
    # ``c`` was never a head and ``a`` never a leaf, yet both have the shared meanings.
    assert learner.semantics.apply(semantic_key(2, 1), ((0,),)) == (2, 0)
    assert learner.semantics.apply(semantic_key(0, 0), ()) == (0,)
    assert learner.pooled.functions[1] is not None and learner.pooled.functions[2] is None


def test_no_program_writes_a_lexical_token_as_a_constant() -> None:
    learner = Learner(3, 3, ValueDomain(("a", "b", "STOP")), LearnerConfig(), seed=0)
    assert learner.search_primitives().tokens is None
    learner.set_lexical({0: 0, 1: 1})
    assert learner.search_primitives().tokens == (2,)
    # Without the 40 letters as constants reverse is found at once.
    examples = [((tuple(range(i, i + n)),), tuple(reversed(range(i, i + n)))) for i in range(0, 36, 4) for n in (2, 3)]
    result = induce(examples, replace(SEQUENCES, tokens=()), 9, time_budget_s=30.0, every_argument=True)
    assert result.n_consistent == len(examples) and not result.hit_budget


def test_a_symbol_whose_targets_are_all_copied_letters_is_guessed_to_write_nothing() -> None:
    learner = Learner(3, 3, ValueDomain(("a", "b")), LearnerConfig(guess_cost=8.0), seed=0)
    symbols = learner.perceive([0, 1, 2])[0]
    learner.set_lexical({symbols[0]: 0, symbols[1]: 1})
    learner.prepare_guesses([(0, ("a", ",", "b"), [0, 2, 1], (0, 1)), (1, ("b", ",", "b"), [1, 2, 1], (1, 1))])
    assert learner._guesses[symbols[2]] == ((), 8.0)
    assert learner._guesses[symbols[1]][0] == (1,)  # a letter's guess is still a piece of its targets


def _reverse_learner() -> tuple[Learner, tuple[int, ...]]:
    """A learner of tokens ``rev a b`` whose letters are lexical, and the symbols of the three tokens."""
    learner = Learner(3, 3, ValueDomain(("a", "b")), LearnerConfig(guess_cost=8.0), seed=0)
    symbols = learner.perceive([0, 1, 2])[0]
    learner.set_lexical({symbols[1]: 0, symbols[2]: 1})
    return learner, symbols


def test_an_unknown_lexical_span_is_guessed_to_write_its_tokens_at_one_guess() -> None:
    learner, (rev, a, b) = _reverse_learner()
    chain = learner.keyed(SymbolTree(("rev", "a", "b"), (rev, a, b), (-1, 0, 1)))
    flat = learner.keyed(SymbolTree(("rev", "a", "b"), (rev, a, b), (-1, 0, 0)))
    assert chain is not None and flat is not None
    assert learner._guessed_leaves(chain) == {semantic_key(a, 1): ((0, 1), 8.0), semantic_key(b, 0): ((1,), 0.0)}
    assert learner._guessed_leaves(flat) == {semantic_key(a, 0): ((0,), 8.0), semantic_key(b, 0): ((1,), 8.0)}
    # b heading a: the span's tokens stay in input order.
    left = learner.keyed(SymbolTree(("rev", "a", "b"), (rev, a, b), (-1, 2, 0)))
    assert left is not None and learner._guessed_leaves(left)[semantic_key(b, 1)] == ((0, 1), 8.0)


def test_a_function_over_unknown_letters_is_abduced_over_their_chain() -> None:
    """With no meaning known, ``rev a b -> b a`` is explained as rev(a(b)): one span guess, not two."""
    learner, _ = _reverse_learner()
    learner.prepare_guesses([(0, ("rev", "a", "b"), [0, 1, 2], (1, 0))])
    tree = learner.explain(("rev", "a", "b"), [0, 1, 2], (1, 0))
    assert tree is not None and tree.values is not None
    assert tree.heads in {(-1, 0, 1), (-1, 2, 0)} and tree.values[0] == (1, 0)


def test_a_second_number_of_children_is_marked_as_a_new_arity() -> None:
    learner = Learner(2, 2, ValueDomain(("a",)), LearnerConfig(), seed=0)
    known = np.zeros(2 * KEY_STRIDE, dtype=bool)
    known[[semantic_key(0, 0), semantic_key(0, 1), semantic_key(1, 0)]] = True
    new = learner._new_arities(known)
    assert new.tolist() == [False, False, True, True] + [False] * KEY_STRIDE


def _shift_as_reverse_learner(spell_in_order: bool) -> tuple[Learner, tuple[int, ...]]:
    """Tokens ``rev a b c`` with letters lexical (``<token>/1(x, w) = concat(w, x)``) and ``rev/1`` a shift."""
    learner = Learner(4, 4, ValueDomain(("a", "b", "c")), LearnerConfig(spell_in_order=spell_in_order), seed=0)
    symbols = learner.perceive([0, 1, 2, 3])[0]
    learner.set_lexical({symbols[1]: 0, symbols[2]: 1, symbols[3]: 2})
    pooled = Semantics.from_functions({0: define("lex0", "x", [SEQ]), 1: CONCAT_OWN}, n_symbols=KEY_STRIDE)
    shift = define("shift", "concat(tail(x), head(x))", [SEQ])
    own = Semantics.from_functions({semantic_key(symbols[0], 1): shift}, n_symbols=4 * KEY_STRIDE)
    learner.set_semantics(with_lexical_meanings(own, pooled, learner.lexical, KEY_STRIDE))
    return learner, symbols


def test_letters_read_out_of_input_order_are_a_misspelling() -> None:
    learner, (rev, a, b, _) = _shift_as_reverse_learner(spell_in_order=True)
    in_order = learner.keyed(SymbolTree(("rev", "a", "b"), (rev, a, b), (-1, 0, 1)))
    b_heads_a = learner.keyed(SymbolTree(("rev", "a", "b"), (rev, a, b), (-1, 2, 0)))
    assert in_order is not None and b_heads_a is not None
    assert not learner.breaks_lexical_reading(in_order, learner.deduce(in_order))
    assert learner.deduce(b_heads_a)[2] == (1, 0)
    assert learner.breaks_lexical_reading(b_heads_a, learner.deduce(b_heads_a))


def test_a_letter_heading_a_function_explains_nothing() -> None:
    # rev a b read as b(a(rev)): the letters' meanings apply to rev's value, a string built from a function.
    learner, (rev, a, b, _) = _shift_as_reverse_learner(spell_in_order=False)
    letters_over_rev = learner.keyed(SymbolTree(("rev", "a", "b"), (rev, a, b), (1, 2, -1)))
    rev_over_letters = learner.keyed(SymbolTree(("rev", "a", "b"), (rev, a, b), (-1, 0, 1)))
    assert letters_over_rev is not None and rev_over_letters is not None
    assert learner.breaks_lexical_reading(letters_over_rev, learner.deduce(letters_over_rev))
    assert not learner.breaks_lexical_reading(rev_over_letters, learner.deduce(rev_over_letters))
    learner.config = replace(learner.config, letters_head_letters=False)
    assert not learner.breaks_lexical_reading(letters_over_rev, learner.deduce(letters_over_rev))


def test_a_wrong_meaning_is_not_confirmed_by_reading_the_letters_out_of_order() -> None:
    """``shift`` gives ``c b a`` for ``rev a b c`` over ``rev(a(c(b)))``: spelled in order, it explains nothing."""
    for spell_in_order, explained in ((False, True), (True, False)):
        learner, symbols = _shift_as_reverse_learner(spell_in_order)
        tree = learner._deduced(("rev", "a", "b", "c"), symbols, [(-1, 0, 3, 1)], (2, 1, 0))
        assert (tree is not None) == explained


def test_the_beam_drops_a_letter_heading_a_function() -> None:
    learner, symbols = _shift_as_reverse_learner(spell_in_order=False)
    learner.config = replace(learner.config, beam_width=64, beam_widenings=0)  # wide enough to keep every parse
    letters = set(learner.lexical)

    def letter_over_function(heads: tuple[int, ...]) -> bool:
        return any(head >= 0 and symbols[head] in letters and symbols[node] not in letters
                   for node, head in enumerate(heads))

    trees = learner._beam_trees(symbols)
    assert trees and not any(letter_over_function(heads) for heads in trees)
    learner.config = replace(learner.config, letters_head_letters=False)
    assert any(letter_over_function(heads) for heads in learner._beam_trees(symbols))


def test_a_prediction_may_be_longer_than_any_training_value() -> None:
    """``rep rep rep rep a``, ``rep/1`` writing its argument 5 times, means 625 tokens; training caps values at 512."""
    learner = Learner(2, 2, ValueDomain(("a",)), LearnerConfig(), seed=0)
    rep, a = learner.perceive([0, 1])[0]
    learner.set_lexical({a: 0})
    pooled = Semantics.from_functions({0: define("lex0", "x", [SEQ]), 1: CONCAT_OWN}, n_symbols=KEY_STRIDE)
    five = define("five", "concat(x, concat(x, concat(x, concat(x, x))))", [SEQ])
    own = Semantics.from_functions({semantic_key(rep, 1): five}, n_symbols=2 * KEY_STRIDE)
    learner.set_semantics(with_lexical_meanings(own, pooled, learner.lexical, KEY_STRIDE))
    source = ("rep", "rep", "rep", "rep", "a")
    assert learner.predict([source], [[0, 0, 0, 0, 1]]) == [(0,) * 625]
    learner.config = replace(learner.config, predict_max_len=512)
    assert learner.predict([source], [[0, 0, 0, 0, 1]]) == [None]


def test_the_parser_reads_every_letter_as_one_category() -> None:
    learner, (rev, a, b, c) = _shift_as_reverse_learner(spell_in_order=True)
    first = min(a, b, c)
    assert learner.parse_symbols((rev, a, b, c)) == (rev, first, first, first)


def test_with_copied_letters_the_parser_counts_dependents_and_grafts_and_a_model_keeps_it(tmp_path: Path) -> None:
    torch.set_num_threads(1)
    train = [Example(tuple(f"copy {a} {b}".split()), (a, b)) for a in ("A1", "B2", "C3") for b in ("D4", "E5")]
    model = create_model("nsr", stage_rounds=1)
    model.fit(train, train, TrainBudget(minutes=0.02, patience=1), seed=0)
    assert model.config["parser_counts_dependents"] and model.learner.parser.count_dependents
    model.save(tmp_path)
    loaded = type(model).load(tmp_path).learner
    assert loaded.parser.count_dependents
    assert loaded.lexical == model.learner.lexical and len(loaded.lexical) == 5  # the letters stay letters
    scan_like = create_model("nsr", stage_rounds=1)  # no input token is copied: the default parser
    walk = [Example(("walk",), ("I_WALK",)), Example(("walk", "twice"), ("I_WALK", "I_WALK"))]
    scan_like.fit(walk, walk, TrainBudget(minutes=0.01, patience=1), seed=0)
    assert not scan_like.config["parser_counts_dependents"]
    assert model.config["parser_grafts"] > 0 and scan_like.config["parser_grafts"] == 0
