"""User-defined characters: one font-A cell (12 x 24 dots) drawn from the slip font.

Characters no code page of the profile holds (Azerbaijani ``ə``, ``Ə``) can be defined once per
job with ``ESC &`` and printed as text with ``ESC %`` switched on around them. A line stays a
line of text (a few bytes) instead of a raster image (some 1,500 bytes), which is what makes an
Azerbaijani slip fit a 9,600-baud line.

``ESC & y c1 c2 [x d1 ... d(y*x)]``: ``y`` = 3 bytes per column (24 dots), ``x`` columns, the
column bytes top to bottom with the most significant bit at the top.
"""

from __future__ import annotations

from functools import lru_cache

from PIL import Image, ImageDraw, ImageFont

#: Font A cell on TM-T88-class printers.
CELL_W, CELL_H = 12, 24
#: Bytes per column of a 24-dot cell.
CELL_Y = CELL_H // 8
#: ESC %: user-defined character set on / off.
UDC_ON = b"\x1b%\x01"
UDC_OFF = b"\x1b%\x00"
#: The codes glyphs are defined at; ESC % is on only around them, so their ASCII use is kept.
UDC_CODES = tuple(range(0x7E, 0x20, -1))


@lru_cache(maxsize=8)
def _font(path: str) -> ImageFont.FreeTypeFont:
    return ImageFont.truetype(path, 20)


@lru_cache(maxsize=1024)
def glyph_image(ch: str, font_path: str) -> Image.Image:
    """``ch`` drawn into one 12 x 24 cell, on the same baseline as the printer's font A."""
    img = Image.new("1", (CELL_W, CELL_H), 1)
    draw = ImageDraw.Draw(img)
    draw.text((0, CELL_H - 5), ch, font=_font(font_path), fill=0, anchor="ls")
    return img


def glyph_columns(ch: str, font_path: str) -> bytes:
    """The cell as ``ESC &`` data: columns left to right, 3 bytes each, MSB at the top."""
    img = glyph_image(ch, font_path)
    px = img.load()
    assert px is not None
    out = bytearray()
    for x in range(CELL_W):
        for k in range(CELL_Y):
            byte = 0
            for bit in range(8):
                if px[x, k * 8 + bit] == 0:
                    byte |= 0x80 >> bit
            out.append(byte)
    return bytes(out)


def define(code: int, ch: str, font_path: str) -> bytes:
    """``ESC &`` defining ``ch`` at ``code``."""
    return bytes([0x1B, ord("&"), CELL_Y, code, code, CELL_W]) + glyph_columns(ch, font_path)


__all__ = [
    "CELL_H",
    "CELL_W",
    "CELL_Y",
    "UDC_CODES",
    "UDC_OFF",
    "UDC_ON",
    "define",
    "glyph_columns",
    "glyph_image",
]
