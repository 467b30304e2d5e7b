"""``kiosk export``: transactions and/or the journal as CSV, JSON or NDJSON, for a spreadsheet,
an accountant or an audit.

Thin over :mod:`offline_queue.export` (sqlite-utils on a read-only connection), so it runs
beside a selling kiosk and never changes the store. Card numbers come out masked exactly as the
screens and slips show them, security codes not at all. Files are created new and mode 600
(they hold customers' phone numbers): an existing file is never overwritten.
"""

from __future__ import annotations

import os
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import TextIO

import click

from offline_queue.errors import StoreError
from offline_queue.export import EXPORTS, FORMATS, read_only, rows, write
from offline_queue.private import make_private_folder, open_private
from terminal.cli import CliContext
from terminal.cli.common import fail, load, moment
from terminal.cli.options import SINCE_OPTION, UNTIL_OPTION

#: What ``kiosk export`` exports when no table is named.
TABLES = tuple(EXPORTS)


@contextmanager
def _new_file(path: Path) -> Iterator[TextIO]:
    try:
        descriptor = open_private(path, os.O_WRONLY | os.O_EXCL)
    except FileExistsError:
        fail(f"{path} exists: choose a new name, or remove it first.", as_json=False, code="exists")
    except OSError as exc:
        fail(f"Cannot create {path}: {exc.strerror}.", as_json=False, code="cannot_write")
    with os.fdopen(descriptor, "w", encoding="utf-8", newline="") as out:
        yield out


def register(main: click.Group) -> None:
    @main.command("export")
    @click.argument("tables", nargs=-1, type=click.Choice(TABLES), metavar="[TABLE]...")
    @click.option(
        "--format",
        "fmt",
        type=click.Choice(FORMATS),
        default="csv",
        show_default=True,
        help="CSV (nested values as JSON text), one JSON array, or one JSON object a line.",
    )
    @click.option(
        "--output",
        "-o",
        type=click.Path(path_type=Path),
        default=None,
        help="The new file to write (one table; default stdout), or the folder that gets "
        "transactions.<format> and journal.<format> (both tables).",
    )
    @SINCE_OPTION
    @UNTIL_OPTION
    @click.option(
        "--store",
        "store_path",
        type=click.Path(dir_okay=False, path_type=Path),
        default=None,
        help="Read this store file (a backup, a copy) instead of the terminal's.",
    )
    @click.pass_obj
    def export(
        obj: CliContext,
        tables: tuple[str, ...],
        fmt: str,
        output: Path | None,
        since: str | None,
        until: str | None,
        store_path: Path | None,
    ) -> None:
        """Export sales and the journal (CSV, JSON), cards masked.

        TABLE is transactions or journal (default both), written as CSV, JSON or NDJSON, card
        numbers masked as everywhere else. Rows from --since to --until (a sale's creation, an
        event's time), oldest first. The store is opened read-only: safe while the kiosk sells.
        For the host's check of the journal use `kiosk journal export` (rows exactly as stored).
        """
        config = load(obj, False)
        chosen = tuple(dict.fromkeys(tables)) or TABLES
        start = moment(since, config, "since", False)
        end = moment(until, config, "until", False)
        if len(chosen) > 1 and output is None:
            raise click.UsageError(
                "Both tables make two files: give --output FOLDER, or name one table "
                "(`kiosk export transactions`)."
            )
        try:
            with read_only(store_path or config.store.path) as db:
                if output is None:
                    name = chosen[0]
                    found = rows(db, name, since=start, until=end)
                    count = write(found, name, fmt, sys.stdout)
                    click.echo(f"{count} {name} rows exported.", err=True)
                    return
                targets = {name: output for name in chosen}
                if len(chosen) > 1:
                    make_private_folder(output)
                    targets = {name: output / f"{name}.{fmt}" for name in chosen}
                    taken = [str(path) for path in targets.values() if path.exists()]
                    if taken:
                        fail(
                            f"{', '.join(taken)} exists: choose a new folder, or remove it.",
                            as_json=False,
                            code="exists",
                        )
                for name, path in targets.items():
                    with _new_file(path) as out:
                        count = write(rows(db, name, since=start, until=end), name, fmt, out)
                    click.echo(f"{count} {name} rows exported to {path}.", err=True)
        except StoreError as exc:
            fail(str(exc), as_json=False, code=exc.code)


__all__ = ["TABLES", "register"]
