"""A barcode / QR scanner on a serial port: CR or CR LF terminated lines.

It reuses the card reader's machinery on purpose -- the same :class:`LineAssembler` (chunking,
bounded buffer) and the same :class:`SerialInputDevice` thread (unplug/replug, stop at once) --
so a fix in either helps both devices.
"""

from __future__ import annotations

from drivers.card_reader.events import EventCallback, ReaderEvent, UnrecognisedScan
from drivers.card_reader.framing import MAX_FRAME, OVERFLOW, LineAssembler
from drivers.card_reader.serial_reader import Parity, SerialInputDevice
from drivers.scanner.codes import parse_scan
from foundation.clock import MonotonicClock


class ScanStreamDecoder:
    """Bytes from a scanner in, scan events out (a :class:`StreamDecoder`)."""

    def __init__(self, max_line: int = MAX_FRAME) -> None:
        self._lines = LineAssembler(max_line)

    def feed(self, data: bytes) -> list[ReaderEvent]:
        events: list[ReaderEvent] = []
        for line in self._lines.feed(data):
            if line is OVERFLOW or not isinstance(line, bytes):
                events.append(
                    UnrecognisedScan(
                        "",
                        "The scanner sent more than any code holds: check its settings "
                        "(it must end each code with Enter/CR) and scan again.",
                    )
                )
                continue
            text = line.decode("utf-8", errors="replace")
            if text.strip():
                events.append(parse_scan(text))
        return events

    def pending(self) -> bool:
        return self._lines.pending()

    def flush(self) -> list[ReaderEvent]:
        """A code that never got its CR is dropped: a half-read code must not be guessed at."""
        self._lines.flush()
        return []

    def reset(self) -> None:
        self._lines.reset()

    def greeting(self) -> bytes:
        return b""

    def rearm(self, event: ReaderEvent) -> bytes:
        return b""


class SerialScanner(SerialInputDevice):
    """A serial (or USB-CDC) barcode/QR scanner; events are scan events plus connect/disconnect."""

    def __init__(
        self,
        url: str,
        *,
        on_event: EventCallback,
        baudrate: int = 9600,
        bytesize: int = 8,
        parity: Parity = "N",
        stopbits: float = 1,
        reopen_interval_s: float = 1.0,
        read_timeout_s: float = 0.05,
        frame_timeout_s: float = 0.5,
        clock: MonotonicClock | None = None,
        max_line: int = MAX_FRAME,
    ) -> None:
        super().__init__(
            url,
            decoder=ScanStreamDecoder(max_line),
            on_event=on_event,
            baudrate=baudrate,
            bytesize=bytesize,
            parity=parity,
            stopbits=stopbits,
            reopen_interval_s=reopen_interval_s,
            read_timeout_s=read_timeout_s,
            frame_timeout_s=frame_timeout_s,
            clock=clock,
            name="scanner",
        )


__all__ = ["ScanStreamDecoder", "SerialScanner"]
