"""The manat sign ₼ on the counter screen is the font's glyph, not a box.

Chromium renders an Azerbaijani amount with the screen's own stylesheet (the amount cells'
font stack); the test cuts the ₼ out of a screenshot and compares its ink with the glyph that
Pillow draws from Noto Sans (the font the stylesheet names first for it), and with the box a
font without ₼ draws (DejaVu Sans). The screen's ₼ must match Noto's shape, not the box.
"""

from __future__ import annotations

import io
from pathlib import Path
from typing import Any

from PIL import Image, ImageChops, ImageDraw, ImageFont

from terminal.web.i18n import Speaker

STATIC = Path(__file__).resolve().parents[2] / "terminal" / "web" / "static"
NOTO = Path("/usr/share/fonts/truetype/noto/NotoSans-Regular.ttf")
DEJAVU = Path("/usr/share/fonts/truetype/dejavu/DejaVuSans.ttf")
SIZE = 160
GRID = 48


def ink(image: Image.Image) -> Image.Image:
    """The glyph's dark pixels, cropped to them and scaled to a fixed grid (black on white)."""
    grey = image.convert("L")
    mask = grey.point(lambda v: 255 if v < 128 else 0)
    box = mask.getbbox()
    assert box is not None, "nothing drawn"
    return mask.crop(box).resize((GRID, GRID), Image.Resampling.NEAREST)


def drawn(font_path: Path, text: str) -> Image.Image:
    font = ImageFont.truetype(str(font_path), SIZE)
    canvas = Image.new("L", (SIZE * 2, SIZE * 2), 255)
    ImageDraw.Draw(canvas).text((SIZE // 2, SIZE // 4), text, font=font, fill=0)
    return canvas


def overlap(a: Image.Image, b: Image.Image) -> float:
    """Intersection over union of two ink masks."""
    both = ImageChops.multiply(a, b).histogram()[255]
    either = ImageChops.lighter(a, b).histogram()[255]
    return both / either if either else 0.0


def test_an_azerbaijani_amount_shows_the_manat_glyph(page: Any) -> None:
    speaker = Speaker.for_language("az", market_language="az", market_locale="az_Latn_AZ")
    amount = speaker.money(1250, "AZN")
    assert "₼" in amount, amount
    css = (STATIC / "counter.css").read_text(encoding="utf-8")
    page.set_content(
        f'<html lang="az"><head><meta charset="utf-8"><style>{css}</style></head><body>'
        f'<dl class="facts"><dd id="amount">{amount}</dd>'
        f'<dd id="sign" style="font-size:{SIZE}px;line-height:1.4;padding:20px;'
        f'background:#fff;color:#000">₼</dd></dl></body></html>'
    )
    page.wait_for_function("document.fonts.ready.then(() => true)")
    shot = Image.open(io.BytesIO(page.locator("#sign").screenshot()))
    screen = ink(shot)
    noto = ink(drawn(NOTO, "₼"))
    box = ink(drawn(DEJAVU, "₼"))
    like_noto, like_box = overlap(screen, noto), overlap(screen, box)
    assert like_noto > 0.6, (like_noto, like_box)
    assert like_noto > like_box + 0.2, (like_noto, like_box)
