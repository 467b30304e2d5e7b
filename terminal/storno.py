"""Storno: reverse a confirmed sale at the counter that sold it, inside the product's window.

A storno is itself slip-first. It is done only once its storno slip printed through the same
print barrier as a sale; only then does the transaction become ``stornoed``, the ``storno``
advice enter the outbox and the drawer open for the money going back.

How the terminal learns of a refusal before printing (see docs/storno.md):

- **Host reachable**: a synchronous storno request (``POST /v1/storno``) with its own message
  id. The host checks window, terminal, state and the issuer (a card whose credit is spent).
  A refusal goes back to the clerk in the host's plain words; the sale stays ``confirmed``.
  An approval only puts the sale in ``storno_pending`` at the host: **nothing is undone there
  until the storno advice arrives**, and the advice is queued only once the storno slip printed.
  A storno slip that does not print therefore leaves nothing at the host: the pending storno
  lapses back to ``confirmed`` (the host's ``complete_by``), and a retry within that time
  reuses the approved request's message id, so the host answers "approved" again instead of
  "a storno is already under way".
- **Host unreachable** (or no clear answer): the terminal's own checks decide (same terminal,
  window measured from the sale slip's ``printed_at``, state). The advice carries
  ``stornoed_at``; the host checks it as if the request had come then, and a refusal becomes a
  dead letter the clerk and the back office see.
- An **offline sale** the host has not received yet cannot be checked by the host: the local
  checks decide, and the ``storno`` advice follows the ``offline_sale`` advice.

Ordering: the store never lets a later message of a transaction overtake an earlier one that is
undelivered, so the ``storno`` advice always reaches the host after the sale's ``confirm`` or
``offline_sale``.
"""

from __future__ import annotations

import logging
import re
import uuid
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, Literal, Protocol
from zoneinfo import ZoneInfo

from foundation.money import Money
from offline_queue import states
from offline_queue.store import OutboxMessage, TxnRecord
from printer_templates.document import SlipDocument
from terminal import slips
from terminal.errors import InvalidInput, KioskError
from terminal.host_client import HostProtocolError
from terminal.host_client import StornoResult as HostStornoAnswer
from terminal.sale import SaleService

log = logging.getLogger(__name__)

#: Why the clerk reverses a sale; the slip templates translate these codes.
REASONS: tuple[str, ...] = ("wrong_number", "wrong_amount", "customer_request")

#: Journal event of the "storno not completed" notice printed after a storno slip failed.
NOT_COMPLETED_NOTICE = "storno_not_completed_notice"

_TXN = re.compile(r"\A[0-9]{14}\Z")

StornoState = Literal["stornoed", "print_failed"]

#: What the clerk must do after each outcome, in plain words.
INSTRUCTIONS: dict[str, str] = {
    "stornoed": "The storno is done: give the customer the storno slip and pay back {refund}.",
    # A benefit payment went back to the benefit balance: no cash changes hands.
    "stornoed_benefit": (
        "The storno is done: give the customer the storno slip. {refund} goes back to the "
        "benefit balance; pay no cash."
    ),
    "print_failed": (
        "The storno slip did not print, so the storno is NOT done and the sale stands: do not "
        "pay anything back. Fix the printer (paper, cover), then do the storno again."
    ),
}


class StornoHost(Protocol):
    """The part of the host client a storno needs."""

    def storno(
        self,
        *,
        message_id: str,
        txn: str,
        printed_at: datetime | str | None = None,
        reason: str | None = None,
    ) -> HostStornoAnswer: ...


class InvalidTransactionNumber(InvalidInput):
    """What was typed or scanned is not one of our 14-digit transaction numbers."""

    code = "invalid_transaction_number"


class InvalidStornoReason(InvalidInput):
    code = "invalid_storno_reason"


class ClerkRequired(InvalidInput):
    """Every storno records who did it: money leaves the drawer."""

    code = "clerk_required"


class StornoRefused(KioskError):
    """The storno may not be done; the sale stands. ``code`` says why (host decline codes)."""

    code = "storno_refused"


def parse_txn(text: str) -> str:
    """A transaction number as typed (``12345000000001``) or scanned from a slip's QR code
    (``TXN:12345000000001``); spaces are ignored because clerks group digits."""
    value = "".join(str(text).split())
    if value[:4].upper() == "TXN:":
        value = value[4:]
    if not _TXN.fullmatch(value):
        raise InvalidTransactionNumber(
            f"{text!r} is not a transaction number: type the 14 digits under the slip's QR code "
            "(or scan the code)."
        )
    return value


@dataclass(frozen=True)
class StornoOutcome:
    """How a storno attempt ended that was not refused outright."""

    txn: str
    state: StornoState
    reason: str
    clerk: str
    refund_minor: int
    currency: str
    #: "approved": the host approved the request; "unchecked": the local checks decided
    host_check: str
    instruction: str
    storno_printed_at: datetime | None
    error: str | None = None
    slip: SlipDocument | None = field(default=None, repr=False)
    record: TxnRecord | None = field(default=None, repr=False)

    @property
    def ok(self) -> bool:
        return self.state == "stornoed"

    def to_dict(self) -> dict[str, Any]:
        return {
            "txn": self.txn,
            "state": self.state,
            "reason": self.reason,
            "clerk": self.clerk,
            "refund_minor": self.refund_minor,
            "currency": self.currency,
            "host_check": self.host_check,
            "instruction": self.instruction,
            "storno_printed_at": (
                self.storno_printed_at.isoformat() if self.storno_printed_at else None
            ),
            "error": self.error,
        }


class StornoService:
    """Reverses sales of this terminal through the store, the host and the printer.

    Has the counter (``terminal.counter``) for the whole storno: one printer and one drawer
    serve sales, stornos and reprints in turn. Moves through the sale service, so a storno
    advice wakes the forwarder like a sale's.
    """

    def __init__(self, sales: SaleService, host: StornoHost) -> None:
        self.sales = sales
        self.counter = sales.counter
        self.host = host
        self.store = sales.store
        self.config = sales.config
        self.clock = sales.clock

    # -- checks -------------------------------------------------------------------------------

    def _check_terminal(self, txn: str) -> None:
        here = self.config.terminal.id
        if txn[:5] != here:
            raise StornoRefused(
                f"Transaction {txn} was sold at terminal {txn[:5]}, not here ({here}): a storno "
                "is only possible at the counter where the sale was made.",
                code="wrong_terminal",
            )

    def _check_local(self, record: TxnRecord, now: datetime) -> None:
        """What the terminal knows for itself: state and window (the host checks again)."""
        txn = record.txn
        if record.state == states.STORNOED:
            raise StornoRefused(
                f"Transaction {txn} was already reversed (storno); it cannot be reversed twice.",
                code="already_stornoed",
            )
        if record.state != states.CONFIRMED or record.printed_at is None:
            raise StornoRefused(
                f"Transaction {txn} is {record.state}: only a sale whose slip printed can be "
                "reversed. Look it up to see what happened to it.",
                code="not_confirmed",
            )
        window = self.config.product(record.product).reversal_window
        if window.kind == "none":
            name = self.config.product(record.product).display_name("en")
            raise StornoRefused(
                f"{name} payments cannot be reversed once made.", code="storno_not_allowed"
            )
        if not window.is_open(record.printed_at, now, self.config.terminal.timezone):
            zone = ZoneInfo(self.config.terminal.timezone)
            printed = record.printed_at.astimezone(zone).strftime("%d.%m.%Y %H:%M:%S")
            if window.kind == "same_day":
                why = "it can only be cancelled on the day it was made"
            else:
                why = f"the storno window of {window.describe()} after the slip printed has closed"
            raise StornoRefused(
                f"Transaction {txn} (slip printed {printed}): {why}. The sale stands.",
                code="storno_window_closed",
            )

    # -- the storno ---------------------------------------------------------------------------

    def storno(self, txn_text: str, *, reason: str, clerk: str | None) -> StornoOutcome:
        """Reverse one sale; refusals raise :class:`StornoRefused` and change nothing."""
        txn = parse_txn(txn_text)
        if reason not in REASONS:
            raise InvalidStornoReason(
                f"Choose the reason for the storno: {', '.join(REASONS)} (not {reason!r})."
            )
        clerk = (clerk or "").strip()
        if not clerk:
            raise ClerkRequired("Give the clerk number: every storno records who made it.")
        self._check_terminal(txn)
        with self.counter.lock:
            record = self.store.get(txn)
            self._check_local(record, self.clock.now())
            self.counter.require_printer_ready()
            self.counter.print_owed_notices()
            attempt = self._new_attempt(record, reason, clerk)
            record = self.store.transition(
                txn,
                states.STORNO_REQUESTED,
                data={"reason": reason, "clerk": clerk, "request": attempt["request_message_id"]},
                updates={"details": {"storno": attempt}},
            )
            attempt = self._ask_host(record, attempt)
            return self._print_and_complete(record, attempt)

    def _new_attempt(self, record: TxnRecord, reason: str, clerk: str) -> dict[str, Any]:
        """This attempt's facts; reuses the request id of an approved attempt whose slip failed
        while the host still holds that storno pending, so the host does not refuse it as
        "already under way"."""
        now = self.clock.now()
        previous = dict(record.details.get("storno") or {})
        message_id = uuid.uuid4().hex
        complete_by = previous.get("complete_by")
        if (
            previous.get("host_check") == "approved"
            and previous.get("outcome") == "print_failed"
            and isinstance(complete_by, str)
            and datetime.fromisoformat(complete_by) > now
        ):
            message_id = str(previous["request_message_id"])
        return {
            "reason": reason,
            "clerk": clerk,
            "requested_at": now.isoformat(),
            "request_message_id": message_id,
            "refund_minor": record.total_minor,
        }

    def _sale_advice_delivered(self, record: TxnRecord) -> bool:
        kinds = (states.CONFIRM, states.OFFLINE_SALE)
        advices = [m for m in self.store.outbox_for(record.txn) if m.kind in kinds]
        # A confirmed sale's advice is written with the confirmation: none left means it was
        # delivered and pruned after the retention (Store.prune_delivered).
        return not advices or any(m.state == "delivered" for m in advices)

    def _ask_host(self, record: TxnRecord, attempt: dict[str, Any]) -> dict[str, Any]:
        """The host's verdict, or the local one when it cannot give one; a refusal raises."""
        if record.offline and not self._sale_advice_delivered(record):
            return {**attempt, "host_check": "unchecked", "host_note": "offline sale not sent"}
        try:
            answer = self.host.storno(
                message_id=attempt["request_message_id"],
                txn=record.txn,
                printed_at=record.printed_at,
                reason=attempt["reason"],
            )
        except HostProtocolError as exc:
            self._back_to_confirmed(record, attempt, code=exc.host_code or "host_refused")
            raise StornoRefused(str(exc), code=exc.host_code or "host_refused") from None
        if answer.status == "approved":
            return {
                **attempt,
                "host_check": "approved",
                "storno_auth_code": answer.storno_auth_code,
                "complete_by": answer.complete_by,
            }
        if answer.status == "declined":
            code = answer.reason_code or "declined"
            self._back_to_confirmed(record, attempt, code=code)
            raise StornoRefused(
                f"The host refused the storno: {(answer.reason or code).rstrip('.')}. The sale "
                "stands; do not pay anything back.",
                code=code,
            )
        log.info("storno of %s decided locally: %s", record.txn, answer.error)
        return {**attempt, "host_check": "unchecked", "host_note": answer.error or "no answer"}

    def _back_to_confirmed(self, record: TxnRecord, attempt: dict[str, Any], *, code: str) -> None:
        self.store.transition(
            record.txn,
            states.CONFIRMED,
            data={"storno": "refused", "code": code},
            updates={"details": {"storno": {**attempt, "outcome": "refused", "code": code}}},
        )

    def _print_and_complete(self, record: TxnRecord, attempt: dict[str, Any]) -> StornoOutcome:
        printed_at = self.clock.now()
        reason = str(attempt["reason"])
        refund = int(attempt["refund_minor"])
        doc = slips.render_storno(
            self.config, record, printed_at=printed_at, reason=reason, amount_minor=refund
        )
        record = self.store.transition(
            record.txn,
            states.STORNO_PRINTING,
            data={"printed_at": printed_at.isoformat(), "host_check": attempt["host_check"]},
            updates={"details": {"storno": attempt}},
        )
        failure = self.counter.print_proven(doc)
        if failure is not None:
            attempt = {**attempt, "outcome": "print_failed", "error": failure}
            record = self.store.transition(
                record.txn,
                states.CONFIRMED,
                data={"storno": "slip not proven", "error": failure},
                updates={"details": {"storno": attempt}},
            )
            self.print_not_completed(record, reason, refund)
            return self._outcome(record, attempt, "print_failed", None, error=failure, slip=doc)
        attempt = {**attempt, "outcome": "done", "printed_at": printed_at.isoformat()}
        record = self.sales.move(
            record.txn,
            states.STORNOED,
            data={"clerk": attempt["clerk"], "reason": reason, "proof": "barrier"},
            updates={"details": {"storno": attempt}},
            outbox=[OutboxMessage(states.STORNO, storno_advice(record, attempt))],
        )
        if not self.config.product(record.product).pays_from_benefit:
            # a benefit is credited back: no cash, no drawer; the note rides on the next commit
            self.counter.open_drawer(record.txn, durable=False)
        return self._outcome(record, attempt, "stornoed", printed_at, slip=doc)

    def _instruction_key(self, record: TxnRecord, state: StornoState) -> str:
        benefit = record.product in self.config.products and (
            self.config.product(record.product).pays_from_benefit
        )
        return "stornoed_benefit" if state == "stornoed" and benefit else state

    def print_not_completed(self, record: TxnRecord, reason: str, refund: int) -> None:
        """Best effort: whoever holds half a storno slip must see the sale still stands."""
        notice = slips.render_storno(
            self.config,
            record,
            printed_at=self.clock.now(),
            reason=reason,
            amount_minor=refund,
            template="storno_not_completed",
        )
        error = self.counter.print_notice(notice)
        data: dict[str, Any] = (
            {"printed": True} if error is None else {"printed": False, "error": error}
        )
        self.store.journal_event(record.txn, NOT_COMPLETED_NOTICE, data)

    def _outcome(
        self,
        record: TxnRecord,
        attempt: dict[str, Any],
        state: StornoState,
        printed_at: datetime | None,
        *,
        error: str | None = None,
        slip: SlipDocument | None = None,
    ) -> StornoOutcome:
        refund = int(attempt["refund_minor"])
        shown = Money(refund, record.currency).format(
            self.config.terminal.locale, styles=self.config.money
        )
        return StornoOutcome(
            txn=record.txn,
            state=state,
            reason=str(attempt["reason"]),
            clerk=str(attempt["clerk"]),
            refund_minor=refund,
            currency=record.currency,
            host_check=str(attempt["host_check"]),
            instruction=INSTRUCTIONS[self._instruction_key(record, state)].format(refund=shown),
            storno_printed_at=printed_at,
            error=error,
            slip=slip,
            record=record,
        )


def storno_advice(record: TxnRecord, attempt: dict[str, Any]) -> dict[str, Any]:
    """The ``storno`` advice body: what the host needs to undo the sale and to check a storno
    it never saw a request for (``stornoed_at``: when the storno slip printed)."""
    payload: dict[str, Any] = {
        "txn": record.txn,
        "product": record.product,
        "currency": record.currency,
        "amount_minor": record.amount_minor,
        "total_minor": record.total_minor,
        "refund_minor": int(attempt["refund_minor"]),
        "reason": attempt["reason"],
        "clerk": attempt["clerk"],
        "requested_at": attempt["requested_at"],
        "stornoed_at": attempt["printed_at"],
        "host_check": attempt["host_check"],
        "request_message_id": attempt["request_message_id"],
    }
    if record.printed_at is not None:
        payload["printed_at"] = record.printed_at.isoformat()
    return payload


__all__ = [
    "INSTRUCTIONS",
    "REASONS",
    "ClerkRequired",
    "InvalidStornoReason",
    "InvalidTransactionNumber",
    "StornoHost",
    "StornoOutcome",
    "StornoRefused",
    "StornoService",
    "parse_txn",
    "storno_advice",
]
