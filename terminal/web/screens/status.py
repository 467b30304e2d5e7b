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
import contextlib
import json
from collections.abc import AsyncIterator
from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, JSONResponse, Response, StreamingResponse

from drivers.card_reader.fake import FakeCardReader
from terminal.devices import MAX_WEDGE_KEYS, DeviceEvent
from terminal.errors import KioskError
from terminal.web.context import WebContext

#: Seconds between keep-alive comments on an idle stream (a dead client is noticed).
KEEPALIVE_S = 10.0
#: Items a slow page may fall behind by before its stream ends (it reconnects).
BACKLOG = 128
_CHECK_S = 0.5

#: The demo's swipe button: an ordinary Online card of the reference host.
DEMO_CARD = ("4000000000000010", "2812", "DEMO/CARD HOLDER")


def sse(event: str, data: str, *, event_id: int | None = None) -> str:
    """One server-sent event; multi-line data is one ``data:`` line per line."""
    lines = [f"id: {event_id}"] if event_id is not None else []
    lines.append(f"event: {event}")
    lines += [f"data: {line}" for line in data.splitlines() or [""]]
    return "\n".join(lines) + "\n\n"


def device_json(event: DeviceEvent) -> str:
    return json.dumps(event.as_dict(), ensure_ascii=False, sort_keys=True)


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
        loop = asyncio.get_running_loop()
        queue: asyncio.Queue[tuple[str, Any] | None] = asyncio.Queue(maxsize=BACKLOG)

        def enqueue(item: tuple[str, Any] | None) -> None:
            try:
                queue.put_nowait(item)
            except asyncio.QueueFull:
                with contextlib.suppress(asyncio.QueueEmpty):
                    queue.get_nowait()
                queue.put_nowait(None)  # too far behind: end; the page reconnects

        def from_thread(item: tuple[str, Any] | None) -> None:
            with contextlib.suppress(RuntimeError):  # the loop already closed
                loop.call_soon_threadsafe(enqueue, item)

        def on_device(event: DeviceEvent | None) -> None:
            from_thread(None if event is None else ("device", event))

        unsubscribe_devices = devices.subscribe(on_device)
        unsubscribe_status = ctx.feed.subscribe(lambda snap: from_thread(("status", snap)))
        first = await asyncio.to_thread(ctx.feed.latest)

        async def stream() -> AsyncIterator[str]:
            try:
                yield "retry: 2000\n\n"
                yield sse("status", ctx.status_html(first, session.language))
                idle = 0.0
                while not devices.stopped:
                    try:
                        item = await asyncio.wait_for(queue.get(), _CHECK_S)
                    except TimeoutError:
                        if await request.is_disconnected():
                            return
                        idle += _CHECK_S
                        if idle >= KEEPALIVE_S:
                            idle = 0.0
                            yield ": keep-alive\n\n"
                        continue
                    if item is None:
                        return
                    idle = 0.0
                    kind, payload = item
                    if kind == "status":
                        yield sse("status", ctx.status_html(payload, session.language))
                    elif not session.locked:
                        yield sse("device", device_json(payload), event_id=payload.seq)
            finally:
                unsubscribe_devices()
                unsubscribe_status()

        return StreamingResponse(
            stream(),
            media_type="text/event-stream",
            headers={"Cache-Control": "no-store", "X-Accel-Buffering": "no"},
        )

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
