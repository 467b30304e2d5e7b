"""Turn a :class:`SlipDocument` into python-escpos calls, and so into one job of ESC/POS bytes.

Text goes through python-escpos's magic encoder, which picks a code page of the printer's
profile for each run of characters. Characters no code page of the profile has (Azerbaijani
``ə``, ``Ə``) are sent as user-defined characters (``ESC &`` once per job, ``ESC %`` around
each use, see :mod:`.glyphs`) where the profile's printer supports them; otherwise, and for a
character that needs more than one cell (``₼`` is drawn as ``AZN``), the line is drawn with
Pillow and sent as a raster image, because a ``?`` on a slip that is the customer's proof is
worse than a slower line.

The job is rendered into python-escpos's ``Dummy`` first, so a bad element fails before a
single byte reaches the printer.
"""

from __future__ import annotations

import contextlib
import io
import textwrap
from functools import lru_cache
from pathlib import Path

from escpos.capabilities import get_profile
from escpos.magicencode import Encoder
from escpos.printer import Dummy
from PIL import Image, ImageDraw, ImageFont

from drivers.errors import SlipNotPrintable
from drivers.printer import glyphs
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

#: Debian ``fonts-dejavu-core``; the Makefile installs it.
DEFAULT_FONT_PATH = "/usr/share/fonts/truetype/dejavu/DejaVuSansMono.ttf"
#: ESC @: every job starts from a printer in its power-on state, whatever the last job left.
INIT = b"\x1b@"
#: Height of one line of font A (12 x 24 dots) on TM-T88-class printers.
LINE_DOTS = 24
#: Characters the DejaVu fonts have no glyph for, drawn as a deliberate, readable substitute.
GLYPH_SUBSTITUTES = {"\u20bc": "AZN"}  # manat sign
#: DejaVu Sans Mono advance width as a fraction of the font size.
_MONO_ADVANCE = 0.6021


class SlipRenderError(SlipNotPrintable):
    """A slip element cannot be expressed on this printer (e.g. an invalid barcode)."""


@lru_cache(maxsize=16)
def _encoder(profile: str) -> Encoder:
    return Encoder(get_profile(profile).get_code_pages())


@lru_cache(maxsize=16)
def _char_maps(profile: str) -> dict[str, dict[str, int]]:
    """The profile's code page character maps, built once per process (python-escpos builds
    them again for every new Encoder: most of a slip's render time)."""
    return {}


def _job_encoder(profile: str) -> Encoder:
    """A fresh Encoder per job (its choice of code pages depends only on this job's text, so
    the same slip gives the same bytes) over the shared, unchanging character maps."""
    encoder = Encoder(get_profile(profile).get_code_pages())
    encoder.available_characters = _char_maps(profile)
    return encoder


def paper_dots(profile: str) -> int:
    """Printable width in dots from the profile's media data; 512 (80 mm at 180 dpi) if unknown."""
    try:
        pixels = get_profile(profile).profile_data["media"]["width"]["pixels"]
        return int(pixels)
    except (KeyError, TypeError, ValueError):
        return 512


def unencodable_chars(text: str, profile: str) -> set[str]:
    """Characters of ``text`` that no code page of ``profile`` holds (they would print as ``?``)."""
    if text.isascii():
        return set()  # every code page holds ASCII
    return {ch for ch in set(text) if ord(ch) >= 128 and not _in_some_code_page(profile, ch)}


@lru_cache(maxsize=4096)
def _in_some_code_page(profile: str, ch: str) -> bool:
    """Whether a code page of ``profile`` holds ``ch`` (asked once per letter, not per line)."""
    enc = _encoder(profile)
    return any(enc.can_encode(cp, ch) for cp in enc.codepages)


def supports_user_characters(profile: str) -> bool:
    """Epson's ESC/POS printers take ``ESC &`` / ``ESC %``; for others we do not assume it."""
    try:
        data = get_profile(profile).profile_data
    except Exception:
        return False
    return data.get("vendor") == "Epson" and not data.get("features", {}).get("starCommands")


#: Control characters would be read as commands by the printer: they print as spaces.
_CONTROLS = {code: " " for code in (*range(32), 127)}


def _clean(text: str) -> str:
    """Control characters would be read as commands by the printer: make them spaces."""
    return text.translate(_CONTROLS)


def _write_text(p: Dummy, text: str) -> None:
    """``p.text(text)``, without python-escpos's per-character search where it cannot matter.

    Once a code page is selected, text that code page holds entirely is written in it
    directly: the magic encoder would keep the code page (``split_writable_text`` takes the
    whole text) and write ``Encoder.encode(text, code page)``, so the bytes are the same; pure
    ASCII (every code page holds it) is its own bytes. Anything else (a letter that needs a
    code page change) and the first text of a job (which selects the code page with ``ESC t``)
    go through the encoder.
    """
    magic = p.magic
    encoding = magic.encoding
    if encoding is None or magic.disabled:
        p.text(text)
    elif text.isascii():
        p._raw(text.encode("ascii"))
    else:
        charmap = magic.encoder._get_codepage_char_map(encoding)
        if all(ord(ch) < 128 or ch in charmap for ch in text):
            p._raw(magic.encoder.encode(text, encoding))
        else:
            p.text(text)


@lru_cache(maxsize=32)
def _font(path: str, size: int) -> ImageFont.FreeTypeFont:
    return ImageFont.truetype(path, size)


def _bold_path(font_path: str) -> str:
    candidate = font_path.replace(".ttf", "-Bold.ttf")
    return candidate if Path(candidate).exists() else font_path


def text_image(
    text: str,
    *,
    width_chars: int,
    dots: int,
    font_path: str = DEFAULT_FONT_PATH,
    align: str = "left",
    bold: bool = False,
    underline: bool = False,
    size: str = "normal",
) -> Image.Image:
    """Draw one printer line as a 1-bit image exactly ``dots`` wide, laid out like font A."""
    x_scale = 2 if size in ("wide", "double") else 1
    y_scale = 2 if size in ("tall", "double") else 1
    base_w = dots // x_scale
    cols = max(1, width_chars // x_scale)
    font_size = max(8, int(base_w / width_chars / _MONO_ADVANCE * x_scale))
    font_size = min(font_size, LINE_DOTS - 2)
    font = _font(_bold_path(font_path) if bold else font_path, font_size)
    img = Image.new("1", (base_w, LINE_DOTS), 1)
    draw = ImageDraw.Draw(img)
    text = "".join(GLYPH_SUBSTITUTES.get(ch, ch) for ch in text)[:cols]
    text_w = int(draw.textlength(text, font=font))
    if align == "center":
        x = max(0, (base_w - text_w) // 2)
    elif align == "right":
        x = max(0, base_w - text_w)
    else:
        x = 0
    baseline = LINE_DOTS - 5
    draw.text((x, baseline), text, font=font, fill=0, anchor="ls")
    if underline:
        draw.line((x, baseline + 2, x + text_w, baseline + 2), fill=0, width=1)
    if x_scale != 1 or y_scale != 1:
        img = img.resize((base_w * x_scale, LINE_DOTS * y_scale), Image.Resampling.NEAREST)
    return img


class SlipRenderer:
    """Writes slip elements onto a python-escpos printer object, line by line."""

    def __init__(
        self,
        profile: str = "TM-T88V",
        width: int = 42,
        font_path: str | None = None,
        user_characters: bool | None = None,
    ) -> None:
        self.profile = profile
        self.width = width
        self.font_path = font_path or DEFAULT_FONT_PATH
        self.dots = paper_dots(profile)
        #: False draws every line with a character outside the code pages as an image
        self.user_characters = (
            supports_user_characters(profile) if user_characters is None else user_characters
        )
        #: character -> code it is defined at in this job
        self._udc: dict[str, int] = {}

    def _plan_user_characters(self, doc: SlipDocument) -> bytes:
        """Pick the characters to define for this job; returns their ESC & definitions."""
        self._udc = {}
        if not self.user_characters:
            return b""
        texts: list[str] = []
        for element in doc.elements:
            if isinstance(element, TextLine):
                texts.append(element.text)
            elif isinstance(element, Columns):
                texts += [element.left, element.right]
            elif isinstance(element, Rule):
                texts.append(element.char)
        missing = sorted(unencodable_chars(_clean("".join(texts)), self.profile))
        wanted = [ch for ch in missing if ch not in GLYPH_SUBSTITUTES]
        if len(wanted) > len(glyphs.UDC_CODES):
            return b""  # more than the cells there are: raster keeps every line readable
        self._udc = dict(zip(wanted, glyphs.UDC_CODES, strict=False))
        return b"".join(glyphs.define(code, ch, self.font_path) for ch, code in self._udc.items())

    def render(self, doc: SlipDocument) -> bytes:
        """The whole job: ESC @, every element, and whatever cut the document asks for."""
        dummy = Dummy(profile=self.profile)
        dummy.magic.encoder = _job_encoder(self.profile)
        dummy._raw(INIT)
        definitions = self._plan_user_characters(doc)
        if definitions:
            dummy._raw(definitions)
        dummy.magic.encoding = None  # ESC @ reset the code page: force ESC t before text
        for element in doc.elements:
            try:
                self.element(dummy, element)
            except SlipRenderError:
                raise
            except Exception as exc:  # python-escpos and Pillow raise many kinds
                raise SlipRenderError(f"{type(element).__name__}: {exc}") from exc
        return bytes(dummy.output)

    def element(self, p: Dummy, element: Element) -> None:
        if isinstance(element, TextLine):
            self.text_line(p, element)
        elif isinstance(element, Columns):
            for line in self.column_lines(element.left, element.right):
                self._line(p, line, align="left", bold=element.bold)
        elif isinstance(element, Rule):
            char = _clean(element.char)[:1] or "-"
            self._line(p, char * self.width, align="left")
        elif isinstance(element, QRCode):
            p.set(align="center", normal_textsize=True, bold=False, underline=0)
            p.qr(element.data, size=max(1, min(16, element.size)), native=True)
            p.text("\n")
            p.set(align="left")
        elif isinstance(element, Barcode):
            self.barcode(p, element)
        elif isinstance(element, Feed):
            if element.lines > 0:
                p.print_and_feed(min(255, element.lines))
        elif isinstance(element, Cut):
            p.cut()
        else:  # pragma: no cover - the Element union is closed
            raise SlipRenderError(f"unknown slip element {element!r}")

    def text_line(self, p: Dummy, line: TextLine) -> None:
        cols = self.width // 2 if line.size in ("wide", "double") else self.width
        text = _clean(line.text)
        pieces = textwrap.wrap(text, cols, drop_whitespace=True) or [""]
        for piece in pieces:
            self._line(
                p, piece, align=line.align, bold=line.bold, underline=line.underline, size=line.size
            )

    def column_lines(self, left: str, right: str) -> list[str]:
        """Label left, value right on ``width`` columns; a long label wraps above the value."""
        left, right = _clean(left), _clean(right)
        room = self.width - len(right) - 1
        if room < 1:
            return [*textwrap.wrap(left, self.width), right.rjust(self.width)]
        labels = textwrap.wrap(left, room) or [""]
        last = labels.pop()
        return [*labels, last.ljust(room) + " " + right]

    def _line(
        self,
        p: Dummy,
        text: str,
        *,
        align: str,
        bold: bool = False,
        underline: bool = False,
        size: str = "normal",
    ) -> None:
        missing = unencodable_chars(text, self.profile)
        if missing and not missing <= self._udc.keys():
            img = text_image(
                text,
                width_chars=self.width,
                dots=self.dots,
                font_path=self.font_path,
                align=align,
                bold=bold,
                underline=underline,
                size=size,
            )
            p.set(align="left")
            p.image(img, impl="bitImageRaster", center=False)
            return
        p.set(
            align=align,
            bold=bold,
            underline=1 if underline else 0,
            normal_textsize=True,
            double_width=size in ("wide", "double"),
            double_height=size in ("tall", "double"),
        )
        if not missing:
            _write_text(p, text + "\n")
            return
        run = ""
        for ch in text:
            if ch not in missing:
                run += ch
                continue
            if run:
                _write_text(p, run)
                run = ""
            p._raw(glyphs.UDC_ON + bytes([self._udc[ch]]) + glyphs.UDC_OFF)
        _write_text(p, run + "\n")

    def barcode(self, p: Dummy, element: Barcode) -> None:
        p.set(normal_textsize=True, bold=False, underline=0)
        if element.symbology == "CODE128":
            code, function_type = "{B" + element.data.replace("{", "{{"), "B"
        else:
            code, function_type = element.data, "B"
        try:
            # python-escpos announces the renderer it picked on stdout; the kiosk has no use for it
            with contextlib.redirect_stdout(io.StringIO()):
                p.barcode(
                    code,
                    element.symbology,
                    height=64,
                    width=2,
                    pos="BELOW",
                    align_ct=True,
                    function_type=function_type,
                )
        except Exception as exc:  # python-escpos raises its own Barcode*Error family
            raise SlipRenderError(f"barcode {element.data!r}: {exc}") from exc
        p.text("\n")
        p.set(align="left")


def render_job(
    doc: SlipDocument,
    *,
    profile: str = "TM-T88V",
    width: int = 42,
    font_path: str | None = None,
    user_characters: bool | None = None,
) -> bytes:
    """The ESC/POS bytes of ``doc`` for ``profile``: what the printer connection will send.

    ``user_characters`` None follows the profile; False forces raster lines (the fallback).
    """
    return SlipRenderer(profile, width, font_path, user_characters).render(doc)


__all__ = [
    "DEFAULT_FONT_PATH",
    "INIT",
    "SlipRenderError",
    "SlipRenderer",
    "paper_dots",
    "render_job",
    "supports_user_characters",
    "text_image",
    "unencodable_chars",
]
