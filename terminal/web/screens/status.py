"""The status bar, and the screen's event stream (status changes and counter devices).

``GET /ui/events`` is one server-sent event stream per open page, authenticated by the session
cookie (EventSource sends it; a page of another site cannot, SameSite=Strict):

* ``event: status`` -- the status bar's HTML in the page's language, at once and whenever the
  snapshot changes;
* ``event: device`` -- a reader or scanner event as JSON, card numbers masked: a card carries a
  ``swipe_id`` the sale form posts instead of the number (``terminal.devices.SwipeVault``).

A locked screen gets status events only: a swipe must not fill a form nobody may use.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, JSONResponse, Response, StreamingResponse

from drivers.card_reader.fake import FakeCardReader
from terminal.devices import MAX_WEDGE_KEYS, DeviceEvent
from terminal.errors import KioskError
from terminal.event_stream import EventQueue, event_stream_response, sse
from terminal.web.context import WebContext

#: Items a slow page may fall behind by before its stream ends (it reconnects).
BACKLOG = 128

#: The demo's swipe button: an ordinary Online card of the reference host.
DEMO_CARD = ("4000000000000010", "2812", "DEMO/CARD HOLDER")


def router(ctx: WebContext) -> APIRouter:
    ui = APIRouter()
    devices = ctx.kiosk.devices

    @ui.get("/ui/status")
    def status_bar(request: Request) -> HTMLResponse:
        session = ctx.signed_in(request)
        return HTMLResponse(ctx.status_html(ctx.feed.latest(), session.language))

    @ui.post("/ui/status/refresh")
    def refresh(request: Request) -> HTMLResponse:
        """Ask the host now (the clerk does not wait for the next health check)."""
        session = ctx.signed_in(request)
        ctx.kiosk.host_monitor.check_now()
        return HTMLResponse(ctx.status_html(ctx.feed.refresh(), session.language))

    @ui.get("/ui/events")
    async def events(request: Request) -> StreamingResponse:
        session = ctx.signed_in(request)
        queue: EventQueue[tuple[str, Any]] = EventQueue(BACKLOG)

        def on_device(event: DeviceEvent | None) -> None:
            queue.put_threadsafe(None if event is None else ("device", event))

        def render(item: tuple[str, Any]) -> str | None:
            kind, payload = item
            if kind == "status":
                return sse("status", ctx.status_html(payload, session.language))
            if session.locked:
                return None
            return sse("device", payload.as_json(), event_id=payload.seq)

        unsubscribe_devices = devices.subscribe(on_device)
        unsubscribe_status = ctx.feed.subscribe(lambda snap: queue.put_threadsafe(("status", snap)))
        first = await asyncio.to_thread(ctx.feed.latest)

        async def stream() -> AsyncIterator[str]:
            try:
                yield "retry: 2000\n\n"
                yield sse("status", ctx.status_html(first, session.language))
                async for text in queue.relay(request, render, stopped=lambda: devices.stopped):
                    yield text
            finally:
                unsubscribe_devices()
                unsubscribe_status()

        return event_stream_response(stream())

    @ui.post("/ui/devices/wedge")
    async def wedge(request: Request) -> Response:
        """A keyboard-wedge reader typed a swipe into a field: decode it here, so the page
        never keeps the track data; the card arrives as a ``device`` event like any swipe."""
        ctx.clerk(request)
        form = await ctx.form(request)
        keys = form.get("keys", "")[:MAX_WEDGE_KEYS]
        produced = await asyncio.to_thread(devices.feed_wedge, keys, end=True)
        return JSONResponse({"events": [e.kind for e in produced]})

    @ui.post("/ui/devices/fake-swipe")
    def fake_swipe(request: Request) -> Response:
        """The demo's swipe button (``kiosk demo`` only): a test card through the fake reader."""
        ctx.clerk(request)
        pan, expiry, name = DEMO_CARD
        try:
            produced = devices.fake_swipe(pan, expiry, name=name)
        except KioskError as exc:
            return JSONResponse({"error": str(exc)}, status_code=409)
        return JSONResponse({"events": [e.kind for e in produced]})

    return ui


__all__ = ["DEMO_CARD", "FakeCardReader", "router", "sse"]
