"""Shared helpers for the printer tests: a running virtual printer and slips to print."""

from __future__ import annotations

from pathlib import Path

from drivers.printer import ReceiptPrinter, open_printer
from drivers.virtual_printer import VirtualPrinter
from printer_templates.document import (
    Barcode,
    Columns,
    Cut,
    Element,
    Feed,
    QRCode,
    Rule,
    SlipDocument,
    TextLine,
)


def connect(vp: VirtualPrinter, timeout_s: float = 2.0) -> ReceiptPrinter:
    """python-escpos over real TCP to the virtual printer."""
    return open_printer(vp.url, profile="TM-T88V", width=42, timeout_s=timeout_s)


def numbered_slip(lines: int = 20, tag: str = "SLIP") -> SlipDocument:
    """A slip whose body lines are ``TAG line 01`` ... so tests can see which ones printed."""
    elements: list[Element] = [
        TextLine(f"{tag} header", align="center", bold=True, size="double"),
        Rule(),
    ]
    elements += [TextLine(f"{tag} line {i:02d}") for i in range(1, lines + 1)]
    elements += [
        Columns("Total", "10,00 EUR", bold=True),
        QRCode("00001000000042"),
        Barcode("00001000000042"),
        TextLine(f"{tag} footer"),
        Feed(1),
        Cut(),
    ]
    return SlipDocument(elements=elements, kind="test", txn="00001000000042")


def kiosk_config(tmp_path: Path, printer_url: str, market: str = "az") -> Path:
    """A working kiosk.toml for ``market`` whose ``[printer] url`` is ``printer_url``."""
    from terminal.config import write_preset

    path = write_preset(tmp_path / "kiosk.toml", market)
    text = path.read_text(encoding="utf-8")
    old = 'url = "tcp://127.0.0.1:9100"'
    assert old in text, "the preset's printer url moved: update this helper"
    path.write_text(text.replace(old, f'url = "{printer_url}"', 1), encoding="utf-8")
    return path
