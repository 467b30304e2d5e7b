"""Transactions and the journal out of a store file, as CSV, JSON or NDJSON, for people,
spreadsheets and audits.

The read side uses sqlite-utils (the design card's tool for inspecting SQLite files): the file
is opened read-only (``mode=ro`` plus ``PRAGMA query_only``), so an export never migrates,
seals or writes the store, and runs beside a selling kiosk (WAL lets readers in). Every row
goes through :func:`offline_queue.carddata.scrub`, the same function the store applies to what
it writes: a card number comes out masked (``**** **** **** 0010``) and a security code not at
all, also from an older store that was never sealed. For a copy the host can verify against
its anchor use ``kiosk journal export`` (rows exactly as stored, hashes that match).
"""

from __future__ import annotations

import csv
import json
import sqlite3
from collections.abc import Iterable, Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, TextIO

from sqlite_utils import Database

from offline_queue.carddata import scrub
from offline_queue.errors import StoreError
from offline_queue.schema import TRANSACTION_COLUMNS

#: The output formats: CSV (nested values as JSON text), one JSON array, one JSON object a line.
FORMATS = ("csv", "json", "ndjson")


@dataclass(frozen=True)
class Export:
    """One table that can be exported: its columns in order, which of them hold JSON, the
    column a time range applies to and the order rows come in."""

    table: str
    columns: tuple[str, ...]
    json_columns: tuple[str, ...]
    time_column: str
    order_by: str


#: What can be exported, by name. ``prev_hash`` stays out of the journal's: a row's ``hash``
#: is enough to find it on a Z slip, and the verifiable form is ``kiosk journal export``.
EXPORTS: dict[str, Export] = {
    "transactions": Export(
        table="transactions",
        columns=("txn", *TRANSACTION_COLUMNS),
        json_columns=("fees", "target", "details"),
        time_column="created_at",
        order_by="created_at, txn",
    ),
    "journal": Export(
        table="journal",
        columns=("seq", "at", "txn", "event", "data", "hash"),
        json_columns=("data",),
        time_column="at",
        order_by="seq",
    ),
}


class ExportRefused(StoreError):
    """The file cannot be exported (missing, not a kiosk store, unreadable)."""

    code = "export_refused"


@contextmanager
def read_only(path: Path) -> Iterator[Database]:
    """The store file as a sqlite-utils :class:`Database` that cannot write."""
    if not path.is_file():
        raise ExportRefused(f"No store at {path}: give the store file (or a backup of it).")
    try:
        conn = sqlite3.connect(f"{path.resolve().as_uri()}?mode=ro", uri=True)
    except sqlite3.Error as exc:
        raise ExportRefused(f"Cannot open {path} for reading: {exc}.") from None
    try:
        conn.execute("PRAGMA query_only = ON")
        db = Database(conn)
        try:
            tables = set(db.table_names())
        except sqlite3.DatabaseError as exc:
            raise ExportRefused(f"{path} is not a SQLite database ({exc}).") from None
        missing = sorted({e.table for e in EXPORTS.values()} - tables)
        if missing:
            raise ExportRefused(
                f"{path} is not a kiosk store (no table {', '.join(missing)}): check the file."
            )
        conn.execute("BEGIN")  # one snapshot for every table read, while sales go on
        yield db
    finally:
        conn.close()


def _utc(moment: datetime) -> str:
    # the store's one text form of a time (UTC, microseconds), so text order is time order
    return moment.astimezone(UTC).isoformat(timespec="microseconds")


def rows(
    db: Database,
    name: str,
    *,
    since: datetime | None = None,
    until: datetime | None = None,
) -> Iterator[dict[str, Any]]:
    """The rows of export ``name`` from ``since`` (inclusive) to ``until`` (exclusive), in
    their order, JSON columns decoded and every card number masked."""
    spec = EXPORTS[name]
    where: list[str] = []
    args: dict[str, str] = {}
    if since is not None:
        where.append(f"{spec.time_column} >= :since")
        args["since"] = _utc(since)
    if until is not None:
        where.append(f"{spec.time_column} < :until")
        args["until"] = _utc(until)
    for row in db[spec.table].rows_where(
        " AND ".join(where) or None,
        args or None,
        order_by=spec.order_by,
        select=", ".join(spec.columns),
    ):
        for column in spec.json_columns:
            if row[column] is not None:
                row[column] = json.loads(row[column])
        if "offline" in row:
            row["offline"] = bool(row["offline"])
        yield scrub(row, None)


def write(records: Iterable[Mapping[str, Any]], name: str, fmt: str, out: TextIO) -> int:
    """Write ``records`` of export ``name`` to ``out`` in format ``fmt``; how many rows."""
    spec = EXPORTS[name]
    count = 0
    if fmt == "csv":
        writer = csv.DictWriter(out, fieldnames=spec.columns, lineterminator="\n")
        writer.writeheader()
        for record in records:
            writer.writerow(
                {
                    column: _cell(record.get(column), column in spec.json_columns)
                    for column in spec.columns
                }
            )
            count += 1
    elif fmt == "ndjson":
        for record in records:
            out.write(json.dumps(record, ensure_ascii=False) + "\n")
            count += 1
    elif fmt == "json":
        out.write("[")
        for record in records:
            out.write(("," if count else "") + "\n" + json.dumps(record, ensure_ascii=False))
            count += 1
        out.write("\n]\n" if count else "]\n")
    else:
        raise ValueError(f"format is one of {', '.join(FORMATS)}, not {fmt!r}")
    return count


def _cell(value: Any, nested: bool) -> Any:
    """A CSV cell: JSON text for a nested value, 0/1 for a flag, empty for nothing."""
    if value is None:
        return ""
    if nested:
        return json.dumps(value, ensure_ascii=False, sort_keys=True)
    if isinstance(value, bool):
        return int(value)
    return value


__all__ = ["EXPORTS", "FORMATS", "Export", "ExportRefused", "read_only", "rows", "write"]
