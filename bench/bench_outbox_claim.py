"""How long claiming due advices takes with 100k outbox rows (mostly delivered, some pending).

Prints one JSON object: {"rows", "pending", "claims", "claim_ms_p50", "claim_ms_p99", ...}.
The store is filled with one bulk transaction (the per-sale path fsyncs every commit, which
would measure the disk, not the claim); the claims go through the real ``Store.claim_due``.
"""

from __future__ import annotations

import argparse
import json
import statistics
import tempfile
import time
import uuid
from pathlib import Path

from foundation.clock import ManualClock
from offline_queue.schema import connect, migrate
from offline_queue.store import Store, to_iso

TERMINAL_ID = "12345"


def fill(path: Path, *, rows: int, pending: int, dead: int, clock: ManualClock) -> None:
    """``rows`` outbox messages over ``rows * 3 // 5`` sales (confirm, some also storno)."""
    sales = rows * 3 // 5
    now = to_iso(clock.now())
    mono = clock.monotonic()
    conn = connect(path)
    migrate(conn)
    conn.execute("BEGIN IMMEDIATE")
    conn.executemany(
        "INSERT INTO transactions (txn, terminal_id, product, state, currency, amount_minor, "
        "fees, total_minor, cash_minor, change_minor, target, details, created_at, updated_at) "
        "VALUES (?, ?, 'mts_topup', 'confirmed', 'RSD', 50000, '[]', 50000, 0, 0, "
        "'{\"phone\":\"+381641234567\"}', '{}', ?, ?)",
        ((f"{TERMINAL_ID}{n:09d}", TERMINAL_ID, now, now) for n in range(1, sales + 1)),
    )
    conn.execute(
        "INSERT INTO sequence (terminal_id, last_value) VALUES (?, ?)", (TERMINAL_ID, sales)
    )
    messages = []
    for n in range(1, sales + 1):
        messages.append((f"{TERMINAL_ID}{n:09d}", "confirm"))
    for n in range(1, rows - sales + 1):
        messages.append((f"{TERMINAL_ID}{n:09d}", "storno"))
    messages.sort(key=lambda m: (m[0], m[1] != "confirm"))  # a sale's confirm before its storno
    first_pending = len(messages) - pending - dead

    def state(index: int) -> str:
        if index < first_pending:
            return "delivered"
        return "dead" if index < first_pending + dead else "pending"

    conn.executemany(
        "INSERT INTO outbox (message_id, seq, txn, kind, payload, state, attempts, "
        "next_attempt_mono, created_at, delivered_at) VALUES (?, ?, ?, ?, '{}', ?, 1, ?, ?, ?)",
        (
            (uuid.uuid4().hex, index + 1, txn, kind, state(index), mono, now, now)
            for index, (txn, kind) in enumerate(messages)
        ),
    )
    conn.execute("COMMIT")
    conn.execute("ANALYZE")
    conn.close()


def percentile(samples: list[float], fraction: float) -> float:
    ordered = sorted(samples)
    return ordered[min(len(ordered) - 1, int(fraction * len(ordered)))]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--rows", type=int, default=100_000)
    parser.add_argument("--pending", type=int, default=2_000)
    parser.add_argument("--dead", type=int, default=50)
    parser.add_argument("--batch", type=int, default=20)
    args = parser.parse_args()

    clock = ManualClock()
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "bench.sqlite"
        started = time.perf_counter()
        fill(path, rows=args.rows, pending=args.pending, dead=args.dead, clock=clock)
        fill_s = time.perf_counter() - started
        with Store(path, terminal_id=TERMINAL_ID, clock=clock) as store:
            samples: list[float] = []
            claimed = 0
            for _ in range(10_000):
                began = time.perf_counter()
                batch = store.claim_due(limit=args.batch, lease_s=30.0)
                samples.append((time.perf_counter() - began) * 1000)
                if not batch:
                    break
                claimed += len(batch)
                store.mark_delivered([message.message_id for message in batch])
            counts = store.outbox_status()["counts"]
    print(
        json.dumps(
            {
                "rows": args.rows,
                "pending": args.pending,
                "dead": args.dead,
                "batch": args.batch,
                "claims": len(samples),
                "claimed": claimed,
                "claim_ms_p50": round(statistics.median(samples), 3),
                "claim_ms_p99": round(percentile(samples, 0.99), 3),
                "claim_ms_max": round(max(samples), 3),
                "fill_s": round(fill_s, 2),
                "left": counts,
            }
        )
    )


if __name__ == "__main__":
    main()
