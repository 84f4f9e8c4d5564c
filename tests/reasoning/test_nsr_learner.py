"""NSR learning on small SCAN subsets: tree enumeration, guessed constants, simplification, parse classes."""

from __future__ import annotations

import itertools
from collections import Counter
from dataclasses import replace

import pytest
import torch
from hypothesis import given, settings
from hypothesis import strategies as st

from reasoning.nsr.dsl import ARITHMETIC, INT, SEQ, constant_function, define
from reasoning.nsr.learner import Learner, LearnerConfig, semantic_key
from reasoning.nsr.model import NUMBER_DOMAIN_DEFAULTS
from reasoning.nsr.program_eval import run_program
from reasoning.nsr.semantics import Semantics, SymbolReport, induce_semantics
from reasoning.nsr.symbol_tree import SymbolTree, check_heads, non_projective_node
from reasoning.nsr.tree_enumeration import projective_trees
from reasoning.nsr.value_domain import ValueDomain
from reasoning.seq2seq.interface import TrainBudget
from reasoning.seq2seq.registry import create_model
from reasoning.tasks.example import Example
from reasoning.tasks.scan import generate_scan


@pytest.mark.parametrize(("n", "count"), [(1, 1), (2, 2), (3, 7), (4, 30), (5, 143), (6, 728)])
def test_projective_tree_counts(n: int, count: int) -> None:
    trees = projective_trees(n, max_children=n)
    assert len(trees) == len(set(trees)) == count  # 1, 2, 7, 30, 143, 728 (OEIS A006013)
    for heads in trees:
        assert check_heads(heads) == heads and non_projective_node(heads) is None


def test_projective_trees_respect_the_children_bound() -> None:
    bounded = projective_trees(5, max_children=2)
    assert 0 < len(bounded) < 143
    assert all(max(heads.count(node) for node in range(5)) <= 2 for heads in bounded)
    with pytest.raises(ValueError, match=r"enumerated for 1\.\.6"):
        projective_trees(7, max_children=3)


@settings(max_examples=40, deadline=None)
@given(st.lists(st.integers(0, 9), max_size=6))
def test_constant_function_returns_its_value(value: list[int]) -> None:
    function = constant_function(tuple(value), "c")
    assert function.arg_types == () and run_program(function.program, ()) == tuple(value)


@settings(max_examples=20, deadline=None)
@given(st.integers(0, 300))
def test_number_constant_function_returns_its_value(value: int) -> None:
    function = constant_function(value, "n")
    assert function.return_type == INT and run_program(function.program, ()) == value


@pytest.fixture(scope="module")
def scan() -> list[Example]:
    return generate_scan()


def _fit(train: list[Example], seconds: float = 40) -> object:
    torch.set_num_threads(1)
    model = create_model("nsr", validate_every=2)
    model.fit(train, train, TrainBudget(minutes=seconds / 60, patience=3), seed=0)
    return model


def _phrases(scan: list[Example], *forms: tuple[str, ...]) -> list[Example]:
    return [example for example in scan if example.source in set(forms)]


def test_guessed_constants_give_opposite_two_children(scan: list[Example]) -> None:
    # "left" alone never has a value in these inputs: it is guessed (TURN_LEFT, in every target it
    # occurs in), and "opposite" becomes a function of the action and the direction.
    actions, directions = ("walk", "look", "run"), ("left", "right")
    forms = [(a,) for a in (*actions, "jump")] + [(a, d) for a in actions for d in directions]
    forms += [(a, "opposite", d) for a in actions for d in directions]
    model = _fit(_phrases(scan, *forms))
    held_out = _phrases(scan, ("jump", "opposite", "left"), ("jump", "opposite", "right"))
    assert model.predict([e.source for e in held_out]) == [e.target for e in held_out]
    assert "opposite/2(x, y) = concat(y, concat(y, x))" in model.describe()


def test_a_guess_is_a_piece_of_every_target_of_its_symbol() -> None:
    # Tokens walk left right opposite look; outputs WALK=0 LTURN=1 RTURN=2 LOOK=3. LTURN is in every
    # target of "left"; "opposite" is with LTURN or RTURN, never always one of them, so it gets no guess.
    domain = ValueDomain(("I_WALK", "I_TURN_LEFT", "I_TURN_RIGHT", "I_LOOK"))
    learner = Learner(5, 5, domain, LearnerConfig(), seed=0)
    walk, left, right, opposite, _ = learner.perceive([0, 1, 2, 3, 4])[0]
    learner.prepare_guesses([(0, ("walk", "left"), [0, 1], (1, 0)), (1, ("look", "left"), [4, 1], (1, 3)),
                             (2, ("walk", "opposite", "left"), [0, 3, 1], (1, 1, 0)),
                             (3, ("look", "opposite", "right"), [4, 3, 2], (2, 2, 3))])
    assert learner._guesses[left] == ((1,), LearnerConfig().guess_cost)
    assert learner._guesses[right][0] == (2,) and learner._guesses[walk][0] == (0,)
    assert opposite not in learner._guesses


def test_simplify_reads_around_with_a_direction_child(scan: list[Example]) -> None:
    # Only "around left" is seen; left(around(x)) with a left baked into around fits it too, but the
    # simpler account around(x, left) is the one that carries over to "around right".
    actions, directions = ("walk", "look", "run", "jump"), ("left", "right")
    forms = [(a,) for a in actions] + [(a, d) for a in actions for d in directions]
    forms += [(a, "twice") for a in actions]
    forms += [(a, "opposite", d) for a in actions for d in directions] + [(a, "around", "left") for a in actions]
    model = _fit(_phrases(scan, *forms))
    held_out = _phrases(scan, *[(a, "around", "right") for a in actions])
    assert model.predict([e.source for e in held_out]) == [e.target for e in held_out]


def test_a_primitive_seen_alone_is_parsed_like_the_others(scan: list[Example]) -> None:
    # add-jump in miniature: "jump" is only ever seen alone.
    actions = ("walk", "look", "run")
    modifiers = ("twice", "thrice", "left", "right")
    forms = [(a,) for a in (*actions, "jump")] + [(a, m) for a in actions for m in modifiers]
    forms += [(a, m, n) for a, m, n in itertools.product(actions, ("left", "right"), ("twice", "thrice"))]
    model = _fit(_phrases(scan, *forms))
    held_out = _phrases(scan, ("jump", "twice"), ("jump", "left", "thrice"))
    assert model.predict([e.source for e in held_out]) == [e.target for e in held_out]


def test_a_borrowed_constant_loses_to_a_direction_child(scan: list[Example]) -> None:
    # opposite-right in miniature: only "opposite left" is seen, and left(opposite(x)) with
    # opposite(x) = concat(I_TURN_LEFT, x) fits it in fewer nodes; but that I_TURN_LEFT is what "left"
    # means, so opposite(x, left) is kept, and it carries over to "opposite right".
    actions, directions = ("walk", "look", "run", "jump"), ("left", "right")
    forms = [(a,) for a in actions] + [(a, d) for a in actions for d in directions]
    forms += [(a, "twice") for a in actions] + [(a, "around", d) for a in actions for d in directions]
    forms += [(a, "opposite", "left") for a in actions]
    model = _fit(_phrases(scan, *forms))
    held_out = _phrases(scan, *[(a, "opposite", "right") for a in actions])
    assert model.predict([e.source for e in held_out]) == [e.target for e in held_out]



def test_a_symbol_used_like_another_borrows_its_form() -> None:
    # SCAN's right split in miniature: "right" never has a child in training, but it is used where
    # "left" is (the direction of opposite), so right/1 borrows left/1's form with right's own token.
    walk, left, right, opposite = range(4)
    learner = Learner(4, 4, ValueDomain(("I_WALK", "I_TURN_LEFT", "I_TURN_RIGHT")), LearnerConfig(), seed=0)
    key = semantic_key
    learner.set_semantics(Semantics.from_functions({
        key(walk, 0): constant_function((0,), "walk"), key(left, 0): constant_function((1,), "left"),
        key(right, 0): constant_function((2,), "right"), key(left, 1): define("left1", "concat(const_1, x)", (SEQ,)),
        key(opposite, 2): define("opposite2", "concat(y, concat(y, x))", (SEQ, SEQ))}, n_symbols=16))
    trees = [SymbolTree(("walk", "opposite", "left"), (walk, opposite, left), (1, -1, 1)),
             SymbolTree(("walk", "opposite", "right"), (walk, opposite, right), (1, -1, 1)),
             SymbolTree(("walk", "left"), (walk, left), (1, -1))]
    learner.explained = {i: (tree, (), ()) for i, tree in enumerate(trees)}
    analogies = learner.find_analogies()
    assert set(analogies) == {key(right, 1)}  # not walk/1: walk is not used where left is
    assert run_program(analogies[key(right, 1)].program, ((0,),)) == (2, 0)
    # Where the borrowed meaning is used, the parser reads "right" as "left" (walk right ~ walk left).
    assert learner.analogy_lenders == {right: left}
    with learner._borrowed_meanings():
        assert learner.parse_symbols((walk, right)) == (walk, left)
        assert learner.semantics.functions[key(right, 1)] is not None
    assert learner.parse_symbols((walk, right)) == (walk, right)
    assert learner.semantics.functions[key(right, 1)] is None


def test_number_targets_switch_to_the_number_domain_defaults_but_keep_what_the_user_set() -> None:
    torch.set_num_threads(1)
    digits = [Example((str(d),), (str(d),)) for d in range(10)]
    model = create_model("nsr", induce_seconds=0.2)
    model.fit(digits, digits, TrainBudget(minutes=0.05, patience=1), seed=0)
    assert model.config["max_program_size"] == NUMBER_DOMAIN_DEFAULTS["max_program_size"]
    assert model.config["induce_seconds"] == 0.2
    # Digits above 7 are constants too large for an 8-node search: they are written down directly.
    assert model.predict([("9",), ("8",), ("0",)]) == [("9",), ("8",), ("0",)]


def test_voting_keeps_the_value_most_nodes_give_each_children_values() -> None:
    support = Counter({((), 7): 5, ((), 0): 1, ((3, 4), 7): 1, ((3, 4), 12): 2})
    assert sorted(Learner._voted(support), key=str) == sorted([((), 7), ((3, 4), 12)], key=str)


def test_a_constant_beyond_the_search_size_is_written_down() -> None:
    semantics, report = induce_semantics({0: [((), 40)]}, ARITHMETIC, max_size=4, time_budget_s=1.0)
    assert report[0].source == "constant" and semantics.apply(0, ()) == 40


def test_a_key_no_program_fits_in_time_waits_longer_after_each_failure() -> None:
    learner = Learner(2, 2, ValueDomain(), LearnerConfig(), seed=0)
    failed = SymbolReport(3, None, 0, 4, 0, True, 1.0, "none")
    learner._inductions = 10
    waits = []
    for _ in range(8):
        learner._back_off({3: failed}, [3])
        waits.append(learner._backoff[3][0] - learner._inductions)
    assert waits == [2, 4, 8, 16, 32, 64, 64, 64]
    learner._back_off({3: replace(failed, program="s3 = 1", n_consistent=4, hit_budget=False)}, [3])
    assert 3 not in learner._backoff  # a fit ends the wait
    learner._back_off({3: replace(failed, hit_budget=False)}, [3])
    assert 3 not in learner._backoff  # an exhausted search is not retried before its examples change anyway


def test_a_key_with_children_waits_for_enough_examples_before_a_search() -> None:
    learner = Learner(3, 3, ValueDomain(), LearnerConfig(induce_min_examples=2), seed=0)
    tree = SymbolTree(("2", "+", "1"), (0, 1, 2), (1, -1, 1), values=(2, 3, 1))
    learner.explained = {0: (tree, (0, 1, 2), 3)}
    learner.induce()
    plus = semantic_key(1, 2)
    assert learner.semantics.functions[plus] is None  # one example of +/2: not searched yet
    assert learner.semantics.functions[semantic_key(0, 0)] is not None  # leaves are constants at once
    learner.explained[1] = (SymbolTree(("2", "+", "2"), (0, 1, 0), (1, -1, 1), values=(2, 4, 2)), (0, 1, 0), 4)
    learner.induce()
    assert len(learner.explained) == 2  # the first tree waited, kept, for the second example
    assert learner.semantics.apply_many(plus, [(2, 1), (2, 2)]) == [3, 4]


def test_keys_a_spent_round_budget_left_unsearched_are_neither_recorded_nor_retracted() -> None:
    learner = Learner(3, 3, ValueDomain(), LearnerConfig(induce_round_seconds=1e-9), seed=0)
    tree = SymbolTree(("2", "+", "1"), (0, 1, 2), (1, -1, 1), values=(2, 3, 1))
    learner.explained = {0: (tree, (0, 1, 2), 3)}
    report = learner.induce()
    assert report and all(r.deferred for r in report.values() if r.n_examples)
    assert learner._induced_from == {} and learner.retractions == 0 and not learner.penalties.any()
    assert len(learner.explained) == 1  # its tree waits for a round with budget left
    learner.config = replace(learner.config, induce_round_seconds=0.0)
    learner.induce()
    assert learner.semantics.functions[semantic_key(0, 0)] is not None


def test_greedy_values_deduce_the_greedy_parse() -> None:
    torch.manual_seed(0)
    learner = Learner(3, 3, ValueDomain(), LearnerConfig(), seed=0)
    two, plus, one = learner.perceive([0, 1, 2])[0]  # the symbols tokens 0, 1, 2 start as
    learner.set_semantics(Semantics.from_functions({
        semantic_key(two, 0): constant_function(2, "two"), semantic_key(one, 0): constant_function(1, "one"),
        semantic_key(plus, 2): define("add", "if_zero(x, y, inc(self(dec(x), y)))", (INT, INT))}, n_symbols=16))
    tree = SymbolTree(("2", "+", "1"), (two, plus, one), (1, -1, 1), values=(2, 3, 1))
    learner.explained = {0: (tree, (0, 1, 2), 3)}
    learner.train_modules(150)  # the parser learns the one tree
    assert learner.parse_batch([(two, plus, one)]) == [(1, -1, 1)]
    assert learner.greedy_values([(0, 1, 2), (0,), (2,)]) == [3, 2, 1]
    assert learner.greedy_values([(0, 2)]) == [None]  # 2/1 and 1/1 have no meaning: no tree of "2 1" has a value


def _adding_learner(config: LearnerConfig) -> tuple[Learner, int, int]:
    """A learner whose token 0 means 1 and token 1 means addition (2 children); its parser is untrained."""
    torch.manual_seed(0)
    learner = Learner(2, 2, ValueDomain(), config, seed=0)
    one, plus = learner.perceive([0, 1])[0]
    learner.set_semantics(Semantics.from_functions({
        semantic_key(one, 0): constant_function(1, "one"),
        semantic_key(plus, 2): define("add", "if_zero(x, y, inc(self(dec(x), y)))", (INT, INT))}, n_symbols=16))
    return learner, one, plus


def test_the_most_children_of_a_symbol_are_those_its_programs_take() -> None:
    learner, one, plus = _adding_learner(LearnerConfig())
    assert learner._most_children() == {one: 0, plus: 2}


def test_a_beam_that_finds_no_reading_of_a_long_input_is_widened() -> None:
    learner, one, plus = _adding_learner(LearnerConfig(beam_width=1, beam_widenings=0))
    symbols = (one, plus, one, plus, one, plus, one, plus, one)  # 1 + 1 + 1 + 1 + 1
    assert learner._beam_trees(symbols) == []  # the untrained parser's likeliest step leads nowhere
    learner.config = replace(learner.config, beam_widenings=1)
    trees = learner._beam_trees(symbols)  # width 4
    assert trees
    for heads in trees:
        keyed = learner.keyed(SymbolTree(("?",) * len(symbols), symbols, heads))
        assert keyed is not None and learner.deduce(keyed)[keyed.root] == 5
        assert all(heads.count(node) == (2 if symbol == plus else 0) for node, symbol in enumerate(symbols))
