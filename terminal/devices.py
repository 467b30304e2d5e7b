"""The kiosk process's devices besides the printer: card reader, scanner, wedge input, drawer.

Why one object: the counter screen needs one stream of "something happened at the counter"
whatever the device (a serial reader, a serial scanner, a keyboard-wedge device typing through
the screen, the demo's fake reader). All of them publish into one :class:`EventHub`; this
module turns each event into a :class:`DeviceEvent` for the screen (numbered, PAN masked) and
keeps the card number of the last swipe in memory only, so the sale can use it by id without
the number ever crossing the local API (see :class:`SwipeVault`).

The cash drawer has no port of its own: it hangs on the printer, is opened by the printer's
drawer kick after a confirmed sale (``Counter.open_drawer``) and reports open/closed in
DLE EOT 1, which :func:`printer_status` reads for the clerk.
"""

from __future__ import annotations

import itertools
import json
import logging
import secrets
import threading
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, Protocol

from drivers.card_reader.events import (
    CardSwiped,
    EventHub,
    ReaderEvent,
    ScannedCard,
)
from drivers.card_reader.fake import FakeCardReader
from drivers.card_reader.serial_reader import SerialCardReader, SerialInputDevice
from drivers.card_reader.wedge import WedgeAssembler
from drivers.errors import PrinterError
from drivers.printer.base import ReceiptPrinter
from drivers.scanner.serial_scanner import SerialScanner
from foundation.clock import Clock, SystemClock
from terminal.config import KioskConfig
from terminal.errors import KioskError

log = logging.getLogger(__name__)

#: How long a swiped card number stays usable for a sale. Long enough to type an amount and
#: count cash, short enough that a card left in memory is not sold to by the next customer.
SWIPE_TTL_S = 180.0

#: Longest keystroke chunk the API accepts at once (a swipe of all three tracks is < 230).
MAX_WEDGE_KEYS = 4096


class SwipeExpired(KioskError):
    """The swipe id is unknown, used already, replaced by a newer swipe or too old."""

    code = "swipe_expired"


class NotDemo(KioskError):
    """The fake card reader exists only in ``kiosk demo``."""

    code = "not_demo"


class DemoControls(Protocol):
    """What ``kiosk demo`` lets a person break on purpose: the demo's reference host and virtual
    printer (``kiosk_demo.peers.DemoPeers``). The kiosk holds one only under ``kiosk demo``
    (``Kiosk.demo``) and reaches it through this protocol, never importing the demo."""

    def set_host(self, up: bool) -> dict[str, Any]:
        """Stop the host's listener (connections refused) or start it again; its state after."""
        ...

    def printer_fault(self, name: str) -> dict[str, Any]:
        """Cause or clear a fault of the virtual printer by name; its state after."""
        ...


# -- the drawer, through the printer ---------------------------------------------------------


def printer_status(printer: ReceiptPrinter) -> dict[str, Any]:
    """The printer's state and the cash drawer's, from DLE EOT (1: drawer, 1-4: state).

    A printer that does not answer gives ``drawer_open: None``: the drawer's state is then
    unknown, and showing "closed" would tell the clerk something nobody measured.
    """
    try:
        status = printer.status()
    except PrinterError as exc:
        return {"state": "unknown", "can_print": False, "drawer_open": None, "detail": str(exc)}
    if status.state == "unknown":
        return {
            "state": "unknown",
            "can_print": False,
            "drawer_open": None,
            "detail": status.detail,
        }
    return {
        "state": status.state,
        "can_print": status.can_print,
        "drawer_open": status.drawer_open,
        "detail": status.detail,
    }


# -- swiped card numbers ---------------------------------------------------------------------


@dataclass(frozen=True, repr=False)
class HeldCard:
    """A card number from a swipe or a voucher scan, held for one sale."""

    swipe_id: str
    pan: str
    last4: str
    at_monotonic: float

    def __repr__(self) -> str:  # never the number in a log line
        return f"HeldCard(swipe_id={self.swipe_id!r}, last4={self.last4!r})"


class SwipeVault:
    """The last card number read at this counter, usable once by its id, for a short time.

    Why only the last one: the counter serves one customer at a time, so an older swipe can
    only be a mistake (the previous customer's card). Why an unguessable id: it is the only
    handle the screen holds, and the API token already guards it; the number itself never
    leaves the process.
    """

    def __init__(self, clock: Clock, ttl_s: float = SWIPE_TTL_S) -> None:
        self._clock = clock
        self._ttl_s = ttl_s
        self._lock = threading.Lock()
        self._held: HeldCard | None = None

    def hold(self, pan: str, last4: str) -> str:
        swipe_id = secrets.token_urlsafe(12)
        with self._lock:
            self._held = HeldCard(swipe_id, pan, last4, self._clock.monotonic())
        return swipe_id

    def take(self, swipe_id: str) -> HeldCard:
        """The card of ``swipe_id``, removed from memory; :class:`SwipeExpired` otherwise."""
        with self._lock:
            held = self._held
            if held is None or not secrets.compare_digest(held.swipe_id, swipe_id):
                raise SwipeExpired(
                    "This card swipe is no longer available (used, replaced by a newer swipe, "
                    "or the terminal restarted): swipe the card again."
                )
            self._held = None
        if self._clock.monotonic() - held.at_monotonic > self._ttl_s:
            raise SwipeExpired(
                f"The card was swiped more than {int(self._ttl_s)} seconds ago: swipe it again."
            )
        return held

    def give_back(self, held: HeldCard) -> None:
        """Return a card whose sale was refused before anything was recorded (a typo in the
        amount), unless a newer card arrived meanwhile: the clerk fixes the form, not the swipe.
        """
        with self._lock:
            if self._held is None:
                self._held = held

    def forget(self) -> None:
        with self._lock:
            self._held = None


# -- events for the screen -------------------------------------------------------------------


@dataclass(frozen=True)
class DeviceEvent:
    """One event as the screen sees it: numbered, and a card carries a ``swipe_id``."""

    seq: int
    event: ReaderEvent
    swipe_id: str | None = None

    @property
    def kind(self) -> str:
        return self.event.kind

    def as_dict(self) -> dict[str, Any]:
        """The driver's own JSON (masked) plus the sequence number and the swipe id."""
        data = self.event.as_dict()
        data["seq"] = self.seq
        if self.swipe_id is not None:
            data["swipe_id"] = self.swipe_id
        return data

    def as_json(self) -> str:
        """:meth:`as_dict` as one line of JSON, as the event streams send it."""
        return json.dumps(self.as_dict(), ensure_ascii=False, sort_keys=True)


#: A stream subscriber; ``None`` means the devices stopped and the stream must end.
StreamCallback = Callable[[DeviceEvent | None], None]


def _device_status(device: SerialInputDevice | None) -> dict[str, Any]:
    if device is None:
        return {"configured": False, "connected": False, "port": None}
    return {"configured": True, "connected": device.connected, "port": device.url}


class Devices:
    """Reader, scanner, wedge input and (in the demo) the fake reader of one kiosk process.

    Built with the :class:`~terminal.kiosk.Kiosk` (nothing opens then), started by ``kiosk
    serve``/``demo`` and stopped on close. Serial devices keep retrying a missing port by
    themselves, so a reader that is unplugged at start-up never stops the terminal from selling.
    """

    def __init__(
        self, config: KioskConfig, printer: ReceiptPrinter, *, clock: Clock | None = None
    ) -> None:
        self.config = config
        self.printer = printer
        self.hub = EventHub()
        self.vault = SwipeVault(clock or SystemClock())
        self.reader: SerialCardReader | None = None
        self.scanner: SerialScanner | None = None
        self.fake_reader: FakeCardReader | None = None
        self._wedge = WedgeAssembler()
        self._wedge_lock = threading.Lock()
        self._seq = itertools.count(1)
        self._lock = threading.Lock()
        self._streams: list[StreamCallback] = []
        self._stopped = threading.Event()
        self._ticker: threading.Thread | None = None
        self._started = False
        self.hub.subscribe(self._on_event)
        rc = config.reader
        if rc is not None:
            self.reader = SerialCardReader(
                rc.url,
                on_event=self.hub,
                baudrate=rc.baudrate,
                bytesize=rc.bytesize,
                parity=rc.parity,
                stopbits=rc.stopbits,
                framing=rc.framing,
            )
        sc = config.scanner
        if sc is not None:
            self.scanner = SerialScanner(
                sc.url,
                on_event=self.hub,
                baudrate=sc.baudrate,
                bytesize=sc.bytesize,
                parity=sc.parity,
                stopbits=sc.stopbits,
            )

    # -- life cycle -------------------------------------------------------------------------

    @property
    def demo(self) -> bool:
        return self.fake_reader is not None

    def start(self, *, demo: bool = False) -> None:
        """Open the configured devices (their threads wait for missing ports); ``demo`` adds
        the fake reader behind ``POST /api/v1/devices/fake-swipe``."""
        with self._lock:
            if self._started:
                raise RuntimeError("the devices are already running")
            self._started = True
            self._stopped.clear()
        if demo:
            self.fake_reader = FakeCardReader(on_event=self.hub)
            self.fake_reader.start()
        for device in (self.reader, self.scanner):
            if device is not None:
                device.start()
        self._ticker = threading.Thread(target=self._tick, name="wedge-ticker", daemon=True)
        self._ticker.start()

    def stop(self) -> None:
        """Close the ports, forget any held card number and end every event stream.

        Ending the streams first matters: the API server waits for open responses before it
        stops, and a screen's event stream never ends by itself.
        """
        self._stopped.set()
        with self._lock:
            streams, self._streams = list(self._streams), []
            started, self._started = self._started, False
        for callback in streams:
            self._deliver(callback, None)
        if not started:
            return
        for device in (self.reader, self.scanner):
            if device is not None:
                device.stop()
        if self.fake_reader is not None:
            self.fake_reader.stop()
            self.fake_reader = None
        if self._ticker is not None:
            self._ticker.join(5.0)
            self._ticker = None
        self.vault.forget()

    @property
    def stopped(self) -> bool:
        return self._stopped.is_set()

    def _tick(self) -> None:
        """Settle wedge input that stopped mid-line (the inter-key timeout needs a clock tick)."""
        interval = self._wedge.inter_key_timeout_s / 2
        while not self._stopped.wait(interval):
            with self._wedge_lock:
                events = self._wedge.poll()
            for event in events:
                self.hub.publish(event)

    # -- input --------------------------------------------------------------------------------

    def feed_wedge(self, keys: str, *, end: bool = False) -> list[DeviceEvent]:
        """Keystrokes of a keyboard-wedge reader or scanner, as the screen captured them.

        ``end`` says the input is over (the field lost focus): whatever is pending is settled
        now instead of after the inter-key timeout. Returns what these keys produced.
        """
        with self._wedge_lock:
            events = self._wedge.feed(keys)
            if end:
                events += self._wedge.flush()
            # Published under the lock, so two chunks of one swipe keep their order.
            return self._publish_all(events)

    def fake_swipe(
        self, pan: str, expiry: str, *, name: str, corrupt_lrc: bool = False
    ) -> list[DeviceEvent]:
        """The demo's swipe button: encoded and decoded exactly as a real reader's swipe."""
        fake = self.fake_reader
        if fake is None:
            raise NotDemo(
                "There is no fake card reader here: it exists only in `kiosk demo`. Swipe the "
                "card on the counter's reader."
            )
        seen: list[DeviceEvent] = []
        unsubscribe = self._subscribe_local(seen.append)
        try:
            events = fake.swipe(pan, expiry, name=name, corrupt_lrc=corrupt_lrc)
        finally:
            unsubscribe()
        return [e for e in seen if any(e.event is x for x in events)]

    def _publish_all(self, events: list[ReaderEvent]) -> list[DeviceEvent]:
        """Publish through the hub (every consumer sees wedge input like serial input) and
        return what the screen got for exactly these events."""
        seen: list[DeviceEvent] = []
        unsubscribe = self._subscribe_local(seen.append)
        try:
            for event in events:
                self.hub.publish(event)
        finally:
            unsubscribe()
        return [e for e in seen if any(e.event is x for x in events)]

    # -- output ---------------------------------------------------------------------------

    def subscribe(self, callback: StreamCallback) -> Callable[[], None]:
        """Receive every following :class:`DeviceEvent`; ``None`` once the devices stop."""
        with self._lock:
            self._streams.append(callback)

        def unsubscribe() -> None:
            with self._lock:
                if callback in self._streams:
                    self._streams.remove(callback)

        return unsubscribe

    def _subscribe_local(self, sink: Callable[[DeviceEvent], None]) -> Callable[[], None]:
        def callback(event: DeviceEvent | None) -> None:
            if event is not None:
                sink(event)

        return self.subscribe(callback)

    def _on_event(self, event: ReaderEvent) -> None:
        """The hub's subscriber: hold a card number, number the event, hand it to streams."""
        swipe_id: str | None = None
        if isinstance(event, CardSwiped):
            swipe_id = self.vault.hold(event.swipe.pan, event.swipe.last4)
        elif isinstance(event, ScannedCard):
            swipe_id = self.vault.hold(event.pan, event.last4)
        device_event = DeviceEvent(next(self._seq), event, swipe_id)
        with self._lock:
            streams = list(self._streams)
        for callback in streams:
            self._deliver(callback, device_event)

    @staticmethod
    def _deliver(callback: StreamCallback, event: DeviceEvent | None) -> None:
        try:
            callback(event)
        except Exception:
            log.exception("a device event subscriber failed on %r", event)

    # -- status ---------------------------------------------------------------------------

    def status(self) -> dict[str, Any]:
        """What the status bar shows about the counter's devices (the printer is asked now)."""
        return {"printer": printer_status(self.printer), **self.input_status()}

    def input_status(self) -> dict[str, Any]:
        """Reader and scanner only: answered at once, without waiting for the printer."""
        return {
            "reader": _device_status(self.reader),
            "scanner": _device_status(self.scanner),
            "fake_reader": self.demo,
        }


__all__ = [
    "SWIPE_TTL_S",
    "DeviceEvent",
    "Devices",
    "HeldCard",
    "NotDemo",
    "SwipeExpired",
    "SwipeVault",
    "printer_status",
]
