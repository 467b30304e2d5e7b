"""Printer on TCP (port 9100 style), through python-escpos ``Network``."""

from __future__ import annotations

import contextlib
import socket
from typing import Any

from escpos.exceptions import DeviceNotFoundError
from escpos.printer import Network

from drivers.errors import PrinterUnreachable
from drivers.printer.base import LinkBroken, ReadBackPrinter


class NetworkPrinter(ReadBackPrinter):
    """An Ethernet printer, or the virtual printer; every socket wait is bounded."""

    def __init__(self, host: str, port: int = 9100, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.host = host
        self.port = port
        self._esc: Network | None = None

    def _sock(self) -> socket.socket:
        if self._esc is None or not isinstance(self._esc.device, socket.socket):
            raise LinkBroken("not connected")
        return self._esc.device

    def _connect(self) -> None:
        self._disconnect()
        esc = Network(self.host, self.port, timeout=self.timeout_s, profile=self.profile)
        try:
            esc.open()
        except DeviceNotFoundError as exc:
            esc._device = False
            raise PrinterUnreachable(f"{self.host}:{self.port}: {exc}".replace("\n", " ")) from exc
        sock = esc.device
        if isinstance(sock, socket.socket):
            # status queries and the barrier are 3-byte writes: do not let Nagle hold them back
            with contextlib.suppress(OSError):
                sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        self._esc = esc

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
        esc, self._esc = self._esc, None
        if esc is not None:
            with contextlib.suppress(OSError):
                esc.close()

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
