"""Running totals of the open report period, so an X report reads a few rows, not the journal.

The figures of a period are a function of its journal events (``Store.period_figures``): a
sale counts where its move ``printing -> confirmed`` is, a storno where its ``stornoed`` is,
failures and voids where they happened. Computing them by scanning the period's events made
an X report linear in the period; instead every transition adds its part to
``period_totals`` in the same commit (:func:`add_move`), and a Z resets the table to what
happened after the events it took (:func:`refill`). :func:`lines_of_move` is the one place
that says what a move adds, for both the live path and the refill.

``period_totals`` always holds the open period: the events after the last Z that is printed
or fixed (``z_pending``) up to the journal head.
"""

from __future__ import annotations

import json
import sqlite3
from collections.abc import Mapping
from dataclasses import astuple, dataclass
from typing import Any

from offline_queue.states import CONFIRMED, FAILED, PRINTING, STORNOED, VOIDED

#: Lines of ``period_totals``: sales per product; stornos per tender; per clerk; counts.
SALE, STORNO_CASH, STORNO_BENEFIT = "sale", "storno_cash", "storno_benefit"
CLERK_SALE, CLERK_STORNO, FAILED_LINE, VOIDED_LINE = (
    "clerk_sale",
    "clerk_storno",
    "failed",
    "voided",
)

#: The journal events that can move a total (``state:<to>``), for the refill's range read.
COUNTED_EVENTS = tuple(f"state:{state}" for state in (CONFIRMED, STORNOED, FAILED, VOIDED))

CREATE_TABLE = """
    CREATE TABLE IF NOT EXISTS period_totals (
        line TEXT NOT NULL,
        key TEXT NOT NULL,
        currency TEXT NOT NULL,
        count INTEGER NOT NULL CHECK (count >= 0),
        amount_minor INTEGER NOT NULL,
        cash_minor INTEGER NOT NULL,
        PRIMARY KEY (line, key, currency)
    ) WITHOUT ROWID
"""

_ADD = """
    INSERT INTO period_totals (line, key, currency, count, amount_minor, cash_minor)
    VALUES (?, ?, ?, ?, ?, ?)
    ON CONFLICT (line, key, currency) DO UPDATE SET
        count = count + excluded.count,
        amount_minor = amount_minor + excluded.amount_minor,
        cash_minor = cash_minor + excluded.cash_minor
"""


@dataclass(frozen=True)
class Line:
    """One row's increment: ``count`` more, ``amount_minor`` and ``cash_minor`` added."""

    line: str
    key: str
    currency: str
    count: int
    amount_minor: int
    cash_minor: int


def lines_of_move(
    from_state: str,
    to_state: str,
    *,
    product: str,
    currency: str,
    total_minor: int,
    clerk: str | None,
    details: Mapping[str, Any],
) -> list[Line]:
    """What one move of a transaction adds to its period (nothing for most moves).

    A sale's clerk is the one on the row (``-`` when none); a storno's is the clerk who did
    it (``details.storno.clerk``). Cash is what the drawer gained: a cash sale's total, less
    a cash storno's refund; a benefit payment moves no cash.
    """
    tender = details.get("tender")
    tender = "cash" if tender is None else str(tender)
    cash = tender == "cash"
    if to_state == CONFIRMED and from_state == PRINTING:
        return [
            Line(SALE, product, currency, 1, total_minor, 0),
            Line(CLERK_SALE, clerk or "-", currency, 1, total_minor, total_minor if cash else 0),
        ]
    if to_state == STORNOED:
        storno = details.get("storno")
        storno = storno if isinstance(storno, Mapping) else {}
        refund = storno.get("refund_minor")
        refund = total_minor if refund is None else int(refund)
        by = storno.get("clerk")
        by = (clerk or "-") if by is None else str(by)
        return [
            Line(
                STORNO_BENEFIT if tender == "benefit" else STORNO_CASH, "", currency, 1, refund, 0
            ),
            Line(CLERK_STORNO, by, currency, 1, refund, refund if cash else 0),
        ]
    if to_state == FAILED:
        return [Line(FAILED_LINE, "", "", 1, 0, 0)]
    if to_state == VOIDED:
        return [Line(VOIDED_LINE, "", "", 1, 0, 0)]
    return []


def add_lines(conn: sqlite3.Connection, lines: list[Line]) -> None:
    """Add ``lines`` to the open period (inside the caller's transaction)."""
    if lines:
        conn.executemany(_ADD, [astuple(line) for line in lines])


def add_move(
    conn: sqlite3.Connection,
    from_state: str,
    to_state: str,
    *,
    product: str,
    currency: str,
    total_minor: int,
    clerk: str | None,
    details: Mapping[str, Any],
) -> None:
    """Count one move in the open period, in the transaction that makes the move."""
    add_lines(
        conn,
        lines_of_move(
            from_state,
            to_state,
            product=product,
            currency=currency,
            total_minor=total_minor,
            clerk=clerk,
            details=details,
        ),
    )


def refill(conn: sqlite3.Connection, after_seq: int) -> None:
    """Make the table the totals of the events after ``after_seq`` (a Z took the rest).

    Reads only the events after ``after_seq`` (by the journal's key), usually none: a Z is
    fixed right after the figures it prints were read.
    """
    conn.execute("DELETE FROM period_totals")
    marks = ", ".join("?" for _ in COUNTED_EVENTS)
    rows = conn.execute(
        "SELECT j.data, t.product, t.currency, t.total_minor, t.clerk, t.details "
        "FROM journal AS j JOIN transactions AS t ON t.txn = j.txn "
        f"WHERE j.seq > ? AND j.event IN ({marks}) ORDER BY j.seq",
        (after_seq, *COUNTED_EVENTS),
    ).fetchall()
    for data, product, currency, total_minor, clerk, details in rows:
        move = json.loads(data)
        add_lines(
            conn,
            lines_of_move(
                str(move.get("from")),
                str(move.get("to")),
                product=product,
                currency=currency,
                total_minor=int(total_minor),
                clerk=clerk,
                details=json.loads(details),
            ),
        )


def open_after_seq(conn: sqlite3.Connection) -> int:
    """Where the open period starts: after the pending Z, else after the last printed Z."""
    pending = conn.execute(
        "SELECT json_extract(figures, '$.through_seq') FROM z_pending WHERE id = 1"
    ).fetchone()
    if pending is not None:
        return int(pending[0])
    last = conn.execute("SELECT through_seq FROM periods ORDER BY z_number DESC LIMIT 1").fetchone()
    return 0 if last is None else int(last[0])


def fill_open_period(conn: sqlite3.Connection) -> None:
    """The migration's step: create the table's rows for a store's open period, once."""
    refill(conn, open_after_seq(conn))


def read_lines(conn: sqlite3.Connection) -> list[Line]:
    """Every row of the open period's totals (a few per product, tender and clerk)."""
    return [
        Line(str(r[0]), str(r[1]), str(r[2]), int(r[3]), int(r[4]), int(r[5]))
        for r in conn.execute(
            "SELECT line, key, currency, count, amount_minor, cash_minor FROM period_totals"
        )
    ]


__all__ = [
    "CREATE_TABLE",
    "Line",
    "add_move",
    "fill_open_period",
    "lines_of_move",
    "open_after_seq",
    "read_lines",
    "refill",
]
