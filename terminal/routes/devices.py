"""Local API of the counter's devices: status (printer and drawer), events, wedge input.

* ``GET /devices`` -- printer state and cash drawer (DLE EOT), reader and scanner on line.
* ``GET /events`` -- server-sent events, one per reader/scanner event: ``event: <kind>`` and
  ``data: <json>``; card numbers masked, a card carries a ``swipe_id`` instead. The stream
  starts with ``event: ready`` (the device status), so a client knows it will miss nothing
  from then on, and sends a comment every few seconds so a dead client is noticed.
* ``POST /devices/wedge`` -- keystrokes of a keyboard-wedge reader or scanner.
* ``POST /devices/fake-swipe`` -- the demo's swipe button; refused outside ``kiosk demo``.

The sale to a swipe's card, ``POST /sales/by-swipe``, is with the other sale in
``terminal.routes.sales``.
"""

from __future__ import annotations

import json
from collections.abc import AsyncIterator

from fastapi import APIRouter, Request
from fastapi.responses import JSONResponse, StreamingResponse
from pydantic import BaseModel, ConfigDict, Field

from terminal.devices import MAX_WEDGE_KEYS, DeviceEvent, SwipeExpired
from terminal.event_stream import EventQueue, event_stream_response, sse
from terminal.kiosk import Kiosk
from terminal.routes.schemas import Model, answer, errors

#: Events a slow screen may fall behind by before its stream is ended (it reconnects).
STREAM_BACKLOG = 256


class WedgeBody(BaseModel):
    """Keystrokes as the screen captured them (any chunking; Enter as ``\\r`` or ``\\n``)."""

    model_config = ConfigDict(extra="forbid")

    keys: str = Field(max_length=MAX_WEDGE_KEYS)
    #: the input field lost focus: settle a pending line now
    end: bool = False


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


class PrinterState(Model):
    """The printer's state and the drawer's, from DLE EOT (``drawer_open`` null: unknown)."""

    model_config = ConfigDict(extra="allow")

    state: str
    can_print: bool
    drawer_open: bool | None
    detail: str | None = None


class InputDevice(Model):
    configured: bool
    connected: bool
    port: str | None


class DeviceStatus(Model):
    printer: PrinterState
    reader: InputDevice
    scanner: InputDevice
    fake_reader: bool


class InputEvent(Model):
    """A reader, scanner or wedge event: ``kind`` names it, its fields follow the driver's
    (``drivers.card_reader.events``); never a card number, a card carries ``swipe_id``."""

    model_config = ConfigDict(extra="allow")

    kind: str
    seq: int
    swipe_id: str | None = None


class InputEvents(Model):
    events: list[InputEvent]


def sse_message(event: DeviceEvent) -> str:
    return sse(event.kind, event.as_json(), event_id=event.seq)


def router(kiosk: Kiosk) -> APIRouter:
    devices = kiosk.devices
    api = APIRouter(tags=["devices"])

    @api.get("/devices", response_model=DeviceStatus, responses=errors())
    def get_devices() -> JSONResponse:
        """Printer state and the cash drawer (read now through DLE EOT), reader and scanner."""
        return answer(devices.status())

    @api.get(
        "/events",
        response_class=StreamingResponse,
        responses={
            200: {
                "description": "`event: <kind>` and `data: <InputEvent as JSON>` per event.",
                "content": {"text/event-stream": {"schema": {"type": "string"}}},
            },
            **errors(),
        },
    )
    async def stream_events(request: Request) -> StreamingResponse:
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

    @api.post("/devices/wedge", response_model=InputEvents, responses=errors())
    def wedge(body: WedgeBody) -> JSONResponse:
        """Keyboard-wedge input; the events also go to every event stream."""
        produced = devices.feed_wedge(body.keys, end=body.end)
        return answer({"events": [e.as_dict() for e in produced]})

    @api.post("/devices/fake-swipe", response_model=InputEvents, responses=errors())
    def fake_swipe(body: FakeSwipeBody) -> JSONResponse:
        """The demo's swipe button (``kiosk demo`` only)."""
        produced = devices.fake_swipe(
            body.pan, body.expiry, name=body.name, corrupt_lrc=body.corrupt_lrc
        )
        return answer({"events": [e.as_dict() for e in produced]})

    return api


__all__ = [
    "DeviceStatus",
    "FakeSwipeBody",
    "InputEvents",
    "SwipeExpired",
    "WedgeBody",
    "router",
    "sse_message",
]
