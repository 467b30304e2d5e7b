"""The README's table of ``kiosk`` commands names every command and subcommand there is (the
anchor is sqlite-utils' tests/test_docs.py: documentation checked against the code)."""

from __future__ import annotations

import re
from pathlib import Path

import click

from terminal.cli import COMMANDS, main

#: The repository's README, wherever in tests/ this file sits.
README = next(
    folder / "README.md"
    for folder in Path(__file__).resolve().parents
    if (folder / "README.md").is_file() and (folder / "terminal").is_dir()
)


def _command_table() -> list[str]:
    text = README.read_text(encoding="utf-8")
    section = text.split("## The `kiosk` command", 1)[1].split("\n## ", 1)[0]
    return [line for line in section.splitlines() if line.startswith("| `")]


def test_the_readme_names_every_command_and_subcommand() -> None:
    rows = _command_table()
    context = click.Context(main)
    for name in COMMANDS:
        # the command as the row's first word: `name`, `name ARG`, `name sub|sub`
        pattern = re.compile(rf"`{re.escape(name)}[ `]")
        mentions = [row.split(" | ")[0] for row in rows if pattern.search(row.split(" | ")[0])]
        assert mentions, f"README's command table lacks `kiosk {name}`"
        command = main.get_command(context, name)
        if isinstance(command, click.Group):
            shown = " ".join(mentions).replace("\\|", "|")  # a table cell escapes its bars
            for sub in command.list_commands(click.Context(command)):
                assert re.search(rf"[ |]{re.escape(sub)}[|` ]", shown), f"kiosk {name} {sub}"
