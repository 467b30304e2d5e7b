"""The receipt printer: python-escpos for the bytes, our own status reads and print barrier.

``open_printer(url)`` picks the connection from a pyserial-style URL::

    tcp://192.168.1.50:9100         network (python-escpos Network)
    usb://04b8:0202                 USB vendor:product in hex (python-escpos Usb)
    serial:///dev/ttyUSB0?baudrate=19200&bytesize=8&parity=N&stopbits=1
    file:///dev/usb/lp0             write-only: prints need the clerk's confirmation
"""

# ruff: noqa: E402  (python-escpos must be loaded through escpos_cache before the imports)
from __future__ import annotations

from drivers import escpos_cache

# Before any module of this package imports python-escpos: its capabilities cache goes to the
# kiosk's private cache folder, not a new folder in $TMPDIR per process (escpos_cache says why).
escpos_cache.load()

from urllib.parse import parse_qs, urlsplit

from drivers.errors import (
    CoverOpen,
    PaperOut,
    PrinterConfigError,
    PrinterError,
    PrinterOffline,
    PrinterStatusUnknown,
    PrinterUnreachable,
    PrintNotConfirmed,
)
from drivers.printer.base import PrintOutcome, ReadBackPrinter, ReceiptPrinter
from drivers.printer.identity import PrinterIdentity, profile_mismatch
from drivers.printer.status import PrinterStatus

SCHEMES = ("tcp", "usb", "serial", "file")


def _int(value: str, what: str, url: str, base: int = 10) -> int:
    try:
        return int(value, base)
    except ValueError:
        raise PrinterConfigError(f"printer url {url!r}: {what} {value!r} is not a number") from None


def open_printer(
    url: str,
    *,
    profile: str = "TM-T88V",
    width: int = 42,
    timeout_s: float = 5.0,
    font_path: str | None = None,
    print_speed_mm_s: float = 40.0,
    job_ceiling_s: float = 120.0,
) -> ReceiptPrinter:
    """The printer at ``url``; nothing is opened until the first status or print.

    ``print_speed_mm_s`` (the slowest mechanism to allow for) and ``job_ceiling_s`` shape the
    deadline of each job on connections that read back (see :mod:`drivers.printer.pacing`).
    """
    parts = urlsplit(url)
    query = {k: v[-1] for k, v in parse_qs(parts.query).items()}
    common = {"profile": profile, "width": width, "timeout_s": timeout_s, "font_path": font_path}
    readback = {**common, "print_speed_mm_s": print_speed_mm_s, "job_ceiling_s": job_ceiling_s}
    if parts.scheme == "tcp":
        if not parts.hostname:
            raise PrinterConfigError(f"printer url {url!r} has no host: use tcp://HOST:PORT")
        try:
            port = parts.port or 9100
        except ValueError:
            raise PrinterConfigError(f"printer url {url!r} has an invalid port") from None
        from drivers.printer.network import NetworkPrinter

        return NetworkPrinter(parts.hostname, port, **readback)
    if parts.scheme == "usb":
        ids = (parts.netloc or parts.path.strip("/")).split(":")
        if len(ids) != 2:
            raise PrinterConfigError(f"printer url {url!r}: use usb://VID:PID (hex)")
        from drivers.printer.usb import UsbPrinter

        return UsbPrinter(
            _int(ids[0], "vendor id", url, 16),
            _int(ids[1], "product id", url, 16),
            in_ep=_int(query.get("in_ep", "0x82"), "in_ep", url, 0),
            out_ep=_int(query.get("out_ep", "0x01"), "out_ep", url, 0),
            **readback,
        )
    if parts.scheme == "serial":
        if not parts.path:
            raise PrinterConfigError(f"printer url {url!r}: use serial:///dev/ttyUSB0?baudrate=N")
        from drivers.printer.serial import SerialPrinter

        parity = query.get("parity", "N").upper()[:1]
        if parity not in ("N", "E", "O", "M", "S"):
            raise PrinterConfigError(f"printer url {url!r}: parity must be N, E, O, M or S")
        bytesize = _int(query.get("bytesize", "8"), "bytesize", url)
        if bytesize not in (5, 6, 7, 8):
            raise PrinterConfigError(f"printer url {url!r}: bytesize must be 5, 6, 7 or 8")
        try:
            stopbits = float(query.get("stopbits", "1"))
        except ValueError:
            stopbits = 0.0
        if stopbits not in (1, 1.5, 2):
            raise PrinterConfigError(f"printer url {url!r}: stopbits must be 1, 1.5 or 2")
        baudrate = _int(query.get("baudrate", "19200"), "baudrate", url)
        if baudrate <= 0:
            raise PrinterConfigError(f"printer url {url!r}: baudrate must be positive")
        return SerialPrinter(
            parts.path,
            baudrate=baudrate,
            dsrdtr=query.get("dsrdtr", "1") not in ("0", "false", "no"),
            bytesize=bytesize,
            parity=parity,
            stopbits=int(stopbits) if stopbits != 1.5 else stopbits,
            **readback,
        )
    if parts.scheme == "file":
        if not parts.path:
            raise PrinterConfigError(f"printer url {url!r}: use file:///dev/usb/lp0")
        from drivers.printer.file import FilePrinter

        return FilePrinter(parts.path, **common)
    raise PrinterConfigError(
        f"printer url {url!r}: unknown connection type {parts.scheme!r}; "
        f"use one of {', '.join(s + '://' for s in SCHEMES)}"
    )


__all__ = [
    "CoverOpen",
    "PaperOut",
    "PrintNotConfirmed",
    "PrintOutcome",
    "PrinterConfigError",
    "PrinterError",
    "PrinterIdentity",
    "PrinterOffline",
    "PrinterStatus",
    "PrinterStatusUnknown",
    "PrinterUnreachable",
    "ReadBackPrinter",
    "ReceiptPrinter",
    "open_printer",
    "profile_mismatch",
]
