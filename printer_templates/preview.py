"""Slip previews without a printer: plain text (golden tests, the CLI) and PNG (docs, review).

Both follow what the paper does with a given number of characters per line: text wraps at word
boundaries, double-width text fits half as many characters, a column's value sits on the right
edge. The PNG draws real QR codes and CODE128 bars, so a preview shows what a scanner would read.
"""

from __future__ import annotations

import textwrap
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

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

if TYPE_CHECKING:  # Pillow and qrcode load with the first PNG: slip_to_text needs neither, and
    # the kiosk process imports this module at start (report and screen slip text)
    from PIL import Image, ImageFont

FONT_DIR = Path("/usr/share/fonts/truetype/dejavu")
FONT_REGULAR = FONT_DIR / "DejaVuSansMono.ttf"
FONT_BOLD = FONT_DIR / "DejaVuSansMono-Bold.ttf"

CUT_MARK = "- - - cut - - -"


class PreviewError(RuntimeError):
    """A preview could not be made, e.g. the font is missing; says what to install."""


def _wrap(text: str, width: int) -> list[str]:
    return textwrap.wrap(
        text, width=max(width, 1), break_long_words=True, break_on_hyphens=False
    ) or [""]


def _chars_per_line(size: str, width: int) -> int:
    return width // 2 if size in ("wide", "double") else width


def _aligned(text: str, align: str, width: int) -> str:
    if align == "center":
        return text.center(width).rstrip()
    if align == "right":
        return text.rjust(width)
    return text


def columns_lines(left: str, right: str, width: int) -> list[str]:
    """``left`` and ``right`` on one line padded to ``width``; wrapped when they do not fit."""
    if len(left) + 1 + len(right) <= width:
        return [left + " " * (width - len(left) - len(right)) + right]
    lines = _wrap(left, width)
    lines += [line.rjust(width) for line in _wrap(right, width)]
    return lines


def _text_of(element: Element, width: int) -> list[str]:
    if isinstance(element, TextLine):
        chars = _chars_per_line(element.size, width)
        return [_aligned(line, element.align, width) for line in _wrap(element.text, chars)]
    if isinstance(element, Columns):
        return columns_lines(element.left, element.right, width)
    if isinstance(element, Rule):
        return [element.char * width]
    if isinstance(element, QRCode):
        return [_aligned(f"[QR: {element.data}]", "center", width)]
    if isinstance(element, Barcode):
        return [_aligned(f"[BARCODE: {element.data}]", "center", width)]
    if isinstance(element, Feed):
        return [""] * element.lines
    if isinstance(element, Cut):
        return [_aligned(CUT_MARK, "center", width)]
    raise PreviewError(f"no text preview for {element!r}")


def slip_to_text(doc: SlipDocument, width: int = 42) -> str:
    """The slip as plain text, ``width`` characters per line, ending with a newline."""
    lines: list[str] = []
    for element in doc.elements:
        lines.extend(_text_of(element, width))
    return "\n".join(line.rstrip() for line in lines) + "\n"


# --- PNG -------------------------------------------------------------------------------------

_FONT_SIZE = 20
_MARGIN = 16
_LINE_GAP = 6

#: Code 128 patterns (bar/space widths) for values 0..105; the stop pattern apart.
_CODE128_TABLE = (
    "212222 222122 222221 121223 121322 131222 122213 122312 132212 221213 221312 231212 112232 "
    "122132 122231 113222 123122 123221 223211 221132 221231 213212 223112 312131 311222 321122 "
    "321221 312212 322112 322211 212123 212321 232121 111323 131123 131321 112313 132113 132311 "
    "211313 231113 231311 112133 112331 132131 113123 113321 133121 313121 211331 231131 213113 "
    "213311 213131 311123 311321 331121 312113 312311 332111 314111 221411 431111 111224 111422 "
    "121124 121421 141122 141221 112214 112412 122114 122411 142112 142211 241211 221114 413111 "
    "241112 134111 111242 121142 121241 114212 124112 124211 411212 421112 421211 212141 214121 "
    "412121 111143 111341 131141 114113 114311 411113 411311 113141 114131 311141 411131 211412 "
    "211214 211232"
).replace(" ", "")
_CODE128 = [_CODE128_TABLE[i : i + 6] for i in range(0, len(_CODE128_TABLE), 6)]
_CODE128_STOP = "2331112"
_START_B = 104


def code128_modules(data: str) -> list[int]:
    """Bar and space widths (in modules, bar first) of ``data`` as Code 128 set B."""
    if not data or any(not 32 <= ord(char) <= 126 for char in data):
        raise PreviewError(f"Code 128 set B cannot hold {data!r}")
    values = [_START_B] + [ord(char) - 32 for char in data]
    checksum = (values[0] + sum(i * v for i, v in enumerate(values[1:], start=1))) % 103
    patterns = [_CODE128[v] for v in [*values, checksum]] + [_CODE128_STOP]
    return [int(width) for pattern in patterns for width in pattern]


@dataclass
class _Fonts:
    regular: ImageFont.FreeTypeFont
    bold: ImageFont.FreeTypeFont
    cell_width: int
    line_height: int

    def get(self, bold: bool, scale: int = 1) -> ImageFont.FreeTypeFont:
        path = FONT_BOLD if bold else FONT_REGULAR
        if scale == 1:
            return self.bold if bold else self.regular
        from PIL import ImageFont

        return ImageFont.truetype(str(path), _FONT_SIZE * scale)


def _load_fonts() -> _Fonts:
    from PIL import ImageFont

    try:
        regular = ImageFont.truetype(str(FONT_REGULAR), _FONT_SIZE)
        bold = ImageFont.truetype(str(FONT_BOLD), _FONT_SIZE)
    except OSError as exc:
        raise PreviewError(
            f"font {FONT_REGULAR} is missing; install the Debian package fonts-dejavu-core"
        ) from exc
    cell = round(regular.getlength("M"))
    ascent, descent = regular.getmetrics()
    return _Fonts(regular, bold, cell, ascent + descent + _LINE_GAP)


def _qr_image(data: str, cell_width: int) -> Image.Image:
    import qrcode

    code = qrcode.QRCode(border=1, box_size=max(cell_width // 2, 4))
    code.add_data(data)
    code.make(fit=True)
    return code.make_image(fill_color="black", back_color="white").get_image().convert("L")


def _barcode_image(data: str, module: int, height: int) -> Image.Image:
    from PIL import Image, ImageDraw

    widths = code128_modules(data)
    quiet = 10
    image = Image.new("L", ((sum(widths) + 2 * quiet) * module, height), 255)
    draw = ImageDraw.Draw(image)
    x = quiet * module
    for index, width in enumerate(widths):
        if index % 2 == 0:
            draw.rectangle([x, 0, x + width * module - 1, height - 1], fill=0)
        x += width * module
    return image


def _draw_text_block(
    canvas: Image.Image,
    y: int,
    lines: list[str],
    fonts: _Fonts,
    bold: bool,
    scale: tuple[int, int],
    underline: bool,
) -> int:
    """Draw already-aligned ``lines``; ``scale`` is (horizontal, vertical) as on the printer."""
    from PIL import Image, ImageDraw

    draw = ImageDraw.Draw(canvas)
    sx, sy = scale
    big = max(sx, sy)
    font = fonts.get(bold, big)
    for line in lines:
        if sx == sy:
            draw.text((_MARGIN, y), line, font=font, fill=0)
        else:
            # tall or wide: draw at the larger scale, then squash the other direction
            size = (fonts.cell_width * big * max(len(line), 1), fonts.line_height * big)
            stretched = Image.new("L", size, 255)
            ImageDraw.Draw(stretched).text((0, 0), line, font=font, fill=0)
            target = (stretched.width * sx // big, stretched.height * sy // big)
            canvas.paste(stretched.resize(target), (_MARGIN, y))
        if underline:
            underline_y = y + fonts.line_height * sy - _LINE_GAP
            end_x = _MARGIN + fonts.cell_width * sx * len(line)
            draw.line([_MARGIN, underline_y, end_x, underline_y], fill=0, width=2)
        y += fonts.line_height * sy
    return y


_SCALES = {"normal": (1, 1), "tall": (1, 2), "wide": (2, 1), "double": (2, 2)}


def slip_to_png(doc: SlipDocument, path: Path | str, *, width: int = 42) -> Path:
    """Draw the slip as a PNG at ``path`` (``width`` characters per line); returns the path."""
    from PIL import Image, ImageDraw

    fonts = _load_fonts()
    paper_width = fonts.cell_width * width + 2 * _MARGIN
    canvas = Image.new("L", (paper_width, 20000), 255)
    draw = ImageDraw.Draw(canvas)
    y = _MARGIN
    for element in doc.elements:
        if isinstance(element, TextLine):
            sx, sy = _SCALES[element.size]
            chars = width // sx
            lines = [_aligned(text, element.align, chars) for text in _wrap(element.text, chars)]
            y = _draw_text_block(canvas, y, lines, fonts, element.bold, (sx, sy), element.underline)
        elif isinstance(element, Columns):
            lines = columns_lines(element.left, element.right, width)
            y = _draw_text_block(canvas, y, lines, fonts, element.bold, (1, 1), False)
        elif isinstance(element, Rule):
            if element.char == "-":
                middle = y + fonts.line_height // 2
                draw.line([_MARGIN, middle, paper_width - _MARGIN, middle], fill=0, width=2)
                y += fonts.line_height
            else:
                y = _draw_text_block(canvas, y, [element.char * width], fonts, False, (1, 1), False)
        elif isinstance(element, QRCode):
            image = _qr_image(element.data, fonts.cell_width)
            canvas.paste(image, ((paper_width - image.width) // 2, y))
            y += image.height + _LINE_GAP
        elif isinstance(element, Barcode):
            image = _barcode_image(element.data, 2, fonts.line_height * 3)
            if image.width > paper_width:
                image = image.resize((paper_width - 2 * _MARGIN, image.height))
            canvas.paste(image, ((paper_width - image.width) // 2, y))
            y += image.height
            caption = [_aligned(element.data, "center", width)]
            y = _draw_text_block(canvas, y, caption, fonts, False, (1, 1), False)
        elif isinstance(element, Feed):
            y += fonts.line_height * element.lines
        elif isinstance(element, Cut):
            cut = [_aligned(CUT_MARK, "center", width)]
            y = _draw_text_block(canvas, y, cut, fonts, False, (1, 1), False)
    target = Path(path)
    canvas.crop((0, 0, paper_width, y + _MARGIN)).save(target, format="PNG")
    return target


__all__ = [
    "CUT_MARK",
    "FONT_BOLD",
    "FONT_REGULAR",
    "PreviewError",
    "code128_modules",
    "columns_lines",
    "slip_to_png",
    "slip_to_text",
]
