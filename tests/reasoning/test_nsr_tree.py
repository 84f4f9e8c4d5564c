"""NSR syntax: the arc-standard oracle on hand-made and random trees, and SymbolTree validation, text and drawing."""

from __future__ import annotations

from pathlib import Path

import matplotlib.figure
import pytest
from hypothesis import assume, given, settings
from hypothesis import strategies as st

from reasoning.nsr.symbol_tree import SymbolTree, check_heads
from reasoning.nsr.transitions import (
    LEFT_ARC,
    RIGHT_ARC,
    SHIFT,
    Action,
    apply,
    heads_from_actions,
    initial,
    is_final,
    legal_actions,
    oracle,
    oracle_path,
    run_actions,
)

S, L, R = SHIFT, LEFT_ARC, RIGHT_ARC
PNG_SIGNATURE = b"\x89PNG\r\n\x1a\n"

# (sentence, heads, the oracle's actions) written out by hand.
HAND_MADE = [
    ("jump", (-1,), [S]),
    ("jump twice", (1, -1), [S, S, L]),
    ("walk and run", (1, -1, 1), [S, S, L, S, R]),
    ("jump twice and walk", (1, 2, -1, 2), [S, S, L, S, L, S, R]),
    # + heads 3 and *, * heads 4 and 2: * must collect 2 before it can attach to +.
    ("3 + 4 * 2", (1, -1, 3, 1, 3), [S, S, L, S, S, L, S, R, R]),
    # (3 * 4) + 2: * is complete when + arrives, so it attaches as +'s left operand.
    ("3 * 4 + 2", (1, 3, 1, -1, 3), [S, S, L, S, R, S, L, S, R]),
    # a root with two dependents on each side, all leaves
    ("a b r c d", (2, 2, -1, 2, 2), [S, S, S, L, L, S, R, S, R]),
]


@st.composite
def projective_heads(draw: st.DrawFn, max_tokens: int = 12) -> tuple[int, ...]:
    """A random projective tree by recursive splitting: a span picks its root, and the tokens left and right of
    the root are cut into consecutive spans, each one subtree attached to that root."""
    n = draw(st.integers(1, max_tokens))
    heads = [-1] * n

    def build(start: int, stop: int, head: int) -> None:
        root = draw(st.integers(start, stop - 1))
        heads[root] = head
        for side_start, side_stop in ((start, root), (root + 1, stop)):
            while side_start < side_stop:
                cut = draw(st.integers(side_start + 1, side_stop))
                build(side_start, cut, root)
                side_start = cut

    build(0, n, -1)
    return tuple(heads)


@st.composite
def any_heads(draw: st.DrawFn, max_tokens: int = 9) -> tuple[int, ...]:
    """A random tree, projective or not: tokens in a random order each attach to an earlier one."""
    n = draw(st.integers(1, max_tokens))
    order = draw(st.permutations(range(n)))
    heads = [-1] * n
    for rank in range(1, n):
        heads[order[rank]] = order[draw(st.integers(0, rank - 1))]
    return tuple(heads)


def brute_force_projective(heads: tuple[int, ...]) -> bool:
    """Every arc's head dominates every token strictly between the head and the dependent."""

    def dominates(head: int, token: int) -> bool:
        while token != -1:
            if token == head:
                return True
            token = heads[token]
        return False

    return all(
        dominates(head, between)
        for dependent, head in enumerate(heads) if head >= 0
        for between in range(min(head, dependent) + 1, max(head, dependent))
    )


@pytest.mark.parametrize(("sentence", "heads", "expected"), HAND_MADE, ids=[case[0] for case in HAND_MADE])
def test_oracle_of_hand_made_trees(sentence: str, heads: tuple[int, ...], expected: list[Action]) -> None:
    actions = oracle(heads)
    assert actions == expected, [action.name for action in actions]
    assert len(actions) == 2 * len(sentence.split()) - 1
    assert heads_from_actions(len(heads), actions) == heads


def test_transitions_step_by_step() -> None:
    config = initial(3)
    assert (config.stack, config.buffer, config.heads) == ((), (0, 1, 2), (-1, -1, -1))
    assert legal_actions(config) == (True, False, False)
    config = apply(apply(config, SHIFT), SHIFT)
    assert legal_actions(config) == (True, True, True)
    after_left = apply(config, LEFT_ARC)
    assert (after_left.stack, after_left.heads) == ((1,), (1, -1, -1))
    after_right = apply(config, RIGHT_ARC)
    assert (after_right.stack, after_right.heads) == ((0,), (-1, 0, -1))
    assert config.heads == (-1, -1, -1), "apply must not change its argument"
    final = apply(apply(after_left, SHIFT), RIGHT_ARC)
    assert is_final(final) and legal_actions(final) == (False, False, False)
    assert final.heads == (1, -1, 1)


def test_illegal_and_incomplete_action_sequences() -> None:
    with pytest.raises(ValueError, match="LEFT_ARC is illegal"):
        apply(initial(2), LEFT_ARC)
    with pytest.raises(ValueError, match="SHIFT is illegal"):
        heads_from_actions(1, [S, S])
    with pytest.raises(ValueError, match="takes 3 actions"):
        heads_from_actions(2, [S, S])
    with pytest.raises(ValueError, match="at least one token"):
        initial(0)
    with pytest.raises(ValueError):
        apply(initial(1), 7)


@pytest.mark.parametrize(("heads", "problem"), [
    ((2, -1, 1), "not projective: the subtree of token 2"),  # 2 -> 0 spans the root 1
    ((-1, 3, 0, 0), "not projective: the subtree of token 3"),  # 3 -> 1 crosses 0 -> 2
    ((-1, -1), "exactly one root"),
    ((1, 0, -1), "cycle"),
    ((1, 4), "outside"),
    ((), "at least one token"),
])
def test_oracle_rejects_what_arc_standard_cannot_build(heads: tuple[int, ...], problem: str) -> None:
    with pytest.raises(ValueError, match=problem):
        oracle(heads)


@settings(max_examples=150, deadline=None)
@given(projective_heads())
def test_oracle_round_trip_on_random_projective_trees(heads: tuple[int, ...]) -> None:
    path = oracle_path(heads)
    assert len(path) == 2 * len(heads) - 1
    for config, action in path:
        assert legal_actions(config)[action], (config, action)
    assert heads_from_actions(len(heads), [action for _, action in path]) == heads
    assert brute_force_projective(heads)


@settings(max_examples=150, deadline=None)
@given(any_heads())
def test_oracle_accepts_exactly_the_projective_trees(heads: tuple[int, ...]) -> None:
    projective = brute_force_projective(heads)
    tree = SymbolTree(tokens=[str(i) for i in range(len(heads))], symbols=[0] * len(heads), heads=heads)
    assert tree.is_projective() == projective
    if projective:
        assert heads_from_actions(len(heads), oracle(heads)) == heads
    else:
        with pytest.raises(ValueError, match="not projective"):
            oracle(heads)


@settings(max_examples=100, deadline=None)
@given(any_heads())
def test_random_non_projective_trees_raise(heads: tuple[int, ...]) -> None:
    assume(not brute_force_projective(heads))
    with pytest.raises(ValueError, match="not projective"):
        oracle(heads)


@settings(max_examples=100, deadline=None)
@given(st.integers(1, 12), st.data())
def test_random_legal_walks_build_projective_trees(n: int, data: st.DataObject) -> None:
    config, actions = initial(n), []
    while not is_final(config):
        action = data.draw(st.sampled_from([a for a in Action if legal_actions(config)[a]]))
        actions.append(action)
        config = apply(config, action)
    assert len(actions) == 2 * n - 1
    heads = check_heads(config.heads)
    assert brute_force_projective(heads)
    assert run_actions(n, actions)[-1] == config
    assert heads_from_actions(n, oracle(heads)) == heads


def jump_twice_and_walk(values: bool = True) -> SymbolTree:
    """SCAN "jump twice and walk": twice heads jump, and heads twice and walk."""
    return SymbolTree(
        tokens=("jump", "twice", "and", "walk"),
        symbols=(0, 1, 2, 0),
        heads=(1, 2, -1, 2),
        values=(("JUMP",), ("JUMP", "JUMP"), ("JUMP", "JUMP", "WALK"), ("WALK",)) if values else None,
    )


def test_symbol_tree_structure() -> None:
    tree = jump_twice_and_walk()
    assert len(tree) == 4 and tree.root == 2
    assert tree.children(2) == (1, 3) and tree.children(1) == (0,) and tree.children(0) == ()
    assert tree.subtree(1) == (0, 1) and tree.subtree(2) == (0, 1, 2, 3)
    assert tree.is_projective()
    assert not SymbolTree(tokens="abc", symbols=(0, 0, 0), heads=(2, -1, 1)).is_projective()


def test_symbol_tree_coerces_to_tuples() -> None:
    tree = SymbolTree(tokens=["3", "+", "4"], symbols=[3, 10, 4], heads=[1, -1, 1], values=[3, 7, 4])
    assert tree.tokens == ("3", "+", "4") and tree.heads == (1, -1, 1) and tree.values == (3, 7, 4)
    assert hash(tree) == hash(SymbolTree(("3", "+", "4"), (3, 10, 4), (1, -1, 1), (3, 7, 4)))


@pytest.mark.parametrize(("heads", "symbols", "values", "problem"), [
    ((-1, -1, 1), (0, 0, 0), None, "exactly one root"),
    ((1, 2, 0), (0, 0, 0), None, "exactly one root"),
    ((1, 0, -1), (0, 0, 0), None, "cycle through tokens"),
    ((1, -1, 3), (0, 0, 0), None, "head of token 2 is 3, outside"),
    ((1, -1, -2), (0, 0, 0), None, "outside"),
    ((0, -1, 1), (0, 0, 0), None, "token 0 is its own head"),
    ((1, -1, 1), (0, 0), None, "symbols has 2 entries but there are 3 tokens"),
    ((1, -1, 1), (0, 0, 0), (1, 2), "values has 2 entries"),
])
def test_symbol_tree_validation(heads: tuple[int, ...], symbols: tuple[int, ...], values: tuple | None,
                                problem: str) -> None:
    with pytest.raises(ValueError, match=problem):
        SymbolTree(tokens=("a", "b", "c"), symbols=symbols, heads=heads, values=values)


def test_edited_trees() -> None:
    tree = jump_twice_and_walk()
    assert tree.with_values(None).values is None
    relabelled = tree.with_symbols((0, 1, 2, 3))
    assert relabelled.symbols == (0, 1, 2, 3) and relabelled.heads == tree.heads
    assert relabelled.values is None, "values of the old symbols must not survive an edit"
    rehung = tree.with_heads((-1, 0, 1, 2), values=(1, 2, 3, 4))
    assert rehung.heads == (-1, 0, 1, 2) and rehung.values == (1, 2, 3, 4) and rehung.symbols == tree.symbols
    assert tree.heads == (1, 2, -1, 2), "the original tree is unchanged"
    with pytest.raises(ValueError, match="exactly one root"):
        tree.with_heads((-1, 2, -1, 2))


def test_to_text() -> None:
    names = ("PRIM", "TWICE", "AND")
    assert jump_twice_and_walk().to_text(names) == (
        "and [AND] = JUMP JUMP WALK\n"
        "  twice [TWICE] = JUMP JUMP\n"
        "    jump [PRIM] = JUMP\n"
        "  walk [PRIM] = WALK"
    )
    assert jump_twice_and_walk(values=False).to_text() == "and [2]\n  twice [1]\n    jump [0]\n  walk [0]"
    hint = SymbolTree(tokens="3+4*2", symbols=(3, 10, 4, 11, 2), heads=(1, -1, 3, 1, 3), values=(3, 11, 4, 8, 2))
    assert hint.to_text({3: "3", 10: "+", 4: "4", 11: "*", 2: "2"}).splitlines() == [
        "+ [+] = 11", "  3 [3] = 3", "  * [*] = 8", "    4 [4] = 4", "    2 [2] = 2"]


@pytest.mark.parametrize("values", [True, False])
def test_draw_writes_a_png_atomically(tmp_path: Path, values: bool) -> None:
    path = jump_twice_and_walk(values).draw(tmp_path / "trees" / "tree.png", ("PRIM", "TWICE", "AND"), title="t")
    assert path == tmp_path / "trees" / "tree.png"
    assert path.read_bytes().startswith(PNG_SIGNATURE)
    assert [p.name for p in path.parent.iterdir()] == ["tree.png"], "no temporary file left behind"


def test_draw_failure_leaves_nothing(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    def failing_savefig(self: matplotlib.figure.Figure, target: Path, **_: object) -> None:
        Path(target).write_bytes(b"half a png")
        raise OSError("disk full")

    monkeypatch.setattr(matplotlib.figure.Figure, "savefig", failing_savefig)
    with pytest.raises(OSError, match="disk full"):
        jump_twice_and_walk().draw(tmp_path / "tree.png")
    assert list(tmp_path.iterdir()) == []
