"""The receipt printer: python-escpos for the bytes, our own status reads and print barrier.

``open_printer(url)`` picks the connection from a pyserial-style URL, parsed and checked by
:mod:`drivers.printer.settings` (the one place that knows its options)::

    tcp://192.168.1.50:9100         network (python-escpos Network)
    usb://04b8:0202?in_ep=0x82      USB vendor:product in hex (python-escpos Usb)
    serial:///dev/ttyUSB0?baudrate=19200&bytesize=8&parity=N&stopbits=1&dsrdtr=1
    file:///dev/usb/lp0             write-only: prints need the clerk's confirmation
"""

# ruff: noqa: E402  (python-escpos must be loaded through escpos_cache before the imports)
from __future__ import annotations

from drivers import escpos_cache

# Before any module of this package imports python-escpos: its capabilities cache goes to the
# kiosk's private cache folder, not a new folder in $TMPDIR per process (escpos_cache says why).
escpos_cache.load()

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
from drivers.printer.settings import (
    SCHEMES,
    SerialPrinterUrl,
    TcpPrinterUrl,
    UsbPrinterUrl,
    parse_printer_url,
)
from drivers.printer.status import PrinterStatus


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
    where = parse_printer_url(url)
    common = {"profile": profile, "width": width, "timeout_s": timeout_s, "font_path": font_path}
    readback = {**common, "print_speed_mm_s": print_speed_mm_s, "job_ceiling_s": job_ceiling_s}
    if isinstance(where, TcpPrinterUrl):
        from drivers.printer.network import NetworkPrinter

        return NetworkPrinter(where.host, where.port, **readback)
    if isinstance(where, UsbPrinterUrl):
        from drivers.printer.usb import UsbPrinter

        return UsbPrinter(
            where.vendor_id, where.product_id, in_ep=where.in_ep, out_ep=where.out_ep, **readback
        )
    if isinstance(where, SerialPrinterUrl):
        from drivers.printer.serial import SerialPrinter

        line = where.line
        return SerialPrinter(
            where.devfile,
            baudrate=line.baudrate,
            dsrdtr=where.dsrdtr,
            bytesize=line.bytesize,
            parity=line.parity,
            stopbits=int(line.stopbits) if line.stopbits != 1.5 else line.stopbits,
            **readback,
        )
    from drivers.printer.file import FilePrinter

    return FilePrinter(where.path, **common)


__all__ = [
    "SCHEMES",
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
