"""The periods area: the figures since the last Z report, and the Z reports themselves."""

from __future__ import annotations

import json
import logging
import sqlite3
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from offline_queue.errors import (
    InvalidRecord,
    PeriodChanged,
    StoreError,
)
from offline_queue.eventlog import emit
from offline_queue.journal import (
    canonical_json,
)
from offline_queue.period_totals import (
    CLERK_SALE,
    CLERK_STORNO,
    FAILED_LINE,
    SALE,
    STORNO_BENEFIT,
    STORNO_CASH,
    VOIDED_LINE,
    Line,
    read_lines,
    refill,
)
from offline_queue.store_fields import (
    checked_limit,
    from_iso,
    to_iso,
)
from offline_queue.store_journal import JournalArea

log = logging.getLogger(__name__)

#: The journal event written with a Z report's ``periods`` row, in the same transaction.
Z_REPORT_EVENT = "z_report"
#: A Z report's number and figures fixed, before its slip prints (the journal can reprint it).
Z_STARTED_EVENT = "z_report_started"


@dataclass(frozen=True)
class SalesLine:
    """Sales of one product in one currency whose slip printed in a period."""

    product: str
    currency: str
    count: int
    total_minor: int


@dataclass(frozen=True)
class CurrencyTotal:
    """A count and an amount in one currency (stornos of a period)."""

    currency: str
    count: int
    total_minor: int


@dataclass(frozen=True)
class ClerkTotal:
    """One clerk's part of a period in one currency (sales, stornos, cash in the drawer).

    ``clerk`` is the sale's clerk (``api`` for the till) for sales and the clerk who did the
    storno for stornos; ``cash_minor`` is what this clerk put in the drawer: cash sales less
    cash paid back (benefit payments move no cash).
    """

    clerk: str
    currency: str
    sales_count: int
    sales_minor: int
    stornos_count: int
    stornos_minor: int
    cash_minor: int


@dataclass(frozen=True)
class PeriodFigures:
    """What happened since the last Z report, read in one snapshot.

    The period is the journal events ``(after_seq, through_seq]``: the journal is the one
    total order of everything the terminal did, so a sale belongs to exactly one period even
    when two events share a timestamp. ``z_number`` is the number the Z closing this period
    gets if its slip prints. The figures are the period's running totals
    (:mod:`offline_queue.period_totals`), kept move by move; :meth:`from_totals` is the one
    place that turns them into the lines a report shows.
    """

    z_number: int
    after_seq: int
    through_seq: int
    period_from: datetime
    period_to: datetime
    sales: tuple[SalesLine, ...]
    stornos: tuple[CurrencyTotal, ...]
    failed_count: int
    voided_count: int
    #: stornos of benefit payments: credited back to the benefit, no cash paid back
    benefit_stornos: tuple[CurrencyTotal, ...] = ()
    #: per clerk and currency (X, Z and ``kiosk cash`` break the figures down by clerk)
    by_clerk: tuple[ClerkTotal, ...] = ()

    @classmethod
    def from_totals(
        cls,
        lines: Iterable[Line],
        *,
        z_number: int,
        after_seq: int,
        through_seq: int,
        period_from: datetime,
        period_to: datetime,
    ) -> PeriodFigures:
        """The figures of the running-total ``lines`` of one period, in report order."""
        sales: list[SalesLine] = []
        stornos: dict[str, list[CurrencyTotal]] = {STORNO_CASH: [], STORNO_BENEFIT: []}
        clerks: dict[tuple[str, str], list[int]] = {}
        counts = {FAILED_LINE: 0, VOIDED_LINE: 0}
        for line in lines:
            if line.line == SALE:
                sales.append(SalesLine(line.key, line.currency, line.count, line.amount_minor))
            elif line.line in stornos:
                stornos[line.line].append(
                    CurrencyTotal(line.currency, line.count, line.amount_minor)
                )
            elif line.line in (CLERK_SALE, CLERK_STORNO):
                entry = clerks.setdefault((line.key, line.currency), [0, 0, 0, 0, 0])
                first = 0 if line.line == CLERK_SALE else 2
                entry[first] += line.count
                entry[first + 1] += line.amount_minor
                entry[4] += line.cash_minor if line.line == CLERK_SALE else -line.cash_minor
            elif line.line in counts:
                counts[line.line] += line.count
        return cls(
            z_number=z_number,
            after_seq=after_seq,
            through_seq=through_seq,
            period_from=period_from,
            period_to=period_to,
            sales=tuple(sorted(sales, key=lambda s: (s.product, s.currency))),
            stornos=tuple(sorted(stornos[STORNO_CASH], key=lambda c: c.currency)),
            failed_count=counts[FAILED_LINE],
            voided_count=counts[VOIDED_LINE],
            benefit_stornos=tuple(sorted(stornos[STORNO_BENEFIT], key=lambda c: c.currency)),
            by_clerk=tuple(
                ClerkTotal(clerk, currency, *values)
                for (clerk, currency), values in sorted(
                    clerks.items(), key=lambda item: (len(item[0][0]), item[0][0], item[0][1])
                )
            ),
        )

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> PeriodFigures:
        """The figures as :meth:`to_dict` wrote them (a pending Z, the journal)."""
        return cls(
            z_number=int(data["z_number"]),
            after_seq=int(data["after_seq"]),
            through_seq=int(data["through_seq"]),
            period_from=from_iso(str(data["period_from"])),
            period_to=from_iso(str(data["period_to"])),
            sales=tuple(SalesLine(**line) for line in data.get("sales", [])),
            stornos=tuple(CurrencyTotal(**line) for line in data.get("stornos", [])),
            failed_count=int(data["failed_count"]),
            voided_count=int(data["voided_count"]),
            benefit_stornos=tuple(
                CurrencyTotal(**line) for line in data.get("benefit_stornos", [])
            ),
            by_clerk=tuple(ClerkTotal(**line) for line in data.get("by_clerk", [])),
        )

    def to_dict(self) -> dict[str, Any]:
        extra: dict[str, Any] = {}
        if self.benefit_stornos:
            extra["benefit_stornos"] = [vars(line) for line in self.benefit_stornos]
        if self.by_clerk:
            extra["by_clerk"] = [vars(line) for line in self.by_clerk]
        return {
            **extra,
            "z_number": self.z_number,
            "after_seq": self.after_seq,
            "through_seq": self.through_seq,
            "period_from": self.period_from.isoformat(),
            "period_to": self.period_to.isoformat(),
            "sales": [vars(line) for line in self.sales],
            "stornos": [vars(line) for line in self.stornos],
            "failed_count": self.failed_count,
            "voided_count": self.voided_count,
        }


@dataclass(frozen=True)
class ZRecord:
    """A printed Z report: the period it closed and the figures on its slip."""

    z_number: int
    after_seq: int
    through_seq: int
    period_from: datetime
    period_to: datetime
    clerk: str
    printed_at: datetime
    figures: dict[str, Any]

    def to_dict(self) -> dict[str, Any]:
        return {
            "z_number": self.z_number,
            "after_seq": self.after_seq,
            "through_seq": self.through_seq,
            "period_from": self.period_from.isoformat(),
            "period_to": self.period_to.isoformat(),
            "clerk": self.clerk,
            "printed_at": self.printed_at.isoformat(),
            "figures": self.figures,
        }


class PeriodArea(JournalArea):
    """Report periods: X figures, the slip-first Z and the printed Z reports."""

    # -- report periods --------------------------------------------------------------------

    def period_figures(self) -> PeriodFigures:
        """Sales, stornos, failures and voids since the last Z report, up to now.

        A sale counts in the period whose journal holds its move from ``printing`` to
        ``confirmed`` (its slip printed then), whatever happened to it later; a storno counts
        where its ``stornoed`` event is, with the amount paid back. So a sale in one period
        and its storno in the next each show once, where the money moved.

        Read from the open period's running totals, never from its journal events: an X
        report costs the same after ten sales or ten thousand.
        """
        with self._read() as conn:
            last = conn.execute(
                "SELECT z_number, through_seq, period_to FROM periods "
                "ORDER BY z_number DESC LIMIT 1"
            ).fetchone()
            pending = conn.execute("SELECT figures FROM z_pending WHERE id = 1").fetchone()
            if pending is not None:
                # a Z fixed but not yet proven printed: its number and events are taken
                held = json.loads(pending[0])
                last = (held["z_number"], held["through_seq"], held["period_to"])
            head = conn.execute("SELECT seq FROM journal_head WHERE id = 1").fetchone()
            through = int(head[0]) if head is not None else 0
            now = self.clock.now()
            if last is not None:
                after, start, z_number = int(last[1]), from_iso(last[2]), int(last[0]) + 1
            else:  # before the first Z: the period starts with the store's first event
                first = conn.execute("SELECT at FROM journal ORDER BY seq LIMIT 1").fetchone()
                after, start, z_number = 0, from_iso(first[0]) if first else now, 1
            lines = read_lines(conn)
        return PeriodFigures.from_totals(
            lines,
            z_number=z_number,
            after_seq=after,
            through_seq=through,
            period_from=start,
            period_to=max(now, start),
        )

    def begin_z(self, figures: PeriodFigures, *, clerk: str, printed_at: datetime) -> None:
        """Fix a Z report's number and figures before its slip prints (slip-first, issue 14).

        From this commit on the number is taken and the period's events are the Z's: a crash
        or a failed print leaves it pending, and the next Z prints the *same* slip again
        (:meth:`pending_z`), never another slip under its number. The journal event holds
        everything the slip shows, so a printed Z is reproducible from the journal.
        """
        if not isinstance(clerk, str) or not clerk:
            raise InvalidRecord("a Z report records the supervisor who printed it")
        body = figures.to_dict()
        with self._write() as conn:
            if conn.execute("SELECT 1 FROM z_pending WHERE id = 1").fetchone() is not None:
                raise PeriodChanged("a Z report is already waiting for its slip: print it first")
            last = conn.execute(
                "SELECT z_number, through_seq FROM periods ORDER BY z_number DESC LIMIT 1"
            ).fetchone()
            expected = (0, 0) if last is None else (int(last[0]), int(last[1]))
            if expected != (figures.z_number - 1, figures.after_seq):
                raise PeriodChanged(
                    f"Z report {expected[0]} closed this period meanwhile; nothing was kept."
                )
            conn.execute(
                "INSERT INTO z_pending (id, z_number, clerk, printed_at, figures)"
                " VALUES (1, ?, ?, ?, ?)",
                (figures.z_number, clerk, to_iso(printed_at), canonical_json(body)),
            )
            # the events up to through_seq are this Z's; the open period is what came after
            refill(conn, figures.through_seq)
            self._append_journal(
                conn,
                None,
                Z_STARTED_EVENT,
                {**body, "clerk": clerk, "printed_at": to_iso(printed_at)},
            )

    def pending_z(self) -> tuple[PeriodFigures, str, datetime] | None:
        """The Z fixed by :meth:`begin_z` whose slip is not proven yet: figures, clerk, time."""
        with self._read() as conn:
            row = conn.execute(
                "SELECT clerk, printed_at, figures FROM z_pending WHERE id = 1"
            ).fetchone()
        if row is None:
            return None
        figures = PeriodFigures.from_dict(json.loads(row["figures"]))
        return figures, str(row["clerk"]), from_iso(str(row["printed_at"]))

    def started_z(self, z_number: int) -> tuple[PeriodFigures, str, datetime] | None:
        """A Z as its ``z_report_started`` journal event fixed it (to reprint it exactly)."""
        with self._read() as conn:
            row = conn.execute(
                # the event as a literal: the partial index journal_z_started covers only it
                f"SELECT data FROM journal WHERE event = '{Z_STARTED_EVENT}' "
                "AND json_extract(data, '$.z_number') = ? ORDER BY seq LIMIT 1",
                (z_number,),
            ).fetchone()
        if row is None:
            return None
        data = json.loads(row[0])
        return PeriodFigures.from_dict(data), str(data["clerk"]), from_iso(data["printed_at"])

    def close_period(self, figures: PeriodFigures, *, clerk: str, printed_at: datetime) -> ZRecord:
        """Keep the Z report whose slip printed: its number, its period and its figures.

        Refuses (:class:`PeriodChanged`, nothing written) when another Z closed the period
        since ``figures`` were read, so a number is never given twice and no event is counted
        in two periods.
        """
        if not isinstance(clerk, str) or not clerk:
            raise InvalidRecord("a Z report records the supervisor who printed it")
        body = figures.to_dict()
        with self._write() as conn:
            last = conn.execute(
                "SELECT z_number, through_seq FROM periods ORDER BY z_number DESC LIMIT 1"
            ).fetchone()
            expected = (0, 0) if last is None else (int(last[0]), int(last[1]))
            if expected != (figures.z_number - 1, figures.after_seq):
                raise PeriodChanged(
                    f"Z report {expected[0]} closed this period meanwhile; nothing was kept. "
                    "Print a new X or Z report for what happened since."
                )
            fixed = conn.execute(
                "DELETE FROM z_pending WHERE z_number = ?", (figures.z_number,)
            ).rowcount
            if not fixed:  # closed without begin_z: the open period starts after this Z
                refill(conn, figures.through_seq)
            conn.execute(
                "INSERT INTO periods (z_number, after_seq, through_seq, period_from, period_to, "
                "clerk, printed_at, figures) VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
                (
                    figures.z_number,
                    figures.after_seq,
                    figures.through_seq,
                    to_iso(figures.period_from),
                    to_iso(figures.period_to),
                    clerk,
                    to_iso(printed_at),
                    canonical_json(body),
                ),
            )
            self._append_journal(
                conn,
                None,
                Z_REPORT_EVENT,
                {**body, "clerk": clerk, "printed_at": to_iso(printed_at)},
            )
            closed = self._z(conn, figures.z_number)
        emit(log, "period.closed", z_number=figures.z_number, clerk=clerk)
        return closed

    def last_z(self) -> ZRecord | None:
        """The newest printed Z report, None before the first."""
        reports = self.z_reports(limit=1)
        return reports[0] if reports else None

    def z_reports(self, *, limit: int = 100) -> list[ZRecord]:
        """Printed Z reports, newest first."""
        with self._lock:
            rows = self._live().execute(
                "SELECT * FROM periods ORDER BY z_number DESC LIMIT ?", (checked_limit(limit),)
            )
            return [_z_from_row(row) for row in rows]

    def _z(self, conn: sqlite3.Connection, z_number: int) -> ZRecord:
        row = conn.execute("SELECT * FROM periods WHERE z_number = ?", (z_number,)).fetchone()
        if row is None:
            raise StoreError(f"no Z report number {z_number} in this store")
        return _z_from_row(row)


def _z_from_row(row: sqlite3.Row) -> ZRecord:
    return ZRecord(
        z_number=int(row["z_number"]),
        after_seq=int(row["after_seq"]),
        through_seq=int(row["through_seq"]),
        period_from=from_iso(row["period_from"]),
        period_to=from_iso(row["period_to"]),
        clerk=row["clerk"],
        printed_at=from_iso(row["printed_at"]),
        figures=json.loads(row["figures"]),
    )
