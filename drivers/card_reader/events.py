"""What the card reader and the scanner tell the rest of the kiosk.

Small frozen dataclasses, one per thing that happened, each with a ``kind`` and ``to_json()``
so the CLI, the local API and the web UI can stream them as JSON lines. The full card number
lives only on the in-memory :class:`~drivers.card_reader.tracks.CardSwipe` handed to the sale;
``repr()``, ``str()`` and ``to_json()`` show the last four digits and a masked number, so a log
line or an event stream can never leak a PAN.
"""

from __future__ import annotations

import json
import logging
import re
import threading
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, ClassVar

from drivers.card_reader.errors import SWIPE_AGAIN
from drivers.card_reader.tracks import CardSwipe, mask_pan

log = logging.getLogger(__name__)

_LONG_DIGITS = re.compile(r"\d{12,}")


def mask_digit_runs(text: str) -> str:
    """Mask every run of 12+ digits (a possible card number) down to its last four."""
    return _LONG_DIGITS.sub(lambda m: mask_pan(m.group(0)), text)


@dataclass(frozen=True)
class ReaderEvent:
    """Base of every reader/scanner event."""

    kind: ClassVar[str] = "reader_event"

    def as_dict(self) -> dict[str, Any]:
        """JSON-ready fields; subclasses list theirs. Never a full card number."""
        return {"kind": self.kind}

    def to_json(self) -> str:
        return json.dumps(self.as_dict(), ensure_ascii=False, sort_keys=True)


@dataclass(frozen=True)
class CardSwiped(ReaderEvent):
    """A swipe that passed every check (sentinels, LRC, Luhn, track cross-check)."""

    kind: ClassVar[str] = "card_swiped"
    swipe: CardSwipe

    def as_dict(self) -> dict[str, Any]:
        s = self.swipe
        return {
            "kind": self.kind,
            "last4": s.last4,
            "masked": s.masked,
            "expiry": s.expiry,
            "service_code": s.service_code,
            "name": s.name,
            "tracks_present": list(s.tracks_present),
        }


@dataclass(frozen=True)
class SwipeFailed(ReaderEvent):
    """A swipe that must not be used; the clerk asks for another swipe."""

    kind: ClassVar[str] = "swipe_failed"
    reason: str
    message: str = SWIPE_AGAIN

    def as_dict(self) -> dict[str, Any]:
        return {"kind": self.kind, "reason": self.reason, "message": self.message}


@dataclass(frozen=True)
class ReaderConnected(ReaderEvent):
    """The port opened (at start or after a replug); swipes can be read again."""

    kind: ClassVar[str] = "reader_connected"
    port: str

    def as_dict(self) -> dict[str, Any]:
        return {"kind": self.kind, "port": self.port}


@dataclass(frozen=True)
class ReaderDisconnected(ReaderEvent):
    """The port is gone or cannot be opened; the driver keeps retrying by itself."""

    kind: ClassVar[str] = "reader_disconnected"
    port: str
    reason: str
    message: str = "Reader is not connected: check its cable; the terminal reconnects by itself."

    def as_dict(self) -> dict[str, Any]:
        return {
            "kind": self.kind,
            "port": self.port,
            "reason": self.reason,
            "message": self.message,
        }


@dataclass(frozen=True)
class SignOn(ReaderEvent):
    """The banner a reader prints at power-up (model, firmware); shown in diagnostics."""

    kind: ClassVar[str] = "sign_on"
    text: str

    def as_dict(self) -> dict[str, Any]:
        return {"kind": self.kind, "text": self.text}


@dataclass(frozen=True)
class ScannedTransaction(ReaderEvent):
    """The QR code of one of our slips: the 14-digit transaction number (look-up, storno)."""

    kind: ClassVar[str] = "scanned_transaction"
    txn: str

    def as_dict(self) -> dict[str, Any]:
        return {"kind": self.kind, "txn": self.txn}


@dataclass(frozen=True)
class ScannedCard(ReaderEvent):
    """A card number read from a card voucher's barcode (Luhn-checked)."""

    kind: ClassVar[str] = "scanned_card"
    pan: str
    last4: str

    @property
    def masked(self) -> str:
        return mask_pan(self.pan)

    def __repr__(self) -> str:
        return f"ScannedCard(masked={self.masked!r}, last4={self.last4!r})"

    __str__ = __repr__

    def as_dict(self) -> dict[str, Any]:
        return {"kind": self.kind, "last4": self.last4, "masked": self.masked}


@dataclass(frozen=True)
class UnrecognisedScan(ReaderEvent):
    """A code we do not know; ``text`` has any long digit run masked."""

    kind: ClassVar[str] = "unrecognised_scan"
    text: str
    message: str = (
        "This code is neither a slip's transaction number nor a card voucher: "
        "scan the QR code on the slip or the barcode on the card voucher."
    )

    def as_dict(self) -> dict[str, Any]:
        return {"kind": self.kind, "text": self.text, "message": self.message}


EventCallback = Callable[[ReaderEvent], None]


class EventHub:
    """Thread-safe fan-out of events to any number of subscribers.

    Pass the hub itself as a driver's ``on_event``. A subscriber that raises is logged and
    skipped: one broken screen must not stop the reader thread or the other subscribers.
    """

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._subscribers: list[EventCallback] = []

    def subscribe(self, callback: EventCallback) -> Callable[[], None]:
        """Add ``callback``; returns the function that removes it again."""
        with self._lock:
            self._subscribers.append(callback)

        def unsubscribe() -> None:
            with self._lock:
                if callback in self._subscribers:
                    self._subscribers.remove(callback)

        return unsubscribe

    def publish(self, event: ReaderEvent) -> None:
        with self._lock:
            subscribers = list(self._subscribers)
        for callback in subscribers:
            try:
                callback(event)
            except Exception:
                log.exception("event subscriber failed on %r", event)

    __call__ = publish


__all__ = [
    "CardSwiped",
    "EventCallback",
    "EventHub",
    "ReaderConnected",
    "ReaderDisconnected",
    "ReaderEvent",
    "ScannedCard",
    "ScannedTransaction",
    "SignOn",
    "SwipeFailed",
    "UnrecognisedScan",
    "mask_digit_runs",
]
