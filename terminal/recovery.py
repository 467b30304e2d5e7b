"""Crash recovery: settle every sale a dead process left in between, before the first new sale.

Each in-between state has exactly one outcome (docs/internals.md). The rule behind all of them:
what cannot be proven did not happen. A slip that may or may not have printed is not a proof,
so the sale is voided and a failure notice printed for whoever holds half a slip.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass, field

from offline_queue import states
from offline_queue.store import OutboxMessage, TxnRecord
from terminal.advices import advice_payload
from terminal.sale import SaleService
from terminal.storno import StornoService

log = logging.getLogger(__name__)


#: Journal event written for every transaction crash recovery settled.
RECOVERED_EVENT = "recovered"


@dataclass
class RecoveryReport:
    """What recovery did, per transaction, for the log and the clerk's screen."""

    settled: dict[str, str] = field(default_factory=dict)
    leases_released: int = 0

    def to_dict(self) -> dict[str, object]:
        return {"settled": self.settled, "leases_released": self.leases_released}


def recover(service: SaleService, stornos: StornoService) -> RecoveryReport:
    """Settle every in-between transaction and return in-flight advices to the queue.

    Has the counter (``terminal.counter``) throughout: the notices it prints for slips that
    may be half out are the counter's, like any other slip.
    """
    store = service.store
    report = RecoveryReport(leases_released=store.recover_after_restart())
    with service.counter.lock:
        for record in store.in_between_transactions():
            outcome = _settle(service, stornos, record)
            report.settled[record.txn] = outcome
            store.journal_event(record.txn, RECOVERED_EVENT, {"from": record.state, "to": outcome})
    return report


def _settle(service: SaleService, stornos: StornoService, record: TxnRecord) -> str:
    store = service.store
    txn = record.txn
    why = "the terminal restarted during the sale"
    if record.state == states.RECORDED:
        # The provision may have reached the host: reverse it, whatever the host did.
        service.move(
            txn,
            states.FAILED,
            data={"recovery": True},
            updates={"reason": f"{why}; the sale is reversed"},
            outbox=[OutboxMessage(states.REVERSAL, advice_payload(record, states.REVERSAL))],
        )
        return states.FAILED
    if record.state in (states.AUTHORIZED, states.OFFLINE_ACCEPTED):
        service.void_unprinted(record, f"{why} before the slip printed")
        return states.VOIDED
    if record.state == states.PRINTING:
        service.fail_print(
            record,
            f"{why} while the slip was printing; it is not valid",
            reason_code="recovered_after_restart",
        )
        return states.VOIDED
    if record.state == states.PRINT_FAILED:
        service.void_unprinted(record, record.reason or why)
        return states.VOIDED
    if record.state == states.STORNO_REQUESTED:
        store.transition(txn, states.CONFIRMED, data={"recovery": True, "storno": "not done"})
        return states.CONFIRMED
    if record.state == states.STORNO_PRINTING:
        store.transition(txn, states.CONFIRMED, data={"recovery": True, "storno": "not proven"})
        stornos.print_not_completed(record, "recovered_after_restart", refund=record.total_minor)
        return states.CONFIRMED
    raise AssertionError(f"{record.state} is not an in-between state")


__all__ = ["RECOVERED_EVENT", "RecoveryReport", "recover"]
