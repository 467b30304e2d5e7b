"""What the virtual printer put on paper: rows of a slip, shown as UTF-8 text and as a PNG.

The text form is for asserts and people (``[QR: ...]`` where a code was printed); the PNG is
what the customer would hold, with raster lines exactly as the printer received them.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Literal

import qrcode
from PIL import Image, ImageDraw, ImageFont

DEFAULT_FONT_PATH = "/usr/share/fonts/truetype/dejavu/DejaVuSansMono.ttf"
LINE_DOTS = 24
MARGIN = 8

RowKind = Literal["text", "image", "qr", "barcode"]


@dataclass
class Row:
    """One printed line, image, QR code or barcode."""

    kind: RowKind
    text: str = ""
    align: str = "left"
    bold: bool = False
    underline: bool = False
    wscale: int = 1
    hscale: int = 1
    image: Image.Image | None = None
    module: int = 3


def row_mm(row: Row) -> float:
    """Paper one row takes, in mm at 180 dpi: what a print-speed limit is measured against."""
    if row.kind == "image" and row.image is not None:
        return row.image.height * 25.4 / 180
    if row.kind == "qr":
        return 30.0
    if row.kind == "barcode":
        return 14.0
    return 25.4 / 6 * row.hscale


@dataclass
class PrintedSlip:
    """A cut slip: the proof a customer holds, as text, PNG and its parts."""

    number: int
    text: str
    png_path: Path | None
    images: list[Image.Image] = field(default_factory=list, repr=False)
    qr_codes: list[str] = field(default_factory=list)
    barcodes: list[str] = field(default_factory=list)
    drawer_kicked: bool = False
    rows: list[Row] = field(default_factory=list, repr=False)

    def as_dict(self) -> dict[str, object]:
        return {
            "number": self.number,
            "text": self.text,
            "png_path": str(self.png_path) if self.png_path else None,
            "images": [list(im.size) for im in self.images],
            "qr_codes": list(self.qr_codes),
            "barcodes": list(self.barcodes),
            "drawer_kicked": self.drawer_kicked,
        }


def row_text(row: Row, columns: int) -> str:
    if row.kind == "image":
        w, h = row.image.size if row.image is not None else (0, 0)
        return f"[image {w}x{h}]"
    if row.kind == "qr":
        return f"[QR: {row.text}]"
    if row.kind == "barcode":
        return f"[BARCODE: {row.text}]"
    cols = max(1, columns // row.wscale)
    if row.align == "center":
        return row.text.center(cols).rstrip()
    if row.align == "right":
        return row.text.rjust(cols)
    return row.text.rstrip()


def slip_text(rows: list[Row], columns: int = 42) -> str:
    return "\n".join(row_text(r, columns) for r in rows) + ("\n" if rows else "")


def _font(path: str, size: int, bold: bool) -> ImageFont.FreeTypeFont | ImageFont.ImageFont:
    if bold:
        bold_path = path.replace(".ttf", "-Bold.ttf")
        if Path(bold_path).exists():
            path = bold_path
    try:
        return ImageFont.truetype(path, size)
    except OSError:
        return ImageFont.load_default()


def _qr_image(data: str, module: int) -> Image.Image:
    code = qrcode.QRCode(box_size=max(1, module), border=1)
    code.add_data(data)
    code.make(fit=True)
    img = code.make_image()
    pil: Image.Image = img.get_image() if hasattr(img, "get_image") else img._img
    return pil.convert("1")


def _barcode_image(data: str, width: int) -> Image.Image:
    """CODE128 bars drawn from python-barcode's module pattern, HRI text below."""
    import barcode  # type: ignore[import-untyped]  # python-barcode, python-escpos's dep

    try:
        modules = "".join(barcode.get("code128", data).build())
    except Exception:  # not encodable in Code 128: show the data in a frame instead
        modules = ""
    bar_h = 64
    img = Image.new("1", (width, bar_h + LINE_DOTS), 1)
    draw = ImageDraw.Draw(img)
    if modules:
        scale = max(1, min(3, (width - 2 * MARGIN) // len(modules)))
        x0 = (width - len(modules) * scale) // 2
        for k, m in enumerate(modules):
            if m == "1":
                draw.rectangle((x0 + k * scale, 0, x0 + (k + 1) * scale - 1, bar_h - 1), fill=0)
    else:
        draw.rectangle((MARGIN, 0, width - MARGIN, bar_h - 1), outline=0)
    font = _font(DEFAULT_FONT_PATH, 18, False)
    draw.text((width // 2, bar_h + LINE_DOTS - 4), data, font=font, fill=0, anchor="ms")
    return img


def slip_png(
    rows: list[Row], *, dots: int = 512, columns: int = 42, font_path: str = DEFAULT_FONT_PATH
) -> Image.Image:
    """The slip as printed: paper ``dots`` wide plus margins, black on white."""
    parts: list[Image.Image] = []
    char_w = dots / columns
    for row in rows:
        if row.kind == "image" and row.image is not None:
            parts.append(row.image.convert("1"))
        elif row.kind == "qr":
            parts.append(_qr_image(row.text, row.module))
        elif row.kind == "barcode":
            parts.append(_barcode_image(row.text, dots))
        else:
            base_w = int(dots / row.wscale)
            line = Image.new("1", (base_w, LINE_DOTS), 1)
            draw = ImageDraw.Draw(line)
            font = _font(font_path, 20, row.bold)
            cols = max(1, columns // row.wscale)
            text = row_text(Row("text", row.text, row.align, wscale=row.wscale), columns)
            draw.text((0, LINE_DOTS - 5), text[:cols], font=font, fill=0, anchor="ls")
            if row.underline and text.strip():
                lead = len(text) - len(text.lstrip())
                x0 = int(lead * char_w / 1)
                draw.line((x0, LINE_DOTS - 3, int(len(text) * char_w), LINE_DOTS - 3), fill=0)
            if row.wscale != 1 or row.hscale != 1:
                line = line.resize((base_w * row.wscale, LINE_DOTS * row.hscale))
            parts.append(line)
    height = sum(p.height for p in parts) + 2 * MARGIN
    page = Image.new("1", (dots + 2 * MARGIN, max(height, 2 * MARGIN + 1)), 1)
    y = MARGIN
    for row, part in zip(rows, parts, strict=True):
        if row.kind in ("qr", "image") and row.align != "left" and part.width < dots:
            x = (dots - part.width) // (2 if row.align == "center" else 1)
        else:
            x = 0
        page.paste(part, (MARGIN + x, y))
        y += part.height
    return page


__all__ = [
    "PrintedSlip",
    "Row",
    "row_mm",
    "slip_png",
    "slip_text",
]
