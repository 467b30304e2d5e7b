"""The host's transaction lifecycle: provision, advices, storno, auto-reversal, idempotency.

This is where the promises of the protocol are kept, independently of HTTP:

- one effect per business key (``txn`` + kind), whatever message ids arrive;
- a repeat of a message id gets the first answer, byte for byte (stored as sent);
- a void or reversal of a transaction never seen is a success (a tombstone is kept so that a
  provision arriving late, after its own reversal, is refused instead of charged);
- a provision is released on the terminal's void or reversal, and by the host itself only when no
  confirm came within ``advice_horizon_s`` (at least 24 h, docs/host-protocol.md#advice-horizon);
  a confirm arriving after that is *rejected* with ``already_reversed`` for the back office.

Host states: ``provisioned -> confirmed | voided | reversed``; ``confirmed -> storno_pending ->
stornoed | confirmed`` (a storno whose advice never came lapses back); ``declined`` is final.
"""

from __future__ import annotations

import json
import sqlite3
from collections.abc import Callable, Mapping
from datetime import datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from foundation.host_wire import (
    ADVICE_KINDS,
    KIND_PROVISION,
    KIND_STORNO_REQUEST,
    MAX_ADVICES_PER_BATCH,
    PRODUCTS,
    TXN_PATTERN,
    ErrorCode,
    dumps,
)
from foundation.host_wire import DeclineCode as D
from hostsim.benefits import BenefitPayment
from hostsim.billers import BillPayment
from hostsim.cards import CardSale, CardTopup
from hostsim.errors import Decline, HttpError
from hostsim.fields import (
    auth_code,
    bad_request,
    digest,
    message_id_of,
    parse_provision,
    parse_time,
    txn_of,
)
from hostsim.imei import ImeiFee
from hostsim.products import Ctx, Product, ProvisionInput, product_data_of
from hostsim.subscribers import MobileTopup
from hostsim.views import transaction_view

HANDLERS: dict[str, Product] = {
    h.product: h
    for h in (CardTopup(), CardSale(), MobileTopup(), ImeiFee(), BillPayment(), BenefitPayment())
}
assert set(HANDLERS) == set(PRODUCTS), "every protocol product needs a simulated issuer"


class Ledger:
    """All transaction logic of the host; every public method is one atomic store transaction."""

    # -- idempotency ---------------------------------------------------------------------

    def _once(
        self,
        ctx: Ctx,
        *,
        message_id: str,
        txn: str,
        kind: str,
        fingerprint: str,
        compute: Callable[[], dict[str, Any]],
        by_business_key: bool = True,
    ) -> bytes:
        """The stored answer for a repeat, else compute, store and return the first answer."""
        store = ctx.store
        stored = store.stored_message(ctx.terminal_id, message_id)
        if stored is not None:
            if stored["request_sha256"] != fingerprint or stored["txn"] != txn:
                raise HttpError(
                    409,
                    ErrorCode.MESSAGE_ID_CONFLICT,
                    f"message_id {message_id} was already used for a different request; a "
                    "message id belongs to one message forever",
                )
            return bytes(stored["response"])
        if by_business_key:
            original = store.stored_business_key(txn, kind)
            if original is not None:
                if original["terminal_id"] != ctx.terminal_id:
                    raise HttpError(
                        409,
                        ErrorCode.BUSINESS_KEY_CONFLICT,
                        f"transaction {txn} belongs to another terminal",
                    )
                if original["request_sha256"] != fingerprint:
                    raise HttpError(
                        409,
                        ErrorCode.BUSINESS_KEY_CONFLICT,
                        f"transaction {txn} ({kind}) was already sent with different content "
                        f"under message {original['message_id']}",
                    )
                answer = json.loads(bytes(original["response"]))
                answer["duplicate"] = True
                answer["original_message_id"] = original["message_id"]
                answer["message_id"] = message_id
                if answer.get("result") in ("accepted", "duplicate"):
                    # An advice whose business key was already applied: success, no effect.
                    # A rejected original stays rejected, so the back office still sees it.
                    answer["original_result"] = answer["result"]
                    answer["result"] = "duplicate"
                return dumps(answer)
        body = dumps(compute())
        store.store_message(ctx.terminal_id, message_id, txn, kind, fingerprint, body, ctx.now_iso)
        return body

    # -- provision -----------------------------------------------------------------------

    def provision(self, ctx: Ctx, body: Mapping[str, Any]) -> bytes:
        message_id, req = parse_provision(body)
        fingerprint = digest(
            {
                "product": req.product,
                "amount_minor": req.amount_minor,
                "fees_minor": req.fees_minor,
                "total_minor": req.total_minor,
                "currency": req.currency,
                "target": req.target,
                "fields": req.fields,
            }
        )
        with ctx.store.transaction():
            return self._once(
                ctx,
                message_id=message_id,
                txn=req.txn,
                kind=KIND_PROVISION,
                fingerprint=fingerprint,
                compute=lambda: self._provision(ctx, message_id, req),
            )

    def _provision(self, ctx: Ctx, message_id: str, req: ProvisionInput) -> dict[str, Any]:
        base: dict[str, Any] = {
            "message_id": message_id,
            "txn": req.txn,
            "product": req.product,
            "host_time": ctx.now_iso,
        }
        existing = ctx.store.txn(req.txn)
        handler = HANDLERS[req.product]
        try:
            if existing is not None:
                if existing["terminal_id"] != ctx.terminal_id:
                    raise HttpError(
                        409,
                        ErrorCode.BUSINESS_KEY_CONFLICT,
                        f"transaction {req.txn} belongs to another terminal",
                    )
                state = str(existing["state"])
                raise Decline(
                    D.ALREADY_REVERSED if state == "reversed" else D.ALREADY_VOIDED,
                    f"Transaction {req.txn} was already {state} before this authorisation "
                    "arrived; start a new sale.",
                )
            if req.currency != handler.currency:
                raise Decline(
                    D.CURRENCY_NOT_SUPPORTED,
                    f"{req.product} is sold in {handler.currency}, not {req.currency}; check the "
                    "product's currency in kiosk.toml.",
                )
            product_data = handler.authorize(ctx, req)
        except Decline as decline:
            if existing is None:
                self._insert_txn(ctx, req, state="declined", reason_code=decline.code)
            ctx.store.add_event(req.txn, ctx.now_iso, "declined", decline.code)
            return {
                **base,
                "status": "declined",
                "reason_code": decline.code,
                "reason": decline.reason,
            }
        approval = auth_code()
        confirm_by = ctx.now + timedelta(seconds=ctx.settings.advice_horizon_s)
        self._insert_txn(
            ctx,
            req,
            state="provisioned",
            auth_code=approval,
            product_data=product_data,
            confirm_by=confirm_by.isoformat(),
        )
        ctx.store.add_event(req.txn, ctx.now_iso, "provisioned", approval)
        return {
            **base,
            "status": "approved",
            "auth_code": approval,
            "amount_minor": req.amount_minor,
            "fees_minor": req.fees_minor,
            "total_minor": req.total_minor,
            "currency": req.currency,
            "product_data": product_data,
            "confirm_by": confirm_by.isoformat(),
        }

    def _insert_txn(
        self,
        ctx: Ctx,
        req: ProvisionInput,
        *,
        state: str,
        auth_code: str | None = None,
        product_data: Mapping[str, Any] | None = None,
        reason_code: str | None = None,
        confirm_by: str | None = None,
        offline: bool = False,
    ) -> None:
        ctx.store.execute(
            "INSERT INTO transactions (txn, terminal_id, product, state, amount_minor, fees_minor,"
            " total_minor, currency, target, fields_json, auth_code, product_data_json,"
            " reason_code, offline, provisioned_at, confirm_by, updated_at)"
            " VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
            (
                req.txn,
                ctx.terminal_id,
                req.product,
                state,
                req.amount_minor,
                req.fees_minor,
                req.total_minor,
                req.currency,
                req.target,
                json.dumps(req.fields, sort_keys=True),
                auth_code,
                json.dumps(dict(product_data or {}), sort_keys=True),
                reason_code,
                1 if offline else 0,
                ctx.now_iso,
                confirm_by,
                ctx.now_iso,
            ),
        )

    # -- advices -------------------------------------------------------------------------

    def advices(self, ctx: Ctx, body: Mapping[str, Any]) -> list[bytes]:
        """One result (canonical JSON bytes) per advice, in the order given."""
        advices = body.get("advices")
        if not isinstance(advices, list) or not advices:
            raise bad_request("advices must be a non-empty list")
        if len(advices) > MAX_ADVICES_PER_BATCH:
            raise bad_request(
                f"at most {MAX_ADVICES_PER_BATCH} advices per request, got {len(advices)}"
            )
        for item in advices:
            if not isinstance(item, dict):
                raise bad_request("every advice must be an object")
            message_id_of(item)
        with ctx.store.transaction():
            return [self._advice(ctx, item) for item in advices]

    def advice(self, ctx: Ctx, body: Mapping[str, Any]) -> bytes:
        message_id_of(body)
        with ctx.store.transaction():
            return self._advice(ctx, body)

    def _advice(self, ctx: Ctx, item: Mapping[str, Any]) -> bytes:
        message_id = message_id_of(item)
        txn = item.get("txn")
        kind = item.get("kind")
        payload = item.get("payload", {})
        head = {"message_id": message_id, "txn": txn, "kind": kind}
        if not isinstance(txn, str) or not TXN_PATTERN.fullmatch(txn):
            return dumps(self._rejected(head, D.INVALID_ADVICE, "txn must be 14 digits", None))
        if kind not in ADVICE_KINDS:
            return dumps(
                self._rejected(
                    head, D.INVALID_ADVICE, f"kind must be one of {', '.join(ADVICE_KINDS)}", None
                )
            )
        if not isinstance(payload, dict):
            return dumps(self._rejected(head, D.INVALID_ADVICE, "payload must be an object", None))
        row = ctx.store.txn(txn)
        if row is not None and row["terminal_id"] not in (None, ctx.terminal_id):
            return dumps(
                self._rejected(
                    head,
                    D.WRONG_TERMINAL,
                    f"transaction {txn} belongs to another terminal",
                    None,
                )
            )
        try:
            return self._once(
                ctx,
                message_id=message_id,
                txn=txn,
                kind=str(kind),
                fingerprint=digest({"txn": txn, "kind": kind}),
                compute=lambda: self._apply_advice(ctx, head, str(kind), txn, payload),
            )
        except HttpError as exc:
            return dumps(self._rejected(head, exc.code, exc.message, None))

    @staticmethod
    def _result(head: Mapping[str, Any], result: str, state: str | None) -> dict[str, Any]:
        return {**head, "result": result, "state": state}

    @staticmethod
    def _rejected(
        head: Mapping[str, Any], code: str, reason: str, state: str | None
    ) -> dict[str, Any]:
        return {**head, "result": "rejected", "state": state, "code": code, "reason": reason}

    def _apply_advice(
        self, ctx: Ctx, head: dict[str, Any], kind: str, txn: str, payload: dict[str, Any]
    ) -> dict[str, Any]:
        row = ctx.store.txn(txn)
        if kind == "confirm":
            return self._confirm(ctx, head, row, payload)
        if kind in ("void", "reversal"):
            return self._cancel(ctx, head, kind, txn, row)
        if kind == "offline_sale":
            return self._offline_sale(ctx, head, txn, row, payload)
        return self._storno_advice(ctx, head, row, payload)

    def _confirm(
        self, ctx: Ctx, head: dict[str, Any], row: sqlite3.Row | None, payload: Mapping[str, Any]
    ) -> dict[str, Any]:
        if row is None or row["product"] is None:
            state = None if row is None else str(row["state"])
            if row is None:
                code = D.UNKNOWN_TRANSACTION
            else:
                code = D.ALREADY_VOIDED if state == "voided" else D.ALREADY_REVERSED
            return self._rejected(
                head,
                code,
                f"the host never authorised transaction {head['txn']}; it cannot be confirmed"
                if row is None
                else f"transaction {head['txn']} was {state} before any authorisation",
                state,
            )
        state = str(row["state"])
        if state == "provisioned":
            self._do_confirm(ctx, row, parse_time(payload.get("printed_at")), via="confirm")
            return self._result(head, "accepted", "confirmed")
        if state in ("confirmed", "storno_pending", "stornoed"):
            return self._result(head, "duplicate", state)
        if state == "reversed":
            return self._rejected(
                head,
                D.ALREADY_REVERSED,
                f"transaction {head['txn']} was reversed by the host at {row['closed_at']} "
                "because no confirm arrived in time; the customer's money must be settled by "
                "the back office",
                state,
            )
        if state == "voided":
            return self._rejected(
                head, D.ALREADY_VOIDED, f"transaction {head['txn']} was voided", state
            )
        return self._rejected(
            head, D.NOT_APPROVED, f"transaction {head['txn']} was declined, not approved", state
        )

    def _do_confirm(
        self, ctx: Ctx, row: sqlite3.Row, printed_at: datetime | None, *, via: str
    ) -> None:
        handler = HANDLERS[str(row["product"])]
        extra = handler.apply(ctx, row)
        provisioned_at = parse_time(row["provisioned_at"]) or ctx.now
        start = printed_at or ctx.now
        start = min(max(start, provisioned_at), ctx.now)
        data = product_data_of(row)
        data.update(extra)
        ctx.store.update_txn(
            str(row["txn"]),
            ctx.now_iso,
            state="confirmed",
            confirmed_at=ctx.now_iso,
            printed_at=printed_at.isoformat() if printed_at else None,
            window_start=start.isoformat(),
            product_data_json=json.dumps(data, sort_keys=True),
        )
        ctx.store.add_event(str(row["txn"]), ctx.now_iso, "confirmed", via)

    def _cancel(
        self, ctx: Ctx, head: dict[str, Any], kind: str, txn: str, row: sqlite3.Row | None
    ) -> dict[str, Any]:
        final = "voided" if kind == "void" else "reversed"
        if row is None:
            ctx.store.execute(
                "INSERT INTO transactions (txn, terminal_id, state, closed_at, updated_at)"
                " VALUES (?, ?, ?, ?, ?)",
                (txn, ctx.terminal_id, final, ctx.now_iso, ctx.now_iso),
            )
            ctx.store.add_event(txn, ctx.now_iso, final, "never provisioned (tombstone)")
            return self._result(head, "accepted", final)
        state = str(row["state"])
        if state == "provisioned":
            HANDLERS[str(row["product"])].release(ctx, row)
            ctx.store.update_txn(txn, ctx.now_iso, state=final, closed_at=ctx.now_iso)
            ctx.store.add_event(txn, ctx.now_iso, final, f"{kind} advice")
            return self._result(head, "accepted", final)
        if state in ("voided", "reversed", "declined"):
            return self._result(head, "accepted", state)
        return self._rejected(
            head,
            D.ALREADY_CONFIRMED,
            f"transaction {txn} is {state}: its slip was confirmed, so it cannot be {final}; use "
            "a storno within the window",
            state,
        )

    def _offline_sale(
        self,
        ctx: Ctx,
        head: dict[str, Any],
        txn: str,
        row: sqlite3.Row | None,
        payload: Mapping[str, Any],
    ) -> dict[str, Any]:
        if row is not None:
            if row["offline"] and row["state"] in ("confirmed", "storno_pending", "stornoed"):
                return self._result(head, "duplicate", str(row["state"]))
            return self._rejected(
                head,
                D.INVALID_ADVICE,
                f"transaction {txn} already exists at the host as {row['state']}; an offline "
                "sale needs a transaction number the host has never seen",
                str(row["state"]),
            )
        try:
            _, req = parse_provision({**payload, "message_id": head["message_id"], "txn": txn})
        except HttpError as exc:
            return self._rejected(head, D.INVALID_ADVICE, exc.message, None)
        handler = HANDLERS[req.product]
        try:
            if not handler.offline_allowed:
                raise Decline(
                    D.OFFLINE_NOT_ALLOWED,
                    f"{req.product} cannot be sold offline: its slip needs the issuer's data",
                )
            if req.currency != handler.currency:
                raise Decline(
                    D.CURRENCY_NOT_SUPPORTED,
                    f"{req.product} is sold in {handler.currency}, not {req.currency}",
                )
            product_data = handler.authorize(ctx, req)
        except Decline as decline:
            self._insert_txn(ctx, req, state="declined", reason_code=decline.code, offline=True)
            ctx.store.add_event(txn, ctx.now_iso, "declined", f"offline sale: {decline.code}")
            return self._rejected(head, decline.code, decline.reason, "declined")
        self._insert_txn(
            ctx,
            req,
            state="provisioned",
            auth_code="OFFLINE",
            product_data=product_data,
            offline=True,
        )
        new_row = ctx.store.txn(txn)
        assert new_row is not None
        self._do_confirm(ctx, new_row, parse_time(payload.get("printed_at")), via="offline_sale")
        return self._result(head, "accepted", "confirmed")

    def _storno_advice(
        self, ctx: Ctx, head: dict[str, Any], row: sqlite3.Row | None, payload: Mapping[str, Any]
    ) -> dict[str, Any]:
        if row is None:
            return self._rejected(
                head, D.UNKNOWN_TRANSACTION, f"the host has no transaction {head['txn']}", None
            )
        state = str(row["state"])
        if state == "storno_pending":
            return self._complete_storno(ctx, head, row)
        if state == "stornoed":
            return self._result(head, "duplicate", state)
        stornoed_at = parse_time(payload.get("stornoed_at"))
        if state == "confirmed" and stornoed_at is not None:
            # No approved request is pending: the terminal decided this storno itself while the
            # host was unreachable, or the request lapsed before the advice got through. The
            # storno slip printed at ``stornoed_at``, so check it as a request made then (never
            # later than now), exactly as the request would have been checked.
            txn = str(row["txn"])
            try:
                self._check_storno(ctx, txn, row, payload, at=min(stornoed_at, ctx.now))
            except Decline as decline:
                ctx.store.add_event(txn, ctx.now_iso, "storno_declined", decline.code)
                return self._rejected(head, decline.code, decline.reason, state)
            ctx.store.add_event(txn, ctx.now_iso, "storno_approved", "advice without request")
            return self._complete_storno(ctx, head, row)
        return self._rejected(
            head,
            D.STORNO_NOT_REQUESTED,
            f"transaction {head['txn']} is {state}: a storno advice needs an approved storno "
            "request first (POST /v1/storno)",
            state,
        )

    def _complete_storno(self, ctx: Ctx, head: dict[str, Any], row: sqlite3.Row) -> dict[str, Any]:
        extra = HANDLERS[str(row["product"])].undo(ctx, row)
        ctx.store.update_txn(str(row["txn"]), ctx.now_iso, state="stornoed", closed_at=ctx.now_iso)
        ctx.store.add_event(str(row["txn"]), ctx.now_iso, "stornoed", json.dumps(extra))
        return self._result(head, "accepted", "stornoed")

    # -- storno request ------------------------------------------------------------------

    def storno(self, ctx: Ctx, body: Mapping[str, Any]) -> bytes:
        message_id = message_id_of(body)
        txn = txn_of(body)
        with ctx.store.transaction():
            return self._once(
                ctx,
                message_id=message_id,
                txn=txn,
                kind=f"{KIND_STORNO_REQUEST}:{message_id}",
                fingerprint=digest({"txn": txn, "kind": KIND_STORNO_REQUEST}),
                compute=lambda: self._storno(ctx, message_id, txn, body),
                by_business_key=False,
            )

    def _storno(
        self, ctx: Ctx, message_id: str, txn: str, body: Mapping[str, Any]
    ) -> dict[str, Any]:
        base = {"message_id": message_id, "txn": txn, "host_time": ctx.now_iso}
        row = ctx.store.txn(txn)
        try:
            row = self._check_storno(ctx, txn, row, body)
        except Decline as decline:
            if row is not None:
                ctx.store.add_event(txn, ctx.now_iso, "storno_declined", decline.code)
            return {
                **base,
                "status": "declined",
                "reason_code": decline.code,
                "reason": decline.reason,
            }
        complete_by = ctx.now + timedelta(seconds=ctx.settings.storno_lapse_s)
        code = auth_code()
        ctx.store.update_txn(
            txn,
            ctx.now_iso,
            state="storno_pending",
            storno_requested_at=ctx.now_iso,
            storno_confirm_by=complete_by.isoformat(),
        )
        ctx.store.add_event(txn, ctx.now_iso, "storno_approved", code)
        return {
            **base,
            "status": "approved",
            "storno_auth_code": code,
            "product": row["product"],
            "amount_minor": int(row["amount_minor"]),
            "currency": row["currency"],
            "complete_by": complete_by.isoformat(),
        }

    def _check_storno(
        self,
        ctx: Ctx,
        txn: str,
        row: sqlite3.Row | None,
        body: Mapping[str, Any],
        *,
        at: datetime | None = None,
    ) -> sqlite3.Row:
        """The storno checks, as of ``at`` (default now: a live request)."""
        now = at or ctx.now
        if row is None or row["product"] is None:
            raise Decline(
                D.UNKNOWN_TRANSACTION,
                f"The host has no sale {txn}; check the transaction number on the slip.",
            )
        if row["terminal_id"] != ctx.terminal_id:
            raise Decline(
                D.WRONG_TERMINAL,
                "A storno is only possible at the counter where the sale was made.",
            )
        state = str(row["state"])
        if state == "provisioned":
            # The storno overtook the confirm still waiting in the terminal's outbox: the
            # terminal only asks for a storno of a sale whose slip printed, so confirm it now.
            self._do_confirm(ctx, row, parse_time(body.get("printed_at")), via="storno_request")
            refreshed = ctx.store.txn(txn)
            assert refreshed is not None
            row, state = refreshed, "confirmed"
        refusals = {
            "stornoed": (D.ALREADY_STORNOED, f"Transaction {txn} was already reversed (storno)."),
            "storno_pending": (
                D.STORNO_PENDING,
                f"A storno of transaction {txn} is already under way; wait for its slip.",
            ),
            "reversed": (D.ALREADY_REVERSED, f"Transaction {txn} was already reversed."),
            "voided": (D.ALREADY_VOIDED, f"Transaction {txn} was voided; nothing to reverse."),
            "declined": (D.NOT_APPROVED, f"Transaction {txn} was declined; nothing to reverse."),
        }
        if state in refusals:
            raise Decline(*refusals[state])
        handler = HANDLERS[str(row["product"])]
        start = parse_time(row["window_start"]) or ctx.now
        if handler.storno_window == "none":
            raise Decline(
                D.STORNO_NOT_ALLOWED,
                f"{row['product']} payments cannot be reversed once made.",
            )
        if handler.storno_window == "same_day":
            zone = ZoneInfo(ctx.settings.benefit_timezone)
            if start.astimezone(zone).date() != now.astimezone(zone).date():
                raise Decline(
                    D.STORNO_WINDOW_CLOSED,
                    "This payment can only be cancelled on the day it was made.",
                )
        else:
            window = ctx.settings.storno_window_s
            elapsed = (now - start).total_seconds()
            if elapsed > window:
                raise Decline(
                    D.STORNO_WINDOW_CLOSED,
                    f"The storno window of {window // 60} minutes after the slip printed has "
                    f"closed ({int(elapsed)} s ago); the sale stands.",
                )
        handler.check_undo(ctx, row)
        return row

    # -- time ----------------------------------------------------------------------------

    def sweep(self, ctx: Ctx) -> dict[str, int]:
        """Reverse unconfirmed provisions and lapse uncompleted stornos whose time is up."""
        now = ctx.now_iso
        reversed_count = 0
        lapsed = 0
        with ctx.store.transaction():
            for row in ctx.store.all(
                "SELECT * FROM transactions WHERE state = 'provisioned' AND confirm_by < ?",
                (now,),
            ):
                HANDLERS[str(row["product"])].release(ctx, row)
                ctx.store.update_txn(str(row["txn"]), now, state="reversed", closed_at=now)
                ctx.store.add_event(
                    str(row["txn"]),
                    now,
                    "auto_reversed",
                    f"no confirm within the advice horizon ({ctx.settings.advice_horizon_s} s)",
                )
                reversed_count += 1
            for row in ctx.store.all(
                "SELECT * FROM transactions WHERE state = 'storno_pending'"
                " AND storno_confirm_by < ?",
                (now,),
            ):
                ctx.store.update_txn(str(row["txn"]), now, state="confirmed")
                ctx.store.add_event(str(row["txn"]), now, "storno_lapsed", "no storno advice")
                lapsed += 1
            ctx.store.forget_nonces_before(int(ctx.now.timestamp()) - ctx.settings.max_skew_s)
        return {"reversed": reversed_count, "storno_lapsed": lapsed}

    # -- views ---------------------------------------------------------------------------

    def view(self, ctx: Ctx, txn: str) -> dict[str, Any] | None:
        row = ctx.store.txn(txn)
        if row is None:
            return None
        return transaction_view(ctx, row)


__all__ = ["HANDLERS", "Ledger", "parse_provision", "transaction_view"]
