"""Printer on a serial port (RS-232 or USB-serial), through python-escpos ``Serial``."""

from __future__ import annotations

import contextlib
from typing import Any

import serial as pyserial
from escpos.exceptions import DeviceNotFoundError
from escpos.printer import Serial

from drivers.errors import PrinterUnreachable
from drivers.printer.base import LinkBroken, ReadBackPrinter


class SerialPrinter(ReadBackPrinter):
    """A serial printer; read and write timeouts are set on the port, never infinite."""

    replies_survive_reconnect = True

    def __init__(
        self,
        devfile: str,
        baudrate: int = 19200,
        dsrdtr: bool = True,
        *,
        bytesize: int = 8,
        parity: str = "N",
        stopbits: float = 1,
        **kwargs: Any,
    ) -> None:
        super().__init__(**kwargs)
        if baudrate <= 0:
            raise ValueError("baudrate must be positive")
        self.devfile = devfile
        self.baudrate = baudrate
        self.dsrdtr = dsrdtr
        self.bytesize = bytesize
        self.parity = parity
        self.stopbits = stopbits
        self._esc: Serial | None = None

    def link_bytes_per_s(self) -> float:
        """The line's speed from its settings: start bit, data bits, parity, stop bits."""
        bits = 1 + self.bytesize + (0 if self.parity == "N" else 1) + self.stopbits
        return self.baudrate / bits

    def _port(self) -> pyserial.Serial:
        if self._esc is None or not isinstance(self._esc.device, pyserial.Serial):
            raise LinkBroken("not connected")
        return self._esc.device

    def _connect(self) -> None:
        self._disconnect()
        esc = Serial(
            self.devfile,
            baudrate=self.baudrate,
            bytesize=self.bytesize,
            parity=self.parity,
            stopbits=self.stopbits,
            timeout=self.status_timeout_s,
            dsrdtr=self.dsrdtr,
            profile=self.profile,
        )
        try:
            esc.open()
        except (DeviceNotFoundError, pyserial.SerialException, OSError) as exc:
            esc._device = False
            raise PrinterUnreachable(f"{self.devfile}: {exc}".replace("\n", " ")) from exc
        port = esc.device
        if isinstance(port, pyserial.Serial):
            port.write_timeout = self.timeout_s
        self._esc = esc

    def _disconnect(self) -> None:
        esc, self._esc = self._esc, None
        if esc is not None:
            with contextlib.suppress(OSError, pyserial.SerialException):
                esc.close()

    def _write(self, data: bytes, timeout_s: float | None = None) -> None:
        """pyserial's ``write_timeout`` bounds one ``write()``: callers send big jobs in chunks."""
        port = self._port()
        try:
            port.write_timeout = self.timeout_s if timeout_s is None else timeout_s
            port.write(data)
            port.flush()
        except (OSError, pyserial.SerialException) as exc:
            raise LinkBroken(str(exc)) from exc

    def _read_byte(self, timeout_s: float) -> int | None:
        port = self._port()
        try:
            port.timeout = timeout_s
            data = port.read(1)
        except (OSError, pyserial.SerialException) as exc:
            raise LinkBroken(str(exc)) from exc
        return data[0] if data else None

    def _drain(self) -> bytes:
        port = self._port()
        try:
            waiting = port.in_waiting
            return bytes(port.read(waiting)) if waiting else b""
        except (OSError, pyserial.SerialException) as exc:
            raise LinkBroken(str(exc)) from exc


__all__ = ["SerialPrinter"]
