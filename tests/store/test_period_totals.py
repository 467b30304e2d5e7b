"""The X report from running totals: the same figures as scanning the period's journal, flat.

The reference below is the journal scan the store used before the running totals (the SQL of
``period_figures`` up to issue 17), kept here as the oracle: sales where their move
``printing -> confirmed`` is, stornos where ``stornoed`` is, failures and voids counted.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from test_store import confirm_online, record_sale

from foundation.clock import ManualClock
from offline_queue.period_totals import refill
from offline_queue.schema import MIGRATIONS, connect
from offline_queue.store import ClerkTotal, CurrencyTotal, PeriodFigures, SalesLine, Store

_SALES = """
    SELECT t.product, t.currency, COUNT(*), SUM(t.total_minor)
    FROM journal AS j JOIN transactions AS t ON t.txn = j.txn
    WHERE j.seq > :after AND j.seq <= :through AND j.event = 'state:confirmed'
      AND json_extract(j.data, '$.from') = 'printing'
    GROUP BY t.product, t.currency ORDER BY t.product, t.currency
"""
_STORNOS = """
    SELECT COALESCE(json_extract(t.details, '$.tender'), 'cash'), t.currency,
           COUNT(*), SUM(COALESCE(json_extract(t.details, '$.storno.refund_minor'),
                                  t.total_minor))
    FROM journal AS j JOIN transactions AS t ON t.txn = j.txn
    WHERE j.seq > :after AND j.seq <= :through AND j.event = 'state:stornoed'
    GROUP BY 1, t.currency ORDER BY 1, t.currency
"""
_CASH_ONLY = "COALESCE(json_extract(t.details, '$.tender'), 'cash') = 'cash'"
_REFUND = "COALESCE(json_extract(t.details, '$.storno.refund_minor'), t.total_minor)"
_CLERK_SALES = f"""
    SELECT COALESCE(NULLIF(t.clerk, ''), '-'), t.currency, COUNT(*), SUM(t.total_minor),
           SUM(CASE WHEN {_CASH_ONLY} THEN t.total_minor ELSE 0 END)
    FROM journal AS j JOIN transactions AS t ON t.txn = j.txn
    WHERE j.seq > :after AND j.seq <= :through AND j.event = 'state:confirmed'
      AND json_extract(j.data, '$.from') = 'printing'
    GROUP BY 1, 2
"""
_CLERK_STORNOS = f"""
    SELECT COALESCE(json_extract(t.details, '$.storno.clerk'), NULLIF(t.clerk, ''), '-'),
           t.currency, COUNT(*), SUM({_REFUND}),
           SUM(CASE WHEN {_CASH_ONLY} THEN {_REFUND} ELSE 0 END)
    FROM journal AS j JOIN transactions AS t ON t.txn = j.txn
    WHERE j.seq > :after AND j.seq <= :through AND j.event = 'state:stornoed'
    GROUP BY 1, 2
"""


def scanned(path: Path, after: int, through: int) -> dict[str, Any]:
    """The figures of events ``(after, through]`` as the journal scan computed them."""
    conn = sqlite3.connect(path)
    span = {"after": after, "through": through}
    try:
        sales = tuple(SalesLine(r[0], r[1], r[2], r[3]) for r in conn.execute(_SALES, span))
        tenders: dict[str, list[CurrencyTotal]] = {"cash": [], "benefit": []}
        for r in conn.execute(_STORNOS, span):
            tenders["benefit" if r[0] == "benefit" else "cash"].append(
                CurrencyTotal(r[1], r[2], r[3])
            )
        clerks: dict[tuple[str, str], list[int]] = {}
        for r in conn.execute(_CLERK_SALES, span):
            entry = clerks.setdefault((str(r[0]), str(r[1])), [0, 0, 0, 0, 0])
            entry[0], entry[1], entry[4] = entry[0] + r[2], entry[1] + r[3], entry[4] + r[4]
        for r in conn.execute(_CLERK_STORNOS, span):
            entry = clerks.setdefault((str(r[0]), str(r[1])), [0, 0, 0, 0, 0])
            entry[2], entry[3], entry[4] = entry[2] + r[2], entry[3] + r[3], entry[4] - r[4]
        counts = dict(
            conn.execute(
                "SELECT event, COUNT(*) FROM journal WHERE seq > :after AND seq <= :through "
                "AND event IN ('state:failed', 'state:voided') GROUP BY event",
                span,
            ).fetchall()
        )
    finally:
        conn.close()
    return {
        "sales": sales,
        "stornos": tuple(tenders["cash"]),
        "benefit_stornos": tuple(tenders["benefit"]),
        "by_clerk": tuple(
            ClerkTotal(clerk, currency, *values)
            for (clerk, currency), values in sorted(
                clerks.items(), key=lambda item: (len(item[0][0]), item[0][0], item[0][1])
            )
        ),
        "failed_count": counts.get("state:failed", 0),
        "voided_count": counts.get("state:voided", 0),
    }


FIGURES = ("sales", "stornos", "benefit_stornos", "by_clerk", "failed_count", "voided_count")


def figures_of(figures: PeriodFigures) -> dict[str, Any]:
    return {name: getattr(figures, name) for name in FIGURES}


@pytest.fixture
def clock() -> ManualClock:
    return ManualClock()


@pytest.fixture
def store(tmp_path: Path, clock: ManualClock) -> Iterator[Store]:
    with Store(tmp_path / "kiosk.sqlite", terminal_id="12345", clock=clock) as opened:
        yield opened


def storno(store: Store, txn: str, *, clerk: str | None, refund: int | None = None) -> None:
    attempt: dict[str, Any] = {} if clerk is None else {"clerk": clerk}
    if refund is not None:
        attempt["refund_minor"] = refund
    store.transition(txn, "storno_requested", updates={"details": {"storno": attempt}})
    store.transition(txn, "storno_printing")
    store.transition(txn, "stornoed")


def trade(store: Store, rounds: int = 1) -> None:
    """Sales in two currencies and products by three clerks (one a benefit payment), stornos
    in cash and of the benefit (with and without a partial refund), voids and failures."""
    for _ in range(rounds):
        a = record_sale(store, clerk="1")
        confirm_online(store, a.txn)
        b = record_sale(store, clerk="12", product="a1_topup", currency="EUR", amount=2000)
        confirm_online(store, b.txn)
        benefit = record_sale(store, clerk="2", details={"tender": "benefit"}, amount=700)
        confirm_online(store, benefit.txn)
        none = record_sale(store, clerk=None, amount=300)
        confirm_online(store, none.txn)
        storno(store, a.txn, clerk="3")
        storno(store, benefit.txn, clerk=None, refund=500)
        storno(store, none.txn, clerk=None)
        voided = record_sale(store, clerk="1")
        store.transition(voided.txn, "authorized")
        store.transition(voided.txn, "voided")
        store.transition(record_sale(store, clerk="2").txn, "failed")
        unprinted = record_sale(store, clerk="1")  # its slip never printed: not a sale
        store.transition(unprinted.txn, "authorized")
        store.transition(unprinted.txn, "printing")
        store.transition(unprinted.txn, "print_failed")


def assert_same_as_the_scan(store: Store) -> PeriodFigures:
    figures = store.period_figures()
    assert figures_of(figures) == scanned(store.path, figures.after_seq, figures.through_seq)
    return figures


def test_the_running_total_x_equals_the_journal_scan_across_a_z(
    store: Store, clock: ManualClock
) -> None:
    trade(store, rounds=2)
    first = assert_same_as_the_scan(store)
    assert first.sales and first.stornos and first.benefit_stornos and first.by_clerk
    assert first.failed_count == 2 and first.voided_count == 2
    assert {c.clerk for c in first.by_clerk} == {"-", "1", "2", "3", "12"}
    # A sale of this period stornoed after its Z: the storno counts where it happened.
    carried = record_sale(store, clerk="1")
    confirm_online(store, carried.txn)
    fixed = store.period_figures()
    store.begin_z(fixed, clerk="9", printed_at=clock.now())
    trade(store)  # the pending Z's slip has not printed yet: these are the next period's
    storno(store, carried.txn, clerk="1")
    assert_same_as_the_scan(store)
    store.close_period(fixed, clerk="9", printed_at=clock.now())
    after_z = assert_same_as_the_scan(store)
    assert after_z.after_seq == fixed.through_seq and after_z.z_number == 2
    assert after_z.sales and after_z.stornos[0].count == 3
    # a Z closed without being fixed first
    trade(store)
    store.close_period(store.period_figures(), clerk="9", printed_at=clock.now())
    assert figures_of(assert_same_as_the_scan(store)) == figures_of(
        PeriodFigures.from_totals(
            [],
            z_number=0,
            after_seq=0,
            through_seq=0,
            period_from=clock.now(),
            period_to=clock.now(),
        )
    )
    trade(store)
    assert_same_as_the_scan(store)


def test_events_between_reading_the_x_and_fixing_the_z_go_to_the_next_period(
    store: Store, clock: ManualClock
) -> None:
    trade(store)
    fixed = store.period_figures()
    late = record_sale(store, clerk="5")
    confirm_online(store, late.txn)  # after the figures were read, before the Z is fixed
    store.begin_z(fixed, clerk="9", printed_at=clock.now())
    store.close_period(fixed, clerk="9", printed_at=clock.now())
    next_period = assert_same_as_the_scan(store)
    assert [(c.clerk, c.sales_count) for c in next_period.by_clerk] == [("5", 1)]


def test_the_migration_fills_the_totals_of_an_open_period(
    tmp_path: Path, clock: ManualClock
) -> None:
    path = tmp_path / "v8.sqlite"
    with Store(path, terminal_id="12345", clock=clock) as store:
        trade(store)
        fixed = store.period_figures()
        store.begin_z(fixed, clerk="9", printed_at=clock.now())
        trade(store, rounds=2)  # the open period after a pending Z
        expected = assert_same_as_the_scan(store)
    conn = connect(path)  # the store as version 8 left it: no running totals
    conn.execute("DROP TABLE period_totals")
    conn.execute(f"PRAGMA user_version = {len(MIGRATIONS) - 1}")
    conn.close()
    with Store(path, terminal_id="12345", clock=clock) as store:
        assert store.period_figures() == expected
        assert store.migration_backups  # an upgrade of a store with data is backed up first


def test_the_x_reads_no_journal_row_after_a_z(store: Store, clock: ManualClock) -> None:
    trade(store)
    store.close_period(store.period_figures(), clerk="9", printed_at=clock.now())
    trade(store, rounds=3)
    read: list[str] = []

    def watch(action: int, table: str | None, *_: object) -> int:
        if action == sqlite3.SQLITE_READ and table is not None:
            read.append(table)
        return sqlite3.SQLITE_OK

    conn = store._live()
    conn.set_authorizer(watch)
    try:
        figures = store.period_figures()
    finally:
        conn.set_authorizer(None)
    assert figures.sales
    assert "period_totals" in read and "journal_head" in read
    assert "journal" not in read and "transactions" not in read


def test_the_x_costs_the_same_after_ten_times_the_history(store: Store, clock: ManualClock) -> None:
    def steps() -> int:
        """SQLite virtual-machine steps of one X report (a measure of rows read, not time)."""
        count = [0]

        def tick() -> int:
            count[0] += 1
            return 0

        conn = store._live()
        conn.set_progress_handler(tick, 1)
        try:
            store.period_figures()
        finally:
            conn.set_progress_handler(None, 1)
        return count[0]

    store.close_period(store.period_figures(), clerk="9", printed_at=clock.now())
    trade(store, rounds=2)
    small = steps()
    trade(store, rounds=20)
    assert steps() == small


def test_a_refill_recounts_what_the_live_path_counted(store: Store) -> None:
    trade(store, rounds=2)
    before = store.period_figures()
    with store._write() as conn:
        refill(conn, 0)
    assert store.period_figures() == before
