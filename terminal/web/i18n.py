"""The counter screen's languages: gettext catalogs compiled from ``.po`` files at start.

Like the slips (``printer_templates.i18n``), the ``.po`` files in
``terminal/web/locale/<lang>/LC_MESSAGES/ui.po`` are the only source: Babel compiles them in
memory, so no stale ``.mo`` can sit on a terminal. Names the slips already translate (fees,
benefit types) come from the slip catalogs, so the screen and the paper never disagree.

Messages the services raise (``KioskError``) are English and detailed; the screen shows a
translated line per error code and the service's own words under it (see ``error_lines``).
"""

from __future__ import annotations

import ast
import gettext
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from functools import cache
from pathlib import Path

from babel.messages.catalog import Catalog
from babel.messages.pofile import read_po

from foundation.money import DEFAULT_MONEY_STYLES, Money, MoneyStyles
from printer_templates.i18n import LANGUAGE_LOCALES, LANGUAGE_TABLE, compile_catalog
from printer_templates.i18n import translations as slip_translations
from printer_templates.pseudo import PSEUDO_LANGUAGE, pseudo_catalog
from terminal.catalog import DEFAULT_NAMES, ProductConfig

LOCALE_DIR = Path(__file__).parent / "locale"
TEMPLATE_DIR = Path(__file__).parent / "templates"
DOMAIN = "ui"

#: The screen's languages (``printer_templates.i18n.LANGUAGE_TABLE``, the one list), each with
#: the name it calls itself in the switcher.
UI_LANGUAGES: dict[str, str] = {lang.code: lang.name for lang in LANGUAGE_TABLE}

#: BCP 47 tags for ``<html lang>`` (screen readers, hyphenation).
HTML_LANG: dict[str, str] = {lang.code: lang.tag for lang in LANGUAGE_TABLE}

#: Tariff fee names (kiosk.toml) -> the English message id the slip catalogs translate.
FEE_MSGIDS: dict[str, str] = {
    "activation": "Activation fee",
    "activation_fee": "Activation fee",
    "topup": "Top-up fee",
    "topup_fee": "Top-up fee",
    "top-up": "Top-up fee",
    "pos_surcharge": "Point-of-sale surcharge",
    "pos_fee": "Point-of-sale surcharge",
    "pos-surcharge": "Point-of-sale surcharge",
    "commission": "Commission",
    "service": "Service fee",
}

#: Benefit type ids -> the slip catalogs' message ids.
BENEFIT_MSGIDS: dict[str, str] = {
    "sport": "Sport and exercise",
    "culture": "Culture",
    "massage": "Massage",
    "lunch": "Lunch",
    "wellbeing": "Wellbeing",
}


def _(message: str) -> str:
    """Marks a message for the catalogs (``source_messages`` finds every ``_("...")``); it is
    translated when the page is rendered. Every module of the screen imports this one."""
    return message


def catalog_path(language: str) -> Path:
    return LOCALE_DIR / language / "LC_MESSAGES" / f"{DOMAIN}.po"


def read_catalog(language: str) -> Catalog:
    """The parsed ``ui.po`` of ``language`` (the catalog test checks it is complete)."""
    if language not in UI_LANGUAGES:
        raise ValueError(f"no screen language {language!r}; use one of {', '.join(UI_LANGUAGES)}")
    with catalog_path(language).open("rb") as handle:
        return read_po(handle, locale=LANGUAGE_LOCALES[language], domain=DOMAIN)


@cache
def translations(language: str) -> gettext.GNUTranslations:
    """The screen's translations for ``language``, compiled in memory from its ``.po``; the
    pseudo-locale's from the English catalog, every string transformed."""
    if language == PSEUDO_LANGUAGE:
        return compile_catalog(pseudo_catalog(read_catalog("en")))
    return compile_catalog(read_catalog(language))


def pick_language(wanted: str | None, default: str) -> str:
    """``wanted`` if the screen speaks it, else ``default`` (the terminal's language).

    The pseudo-locale is accepted too (tests and translators' checks); no switch offers it."""
    if wanted in UI_LANGUAGES or wanted == PSEUDO_LANGUAGE:
        return str(wanted)
    return default if default in UI_LANGUAGES else "en"


@dataclass(frozen=True)
class Speaker:
    """Everything a page needs to speak one language: gettext, names and money.

    ``_("Text %(n)s", n=1)`` interpolates after translating, so a translator moves the
    placeholder where the language wants it.
    """

    language: str
    #: locale for money: the market's own when the screen speaks the market's language
    locale: str
    #: the market's money decisions (``KioskConfig.money``)
    styles: MoneyStyles = DEFAULT_MONEY_STYLES

    @classmethod
    def for_language(
        cls,
        language: str,
        *,
        market_language: str,
        market_locale: str,
        money: MoneyStyles = DEFAULT_MONEY_STYLES,
    ) -> Speaker:
        if language == market_language:
            locale = market_locale
        else:
            locale = LANGUAGE_LOCALES.get(language, LANGUAGE_LOCALES["en"])
        return cls(language, locale, money)

    def gettext(self, message: str, **values: object) -> str:
        text = translations(self.language).gettext(message)
        return text % values if values else text

    def ngettext(self, singular: str, plural: str, n: int, **values: object) -> str:
        text = translations(self.language).ngettext(singular, plural, n)
        return text % {"n": n, **values}

    def slip_text(self, message: str) -> str:
        """A message the slip catalogs hold (fee and benefit names)."""
        return slip_translations(self.language).gettext(message)

    def money(self, minor: int, currency: str) -> str:
        return Money(minor, currency).format(self.locale, printable=False, styles=self.styles)

    def plain(self, minor: int, currency: str) -> str:
        """An amount as a form field holds it, in this locale: ``50``, ``50,50``; what the
        form's parser (``MoneyStyles.parse``) reads back exactly."""
        return self.styles.typed(Money(minor, currency), self.locale)

    def product_name(self, product: ProductConfig) -> str:
        """kiosk.toml's name in this language if it has one, else the screen's own."""
        configured = product.name.get(self.language)
        if configured:
            return configured
        return self.gettext(DEFAULT_NAMES[product.id])

    def fee_name(self, name: str) -> str:
        msgid = FEE_MSGIDS.get(name)
        return self.slip_text(msgid) if msgid else name

    def benefit_name(self, benefit: str) -> str:
        msgid = BENEFIT_MSGIDS.get(benefit)
        return self.slip_text(msgid) if msgid else benefit

    @property
    def html_lang(self) -> str:
        return HTML_LANG.get(self.language, "en")

    def callables(self) -> dict[str, Callable[..., str]]:
        """What templates call: ``_``, ``ngettext``, ``money`` and ``plain`` (form values)."""
        return {
            "_": self.gettext,
            "ngettext": self.ngettext,
            "money": self.money,
            "plain": self.plain,
        }


def _python_messages(path: Path) -> Iterator[tuple[str, int]]:
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if (
            isinstance(node, ast.Call)
            and isinstance(node.func, ast.Name)
            and node.func.id == "_"
            and node.args
            and isinstance(node.args[0], ast.Constant)
            and isinstance(node.args[0].value, str)
        ):
            yield node.args[0].value, node.lineno


def _template_messages(path: Path) -> Iterator[tuple[str, int]]:
    from jinja2.ext import babel_extract

    options = {"trim_blocks": "true", "lstrip_blocks": "true"}
    with path.open("rb") as handle:
        for lineno, _function, message, _comments in babel_extract(
            handle, ("_", "ngettext"), [], options
        ):
            messages = message if isinstance(message, tuple) else (message,)
            for msgid in messages:
                if isinstance(msgid, str):
                    yield msgid, lineno


def source_messages() -> Iterator[tuple[str, str]]:
    """(message id, where) for every ``_("...")`` in the screen's templates and Python.

    The catalog test checks each is translated in every language, so a string added to a
    template without a translation fails the build instead of showing English to a clerk.
    """
    for path in sorted(TEMPLATE_DIR.glob("*.html")):
        for msgid, lineno in _template_messages(path):
            yield msgid, f"{path.name}:{lineno}"
    for path in sorted(Path(__file__).parent.rglob("*.py")):
        for msgid, lineno in _python_messages(path):
            yield msgid, f"{path.name}:{lineno}"
    for name in DEFAULT_NAMES.values():
        yield name, "terminal/catalog.py DEFAULT_NAMES"


__all__ = [
    "BENEFIT_MSGIDS",
    "FEE_MSGIDS",
    "UI_LANGUAGES",
    "Speaker",
    "pick_language",
    "read_catalog",
    "source_messages",
    "translations",
]
