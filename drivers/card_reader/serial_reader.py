"""The reader thread: pyserial in, events out, and it survives the cable being pulled.

One :class:`SerialInputDevice` serves every serial input device (card readers and barcode
scanners): only the :class:`StreamDecoder` differs. The thread opens the port with
``serial.serial_for_url`` (so ``loop://``, ``socket://`` and ``rfc2217://`` work as well as
``/dev/ttyUSB0``), reads with a short timeout, feeds the decoder and calls ``on_event``.

Why it never gives up: a USB reader at a counter gets unplugged, kicked and replugged. When a
read fails (``SerialException``: EIO, EOF, device gone) the thread reports
:class:`ReaderDisconnected`, turns any half-received swipe into :class:`SwipeFailed`, and
retries opening the configured path every ``reopen_interval_s`` until it is back
(:class:`ReaderConnected`). All waiting is on an ``Event`` with a timeout and reads are
cancelled with ``cancel_read()``, so :meth:`SerialInputDevice.stop` returns at once.
"""

from __future__ import annotations

import contextlib
import logging
import threading
from typing import Any, Protocol

import serial

from drivers.card_reader.errors import ReaderUnavailable
from drivers.card_reader.events import (
    EventCallback,
    ReaderConnected,
    ReaderDisconnected,
    ReaderEvent,
)
from drivers.card_reader.framing import MAX_FRAME, CardStreamDecoder, FramingName
from drivers.settings import Parity
from foundation.clock import MonotonicClock, SystemClock

log = logging.getLogger(__name__)


class StreamDecoder(Protocol):
    """What the serial thread needs from a device's protocol: bytes in, events out."""

    def feed(self, data: bytes) -> list[ReaderEvent]: ...

    def pending(self) -> bool:
        """True while a frame is half received."""
        ...

    def flush(self) -> list[ReaderEvent]:
        """Give up on a half-received frame (stale, or the device went away)."""
        ...

    def reset(self) -> None: ...

    def greeting(self) -> bytes:
        """Bytes to send right after the port opens (an arm command), or ``b""``."""
        ...

    def rearm(self, event: ReaderEvent) -> bytes:
        """Bytes to send after ``event`` was emitted, or ``b""``."""
        ...


class SerialInputDevice:
    """A background thread reading one serial input device into events.

    ``frame_timeout_s`` (measured on ``clock``) discards a frame that stopped arriving half
    way: the reader was unplugged mid-swipe or lost bytes; the clerk is told to swipe again
    instead of the next swipe being glued to the remains of this one.
    """

    def __init__(
        self,
        url: str,
        *,
        decoder: StreamDecoder,
        on_event: EventCallback,
        baudrate: int = 9600,
        bytesize: int = 8,
        parity: Parity = "N",
        stopbits: float = 1,
        reopen_interval_s: float = 1.0,
        read_timeout_s: float = 0.05,
        frame_timeout_s: float = 0.5,
        clock: MonotonicClock | None = None,
        name: str = "serial-input",
    ) -> None:
        self.url = url
        self.decoder = decoder
        self._on_event = on_event
        self._port_settings: dict[str, Any] = {
            "baudrate": baudrate,
            "bytesize": bytesize,
            "parity": parity,
            "stopbits": stopbits,
            "timeout": read_timeout_s,
            "write_timeout": 1.0,
        }
        self.reopen_interval_s = reopen_interval_s
        self.frame_timeout_s = frame_timeout_s
        self._clock: MonotonicClock = clock or SystemClock()
        self._name = name
        self._stop = threading.Event()
        self._lock = threading.Lock()
        self._port: serial.SerialBase | None = None
        self._thread: threading.Thread | None = None

    # -- lifecycle -----------------------------------------------------------------------

    def start(self) -> None:
        """Start the reader thread; events begin with ``ReaderConnected`` or ``...Disconnected``."""
        if self._thread is not None and self._thread.is_alive():
            raise RuntimeError(f"{self._name} on {self.url} is already running")
        self._stop.clear()
        self._thread = threading.Thread(
            target=self._run, name=f"{self._name}:{self.url}", daemon=True
        )
        self._thread.start()

    def stop(self, timeout: float = 5.0) -> None:
        """Stop reading and close the port; returns within a read timeout, not a reopen wait."""
        self._stop.set()
        with self._lock:
            port = self._port
        if port is not None:
            with contextlib.suppress(Exception):
                port.cancel_read()
        if self._thread is not None:
            self._thread.join(timeout)
            if self._thread.is_alive():
                log.warning("%s on %s did not stop within %.1f s", self._name, self.url, timeout)
            self._thread = None

    @property
    def connected(self) -> bool:
        with self._lock:
            return self._port is not None

    def require_connected(self) -> None:
        """Refuse with a clerk message when the device is not on line right now.

        For the screen that says "swipe the card now": better to say at once that the reader
        is unplugged than to wait for a swipe that cannot arrive.
        """
        if not self.connected:
            label = self._name.replace("-", " ")
            raise ReaderUnavailable(
                f"The {label} is not connected: check its cable (the terminal reconnects by "
                "itself) or type the number by hand."
            )

    def __enter__(self) -> SerialInputDevice:
        self.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.stop()

    # -- the thread ----------------------------------------------------------------------

    def _emit(self, event: ReaderEvent) -> None:
        log.debug("%s: %r", self._name, event)
        try:
            self._on_event(event)
        except Exception:
            log.exception("on_event failed for %r; the reader keeps running", event)

    def _run(self) -> None:
        announced_down = False
        while not self._stop.is_set():
            try:
                port = serial.serial_for_url(self.url, **self._port_settings)
            except (serial.SerialException, OSError, ValueError) as exc:
                if not announced_down:
                    self._emit(ReaderDisconnected(self.url, f"cannot open port: {exc}"))
                    announced_down = True
                self._stop.wait(self.reopen_interval_s)
                continue
            announced_down = False
            self.decoder.reset()
            with self._lock:
                self._port = port
            self._emit(ReaderConnected(self.url))
            try:
                reason = self._pump(port)
            finally:
                with self._lock:
                    self._port = None
                with contextlib.suppress(Exception):
                    port.close()
            for event in self.decoder.flush():
                self._emit(event)
            if reason is not None:
                self._emit(ReaderDisconnected(self.url, reason))
                announced_down = True
                self._stop.wait(self.reopen_interval_s)

    def _pump(self, port: serial.SerialBase) -> str | None:
        """Read until stopped (returns None) or the device fails (returns why)."""
        try:
            self._send(port, self.decoder.greeting())
            last_data = self._clock.monotonic()
            while not self._stop.is_set():
                data = port.read(max(1, port.in_waiting))
                now = self._clock.monotonic()
                if data:
                    last_data = now
                    events = self.decoder.feed(data)
                elif self.decoder.pending() and now - last_data >= self.frame_timeout_s:
                    events = self.decoder.flush()
                else:
                    events = []
                for event in events:
                    self._emit(event)
                    self._send(port, self.decoder.rearm(event))
        except (serial.SerialException, OSError) as exc:
            return f"port failed: {exc}"
        return None

    @staticmethod
    def _send(port: serial.SerialBase, data: bytes) -> None:
        if data:
            port.write(data)


class SerialCardReader(SerialInputDevice):
    """A magnetic-stripe reader on a serial port (or USB-serial, or any pyserial URL)."""

    def __init__(
        self,
        url: str,
        *,
        on_event: EventCallback,
        baudrate: int = 9600,
        bytesize: int = 8,
        parity: Parity = "N",
        stopbits: float = 1,
        framing: FramingName = "auto",
        reopen_interval_s: float = 1.0,
        read_timeout_s: float = 0.05,
        frame_timeout_s: float = 0.5,
        clock: MonotonicClock | None = None,
        max_frame: int = MAX_FRAME,
    ) -> None:
        super().__init__(
            url,
            decoder=CardStreamDecoder(framing, max_frame),
            on_event=on_event,
            baudrate=baudrate,
            bytesize=bytesize,
            parity=parity,
            stopbits=stopbits,
            reopen_interval_s=reopen_interval_s,
            read_timeout_s=read_timeout_s,
            frame_timeout_s=frame_timeout_s,
            clock=clock,
            name="card-reader",
        )


__all__ = ["Parity", "SerialCardReader", "SerialInputDevice", "StreamDecoder"]
