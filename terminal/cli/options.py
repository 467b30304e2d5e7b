"""The options and groups that mean the same in every ``kiosk`` command, written once.

Only click is imported here, so a command that needs neither the configuration nor the store
(``reader parse``, ``slip``) can use them without loading either.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, TypeVar

import click

from terminal.cli import COMMANDS

F = TypeVar("F", bound=Callable[..., Any])

#: ``--json``: what a script reads instead of the text for people (a command that streams
#: prints one JSON object a line).
JSON_OPTION = click.option(
    "--json", "as_json", is_flag=True, help="Print JSON for scripts instead of text."
)

#: ``--txn TXN``: only what concerns one transaction.
TXN_FILTER_OPTION = click.option(
    "--txn", default=None, metavar="TXN", help="Only what concerns this transaction."
)

#: ``--since``/``--until``: a time range, as :func:`terminal.cli.common.moment` reads it.
SINCE_OPTION = click.option(
    "--since", default=None, help="From (ISO date/time; the terminal's local time if no offset)."
)
UNTIL_OPTION = click.option("--until", default=None, help="Until, exclusive (ISO date/time).")


def limit_option(default: int) -> Callable[[F], F]:
    """``--limit N``: at most N rows (each command says which come first)."""
    return click.option(
        "--limit",
        default=default,
        show_default=True,
        type=click.IntRange(min=1),
        help="At most this many.",
    )


def subgroup(main: click.Group, name: str) -> click.Group:
    """The group ``kiosk NAME``, made by the first module that adds to it; its help is the
    one line of :data:`terminal.cli.COMMANDS`, so ``kiosk --help`` and ``kiosk NAME --help``
    never disagree."""
    existing = main.commands.get(name)
    if isinstance(existing, click.Group):
        return existing
    group = click.Group(name, help=COMMANDS[name][1])
    main.add_command(group)
    return group


__all__ = [
    "JSON_OPTION",
    "SINCE_OPTION",
    "TXN_FILTER_OPTION",
    "UNTIL_OPTION",
    "limit_option",
    "subgroup",
]
