"""History stays cheap: outbox counters kept by triggers, pruning, exposure without the past."""

from __future__ import annotations

import sqlite3
from pathlib import Path

from test_store import confirm_online, record_sale

from foundation.clock import ManualClock
from offline_queue.schema import _V5_HISTORY_COUNTERS, MIGRATIONS, connect
from offline_queue.store import OutboxMessage, Store

DAY = 86400.0


def counted(path: Path) -> dict[str, int]:
    conn = sqlite3.connect(path)
    try:
        counts = {"pending": 0, "in_flight": 0, "delivered": 0, "dead": 0}
        for state, n in conn.execute("SELECT state, COUNT(*) FROM outbox GROUP BY state"):
            counts[state] = n
        return counts
    finally:
        conn.close()


def confirm_offline(store: Store, txn: str) -> None:
    store.transition(txn, "offline_accepted")
    store.transition(txn, "printing")
    store.transition(txn, "confirmed", outbox=[OutboxMessage("offline_sale", {"txn": txn})])


def test_counters_follow_every_change_of_the_outbox(store: Store, clock: ManualClock) -> None:
    txns = [record_sale(store).txn for _ in range(6)]
    for txn in txns:
        confirm_online(store, txn)
    assert store.outbox_status()["counts"] == counted(store.path)
    batch = store.claim_due(limit=4, lease_s=30)
    assert store.outbox_status()["counts"] == counted(store.path) != {}
    store.settle_batch(
        delivered=[(batch[0].message_id, None), (batch[1].message_id, {"ok": True})],
        dead=[(batch[2].message_id, "refused")],
        retry=[(batch[3].message_id, "later", 5.0)],
    )
    counts = store.outbox_status()["counts"]
    assert counts == counted(store.path)
    assert counts == {"pending": 3, "in_flight": 0, "delivered": 2, "dead": 1}
    clock.advance(2 * DAY)
    assert store.prune_delivered(older_than_s=DAY) == 2
    assert store.outbox_status()["counts"] == counted(store.path)
    assert store.outbox_status()["counts"]["delivered"] == 0


def test_pruning_keeps_recent_and_undelivered_advices(store: Store, clock: ManualClock) -> None:
    old, recent, owed = (record_sale(store).txn for _ in range(3))
    for txn in (old, recent, owed):
        confirm_online(store, txn)
    first = store.claim_due(limit=1, lease_s=30)
    store.mark_delivered([first[0].message_id])
    clock.set_wall(clock.now().replace(year=clock.now().year + 1))
    second = store.claim_due(limit=1, lease_s=30)
    store.mark_delivered([second[0].message_id])
    assert store.prune_delivered(older_than_s=30 * DAY) == 1
    assert store.outbox_for(old) == []
    assert [m.state for m in store.outbox_for(recent)] == ["delivered"]
    assert [m.state for m in store.outbox_for(owed)] == ["pending"]
    # the journal still has every delivery
    assert [e.event for e in store.journal(old)][-1] == "outbox:delivered"
    assert store.verify_journal().ok


def test_offline_exposure_counts_only_what_the_host_lacks_even_after_pruning(
    store: Store, clock: ManualClock
) -> None:
    sent, unsent = record_sale(store).txn, record_sale(store).txn
    confirm_offline(store, sent)
    confirm_offline(store, unsent)
    waiting = record_sale(store, amount=7_000).txn
    store.transition(waiting, "offline_accepted")  # accepted, advice not written yet
    assert store.unforwarded_offline_exposure()["RSD"].count == 3
    message = next(m for m in store.outbox_for(sent) if m.kind == "offline_sale")
    claimed = store.claim_due(limit=10, lease_s=30)
    assert message.message_id in {m.message_id for m in claimed}
    store.settle_batch(
        delivered=[(message.message_id, None)],
        retry=[(m.message_id, "later", 0.0) for m in claimed if m.message_id != message.message_id],
    )
    exposure = store.unforwarded_offline_exposure()["RSD"]
    assert (exposure.count, exposure.amount_minor) == (2, 50_000 + 7_000)
    clock.set_wall(clock.now().replace(year=clock.now().year + 1))
    assert store.prune_delivered(older_than_s=DAY) == 1
    exposure = store.unforwarded_offline_exposure()["RSD"]
    assert (exposure.count, exposure.amount_minor) == (2, 50_000 + 7_000)


def test_the_counters_migration_counts_what_an_older_store_holds(
    tmp_path: Path, clock: ManualClock
) -> None:
    path = tmp_path / "old.sqlite"
    assert MIGRATIONS[4] is _V5_HISTORY_COUNTERS  # the counters come with version 5
    with Store(path, terminal_id="12345", clock=clock) as store:
        for _ in range(3):
            confirm_online(store, record_sale(store).txn)
        expected = counted(path)
    conn = connect(path)
    conn.execute("BEGIN IMMEDIATE")
    conn.execute("DROP TABLE outbox_counts")
    for name in ("insert", "update", "delete"):
        conn.execute(f"DROP TRIGGER outbox_counts_{name}")
    conn.execute("DROP INDEX outbox_delivered_at")
    conn.execute("DROP INDEX outbox_undelivered_created")
    conn.execute("DROP TABLE idempotency_keys")  # the later versions' tables go too (v6, v7)
    conn.execute("DROP TABLE z_pending")
    conn.execute("PRAGMA user_version = 4")
    conn.execute("COMMIT")
    conn.close()
    with Store(path, terminal_id="12345", clock=clock) as store:
        assert (
            store.outbox_status()["counts"]
            == expected
            == {
                "pending": 3,
                "in_flight": 0,
                "delivered": 0,
                "dead": 0,
            }
        )
