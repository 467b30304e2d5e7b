"""The fonts a counter needs: every character the screen and the slips write, and ₼.

The characters are everything the five languages' catalogs (slips and screen), the screen's
templates and the market presets contain, plus the manat sign. Coverage is read from the font
files installed by the Debian packages (fontconfig's ``fc-query``), and the fallback is the one
fontconfig gives Chromium for a character the first font lacks (``fc-match`` with a charset).
"""

from __future__ import annotations

import re
import subprocess
import unicodedata
from pathlib import Path

from babel.messages.pofile import read_po

from drivers.printer.escpos_output import DEFAULT_FONT_PATH, GLYPH_SUBSTITUTES

ROOT = Path(__file__).resolve().parents[2]
LANGUAGES = ("sl", "sr_Latn", "az", "fi", "en")
MANAT = "\u20bc"
#: The screen's font (counter.css) and the Debian fonts-noto-core fallback that has ₼.
SCREEN_FONT = Path("/usr/share/fonts/truetype/dejavu/DejaVuSans.ttf")
NOTO_SANS = Path("/usr/share/fonts/truetype/noto/NotoSans-Regular.ttf")


def _charset(font: Path) -> set[int]:
    """Code points the font has glyphs for, as fontconfig reads them from the file."""
    done = subprocess.run(
        ["fc-query", "--format=%{charset}", str(font)],
        capture_output=True,
        text=True,
        check=True,
        timeout=60,
    )
    points: set[int] = set()
    for part in done.stdout.split():
        low, _, high = part.partition("-")
        points.update(range(int(low, 16), int(high or low, 16) + 1))
    return points


def _counter_characters() -> set[str]:
    texts: list[str] = []
    for catalog in ("printer_templates/locale", "terminal/web/locale"):
        for language in LANGUAGES:
            for po in (ROOT / catalog / language / "LC_MESSAGES").glob("*.po"):
                with po.open("rb") as handle:
                    for message in read_po(handle):
                        ids = message.id if isinstance(message.id, tuple) else (message.id,)
                        strings = (
                            message.string
                            if isinstance(message.string, tuple)
                            else (message.string,)
                        )
                        texts.extend(str(t) for t in (*ids, *strings) if t)
    for template in (ROOT / "terminal" / "web" / "templates").glob("*.html"):
        texts.append(re.sub(r"{[{%#].*?[}%#]}", " ", template.read_text(encoding="utf-8")))
    for preset in (ROOT / "terminal" / "presets").glob("*.toml"):
        texts.append(preset.read_text(encoding="utf-8"))
    texts.append(MANAT)
    return {
        char
        for text in texts
        for char in text
        if not unicodedata.category(char).startswith(("C", "Z"))
    }


def test_the_counter_writes_the_characters_of_all_five_languages() -> None:
    chars = _counter_characters()
    for sample in "čšžćđəğıöüşçÇŞİÄäÖ" + MANAT:  # sl, sr_Latn, az, fi
        assert sample in chars, sample


def test_the_screen_shows_every_character_and_the_manat_sign() -> None:
    chars = _counter_characters()
    screen = _charset(SCREEN_FONT)
    lacking = sorted(c for c in chars if ord(c) not in screen)
    assert lacking == [MANAT]  # DejaVu 2.37 has every letter, but no ₼
    assert ord(MANAT) in _charset(NOTO_SANS)
    # What Chromium gets from fontconfig for ₼ when the page's font lacks it: a font with ₼.
    fallback = subprocess.run(
        ["fc-match", "--format=%{file}", f"DejaVu Sans:charset={ord(MANAT):x}"],
        capture_output=True,
        text=True,
        check=True,
        timeout=60,
    ).stdout
    assert ord(MANAT) in _charset(Path(fallback)), fallback


def test_slip_images_draw_every_character_or_its_deliberate_substitute() -> None:
    chars = _counter_characters()
    mono = _charset(Path(DEFAULT_FONT_PATH))
    lacking = {c for c in chars if ord(c) not in mono}
    assert lacking <= set(GLYPH_SUBSTITUTES), sorted(lacking)
