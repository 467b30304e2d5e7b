"""Cash in the drawer: what the drawer should hold from this period, and whether it is open.

* ``GET /ui/cash`` -- per currency, the cash kept for this period's sales less the cash paid
  back for its stornos (``kiosk.reports.cash_summary()``: no float, every currency listed),
  and the drawer's state as the printer last reported it (DLE EOT: open, closed, or unknown
  when the printer does not answer).
* ``GET /ui/cash/drawer`` -- the drawer's state alone; the page asks for it every few seconds.
  It reads the snapshot the status bar keeps (asked of the printer again only when that one
  is older than the status feed's interval), so polling does not load the printer.

* ``POST /ui/cash/move`` -- the opening float, cash in or cash out, with a reason code and an
  optional note (``terminal.shift``: one journal event each; the drawer opens for the money).
* ``POST /ui/cash/open-drawer`` -- a supervisor opens the drawer with no sale, with a reason
  (journalled before the printer kicks it).

Each form carries a one-shot token, so a double tap records one movement.
"""

from __future__ import annotations

import asyncio
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import RedirectResponse, Response

from foundation.errors import ClerkFacingError
from foundation.money import Money, MoneyError
from terminal.errors import InvalidAmount
from terminal.shift import DRAWER_REASONS, REASONS
from terminal.web.context import WebContext
from terminal.web.desk import local_time, said
from terminal.web.errors import Refusal, refusal
from terminal.web.i18n import Speaker, _
from terminal.web.sessions import FormExpired, Session

#: The drawer's state in plain words, with what to do about it.
DRAWER_STATES: dict[str, tuple[str, str]] = {
    "open": (_("Open"), _("Close the drawer when the money is in.")),
    "closed": (_("Closed"), _("The drawer is shut.")),
    "unknown": (
        _("Unknown"),
        _("The printer does not answer, so the drawer's state cannot be read. Check it by eye."),
    ),
}


@dataclass(frozen=True)
class DrawerView:
    state: str
    label: str
    advice: str


def drawer_view(speaker: Speaker, status: dict[str, Any]) -> DrawerView:
    """The drawer from a status snapshot: ``printer.drawer_open`` True, False or None."""
    printer = status.get("printer") or {}
    is_open = printer.get("drawer_open")
    state = "unknown" if is_open is None else ("open" if is_open else "closed")
    label, advice = DRAWER_STATES[state]
    return DrawerView(state, speaker.gettext(label), speaker.gettext(advice))


#: Cash movement kinds and reason codes (terminal.shift) in the screen's words.
KINDS: dict[str, str] = {
    "float": _("Opening float"),
    "in": _("Cash in"),
    "out": _("Cash out"),
}
REASON_LABELS: dict[str, str] = {
    "opening_float": _("Counted at the start"),
    "change_from_safe": _("Change from the safe"),
    "float_top_up": _("Float top-up"),
    "correction": _("Correction"),
    "other": _("Other"),
    "to_safe": _("To the safe"),
    "bank_deposit": _("Bank deposit"),
    "supplier_payment": _("Supplier payment"),
    "give_change": _("Give change"),
    "check_contents": _("Check the contents"),
    "stuck_note": _("A note is stuck"),
}
#: What the page says after a movement or a drawer opening was recorded.
DONE: dict[str, str] = {
    "float": _("Opening float recorded: the drawer opened for it."),
    "in": _("Cash in recorded: the drawer opened for it."),
    "out": _("Cash out recorded: the drawer opened for it."),
    "drawer": _("The drawer opened; the reason is in the journal."),
}


@dataclass(frozen=True)
class MoveView:
    at: str
    kind: str
    reason: str
    note: str
    clerk: str
    currency: str
    signed_minor: int


def router(ctx: WebContext) -> APIRouter:
    ui = APIRouter()
    kiosk = ctx.kiosk

    async def cash_page_for(
        request: Request,
        session: Session,
        *,
        error: Refusal | None = None,
        status_code: int = 200,
        form: dict[str, str] | None = None,
    ) -> Response:
        speaker = ctx.speaker(session.language)
        summary = await asyncio.to_thread(kiosk.reports.cash_summary)
        snapshot = await asyncio.to_thread(ctx.feed.refresh)
        amounts = sorted(summary["cash_in_drawer"].items())
        moves = [
            MoveView(
                at=local_time(kiosk, speaker, datetime.fromisoformat(m["at"])),
                kind=speaker.gettext(KINDS.get(m["kind"], m["kind"])),
                reason=speaker.gettext(REASON_LABELS.get(m["reason"], m["reason"])),
                note=m.get("note") or "",
                clerk=str(m.get("clerk") or ""),
                currency=m["currency"],
                signed_minor=-m["amount_minor"] if m["kind"] == "out" else m["amount_minor"],
            )
            for m in summary.get("movements", [])
        ]
        has_float = any(m["kind"] == "float" for m in summary.get("movements", []))
        done = request.query_params.get("done", "")
        return ctx.page(
            request,
            "cash.html",
            session=session,
            status_code=status_code,
            amounts=amounts,
            negative=any(minor < 0 for _currency, minor in amounts),
            period_from=local_time(kiosk, speaker, datetime.fromisoformat(summary["period_from"])),
            period_to=local_time(kiosk, speaker, datetime.fromisoformat(summary["period_to"])),
            drawer=drawer_view(speaker, snapshot.to_dict()),
            moves=moves,
            kinds=[
                (k, speaker.gettext(v)) for k, v in KINDS.items() if k != "float" or not has_float
            ],
            reasons={
                kind: [(code, speaker.gettext(REASON_LABELS[code])) for code in codes]
                for kind, codes in REASONS.items()
            },
            drawer_reasons=[(c, speaker.gettext(REASON_LABELS[c])) for c in DRAWER_REASONS],
            currencies=kiosk.shift.currencies(),
            token=ctx.forms.issue(session),
            error=error,
            done=speaker.gettext(DONE[done]) if done in DONE else None,
            form=form or {},
        )

    @ui.get("/ui/cash")
    async def cash_page(request: Request) -> Response:
        session = ctx.clerk(request)
        return await cash_page_for(request, session)

    async def once(
        request: Request, session: Session, form: dict[str, str], work: Any, done: str
    ) -> Response:
        """Run ``work`` once per form token; a refusal shows the page again with it."""
        speaker = ctx.speaker(session.language)
        token = form.get("token", "")
        try:
            already = await asyncio.to_thread(ctx.forms.begin, token, session)
        except FormExpired:
            return await cash_page_for(
                request, session, error=said(speaker, "form_expired"), status_code=409, form=form
            )
        if already is not None:
            return RedirectResponse(f"/ui/cash?done={done}", status_code=303)
        recorded: str | None = None
        try:
            await asyncio.to_thread(work)
            recorded = done
        except ClerkFacingError as exc:
            return await cash_page_for(
                request, session, error=refusal(speaker, exc), status_code=422, form=form
            )
        finally:
            ctx.forms.finish(token, recorded)
        return RedirectResponse(f"/ui/cash?done={done}", status_code=303)

    @ui.post("/ui/cash/move")
    async def move(request: Request) -> Response:
        session = ctx.clerk(request)
        form = await ctx.form(request)
        kind = form.get("kind", "")
        currency = form.get("currency", "")

        def work() -> None:
            try:
                minor = Money.parse(form.get("amount", ""), currency or "EUR").minor
            except MoneyError:
                raise InvalidAmount("Type the amount in digits, such as 50 or 50,00.") from None
            kiosk.shift.record(
                kind,
                currency=currency,
                amount_minor=minor,
                reason=form.get(f"reason_{kind}", form.get("reason", "")),
                note=form.get("note", ""),
                clerk=session.clerk_number,
            )

        return await once(request, session, form, work, kind if kind in DONE else "in")

    @ui.post("/ui/cash/open-drawer")
    async def open_drawer(request: Request) -> Response:
        session = ctx.clerk(request)
        form = await ctx.form(request)

        def work() -> None:
            kiosk.shift.open_drawer(
                clerk=session.clerk_number,
                reason=form.get("reason", ""),
                note=form.get("note", ""),
            )

        return await once(request, session, form, work, "drawer")

    @ui.get("/ui/cash/drawer")
    def drawer(request: Request) -> Response:
        """Polled by the page: reading it is not the clerk doing something (no activity)."""
        session = ctx.signed_in(request)
        speaker = ctx.speaker(session.language)
        view = drawer_view(speaker, ctx.feed.latest().to_dict())
        return ctx.page(request, "_drawer.html", session=session, drawer=view)

    return ui


__all__ = ["DONE", "DRAWER_STATES", "KINDS", "REASON_LABELS", "DrawerView", "drawer_view", "router"]
