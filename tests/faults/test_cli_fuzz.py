"""Fuzzing the command line: random flag values and hostile files give exit code 2 and one line, never a traceback."""

from __future__ import annotations

import argparse
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from envs.command_line import build_parser, main
from reasoning.family_routing import FAMILY_MODULES, family_parser


def _parsers() -> dict[tuple[str, ...], argparse.ArgumentParser]:
    """Every (sub)command's parser by its words, ``reason train pointer`` and the like included."""
    found: dict[tuple[str, ...], argparse.ArgumentParser] = {}

    def walk(words: tuple[str, ...], parser: argparse.ArgumentParser) -> None:
        found[words] = parser
        for action in parser._actions:
            if isinstance(action, argparse._SubParsersAction):
                for name, child in action.choices.items():
                    walk((*words, name), child)

    walk((), build_parser())
    for action in ("train", "bench"):
        for family in FAMILY_MODULES:
            found[("reason", action, family)] = family_parser(family, action, f"slotmind reason {action} {family}")
    return found


PARSERS = _parsers()
COMMANDS = sorted(words for words in PARSERS if words)
VALUES = st.sampled_from(["", "0", "-1", "-5", "1.5", "abc", "1e999", "nan", str(2**64), "--", "=", "x" * 5000,
                          "\x00", "🙂", "a,b,,", "key=value", "[1, 2", "{a: }"])


def _flags(parser: argparse.ArgumentParser) -> list[str]:
    return sorted(option for action in parser._actions for option in action.option_strings
                  if option.startswith("--") and option not in ("--help", "--version"))


def _positionals(parser: argparse.ArgumentParser) -> list[str]:
    return ["x" for action in parser._actions
            if not action.option_strings and not isinstance(action, argparse._SubParsersAction)
            and action.nargs not in ("?", "*")]


@settings(max_examples=300, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(data=st.data())
def test_random_flag_values_parse_or_fail_in_one_line(data: st.DataObject, capsys: pytest.CaptureFixture[str]) -> None:
    words = data.draw(st.sampled_from(COMMANDS))
    parser = PARSERS[words]
    flags = _flags(parser)
    argv = [*words, *_positionals(parser)]
    if flags:
        for flag in data.draw(st.lists(st.sampled_from(flags), min_size=1, max_size=3)):
            argv += [flag, data.draw(VALUES)]
    try:
        build_parser().parse_args(argv)
    except SystemExit as exit_info:
        assert exit_info.code == 2, argv
        err = capsys.readouterr().err
        assert len(err.strip().splitlines()) == 1 and "error:" in err, (argv, err)


HOSTILE_FILES = {
    "binary": bytes(range(256)) * 8,
    "empty": b"",
    "crlf": b"IN: jump OUT: I_JUMP\r\nIN: walk OUT: I_WALK\r\n",
    "huge-line": b"a" * 2_000_000,
    "half-json": b'{"source": ["3"], "target": ',
}


@pytest.fixture(params=[*HOSTILE_FILES, "folder", "missing"])
def hostile(request: pytest.FixtureRequest, tmp_path: Path) -> Path:
    path = tmp_path / f"hostile-{request.param}"
    if request.param == "folder":
        path.mkdir()
        (path / "config.yaml").write_bytes(HOSTILE_FILES["binary"])
    elif request.param != "missing":
        path.write_bytes(HOSTILE_FILES[request.param])
    return path


@pytest.mark.parametrize("argv", [
    ["eval", "{path}"],
    ["watch", "{path}", "--record", "{tmp}/out.gif", "--steps", "2"],
    ["train", "--resume", "{path}"],
    ["compare", "{path}", "--out", "{tmp}/compare"],
    ["sweep", "{path}", "--sweep-dir", "{tmp}/sweep"],
    ["reason", "eval", "{path}", "--data", "{path}"],
    ["reason", "show", "{path}", "jump"],
    ["train", "--encoder", "slots", "--pretrained", "{path}", "--run-dir", "{tmp}/run"],
])
def test_hostile_files_are_named_in_one_line(argv: list[str], hostile: Path, tmp_path: Path,
                                              capsys: pytest.CaptureFixture[str]) -> None:
    words = [word.format(path=hostile, tmp=tmp_path) for word in argv]
    assert main(words) == 2, words
    err = capsys.readouterr().err
    assert len(err.strip().splitlines()) == 1 and "Traceback" not in err, (words, err)
