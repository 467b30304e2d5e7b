"""The sale: record, provision, print through the barrier, confirm. Slip first, always.

Every step is one store transition, so whatever fails (host, printer, the process itself) the
store says exactly how far the sale got, and crash recovery (``terminal.recovery``) knows how
to finish it. A sale is ``confirmed``, and its confirm advice queued, only in the same store
transaction that records the printer's proof that the slip came out.
"""

from __future__ import annotations

import logging
import uuid
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field, replace
from typing import Any, Literal, Protocol

from drivers.errors import PrinterError
from foundation.clock import Clock
from foundation.money import Money
from offline_queue import states
from offline_queue.idempotency import IdempotencyClaim
from offline_queue.store import OutboxMessage, Store, TxnRecord
from printer_templates.document import SlipDocument
from terminal import slips
from terminal.advices import advice_payload, provision_request
from terminal.billers import BillerCatalog
from terminal.catalog import OfflinePolicy, ProductConfig
from terminal.config import KioskConfig
from terminal.counter import Counter
from terminal.devices import SwipeExpired, SwipeVault
from terminal.errors import InvalidAmount, KioskError
from terminal.host_client import (
    HostProtocolError,
    ImeiQuote,
    ProvisionRequest,
    ProvisionResult,
)
from terminal.tariffs import Quote, quote
from terminal.validation import (
    Target,
    check_id,
    validate_benefit_type,
    validate_cash,
    validate_message,
    validate_target,
)

log = logging.getLogger(__name__)

#: What ``kiosk sell --json`` reports as ``state``.
SaleState = Literal["confirmed", "offline_confirmed", "declined", "print_failed", "failed"]


class Provisioner(Protocol):
    """The part of the host client a sale needs."""

    def provision(self, request: ProvisionRequest) -> ProvisionResult: ...

    def imei_quote(self, imeis: Sequence[str], model: str | None = None) -> ImeiQuote: ...


@dataclass(frozen=True)
class SaleRequest:
    """What the clerk entered. Amounts in minor units of the product's currency."""

    product: str
    target: str
    #: None for an IMEI fee: the state sets it per phone model and the host quotes it
    amount_minor: int | None
    cash_minor: int
    target2: str | None = None
    benefit_type: str | None = None
    message: str | None = None
    biller_id: str | None = None
    clerk: str | None = None
    id_checked: bool = False


@dataclass(frozen=True)
class SaleResult:
    """How the sale ended, and what the clerk must do now."""

    txn: str
    state: SaleState
    reason: str | None
    total_minor: int
    change_minor: int
    currency: str
    instruction: str
    slip: SlipDocument | None = None
    record: TxnRecord | None = field(default=None, repr=False)

    @property
    def ok(self) -> bool:
        return self.state in ("confirmed", "offline_confirmed")

    def to_dict(self) -> dict[str, Any]:
        return {
            "txn": self.txn,
            "state": self.state,
            "reason": self.reason,
            "total_minor": self.total_minor,
            "change_minor": self.change_minor,
            "currency": self.currency,
            "instruction": self.instruction,
        }


#: What the clerk is told for each outcome, in plain words.
INSTRUCTIONS: dict[str, str] = {
    "confirmed": "Hand over the slip and take the money; give the change.",
    "offline_confirmed": (
        "Hand over the slip and take the money. The host is offline: the sale is sent "
        "automatically when it is back."
    ),
    "declined": "The host declined the sale: do not take money. Tell the customer the reason.",
    "print_failed": (
        "The slip did not print: the sale is cancelled. Do not take money, or give it all back."
    ),
    "failed": "The host is not answering: the sale is cancelled, do not take money. Try again.",
    # a benefit payment: the host debited the benefit balance, the counter takes no cash
    "confirmed_benefit": "Hand over the slip: the benefit balance paid. Take no cash.",
}


def _instruction(state: SaleState, record: TxnRecord) -> str:
    if state == "confirmed" and record.details.get("tender") == "benefit":
        return INSTRUCTIONS["confirmed_benefit"]
    return INSTRUCTIONS[state]


class SaleService:
    """Sells one product at a time through the store, the host and the printer.

    A sale has the counter (``terminal.counter``) from its printer check to the drawer: one
    printer and one cash drawer serve sales, stornos, copies and reports in turn.
    """

    def __init__(
        self,
        *,
        config: KioskConfig,
        store: Store,
        counter: Counter,
        host: Provisioner,
        clock: Clock,
        on_enqueued: Callable[[], None] | None = None,
        billers: BillerCatalog | None = None,
        swipes: SwipeVault | None = None,
    ) -> None:
        self.config = config
        #: the host's biller catalog: a bill payment names a biller it lists, or nothing starts
        self.billers = billers
        #: the card numbers read at this counter (``terminal.devices``), each usable once
        self.swipes = swipes
        self.store = store
        #: the printer, the drawer and the lock this counter's services share
        self.counter = counter
        self.host = host
        self.clock = clock
        self.on_enqueued = on_enqueued or (lambda: None)

    def move(
        self,
        txn: str,
        to_state: str,
        *,
        data: Mapping[str, Any] | None = None,
        updates: Mapping[str, Any] | None = None,
        outbox: Sequence[OutboxMessage] = (),
        durable: bool = True,
    ) -> TxnRecord:
        """A store transition; when it queued advices, the forwarder is woken to send them now.

        ``durable=False`` only for a step recovery does not need: it rides on the next
        durable commit (docs/internals.md: Commits per sale).
        """
        record = self.store.transition(
            txn, to_state, data=data, updates=updates, outbox=outbox, durable=durable
        )
        if outbox:
            self.on_enqueued()
        return record

    # -- quoting and validation ---------------------------------------------------------------

    def quote(self, product_id: str, amount_minor: int) -> Quote:
        return quote(self.config.product(product_id), amount_minor)

    def _validate(
        self, request: SaleRequest
    ) -> tuple[ProductConfig, Target, Quote, int, dict[str, Any]]:
        """The sale as checked, with its product: looked up here once and passed down."""
        product = self.config.product(request.product)
        target = validate_target(
            product, request.target, second=request.target2, region=self.config.terminal.region
        )
        amount_minor = request.amount_minor
        if amount_minor is None:
            amount_minor = self._host_quoted_amount(product.id, target)
        the_quote = quote(product, amount_minor)
        check_id(product, amount_minor, id_checked=request.id_checked)
        details: dict[str, Any] = {}
        if product.pays_from_benefit:
            # The benefit balance pays (the host debits it at confirm): no cash, no change.
            if request.cash_minor:
                raise CashNotTaken(
                    "A benefit payment is paid from the customer's benefit balance: take no "
                    "cash and leave the cash out (0)."
                )
            change = 0
            details["tender"] = "benefit"
        else:
            change = validate_cash(
                the_quote.total_minor,
                request.cash_minor,
                product.currency,
                locale=self.config.terminal.locale,
                styles=self.config.money,
            )
        if product.benefit_types or request.benefit_type is not None:
            details["benefit_type"] = validate_benefit_type(product, request.benefit_type or "")
        if request.message:
            details["message"] = validate_message(request.message, product.message_max_length)
        if product.target == "bill_account" and self.billers is not None:
            details["biller_id"] = self.billers.require(request.biller_id).id
        elif request.biller_id:
            details["biller_id"] = request.biller_id
        if request.id_checked:
            details["id_checked"] = True
        return product, target, the_quote, change, details

    def _host_quoted_amount(self, product_id: str, target: Target) -> int:
        """The amount the host sets (the IMEI fee by phone model); other products need one."""
        if target.kind != "imei":
            raise InvalidAmount("Type the amount the customer wants to pay.")
        imeis = [target.value] + ([target.second] if target.second else [])
        return self.host.imei_quote(imeis).fee_minor

    # -- the sale -----------------------------------------------------------------------------

    def sell(
        self,
        request: SaleRequest,
        *,
        idempotency: IdempotencyClaim | None = None,
        swipe_id: str | None = None,
    ) -> SaleResult:
        """Run one whole sale. Invalid input raises before anything is recorded.

        ``idempotency``: the API's key, recorded in the same transaction as the sale
        (``terminal.idempotency``); :class:`IdempotencyKeyTaken` if a twin request has it.
        ``swipe_id``: sell to the card swiped at this counter instead of ``request.target``.
        Its number is taken from the swipe vault only now, and given back if the sale is
        refused before anything was recorded (the clerk fixes the form, not the swipe).
        """
        if swipe_id is None:
            return self._sell(request, idempotency)
        if self.swipes is None:
            raise SwipeExpired("This terminal reads no cards: type the card number.")
        held = self.swipes.take(swipe_id)
        try:
            return self._sell(replace(request, target=held.pan), idempotency)
        except (KioskError, PrinterError):
            self.swipes.give_back(held)
            raise

    def _sell(self, request: SaleRequest, idempotency: IdempotencyClaim | None) -> SaleResult:
        product, target, the_quote, change, details = self._validate(request)
        # One printer connection for the whole sale (status, slip, drawer), not one each.
        with self.counter.serving():
            self.counter.require_printer_ready()
            self.require_advices_within_horizon()
            self.counter.print_owed_notices()
            record = self.store.record(
                product=request.product,
                currency=the_quote.currency,
                amount_minor=the_quote.amount_minor,
                fees=[(line.name, line.amount_minor) for line in the_quote.fees],
                total_minor=the_quote.total_minor,
                cash_minor=request.cash_minor,
                change_minor=change,
                target=_target_dict(target),
                details={
                    **details,
                    "attempt_started_mono": self.clock.monotonic(),
                    "provision_message_id": uuid.uuid4().hex,
                },
                clerk=request.clerk,
                idempotency=idempotency,
            )
            # The card number and a sold card's data live in this frame only: the store keeps
            # the last 4 and a keyed digest (offline_queue.carddata), never the number.
            secret = _Secrets(target=target.value, product_data={})
            record = self._provision(record, secret, product)
            if record.state in (states.DECLINED, states.FAILED):
                return self._result(record)
            if self._attempt_expired(record, product):
                record = self.void_unprinted(record, "the payment attempt took too long; try again")
                return self._result(record, state="failed")
            return self._print_and_confirm(record, secret, product)

    def oldest_undelivered_confirm_age_s(self) -> float | None:
        """Age of the oldest confirm/storno advice the host has not acknowledged, or None."""
        oldest = self.store.oldest_undelivered_at(HORIZON_ADVICE_KINDS)
        if oldest is None:
            return None
        return max(0.0, (self.clock.now() - oldest).total_seconds())

    def require_advices_within_horizon(self) -> None:
        """Refuse a new sale while an undelivered confirm nears the host's advice horizon.

        Past the horizon the host releases the provision although its slip printed; a new
        sale would only add one more customer at that risk (docs/host-protocol.md#advice-horizon).
        """
        age = self.oldest_undelivered_confirm_age_s()
        host = self.config.host
        if age is not None and age >= host.advice_refuse_after_s:
            raise AdviceHorizonNear(age, host.advice_horizon_s)

    def _provision(self, record: TxnRecord, secret: _Secrets, product: ProductConfig) -> TxnRecord:
        try:
            answer = self.host.provision(provision_request(record, target=secret.target))
        except HostProtocolError as exc:
            # The host refused the request itself (4xx): it authorised nothing.
            return self.move(
                record.txn,
                states.DECLINED,
                data={"reason_code": exc.host_code or "refused", "status": exc.status},
                updates={"reason": str(exc)},
            )
        if answer.status == "approved":
            secret.product_data.update(answer.product_data or {})
            # Not fsynced: a power cut before the next (printing) commit leaves the sale
            # recorded, which recovery reverses exactly as if the answer had never come.
            return self.move(
                record.txn,
                states.AUTHORIZED,
                data={"auth_code": answer.auth_code},
                updates={
                    "auth_code": answer.auth_code,
                    "details": {"product_data": dict(answer.product_data or {})},
                },
                durable=False,
            )
        if answer.status == "declined":
            return self.move(
                record.txn,
                states.DECLINED,
                data={"reason_code": answer.reason_code},
                updates={"reason": answer.reason},
            )
        if not answer.may_have_reached_host:
            return self._offline_or_refuse(record, answer.error or "host unreachable", product)
        reason = f"{answer.error or 'no clear answer from the host'}; the sale is reversed"
        return self.move(
            record.txn,
            states.FAILED,
            data={"error": answer.error},
            updates={"reason": reason},
            outbox=[OutboxMessage(states.REVERSAL, advice_payload(record, states.REVERSAL))],
        )

    def _offline_or_refuse(self, record: TxnRecord, why: str, product: ProductConfig) -> TxnRecord:
        """The host never got the request: accept offline if the product and the limits allow."""
        try:
            self._check_offline_limits(record, product.offline)
        except ProductNotOffline as refusal:
            return self.move(
                record.txn,
                states.DECLINED,
                data={"reason_code": refusal.code, "host_error": why},
                updates={"reason": str(refusal)},
            )
        log.info("host unreachable (%s): %s accepted offline", why, record.txn)
        return self.move(
            record.txn,
            states.OFFLINE_ACCEPTED,
            data={"host_error": why, "policy": product.offline.__dict__},
        )

    def _check_offline_limits(self, record: TxnRecord, policy: OfflinePolicy) -> None:
        currency = record.currency
        if not policy.allowed:
            raise ProductNotOffline(
                "The host is not answering and this product cannot be sold offline: "
                "do not take money, try again later.",
                code="offline_forbidden",
            )
        if policy.max_amount_minor is not None and record.amount_minor > policy.max_amount_minor:
            limit = self._show(policy.max_amount_minor, currency)
            raise ProductNotOffline(
                f"The host is not answering; offline only up to {limit} per sale: "
                "sell a smaller amount or try again later.",
                code="offline_amount_limit",
            )
        exposure = self.store.unforwarded_offline_exposure().get(currency)
        pending_total = exposure.amount_minor if exposure else 0
        if (
            policy.max_unforwarded_total_minor is not None
            and pending_total + record.amount_minor > policy.max_unforwarded_total_minor
        ):
            raise ProductNotOffline(
                "The host is not answering and offline sales not yet sent reach the limit "
                f"of {self._show(policy.max_unforwarded_total_minor, currency)}: "
                "do not take money, try again when the host is back.",
                code="offline_total_limit",
            )
        if exposure and policy.max_age_s is not None:
            age = (self.clock.now() - exposure.oldest_created_at).total_seconds()
            if age > policy.max_age_s:
                raise ProductNotOffline(
                    "The host has been unreachable too long: the oldest offline sale is "
                    f"{int(age // 3600)} h old. No more offline sales until it is sent.",
                    code="offline_age_limit",
                )

    def _show(self, minor: int, currency: str) -> str:
        return Money(minor, currency).format(self.config.terminal.locale, styles=self.config.money)

    def _attempt_expired(self, record: TxnRecord, product: ProductConfig) -> bool:
        started = float(record.details.get("attempt_started_mono", self.clock.monotonic()))
        return self.clock.monotonic() - started > product.attempt_timeout_s

    def void_unprinted(self, record: TxnRecord, reason: str) -> TxnRecord:
        """Cancel an authorised sale that never printed; the host is told unless offline."""
        outbox = (
            []
            if record.offline
            else [OutboxMessage(states.VOID, advice_payload(record, states.VOID))]
        )
        return self.move(
            record.txn,
            states.VOIDED,
            data={"reason": reason},
            updates={"reason": reason},
            outbox=outbox,
        )

    def _print_and_confirm(
        self, record: TxnRecord, secret: _Secrets, product: ProductConfig
    ) -> SaleResult:
        printed_at = self.clock.now()
        # The slip of a sold card is the card: it prints what the issuer returned in full,
        # which the store never kept.
        printable = replace(
            record, details={**record.details, "product_data": dict(secret.product_data)}
        )
        doc = slips.render_sale(self.config, printable, printed_at=printed_at, product=product)
        # What screens and the API show of the slip: the stored (masked) data, never the card.
        shown = (
            doc
            if printable.details == record.details
            else slips.render_sale(self.config, record, printed_at=printed_at, product=product)
        )
        record = self.move(record.txn, states.PRINTING, data={"printed_at": printed_at.isoformat()})
        failure = self.counter.print_proven(doc)
        if failure is not None:
            record = self.fail_print(record, failure, product=product)
            return self._result(record, state="print_failed", slip=shown)
        kind = states.OFFLINE_SALE if record.offline else states.CONFIRM
        advice = OutboxMessage(
            kind,
            advice_payload(record, kind, printed_at=printed_at, target=secret.target),
            after_delivery=advice_payload(record, kind, printed_at=printed_at),
        )
        record = self.move(
            record.txn,
            states.CONFIRMED,
            data={"proof": self.counter.proof},
            updates={"printed_at": printed_at},
            outbox=[advice],
        )
        if not product.pays_from_benefit:
            # the benefit paid: no cash, no drawer; the note rides on the next durable commit
            self.counter.open_drawer(record.txn, durable=False)
        return self._result(record, slip=shown)

    def fail_print(
        self,
        record: TxnRecord,
        failure: str,
        *,
        reason_code: str = "print_failed",
        product: ProductConfig | None = None,
    ) -> TxnRecord:
        """Slip not proven: void the sale, tell the host, and print a notice if the printer can.

        ``failure`` (English, for the journal) stays off the notice: the slip says
        ``reason_code`` in the printer's language (printer_templates' ``names.reasons``)."""
        record = self.move(
            record.txn, states.PRINT_FAILED, data={"error": failure}, updates={"reason": failure}
        )
        record = self.void_unprinted(record, f"slip not printed: {failure}")
        self.counter.print_failure_notice(record, failure, reason_code=reason_code, product=product)
        return record

    def _result(
        self, record: TxnRecord, *, state: SaleState | None = None, slip: SlipDocument | None = None
    ) -> SaleResult:
        if state is None:
            if record.state == states.CONFIRMED:
                state = "offline_confirmed" if record.offline else "confirmed"
            elif record.state == states.DECLINED:
                state = "declined"
            else:
                state = "failed"
        return SaleResult(
            txn=record.txn,
            state=state,
            reason=record.reason,
            total_minor=record.total_minor,
            change_minor=record.change_minor,
            currency=record.currency,
            instruction=_instruction(state, record),
            slip=slip,
            record=record,
        )


#: States of a sale still on its way: its answer is not known yet.
_UNDER_WAY = (states.RECORDED, states.AUTHORIZED, states.OFFLINE_ACCEPTED, states.PRINTING)


def settled_result(record: TxnRecord) -> SaleResult | None:
    """The answer a sale gave, read back from its record; None while it is under way.

    For a sale whose first answer was lost with the process (crash recovery settled it): a
    sale confirmed and later stornoed was ``confirmed`` when it was sold.
    """
    if record.state in _UNDER_WAY:
        return None
    state: SaleState
    if record.printed_at is not None and record.state not in (states.VOIDED, states.PRINT_FAILED):
        state = "offline_confirmed" if record.offline else "confirmed"
    elif record.state == states.DECLINED:
        state = "declined"
    elif record.state == states.PRINT_FAILED:
        state = "print_failed"
    else:
        state = "failed"
    return SaleResult(
        txn=record.txn,
        state=state,
        reason=record.reason,
        total_minor=record.total_minor,
        change_minor=record.change_minor,
        currency=record.currency,
        instruction=_instruction(state, record),
        record=record,
    )


class CashNotTaken(KioskError):
    """Cash typed for a sale the customer pays from a benefit balance."""

    code = "no_cash_for_benefit"


class ProductNotOffline(KioskError):
    """The host is unreachable and this sale may not be accepted offline."""

    code = "offline_refused"


#: Advices that report a printed slip: the host must get them within its advice horizon.
HORIZON_ADVICE_KINDS = (states.CONFIRM, states.STORNO)


class AdviceHorizonNear(KioskError):
    """A printed sale's confirm has waited so long that the host may soon release it."""

    code = "advice_horizon_near"

    def __init__(self, age_s: float, horizon_s: float) -> None:
        super().__init__(
            f"No new sales: a printed sale has waited {int(age_s // 3600)} h for the host "
            f"(the host honours it for {int(horizon_s // 3600)} h). Restore the connection to "
            "the host or call support; sales resume once it is delivered. Nothing was charged."
        )
        self.age_s = age_s
        self.horizon_s = horizon_s


def _target_dict(target: Target) -> dict[str, Any]:
    data: dict[str, Any] = {
        "kind": target.kind,
        "value": target.value,
        "display": target.display,
        "masked": target.masked,
    }
    if target.last4:
        data["last4"] = target.last4
    if target.second:
        data["second"] = target.second
    return data


@dataclass
class _Secrets:
    """What a sale needs in full but the store must not keep: the card number it tops up and
    the issuer's answer for a sold card (number, security code), until the slip printed."""

    target: str = field(repr=False)
    product_data: dict[str, Any] = field(repr=False)


__all__ = [
    "HORIZON_ADVICE_KINDS",
    "INSTRUCTIONS",
    "AdviceHorizonNear",
    "CashNotTaken",
    "Provisioner",
    "SaleRequest",
    "SaleResult",
    "SaleService",
    "settled_result",
]
