"""The slip shown next to a sale's result: what the printer produced, or what the terminal sent.

Why a protocol: only the demo has the printer's own output at hand (the virtual printer runs in
the demo's process and keeps every cut slip as text and PNG). ``kiosk serve`` drives a real
printer that cannot send its paper back, so it shows the text the terminal rendered for the
slip, which is what went to the printer, or nothing.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Literal, Protocol

from printer_templates.document import SlipDocument
from printer_templates.preview import slip_to_text
from terminal.web.recent import Recent

if TYPE_CHECKING:
    from drivers.virtual_printer import VirtualPrinter

#: Rendered slips kept for the result screens (one per sale; a counter's last few are enough).
KEEP_RENDERED = 50


@dataclass(frozen=True)
class PrintedSlipView:
    """A slip as the result screen shows it.

    ``source`` says what it is: ``printer`` (what the printer produced, paper-exact) or
    ``terminal`` (the text the terminal rendered and sent). ``complete`` is False for the
    remainder of a slip whose paper ran out.
    """

    text: str
    source: Literal["printer", "terminal"]
    png: bytes | None = None
    complete: bool = True


class PrintedSlips(Protocol):
    """Where the result screen finds a transaction's slip."""

    def for_transaction(self, txn: str) -> PrintedSlipView | None: ...


class RenderedSlips:
    """The slips this process rendered for its sales, kept briefly in memory (``kiosk serve``)."""

    def __init__(self, keep: int = KEEP_RENDERED) -> None:
        self._docs: Recent[SlipDocument] = Recent(keep)

    def remember(self, txn: str, doc: SlipDocument | None) -> None:
        if doc is None:
            return
        self._docs.put(txn, doc)

    def for_transaction(self, txn: str) -> PrintedSlipView | None:
        doc = self._docs.get(txn)
        if doc is None:
            return None
        return PrintedSlipView(text=slip_to_text(doc), source="terminal")


class VirtualPrinterSlips:
    """The demo's slips, read from the virtual printer that printed them.

    The newest cut slip that carries the transaction number is the sale's slip (or, for a sale
    whose slip failed, its failed-transaction notice); a slip torn off mid-print is shown as
    the incomplete remainder it is.
    """

    def __init__(self, printer: VirtualPrinter) -> None:
        self.printer = printer

    def for_transaction(self, txn: str) -> PrintedSlipView | None:
        for slip in reversed(list(self.printer.slips)):
            if txn in slip.text.replace(" ", ""):
                png = None
                if slip.png_path is not None and slip.png_path.is_file():
                    png = slip.png_path.read_bytes()
                return PrintedSlipView(text=slip.text, source="printer", png=png)
        for text in reversed(list(self.printer.interrupted)):
            if txn in text.replace(" ", ""):
                return PrintedSlipView(text=text, source="printer", complete=False)
        return None


class FirstOf:
    """The first source that has the slip: the printer's own output, else the rendered text."""

    def __init__(self, *sources: PrintedSlips) -> None:
        self.sources = sources

    def for_transaction(self, txn: str) -> PrintedSlipView | None:
        for source in self.sources:
            view = source.for_transaction(txn)
            if view is not None:
                return view
        return None


__all__ = [
    "FirstOf",
    "PrintedSlipView",
    "PrintedSlips",
    "RenderedSlips",
    "VirtualPrinterSlips",
]
