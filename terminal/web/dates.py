"""Dates and times as the clerk types and reads them: the page's language, not the browser's.

A ``<input type="date">`` shows the browser's own locale (``mm/dd/yyyy`` on an English-built
Chromium at a Slovenian counter), so the screen uses plain text fields: the hint and the
example come from Babel's short date pattern of the page's locale (four-digit years), and the
parser reads the day, month and year in that pattern's order with an optional ``HH:MM``.
ISO text (``2026-11-22T14:05``) is read too, for links and scripts.
"""

from __future__ import annotations

import re
from datetime import datetime

from babel.dates import format_datetime, get_date_format

_NUMBERS = re.compile(r"\d+")
_ISO = re.compile(r"\d{4}-\d{2}-\d{2}([T ]\d{2}:\d{2}(:\d{2})?)?$")


class BadDate(ValueError):
    """Text that is not a date (and time) in the page's pattern."""


def date_pattern(locale: str) -> str:
    """The locale's short date pattern with a four-digit year (``d. M. y``)."""
    pattern = str(get_date_format("short", locale=locale).pattern)
    return re.sub("y+", "y", pattern)


def field_order(locale: str) -> tuple[str, str, str]:
    """Which of day (d), month (M) and year (y) comes first, second and third."""
    order: list[str] = []
    for char in date_pattern(locale):
        if char in "dMy" and char not in order:
            order.append(char)
    if sorted(order) != sorted("dMy"):
        return ("d", "M", "y")
    return (order[0], order[1], order[2])


def example(at: datetime, locale: str) -> str:
    """``at`` as the clerk would type it: the page's date pattern and ``HH:mm``."""
    return format_datetime(at, date_pattern(locale) + " HH:mm", locale=locale)


def show(at: datetime, locale: str) -> str:
    return example(at, locale)


def parse(text: str, locale: str) -> datetime | None:
    """Typed text -> a naive local datetime; empty is None, anything else unreadable raises."""
    text = text.strip()
    if not text:
        return None
    if _ISO.match(text):
        return datetime.fromisoformat(text)
    numbers = [int(n) for n in _NUMBERS.findall(text)]
    if len(numbers) not in (3, 5):
        raise BadDate(text)
    values = dict(zip(field_order(locale), numbers[:3], strict=True))
    year = values["y"] + 2000 if values["y"] < 100 else values["y"]
    hour, minute = numbers[3:5] if len(numbers) == 5 else (0, 0)
    try:
        return datetime(year, values["M"], values["d"], hour, minute)
    except ValueError as exc:
        raise BadDate(text) from exc


__all__ = ["BadDate", "date_pattern", "example", "field_order", "parse", "show"]
