"""``kiosk doctor``, ``kiosk backup``, ``kiosk restore`` and the demo's ``demo-host`` /
``demo-printer``: running a counter, each a thin layer over one library call."""

from __future__ import annotations

import json
import sys
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING, Any

import click

from terminal.cli import CliContext
from terminal.cli.common import fail as _fail
from terminal.cli.common import load as _config
from terminal.cli.options import JSON_OPTION
from terminal.errors import KioskError

if TYPE_CHECKING:
    from terminal.client.remote import RemoteKioskClient


def _echo(data: dict[str, Any], as_json: bool, text: str) -> None:
    click.echo(json.dumps(data, ensure_ascii=False) if as_json else text)


def register(main: click.Group) -> None:
    @main.command()
    @click.option(
        "--min-free-mb",
        type=click.IntRange(min=0),
        default=None,
        help="Free disk the store needs (default 100).",
    )
    @JSON_OPTION
    @click.pass_obj
    def doctor(obj: CliContext, min_free_mb: int | None, as_json: bool) -> None:
        """Check config, permissions, printer, host, store and clock; say what to fix.

        Exits 0 only when the counter can sell. With a kiosk running, the printer is asked
        through it (it owns the printer); nothing is changed anywhere.
        """
        from terminal.doctor import DEFAULT_MIN_FREE_MB, diagnose, report_text

        report = diagnose(
            obj.config_path,
            min_free_mb=DEFAULT_MIN_FREE_MB if min_free_mb is None else min_free_mb,
        )
        _echo(report.to_dict(), as_json, report_text(report))
        if not report.can_sell:
            sys.exit(1)

    @main.command()
    @click.argument("file", type=click.Path(dir_okay=False, path_type=Path))
    @JSON_OPTION
    @click.pass_obj
    def backup(obj: CliContext, file: Path, as_json: bool) -> None:
        """Copy the store to FILE (a new file, mode 600) while the kiosk runs, and check it.

        Through the running kiosk when there is one; the copy passes SQLite's integrity check
        and the journal's verification, or the command fails.
        """
        from terminal.backup import backup_store

        config = _config(obj, as_json)
        try:
            result = backup_store(config, file)
        except KioskError as exc:
            _fail(str(exc), as_json=as_json, code=exc.code)
        check = result.check
        _echo(
            result.to_dict(),
            as_json,
            f"Backup {result.path}: terminal {check.terminal_ids[0]}, {check.transactions} "
            f"transactions, journal intact ({check.journal.checked} events), integrity ok.",
        )

    @main.command()
    @click.argument("file", type=click.Path(dir_okay=False, path_type=Path))
    @JSON_OPTION
    @click.pass_obj
    def restore(obj: CliContext, file: Path, as_json: bool) -> None:
        """Replace the store with the backup FILE; the replaced store is kept aside.

        Refused while a kiosk process serves this terminal, for another terminal's backup, and
        for a file that fails its check (nothing is changed then).
        """
        from terminal.backup import restore_store

        config = _config(obj, as_json)
        try:
            result = restore_store(config, file)
        except KioskError as exc:
            _fail(str(exc), as_json=as_json, code=exc.code)
        aside = (
            f" The replaced store is kept in {result.kept_aside}."
            if result.kept_aside
            else " There was no store before."
        )
        _echo(
            result.to_dict(),
            as_json,
            f"Restored {result.store} from {result.restored_from} "
            f"({result.check.transactions} transactions).{aside}",
        )

    def _demo_call(
        obj: CliContext, as_json: bool, action: Callable[[RemoteKioskClient], dict[str, Any]]
    ) -> dict[str, Any]:
        """Only a running ``kiosk demo`` has a reference host and a virtual printer to break."""
        from terminal.client import running_client

        config = _config(obj, as_json)
        client = running_client(config)
        if client is None:
            _fail(
                f"No kiosk demo runs with {obj.config_path}: start it with `kiosk demo`.",
                as_json=as_json,
                code="not_demo",
            )
        try:
            return action(client)
        except KioskError as exc:
            _fail(str(exc), as_json=as_json, code=exc.code)

    @main.command("demo-host")
    @click.argument("state", type=click.Choice(["down", "up"]))
    @JSON_OPTION
    @click.pass_obj
    def demo_host(obj: CliContext, state: str, as_json: bool) -> None:
        """Take the demo's reference host down (connections refused) or bring it back up."""
        data = _demo_call(obj, as_json, lambda c: c.demo_host(state == "up"))
        host = data["host"]
        _echo(
            data,
            as_json,
            f"host {host['url']} is {'up' if host['up'] else 'down: connections are refused'}",
        )

    @main.command("demo-printer")
    @click.argument(
        "fault",
        type=click.Choice(
            [
                "paper-out",
                "paper-in",
                "paper-low",
                "cover-open",
                "cover-close",
                "offline",
                "online",
                "clear",
            ]
        ),
    )
    @JSON_OPTION
    @click.pass_obj
    def demo_printer(obj: CliContext, fault: str, as_json: bool) -> None:
        """Make the demo's virtual printer run out of paper (or open its cover...), or mend it."""
        data = _demo_call(obj, as_json, lambda c: c.demo_printer(fault))
        printer = data["printer"]
        shown = ", ".join(
            name
            for name in ("paper_end", "paper_near_end", "cover_open", "offline")
            if printer.get(name)
        )
        _echo(data, as_json, f"virtual printer: {shown or 'ready'}")


__all__ = ["register"]
