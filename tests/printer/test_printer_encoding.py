"""Slovenian, Serbian (Latin), Finnish and Azerbaijani slips keep every letter.

The bytes python-escpos produced are decoded back with Python's own codecs for the code page
each ``ESC t`` selected (independent of python-escpos's tables); a line holding a letter no
code page has (``ə``) must arrive as a user-defined character (``ESC &`` bitmap of the slip
font's glyph, ``ESC %`` around its uses) or, where that is not available, as a raster image of
the line, and ``?`` appears nowhere.
"""

from __future__ import annotations

import pytest
from helpers.printer import connect
from PIL import ImageChops

from drivers.printer import PrintOutcome
from drivers.printer.escpos_output import (
    DEFAULT_FONT_PATH,
    paper_dots,
    render_job,
    text_image,
    unencodable_chars,
)
from drivers.printer.glyphs import glyph_image
from drivers.virtual_printer import VirtualPrinter
from drivers.virtual_printer.glyphs import bitmap
from drivers.virtual_printer.parser import Tokenizer
from printer_templates.document import Columns, Cut, SlipDocument, TextLine

#: Epson ESC t numbers (TM-T88V) -> Python codec, to decode without python-escpos's tables.
PYTHON_CODECS = {
    0: "cp437",
    2: "cp850",
    3: "cp860",
    4: "cp863",
    5: "cp865",
    13: "cp857",
    15: "iso8859_7",
    16: "cp1252",
    17: "cp866",
    18: "cp852",
    19: "cp858",
    39: "iso8859_2",
    40: "iso8859_15",
    45: "cp1250",
    46: "cp1251",
    48: "cp1254",
}


def decode_job(
    job: bytes, cells: dict[str, int] | None = None
) -> tuple[list[str], list[bytes], set[int]]:
    """Text lines as the printer would print them, the raster images, and the ESC t used.

    ``cells`` maps the letters expected as user-defined characters to the code each must be
    defined at; each definition must be the slip font's drawing of that letter.
    """
    lines: list[str] = []
    images: list[bytes] = []
    pages: set[int] = set()
    page = 0
    current = ""
    defined: dict[int, str] = {}
    udc = False
    for token in Tokenizer().feed(job):
        if token.kind == "text" and udc:
            current += "".join(defined[b] for b in token.raw)
        elif token.kind == "text":
            assert b"?" not in token.raw, f"a '?' was sent: {token.raw!r}"
            current += token.raw.decode(PYTHON_CODECS[page])
        elif token.name == "ESC &":
            y, c1, c2, x = token.raw[2:6]
            assert (y, c1 == c2, x) == (3, True, 12), "one 12 x 24 cell per definition"
            letter = next(ch for ch, code in (cells or {}).items() if code == c1)
            cell = bitmap(y, x, token.raw[6:])
            assert cell.tobytes() == glyph_image(letter, DEFAULT_FONT_PATH).tobytes()
            defined[c1] = letter
        elif token.name == "ESC %":
            udc = bool(token.raw[2] & 1)
        elif token.name == "ESC t":
            page = token.raw[2]
            pages.add(page)
        elif token.name == "ESC @":
            page = 0
        elif token.name == "LF":
            lines.append(current)
            current = ""
        elif token.name == "GS v":
            images.append(token.raw)
    return lines, images, pages


SLOVENIAN = [
    "Plačilo z gotovino",
    "Šifra: ŽIG-42, čas 12:00",
    "Hvala za nakup! Številka kartice: ž š č",
]
SERBIAN_LATIN = [
    "Ćevapčići i đak: račun",
    "Đorđe Šćekić, Žabalj",
    "Uplata ć đ č š ž Ć Đ Č Š Ž",
]
FINNISH = ["Hyvää päivää, kiitos ostoksesta", "Määrä: 10,00 € ÄÖ"]
AZERBAIJANI_TEXT = ["Ağ ışıq: süd, üzüm, öküz, çay", "ÇŞĞİÜ çşğıü Ö ö"]
AZERBAIJANI_SCHWA = ["Ödəniş qəbul edildi", "Məbləğ: 10,00 ₼", "ƏLAVƏ MƏLUMAT"]


def slip(lines: list[str]) -> SlipDocument:
    return SlipDocument(elements=[*(TextLine(t) for t in lines), Cut()])


@pytest.mark.parametrize(
    ("lines", "page"),
    [(SLOVENIAN, 18), (SERBIAN_LATIN, 18), (FINNISH, None), (AZERBAIJANI_TEXT, 13)],
    ids=["slovenian", "serbian-latin", "finnish", "azerbaijani-without-schwa"],
)
def test_letters_survive_as_text(lines: list[str], page: int | None) -> None:
    job = render_job(slip(lines), profile="TM-T88V")
    printed, images, pages = decode_job(job)
    assert images == [], "every letter here exists in a code page: no image lines"
    assert [p for p in printed if p.strip()][: len(lines)] == lines
    if page is not None:
        assert page in pages  # CP852 for č ć đ š ž, CP857 for ğ ı ş İ


def test_schwa_is_a_user_defined_character_and_the_line_stays_text() -> None:
    lines = [AZERBAIJANI_TEXT[0], *AZERBAIJANI_SCHWA, AZERBAIJANI_TEXT[1]]
    job = render_job(slip(lines), profile="TM-T88V")
    printed, images, _ = decode_job(job, {"Ə": 0x7E, "ə": 0x7D})
    text_lines = [p for p in printed if p.strip()]
    schwa_only = [AZERBAIJANI_SCHWA[0], AZERBAIJANI_SCHWA[2]]
    assert text_lines == [AZERBAIJANI_TEXT[0], *schwa_only, AZERBAIJANI_TEXT[1]]
    # the manat sign needs three cells ("AZN"): that one line stays an image
    assert len(images) == 1
    expected = text_image(AZERBAIJANI_SCHWA[1], width_chars=42, dots=paper_dots("TM-T88V"))
    assert images[0][8:] == expected.tobytes("raw", "1;I")
    assert job.count(b"\x1b&") == 2, "each letter is defined once per job"


def test_without_user_characters_schwa_lines_become_images() -> None:
    lines = [AZERBAIJANI_TEXT[0], *AZERBAIJANI_SCHWA, AZERBAIJANI_TEXT[1]]
    job = render_job(slip(lines), profile="TM-T88V", user_characters=False)
    printed, images, _ = decode_job(job)
    text_lines = [p for p in printed if p.strip()]
    assert text_lines[:2] == [AZERBAIJANI_TEXT[0], AZERBAIJANI_TEXT[1]]
    assert not any("ə" in p or "Ə" in p for p in printed)
    assert len(images) == len(AZERBAIJANI_SCHWA)
    dots = paper_dots("TM-T88V")
    for raw, line in zip(images, AZERBAIJANI_SCHWA, strict=True):
        width_bytes = raw[4] + 256 * raw[5]
        height = raw[6] + 256 * raw[7]
        assert (width_bytes * 8, height) == (dots, 24)
        assert any(raw[8:]), "the image line must not be blank"
        expected = text_image(line, width_chars=42, dots=dots)
        assert raw[8:] == expected.tobytes("raw", "1;I"), f"image is not the line {line!r}"


def test_profile_tells_which_characters_need_an_image() -> None:
    assert unencodable_chars("č š ž ć đ ä ö ğ ı ş ç ü Ç Ş Ğ İ Ü", "TM-T88V") == set()
    assert unencodable_chars("Məbləğ ₼ Ə", "TM-T88V") == {"ə", "₼", "Ə"}


def test_through_the_virtual_printer(vprinter: VirtualPrinter) -> None:
    doc = SlipDocument(
        elements=[
            *(TextLine(t) for t in SLOVENIAN + SERBIAN_LATIN + AZERBAIJANI_TEXT),
            TextLine(AZERBAIJANI_SCHWA[0], align="center"),
            Columns("Məbləğ", "10,00 AZN"),
            Cut(),
        ],
        language="az",
    )
    assert connect(vprinter).print_slip(doc) is PrintOutcome.PRINTED
    text = vprinter.slips[0].text
    for line in SLOVENIAN + SERBIAN_LATIN + AZERBAIJANI_TEXT:
        assert line in text
    # the printer recognised its user-defined cells as the letters they draw
    assert "Ödəniş qəbul edildi" in text and "Məbləğ" in text
    assert "?" not in text and "\ufffd" not in text and "[image" not in text


def test_raster_fallback_through_the_virtual_printer(vprinter: VirtualPrinter) -> None:
    doc = SlipDocument(
        elements=[
            *(TextLine(t) for t in SLOVENIAN + SERBIAN_LATIN + AZERBAIJANI_TEXT),
            TextLine(AZERBAIJANI_SCHWA[0], align="center"),
            Columns("Məbləğ", "10,00 AZN"),
            Cut(),
        ],
        language="az",
    )
    printer = connect(vprinter)
    printer.render = lambda d: render_job(d, user_characters=False)  # type: ignore[method-assign]
    assert printer.print_slip(doc) is PrintOutcome.PRINTED
    text = vprinter.slips[0].text
    for line in SLOVENIAN + SERBIAN_LATIN + AZERBAIJANI_TEXT:
        assert line in text
    assert text.count("[image 512x24]") == 2
    assert "?" not in text and "\ufffd" not in text and "ə" not in text
    img = vprinter.slips[0].images[0]
    expected = text_image(AZERBAIJANI_SCHWA[0], width_chars=42, dots=512, align="center")
    assert ImageChops.difference(img.convert("L"), expected.convert("L")).getbbox() is None
