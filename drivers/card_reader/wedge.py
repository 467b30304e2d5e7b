"""Keyboard-wedge input: card readers and scanners that "type" into the kiosk's UI.

A wedge device has no port of its own; its characters reach us as keystrokes through the web
UI or the local API, possibly one at a time. :class:`WedgeAssembler` puts them back together.

Why it does not rely on timing to *recognise* input: browsers, remote desktops and loaded
machines deliver keystrokes in bursts or with gaps, so speed is no proof of a device. The
assembler uses the devices' own structure instead: a line ends with Enter (CR or LF), a line
starting with a track sentinel (``%``, ``;``, ``+``) is a swipe and goes through exactly the
same checks as a serial swipe, anything else is a scanned code. The clock is used only to
discard a stale partial line (a swipe cut off before its Enter), so the next input does not get
glued to it, and to release a one-track line that no further track followed.
"""

from __future__ import annotations

# Imported as a module, not a name: drivers.scanner builds on this package, so either may be
# imported first; the attribute is looked up at call time.
import drivers.scanner.codes as scan_codes
from drivers.card_reader.events import ReaderEvent, SwipeFailed
from drivers.card_reader.framing import MAX_FRAME, MagtekFraming, decode_frame
from foundation.clock import MonotonicClock, SystemClock

_CARD_START = ("%", ";", "+")
_OFF_TRACK = "\x7f"  # outside every track's character set: such a track is refused


def _looks_like_card(text: str) -> bool:
    stripped = text.lstrip()
    return stripped.startswith(_CARD_START) or stripped == "E"


def _track_bytes(text: str) -> bytes:
    """Keyboard text is Unicode; a character a stripe cannot hold must not be folded into one
    it can (``?`` is a sentinel), so it becomes an off-set character the track check refuses."""
    return "".join(ch if ord(ch) < 0x80 else _OFF_TRACK for ch in text).encode("ascii")


class WedgeAssembler:
    """Keystrokes in (any chunking), events out: ``CardSwiped``/``SwipeFailed`` or scans.

    Card lines go through the same :class:`MagtekFraming` as a serial reader, so a wedge reader
    that types one line per track (ID TECH format) gives one swipe; such a single-track line is
    released by the next line or, if none follows, by :meth:`poll` after the inter-key timeout.
    """

    def __init__(
        self,
        *,
        clock: MonotonicClock | None = None,
        inter_key_timeout_s: float = 0.5,
        max_input: int = MAX_FRAME,
    ) -> None:
        self._clock: MonotonicClock = clock or SystemClock()
        self.inter_key_timeout_s = inter_key_timeout_s
        self._max = max_input
        self._buf: list[str] = []
        self._last_key: float | None = None
        self._overflowed = False
        self._cards = MagtekFraming(max_input)

    def pending(self) -> bool:
        return bool(self._buf) or self._overflowed or self._cards.pending()

    def _stale(self, now: float) -> list[ReaderEvent]:
        if self._last_key is None or now - self._last_key <= self.inter_key_timeout_s:
            return []
        return self.flush()

    def flush(self) -> list[ReaderEvent]:
        """The input ended (field lost focus, end of a capture): settle whatever is pending."""
        self._last_key = None
        text = "".join(self._buf)
        self._buf.clear()
        self._overflowed = False
        events = [decode_frame(f) for f in self._cards.flush()]
        if _looks_like_card(text):
            events.append(SwipeFailed("partial"))
        return events  # a half-typed code is simply dropped; nobody can act on it

    def poll(self) -> list[ReaderEvent]:
        """Apply the inter-key timeout without new input (call it from a UI tick)."""
        return self._stale(self._clock.monotonic())

    def _line(self, text: str) -> list[ReaderEvent]:
        if not text.strip():
            return []
        if _looks_like_card(text):
            return [decode_frame(f) for f in self._cards.feed(_track_bytes(text) + b"\r")]
        events = [decode_frame(f) for f in self._cards.flush()]
        return [*events, scan_codes.parse_scan(text)]

    def feed(self, keys: str) -> list[ReaderEvent]:
        now = self._clock.monotonic()
        events = self._stale(now)
        for key in keys:
            if key in "\r\n":
                if self._overflowed:
                    events.append(SwipeFailed("overflow"))
                    self._overflowed = False
                else:
                    events += self._line("".join(self._buf))
                self._buf.clear()
                continue
            if self._overflowed:
                continue
            self._buf.append(key)
            if len(self._buf) > self._max:
                self._buf.clear()
                self._overflowed = True
        self._last_key = now
        return events


__all__ = ["WedgeAssembler"]
