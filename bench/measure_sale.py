"""A whole sale against the fsync floor of its commits; the outbox against persist-queue."""

from __future__ import annotations

import statistics
import time
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from common import InstantHost, figure, fsync_floor, instant_printer, pct, si_config


def bench_sale(folder: Path, sales: int) -> dict[str, dict[str, Any]]:
    from foundation.clock import SystemClock
    from offline_queue.store import Store
    from terminal.counter import Counter
    from terminal.sale import SaleRequest, SaleService

    config = si_config(folder)
    clock = SystemClock()
    store = Store(
        folder / "kiosk.sqlite", terminal_id="12345", clock=clock, key=config.terminal.key
    )
    printer = instant_printer(config.printer.profile, config.printer.width)
    counter = Counter(config=config, store=store, printer=printer, clock=clock)
    service = SaleService(
        config=config, store=store, counter=counter, host=InstantHost(), clock=clock
    )
    request = SaleRequest(
        product="card-topup", target="4000000000000010", amount_minor=5000, cash_minor=5200
    )
    try:
        service.sell(request)  # warm-up: templates, the encoder, the first pages
        took: list[float] = []
        cpu: list[float] = []
        floors: list[float] = []
        before = dict(store.commits)
        for _ in range(sales):
            began, began_cpu = time.perf_counter(), time.process_time()
            result = service.sell(request)
            took.append((time.perf_counter() - began) * 1000)
            cpu.append((time.process_time() - began_cpu) * 1000)
            assert result.ok, result
            durable = 3  # checked below against the store's own count
            floors += fsync_floor(folder, durable, 1)  # interleaved: same load, same disk
        per_sale = (store.commits["durable"] - before["durable"]) / sales
    finally:
        store.close()
    if per_sale != 3:
        raise AssertionError(f"{per_sale} durable commits per sale, the floor assumed 3")
    return {
        "sale_overhead_vs_fsync_floor": figure(
            statistics.median(took),
            statistics.median(floors),
            goal="ratio <= 2 (p50 against 3 x write+fsync)",
            unit="ms",
            durable_commits_per_sale=per_sale,
            # the sale's own CPU (this process): what is left when the disk and the other
            # programs on the machine are taken out
            cpu_ms_p50=round(statistics.median(cpu), 3),
            p99_ms=round(pct(took, 0.99), 3),
            floor_p99_ms=round(pct(floors, 0.99), 3),
        ),
        "sale_overhead_p99_ms": figure(
            pct(took, 0.99),
            pct(floors, 0.99),
            goal="value <= 10 ms",
            unit="ms",
        ),
    }


# -- outbox against persist-queue ------------------------------------------------------------


def bench_outbox(folder: Path, items: int) -> dict[str, dict[str, Any]]:
    """``items`` put + claim + ack with full durability, against persist-queue's SQLiteAckQueue.

    Our put is the sale's confirming commit (state, journal, advice in one fsync), claims and
    acknowledgements go by the forwarder's batches of 100; persist-queue puts, gets and acks
    one item at a time, each its own commit (auto_commit, its default). The puts are
    interleaved item by item (ours, the same confirming commit without an advice, theirs), so
    the machine's load falls on all three alike.

    Two figures: ``outbox_vs_persist_queue`` counts our whole confirming commit against
    their bare put (the sale's state and journal are on our side only);
    ``outbox_sale_and_advice_vs_persist_queue`` counts the same work on both sides: a
    confirmed sale whose advice reached the host, ours in one commit, theirs the sale's
    confirming commit without an advice plus persist-queue's put, get and ack."""
    import persistqueue

    from foundation.clock import ManualClock
    from offline_queue.store import OutboxMessage, Store

    clock = ManualClock(start=datetime(2026, 1, 1, tzinfo=UTC))
    store = Store(folder / "outbox.sqlite", terminal_id="12345", clock=clock)
    queue = persistqueue.SQLiteAckQueue(str(folder / "pq"), auto_commit=True)
    pq_sync = queue._getter.execute("PRAGMA synchronous").fetchone()[0]
    with_advice: list[str] = []
    without: list[str] = []
    put_s = confirm_only_s = pq_put_s = 0.0
    try:
        with store.bulk():  # the sales up to printing: not what is measured
            for n in range(2 * items):
                record = store.record(
                    product="mts_topup",
                    currency="RSD",
                    amount_minor=50_000,
                    fees=[],
                    total_minor=50_000,
                    cash_minor=0,
                    change_minor=0,
                    target={"kind": "phone", "value": f"+38164{n:07d}"},
                    details={},
                )
                store.transition(record.txn, "authorized")
                store.transition(record.txn, "printing")
                (with_advice if n % 2 == 0 else without).append(record.txn)
        for txn, plain in zip(with_advice, without, strict=True):
            began = time.perf_counter()
            store.transition(
                txn, "confirmed", outbox=[OutboxMessage("confirm", {"txn": txn, "n": 1})]
            )
            put_s += time.perf_counter() - began
            began = time.perf_counter()
            store.transition(plain, "confirmed")
            confirm_only_s += time.perf_counter() - began
            began = time.perf_counter()
            queue.put({"txn": plain, "kind": "confirm", "n": 1})
            pq_put_s += time.perf_counter() - began
        began = time.perf_counter()
        acked = 0
        while True:
            batch = store.claim_due(limit=100, lease_s=30)
            if not batch:
                break
            store.settle_batch(delivered=[(m.message_id, None) for m in batch])
            acked += len(batch)
        claim_ack_s = time.perf_counter() - began
        assert acked == items, acked
        sync = store.connection_pragmas()["synchronous"]
    finally:
        store.close()
    began = time.perf_counter()
    for _ in without:
        item = queue.get(block=False)
        queue.ack(item)
    pq_get_ack_s = time.perf_counter() - began
    ours = put_s + claim_ack_s
    theirs = pq_put_s + pq_get_ack_s
    split = {
        "items": items,
        "put_ms": round(put_s * 1000, 1),
        "claim_ack_ms": round(claim_ack_s * 1000, 1),
        "confirm_without_advice_ms": round(confirm_only_s * 1000, 1),
        "reference_put_ms": round(pq_put_s * 1000, 1),
        "reference_get_ack_ms": round(pq_get_ack_s * 1000, 1),
    }
    return {
        "outbox_vs_persist_queue": figure(
            ours * 1000,
            theirs * 1000,
            goal="ratio >= 3 (times faster)",
            unit="ms for all items",
            faster=True,
            **split,
            note=(
                "our put is the sale's whole confirming commit (state, journal, advice), theirs "
                f"a bare row; synchronous={sync} (ours, WAL) vs {pq_sync} (persist-queue "
                f"{persistqueue.__version__}, its defaults, WAL)"
            ),
        ),
        "outbox_sale_and_advice_vs_persist_queue": figure(
            ours * 1000,
            (confirm_only_s + theirs) * 1000,
            goal="ratio >= 3 (times faster)",
            unit="ms for all items",
            faster=True,
            **split,
            note=(
                "the same work both ways: a confirmed sale whose advice was delivered; theirs "
                "is the confirming commit without an advice plus persist-queue put, get, ack"
            ),
        ),
    }


# -- backlog drain ---------------------------------------------------------------------------
