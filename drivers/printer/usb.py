"""Printer on USB (printer class, bulk endpoints), through python-escpos ``Usb``.

pyusb waits forever unless told otherwise, so every transfer here carries a timeout.
"""

from __future__ import annotations

import contextlib
from collections import deque
from typing import Any

from escpos.exceptions import DeviceNotFoundError, USBNotFoundError
from escpos.printer import Usb

from drivers.errors import PrinterUnreachable
from drivers.printer.base import LinkBroken, ReadBackPrinter


class UsbPrinter(ReadBackPrinter):
    """A USB printer found by vendor and product id."""

    replies_survive_reconnect = True

    def __init__(
        self,
        id_vendor: int,
        id_product: int,
        in_ep: int = 0x82,
        out_ep: int = 0x01,
        **kwargs: Any,
    ) -> None:
        super().__init__(**kwargs)
        self.id_vendor = id_vendor
        self.id_product = id_product
        self.in_ep = in_ep
        self.out_ep = out_ep
        self._esc: Usb | None = None
        self._pending: deque[int] = deque()

    def _make_escpos(self) -> Usb:
        """The python-escpos object; its timeout (ms) bounds every write."""
        return Usb(
            self.id_vendor,
            self.id_product,
            timeout=max(1, int(self.timeout_s * 1000)),
            in_ep=self.in_ep,
            out_ep=self.out_ep,
            profile=self.profile,
        )

    def _device(self) -> Any:
        if self._esc is None or not self._esc._device:
            raise LinkBroken("not connected")
        return self._esc._device

    def _connect(self) -> None:
        self._disconnect()
        esc = self._make_escpos()
        try:
            esc.open()
        except (DeviceNotFoundError, USBNotFoundError, OSError) as exc:
            esc._device = False
            raise PrinterUnreachable(
                f"USB {self.id_vendor:04x}:{self.id_product:04x}: {exc}".replace("\n", " ")
            ) from exc
        except Exception as exc:  # pyusb's USBError and backend errors
            esc._device = False
            raise PrinterUnreachable(
                f"USB {self.id_vendor:04x}:{self.id_product:04x}: {exc}".replace("\n", " ")
            ) from exc
        self._esc = esc
        self._pending.clear()

    def _disconnect(self) -> None:
        esc, self._esc = self._esc, None
        self._pending.clear()
        if esc is not None:
            with contextlib.suppress(Exception):
                esc.close()

    @staticmethod
    def _is_timeout(exc: BaseException) -> bool:
        try:
            import usb.core
        except ImportError:  # pragma: no cover - pyusb is a dependency
            return False
        return isinstance(exc, usb.core.USBTimeoutError) or (
            isinstance(exc, usb.core.USBError) and getattr(exc, "errno", None) == 110
        )

    def _write(self, data: bytes, timeout_s: float | None = None) -> None:
        dev = self._device()
        timeout = self.timeout_s if timeout_s is None else timeout_s
        try:
            dev.write(self.out_ep, data, max(1, int(timeout * 1000)))
        except Exception as exc:
            raise LinkBroken(str(exc) or type(exc).__name__) from exc

    def _read_byte(self, timeout_s: float) -> int | None:
        if self._pending:
            return self._pending.popleft()
        dev = self._device()
        try:
            data = dev.read(self.in_ep, 64, max(1, int(timeout_s * 1000)))
        except Exception as exc:
            if self._is_timeout(exc):
                return None
            raise LinkBroken(str(exc) or type(exc).__name__) from exc
        if not data:
            return None
        self._pending.extend(bytes(data))
        return self._pending.popleft()

    def _drain(self) -> bytes:
        taken = bytearray(self._pending)
        self._pending.clear()
        dev = self._device()
        for _ in range(64):  # bounded: a babbling device cannot keep us here
            try:
                data = dev.read(self.in_ep, 64, 1)
            except Exception as exc:
                if self._is_timeout(exc):
                    break
                raise LinkBroken(str(exc) or type(exc).__name__) from exc
            if not data:
                break
            taken += bytes(data)
        return bytes(taken)


__all__ = ["UsbPrinter"]
