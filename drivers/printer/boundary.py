"""The receipt printer boundary: what every connection promises, whatever the cable.

The terminal talks to :class:`ReceiptPrinter` only; how a connection proves a slip came out is
:mod:`drivers.printer.base` (the print barrier of connections that read back) or the clerk's
word (:mod:`drivers.printer.file`).
"""

from __future__ import annotations

import abc
import contextlib
import enum
from collections.abc import Iterator
from types import TracebackType

from drivers.printer.status import PrinterStatus
from printer_templates.document import SlipDocument


class PrintOutcome(enum.Enum):
    """How a print ended when it did not raise."""

    #: the printer's in-order GS r reply proved the slip came out
    PRINTED = "printed"
    #: the connection cannot read back (file, lp): the clerk must say whether the slip printed
    NEEDS_CLERK_CONFIRMATION = "needs_clerk_confirmation"


class LinkBroken(ConnectionError):
    """The connection dropped or refused a write; whatever was in flight is unproven."""


class ReceiptPrinter(abc.ABC):
    """One receipt printer, whatever the cable; failures are named :class:`PrinterError`\\ s."""

    #: True when :meth:`print_slip` can return ``PRINTED``; False means clerk confirmation.
    can_prove_print: bool = False

    def __init__(
        self,
        *,
        profile: str = "TM-T88V",
        width: int = 42,
        timeout_s: float = 5.0,
        font_path: str | None = None,
    ) -> None:
        if timeout_s <= 0:
            raise ValueError("timeout_s must be positive: waits are always bounded")
        self.profile = profile
        self.width = width
        self.timeout_s = timeout_s
        self.font_path = font_path

    def render(self, doc: SlipDocument) -> bytes:
        """The job's bytes (ESC @ ... cut); rendering errors surface before anything is sent."""
        # Imported on first use: python-escpos's rendering side (Pillow, qrcode, python-barcode,
        # pyusb, pyserial) is not needed to read a status, so `kiosk serve` answers without it.
        from drivers.printer.escpos_output import render_job

        return render_job(doc, profile=self.profile, width=self.width, font_path=self.font_path)

    @abc.abstractmethod
    def status(self) -> PrinterStatus:
        """Ask the printer how it is; silence is ``unknown``."""

    @abc.abstractmethod
    def print_slip(self, doc: SlipDocument) -> PrintOutcome:
        """Print one slip; raise a :class:`PrinterError` unless it printed or needs the clerk."""

    @abc.abstractmethod
    def kick_drawer(self, pin: int = 2) -> None:
        """Pulse the cash drawer connector (pin 2 or 5)."""

    def clear_buffer(self) -> bool:
        """Throw away a job the printer still holds (after a fault); True if it was told to.

        A printer that can answer nothing (file, lp) holds nothing the terminal can reach.
        """
        return False

    @abc.abstractmethod
    def close(self) -> None:
        """Release the connection; the next call opens a fresh one."""

    @contextlib.contextmanager
    def hold(self) -> Iterator[None]:
        """Keep one connection for the operations inside (a sale: status, slip, drawer);
        printers without a connection to keep do nothing."""
        yield

    def keep_link(self, keep: bool = True) -> None:
        """Keep the connection between operations and sales; printers without one: nothing."""
        return None

    @staticmethod
    def drawer_pulse(pin: int) -> bytes:
        if pin not in (2, 5):
            raise ValueError("the drawer connector has pins 2 and 5")
        from escpos.printer import Dummy  # on first use, as in render()

        dummy = Dummy()
        dummy.cashdraw(pin)
        return bytes(dummy.output)

    def __enter__(self) -> ReceiptPrinter:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.close()


__all__ = ["LinkBroken", "PrintOutcome", "ReceiptPrinter"]
