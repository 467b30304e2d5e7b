"""The slip markup: the small line language slip templates write, parsed into a SlipDocument.

Templates produce text, but a slip is a list of typed elements; this line language sits in
between so a template reads like the slip it prints and the parser catches a typo before paper
does. One element per line; blank lines are ignored (use ``@feed`` for space on paper).

========================  =====================================================================
``TEXT``                  a left-aligned text line
``@center @bold TEXT``    style flags, any order, before the text: ``@left @center @right``,
                          ``@bold @underline``, one size of ``@tall @wide @double``
``@cols LEFT | RIGHT``    label on the left, value on the right edge (``@bold @cols ...`` too)
``@rule`` / ``@rule =``   a separator across the paper, of ``-`` or the given character
``@qr DATA``              a QR code of DATA
``@barcode DATA``         a CODE128 barcode of DATA with its text
``@feed N``               N blank lines (default 1)
``@cut``                  feed and cut: the end of a slip
========================  =====================================================================

Escaping: in text, ``\\@``, ``\\|`` and ``\\\\`` stand for ``@``, ``|`` and ``\\``. The
renderer escapes every value a template prints (:func:`escape`), so a customer's message such
as ``@cut`` or ``a | b`` prints literally and can never start a directive, split columns or add
a line.
"""

from __future__ import annotations

import re

from printer_templates.document import (
    Align,
    Barcode,
    Columns,
    Cut,
    Element,
    Feed,
    QRCode,
    Rule,
    Size,
    TextLine,
)

_ALIGN_FLAGS: dict[str, Align] = {"@left": "left", "@center": "center", "@right": "right"}
_SIZE_FLAGS: dict[str, Size] = {"@tall": "tall", "@wide": "wide", "@double": "double"}
_STYLE_FLAGS = {"@bold", "@underline"}
_DIRECTIVES = {"@cols", "@rule", "@qr", "@barcode", "@feed", "@cut"}
_CONTROL = re.compile(r"[\x00-\x1f\x7f\u2028\u2029]")


class SlipMarkupError(ValueError):
    """A template produced a line the parser cannot read; names the line and what is wrong."""


def escape(text: str) -> str:
    """``text`` as literal slip text: markup characters escaped, line breaks made spaces."""
    escaped = text.replace("\\", "\\\\").replace("@", "\\@").replace("|", "\\|")
    return _CONTROL.sub(" ", escaped)


def _split_unescaped(text: str, separator: str | None) -> list[str]:
    """Unescape ``text``, splitting it at every ``separator`` that is not escaped."""
    parts: list[str] = []
    current: list[str] = []
    chars = iter(text)
    for char in chars:
        if char == "\\":
            current.append(next(chars, "\\"))
        elif separator is not None and char == separator:
            parts.append("".join(current))
            current = []
        else:
            current.append(char)
    parts.append("".join(current))
    return parts


def unescape(text: str) -> str:
    """The literal text an escaped markup fragment stands for."""
    return _split_unescaped(text, None)[0]


def _parse_line(number: int, line: str) -> Element | None:
    align: Align = "left"
    size: Size = "normal"
    styles: set[str] = set()
    directive: str | None = None
    rest = line
    while rest.startswith("@"):
        word, _, tail = rest.partition(" ")
        rest = tail.strip()
        if word in _ALIGN_FLAGS:
            align = _ALIGN_FLAGS[word]
        elif word in _SIZE_FLAGS:
            if size != "normal":
                raise SlipMarkupError(f"line {number}: two sizes in {line!r}")
            size = _SIZE_FLAGS[word]
        elif word in _STYLE_FLAGS:
            styles.add(word)
        elif word in _DIRECTIVES:
            directive = word
            break
        else:
            raise SlipMarkupError(f"line {number}: unknown directive {word!r} in {line!r}")
    if directive is None:
        text = unescape(rest)
        if not text:
            return None
        return TextLine(
            text,
            align=align,
            bold="@bold" in styles,
            underline="@underline" in styles,
            size=size,
        )
    return _parse_directive(number, line, directive, rest, align, size, styles)


def _parse_directive(
    number: int,
    line: str,
    directive: str,
    rest: str,
    align: Align,
    size: Size,
    styles: set[str],
) -> Element:
    bold = "@bold" in styles
    if directive == "@cols":
        if align != "left" or size != "normal" or "@underline" in styles:
            raise SlipMarkupError(f"line {number}: @cols takes only @bold: {line!r}")
        parts = _split_unescaped(rest, "|")
        if len(parts) != 2:
            raise SlipMarkupError(f"line {number}: @cols needs 'LEFT | RIGHT', got {line!r}")
        return Columns(parts[0].strip(), parts[1].strip(), bold=bold)
    if align != "left" or size != "normal" or styles:
        raise SlipMarkupError(f"line {number}: {directive} takes no style flags: {line!r}")
    if directive == "@rule":
        char = unescape(rest) or "-"
        if len(char) != 1:
            raise SlipMarkupError(f"line {number}: @rule takes one character, got {rest!r}")
        return Rule(char)
    if directive == "@feed":
        if rest and not rest.isdigit():
            raise SlipMarkupError(f"line {number}: @feed takes a number of lines, got {rest!r}")
        return Feed(int(rest) if rest else 1)
    if directive == "@cut":
        if rest:
            raise SlipMarkupError(f"line {number}: @cut takes nothing, got {rest!r}")
        return Cut()
    data = unescape(rest)
    if not data:
        raise SlipMarkupError(f"line {number}: {directive} needs data: {line!r}")
    if directive == "@qr":
        return QRCode(data)
    return Barcode(data)


def parse(markup: str) -> list[Element]:
    """The elements ``markup`` describes, in order."""
    elements: list[Element] = []
    for number, raw in enumerate(markup.splitlines(), start=1):
        line = raw.strip()
        if not line:
            continue
        element = _parse_line(number, line)
        if element is not None:
            elements.append(element)
    return elements


__all__ = ["SlipMarkupError", "escape", "parse", "unescape"]
