"""A device at the far end of a real pseudo-terminal, for the serial reader tests.

The driver opens ``link`` (a symlink in tmp_path) with pyserial exactly as it would open
``/dev/ttyUSB0``; the test plays the device by writing recorded frames to the master fd.
``unplug()`` closes the master (the driver's read fails with EIO) and ``replug()`` creates a
new pty pair and re-points the symlink at it, as udev does with a stable by-id link.
"""

from __future__ import annotations

import os
import queue
import select
import tty
from pathlib import Path
from typing import TypeVar

from drivers.card_reader.events import ReaderEvent

TIMEOUT_S = 10.0
E = TypeVar("E", bound=ReaderEvent)


class PtyPeer:
    def __init__(self, tmp_path: Path) -> None:
        self.link = tmp_path / "ttyREADER"
        self.master = -1
        self.replug()

    def replug(self) -> None:
        master, slave = os.openpty()
        tty.setraw(slave)  # no echo, no CR->LF: the line is raw before the driver opens it
        slave_path = os.ttyname(slave)
        os.close(slave)
        tmp = self.link.with_suffix(".new")
        tmp.unlink(missing_ok=True)
        tmp.symlink_to(slave_path)
        os.replace(tmp, self.link)
        self.master = master

    def write(self, data: bytes) -> None:
        os.write(self.master, data)

    def read_exactly(self, count: int, timeout: float = TIMEOUT_S) -> bytes:
        """What the driver sent to the device (e.g. the MSR605 arm command)."""
        got = b""
        while len(got) < count:
            ready, _, _ = select.select([self.master], [], [], timeout)
            if not ready:
                raise AssertionError(f"device received only {got!r}, expected {count} bytes")
            got += os.read(self.master, count - len(got))
        return got

    def unplug(self) -> None:
        if self.master >= 0:
            os.close(self.master)
            self.master = -1

    def close(self) -> None:
        self.unplug()


def next_event(events: queue.Queue[ReaderEvent], timeout: float = TIMEOUT_S) -> ReaderEvent:
    try:
        return events.get(timeout=timeout)
    except queue.Empty:
        raise AssertionError(f"no event within {timeout} s") from None


def expect(events: queue.Queue[ReaderEvent], kind: type[E], timeout: float = TIMEOUT_S) -> E:
    event = next_event(events, timeout)
    assert isinstance(event, kind), f"expected {kind.__name__}, got {event!r}"
    return event
