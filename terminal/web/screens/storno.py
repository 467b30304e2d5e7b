"""Storno at the counter: find the sale, choose the reason, confirm, print the storno slip.

* ``GET /ui/storno`` -- the sales of this terminal still inside their storno window (newest
  first, each with its time left counting down on the page), and a field for a typed or
  scanned number (``?txn=`` opens it; ``TXN:...`` from the slip's QR code is accepted).
* ``GET /ui/storno/{txn}`` -- what will be given back, the reason, the time left; the checks
  the terminal can make itself are made here so the clerk learns at once.
* ``POST /ui/storno/{txn}`` -- the storno (``kiosk.stornos``: the host's check, the storno
  slip through the barrier); the same form never runs twice.
* ``GET /ui/storno/result/{txn}`` -- what the clerk must do now, in plain words.

The countdown is only a guide: the page counts down from the seconds the server gave, and the
storno service checks the window again when the clerk confirms.
"""

from __future__ import annotations

import asyncio
import re
from dataclasses import dataclass

from fastapi import APIRouter, Request
from fastapi.responses import RedirectResponse, Response

from foundation.errors import ClerkFacingError
from offline_queue import states
from offline_queue.errors import UnknownTransaction
from offline_queue.store import TxnRecord
from printer_templates.preview import slip_to_text
from terminal.errors import KioskError
from terminal.storno import REASONS, StornoOutcome, parse_txn
from terminal.web import reasons
from terminal.web.context import WebContext
from terminal.web.desk import (
    HEADLINES,
    TxnRow,
    explain,
    form_value,
    said,
    storno_candidates,
    storno_seconds_left,
    txn_row,
)
from terminal.web.errors import Refusal
from terminal.web.i18n import Speaker, _
from terminal.web.recent import Recent
from terminal.web.sessions import FormExpired, Session

#: The storno service's reasons, as the clerk chooses them (keys 1, 2, 3).
REASON_LABELS: dict[str, str] = {
    "wrong_number": _("Wrong number (phone or card)"),
    "wrong_amount": _("Wrong amount"),
    "customer_request": _("The customer changed their mind"),
}

#: Storno results kept for the result screen (the store has the outcome too).
KEEP_RESULTS = 50

_TXN = re.compile(r"\A[0-9]{14}\Z")


@dataclass(frozen=True)
class StornoView:
    """How a storno attempt ended, as the result screen shows it."""

    txn: str
    #: "stornoed" | "print_failed" | "refused"
    outcome: str
    code: str
    headline: str
    instruction: str
    detail: str | None
    currency: str
    refund_minor: int
    product: str
    target: str
    slip_text: str | None = None

    @property
    def tone(self) -> str:
        return "go" if self.outcome == "stornoed" else "stop"

    @property
    def retry(self) -> bool:
        """Whether doing it again can help (the printer was the trouble, not the sale)."""
        return self.outcome == "print_failed" or self.code == "printer_not_ready"


def _headline_of_refusal(code: str) -> str:
    if code == "storno_window_closed":
        return _("Storno window closed: storno not done")
    if code == "printer_not_ready":
        return _("Printer not ready: storno not done")
    if code in ("card_balance_spent", "host_refused", "declined", "storno_pending"):
        return _("The host refused the storno")
    return _("Storno not possible")


def stornoed_view(
    speaker: Speaker, row: TxnRow, *, refund_minor: int, slip: str | None = None
) -> StornoView:
    """The storno slip printed: the money goes back now."""
    return StornoView(
        txn=row.txn,
        outcome="stornoed",
        code="stornoed",
        headline=speaker.gettext(_("Storno done")),
        instruction=speaker.gettext(
            _("Give the customer the storno slip and pay back %(refund)s."),
            refund=speaker.money(refund_minor, row.currency),
        ),
        detail=None,
        currency=row.currency,
        refund_minor=refund_minor,
        product=row.product_name,
        target=row.target,
        slip_text=slip,
    )


def print_failed_view(speaker: Speaker, row: TxnRow, *, error: str | None) -> StornoView:
    """The storno slip was not proven: nothing was undone, nothing goes back."""
    return StornoView(
        txn=row.txn,
        outcome="print_failed",
        code="print_failed",
        headline=speaker.gettext(_("Storno slip did not print: storno NOT done")),
        instruction=speaker.gettext(
            _(
                "The sale stands: pay nothing back, the customer keeps what was bought. Fix "
                "the printer (paper, cover), then do the storno again."
            )
        ),
        detail=None if error is None else speaker.gettext(reasons.FAILURES["print_failed"]),
        currency=row.currency,
        refund_minor=0,
        product=row.product_name,
        target=row.target,
    )


def outcome_view(
    speaker: Speaker, row: TxnRow, outcome: StornoOutcome, slip: str | None
) -> StornoView:
    if outcome.ok:
        return stornoed_view(speaker, row, refund_minor=outcome.refund_minor, slip=slip)
    return print_failed_view(speaker, row, error=outcome.error)


def refused_view(
    speaker: Speaker, row: TxnRow | None, txn: str, error: Refusal, *, by_host: bool = False
) -> StornoView:
    """Refused before anything printed (locally or by the host): the sale stands."""
    headline = _("The host refused the storno") if by_host else _headline_of_refusal(error.code)
    return StornoView(
        txn=txn,
        outcome="refused",
        code=error.code,
        headline=speaker.gettext(headline),
        instruction=error.headline,
        # the host's reason code as the terminal's own sentence (never the host's words)
        detail=reasons.decline_sentence(speaker, error.code) if by_host else error.detail,
        currency=row.currency if row else "",
        refund_minor=0,
        product=row.product_name if row else "",
        target=row.target if row else "",
    )


def stored_view(speaker: Speaker, row: TxnRow, record: TxnRecord) -> StornoView | None:
    """The latest attempt as the store keeps it (after a restart, or another screen's)."""
    attempt = dict(record.details.get("storno") or {})
    if record.state == states.STORNOED:
        refund = int(attempt.get("refund_minor", record.total_minor))
        return stornoed_view(speaker, row, refund_minor=refund)
    if attempt.get("outcome") == "print_failed":
        return print_failed_view(speaker, row, error=str(attempt.get("error") or "") or None)
    if attempt.get("outcome") == "refused":
        code = str(attempt.get("code") or "")
        error = said(speaker, code if code in HEADLINES else "host_refused")
        return refused_view(speaker, row, record.txn, error, by_host=True)
    return None


def attempt_id(record: TxnRecord) -> object:
    """Which storno attempt the store holds last (its request's message id), if any."""
    return (record.details.get("storno") or {}).get("request_message_id")


def precheck(ctx: WebContext, txn: str) -> tuple[TxnRecord | None, str | None]:
    """The checks the terminal makes for itself, in the service's order, before the clerk
    chooses a reason (the service makes them again, and the host its own)."""
    kiosk = ctx.kiosk
    if txn[:5] != kiosk.config.terminal.id:
        return None, "wrong_terminal"
    try:
        record = kiosk.store.get(txn)
    except UnknownTransaction:
        return None, "unknown_transaction"
    if record.state == states.STORNOED:
        return record, "already_stornoed"
    if record.state in (states.STORNO_REQUESTED, states.STORNO_PRINTING):
        return record, "storno_pending"
    if record.state != states.CONFIRMED or record.printed_at is None:
        return record, "not_confirmed"
    left = storno_seconds_left(kiosk, record, kiosk.clock.now())
    if left is None:
        return record, "storno_not_allowed"
    if left < 0:
        return record, "storno_window_closed"
    return record, None


def router(ctx: WebContext) -> APIRouter:
    ui = APIRouter()
    kiosk = ctx.kiosk
    results: Recent[StornoView] = Recent(KEEP_RESULTS)

    def keep(view: StornoView) -> None:
        results.put(view.txn, view)

    def list_page(
        request: Request,
        session: Session,
        *,
        typed: str = "",
        error: Refusal | None = None,
        status_code: int = 200,
    ) -> Response:
        speaker = ctx.speaker(session.language)
        return ctx.page(
            request,
            "storno.html",
            session=session,
            status_code=status_code,
            rows=storno_candidates(kiosk, speaker),
            typed=typed,
            error=error,
        )

    def refusal_about(speaker: Speaker, code: str, record: TxnRecord | None) -> Refusal:
        base = said(speaker, code)
        if record is None:
            return base
        row = txn_row(kiosk, speaker, record, kiosk.clock.now())
        facts = speaker.gettext(
            _("Transaction %(txn)s: %(product)s %(target)s, %(total)s, slip printed %(printed)s."),
            txn=row.txn,
            product=row.product_name,
            target=row.target,
            total=speaker.money(row.total_minor, row.currency),
            printed=row.printed_at or "-",
        )
        return Refusal(code, base.headline, facts)

    def confirm_page(
        request: Request,
        session: Session,
        record: TxnRecord,
        *,
        token: str,
        reason: str = "",
        error: Refusal | None = None,
        status_code: int = 200,
    ) -> Response:
        speaker = ctx.speaker(session.language)
        row = txn_row(kiosk, speaker, record, kiosk.clock.now())
        fees = [(speaker.fee_name(name), amount) for name, amount in record.fees]
        return ctx.page(
            request,
            "storno_confirm.html",
            session=session,
            status_code=status_code,
            row=row,
            fees=fees,
            token=token,
            reasons=[(code, REASON_LABELS[code]) for code in REASONS if code in REASON_LABELS],
            reason=reason,
            error=error,
        )

    @ui.get("/ui/storno")
    def storno_page(request: Request) -> Response:
        session = ctx.clerk(request)
        typed = request.query_params.get("txn", "")[:60]
        if not typed.strip():
            return list_page(request, session)
        speaker = ctx.speaker(session.language)
        try:
            txn = parse_txn(typed)
        except KioskError as exc:
            error = explain(speaker, exc, screen="storno")
            return list_page(request, session, typed=typed, error=error, status_code=422)
        return RedirectResponse(f"/ui/storno/{txn}", status_code=303)

    @ui.get("/ui/storno/result/{txn}")
    def result_page(request: Request, txn: str) -> Response:
        session = ctx.clerk(request)
        if not _TXN.fullmatch(txn):
            return ctx.page(request, "not_found.html", session=session, status_code=404)
        speaker = ctx.speaker(session.language)
        view = results.get(txn)
        if view is None:
            try:
                record = kiosk.store.get(txn)
            except UnknownTransaction:
                return ctx.page(request, "not_found.html", session=session, status_code=404)
            view = stored_view(speaker, txn_row(kiosk, speaker, record, kiosk.clock.now()), record)
            if view is None:
                return RedirectResponse(f"/ui/storno/{txn}", status_code=303)
        return ctx.page(request, "storno_result.html", session=session, result=view)

    @ui.get("/ui/storno/{txn}")
    def confirm(request: Request, txn: str) -> Response:
        session = ctx.clerk(request)
        speaker = ctx.speaker(session.language)
        if not _TXN.fullmatch(txn):
            return list_page(
                request,
                session,
                typed=txn[:60],
                error=said(speaker, "invalid_transaction_number"),
                status_code=422,
            )
        record, problem = precheck(ctx, txn)
        if problem is not None or record is None:
            code = problem or "unknown_transaction"
            status = 404 if code == "unknown_transaction" else 409
            error = refusal_about(speaker, code, record)
            return list_page(request, session, typed=txn, error=error, status_code=status)
        return confirm_page(request, session, record, token=ctx.forms.issue(session))

    @ui.post("/ui/storno/{txn}")
    async def do_storno(request: Request, txn: str) -> Response:
        session = ctx.clerk(request)
        speaker = ctx.speaker(session.language)
        if not _TXN.fullmatch(txn):
            return ctx.page(request, "not_found.html", session=session, status_code=404)
        form = await ctx.form(request)
        token = form.get("token", "")
        reason = form_value(form, "reason", 40)
        try:
            done = await asyncio.to_thread(ctx.forms.begin, token, session)
        except FormExpired:
            record, problem = precheck(ctx, txn)
            if record is None or problem is not None:
                return RedirectResponse(f"/ui/storno/{txn}", status_code=303)
            return confirm_page(
                request,
                session,
                record,
                token=ctx.forms.issue(session),
                reason=reason,
                error=said(speaker, "form_expired"),
                status_code=409,
            )
        if done is not None:
            return RedirectResponse(f"/ui/storno/result/{done}", status_code=303)
        finished: str | None = None
        try:
            if reason not in REASONS:
                record, problem = precheck(ctx, txn)
                if record is None or problem is not None:
                    return RedirectResponse(f"/ui/storno/{txn}", status_code=303)
                return confirm_page(
                    request,
                    session,
                    record,
                    token=token,
                    error=said(speaker, "invalid_storno_reason"),
                    status_code=422,
                )
            finished = txn
            row: TxnRow | None = None
            before: object = None
            try:
                record = kiosk.store.get(txn)
                before = attempt_id(record)
                row = txn_row(kiosk, speaker, record, kiosk.clock.now())
                outcome = await asyncio.to_thread(
                    kiosk.stornos.storno, txn, reason=reason, clerk=session.clerk_number
                )
            except ClerkFacingError as exc:
                error = explain(speaker, exc, screen="storno")
                by_host = row is not None and host_refused(txn, before)
                keep(refused_view(speaker, row, txn, error, by_host=by_host))
            else:
                assert row is not None
                keep(outcome_view(speaker, row, outcome, slip_of(outcome)))
            ctx.feed.poke()
            return RedirectResponse(f"/ui/storno/result/{txn}", status_code=303)
        finally:
            ctx.forms.finish(token, finished)

    def host_refused(txn: str, before: object) -> bool:
        """Whether the refusal came from the host: only a request the host answered leaves a
        new attempt in the store, refused (local checks refuse before recording anything)."""
        try:
            record = kiosk.store.get(txn)
        except UnknownTransaction:
            return False
        attempt = record.details.get("storno") or {}
        return attempt_id(record) != before and attempt.get("outcome") == "refused"

    def slip_of(outcome: StornoOutcome) -> str | None:
        """The storno slip: the printer's own output when known (demo), else what was sent."""
        if not outcome.ok:
            return None
        if ctx.printed_slips is not None:
            view = ctx.printed_slips.for_transaction(outcome.txn)
            if view is not None:
                return view.text
        return None if outcome.slip is None else slip_to_text(outcome.slip)

    return ui


__all__ = [
    "REASON_LABELS",
    "StornoView",
    "outcome_view",
    "precheck",
    "print_failed_view",
    "refused_view",
    "router",
    "stored_view",
    "stornoed_view",
]
