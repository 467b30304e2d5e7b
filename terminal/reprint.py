"""Reprint: a copy of the last slip, or of any slip of a transaction, marked "COPY n".

A copy is printed through the same barrier as the original, so the count of copies only grows
for a copy that really came out: the number is counted (``Store.increment_copies``, journalled)
after the barrier proved the print, under the counter lock, so two copies never share a number
and a failed copy does not use one up. The copy shows the original print time, never the
reprint time: the slip is proof of when the sale (or the storno) happened.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, Literal

from offline_queue import states
from offline_queue.store import TxnRecord, state_event
from printer_templates.document import SlipDocument
from terminal import slips
from terminal.counter import Counter
from terminal.errors import InvalidInput, KioskError
from terminal.storno import parse_txn

SlipKind = Literal["sale", "storno"]

#: Journal event of a copy that did not print (the copy count is not advanced).
REPRINT_FAILED = "reprint_failed"

#: How far back in the journal "the last slip" is looked for before the store is asked.
_LAST_SLIP_LOOKBACK = 500


class NothingToReprint(KioskError):
    """There is no printed slip of that kind to copy."""

    code = "nothing_to_reprint"


class InvalidSlipKind(InvalidInput):
    code = "invalid_slip_kind"


class ReprintNotPrinted(KioskError):
    """The copy did not come out of the printer."""

    code = "reprint_not_printed"


@dataclass(frozen=True)
class ReprintResult:
    txn: str
    slip_kind: SlipKind
    copy_number: int
    original_printed_at: datetime
    slip: SlipDocument | None = field(default=None, repr=False)

    def to_dict(self) -> dict[str, Any]:
        return {
            "txn": self.txn,
            "slip": self.slip_kind,
            "copy_number": self.copy_number,
            "original_printed_at": self.original_printed_at.isoformat(),
            "instruction": (
                f"Copy {self.copy_number} printed: it is not a new payment, take no money for it."
            ),
        }


class ReprintService:
    """Copies of printed slips; has the counter (``terminal.counter``) for each copy."""

    def __init__(self, counter: Counter) -> None:
        self.counter = counter
        self.store = counter.store
        self.config = counter.config

    def last_slip_txn(self) -> str | None:
        """The transaction whose slip (sale or storno) printed last at this terminal.

        Read from the journal, because a storno of an older sale prints after newer sales.
        """
        printed = state_event(states.CONFIRMED)
        for event in reversed(self.store.journal(limit=_LAST_SLIP_LOOKBACK)):
            if event.event == state_event(states.STORNOED):
                return event.txn
            if event.event == printed and event.data.get("from") == states.PRINTING:
                return event.txn
        last = self.store.last_confirmed()
        return None if last is None else last.txn

    def reprint(self, txn_text: str | None = None, *, slip: str | None = None) -> ReprintResult:
        """Print a copy. ``slip``: "sale" or "storno"; default the transaction's latest slip."""
        if slip is not None and slip not in ("sale", "storno"):
            raise InvalidSlipKind(f"Choose which slip to copy: sale or storno (not {slip!r}).")
        with self.counter.lock:
            if txn_text:
                txn = parse_txn(txn_text)
            else:
                found = self.last_slip_txn()
                if found is None:
                    raise NothingToReprint("No slip has printed at this terminal yet.")
                txn = found
            record = self.store.get(txn)
            kind: SlipKind = (
                "storno" if slip == "storno" or (slip is None and _stornoed(record)) else "sale"
            )
            self.counter.require_printer_ready()
            copy_number = record.copies + 1
            doc, original = self._render(record, kind, copy_number)
            failure = self.counter.print_proven(doc)
            if failure is not None:
                self.store.journal_event(
                    txn, REPRINT_FAILED, {"slip": kind, "copy": copy_number, "error": failure}
                )
                raise ReprintNotPrinted(
                    f"The copy did not print ({failure}): fix the printer, then reprint again."
                )
            counted = self.store.increment_copies(txn)
            return ReprintResult(txn, kind, counted, original, doc)

    def _render(
        self, record: TxnRecord, kind: SlipKind, copy_number: int
    ) -> tuple[SlipDocument, datetime]:
        if record.printed_at is None or record.state not in states.SALE_STANDING_STATES | {
            states.STORNOED
        }:
            raise NothingToReprint(
                f"Transaction {record.txn} is {record.state}: no valid slip of it was printed, "
                "so there is nothing to copy."
            )
        if kind == "sale":
            # A copy of a sale reversed since must not pass for a valid slip (issue 14).
            storno_done = dict(record.details.get("storno") or {})
            reversed_at = (
                datetime.fromisoformat(str(storno_done["printed_at"]))
                if _stornoed(record) and storno_done.get("printed_at")
                else None
            )
            doc = slips.render_sale(
                self.config,
                record,
                printed_at=record.printed_at,
                copy_number=copy_number,
                reversed_at=reversed_at,
            )
            return doc, record.printed_at
        storno = dict(record.details.get("storno") or {})
        if not _stornoed(record) or not storno.get("printed_at"):
            raise NothingToReprint(f"Transaction {record.txn} has no storno slip.")
        printed_at = datetime.fromisoformat(str(storno["printed_at"]))
        doc = slips.render_storno(
            self.config,
            record,
            printed_at=printed_at,
            reason=str(storno.get("reason", "")),
            amount_minor=int(storno.get("refund_minor", record.total_minor)),
            copy_number=copy_number,
        )
        return doc, printed_at


def _stornoed(record: TxnRecord) -> bool:
    return record.state == states.STORNOED


__all__ = [
    "REPRINT_FAILED",
    "InvalidSlipKind",
    "NothingToReprint",
    "ReprintNotPrinted",
    "ReprintResult",
    "ReprintService",
]
