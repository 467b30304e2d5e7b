"""Lookups from indexes: every search query of the store and of terminal/lookup.py walks an
index (asserted with EXPLAIN QUERY PLAN on the very SQL the store runs), never the history."""

from __future__ import annotations

import re
import sqlite3
from collections.abc import Callable, Iterator
from datetime import timedelta
from pathlib import Path
from typing import Any, cast

import pytest
from test_store import confirm_online, record_sale

from foundation.clock import ManualClock
from offline_queue.store import Store
from terminal.lookup import LookupQuery, LookupService

#: A full pass over a table or one of its indexes: what a lookup must never need.
FULL_PASS = re.compile(r"^SCAN (transactions|journal|target_keys|t|k|j)\b")


@pytest.fixture
def clock() -> ManualClock:
    return ManualClock()


@pytest.fixture
def store(tmp_path: Path, clock: ManualClock) -> Iterator[Store]:
    with Store(tmp_path / "kiosk.sqlite", terminal_id="12345", clock=clock, key="k" * 32) as kept:
        for n in range(12):
            sale = record_sale(
                kept,
                product=("mts_topup", "a1_topup", "imei_unlock")[n % 3],
                target={"phone": f"+381 64 123 {4560 + n}", "imei": f"35693803564{n:04d}"},
            )
            confirm_online(kept, sale.txn)
            clock.advance(60)
        card = record_sale(kept, target={"kind": "card", "number": "4111111111111111"})
        kept.transition(card.txn, "authorized")
        kept.transition(card.txn, "voided")
        kept.begin_z(kept.period_figures(), clerk="9", printed_at=clock.now())
        yield kept


def plans(store: Store, action: Callable[[], object]) -> list[tuple[str, list[str]]]:
    """Each SELECT ``action`` ran on the store's connection, with its query plan."""
    statements: list[str] = []
    conn = store._live()
    conn.set_trace_callback(statements.append)
    try:
        action()
    finally:
        conn.set_trace_callback(None)
    reader = sqlite3.connect(store.path)
    try:
        return [
            (sql, [str(row[3]) for row in reader.execute(f"EXPLAIN QUERY PLAN {sql}")])
            for sql in statements
            if sql.lstrip().upper().startswith("SELECT")
        ]
    finally:
        reader.close()


def assert_indexed(found: list[tuple[str, list[str]]], *, sorted_by_index: bool) -> None:
    assert found, "the action ran no query"
    for sql, plan in found:
        assert not [line for line in plan if FULL_PASS.match(line)], (sql, plan)
        assert any("USING" in line and "INDEX" in line for line in plan), (sql, plan)
        if sorted_by_index:  # newest first straight off the index, stopping at the limit
            assert "USE TEMP B-TREE FOR ORDER BY" not in plan, (sql, plan)


def lookups(store: Store, clock: ManualClock) -> dict[str, Callable[[], object]]:
    service = LookupService(store, cast(Any, None))  # _find asks only the store
    since, until = clock.now() - timedelta(hours=1), clock.now()
    return {
        "phone": lambda: service._find(LookupQuery(phone="064 123 4565")),
        "phone this hour": lambda: service._find(
            LookupQuery(phone="064 123 4565", since=since, until=until)
        ),
        "card last 4": lambda: service._find(LookupQuery(card_last4="1111")),
        "whole card number": lambda: service._find(LookupQuery(card_last4="4111111111111111")),
        "imei": lambda: service._find(LookupQuery(imei="356938035640003")),
    }


@pytest.mark.parametrize(
    "name", ["phone", "phone this hour", "card last 4", "whole card number", "imei"]
)
def test_the_counter_lookups_search_the_target_keys_by_index(
    store: Store, clock: ManualClock, name: str
) -> None:
    found = plans(store, lookups(store, clock)[name])
    assert_indexed(found, sorted_by_index=False)  # the matches alone are sorted
    assert any("target_keys_by_" in line for _, plan in found for line in plan)


def test_a_lookup_by_time_range_walks_the_time_index(store: Store, clock: ManualClock) -> None:
    service = LookupService(store, cast(Any, None))
    since = clock.now() - timedelta(minutes=5)
    found = plans(store, lambda: service._find(LookupQuery(since=since, until=clock.now())))
    assert_indexed(found, sorted_by_index=True)


@pytest.mark.parametrize(
    ("name", "index"),
    [
        ("recent voids", "transactions_by_state_created"),
        ("one product", "transactions_by_product_created"),
        ("states of one product", "transactions_by_product_created"),
        ("last confirmed", "transactions_by_state_created"),
        ("last confirmed of a product", "transactions_by_product_created"),
    ],
)
def test_lists_and_the_last_slip_walk_an_index_newest_first(
    store: Store, clock: ManualClock, name: str, index: str
) -> None:
    since = clock.now() - timedelta(days=1)
    action: Callable[[], object] = {
        "recent voids": lambda: store.list_transactions(since=since, states=["voided"]),
        "one product": lambda: store.list_transactions(product="a1_topup", limit=3),
        "states of one product": lambda: store.list_transactions(
            states=["confirmed", "stornoed"], product="a1_topup"
        ),
        "last confirmed": store.last_confirmed,
        "last confirmed of a product": lambda: store.last_confirmed(product="imei_unlock"),
    }[name]
    found = plans(store, action)
    assert_indexed(found, sorted_by_index=True)
    assert any(index in line for _, plan in found for line in plan)


def test_a_z_is_found_for_its_reprint_by_number_and_a_sale_journal_by_txn(store: Store) -> None:
    started = plans(store, lambda: store.started_z(1))
    assert_indexed(started, sorted_by_index=True)
    assert any("journal_z_started" in line for _, plan in started for line in plan)
    assert store.started_z(1) is not None and store.started_z(2) is None
    txn = store.last_confirmed()
    assert txn is not None
    assert_indexed(plans(store, lambda: store.journal(txn.txn)), sorted_by_index=True)


def test_the_indexed_lookups_still_find_the_right_sales(store: Store, clock: ManualClock) -> None:
    found = {name: action() for name, action in lookups(store, clock).items()}
    assert len(cast(list[Any], found["phone"])) == 1
    assert len(cast(list[Any], found["imei"])) == 1
    assert len(cast(list[Any], found["whole card number"])) == 1
    last = store.last_confirmed(product="imei_unlock")
    assert last is not None and last.product == "imei_unlock"
    assert [r.product for r in store.list_transactions(product="a1_topup")] == ["a1_topup"] * 4
    assert [r.state for r in store.list_transactions(states=["voided"])] == ["voided"]
