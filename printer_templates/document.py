"""The slip document: what a slip says and how it is laid out, independent of any printer.

``printer_templates`` renders a Jinja2 template into a :class:`SlipDocument`; ``drivers.printer``
turns a document into ESC/POS bytes. Keeping this model small and printer-neutral lets the same
slip be previewed as text or PNG, golden-tested, and printed on any profile.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Literal

Align = Literal["left", "center", "right"]
Size = Literal["normal", "tall", "wide", "double"]


@dataclass(frozen=True)
class TextLine:
    """One line of text; the printer wraps it if it is wider than the paper."""

    text: str
    align: Align = "left"
    bold: bool = False
    underline: bool = False
    size: Size = "normal"


@dataclass(frozen=True)
class Columns:
    """A label on the left and a value on the right edge (``Total ........ 153,00 €``)."""

    left: str
    right: str
    bold: bool = False


@dataclass(frozen=True)
class Rule:
    """A horizontal separator across the paper."""

    char: str = "-"


@dataclass(frozen=True)
class QRCode:
    """A QR code of ``data`` (the transaction number), centred."""

    data: str
    size: int = 6


@dataclass(frozen=True)
class Barcode:
    """A 1-D barcode of ``data`` with its human-readable text below it."""

    data: str
    symbology: Literal["CODE128", "EAN13"] = "CODE128"


@dataclass(frozen=True)
class Feed:
    """Blank lines."""

    lines: int = 1


@dataclass(frozen=True)
class Cut:
    """Feed past the cutter and cut; the end of a slip."""


Element = TextLine | Columns | Rule | QRCode | Barcode | Feed | Cut


@dataclass
class SlipDocument:
    """A whole slip: ordered elements plus the metadata the printer and the journal need."""

    elements: list[Element] = field(default_factory=list)
    #: what kind of slip this is: "sale", "storno", "failure", "copy", "report", "test"
    kind: str = "sale"
    #: transaction number the slip belongs to, if any
    txn: str | None = None
    #: language the slip was rendered in (BCP 47 / Babel locale such as "sl", "sr_Latn")
    language: str = "en"


__all__ = [
    "Align",
    "Barcode",
    "Columns",
    "Cut",
    "Element",
    "Feed",
    "QRCode",
    "Rule",
    "Size",
    "SlipDocument",
    "TextLine",
]
