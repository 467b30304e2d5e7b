"""Printer behind a write-only device file (``/dev/usb/lp0``), through python-escpos ``File``.

Nothing can be read back, so a print can never be proven: it ends in
``NEEDS_CLERK_CONFIRMATION`` and the clerk says whether the slip came out. Never guess.
"""

from __future__ import annotations

import contextlib
from typing import Any

from escpos.exceptions import DeviceNotFoundError
from escpos.printer import File

from drivers.errors import PrinterUnreachable, PrintNotConfirmed
from drivers.printer.boundary import PrintOutcome, ReceiptPrinter
from drivers.printer.status import PrinterStatus, unknown_status
from printer_templates.document import SlipDocument


class FilePrinter(ReceiptPrinter):
    """Writes jobs to a device file; status is always ``unknown``."""

    can_prove_print = False

    def __init__(self, path: str, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.path = path

    def _send(self, data: bytes) -> None:
        esc = File(self.path, profile=self.profile)
        try:
            esc.open()
        except DeviceNotFoundError as exc:
            esc._device = False
            raise PrinterUnreachable(f"{self.path}: {exc}".replace("\n", " ")) from exc
        try:
            esc._raw(data)
        except OSError as exc:
            raise PrintNotConfirmed(f"writing to {self.path} failed: {exc}") from exc
        finally:
            with contextlib.suppress(OSError):
                esc.close()

    def status(self) -> PrinterStatus:
        return unknown_status({}, f"{self.path} cannot report the printer's status")

    def print_slip(self, doc: SlipDocument) -> PrintOutcome:
        self._send(self.render(doc))
        return PrintOutcome.NEEDS_CLERK_CONFIRMATION

    def kick_drawer(self, pin: int = 2) -> None:
        self._send(self.drawer_pulse(pin))

    def close(self) -> None:
        """Nothing stays open between jobs."""


__all__ = ["FilePrinter"]
