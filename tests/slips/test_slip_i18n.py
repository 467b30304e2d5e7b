"""Slip catalogs: every message the templates print is translated in every language.

A missing translation would print English on a Finnish slip; a changed placeholder would make
gettext formatting fail at the counter, so both are checked against the templates themselves.
"""

from __future__ import annotations

import re

import pytest

from printer_templates.i18n import (
    LANGUAGES,
    UnknownLanguage,
    catalog_path,
    default_locale,
    read_catalog,
    template_messages,
    translations,
)

PLACEHOLDER = re.compile(r"%\((\w+)\)s")


def test_templates_have_messages_with_their_places() -> None:
    messages = template_messages()
    assert "Keep this slip: it is your only proof of payment." in messages
    assert "COPY %(number)s" in messages
    assert all(places for places in messages.values())


@pytest.mark.parametrize("language", LANGUAGES)
def test_every_message_is_translated(language: str) -> None:
    catalog = read_catalog(language)
    translated = {m.id: m.string for m in catalog if m.id}
    missing = [msgid for msgid in template_messages() if not translated.get(msgid)]
    assert missing == [], f"{catalog_path(language)} lacks translations for {missing}"


@pytest.mark.parametrize("language", LANGUAGES)
def test_catalog_has_no_stale_or_fuzzy_messages(language: str) -> None:
    catalog = read_catalog(language)
    used = set(template_messages())
    stale = [m.id for m in catalog if m.id and m.id not in used]
    fuzzy = [m.id for m in catalog if m.id and m.fuzzy]
    assert stale == [] and fuzzy == []


@pytest.mark.parametrize("language", LANGUAGES)
def test_placeholders_match_between_msgid_and_msgstr(language: str) -> None:
    wrong = [
        (m.id, m.string)
        for m in read_catalog(language)
        if m.id
        and isinstance(m.id, str)
        and isinstance(m.string, str)
        and sorted(PLACEHOLDER.findall(m.id)) != sorted(PLACEHOLDER.findall(m.string))
    ]
    assert wrong == []


@pytest.mark.parametrize("language", ["sl", "sr_Latn", "az", "fi"])
def test_translations_are_not_left_in_english(language: str) -> None:
    catalog = read_catalog(language)
    # a sentence identical to English means an untranslated copy ("IMEI %(number)s" may be)
    same = [m.id for m in catalog if m.id and m.string == m.id and len(str(m.id).split()) >= 3]
    assert same == []


def test_compiled_in_memory_translations_translate() -> None:
    assert translations("sl").gettext("Total") == "Skupaj"
    assert translations("sr_Latn").gettext("Change") == "Kusur"
    assert translations("az").gettext("Transaction") == "Əməliyyat"
    assert translations("fi").gettext("Thank you!") == "Kiitos!"
    assert translations("en").gettext("Total") == "Total"


def test_each_language_has_its_markets_locale() -> None:
    assert [default_locale(language) for language in LANGUAGES] == [
        "sl_SI",
        "sr_Latn_RS",
        "az_Latn_AZ",
        "fi_FI",
        "en_GB",
    ]
    with pytest.raises(UnknownLanguage, match="sl, sr_Latn, az, fi, en"):
        default_locale("sr_Cyrl")
