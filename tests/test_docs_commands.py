"""Every `slotmind ...` command in the README and docs/ parses with the real command-line parser."""

from __future__ import annotations

import re
import shlex
from pathlib import Path

import pytest

from envs.command_line import build_parser

ROOT = Path(__file__).resolve().parents[1]
PAGES = [ROOT / "README.md", *sorted((ROOT / "docs").glob("*.md"))]
FENCE = re.compile(r"^```[a-z]*\n(.*?)^```", re.S | re.M)
INLINE = re.compile(r"(?<!`)`(slotmind [^`]+)`(?!`)")


def _block_commands(block: str) -> list[str]:
    """Commands in a fenced block: continuation lines joined, each `slotmind` segment of a line."""
    commands = []
    for line in block.replace("\\\n", " ").splitlines():
        for segment in re.split(r"&&|;", line):
            segment = segment.strip()
            if segment.startswith("slotmind "):
                commands.append(segment)
    return commands


def commands_in(text: str) -> list[tuple[str, bool]]:
    """The `slotmind ...` commands of a markdown page, each with whether it is a whole command.

    Lines of fenced blocks are whole commands. Inline code spans may name a command in prose without
    its required arguments (`slotmind compare`, `--resume`), so only their flags must be known; spans with
    a placeholder for several words (``...``) or alternatives (``a|b``, ``a / b``) are skipped.
    """
    found = [(command, True) for block in FENCE.findall(text) for command in _block_commands(block)]
    without_blocks = FENCE.sub("", text)
    for span in INLINE.findall(without_blocks):
        span = " ".join(span.split())
        if "..." not in span and "|" not in span and " / " not in span:
            found.append((span, False))
    return found


def _words(command: str) -> list[str]:
    # Optional parts written [--flag VALUE] are parsed as given.
    return shlex.split(command.replace("[", "").replace("]", ""), comments=True)[1:]


CASES = [(page.relative_to(ROOT).as_posix(), command, whole)
         for page in PAGES for command, whole in commands_in(page.read_text())]


def test_the_pages_name_commands() -> None:
    assert len(CASES) >= 40
    assert {"README.md", "docs/training.md", "docs/nsr.md"} <= {page for page, _, _ in CASES}


@pytest.mark.parametrize(("page", "command", "whole"), CASES, ids=[f"{p}:{c[:60]}" for p, c, _ in CASES])
def test_command_parses(page: str, command: str, whole: bool, capsys: pytest.CaptureFixture[str]) -> None:
    words = _words(command)
    if "--help" in words or "-h" in words:
        return
    try:
        build_parser().parse_args(words)
    except SystemExit as error:
        message = capsys.readouterr().err.strip()
        if not whole and ("arguments are required" in message or "expected one argument" in message):
            return  # a command or flag named in prose, without its values
        pytest.fail(f"{page}: `{command}` is refused by the CLI: {message} (exit {error.code})")


def test_a_wrong_flag_would_be_caught() -> None:
    with pytest.raises(SystemExit):
        build_parser().parse_args(_words("slotmind train --encodr cnn"))
    page = "run `slotmind envs list` or\n```bash\npip install -e . && slotmind train  # main\n```\n"
    assert commands_in(page) == [("slotmind train  # main", True), ("slotmind envs list", False)]
