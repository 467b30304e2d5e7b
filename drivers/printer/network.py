"""Printer on TCP (port 9100 style): a plain socket.

python-escpos's ``Network`` did no more than open this socket (every read and write here was
already ours), and importing it loads python-escpos's whole rendering side (Pillow, qrcode,
python-barcode, pyusb, pyserial): a status read, and so `kiosk serve`'s first answer, needs
none of that. The job's bytes still come from python-escpos (``escpos_output``).
"""

from __future__ import annotations

import contextlib
import socket
from typing import Any

from drivers.errors import PrinterUnreachable
from drivers.printer.base import LinkBroken, ReadBackPrinter


class NetworkPrinter(ReadBackPrinter):
    """An Ethernet printer, or the virtual printer; every socket wait is bounded."""

    #: a kept connection saves a TCP handshake (and the printer's accept) on every sale
    link_worth_keeping = True

    def __init__(self, host: str, port: int = 9100, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.host = host
        self.port = port
        self._socket: socket.socket | None = None

    def _sock(self) -> socket.socket:
        if self._socket is None:
            raise LinkBroken("not connected")
        return self._socket

    def _connect(self) -> None:
        self._disconnect()
        try:
            sock = socket.create_connection((self.host, self.port), timeout=self.timeout_s)
        except OSError as exc:
            raise PrinterUnreachable(
                f"{self.host}:{self.port}: Could not open socket for {self.host}: {exc}"
            ) from exc
        # status queries and the barrier are 3-byte writes: do not let Nagle hold them back
        with contextlib.suppress(OSError):
            sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        self._socket = sock

    def _link_alive(self) -> bool:
        """Not closed by the printer since the last operation (a peek reads no EOF)."""
        try:
            sock = self._sock()
        except LinkBroken:
            return False
        previous = sock.gettimeout()
        try:
            sock.settimeout(0.0)  # a timeout would make even MSG_DONTWAIT wait
            return sock.recv(1, socket.MSG_PEEK) != b""
        except BlockingIOError:
            return True  # nothing to read: open and quiet
        except OSError:
            return False
        finally:
            with contextlib.suppress(OSError):
                sock.settimeout(previous)

    def _disconnect(self) -> None:
        sock, self._socket = self._socket, None
        if sock is not None:
            with contextlib.suppress(OSError):
                sock.shutdown(socket.SHUT_RDWR)
            with contextlib.suppress(OSError):
                sock.close()

    def _write(self, data: bytes, timeout_s: float | None = None) -> None:
        sock = self._sock()
        try:
            sock.settimeout(self.timeout_s if timeout_s is None else timeout_s)
            sock.sendall(data)
        except OSError as exc:  # includes timeouts: a printer not taking data is not printing
            raise LinkBroken(str(exc) or type(exc).__name__) from exc

    def _read_byte(self, timeout_s: float) -> int | None:
        sock = self._sock()
        try:
            sock.settimeout(timeout_s)
            data = sock.recv(1)
        except TimeoutError:
            return None
        except OSError as exc:
            raise LinkBroken(str(exc) or type(exc).__name__) from exc
        if not data:
            raise LinkBroken("the printer closed the connection")
        return data[0]

    def _drain(self) -> bytes:
        sock = self._sock()
        taken = bytearray()
        try:
            sock.settimeout(0)
            while True:
                try:
                    data = sock.recv(4096)
                except (BlockingIOError, InterruptedError):
                    return bytes(taken)
                if not data:
                    raise LinkBroken("the printer closed the connection")
                taken += data
        except LinkBroken:
            raise
        except OSError as exc:
            raise LinkBroken(str(exc) or type(exc).__name__) from exc


__all__ = ["NetworkPrinter"]
