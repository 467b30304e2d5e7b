"""A card reader without hardware, for the demo and for tests of whatever consumes swipes.

Like pyserial's ``loop://`` or python-escpos' ``Dummy``: it behaves like the real thing at the
boundary. :meth:`FakeCardReader.swipe` encodes the card as a MagTek or MSR605 reader would put
it on the wire and runs those bytes through the very same :class:`CardStreamDecoder` as a
serial reader, so a demo "swipe" passes (or fails) every check a real one does -- including a
wrong LRC or a Luhn failure when asked for one.
"""

from __future__ import annotations

import threading

from drivers.card_reader.errors import ReaderUnavailable
from drivers.card_reader.events import (
    EventCallback,
    ReaderConnected,
    ReaderDisconnected,
    ReaderEvent,
)
from drivers.card_reader.framing import CardStreamDecoder, FramingName
from drivers.card_reader.tracks import track_lrc


def encode_track1(
    pan: str, expiry: str, *, name: str = "CARDHOLDER/TEST", service_code: str = "101"
) -> str:
    """Track 1 text, sentinels included: ``%B<PAN>^<NAME>^<YYMM><SSS>?``."""
    return f"%B{pan}^{name.upper():<2.26}^{expiry}{service_code}?"


def encode_track2(pan: str, expiry: str, *, service_code: str = "101") -> str:
    """Track 2 text, sentinels included: ``;<PAN>=<YYMM><SSS>?``."""
    return f";{pan}={expiry}{service_code}?"


def reader_bytes(
    pan: str,
    expiry: str,
    *,
    name: str = "CARDHOLDER/TEST",
    service_code: str = "101",
    framing: FramingName = "magtek",
    with_lrc: bool = False,
    corrupt_lrc: bool = False,
) -> bytes:
    """What a reader of ``framing`` sends for one swipe of this card."""
    t1 = encode_track1(pan, expiry, name=name, service_code=service_code)
    t2 = encode_track2(pan, expiry, service_code=service_code)
    if framing == "msr605":
        if corrupt_lrc:
            raise ValueError("MSR605-style readers check the LRC themselves and never send it")
        return f"\x1bs\x1b\x01{t1}\x1b\x02{t2}\x1b\x03?\x1c\x1b0".encode("latin-1")
    lrc1 = lrc2 = ""
    if with_lrc or corrupt_lrc:
        lrc1, lrc2 = track_lrc(t1, 1), track_lrc(t2, 2)
        if corrupt_lrc:
            lrc2 = chr(0x30 + ((ord(lrc2) - 0x30) ^ 0x01))
    return f"{t1}{lrc1}{t2}{lrc2}\r".encode("latin-1")


class FakeCardReader:
    """Same lifecycle and events as :class:`SerialCardReader`; swipes come from method calls.

    Events are delivered on the caller's thread, before :meth:`swipe` returns.
    """

    def __init__(self, *, on_event: EventCallback, framing: FramingName = "magtek") -> None:
        if framing == "auto":
            raise ValueError("a fake reader plays one reader: choose 'magtek' or 'msr605'")
        self.port = f"fake://{framing}"
        self._framing: FramingName = framing
        self._on_event = on_event
        self._decoder = CardStreamDecoder(framing)
        self._lock = threading.Lock()
        self._connected = False
        self._started = False

    def start(self) -> None:
        self._started = True
        self.plug()

    def stop(self) -> None:
        with self._lock:
            self._started = False
            self._connected = False

    @property
    def connected(self) -> bool:
        with self._lock:
            return self._connected

    def require_connected(self) -> None:
        if not self.connected:
            raise ReaderUnavailable(
                "The card reader is not connected: check its cable (the terminal reconnects "
                "by itself) or type the number by hand."
            )

    def plug(self) -> None:
        with self._lock:
            if self._connected or not self._started:
                return
            self._connected = True
            self._decoder.reset()
        self._emit(ReaderConnected(self.port))

    def unplug(self) -> None:
        with self._lock:
            if not self._connected:
                return
            self._connected = False
        self._emit(ReaderDisconnected(self.port, "unplugged"))

    def feed(self, raw: bytes) -> list[ReaderEvent]:
        """Bytes as the reader would send them (a recorded capture); returns what was emitted."""
        self.require_connected()
        with self._lock:
            events = self._decoder.feed(raw) + self._decoder.flush()
        for event in events:
            self._emit(event)
        return events

    def swipe(
        self,
        pan: str,
        expiry: str = "2812",
        *,
        name: str = "CARDHOLDER/TEST",
        service_code: str = "101",
        corrupt_lrc: bool = False,
    ) -> list[ReaderEvent]:
        """Swipe a card with these fields; a bad PAN or ``corrupt_lrc`` gives ``SwipeFailed``."""
        return self.feed(
            reader_bytes(
                pan,
                expiry,
                name=name,
                service_code=service_code,
                framing=self._framing,
                with_lrc=True,
                corrupt_lrc=corrupt_lrc,
            )
        )

    def _emit(self, event: ReaderEvent) -> None:
        self._on_event(event)


__all__ = ["FakeCardReader", "encode_track1", "encode_track2", "reader_bytes"]
