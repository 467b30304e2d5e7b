"""Local API of the counter's devices: status (printer and drawer), events, wedge input, swipe sale.

* ``GET /devices`` -- printer state and cash drawer (DLE EOT), reader and scanner on line.
* ``GET /events`` -- server-sent events, one per reader/scanner event: ``event: <kind>`` and
  ``data: <json>``; card numbers masked, a card carries a ``swipe_id`` instead. The stream
  starts with ``event: ready`` (the device status), so a client knows it will miss nothing
  from then on, and sends a comment every few seconds so a dead client is noticed.
* ``POST /devices/wedge`` -- keystrokes of a keyboard-wedge reader or scanner.
* ``POST /sales/by-swipe`` -- a sale to the card of a ``swipe_id``; the number never crosses
  the API (the body is ``POST /sales``'s with ``card_swipe_id`` in place of ``target``).
* ``POST /devices/fake-swipe`` -- the demo's swipe button; refused outside ``kiosk demo``.
"""

from __future__ import annotations

import json
from collections.abc import AsyncIterator
from typing import Any, Literal

from fastapi import APIRouter, Request
from fastapi.responses import JSONResponse, StreamingResponse
from pydantic import BaseModel, ConfigDict, Field

from terminal.api import SellBody
from terminal.catalog import PRODUCT_TARGETS
from terminal.devices import MAX_WEDGE_KEYS, DeviceEvent, SwipeExpired
from terminal.errors import WrongTargetKind
from terminal.event_stream import EventQueue, event_stream_response, sse
from terminal.kiosk import Kiosk
from terminal.sale import SaleRequest

#: Events a slow screen may fall behind by before its stream is ended (it reconnects).
STREAM_BACKLOG = 256


class WedgeBody(BaseModel):
    """Keystrokes as the screen captured them (any chunking; Enter as ``\\r`` or ``\\n``)."""

    model_config = ConfigDict(extra="forbid")

    keys: str = Field(max_length=MAX_WEDGE_KEYS)
    #: the input field lost focus: settle a pending line now
    end: bool = False


class SwipeSellBody(SellBody):
    """``POST /sales``'s body, the card number replaced by the id of its swipe."""

    card_swipe_id: str = Field(min_length=8, max_length=64, pattern=r"^[A-Za-z0-9_-]+$")
    target: Literal[""] = ""


class FakeSwipeBody(BaseModel):
    """The demo's swipe: a card as a reader would read it, or a deliberately bad read."""

    model_config = ConfigDict(extra="forbid")

    pan: str = Field(pattern=r"^[0-9]{12,19}$")
    expiry: str = Field(default="2812", pattern=r"^[0-9]{4}$")
    #: What track 1 can hold in its name field (ISO/IEC 7813: the 6-bit set, without the
    #: sentinels and the separator); anything else could never come off a stripe.
    name: str = Field(
        default="CARDHOLDER/TEST",
        min_length=2,
        max_length=26,
        pattern=r"^[ -$&->@-\]_a-z]+$",
    )
    corrupt_lrc: bool = False


def sse_message(event: DeviceEvent) -> str:
    return sse(event.kind, event.as_json(), event_id=event.seq)


def router(kiosk: Kiosk) -> APIRouter:
    devices = kiosk.devices
    api = APIRouter()

    @api.get("/devices")
    def device_status() -> dict[str, Any]:
        """Printer state and the cash drawer (read now through DLE EOT), reader and scanner."""
        return devices.status()

    @api.get("/events")
    async def events(request: Request) -> StreamingResponse:
        """Reader, scanner and wedge events as server-sent events, until the client leaves."""
        queue: EventQueue[DeviceEvent] = EventQueue(STREAM_BACKLOG)
        unsubscribe = devices.subscribe(queue.put_threadsafe)
        status = devices.input_status()

        async def stream() -> AsyncIterator[str]:
            try:
                yield "retry: 2000\n"
                yield sse("ready", json.dumps(status, sort_keys=True))
                async for text in queue.relay(
                    request, sse_message, stopped=lambda: devices.stopped
                ):
                    yield text
            finally:
                unsubscribe()

        return event_stream_response(stream())

    @api.post("/devices/wedge")
    def wedge(body: WedgeBody) -> dict[str, Any]:
        """Keyboard-wedge input; the events also go to every event stream."""
        produced = devices.feed_wedge(body.keys, end=body.end)
        return {"events": [e.as_dict() for e in produced]}

    @api.post("/devices/fake-swipe")
    def fake_swipe(body: FakeSwipeBody) -> dict[str, Any]:
        """The demo's swipe button (``kiosk demo`` only)."""
        produced = devices.fake_swipe(
            body.pan, body.expiry, name=body.name, corrupt_lrc=body.corrupt_lrc
        )
        return {"events": [e.as_dict() for e in produced]}

    @api.post("/sales/by-swipe")
    def sell_by_swipe(body: SwipeSellBody) -> JSONResponse:
        """Sell to the card of a swipe; the swipe is used up, whatever the host answers."""
        if PRODUCT_TARGETS.get(body.product) != "card":
            kiosk.config.product(body.product)  # an unknown product says so first
            raise WrongTargetKind(
                f"{body.product} is not sold to a card: type its beneficiary in the sale form."
            )
        fields = body.model_dump(exclude={"card_swipe_id", "target"})
        fields["clerk"] = kiosk.clerks.sale_clerk(body.clerk)
        # A sale refused before anything was recorded gives the swipe back (SaleService.sell).
        request = SaleRequest(target="", **fields)
        result = kiosk.sales.sell(request, swipe_id=body.card_swipe_id)
        return JSONResponse(status_code=200 if result.ok else 409, content=result.to_dict())

    return api


__all__ = ["FakeSwipeBody", "SwipeExpired", "SwipeSellBody", "WedgeBody", "router", "sse_message"]
