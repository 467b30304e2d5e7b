"""The simulated mechanism of the virtual printer: paper, cover, online, and injected faults.

One condition variable guards it all, so the receive side (answering DLE EOT at once) and the
print side (holding GS r while the printer cannot print) see the same state, and a test that
changes a fault wakes whatever was waiting on it.
"""

from __future__ import annotations

import threading


class FaultState:
    """Paper, cover and link state plus the faults tests and the demo can inject at any time."""

    def __init__(self) -> None:
        self._cond = threading.Condition()
        self._paper_end = False
        self._near_end = False
        self._cover_open = False
        self._offline = False
        self._silent = False
        self._drop_after: int | None = None
        self._seconds_per_line = 0.0
        self._lines_left: int | None = None
        self._drawer_open = False
        self._stopping = False
        #: Automatic Status Back: a 4-byte frame on every status change while on
        self._asb = False
        #: line speed in baud (None: as fast as the link goes)
        self._baud: int | None = None
        #: mechanism speed in mm per second (None: instant)
        self._mm_per_s: float | None = None
        #: bytes sent to the host the moment a GS r arrives (noise around the barrier)
        self._noise_on_gs_r = b""
        #: bytes sent to the host the moment a job starts (ESC @ arrives)
        self._noise_on_init = b""
        self._last_frame = self.asb_frame_locked()

    # -- faults ----------------------------------------------------------------------------
    def _change(self, **fields: object) -> None:
        with self._cond:
            for name, value in fields.items():
                setattr(self, f"_{name}", value)
            self._cond.notify_all()
            self._status_moved()

    def _status_moved(self) -> None:
        """Caller holds the lock: send an ASB frame if ASB is on and the status changed."""
        frame = self.asb_frame_locked()
        if frame != self._last_frame:
            self._last_frame = frame
            if self._asb:
                self._broadcast(frame)

    def _broadcast(self, data: bytes) -> None:
        """Send unasked bytes to every connected host (the server implements it)."""

    def asb(self, on: bool = True) -> None:
        """Automatic Status Back on or off, as the DIP switch or ``GS a n`` sets it."""
        with self._cond:
            self._asb = on
            if on:  # enabling sends the current status at once
                self._last_frame = self.asb_frame_locked()
                self._broadcast(self._last_frame)

    def baud(self, rate: int | None) -> None:
        """Accept bytes no faster than ``rate`` baud (10 bits a byte); None for full speed."""
        if rate is not None and rate <= 0:
            raise ValueError("baud rate must be positive")
        self._change(baud=rate)

    def print_speed(self, mm_per_s: float | None) -> None:
        """Print no faster than ``mm_per_s`` (a slow mechanism); None for instant."""
        if mm_per_s is not None and mm_per_s <= 0:
            raise ValueError("print speed must be positive")
        self._change(mm_per_s=mm_per_s)

    def noise_on_gs_r(self, data: bytes | str) -> None:
        """Send ``data`` (bytes or hex) to the host whenever a GS r arrives, before answering."""
        raw = bytes.fromhex(data) if isinstance(data, str) else bytes(data)
        self._change(noise_on_gs_r=raw)

    def noise_on_init(self, data: bytes | str) -> None:
        """Send ``data`` (bytes or hex) to the host whenever an ESC @ arrives: mid-job noise."""
        raw = bytes.fromhex(data) if isinstance(data, str) else bytes(data)
        self._change(noise_on_init=raw)

    def noise(self, data: bytes | str) -> None:
        """Send ``data`` (bytes or hex) to every connected host now: line noise, stray frames."""
        raw = bytes.fromhex(data) if isinstance(data, str) else bytes(data)
        with self._cond:
            self._broadcast(raw)

    def paper_out(self) -> None:
        """The roll is empty now."""
        self._change(paper_end=True, lines_left=None)

    def paper_out_after(self, lines: int) -> None:
        """Print ``lines`` more lines, then the roll runs out in the middle of whatever prints."""
        if lines < 0:
            raise ValueError("lines must be >= 0")
        self._change(lines_left=lines)

    def load_paper(self) -> None:
        """A fresh roll: paper end and near end clear, held GS r replies are released."""
        self._change(paper_end=False, near_end=False, lines_left=None)

    def paper_near_end(self, near: bool = True) -> None:
        """The near-end sensor trips (printing still allowed)."""
        self._change(near_end=near)

    def open_cover(self) -> None:
        self._change(cover_open=True)

    def close_cover(self) -> None:
        self._change(cover_open=False)

    def go_offline(self) -> None:
        """Offline: status says so, nothing is processed until :meth:`go_online`."""
        self._change(offline=True)

    def go_online(self) -> None:
        self._change(offline=False)

    def silent(self, on: bool = True) -> None:
        """No replies at all (a broken return channel); printing still happens."""
        self._change(silent=on)

    def drop_connection_after(self, nbytes: int) -> None:
        """Close the connection after ``nbytes`` more received bytes (once); the rest is lost."""
        if nbytes < 0:
            raise ValueError("nbytes must be >= 0")
        self._change(drop_after=nbytes)

    def slow(self, seconds_per_line: float) -> None:
        """Take this long for every printed line (a worn head, a huge job)."""
        if seconds_per_line < 0:
            raise ValueError("seconds_per_line must be >= 0")
        self._change(seconds_per_line=seconds_per_line)

    def close_drawer(self) -> None:
        """The clerk pushed the drawer shut."""
        self._change(drawer_open=False)

    def clear_faults(self) -> None:
        """Back to a healthy printer with a full roll and the cover shut."""
        self._change(
            paper_end=False,
            near_end=False,
            cover_open=False,
            offline=False,
            silent=False,
            drop_after=None,
            seconds_per_line=0.0,
            lines_left=None,
            baud=None,
            mm_per_s=None,
            noise_on_gs_r=b"",
            noise_on_init=b"",
        )

    # -- what the printer reports ----------------------------------------------------------
    @property
    def drawer_open(self) -> bool:
        with self._cond:
            return self._drawer_open

    def _can_print(self) -> bool:
        """Caller holds the lock."""
        return not (self._paper_end or self._cover_open or self._offline)

    def state_dict(self) -> dict[str, object]:
        with self._cond:
            return {
                "paper_end": self._paper_end,
                "paper_near_end": self._near_end,
                "cover_open": self._cover_open,
                "offline": self._offline,
                "silent": self._silent,
                "drop_after": self._drop_after,
                "seconds_per_line": self._seconds_per_line,
                "lines_left": self._lines_left,
                "drawer_open": self._drawer_open,
                "asb": self._asb,
                "baud": self._baud,
                "print_speed_mm_s": self._mm_per_s,
                "noise_on_gs_r": self._noise_on_gs_r.hex(" "),
                "noise_on_init": self._noise_on_init.hex(" "),
            }

    def asb_frame_locked(self) -> bytes:
        """The 4-byte ASB frame for the current state (Epson layout); caller holds the lock."""
        b1 = 0x10
        if self._drawer_open:
            b1 |= 0x04
        if not self._can_print():
            b1 |= 0x08
        if self._cover_open:
            b1 |= 0x20
        b2 = 0x40 if self._paper_end else 0x00  # waiting for online recovery after paper end
        b3 = (0x03 if self._near_end else 0) | (0x0C if self._paper_end else 0)
        return bytes([b1, b2, b3, 0x00])

    def dle_eot_reply(self, n: int) -> int | None:
        """The real-time status byte for DLE EOT ``n`` (Epson layout), None if it stays silent."""
        with self._cond:
            if self._silent:
                return None
            value = 0x12
            if n == 1:
                if self._drawer_open:
                    value |= 0x04
                if not self._can_print():
                    value |= 0x08
            elif n == 2:
                if self._cover_open:
                    value |= 0x04
                if self._paper_end:
                    value |= 0x20
            elif n == 4:
                if self._near_end:
                    value |= 0x0C
                if self._paper_end:
                    value |= 0x60
            elif n != 3:
                return None
            return value

    def gs_r_reply(self, n: int) -> int:
        """GS r 1: paper sensor (bits 0-1 near end, 2-3 end); GS r 2: drawer pin 3."""
        with self._cond:
            if n in (2, 50):
                return 0x01 if self._drawer_open else 0x00
            return (0x03 if self._near_end else 0) | (0x0C if self._paper_end else 0)


__all__ = ["FaultState"]
