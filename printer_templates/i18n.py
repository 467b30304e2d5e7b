"""Slip languages and their message catalogs, compiled from the ``.po`` files in memory.

The ``.po`` files in ``locale/<lang>/LC_MESSAGES/slips.po`` are the only source: compiling them
at load time (read_po -> write_mo into a buffer -> GNUTranslations) means there is no build step
that could leave a stale ``.mo`` on a terminal, and a translator's edit shows up on the next run.
"""

from __future__ import annotations

import gettext
from dataclasses import dataclass
from functools import cache
from io import BytesIO
from pathlib import Path

from babel.messages.catalog import Catalog
from babel.messages.mofile import write_mo
from babel.messages.pofile import read_po

from printer_templates.pseudo import PSEUDO_LANGUAGE, pseudo_catalog

LOCALE_DIR = Path(__file__).parent / "locale"
TEMPLATE_DIR = Path(__file__).parent / "templates"
GETTEXT_FUNCTIONS = ("_", "gettext")
DOMAIN = "slips"


@dataclass(frozen=True)
class Language:
    """One language the terminal speaks, on paper and on screen."""

    #: the catalogs' id: ``locale/<code>/LC_MESSAGES``, kiosk.toml's ``language``
    code: str
    #: Babel locale for numbers, money and dates in that language's market
    locale: str
    #: BCP 47 tag for ``<html lang>`` (screen readers, hyphenation)
    tag: str
    #: what the language calls itself (the screen's language switcher)
    name: str


#: Every language of slips and screens: the one list (config, the screen and the slips read it).
LANGUAGE_TABLE: tuple[Language, ...] = (
    Language("sl", "sl_SI", "sl", "Slovenščina"),
    Language("sr_Latn", "sr_Latn_RS", "sr-Latn", "Srpski"),
    Language("az", "az_Latn_AZ", "az", "Azərbaycanca"),
    Language("fi", "fi_FI", "fi", "Suomi"),
    Language("en", "en_GB", "en", "English"),
)

#: Language -> Babel locale used for numbers, money and dates in that language's market.
LANGUAGE_LOCALES: dict[str, str] = {lang.code: lang.locale for lang in LANGUAGE_TABLE}

LANGUAGES: tuple[str, ...] = tuple(LANGUAGE_LOCALES)


class UnknownLanguage(ValueError):
    """A slip language the terminal has no catalog for; the message lists the ones it has."""

    def __init__(self, language: str) -> None:
        super().__init__(
            f"no slip translations for language {language!r}; use one of {', '.join(LANGUAGES)}"
        )
        self.language = language


def catalog_path(language: str) -> Path:
    """Where ``language``'s catalog lives."""
    return LOCALE_DIR / language / "LC_MESSAGES" / f"{DOMAIN}.po"


def check_language(language: str) -> str:
    """``language`` itself if slips can be printed in it, else :class:`UnknownLanguage`.

    The pseudo-locale (``printer_templates.pseudo``) renders too, for the tests."""
    if language == PSEUDO_LANGUAGE:
        return language
    if language not in LANGUAGE_LOCALES or not catalog_path(language).is_file():
        raise UnknownLanguage(language)
    return language


def read_catalog(language: str) -> Catalog:
    """The parsed ``.po`` catalog of ``language`` (tests check it for completeness)."""
    check_language(language)
    with catalog_path(language).open("rb") as handle:
        return read_po(handle, locale=LANGUAGE_LOCALES[language], domain=DOMAIN)


def compile_catalog(catalog: Catalog) -> gettext.GNUTranslations:
    """A parsed ``.po`` compiled in memory: no ``.mo`` files to build, ship or keep in step."""
    buffer = BytesIO()
    write_mo(buffer, catalog)
    buffer.seek(0)
    return gettext.GNUTranslations(buffer)


@cache
def translations(language: str) -> gettext.GNUTranslations:
    """Gettext translations for ``language``, compiled from its ``.po`` in memory."""
    if language == PSEUDO_LANGUAGE:
        return compile_catalog(pseudo_catalog(read_catalog("en")))
    return compile_catalog(read_catalog(language))


def template_messages() -> dict[str, list[str]]:
    """Every message id the slip templates translate -> the ``file:line`` places that use it.

    Read from the templates themselves (Babel's Jinja2 extractor), so the catalog test checks
    what the slips really print, not a list someone has to keep in step.
    """
    from jinja2.ext import babel_extract

    options = {"extensions": "jinja2.ext.i18n", "trim_blocks": "true", "lstrip_blocks": "true"}
    found: dict[str, list[str]] = {}
    for path in sorted(TEMPLATE_DIR.glob("*.j2")):
        with path.open("rb") as handle:
            for lineno, _function, message, _comments in babel_extract(
                handle, GETTEXT_FUNCTIONS, [], options
            ):
                # newstyle calls with keyword arguments come as (msgid, None, ...)
                msgid = message[0] if isinstance(message, tuple) else message
                if isinstance(msgid, str):
                    found.setdefault(msgid, []).append(f"{path.name}:{lineno}")
    return found


def default_locale(language: str) -> str:
    """The Babel locale slips in ``language`` are formatted with unless the caller says."""
    if check_language(language) == PSEUDO_LANGUAGE:
        return LANGUAGE_LOCALES["en"]
    return LANGUAGE_LOCALES[language]


__all__ = [
    "DOMAIN",
    "LANGUAGES",
    "LANGUAGE_LOCALES",
    "LANGUAGE_TABLE",
    "LOCALE_DIR",
    "Language",
    "UnknownLanguage",
    "catalog_path",
    "check_language",
    "compile_catalog",
    "default_locale",
    "read_catalog",
    "template_messages",
    "translations",
]
