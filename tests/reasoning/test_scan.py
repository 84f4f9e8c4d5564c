"""SCAN: the grammar generator against the official files, the split definitions, the file reader."""

from __future__ import annotations

from collections import Counter
from functools import cache
from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st

from reasoning.tasks.errors import DataFormatError
from reasoning.tasks.example import Example
from reasoning.tasks.scan import (
    ACTIONS,
    COMMAND_WORDS,
    format_scan_line,
    generate_scan,
    interpret,
    parse_scan_line,
    read_scan,
)
from reasoning.tasks.scan_splits import (
    COMPLEX_JUMP_COUNTS,
    FILE_ONLY_SPLITS,
    GENERATED_SPLITS,
    OFFICIAL_FILES,
    build_scan_split,
    contains_phrase,
)
from reasoning.tasks.text_files import locate

GENERATED = generate_scan()
SPLITS = {name: build_scan_split(name) for name in GENERATED_SPLITS}

OFFICIAL_SIZES = {
    "simple": (16_728, 4_182),
    "length": (16_990, 3_920),
    "add-jump": (14_670, 7_706),
    "add-turn-left": (21_890, 1_208),
    "around-right": (15_225, 4_476),
    "opposite-right": (15_225, 4_476),
    "right": (15_225, 4_476),
    "jump-around-right": (18_528, 1_173),
    "filler-0": (15_225, 1_173),
    "filler-1": (16_290, 1_173),
    "filler-2": (17_391, 1_173),
    "filler-3": (18_528, 1_173),
}


@cache
def read_once(path: Path) -> list[Example]:
    """Each shipped file is read once per test session."""
    return read_scan(path)


def pairs(examples: list[Example]) -> set[tuple[tuple[str, ...], tuple[str, ...]]]:
    return {(e.source, e.target) for e in examples}


def test_grammar_generates_20910_distinct_commands_with_the_official_vocabulary() -> None:
    assert len(GENERATED) == 20_910
    assert len({e.source for e in GENERATED}) == 20_910
    assert {w for e in GENERATED for w in e.source} == COMMAND_WORDS and len(COMMAND_WORDS) == 13
    assert {a for e in GENERATED for a in e.target} == ACTIONS and len(ACTIONS) == 6


def test_generator_reproduces_tasks_txt_exactly(scan_dir: Path) -> None:
    official = read_once(scan_dir / "tasks.txt")
    assert len(official) == 20_910
    assert pairs(GENERATED) == pairs(official)


def test_every_shipped_scan_file_is_checked(scan_dir: Path) -> None:
    covered = {"tasks.txt"} | {name for files in OFFICIAL_FILES.values() for name in files}
    shipped = {path.relative_to(scan_dir).as_posix().removesuffix(".gz") for path in scan_dir.rglob("*.txt.gz")}
    assert shipped, "no SCAN files found"
    assert shipped <= covered, f"shipped SCAN files without a builder: {sorted(shipped - covered)}"


def _shipped(scan_dir: Path, name: str) -> tuple[list[Example], list[Example]]:
    paths = [scan_dir / file for file in OFFICIAL_FILES[name]]
    assert all(locate(path) for path in paths), f"the official {name} files are not shipped in {scan_dir}"
    return read_once(paths[0]), read_once(paths[1])


@pytest.mark.parametrize("name", [name for name in GENERATED_SPLITS if name != "simple"])
def test_split_equals_shipped_files(scan_dir: Path, name: str) -> None:
    train, test = _shipped(scan_dir, name)
    for built, official in ((SPLITS[name]["train"], train), (SPLITS[name]["test"], test)):
        # Multisets (add-jump repeats 'jump'); the differences are asserted so a failure prints only them.
        assert Counter(built) - Counter(official) == Counter()
        assert Counter(official) - Counter(built) == Counter()


def test_shipped_simple_split_is_an_80_20_partition(scan_dir: Path) -> None:
    train, test = _shipped(scan_dir, "simple")
    assert (len(train), len(test)) == OFFICIAL_SIZES["simple"]
    assert not pairs(train) & pairs(test)
    assert pairs(train) | pairs(test) == pairs(GENERATED)


def test_interpretation_matches_every_shipped_line(scan_dir: Path) -> None:
    for path in scan_dir.rglob("*.txt.gz"):
        for example in read_once(path):
            assert interpret(example.source) == example.target, (path, example)


@pytest.mark.parametrize("name", GENERATED_SPLITS)
def test_split_sizes_match_the_official_files(name: str) -> None:
    split = SPLITS[name]
    assert (len(split["train"]), len(split["test"])) == OFFICIAL_SIZES[name]


@pytest.mark.parametrize("count", COMPLEX_JUMP_COUNTS)
def test_complex_jump_files_move_that_many_jump_commands_into_training(scan_dir: Path, count: int) -> None:
    train, test = _shipped(scan_dir, f"add-jump-complex-{count}")
    add_jump = SPLITS["add-jump"]
    moved = {e for e in train if "jump" in e.source and e.source != ("jump",)}
    assert len(moved) == count
    assert pairs(test) | {(e.source, e.target) for e in moved} == pairs(add_jump["test"])
    assert pairs(train) - {(e.source, e.target) for e in moved} == pairs(add_jump["train"])


def test_file_only_splits_refuse_to_be_built() -> None:
    for name in FILE_ONLY_SPLITS:
        with pytest.raises(ValueError, match="only as official files"):
            build_scan_split(name)


def test_simple_split_is_a_seeded_partition() -> None:
    first, again, other = (build_scan_split("simple", seed=s) for s in (0, 0, 1))
    assert first == again and first != other
    assert not pairs(first["train"]) & pairs(first["test"])
    assert pairs(first["train"]) | pairs(first["test"]) == pairs(GENERATED)


def test_length_split_definition() -> None:
    split = SPLITS["length"]
    assert max(len(e.target) for e in split["train"]) == 22
    assert min(len(e.target) for e in split["test"]) == 24
    assert max(len(e.target) for e in split["test"]) == 48


@pytest.mark.parametrize(("name", "primitive"), [("add-jump", ("jump",)), ("add-turn-left", ("turn", "left"))])
def test_add_primitive_definition(name: str, primitive: tuple[str, ...]) -> None:
    split = SPLITS[name]
    composed = [e for e in split["train"] if contains_phrase(e.source, primitive) and e.source != primitive]
    assert composed == []
    bare = sum(e.source == primitive for e in split["train"])
    assert bare == round((len(split["train"]) - bare) / 9)  # the bare primitive is 10% of the list
    assert all(contains_phrase(e.source, primitive) and e.source != primitive for e in split["test"])
    once = build_scan_split(name, primitive_share=None)
    assert sum(e.source == primitive for e in once["train"]) == 1


def test_around_right_definition() -> None:
    split = SPLITS["around-right"]
    assert not any(contains_phrase(e.source, ("around", "right")) for e in split["train"])
    for example in split["test"]:
        assert not contains_phrase(example.source, ("turn", "around", "right"))
        assert any(
            contains_phrase(example.source, (verb, "around", "right")) for verb in ("walk", "look", "run", "jump")
        )
    neither = pairs(GENERATED) - pairs(split["train"]) - pairs(split["test"])
    assert len(neither) == 1_209
    assert all("turn around right" in " ".join(source) for source, _ in neither)


def test_reader_reports_file_and_line(tmp_path: Path) -> None:
    path = tmp_path / "bad.txt"
    path.write_text("IN: jump OUT: I_JUMP\nIN: jump I_JUMP\n")
    with pytest.raises(DataFormatError, match=r"bad.txt:2: .*IN: <command> OUT:"):
        read_scan(path)
    path.write_text("IN: jump OUT: I_JUMP\n\nIN: hop twice OUT: I_JUMP I_JUMP\n")
    with pytest.raises(DataFormatError, match=r"bad.txt:3: unknown command word 'hop'"):
        read_scan(path)
    path.write_text("IN: jump OUT: I_HOP\n")
    with pytest.raises(DataFormatError, match=r"bad.txt:1: unknown action 'I_HOP'"):
        read_scan(path)


def test_interpret_rejects_non_scan_commands() -> None:
    for command in ("jump jump", "turn", "walk and run and look", "around left", "jump twice thrice"):
        with pytest.raises(ValueError):
            interpret(command)


examples = st.sampled_from(GENERATED)
sentences = st.sampled_from([e for e in GENERATED if not {"and", "after"} & set(e.source)])


@given(examples)
def test_line_format_round_trips(example: Example) -> None:
    assert parse_scan_line(format_scan_line(example)) == example


@given(sentences, sentences)
def test_conjunctions_compose(first: Example, second: Example) -> None:
    assert interpret((*first.source, "and", *second.source)) == first.target + second.target
    assert interpret((*first.source, "after", *second.source)) == second.target + first.target


@given(sentences)
def test_repetition_composes(sentence: Example) -> None:
    if sentence.source[-1] in ("twice", "thrice"):
        return
    assert interpret((*sentence.source, "twice")) == sentence.target * 2
    assert interpret((*sentence.source, "thrice")) == sentence.target * 3
