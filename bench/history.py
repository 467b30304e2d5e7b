"""A store with a long history, written by the store's own code (``Store.bulk``: batched
commits, durability off while generating only), and kept between runs in a cache folder.

Every sale goes the way a counter's does: ``record``, then ``authorized`` (or
``offline_accepted`` for one in ten), ``printing``, ``confirmed`` with its advice; the advices
are claimed and acknowledged by batches of 100 through ``claim_due``/``settle_batch``, except
the last few hundred, which stay owed.
"""

from __future__ import annotations

import shutil
import sqlite3
import time
from datetime import UTC, datetime
from pathlib import Path

from foundation.clock import ManualClock
from offline_queue.schema import SCHEMA_VERSION
from offline_queue.store import OutboxMessage, Store

TERMINAL_ID = "12345"
KEY = "bench-terminal-key-0123456789abcdef"
#: Advices left undelivered at the end (what a terminal owes after a short outage).
OWED = 300


def _sale(store: Store, n: int) -> None:
    record = store.record(
        product="mts_topup",
        currency="RSD",
        amount_minor=50_000,
        fees=[("pos_surcharge", 100)],
        total_minor=50_100,
        cash_minor=50_100,
        change_minor=0,
        target={"kind": "phone", "value": "+381641234567", "display": "+381 64 123 4567"},
        details={"provision_message_id": f"{n:032x}"},
    )
    if n % 10 == 0:
        store.transition(record.txn, "offline_accepted")
        kind = "offline_sale"
    else:
        store.transition(record.txn, "authorized", updates={"auth_code": f"A{n}"})
        kind = "confirm"
    store.transition(record.txn, "printing")
    store.transition(
        record.txn,
        "confirmed",
        updates={"printed_at": store.clock.now()},
        outbox=[OutboxMessage(kind, {"txn": record.txn, "total_minor": 50_100})],
    )


def generate(path: Path, transactions: int, *, clock: ManualClock | None = None) -> float:
    """Write ``transactions`` sales into a new store at ``path``; seconds it took."""
    clock = clock or ManualClock(start=datetime(2026, 1, 1, tzinfo=UTC))
    started = time.perf_counter()
    with Store(path, terminal_id=TERMINAL_ID, clock=clock, key=KEY) as store, store.bulk():
        for n in range(1, transactions + 1):
            _sale(store, n)
            clock.advance(0.5)
            if n % 100 == 0 and transactions - n >= OWED:
                batch = store.claim_due(limit=100, lease_s=30)
                store.settle_batch(delivered=[(m.message_id, None) for m in batch])
    return time.perf_counter() - started


def cached(cache: Path, transactions: int) -> tuple[Path, float | None]:
    """The store of ``transactions`` sales from ``cache``, generated first if missing; the
    generation time when it was generated now (None when it came from the cache)."""
    cache.mkdir(parents=True, exist_ok=True)
    path = cache / f"history-v{SCHEMA_VERSION}-{transactions}.sqlite"
    if path.exists():
        return path, None
    partial = path.with_suffix(".partial")
    for leftover in cache.glob(partial.name + "*"):
        leftover.unlink()
    took = generate(partial, transactions)
    for suffix in ("-wal", "-shm"):
        Path(str(partial) + suffix).unlink(missing_ok=True)
    shutil.move(partial, path)
    return path, took


def working_copy(path: Path, folder: Path) -> Path:
    """A copy to open (opening may write: the seal, a migration), the cached file untouched."""
    target = folder / path.name
    shutil.copyfile(path, target)
    return target


def snapshot(source: Path, folder: Path) -> tuple[Path, int]:
    """A consistent copy of a store being generated (its last batch commit), and how many
    sales it holds: to measure at the size reached when a run cannot wait for the rest."""
    target = folder / f"snapshot-{source.stem}.sqlite"
    reader = sqlite3.connect(f"file:{source}?mode=ro", uri=True)
    writer = sqlite3.connect(target)
    try:
        reader.backup(writer)
        count = int(writer.execute("SELECT COUNT(*) FROM transactions").fetchone()[0])
    finally:
        writer.close()
        reader.close()
    return target, count
