"""`reason train|bench FAMILY ...` reaches the family's own parser; seq2seq models parse as before."""

from __future__ import annotations

import argparse
import sys
import types

import pytest

from envs.command_line import main
from reasoning import family_routing


def _fake_family(monkeypatch: pytest.MonkeyPatch, seen: dict[str, argparse.Namespace]) -> None:
    module = types.ModuleType("fake_family_commands")

    def parser_of(action: str) -> types.FunctionType:
        def build(prog: str) -> argparse.ArgumentParser:
            parser = argparse.ArgumentParser(prog=prog)
            parser.add_argument("--n", type=int, default=5)

            def handler(args: argparse.Namespace) -> int:
                seen[action] = args
                return 0

            parser.set_defaults(handler=handler)
            return parser

        return build  # type: ignore[return-value]

    module.train_parser = parser_of("train")  # type: ignore[attr-defined]
    module.bench_parser = parser_of("bench")  # type: ignore[attr-defined]
    monkeypatch.setitem(sys.modules, "fake_family_commands", module)
    monkeypatch.setitem(family_routing.FAMILY_MODULES, "fake", "fake_family_commands")


def test_a_family_gets_its_own_flags(monkeypatch: pytest.MonkeyPatch) -> None:
    seen: dict[str, argparse.Namespace] = {}
    _fake_family(monkeypatch, seen)
    assert main(["reason", "train", "fake", "--n", "7"]) == 0
    assert main(["reason", "bench", "fake"]) == 0
    assert seen["train"].n == 7 and seen["bench"].n == 5


def test_family_flags_are_checked_by_the_family(monkeypatch: pytest.MonkeyPatch,
                                                capsys: pytest.CaptureFixture[str]) -> None:
    _fake_family(monkeypatch, {})
    assert main(["reason", "train", "fake", "--minutes", "1"]) == 2
    err = capsys.readouterr().err
    assert "--minutes" in err and len(err.strip().splitlines()) == 1
    assert "fake" in family_routing.families_epilog("train")
