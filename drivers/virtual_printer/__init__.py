"""A virtual Epson TM-T88-class ESC/POS printer on loopback TCP, shipped for demo and tests.

It speaks what a real printer speaks for what we use: it prints the byte stream in order,
answers DLE EOT at once (even while stopped) and GS r in order (held while it cannot print),
keeps every cut slip as text and PNG, and can be told to fail like a real printer does.
"""

# ruff: noqa: E402  (python-escpos must be loaded through escpos_cache before the imports)
from __future__ import annotations

from drivers import escpos_cache

# Before any module of this package imports python-escpos: its capabilities cache goes to the
# kiosk's private cache folder, not a new folder in $TMPDIR per process (escpos_cache says why).
escpos_cache.load()

from drivers.virtual_printer.control import VirtualPrinterControl
from drivers.virtual_printer.render import PrintedSlip
from drivers.virtual_printer.server import VirtualPrinter

__all__ = ["PrintedSlip", "VirtualPrinter", "VirtualPrinterControl"]
