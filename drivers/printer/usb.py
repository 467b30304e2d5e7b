"""Printer on USB (printer class, bulk endpoints): a long-lived device, through pyusb.

python-escpos's ``Usb.open()`` looks the device up, sets its configuration and *resets* it;
done for every status query, print and drawer kick, that resets the printer mid-conversation
and costs a re-enumeration each time. So the device is found and configured once and kept
open across operations (never reset), and only found again after it went away (unplugged,
powered off). The transfers are python-escpos's own (``device.write`` / ``read`` on the bulk
endpoints), each with a timeout, because pyusb waits forever unless told otherwise.

What a USB printer does that a socket does not:

- a bulk IN read can end with a zero-length packet: "nothing now", not "no answer"; we keep
  reading until the timeout is really over;
- an endpoint can stall (``EPIPE``): we clear the halt and try the transfer once more;
- an unplugged device answers ``ENODEV``: the device is dropped and looked up again on the
  next operation;
- a device node the kiosk user may not open (``EACCES``) is a set-up problem with its own
  message that points at the udev rule.
"""

from __future__ import annotations

import contextlib
import errno
from collections import deque
from typing import Any

from drivers.errors import PrinterUnreachable
from drivers.printer.base import LinkBroken, ReadBackPrinter

#: Where the udev rule that gives the kiosk user the printer comes from and what it creates.
UDEV_HINT = (
    "install the udev rule deploy/udev/70-kiosk.rules as /etc/udev/rules.d/70-kiosk.rules "
    "(it gives the kiosk user /dev/kiosk-printer), run `udevadm control --reload && "
    "udevadm trigger`, then re-plug the printer"
)


class UsbPermissionDenied(PrinterUnreachable):
    """The device is there but the kiosk user may not open it."""


def _usb() -> Any:
    import usb.core

    return usb.core


def _errno(exc: BaseException) -> int | None:
    value = getattr(exc, "errno", None)
    if value is None:
        value = getattr(exc, "backend_error_code", None)
    return value if isinstance(value, int) else None


def _is_timeout(exc: BaseException) -> bool:
    core = _usb()
    return isinstance(exc, core.USBTimeoutError) or _errno(exc) in (errno.ETIMEDOUT, -7)


def _is_stall(exc: BaseException) -> bool:
    return _errno(exc) in (errno.EPIPE, -9)


def _is_gone(exc: BaseException) -> bool:
    return _errno(exc) in (errno.ENODEV, errno.ENOENT, -4) or "No such device" in str(exc)


def _is_denied(exc: BaseException) -> bool:
    return _errno(exc) in (errno.EACCES, errno.EPERM, -3) or "Access denied" in str(exc)


class UsbPrinter(ReadBackPrinter):
    """A USB printer found by vendor and product id, opened once and kept."""

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
        self._dev: Any = None
        self._pending: deque[int] = deque()
        #: how many times the device was looked up and configured (once per plug-in)
        self.opens = 0

    @property
    def _name(self) -> str:
        return f"USB {self.id_vendor:04x}:{self.id_product:04x}"

    # -- the device's life -----------------------------------------------------------------
    def _connect(self) -> None:
        if self._dev is not None:
            if self._alive():
                return
            self._disconnect()  # unplugged since the last operation: find it again
        core = _usb()
        try:
            dev = core.find(idVendor=self.id_vendor, idProduct=self.id_product)
        except Exception as exc:  # no backend (libusb missing) and the like
            raise PrinterUnreachable(f"{self._name}: {exc}") from exc
        if dev is None:
            raise PrinterUnreachable(f"{self._name} not found: is the printer on and plugged in?")
        try:
            self._detach_kernel_driver(dev)
            self._configure(dev)
        except Exception as exc:
            with contextlib.suppress(Exception):
                import usb.util

                usb.util.dispose_resources(dev)
            if _is_denied(exc):
                raise UsbPermissionDenied(
                    f"{self._name}: the kiosk user may not open the printer ({exc}); {UDEV_HINT}"
                ) from exc
            raise PrinterUnreachable(f"{self._name}: {exc}".replace("\n", " ")) from exc
        self._dev = dev
        self._pending.clear()
        self.opens += 1

    def _alive(self) -> bool:
        """A control transfer the device must answer; False once it was unplugged."""
        try:
            self._dev.get_active_configuration()
        except Exception as exc:
            return not _is_gone(exc)
        return True

    @staticmethod
    def _detach_kernel_driver(dev: Any) -> None:
        """usblp holds the interface on Linux (libusb1 backend only): take it, as escpos does."""
        if not dev.backend.__module__.endswith("libusb1"):
            return
        with contextlib.suppress(NotImplementedError):
            if dev.is_kernel_driver_active(0):
                dev.detach_kernel_driver(0)

    @staticmethod
    def _configure(dev: Any) -> None:
        """Set the configuration only if none is active; never reset the printer."""
        core = _usb()
        try:
            config = dev.get_active_configuration()
        except core.USBError as exc:
            if _is_denied(exc):
                raise
            config = None
        if config is None:
            dev.set_configuration()

    def _release(self) -> None:
        """Between operations the device stays open: the next one reuses it."""

    def _disconnect(self) -> None:
        dev, self._dev = self._dev, None
        self._pending.clear()
        if dev is not None:
            with contextlib.suppress(Exception):
                import usb.util

                usb.util.dispose_resources(dev)

    # -- transfers -------------------------------------------------------------------------
    def _device(self) -> Any:
        if self._dev is None:
            raise LinkBroken("not connected")
        return self._dev

    def _broken(self, exc: BaseException) -> LinkBroken:
        if _is_gone(exc):
            self._disconnect()  # found again by the next operation
            return LinkBroken(f"{self._name} was unplugged or switched off")
        return LinkBroken(str(exc) or type(exc).__name__)

    def _clear_stall(self, endpoint: int) -> bool:
        try:
            self._device().clear_halt(endpoint)
        except Exception:
            return False
        return True

    def _write(self, data: bytes, timeout_s: float | None = None) -> None:
        dev = self._device()
        timeout = self.timeout_s if timeout_s is None else timeout_s
        for attempt in (1, 2):
            try:
                dev.write(self.out_ep, data, max(1, int(timeout * 1000)))
                return
            except Exception as exc:
                if attempt == 1 and _is_stall(exc) and self._clear_stall(self.out_ep):
                    continue
                raise self._broken(exc) from exc

    def _read_chunk(self, timeout_s: float) -> bytes | None:
        """One bulk IN transfer: data, b"" (zero-length packet), or None on timeout."""
        dev = self._device()
        for attempt in (1, 2):
            try:
                return bytes(dev.read(self.in_ep, 64, max(1, int(timeout_s * 1000))))
            except Exception as exc:
                if _is_timeout(exc):
                    return None
                if attempt == 1 and _is_stall(exc) and self._clear_stall(self.in_ep):
                    continue
                raise self._broken(exc) from exc
        return None  # pragma: no cover - the loop returns or raises

    def _read_byte(self, timeout_s: float) -> int | None:
        if self._pending:
            return self._pending.popleft()
        deadline = self.clock.monotonic() + timeout_s
        while True:
            left = deadline - self.clock.monotonic()
            data = self._read_chunk(max(0.001, left))
            if data:
                self._pending.extend(data)
                return self._pending.popleft()
            if data is None or left <= 0:
                return None
            # a zero-length packet: nothing yet, but the printer is there; keep waiting

    def _drain(self) -> bytes:
        taken = bytearray(self._pending)
        self._pending.clear()
        for _ in range(64):  # bounded: a babbling device cannot keep us here
            data = self._read_chunk(0.001)
            if not data:
                break
            taken += data
        return bytes(taken)


__all__ = ["UDEV_HINT", "UsbPermissionDenied", "UsbPrinter"]
