"""Cash in the drawer: what the drawer should hold from this period, and whether it is open.

* ``GET /ui/cash`` -- per currency, the cash kept for this period's sales less the cash paid
  back for its stornos (``kiosk.reports.cash_summary()``: no float, every currency listed),
  and the drawer's state as the printer last reported it (DLE EOT: open, closed, or unknown
  when the printer does not answer).
* ``GET /ui/cash/drawer`` -- the drawer's state alone; the page asks for it every few seconds.
  It reads the snapshot the status bar keeps (asked of the printer again only when that one
  is older than the status feed's interval), so polling does not load the printer.

There is no "open the drawer" button: the kiosk opens the drawer only after a slip printed
(``SaleService.open_drawer`` takes the sale or storno that moved the money, and journals it).
Opening it for nothing would need its own journalled, supervisor-only service first.
"""

from __future__ import annotations

import asyncio
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import Response

from terminal.web.context import WebContext
from terminal.web.desk import local_time
from terminal.web.i18n import Speaker


def _(message: str) -> str:
    """Marks a message for the catalogs; it is translated when the page is rendered."""
    return message


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


def router(ctx: WebContext) -> APIRouter:
    ui = APIRouter()
    kiosk = ctx.kiosk

    @ui.get("/ui/cash")
    async def cash_page(request: Request) -> Response:
        session = ctx.clerk(request)
        speaker = ctx.speaker(session.language)
        summary = await asyncio.to_thread(kiosk.reports.cash_summary)
        snapshot = await asyncio.to_thread(ctx.feed.refresh)
        amounts = sorted(summary["cash_in_drawer"].items())
        return ctx.page(
            request,
            "cash.html",
            session=session,
            amounts=amounts,
            negative=any(minor < 0 for _currency, minor in amounts),
            period_from=local_time(kiosk, speaker, datetime.fromisoformat(summary["period_from"])),
            period_to=local_time(kiosk, speaker, datetime.fromisoformat(summary["period_to"])),
            drawer=drawer_view(speaker, snapshot.to_dict()),
        )

    @ui.get("/ui/cash/drawer")
    def drawer(request: Request) -> Response:
        """Polled by the page: reading it is not the clerk doing something (no activity)."""
        session = ctx.signed_in(request)
        speaker = ctx.speaker(session.language)
        view = drawer_view(speaker, ctx.feed.latest().to_dict())
        return ctx.page(request, "_drawer.html", session=session, drawer=view)

    return ui


__all__ = ["DRAWER_STATES", "DrawerView", "drawer_view", "router"]
