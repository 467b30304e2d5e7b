"""Split what the printer sends back into the distinct messages ESC/POS defines.

A reply byte alone proves nothing: the ``GS r 1`` answer "paper present" is ``0x00``, and so
are bytes 2-4 of every Automatic Status Back (ASB) frame and the commonest line noise. So the
stream is parsed, never sampled: each byte is either the start of a message whose layout it
matches or *unexpected*, and the print barrier treats anything unexpected as a failed proof.

Layouts (Epson ESC/POS reference, TM-T88 class):

- ASB frame: 4 bytes; byte 1 is ``0xx1xx00`` (bit 4 set, bits 0, 1 and 7 clear), bytes 2-4
  have bits 4 and 7 clear. Sent unasked on every status change while ASB is on.
- Real-time status (``DLE EOT n``): 1 byte ``0xx1xx10`` (bits 1 and 4 set, bits 0, 7 clear).
- ``GS r n`` and ``GS I 1..3``: 1 byte with bits 4 and 7 clear, answered in order.
- ``GS I 65..69`` (maker, model, ...): a block ``0x5F <text> 0x00``, answered in order.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Literal

MessageKind = Literal["asb", "realtime", "single", "block", "unexpected"]

#: GS a 0: switch Automatic Status Back off (ESC @ does not).
ASB_OFF = b"\x1da\x00"
#: Start of a GS I 65..69 text block.
BLOCK_HEADER = 0x5F
#: Longest text block we accept (Epson's are at most 80 bytes).
BLOCK_MAX = 80

_ASB_MASK, _ASB_VALUE = 0b1001_0011, 0b0001_0000
_RT_MASK, _RT_VALUE = 0b1001_0011, 0b0001_0010
_SINGLE_MASK = 0b1001_0000


@dataclass(frozen=True)
class Message:
    """One parsed reply; ``data`` is the frame (4 bytes), the byte, or the block text."""

    kind: MessageKind
    data: bytes

    @property
    def value(self) -> int:
        return self.data[0]


@dataclass(frozen=True)
class AsbFrame:
    """An ASB frame decoded to what the barrier cares about."""

    offline: bool
    cover_open: bool
    error: bool
    paper_end: bool
    near_end: bool

    @classmethod
    def decode(cls, frame: bytes) -> AsbFrame:
        b1, b2, b3 = frame[0], frame[1], frame[2]
        return cls(
            offline=bool(b1 & 0x08),
            cover_open=bool(b1 & 0x20),
            error=bool(b2 & 0x2C),  # autocutter, unrecoverable, auto-recoverable
            paper_end=bool(b3 & 0x0C) or bool(b2 & 0x40),
            near_end=bool(b3 & 0x03),
        )

    @property
    def stopped(self) -> bool:
        return self.offline or self.cover_open or self.error or self.paper_end


def is_asb_start(value: int) -> bool:
    return value & _ASB_MASK == _ASB_VALUE


def is_realtime(value: int) -> bool:
    return value & _RT_MASK == _RT_VALUE


def is_single(value: int) -> bool:
    return value & _SINGLE_MASK == 0


class ReplyReader:
    """Reads whole messages from a byte source; a truncated message is unexpected, not late.

    ``read_byte(timeout)`` returns one byte or None after ``timeout`` seconds. Once a message
    has started, the rest of it must follow within ``inner_timeout_s`` (a printer sends a frame
    in one go), otherwise the partial bytes come back as an unexpected message.
    """

    def __init__(
        self, read_byte: Callable[[float], int | None], inner_timeout_s: float = 0.5
    ) -> None:
        self._read_byte = read_byte
        self.inner_timeout_s = inner_timeout_s

    def read(self, timeout_s: float) -> Message | None:
        first = self._read_byte(timeout_s)
        if first is None:
            return None
        if is_realtime(first):
            return Message("realtime", bytes([first]))
        if is_asb_start(first):
            return self._rest(first, 3, "asb", lambda b: is_single(b))
        if first == BLOCK_HEADER:
            return self._block()
        if is_single(first):
            return Message("single", bytes([first]))
        return Message("unexpected", bytes([first]))

    def _rest(self, first: int, n: int, kind: MessageKind, ok: Callable[[int], bool]) -> Message:
        got = bytearray([first])
        for _ in range(n):
            value = self._read_byte(self.inner_timeout_s)
            if value is None:
                return Message("unexpected", bytes(got))
            got.append(value)
            if not ok(value):
                return Message("unexpected", bytes(got))
        return Message(kind, bytes(got))

    def _block(self) -> Message:
        got = bytearray()
        while len(got) <= BLOCK_MAX:
            value = self._read_byte(self.inner_timeout_s)
            if value is None:
                return Message("unexpected", bytes([BLOCK_HEADER]) + bytes(got))
            if value == 0:
                return Message("block", bytes(got))
            if not 0x20 <= value < 0x7F:
                return Message("unexpected", bytes([BLOCK_HEADER]) + bytes(got) + bytes([value]))
            got.append(value)
        return Message("unexpected", bytes([BLOCK_HEADER]) + bytes(got))


__all__ = [
    "ASB_OFF",
    "AsbFrame",
    "Message",
    "ReplyReader",
    "is_asb_start",
    "is_realtime",
    "is_single",
]
