"""A sale at the counter: the product's form, its live check and quote, the sale, the result.

* ``GET /ui/sale/{product}`` -- the form, with a one-shot token (double-submit protection).
* ``POST /ui/sale/{product}/check`` -- htmx: refusals per field, the quote and the change, and
  which field Enter moves to (``data-next-focus``).
* ``POST /ui/sale/{product}`` -- sells (the page shows "printing..." meanwhile), then redirects
  to the result; the same token never sells twice.
* ``GET /ui/result/{txn}`` -- what the clerk must do now, in plain words, next to the slip.
* ``GET /ui/slips/{txn}.png`` -- the slip's picture when the printer's own output is known.
"""

from __future__ import annotations

import asyncio
from dataclasses import dataclass, replace
from datetime import datetime, timedelta
from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import RedirectResponse, Response

from foundation.errors import ClerkFacingError
from offline_queue import states
from offline_queue.errors import UnknownTransaction
from offline_queue.store import TxnRecord
from terminal.catalog import PRODUCT_TARGETS, ProductConfig
from terminal.errors import KioskError
from terminal.sale import SaleRequest, SaleResult
from terminal.validation import Target, validate_target
from terminal.web import reasons
from terminal.web.context import WebContext
from terminal.web.errors import Refusal, message, refusal
from terminal.web.i18n import _
from terminal.web.saleform import (
    BillerCatalog,
    Checked,
    SaleForm,
    cash_options,
    denominations,
)
from terminal.web.sessions import FormExpired, Session

#: Outcome -> (tone, what the clerk must do). Tone colours the result: go / stop.
OUTCOMES: dict[str, tuple[str, str]] = {
    "confirmed": ("go", _("Hand over the slip and take the money.")),
    "offline_confirmed": (
        "go",
        _(
            "Hand over the slip and take the money. The host is offline: the sale is sent "
            "automatically when it is back."
        ),
    ),
    "print_failed": (
        "stop",
        _("The slip did not print: the sale is cancelled. Do not take money, or give it all back."),
    ),
    "failed": (
        "stop",
        _("The host is not answering: the sale is cancelled, do not take money. Try again."),
    ),
    "offline_refused": (
        "stop",
        _(
            "The host is not answering and this sale cannot be made offline: do not take "
            "money. Try again when the host is back."
        ),
    ),
    "declined": (
        "stop",
        _("The sale was declined: do not take money. Tell the customer the reason below."),
    ),
}

#: Headline of each outcome, the first thing the clerk reads.
HEADLINES: dict[str, str] = {
    "confirmed": _("Sale complete"),
    "offline_confirmed": _("Sale complete (offline)"),
    "print_failed": _("Slip did not print: sale cancelled"),
    "failed": _("Host not answering: sale cancelled"),
    "offline_refused": _("Host not answering: sale refused"),
    "declined": _("Sale declined"),
}


@dataclass(frozen=True)
class ResultView:
    """A sale's outcome as the result screen shows it."""

    txn: str
    product: str
    outcome: str
    tone: str
    headline: str
    instruction: str
    reason: str | None
    currency: str
    total_minor: int
    cash_minor: int
    change_minor: int
    target: str
    clerk: str | None
    #: why a stopped sale stopped, as a code (``terminal.web.reasons``); None when it went
    reason_code: str | None = None
    #: paid from the benefit balance (``details.tender``): no cash, no change
    benefit: bool = False

    @property
    def take_money(self) -> bool:
        return self.tone == "go"


def _declined_code(ctx: WebContext, txn: str) -> str | None:
    """Why a declined sale was declined: the journal's reason code."""
    for event in reversed(ctx.kiosk.store.journal(txn)):
        if event.event == f"state:{states.DECLINED}":
            # the store journals a transition's data under "data" (offline_queue.store)
            moved = event.data.get("data")
            code = moved.get("reason_code") if isinstance(moved, dict) else None
            code = code or event.data.get("reason_code")
            return None if code is None else str(code)
    return None


def result_view(ctx: WebContext, txn: str, result: SaleResult | None) -> ResultView:
    """The outcome from the sale's result, or from the store after a restart."""
    record = ctx.kiosk.store.get(txn)
    if result is not None:
        outcome: str = result.state
    elif record.state == states.CONFIRMED:
        outcome = "offline_confirmed" if record.offline else "confirmed"
    elif record.state == states.DECLINED:
        outcome = "declined"
    elif record.state == states.VOIDED and "slip not printed" in (record.reason or ""):
        outcome = "print_failed"
    else:
        outcome = "failed"
    if outcome == "declined" and (_declined_code(ctx, txn) or "").startswith("offline_"):
        outcome = "offline_refused"
    tone, instruction = OUTCOMES[outcome]
    reason_code = None if tone == "go" else _reason_code(ctx, record, outcome)
    return ResultView(
        txn=txn,
        product=record.product,
        outcome=outcome,
        tone=tone,
        headline=HEADLINES[outcome],
        instruction=instruction,
        reason=None,
        currency=record.currency,
        total_minor=record.total_minor,
        cash_minor=record.cash_minor,
        change_minor=record.change_minor,
        target=str(record.target.get("masked") or record.target.get("display") or ""),
        clerk=record.clerk,
        reason_code=reason_code,
        benefit=record.details.get("tender") == "benefit",
    )


def _reason_code(ctx: WebContext, record: Any, outcome: str) -> str:
    """The code the result screen says why with: the journal's, else the outcome's kind."""
    if outcome in ("declined", "offline_refused"):
        return _declined_code(ctx, record.txn) or "declined"
    if outcome == "print_failed":
        return "print_failed"
    why = record.reason or ""
    if "took too long" in why:
        return "expired"
    if "before the slip printed" in why or "while the slip was printing" in why:
        return "recovered_after_restart"
    return "host_unclear"


def router(ctx: WebContext) -> APIRouter:
    ui = APIRouter()
    kiosk = ctx.kiosk
    # the sale service's catalog: one cache of the host's billers for screen, API and CLI
    billers = kiosk.sales.billers or BillerCatalog(kiosk.host)
    quick = denominations(ctx.config)

    def product_of(product_id: str) -> ProductConfig | None:
        return ctx.config.products.get(product_id)

    def sale_form(product: ProductConfig, session: Session) -> SaleForm:
        return SaleForm(
            ctx.config,
            product,
            ctx.speaker(session.language),
            host=kiosk.host,
            billers=billers,
        )

    def catalog_billers(product: ProductConfig) -> tuple[list[Any], Refusal | None]:
        if product.target != "bill_account":
            return [], None
        try:
            return list(billers.get().billers), None
        except KioskError as exc:
            return [], refusal(ctx.speaker("en"), exc)

    def form_page(
        request: Request,
        session: Session,
        product: ProductConfig,
        *,
        values: dict[str, str],
        token: str,
        checked: Checked | None = None,
        error: Refusal | None = None,
        status_code: int = 200,
        duplicate: DuplicateView | None = None,
    ) -> Response:
        speaker = ctx.speaker(session.language)
        biller_list, biller_error = catalog_billers(product)
        if biller_error is not None:
            biller_error = message(speaker, "catalog_unavailable", biller_error.headline)
        return ctx.page(
            request,
            "sale.html",
            session=session,
            status_code=status_code,
            product=product,
            product_name=speaker.product_name(product),
            fields=sale_form(product, session).fields,
            values=values,
            token=token,
            checked=checked or Checked(),
            error=error or biller_error,
            quick=quick.get(product.id, ()),
            billers=biller_list,
            cash_options=_cash_options(checked, product),
            duplicate=duplicate,
        )

    @ui.get("/ui/sale/{product_id}")
    def sale_page(request: Request, product_id: str) -> Response:
        session = ctx.clerk(request)
        product = product_of(product_id)
        if product is None:
            return ctx.page(request, "not_found.html", session=session, status_code=404)
        values = {}
        swipe_id = request.query_params.get("swipe_id", "")
        if product.target == "card" and swipe_id:
            values = {
                "card_swipe_id": swipe_id,
                "target": request.query_params.get("masked", ""),
            }
        token = ctx.forms.issue(session)
        return form_page(request, session, product, values=values, token=token)

    @ui.post("/ui/sale/{product_id}/check")
    async def check(request: Request, product_id: str) -> Response:
        session = ctx.clerk(request)
        product = product_of(product_id)
        if product is None:
            return Response(status_code=404)
        form = await ctx.form(request)
        upto = form.get("focus_from") or ""
        checker = sale_form(product, session)
        checked = await asyncio.to_thread(checker.check, form, upto or "")
        if not upto:
            checked.next_focus = ""  # a live check while typing never moves the cursor
        live = form.get("live") or ""
        if live:
            checked.errors.pop(live, None)  # no refusal for a field while it is being typed
        return ctx.page(
            request,
            "_sale_check.html",
            session=session,
            product=product,
            fields=checker.fields,
            checked=checked,
            cash_options=_cash_options(checked, product),
        )

    @ui.post("/ui/sale/{product_id}")
    async def sell(request: Request, product_id: str) -> Response:
        session = ctx.clerk(request)
        product = product_of(product_id)
        if product is None:
            return ctx.page(request, "not_found.html", session=session, status_code=404)
        form = await ctx.form(request)
        token = form.get("token", "")
        speaker = ctx.speaker(session.language)
        try:
            done = await asyncio.to_thread(ctx.forms.begin, token, session)
        except FormExpired:
            return form_page(
                request,
                session,
                product,
                values=form,
                token=ctx.forms.issue(session),
                error=message(speaker, "form_expired"),
                status_code=409,
            )
        if done is not None:
            return RedirectResponse(f"/ui/result/{done}", status_code=303)
        txn: str | None = None
        try:
            checker = sale_form(product, session)
            checked = await asyncio.to_thread(checker.check, form, None)
            if checked.errors:
                return form_page(
                    request,
                    session,
                    product,
                    values=form,
                    token=token,
                    checked=checked,
                    status_code=422,
                )
            sale = checker.request(form, checked, clerk=session.clerk_number)
            same = await asyncio.to_thread(_duplicate_of, ctx, product, sale, form)
            if same is not None and form.get("confirm_duplicate") != same.txn:
                return form_page(
                    request,
                    session,
                    product,
                    values=form,
                    token=token,
                    checked=checked,
                    duplicate=DuplicateView.of(same, ctx.kiosk.clock.now()),
                    status_code=409,
                )
            try:
                result = await asyncio.to_thread(_sell, ctx, sale, form.get("card_swipe_id"))
            except ClerkFacingError as exc:
                return form_page(
                    request,
                    session,
                    product,
                    values=form,
                    token=token,
                    checked=checked,
                    error=refusal(speaker, exc),
                    status_code=422,
                )
            txn = result.txn
            ctx.keep_result(result)
            ctx.feed.poke()
            return RedirectResponse(f"/ui/result/{txn}", status_code=303)
        finally:
            ctx.forms.finish(token, txn)

    @ui.get("/ui/result/{txn}")
    def result_page(request: Request, txn: str) -> Response:
        session = ctx.clerk(request)
        if not (txn.isdigit() and len(txn) == 14):
            return ctx.page(request, "not_found.html", session=session, status_code=404)
        try:
            view = result_view(ctx, txn, ctx.result(txn))
        except UnknownTransaction:
            return ctx.page(request, "not_found.html", session=session, status_code=404)
        product = ctx.config.products.get(view.product)
        speaker = ctx.speaker(session.language)
        if view.reason_code is not None:
            sentence = reasons.reason_sentence(
                speaker, view.reason_code, config=ctx.config, product=view.product
            )
            view = replace(view, reason=sentence)
        return ctx.page(
            request,
            "result.html",
            session=session,
            result=view,
            product_name=speaker.product_name(product) if product else view.product,
            slip=ctx.slip_for(txn),
        )

    @ui.get("/ui/slips/{txn}.png")
    def slip_png(request: Request, txn: str) -> Response:
        ctx.clerk(request)
        view = ctx.slip_for(txn)
        if view is None or view.png is None:
            return Response(status_code=404)
        return Response(view.png, media_type="image/png", headers={"Cache-Control": "no-store"})

    return ui


#: A sale of the same product to the same target and amount this recently asks the clerk first.
DUPLICATE_WINDOW_S = 600


@dataclass(frozen=True)
class DuplicateView:
    """The earlier sale a new one looks like, as the warning shows it."""

    txn: str
    minutes: int
    total_minor: int
    currency: str

    @classmethod
    def of(cls, record: TxnRecord, now: datetime) -> DuplicateView:
        minutes = max(0, int((now - record.created_at).total_seconds() // 60))
        return cls(record.txn, minutes, record.total_minor, record.currency)


def _duplicate_of(
    ctx: WebContext, product: ProductConfig, sale: SaleRequest, form: dict[str, str]
) -> TxnRecord | None:
    """A confirmed sale of ``product`` to the same target (and amount) in the last minutes.

    A swiped card is known by its masked number (the form never holds the full one); a typed
    target is validated as the sale would and matched on its stored value (a card on its mask:
    the store need not keep the full number)."""
    if product.target == "none":
        return None
    masked = form.get("target", "") if form.get("card_swipe_id") else None
    target: Target | None = None
    if masked is None:
        try:
            target = validate_target(
                product, sale.target, second=sale.target2, region=ctx.config.terminal.region
            )
        except KioskError:
            return None
        if target.kind == "card":
            masked = target.masked
    since = ctx.kiosk.clock.now() - timedelta(seconds=DUPLICATE_WINDOW_S)
    recent = ctx.kiosk.store.list_transactions(
        since=since, product=product.id, states=[states.CONFIRMED], limit=200
    )
    for record in recent:
        if masked is not None:
            if record.target.get("masked") != masked:
                continue
        elif target is None or record.target.get("value") != target.value:
            continue
        if sale.amount_minor is not None and record.amount_minor != sale.amount_minor:
            continue
        if target is not None and target.second and record.target.get("second") != target.second:
            continue
        return record
    return None


def _cash_options(checked: Checked | None, product: ProductConfig) -> list[int]:
    if checked is None or checked.quote is None:
        return []
    return cash_options(checked.quote.total_minor, product.currency)


def _sell(ctx: WebContext, sale: SaleRequest, swipe_id: str | None) -> SaleResult:
    """Run the sale; a card swiped for a card product is the target (``SaleService.sell``
    takes it from the vault only now, and gives it back if the sale is refused before
    anything was recorded)."""
    swiped = swipe_id if swipe_id and PRODUCT_TARGETS.get(sale.product) == "card" else None
    return ctx.kiosk.sales.sell(sale, swipe_id=swiped)


__all__ = ["OUTCOMES", "ResultView", "result_view", "router"]
