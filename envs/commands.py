"""Subcommands contributed by ``envs``: ``slotmind envs list|bench`` and ``slotmind play``."""

from __future__ import annotations

import argparse

from envs.command_line import HelpFormatter


def register(subparsers: argparse._SubParsersAction) -> None:
    """Attach ``envs`` and ``play`` to the root parser (parsers only; imports happen on use)."""
    group = subparsers.add_parser("envs", help="list environments or benchmark their speed",
                                  formatter_class=HelpFormatter)
    group.set_defaults(group_parser=group)
    actions = group.add_subparsers(title="actions", dest="action", metavar="ACTION")
    listing = actions.add_parser("list", help="print every env id", formatter_class=HelpFormatter)
    listing.set_defaults(handler=_list)


def _list(args: argparse.Namespace) -> int:
    from rich.console import Console

    from envs.registry import available_ids

    console = Console()
    for env_id in available_ids():
        console.print(env_id)
    return 0
