"""Route ``slotmind reason train|bench FAMILY ...`` to the parser of a model family with flags of its own.

The seq2seq models (gru, transformer, nsr) share one set of flags; other families (pointer networks,
production systems, language games) need different ones. A :class:`RoutingParser` hands the rest of
the command line to the family's own parser when its first argument names a family, and parses it
itself otherwise, so ``reason train gru --task scan`` and ``reason train pointer --task tsp`` both
work. A family's parser module is imported only when the family is asked for.
"""

from __future__ import annotations

import argparse
import importlib
from collections.abc import Callable, Sequence
from typing import Any

from envs.command_line import OneLineErrorParser

# Family name -> module defining ``train_parser(prog)`` and ``bench_parser(prog)``; each returns an
# ``argparse.ArgumentParser`` whose defaults set ``handler``. Modules import only argparse-level code.
FAMILY_MODULES: dict[str, str] = {"pointer": "reasoning.pointer.commands",
                                  "language": "reasoning.language.commands",
                                  "nps": "reasoning.nps.commands"}


def family_parser(family: str, action: str, prog: str) -> argparse.ArgumentParser:
    """The parser of ``reason ACTION FAMILY`` (action ``train`` or ``bench``)."""
    module = importlib.import_module(FAMILY_MODULES[family])
    build: Callable[[str], argparse.ArgumentParser] = getattr(module, f"{action}_parser")
    return build(prog)


class RoutingParser(OneLineErrorParser):
    """An ArgumentParser that defers to a family's parser when its first argument is a family name.

    ``route_action`` names the action (``train`` or ``bench``) whose family parsers are used; None
    (the default) makes it a plain ArgumentParser.
    """

    route_action: str | None = None

    def parse_known_args(self, args: Sequence[str] | None = None,  # type: ignore[override]
                         namespace: argparse.Namespace | None = None) -> tuple[argparse.Namespace, list[str]]:
        if self.route_action and args and args[0] in FAMILY_MODULES:
            family = family_parser(args[0], self.route_action, f"{self.prog} {args[0]}")
            return family.parse_known_args(list(args[1:]), namespace)
        return super().parse_known_args(args, namespace)


def families_epilog(action: str) -> str:
    """A help paragraph listing the families that ``reason ACTION FAMILY --help`` documents."""
    if not FAMILY_MODULES:
        return ""
    names = ", ".join(sorted(FAMILY_MODULES))
    return f"Other model families, with flags of their own: {names} (`slotmind reason {action} FAMILY --help`)."


def routed(parser: Any, action: str) -> None:
    """Make ``parser`` (built by a RoutingParser subparsers action) route ``action`` families."""
    parser.route_action = action
