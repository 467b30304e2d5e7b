"""A virtual Epson TM-T88-class ESC/POS printer on loopback TCP, shipped for demo and tests.

It speaks what a real printer speaks for what we use: it prints the byte stream in order,
answers DLE EOT at once (even while stopped) and GS r in order (held while it cannot print),
keeps every cut slip as text and PNG, and can be told to fail like a real printer does.
"""

from __future__ import annotations

from drivers.virtual_printer.control import VirtualPrinterControl
from drivers.virtual_printer.render import PrintedSlip
from drivers.virtual_printer.server import VirtualPrinter

__all__ = ["PrintedSlip", "VirtualPrinter", "VirtualPrinterControl"]
