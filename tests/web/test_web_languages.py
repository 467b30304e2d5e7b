"""The clerk's whole screen in Slovenian, Serbian, Azerbaijani, Finnish (and English): no
English word on a non-English screen.

Debian's Chromium drives the screen (served in-process on the test's clock) through every
screen in each language, with a wrong PIN and a lockout, refused fields, a host decline, an
offline refusal and a slip that does not print. On each page the words a clerk can read are
checked against the English catalog's words that the language's own catalog never uses: one
of them on the page fails the test (tests/web/test_pseudo_locale.py catches what no catalog holds).
The walk runs at both touch-screen sizes, 1024x768 and 1280x800, and on each page checks the
layout: no sideways scrolling, and every field the clerk tabs to is above the status bar.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from datetime import datetime, timedelta
from typing import Any

import pytest
from helpers.web import ServedScreen, serve_screen, stop_screen
from playwright.sync_api import Page, expect

from hostsim import testnumbers as T
from hostsim.server import HostServer
from terminal.web import dates
from terminal.web.i18n import UI_LANGUAGES, read_catalog

_WORD = re.compile(r"[^\W\d_]{3,}")
#: English is walked too: no word to catch there, but the layout and the flows must hold.
SIZES = {
    "sl": (1024, 768),
    "sr_Latn": (1280, 800),
    "az": (1024, 768),
    "fi": (1280, 800),
    "en": (1024, 768),
}


def english_only_words(language: str) -> set[str]:
    """Words of the English screen texts that ``language``'s catalog never uses."""
    english = {w.lower() for m in read_catalog("en") if m.id for w in _WORD.findall(str(m.id))}
    own = {w.lower() for m in read_catalog(language) if m.id for w in _WORD.findall(str(m.string))}
    data = {w.lower() for name in UI_LANGUAGES.values() for w in _WORD.findall(name)}
    return english - own - data - {"enter", "esc", "eur", "imei", "pin", "ana", "bor"}


@pytest.fixture(scope="module")
def si(tmp_path_factory: pytest.TempPathFactory) -> Iterator[ServedScreen]:
    screen = serve_screen(tmp_path_factory.mktemp("languages"), "si")
    try:
        yield screen
    finally:
        stop_screen(screen)


class Walk:
    """One language's walk: every page checked for English words and for its layout."""

    def __init__(self, page: Page, served: ServedScreen, language: str) -> None:
        self.page = page
        self.url = served.api.url
        self.served = served
        self.english = english_only_words(language)
        self.found: dict[str, list[str]] = {}
        self.hidden: dict[str, list[str]] = {}

    def check(self, name: str) -> None:
        text = self.page.locator("body").inner_text()
        for pre in self.page.locator("pre").all_inner_texts():
            text = text.replace(pre, " ")  # the slip as printed: the printer's language
        words = sorted({w for w in _WORD.findall(text) if w.lower() in self.english})
        if words:
            self.found[name] = words
        self.check_layout(name)

    def check_layout(self, name: str) -> None:
        page = self.page
        wide = page.evaluate("document.documentElement.scrollWidth > window.innerWidth + 1")
        assert not wide, f"{name}: the page scrolls sideways"
        fields = page.locator("main input:visible, main select:visible, main button:visible")
        under = []
        for index in range(min(fields.count(), 12)):
            field = fields.nth(index)
            field.focus()
            covered = page.evaluate(
                """(el) => {
                    const bar = document.getElementById('status-bar');
                    if (!bar) return false;
                    const r = el.getBoundingClientRect();
                    return r.bottom > bar.getBoundingClientRect().top + 1;
                }""",
                field.element_handle(),
            )
            if covered:
                under.append(field.get_attribute("id") or field.get_attribute("name") or "?")
        if under:
            self.hidden[name] = under

    def goto(self, path: str, name: str | None = None) -> None:
        self.page.goto(self.url + path)
        self.check(name or path)

    def sell(self, product: str, values: dict[str, str], name: str) -> str:
        page = self.page
        page.goto(self.url + f"/ui/sale/{product}")
        for field, value in values.items():  # as a clerk types: each field, then Enter
            expect(page.locator(f"#f-{field}")).to_be_focused()
            page.keyboard.type(value)
            page.keyboard.press("Enter")
        expect(page.locator("#sell")).to_be_focused()
        page.keyboard.press("Enter")
        expect(page.locator("body")).to_have_attribute("data-screen", "result")
        self.check(name)
        return str(page.locator("#result").get_attribute("data-outcome"))


@pytest.mark.parametrize("language", sorted(SIZES))
def test_every_screen_speaks_the_clerks_language(
    browser: Any, si: ServedScreen, language: str
) -> None:
    width, height = SIZES[language]
    context = browser.new_context(viewport={"width": width, "height": height})
    context.set_default_timeout(15_000)
    page = context.new_page()
    walk = Walk(page, si, language)
    try:
        page.goto(walk.url + "/ui/signin")
        page.locator(f"button.lang[value='{language}']").click()
        expect(page.locator("html")).to_have_attribute("lang", language.replace("_", "-"))
        walk.check("sign-in")
        page.fill("#number", "1")
        page.fill("#pin", "9999")
        page.locator("#pin").press("Enter")
        expect(page.locator("#signin-error")).to_be_visible()
        walk.check("wrong PIN")
        for _ in range(8):  # clerk 2 types wrong PINs until sign-in is locked
            page.fill("#number", "2")
            page.fill("#pin", "9999")
            page.locator("#pin").press("Enter")
            expect(page.locator("#signin-error")).to_be_visible()
        walk.check("lockout")
        page.fill("#number", "1")
        page.fill("#pin", "1111")
        page.locator("#pin").press("Enter")
        expect(page.locator("body")).to_have_attribute("data-screen", "home")
        walk.check("home")
        for path in (
            "/ui/lookup",
            "/ui/reprint",
            "/ui/storno",
            "/ui/reports",
            "/ui/cash",
            "/ui/shift",
            "/ui/clerks",
        ):
            walk.goto(path)
        walk.goto("/ui/no-such-screen", "404")
        expect(page.locator("h1")).to_be_visible()
        for product in ("card-topup", "card-sale"):
            page.goto(walk.url + f"/ui/sale/{product}")
            if product == "card-topup":
                page.fill("#f-target", "4000 0000 0000 0011")
            page.fill("#f-amount", "7777")
            page.fill("#f-cash", "1")
            page.locator("#f-cash").press("Tab")
            expect(page.locator("#err-amount")).not_to_be_empty()
            walk.check(f"refusals {product}")
        outcome = walk.sell(
            "card-topup",
            {"target": T.BLOCKED_CARD, "amount": "50", "cash": "100"},
            "host decline",
        )
        assert outcome == "declined"
        walk.goto("/ui/lookup?q=", "lookup list")
        si.counter.host.stop()
        try:
            outcome = walk.sell(
                "card-topup",
                {"target": T.ONLINE_CARD, "amount": "150", "cash": "200"},
                "offline refusal",
            )
            assert outcome == "offline_refused"
            si.counter.printer.paper_out_after(2)
            outcome = walk.sell(
                "card-topup",
                {"target": T.ONLINE_CARD, "amount": "20", "cash": "100"},
                "print failed",
            )
            assert outcome == "print_failed"
        finally:
            si.counter.printer.load_paper()
            port = int(si.counter.host.url.rsplit(":", 1)[1])
            si.counter.host = HostServer(
                si.counter.folder / "host.sqlite", port=port, clock=si.counter.clock
            ).start()
        # The lookup's time fields take the page's own date format, not the browser's.
        kiosk = si.counter.kiosk
        assert kiosk is not None
        speaker_locale = page.evaluate("document.documentElement.lang")
        assert speaker_locale == language.replace("_", "-")
        example = page.locator("#lookup-since")
        page.goto(walk.url + "/ui/lookup")
        assert example.get_attribute("type") == "text"
        hint = str(example.get_attribute("placeholder"))
        assert re.search(r"\d", hint) and "mm" not in hint.lower(), hint
        page.fill("#lookup-since", _day_before(hint, language))
        page.locator("#lookup-submit").click()
        expect(page.locator("#lookup-refusal")).to_have_count(0)
        walk.check("lookup by date")
    finally:
        context.close()
    assert not walk.found, walk.found
    assert not walk.hidden, walk.hidden


def _day_before(example: str, language: str) -> str:
    """``example`` (as the page shows it) a day earlier, typed in the same format."""
    locale = {
        "sl": "sl_SI",
        "sr_Latn": "sr_Latn_RS",
        "az": "az_Latn_AZ",
        "fi": "fi_FI",
        "en": "en_GB",
    }[language]
    typed = dates.parse(example, locale)
    assert typed is not None
    return dates.example(typed - timedelta(days=1), locale)


def test_typed_dates_follow_the_pages_language() -> None:
    at = datetime(2026, 11, 2, 14, 5)
    for locale, text in {
        "sl_SI": "2. 11. 2026 14:05",
        "sr_Latn_RS": "2. 11. 2026. 14:05",
        "az_Latn_AZ": "02.11.2026 14:05",
        "fi_FI": "2.11.2026 14:05",
        "en_GB": "02/11/2026 14:05",
    }.items():
        assert dates.example(at, locale) == text
        assert dates.parse(text, locale) == at
    assert dates.parse("2.11.26", "fi_FI") == datetime(2026, 11, 2)
    assert dates.parse("2026-11-02T14:05", "fi_FI") == at
    assert dates.parse("", "fi_FI") is None
    with pytest.raises(dates.BadDate):
        dates.parse("31.2.2026", "fi_FI")
    with pytest.raises(dates.BadDate):
        dates.parse("tomorrow", "sl_SI")
