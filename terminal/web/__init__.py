"""The counter screen: server-rendered pages over the kiosk, served by the local API's app.

``mount(app, kiosk)`` adds the screens to the FastAPI app of ``terminal.api``, so one process
(the one that owns the printer, the reader and the forwarder) serves the API and the screen.
Pages are Jinja2 templates; partial updates use htmx (vendored in ``static/``); device and
status events reach the page as server-sent events from ``/ui/events``. ``docs/web-ui.md``
says how to add a screen.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING

from fastapi import APIRouter, Depends, FastAPI, Request
from fastapi.responses import (
    HTMLResponse,
    JSONResponse,
    PlainTextResponse,
    RedirectResponse,
    Response,
)
from fastapi.staticfiles import StaticFiles

from terminal.web.context import (
    CrossSiteRefused,
    RoleRefused,
    ScreenLocked,
    SignInNeeded,
    WebContext,
    same_origin,
)
from terminal.web.screens import (
    cash,
    clerks,
    home,
    lookup,
    reports,
    reprint,
    sale,
    shift,
    signin,
    status,
    storno,
)
from terminal.web.slips import PrintedSlips, PrintedSlipView

if TYPE_CHECKING:
    from terminal.kiosk import Kiosk

STATIC_DIR = Path(__file__).parent / "static"
log = logging.getLogger(__name__)

ScreenFactory = Callable[[WebContext], APIRouter]

#: Every screen, each module's ``router(ctx: WebContext) -> APIRouter``. Explicit: a screen
#: whose module goes missing fails at import instead of silently vanishing from the counter.
SCREENS: tuple[ScreenFactory, ...] = (
    signin.router,
    home.router,
    sale.router,
    status.router,
    storno.router,
    lookup.router,
    reprint.router,
    reports.router,
    cash.router,
    shift.router,
    clerks.router,
)


def _redirect(request: Request, to: str) -> Response:
    """A redirect the browser follows, also from an htmx request (which would swap it in)."""
    if request.headers.get("hx-request"):
        return Response(status_code=200, headers={"HX-Redirect": to})
    return RedirectResponse(to, status_code=303)


def mount(app: FastAPI, kiosk: Kiosk, *, printed_slips: PrintedSlips | None = None) -> WebContext:
    """Serve the counter screen from ``app``: ``/`` and everything under ``/ui``."""
    ctx = WebContext(kiosk, printed_slips=printed_slips)
    app.state.web = ctx
    app.mount("/ui/static", StaticFiles(directory=STATIC_DIR), name="ui-static")

    @app.exception_handler(SignInNeeded)
    async def _sign_in(request: Request, _: Exception) -> Response:
        return _redirect(request, "/ui/signin")

    @app.exception_handler(ScreenLocked)
    async def _locked(request: Request, _: Exception) -> Response:
        return _redirect(request, "/ui/lock")

    @app.exception_handler(RoleRefused)
    async def _refused(request: Request, _: Exception) -> Response:
        session = ctx.session_of(request)
        return ctx.page(request, "refused.html", session=session, status_code=403)

    @app.exception_handler(CrossSiteRefused)
    async def _cross_site(_: Request, __: Exception) -> Response:
        return PlainTextResponse(
            "Refused: this request did not come from the counter screen.", status_code=403
        )

    @app.exception_handler(Exception)
    async def _unexpected(request: Request, exc: Exception) -> Response:
        # Starlette logs the traceback; the clerk reads what to do in the screen's language
        # and scripts get the API's error shape -- never the exception's text.
        log.error("unexpected error on %s: %s", request.url.path, type(exc).__name__)
        if ctx.is_screen_path(request.url.path):
            try:
                return ctx.error_page(request, 500)
            except Exception:  # the page itself cannot render: a plain line
                return PlainTextResponse("500", status_code=500)
        return JSONResponse(
            {"error": {"code": "internal_error", "message": "The terminal failed: see its log."}},
            status_code=500,
        )

    @app.get("/", include_in_schema=False)
    def root() -> Response:
        return RedirectResponse("/ui/", status_code=303)

    @app.get("/favicon.ico", include_in_schema=False)
    def favicon() -> Response:
        return HTMLResponse(status_code=204)

    for screen in SCREENS:
        app.include_router(
            screen(ctx), dependencies=[Depends(same_origin)], include_in_schema=False
        )
    return ctx


__all__ = ["SCREENS", "PrintedSlipView", "PrintedSlips", "ScreenFactory", "WebContext", "mount"]
