"""Crash recovery settles each in-between state exactly as docs/internals.md says."""

from __future__ import annotations

from pathlib import Path

import pytest
from helpers.kiosk import start_counter, stop_counter

from offline_queue import states
from offline_queue.store import OutboxMessage, Store
from terminal.recovery import RECOVERED_EVENT

#: in-between state -> (state after recovery, outbox kinds after recovery, online?)
CASES: dict[str, tuple[str, list[str], bool]] = {
    "recorded": (states.FAILED, [states.REVERSAL], True),
    "authorized": (states.VOIDED, [states.VOID], True),
    "offline_accepted": (states.VOIDED, [], False),
    "printing": (states.VOIDED, [states.VOID], True),
    "printing_offline": (states.VOIDED, [], False),
    "print_failed": (states.VOIDED, [states.VOID], True),
    "storno_requested": (states.CONFIRMED, [states.CONFIRM], True),
    "storno_printing": (states.CONFIRMED, [states.CONFIRM], True),
}

PATHS: dict[str, list[str]] = {
    "recorded": [],
    "authorized": [states.AUTHORIZED],
    "offline_accepted": [states.OFFLINE_ACCEPTED],
    "printing": [states.AUTHORIZED, states.PRINTING],
    "printing_offline": [states.OFFLINE_ACCEPTED, states.PRINTING],
    "print_failed": [states.AUTHORIZED, states.PRINTING, states.PRINT_FAILED],
    "storno_requested": [
        states.AUTHORIZED,
        states.PRINTING,
        states.CONFIRMED,
        states.STORNO_REQUESTED,
    ],
    "storno_printing": [
        states.AUTHORIZED,
        states.PRINTING,
        states.CONFIRMED,
        states.STORNO_REQUESTED,
        states.STORNO_PRINTING,
    ],
}


def _leave_in(store: Store, case: str) -> str:
    record = store.record(
        product="card-topup",
        currency="EUR",
        amount_minor=5000,
        fees=[("topup_fee", 100), ("pos_surcharge", 100)],
        total_minor=5200,
        cash_minor=6000,
        change_minor=800,
        target={
            "kind": "card",
            "value": "4000000000000010",
            "last4": "0010",
            "masked": "**** 0010",
            "display": "**** 0010",
        },
        details={"provision_message_id": f"m-{case}"},
    )
    for state in PATHS[case]:
        updates: dict[str, object] | None = None
        if state == states.AUTHORIZED:
            updates = {"auth_code": "ABC123"}
        elif state == states.CONFIRMED:  # a confirmed sale always has its slip's print time
            updates = {"printed_at": store.clock.now()}
        outbox = (
            [OutboxMessage(states.CONFIRM, {"txn": record.txn})]
            if (state == states.CONFIRMED)
            else []
        )
        store.transition(record.txn, state, updates=updates, outbox=outbox)
    return record.txn


@pytest.mark.parametrize("case", sorted(CASES))
def test_each_in_between_state_has_one_outcome(tmp_path: Path, case: str) -> None:
    counter = start_counter(tmp_path, "si")
    try:
        with Store(
            counter.config.store.path, terminal_id=counter.config.terminal.id, clock=counter.clock
        ) as store:
            txn = _leave_in(store, case)
        kiosk = counter.open()  # the process starts again: recovery runs first
        expected_state, expected_kinds, _ = CASES[case]
        record = kiosk.store.get(txn)
        assert record.state == expected_state
        assert [m.kind for m in kiosk.store.outbox_for(txn)] == expected_kinds
        assert kiosk.recovery.settled == {txn: expected_state}
        events = [e.event for e in kiosk.store.journal(txn)]
        assert RECOVERED_EVENT in events
        if case in ("printing", "printing_offline", "storno_printing"):
            # whoever holds half a slip gets a notice saying it is not valid
            assert counter.printer.wait_for_slips(1, timeout=5)
            assert txn in counter.printer.slips[0].text
        assert kiosk.store.verify_journal().ok
        # a second start finds nothing left to settle
        counter.close()
        assert counter.open().recovery.settled == {}
    finally:
        stop_counter(counter)
