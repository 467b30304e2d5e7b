"""Render a slip template with its context into a :class:`SlipDocument`.

Templates are Jinja2 (``templates/*.j2``) writing the line markup of
:mod:`printer_templates.markup`. Three choices keep a customer's proof honest:

- ``StrictUndefined``: a missing field is an error, never a blank on the slip;
- every ``{{ value }}`` is escaped (Jinja's ``finalize``), so no text a customer or host
  supplied can become markup, and a ``None`` reaching the paper is an error too;
- money, dates and times are formatted only through :class:`SlipFormatter` (``fmt`` in
  templates): ``foundation.money.Money`` for amounts, Babel in the market's time zone for times.

Templates whose names start with ``_`` are shared layout, not slips.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Mapping
from datetime import date, datetime
from functools import cache
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import jinja2
from babel.dates import format_date, format_time

from foundation.money import DEFAULT_MONEY_STYLES, Money, MoneyStyles
from printer_templates.context import SlipContext
from printer_templates.document import SlipDocument
from printer_templates.i18n import check_language, default_locale, translations
from printer_templates.markup import escape, parse

TEMPLATE_DIR = Path(__file__).parent / "templates"

#: Template name prefix -> the document kind the printer and the journal see.
_KINDS = {
    "storno_not_completed": "failure",
    "sale_": "sale",
    "storno": "storno",
    "failure": "failure",
    "report_": "report",
    "test_page": "test",
}


class SlipRenderError(ValueError):
    """A slip could not be rendered: unknown template, missing field or a value it cannot print."""


class UnknownTemplate(SlipRenderError):
    """No slip template of that name; the message lists the ones there are."""

    def __init__(self, name: str) -> None:
        super().__init__(f"no slip template {name!r}; use one of {', '.join(template_names())}")
        self.name = name


#: Templates that print one product or one report kind, and the context value they require.
_TEMPLATE_FITS: dict[str, tuple[str, str]] = {
    "sale_card_topup": ("product", "card-topup"),
    "sale_card_sale": ("product", "card-sale"),
    "sale_mobile_topup": ("product", "mobile-topup"),
    "sale_imei_fee": ("product", "imei-fee"),
    "sale_bill_payment": ("product", "bill-payment"),
    "sale_benefit_payment": ("product", "benefit-payment"),
    "report_x": ("kind", "X"),
    "report_z": ("kind", "Z"),
}


def _defined(*values: Any) -> None:
    """Raise Jinja's error for a missing field handed to a formatter (it would not raise itself)."""
    for value in values:
        if isinstance(value, jinja2.Undefined):
            value._fail_with_undefined_error()


class SlipFormatter:
    """How the market writes money, dates and times, bound to a locale and a time zone."""

    def __init__(self, locale: str, timezone: str, money: MoneyStyles | None = None) -> None:
        self.locale = locale
        self.zone = ZoneInfo(timezone)
        self.styles = money or DEFAULT_MONEY_STYLES

    def money(self, minor: int, currency: str) -> str:
        """``153,00 €``, ``500 RSD``, ``12,50 AZN``: always through ``foundation.money``'s
        styles (the market's decisions), never Babel's currency data."""
        _defined(minor, currency)
        return Money(minor, currency).format(self.locale, styles=self.styles)

    def local(self, moment: datetime) -> datetime:
        """``moment`` on the market's wall clock."""
        _defined(moment)
        return moment.astimezone(self.zone)

    def date(self, moment: datetime | date) -> str:
        """The calendar date as the market writes it (a datetime is taken in the market's zone)."""
        _defined(moment)
        if isinstance(moment, datetime):
            moment = self.local(moment).date()
        return format_date(moment, "medium", locale=self.locale)

    def time(self, moment: datetime) -> str:
        """Hours and minutes on the market's clock, e.g. ``14:04``."""
        return format_time(self.local(moment).time(), "short", locale=self.locale)

    def time_seconds(self, moment: datetime) -> str:
        """Hours, minutes and seconds on the market's clock."""
        return format_time(self.local(moment).time(), "medium", locale=self.locale)

    def datetime(self, moment: datetime) -> str:
        """Date and time to the second, as printed on a slip's header."""
        return f"{self.date(moment)} {self.time_seconds(moment)}"


def _finalize(value: Any) -> str:
    if value is None:
        raise SlipRenderError("a template printed None; a slip field is missing its value")
    return escape(str(value))


@cache
def _environment(language: str) -> jinja2.Environment:
    env = jinja2.Environment(
        loader=jinja2.FileSystemLoader(TEMPLATE_DIR),
        autoescape=False,
        undefined=jinja2.StrictUndefined,
        finalize=_finalize,
        trim_blocks=True,
        lstrip_blocks=True,
        keep_trailing_newline=True,
        extensions=["jinja2.ext.i18n"],
        # the templates ship with the package: compiled once, not checked against the file's
        # time on every slip (a stat per template and include, every sale)
        auto_reload=False,
    )
    env.install_gettext_translations(translations(language), newstyle=True)  # type: ignore[attr-defined]
    return env


def template_names() -> list[str]:
    """The slips there are templates for, sorted (shared ``_*.j2`` layout left out)."""
    return list(_template_names())


@cache
def _template_names() -> tuple[str, ...]:
    """Read once: the templates ship with the package (globbing the folder on every slip was
    a fifth of a slip's template time)."""
    return tuple(sorted(p.stem for p in TEMPLATE_DIR.glob("*.j2") if not p.name.startswith("_")))


def document_kind(name: str) -> str:
    """The document kind of template ``name`` (``sale_mobile_topup`` -> ``sale``)."""
    for prefix, kind in _KINDS.items():
        if name.startswith(prefix):
            return kind
    raise UnknownTemplate(name)


def _fields(context: Mapping[str, Any] | SlipContext) -> dict[str, Any]:
    if dataclasses.is_dataclass(context) and not isinstance(context, type):
        return {f.name: getattr(context, f.name) for f in dataclasses.fields(context)}
    if isinstance(context, Mapping):
        return dict(context)
    raise SlipRenderError(f"a slip context is a SlipContext or a mapping, not {type(context)}")


def _timezone(fields: Mapping[str, Any]) -> str:
    header = fields.get("header")
    zone = getattr(header, "timezone", None)
    if zone is None and isinstance(header, Mapping):
        zone = header.get("timezone")
    if not isinstance(zone, str):
        raise SlipRenderError("the slip context needs header.timezone (an IANA zone name)")
    return zone


def render_markup(
    name: str,
    context: Mapping[str, Any] | SlipContext,
    *,
    language: str,
    locale: str | None = None,
    money: MoneyStyles | None = None,
) -> str:
    """The markup template ``name`` writes for ``context`` (what :func:`render_slip` parses)."""
    check_language(language)
    if name.startswith("_") or name not in _template_names():
        raise UnknownTemplate(name)
    fields = _fields(context)
    if name in _TEMPLATE_FITS:
        key, expected = _TEMPLATE_FITS[name]
        if fields.get(key) != expected:
            raise SlipRenderError(
                f"slip {name!r} prints {key} {expected!r}, the context has {fields.get(key)!r}"
            )
    fmt = SlipFormatter(locale or default_locale(language), _timezone(fields), money)
    template = _environment(language).get_template(f"{name}.j2")
    try:
        return template.render(**fields, fmt=fmt, language=language)
    except jinja2.UndefinedError as exc:
        raise SlipRenderError(f"slip {name!r} needs a field its context lacks: {exc}") from exc


def render_slip(
    name: str,
    context: Mapping[str, Any] | SlipContext,
    *,
    language: str,
    locale: str | None = None,
    money: MoneyStyles | None = None,
) -> SlipDocument:
    """The slip ``name`` for ``context`` in ``language``, ready for a printer or a preview.

    ``locale`` overrides how money and dates are written (default: the language's market);
    ``money`` is the market's money styles (``KioskConfig.money``; default: the built-in table).
    A sale or storno slip with ``copy_number`` set is a ``copy`` document.
    """
    markup = render_markup(name, context, language=language, locale=locale, money=money)
    fields = _fields(context)
    kind = document_kind(name)
    if kind in ("sale", "storno") and fields.get("copy_number"):
        kind = "copy"
    txn = fields.get("txn")
    return SlipDocument(
        elements=parse(markup),
        kind=kind,
        txn=str(txn) if txn is not None else None,
        language=language,
    )


__all__ = [
    "TEMPLATE_DIR",
    "SlipFormatter",
    "SlipRenderError",
    "UnknownTemplate",
    "document_kind",
    "render_markup",
    "render_slip",
    "template_names",
]
