"""PCFG SET: the interpreter on every shipped file, the reader's errors, interpreter laws, the generator."""

from __future__ import annotations

import statistics
from functools import cache
from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st

from reasoning.tasks.errors import DataFormatError
from reasoning.tasks.example import Example
from reasoning.tasks.pcfg import (
    BINARY,
    UNARY,
    Program,
    ProgramError,
    count_functions,
    depth,
    evaluate,
    function_pairs,
    interpret,
    is_call,
    parse_program,
    read_pcfg,
)
from reasoning.tasks.pcfg_generator import (
    HELD_OUT_PAIRS,
    MAX_SOURCE_LENGTH,
    SYMBOLS,
    generate_pcfg,
    program_tokens,
)

SHIPPED = [
    "pcfgset/dev.src",
    "pcfgset/test.src",
    "systematicity/test.src",
    "productivity/test.src",
    "small_10k/train.src",
    "small_10k/dev.src",
    "small_10k/test.src",
]


@cache
def read_once(path: Path) -> list[Example]:
    """Each shipped file is read once per test session."""
    return read_pcfg(path)


def test_every_shipped_pcfg_file_is_checked(pcfg_dir: Path) -> None:
    shipped = {path.relative_to(pcfg_dir).as_posix().removesuffix(".gz") for path in pcfg_dir.rglob("*.src.gz")}
    assert shipped == set(SHIPPED), sorted(shipped ^ set(SHIPPED))


@pytest.mark.parametrize("name", SHIPPED)
def test_interpreter_reproduces_every_target(pcfg_dir: Path, name: str) -> None:
    examples = read_once(pcfg_dir / name)
    assert examples
    wrong = [e for e in examples if interpret(e.source) != e.target]
    assert wrong == [], f"{len(wrong)} of {len(examples)} targets differ in {name}"


def test_official_split_definitions(pcfg_dir: Path) -> None:
    systematicity = read_once(pcfg_dir / "systematicity" / "test.src")
    assert all(function_pairs(e.source) & HELD_OUT_PAIRS for e in systematicity)
    productivity = read_once(pcfg_dir / "productivity" / "test.src")
    assert min(count_functions(e.source) for e in productivity) == 9


def test_generated_training_data_looks_like_the_shipped_iid_data(pcfg_dir: Path) -> None:
    shipped = read_once(pcfg_dir / "pcfgset" / "dev.src") + read_once(pcfg_dir / "pcfgset" / "test.src")
    generated = generate_pcfg("iid", n_examples=5_000, seed=1)

    def summary(examples: list[Example]) -> dict[str, float]:
        return {
            "functions": statistics.mean(count_functions(e.source) for e in examples),
            "depth": statistics.mean(depth(parse_program(e.source)) for e in examples),
            "source": statistics.mean(len(e.source) for e in examples),
            "target": statistics.mean(len(e.target) for e in examples),
        }

    ours, theirs = summary(generated), summary(shipped)
    for key in ours:
        assert ours[key] == pytest.approx(theirs[key], rel=0.1), (key, ours, theirs)
    symbols = {t for e in generated for t in e.source if t not in UNARY and t not in BINARY and t != ","}
    shipped_symbols = {t for e in shipped for t in e.source if t not in UNARY and t not in BINARY and t != ","}
    assert symbols <= shipped_symbols == set(SYMBOLS)
    assert max(len(e.source) for e in generated) <= MAX_SOURCE_LENGTH


def _string_lengths(program: Program) -> list[int]:
    if is_call(program):
        return [n for argument in program[1:] for n in _string_lengths(argument)]
    return [len(program)]


def test_generator_splits() -> None:
    systematic = generate_pcfg("systematicity", n_examples=3_000, seed=0)
    assert not any(function_pairs(e.source) & HELD_OUT_PAIRS for e in systematic)
    productive = generate_pcfg("productivity", n_examples=3_000, seed=0)
    assert max(count_functions(e.source) for e in productive) == 8
    iid = generate_pcfg("iid", n_examples=3_000, seed=0)
    assert any(function_pairs(e.source) & HELD_OUT_PAIRS for e in iid)
    for examples in (systematic, productive, iid):
        assert len({e.source for e in examples}) == len(examples)
        assert all(interpret(e.source) == e.target for e in examples)
        assert {n for e in examples for n in _string_lengths(parse_program(e.source))} == {2, 3, 4, 5}


def test_generator_is_seeded_and_honours_exclude() -> None:
    first = generate_pcfg("iid", n_examples=500, seed=3)
    assert first == generate_pcfg("iid", n_examples=500, seed=3)
    assert first != generate_pcfg("iid", n_examples=500, seed=4)
    excluded = {e.source for e in first[:100]}
    again = generate_pcfg("iid", n_examples=500, seed=3, exclude=excluded)
    assert not excluded & {e.source for e in again}
    with pytest.raises(ValueError, match="unknown PCFG split"):
        generate_pcfg("localism", n_examples=10)


def test_reader_errors_name_files_and_lines(tmp_path: Path) -> None:
    source, target = tmp_path / "a.src", tmp_path / "a.tgt"
    source.write_text("copy A1 B2\nreverse A1 B2\n")
    target.write_text("A1 B2\n")
    with pytest.raises(DataFormatError) as error:
        read_pcfg(source)
    assert "a.src" in str(error.value) and "a.tgt" in str(error.value)
    target.write_text("A1 B2\nB2 A1\n")
    assert [e.target for e in read_pcfg(source, target)] == [("A1", "B2"), ("B2", "A1")]
    source.write_text("copy A1 B2\nswap A1 B2\n")
    with pytest.raises(DataFormatError, match=r"a\.src:2: unknown function 'swap'"):
        read_pcfg(source)
    source.write_text("copy A1 B2\nappend A1 B2\n")
    with pytest.raises(DataFormatError, match=r"a\.src:2: .*two arguments"):
        read_pcfg(source)


@pytest.mark.parametrize(
    "program",
    ["", "copy", "append A1 , ", "copy A1 , B1", "A1 copy B1", "append A1 B1 , C1 , D1", "reverse a1", "copy A1 ,"],
)
def test_malformed_programs_are_rejected(program: str) -> None:
    with pytest.raises(ProgramError):
        parse_program(program)


def test_documented_examples() -> None:
    assert interpret("reverse copy O14 O4 C12 J14 W3") == ("W3", "J14", "C12", "O4", "O14")
    assert interpret("shift A1 B1 C1") == ("B1", "C1", "A1")
    assert interpret("echo A1 B1") == ("A1", "B1", "B1")
    assert interpret("swap_first_last A1 B1 C1") == ("C1", "B1", "A1")
    assert interpret("prepend A1 , B1") == ("B1", "A1")
    assert parse_program("append remove_first A1 , B1 , C1") == ("append", ("remove_first", ("A1",), ("B1",)), ("C1",))


strings = st.lists(st.sampled_from(SYMBOLS), min_size=1, max_size=6).map(tuple)
programs = st.recursive(
    strings,
    lambda children: st.one_of(
        st.tuples(st.sampled_from(list(UNARY)), children),
        st.tuples(st.sampled_from(list(BINARY)), children, children),
    ),
    max_leaves=10,
)


@given(programs)
def test_writing_and_parsing_round_trip(program: Program) -> None:
    tokens = program_tokens(program)
    assert parse_program(tokens) == program
    assert interpret(tokens) == evaluate(program)


@given(programs)
def test_unary_laws(program: Program) -> None:
    tokens = program_tokens(program)
    x = interpret(tokens)
    assert interpret(("reverse", "reverse", *tokens)) == interpret(("copy", *tokens)) == x
    assert interpret(("swap_first_last", "swap_first_last", *tokens)) == x
    assert len(interpret(("repeat", *tokens))) == 2 * len(x)
    assert len(interpret(("echo", *tokens))) == len(x) + 1
    assert interpret(("shift",) * len(x) + tokens) == x
    assert sorted(interpret(("shift", *tokens))) == sorted(x)


@given(programs, programs)
def test_binary_laws(first: Program, second: Program) -> None:
    a, b = program_tokens(first), program_tokens(second)
    x, y = evaluate(first), evaluate(second)
    assert interpret(("append", *a, ",", *b)) == x + y == interpret(("prepend", *b, ",", *a))
    assert interpret(("remove_first", *a, ",", *b)) == y
    assert interpret(("remove_second", *a, ",", *b)) == x
    assert count_functions(("append", *a, ",", *b)) == 1 + count_functions(a) + count_functions(b)
