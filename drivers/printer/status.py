"""Decode the printer's own status bytes (DLE EOT 1-4 and GS r 1) with Epson's bit layouts.

We read and decode these ourselves because python-escpos's ``paper_status()`` and
``is_online()`` report "OK" when the printer stays silent; here silence or a byte that does not
carry the fixed bit pattern is ``unknown``, never fit to print.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Literal

StatusState = Literal["ready", "paper_out", "paper_near_end", "cover_open", "offline", "unknown"]

#: DLE EOT n: real-time status, answered at once, even while the printer is stopped.
DLE_EOT = b"\x10\x04"
#: GS r 1: paper sensor status, answered only after everything sent before it was processed.
GS_R_PAPER = b"\x1d\x72\x01"

#: DLE EOT replies: bit 1 and bit 4 set, bits 0 and 7 clear.
_RT_FIXED_MASK = 0b1001_0011
_RT_FIXED_VALUE = 0b0001_0010
#: GS r 1 replies: bits 4 and 7 fixed at 0 (bits 5, 6 reserved) - the other kind of byte.
_GSR_FIXED_MASK = 0b1001_0000


def bit(value: int, n: int) -> bool:
    return bool(value >> n & 1)


def is_realtime_status_byte(value: int) -> bool:
    """True for a byte shaped like a DLE EOT reply (so it cannot be a GS r reply)."""
    return value & _RT_FIXED_MASK == _RT_FIXED_VALUE


def is_paper_sensor_reply(value: int) -> bool:
    """True for a byte shaped like a GS r 1 reply (bit 4 clear distinguishes it from DLE EOT)."""
    return value & _GSR_FIXED_MASK == 0


@dataclass(frozen=True)
class PaperSensor:
    """A decoded GS r 1 reply: the proof byte of the print barrier."""

    raw: int
    near_end: bool
    paper_end: bool


def decode_paper_reply(value: int) -> PaperSensor | None:
    """Decode GS r 1 (bits 0,1 near end; bits 2,3 paper end); ``None`` if it is not one."""
    if not 0 <= value <= 255 or not is_paper_sensor_reply(value):
        return None
    return PaperSensor(raw=value, near_end=bool(value & 0x03), paper_end=bool(value & 0x0C))


@dataclass(frozen=True)
class PrinterStatus:
    """What the printer said about itself, decoded; ``can_print`` is the only gate for a job."""

    state: StatusState
    online: bool = False
    cover_open: bool = False
    paper_end: bool = False
    paper_near_end: bool = False
    recoverable_error: bool = False
    unrecoverable_error: bool = False
    auto_recoverable_error: bool = False
    drawer_open: bool = False
    raw: dict[int, int | None] = field(default_factory=dict)
    detail: str = ""

    @property
    def can_print(self) -> bool:
        return self.state in ("ready", "paper_near_end")

    def as_dict(self) -> dict[str, object]:
        """JSON-ready form for the CLI and the local API."""
        return {
            "state": self.state,
            "can_print": self.can_print,
            "online": self.online,
            "cover_open": self.cover_open,
            "paper_end": self.paper_end,
            "paper_near_end": self.paper_near_end,
            "recoverable_error": self.recoverable_error,
            "unrecoverable_error": self.unrecoverable_error,
            "auto_recoverable_error": self.auto_recoverable_error,
            "drawer_open": self.drawer_open,
            "raw": {str(n): v for n, v in sorted(self.raw.items())},
            "detail": self.detail,
        }


def unknown_status(raw: dict[int, int | None], detail: str) -> PrinterStatus:
    return PrinterStatus(state="unknown", raw=dict(raw), detail=detail)


def decode_status(raw: dict[int, int | None]) -> PrinterStatus:
    """Decode the four DLE EOT replies (keys 1-4); anything missing or malformed is unknown."""
    for n in (1, 2, 3, 4):
        value = raw.get(n)
        if value is None:
            return unknown_status(raw, f"the printer did not answer status query {n}")
        if not 0 <= value <= 255 or not is_realtime_status_byte(value):
            return unknown_status(raw, f"status query {n} got an invalid reply 0x{value:02x}")
    s1, s2, s3, s4 = (raw[1] or 0), (raw[2] or 0), (raw[3] or 0), (raw[4] or 0)
    online = not bit(s1, 3)
    drawer_open = bit(s1, 2)
    cover_open = bit(s2, 2)
    stopped_by_paper_end = bit(s2, 5)
    error_occurred = bit(s2, 6)
    recoverable = bit(s3, 2)
    unrecoverable = bit(s3, 3)
    auto_recoverable = bit(s3, 5)
    near_end = bit(s4, 2) or bit(s4, 3)
    paper_end = bit(s4, 5) or bit(s4, 6) or stopped_by_paper_end

    state: StatusState
    if cover_open:
        state, detail = "cover_open", "The printer cover is open."
    elif paper_end:
        state, detail = "paper_out", "The printer is out of paper."
    elif unrecoverable:
        state, detail = "offline", "The printer has an unrecoverable error: call service."
    elif recoverable:
        state, detail = "offline", "The printer stopped with an error (cutter or jam)."
    elif auto_recoverable or error_occurred or not online:
        state, detail = "offline", "The printer is offline."
    elif near_end:
        state, detail = "paper_near_end", "The paper roll is nearly finished: have a new one ready."
    else:
        state, detail = "ready", "The printer is ready."
    return PrinterStatus(
        state=state,
        online=online,
        cover_open=cover_open,
        paper_end=paper_end,
        paper_near_end=near_end,
        recoverable_error=recoverable,
        unrecoverable_error=unrecoverable,
        auto_recoverable_error=auto_recoverable,
        drawer_open=drawer_open,
        raw=dict(raw),
        detail=detail,
    )


__all__ = [
    "DLE_EOT",
    "GS_R_PAPER",
    "PaperSensor",
    "PrinterStatus",
    "StatusState",
    "decode_paper_reply",
    "decode_status",
    "is_paper_sensor_reply",
    "is_realtime_status_byte",
    "unknown_status",
]
