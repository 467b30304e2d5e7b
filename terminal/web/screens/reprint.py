"""Reprint: a numbered copy of the last slip, or of a transaction's sale or storno slip.

* ``GET /ui/reprint`` -- the form (``?txn=`` fills the number, as the lookup's link does).
* ``POST /ui/reprint`` -- prints through ``kiosk.reprints`` and shows "copy N printed" with
  the copy's text, or why there is no copy. An empty number means the last slip printed here.
  The same form never prints twice (a double Enter would waste paper and a copy number).
"""

from __future__ import annotations

import asyncio
from dataclasses import dataclass

from fastapi import APIRouter, Request
from fastapi.responses import Response

from foundation.errors import ClerkFacingError
from printer_templates.preview import slip_to_text
from terminal.reprint import ReprintResult
from terminal.web.context import WebContext
from terminal.web.desk import explain, form_value, local_time, product_name, said
from terminal.web.errors import Refusal
from terminal.web.i18n import _
from terminal.web.recent import Recent
from terminal.web.sessions import FormExpired, Session

#: Which slip of a transaction to copy (the service's ``slip``; "latest" is its default).
SLIP_KINDS: dict[str, str] = {
    "latest": _("Its latest slip (the storno slip of a reversed sale)"),
    "sale": _("The sale slip"),
    "storno": _("The storno slip"),
}

#: Copies remembered for a repeated form (a double Enter shows the first copy's result).
KEEP_RESULTS = 50


@dataclass(frozen=True)
class CopyView:
    """A printed copy as the screen shows it."""

    txn: str
    copy_number: int
    slip_kind: str
    product: str
    original_printed_at: str
    slip_text: str


def router(ctx: WebContext) -> APIRouter:
    ui = APIRouter()
    kiosk = ctx.kiosk
    copies: Recent[CopyView] = Recent(KEEP_RESULTS)

    def copy_view(session: Session, result: ReprintResult) -> CopyView:
        speaker = ctx.speaker(session.language)
        record = kiosk.store.get(result.txn)
        text = "" if result.slip is None else slip_to_text(result.slip)
        return CopyView(
            txn=result.txn,
            copy_number=result.copy_number,
            slip_kind=result.slip_kind,
            product=product_name(kiosk, speaker, record.product),
            original_printed_at=local_time(kiosk, speaker, result.original_printed_at),
            slip_text=text,
        )

    def page(
        request: Request,
        session: Session,
        *,
        typed: str = "",
        kind: str = "latest",
        done: CopyView | None = None,
        error: Refusal | None = None,
        status_code: int = 200,
    ) -> Response:
        return ctx.page(
            request,
            "reprint.html",
            session=session,
            status_code=status_code,
            token=ctx.forms.issue(session),
            typed=typed,
            kind=kind if kind in SLIP_KINDS else "latest",
            kinds=SLIP_KINDS,
            done=done,
            error=error,
        )

    @ui.get("/ui/reprint")
    def reprint_page(request: Request) -> Response:
        session = ctx.clerk(request)
        return page(request, session, typed=request.query_params.get("txn", "")[:40])

    @ui.post("/ui/reprint")
    async def reprint(request: Request) -> Response:
        session = ctx.clerk(request)
        speaker = ctx.speaker(session.language)
        form = await ctx.form(request)
        token = form.get("token", "")
        last = form.get("last") == "1"
        typed = "" if last else form_value(form, "txn", 40)
        kind = form_value(form, "slip", 10) or "latest"
        try:
            done = await asyncio.to_thread(ctx.forms.begin, token, session)
        except FormExpired:
            error = said(speaker, "form_expired")
            return page(request, session, typed=typed, kind=kind, error=error, status_code=409)
        if done is not None:
            return page(request, session, done=copies.get(done))
        printed: str | None = None
        try:
            if kind not in SLIP_KINDS:
                error = said(speaker, "invalid_slip_kind")
                return page(request, session, typed=typed, error=error, status_code=422)
            try:
                result = await asyncio.to_thread(
                    kiosk.reprints.reprint,
                    typed or None,
                    slip=None if kind == "latest" else kind,
                )
            except ClerkFacingError as exc:
                error = explain(speaker, exc, screen="reprint")
                return page(request, session, typed=typed, kind=kind, error=error, status_code=422)
            view = copy_view(session, result)
            copies.put(view.txn, view)
            printed = result.txn
            return page(request, session, done=view)
        finally:
            ctx.forms.finish(token, printed)

    return ui


__all__ = ["SLIP_KINDS", "CopyView", "router"]
