"""The virtual printer's side of user-defined characters: bitmaps in, characters out.

``ESC &`` carries bitmaps, not characters. To keep each slip as text, the printer decodes every
bitmap itself (column-major, MSB on top) and recognises it by comparing it with the slip font's
drawing of the letters a slip may use; a bitmap nothing matches prints as U+FFFD, so a wrongly
encoded glyph shows up in the slip text.
"""

from __future__ import annotations

from functools import lru_cache

from PIL import Image

from drivers.printer.glyphs import glyph_image

#: Letters a slip may need beyond the code pages: Latin (incl. Azerbaijani), Greek, Cyrillic.
#: Where two look the same, the first wins: schwa before the turned e (U+01DD) it matches.
_CANDIDATES = "".join(
    chr(c) for r in ((0x0259, 0x025A), (0x00A0, 0x0250), (0x0370, 0x0530)) for c in range(*r)
)


@lru_cache(maxsize=4)
def _known(font_path: str) -> dict[bytes, str]:
    table: dict[bytes, str] = {}
    for ch in _CANDIDATES:
        table.setdefault(glyph_image(ch, font_path).tobytes(), ch)
    return table


def bitmap(y: int, x: int, data: bytes) -> Image.Image:
    """An ``ESC &`` cell as an image: ``x`` columns of ``y`` bytes, MSB at the top."""
    img = Image.new("1", (x, 8 * y), 1)
    px = img.load()
    assert px is not None
    for col in range(x):
        for k in range(y):
            byte = data[col * y + k] if col * y + k < len(data) else 0
            for bit in range(8):
                if byte & (0x80 >> bit):
                    px[col, k * 8 + bit] = 0
    return img


def read_user_characters(raw: bytes, font_path: str) -> dict[int, str]:
    """Decode ``ESC & y c1 c2 [x d...]...`` into code -> recognised character."""
    y, c1, c2 = raw[2], raw[3], raw[4]
    out: dict[int, str] = {}
    pos = 5
    for code in range(c1, c2 + 1):
        if pos >= len(raw):
            break
        x = raw[pos]
        data = raw[pos + 1 : pos + 1 + y * x]
        pos += 1 + y * x
        cell = Image.new("1", (12, 24), 1)
        cell.paste(bitmap(y, x, data), (0, 0))
        out[code] = _known(font_path).get(cell.tobytes(), "\ufffd")
    return out


__all__ = ["bitmap", "read_user_characters"]
