"""The `slotmind` console script: one root parser, subcommands contributed by each package.

Packages add their subcommands through the ``slotmind.commands`` entry-point group declared in
``pyproject.toml``; each entry is a ``register(subparsers)`` function that only builds parsers
(heavy imports happen inside the handlers), so ``slotmind --help`` stays fast and ``envs`` never
imports ``agents`` or ``reasoning``.
"""

from __future__ import annotations

import argparse
import importlib
import os
import sys
from collections.abc import Callable, Sequence
from importlib.metadata import entry_points
from typing import NoReturn

COMMAND_GROUP = "slotmind.commands"


class HelpFormatter(argparse.ArgumentDefaultsHelpFormatter, argparse.RawDescriptionHelpFormatter):
    """Shows defaults next to every flag and keeps hand-made line breaks in descriptions."""


class OneLineErrorParser(argparse.ArgumentParser):
    """An ArgumentParser whose usage errors are one line, ``<prog>: error: <what> (see <prog> --help)``,
    with exit code 2 (argparse prints the whole usage first)."""

    def error(self, message: str) -> NoReturn:
        self.exit(2, f"{self.prog}: error: {message} (see {self.prog} --help)\n")


def build_parser() -> argparse.ArgumentParser:
    """The root parser with every registered subcommand attached."""
    parser = OneLineErrorParser(
        prog="slotmind",
        description="Object-centric RL and structured reasoning on a laptop CPU.",
        formatter_class=HelpFormatter,
    )
    subparsers = parser.add_subparsers(title="commands", dest="command", metavar="COMMAND")
    for entry in sorted(entry_points(group=COMMAND_GROUP), key=lambda e: e.name):
        entry.load()(subparsers)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    """Entry point: parse ``argv`` and run the chosen subcommand; returns the exit code."""
    parser = build_parser()
    try:
        args = parser.parse_args(argv)
    except SystemExit as exit_info:
        if exit_info.code == 2:  # a usage error, already printed in one line
            return 2
        raise
    handler = getattr(args, "handler", None)
    if handler is None:
        # A group such as `slotmind envs` without its own action prints its help.
        (getattr(args, "group_parser", None) or parser).print_help()
        return 0 if args.command is None else 2
    try:
        return int(handler(args) or 0)
    except (UserError, ValueError) as error:
        # Bad input (flags, ids, configs) is reported in one line; SLOTMIND_DEBUG=1 shows the traceback.
        if os.environ.get("SLOTMIND_DEBUG"):
            raise
        # One line, whatever the message: some (torch's loading errors) span several.
        print(f"slotmind {args.command}: error: {' '.join(str(error).split())}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        print("interrupted", file=sys.stderr)
        return 130


def lazy_handler(target: str) -> Callable[[argparse.Namespace], int]:
    """A subcommand handler that imports ``"package.module:function"`` only when the command runs,
    so building the parser stays cheap."""

    def handler(args: argparse.Namespace) -> int:
        module_name, function_name = target.split(":")
        return getattr(importlib.import_module(module_name), function_name)(args)

    return handler


class UserError(Exception):
    """A mistake in what the user asked for; printed as one line, exit code 2, no traceback."""


def _whole_number(text: str) -> int:
    try:
        return int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"{text!r} is not a whole number") from None


def positive_int(text: str) -> int:
    """An argparse ``type`` for counts and rates that must be >= 1 (the flag is named in argparse's error)."""
    value = _whole_number(text)
    if value < 1:
        raise argparse.ArgumentTypeError(f"{value} is not >= 1")
    return value


MAX_SEED = 2**32 - 1  # numpy's legacy seeding and SB3 refuse more; torch would wrap larger seeds silently


def seed_int(text: str) -> int:
    """An argparse ``type`` for seeds: a whole number in 0 .. 2**32 - 1, so that no two seeds alias."""
    value = _whole_number(text)
    if not 0 <= value <= MAX_SEED:
        raise argparse.ArgumentTypeError(f"{value} is outside 0 .. {MAX_SEED}")
    return value


def choice_list(text: str, choices: Sequence[str], flag: str) -> list[str]:
    """The names of a comma-separated flag value, each checked to be one of ``choices``.

    Raises:
        UserError: the list is empty or names something not in ``choices`` (the message lists them).
    """
    names = [name.strip() for name in text.split(",") if name.strip()]
    unknown = [name for name in names if name not in choices]
    if not names or unknown:
        raise UserError(f"{flag}: unknown {', '.join(unknown) or '(none given)'}; choose from {', '.join(choices)}")
    return names


if __name__ == "__main__":
    sys.exit(main())
