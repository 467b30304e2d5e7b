"""Writer process for test_store_crash.py: sells and settles as fast as it can until killed.

Usage: ``python store_crash_writer.py STORE_PATH TERMINAL_ID SEED``

It first settles what a previous (killed) writer left half-way, the way crash recovery does,
then records sales and walks each through a random path of the state table with the advices
each state implies, and plays the forwarder's part on the outbox. After every step has
committed it prints one line and flushes, so the parent knows what the store must hold:

    open
    recorded <txn>
    state <txn> <state>
"""

from __future__ import annotations

import random
import sys

from offline_queue.states import implied_outbox_kinds
from offline_queue.store import OutboxMessage, Store, TxnRecord

#: Where a killed writer's in-between sales go at the next start (docs/internals.md).
RECOVERY_PATHS: dict[str, list[str]] = {
    "recorded": ["failed"],
    "authorized": ["voided"],
    "offline_accepted": ["voided"],
    "printing": ["print_failed", "voided"],
    "print_failed": ["voided"],
    "storno_requested": ["confirmed"],
    "storno_printing": ["confirmed"],
}

#: Random paths a sale takes after ``recorded``; the first step decides online or offline.
SALE_PATHS: list[list[str]] = [
    ["declined"],
    ["failed"],
    ["authorized", "voided"],
    ["authorized", "printing", "confirmed"],
    ["authorized", "printing", "print_failed", "voided"],
    ["authorized", "printing", "confirmed", "storno_requested", "confirmed"],
    ["authorized", "printing", "confirmed", "storno_requested", "storno_printing", "stornoed"],
    ["authorized", "printing", "confirmed", "storno_requested", "storno_printing", "confirmed"],
    ["offline_accepted", "printing", "confirmed"],
    ["offline_accepted", "voided"],
    ["offline_accepted", "printing", "print_failed", "voided"],
    [
        "offline_accepted",
        "printing",
        "confirmed",
        "storno_requested",
        "storno_printing",
        "stornoed",
    ],
]


def say(line: str) -> None:
    sys.stdout.write(line + "\n")
    sys.stdout.flush()


def move(store: Store, sale: TxnRecord, to_state: str) -> TxnRecord:
    """One committed step with exactly the advices the new state adds to the old one's."""
    had = implied_outbox_kinds(sale.state, offline=sale.offline)
    offline = sale.offline or to_state == "offline_accepted"
    needs = implied_outbox_kinds(to_state, offline=offline)
    outbox = [OutboxMessage(kind, {"txn": sale.txn}) for kind in needs if kind not in had]
    moved = store.transition(sale.txn, to_state, outbox=outbox, data={"by": "crash-writer"})
    say(f"state {sale.txn} {to_state}")
    return moved


def play_forwarder(store: Store, rng: random.Random) -> None:
    for message in store.claim_due(limit=rng.randint(1, 4), lease_s=30.0):
        roll = rng.random()
        if roll < 0.6:
            store.mark_delivered([message.message_id], response={"ok": True})
        elif roll < 0.9:
            store.mark_retry(message.message_id, error="timeout", delay_s=0.0)
        elif roll < 0.97:
            store.mark_dead(message.message_id, error="400 refused")
        # else: leave it leased, as a forwarder killed mid-send would
    if rng.random() < 0.1:
        dead = store.list_outbox(states=["dead"], limit=1)
        if dead:
            store.requeue_dead(dead[0].message_id)


def main(path: str, terminal_id: str, seed: int) -> None:
    rng = random.Random(seed)
    with Store(path, terminal_id=terminal_id) as store:
        say("open")
        store.recover_after_restart()
        for sale in store.in_between_transactions():
            for step in RECOVERY_PATHS[sale.state]:
                sale = move(store, sale, step)
        while True:
            sale = record_sale(store, rng)
            say(f"recorded {sale.txn}")
            for step in rng.choice(SALE_PATHS):
                sale = move(store, sale, step)
                if rng.random() < 0.2:
                    store.journal_event(sale.txn, "print_attempt", {"ok": True})
            play_forwarder(store, rng)


def record_sale(store: Store, rng: random.Random) -> TxnRecord:
    amount = rng.randint(1, 2000) * 100
    return store.record(
        product="mts_topup",
        currency="RSD",
        amount_minor=amount,
        fees=[("pos_surcharge", 100)],
        total_minor=amount + 100,
        cash_minor=0,
        change_minor=0,
        target={"phone": f"+38164{rng.randint(0, 9_999_999):07d}"},
        details={},
    )


if __name__ == "__main__":
    main(sys.argv[1], sys.argv[2], int(sys.argv[3]))
