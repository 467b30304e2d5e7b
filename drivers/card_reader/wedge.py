"""Keyboard-wedge input: card readers and scanners that "type" into the kiosk's UI.

A wedge device has no port of its own; its characters reach us as keystrokes through the web
UI or the local API, possibly one at a time. :class:`WedgeAssembler` puts them back together.

Why it does not rely on timing to *recognise* input: browsers, remote desktops and loaded
machines deliver keystrokes in bursts or with gaps, so speed is no proof of a device. The
assembler uses the devices' own structure instead: a line ends with Enter (CR or LF), a line
starting with a track sentinel (``%``, ``;``, ``+``) is a swipe and goes through exactly the
same checks as a serial swipe, anything else is a scanned code. The clock is used only to
discard a stale partial line (a swipe cut off before its Enter), so the next input does not get
glued to it.
"""

from __future__ import annotations

# Imported as a module, not a name: drivers.scanner builds on this package, so either may be
# imported first; the attribute is looked up at call time.
import drivers.scanner.codes as scan_codes
from drivers.card_reader.clock import MonotonicClock, SystemMonotonic
from drivers.card_reader.events import ReaderEvent, SwipeFailed
from drivers.card_reader.framing import MAX_FRAME, decode_frame, parse_magtek_line

_CARD_START = ("%", ";", "+")
_OFF_TRACK = "\x7f"  # outside every track's character set: such a track is refused


def _looks_like_card(text: str) -> bool:
    stripped = text.lstrip()
    return stripped.startswith(_CARD_START)


def decode_wedge_line(line: str) -> ReaderEvent | None:
    """One Enter-terminated line of wedge input as an event; ``None`` for a blank line."""
    text = line.strip()
    if not text:
        return None
    if _looks_like_card(text) or text == "E":
        # Keyboard text is Unicode; a character a stripe cannot hold must not be folded into
        # one it can (``?`` is a sentinel), so it becomes an off-set character instead.
        raw = "".join(ch if ord(ch) < 0x80 else _OFF_TRACK for ch in text).encode("ascii")
        frame = parse_magtek_line(raw)
        if frame is None:  # pragma: no cover - a line with a sentinel always frames
            return SwipeFailed("malformed")
        return decode_frame(frame)
    return scan_codes.parse_scan(text)


class WedgeAssembler:
    """Keystrokes in (any chunking), events out: ``CardSwiped``/``SwipeFailed`` or scans."""

    def __init__(
        self,
        *,
        clock: MonotonicClock | None = None,
        inter_key_timeout_s: float = 0.5,
        max_input: int = MAX_FRAME,
    ) -> None:
        self._clock: MonotonicClock = clock or SystemMonotonic()
        self.inter_key_timeout_s = inter_key_timeout_s
        self._max = max_input
        self._buf: list[str] = []
        self._size = 0
        self._last_key: float | None = None
        self._overflowed = False

    def pending(self) -> bool:
        return bool(self._buf) or self._overflowed

    def _stale(self, now: float) -> list[ReaderEvent]:
        if self._last_key is None or now - self._last_key <= self.inter_key_timeout_s:
            return []
        return self._discard()

    def _discard(self) -> list[ReaderEvent]:
        text = "".join(self._buf)
        self._buf.clear()
        self._size = 0
        self._overflowed = False
        if _looks_like_card(text):
            return [SwipeFailed("partial")]
        return []  # a half-typed code is simply dropped; nobody can act on it

    def poll(self) -> list[ReaderEvent]:
        """Check the inter-key timeout without new input (call it from a UI tick)."""
        return self._stale(self._clock.monotonic())

    def feed(self, keys: str) -> list[ReaderEvent]:
        now = self._clock.monotonic()
        events = self._stale(now)
        for key in keys:
            if key in "\r\n":
                if self._overflowed:
                    events.append(SwipeFailed("overflow"))
                    self._overflowed = False
                else:
                    event = decode_wedge_line("".join(self._buf))
                    if event is not None:
                        events.append(event)
                self._buf.clear()
                self._size = 0
                continue
            if self._overflowed:
                continue
            self._buf.append(key)
            self._size += 1
            if self._size > self._max:
                self._buf.clear()
                self._size = 0
                self._overflowed = True
        self._last_key = now
        return events


__all__ = ["WedgeAssembler", "decode_wedge_line"]
