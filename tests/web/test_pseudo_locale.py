"""Every word on the screen and on the slips comes from a catalog: the pseudo-locale proves it.

The screen is switched to the pseudo-locale (``printer_templates.pseudo``: every catalog string
accented, lengthened and between ``⟦ ⟧``) and driven through every screen -- sign-in with a
wrong PIN and a lockout, every form with refusals, a host decline, an offline refusal, a slip
that does not print, lookup, reprint, storno, reports, cash, a 404 and a 500 page. Whatever is
left after removing the transformed strings must be data (numbers, amounts, the clerk's name,
language names): a plain English word fails the test, naming the page it is on.
"""

from __future__ import annotations

import re
from html.parser import HTMLParser

import pytest
import requests
from helpers.web import Screen, ServedScreen

from hostsim import testnumbers as T
from printer_templates.preview import slip_to_text
from printer_templates.pseudo import CLOSE, OPEN, PSEUDO_LANGUAGE, transform
from printer_templates.render import render_slip
from printer_templates.samples import sample_context, sample_names
from terminal.web.errors import HEADLINES

#: Words that are data, not text: the clerks' names (helpers.web.CLERKS), the languages'
#: own names in the switcher, currency codes, and key names on the key caps.
DATA_WORDS = {
    "Ana",
    "Bor",
    "Srpski",
    "Suomi",
    "English",
    "EUR",
    "Enter",
    "Esc",
    "Tab",
    # dates are written by Babel's CLDR data for the page's locale (en_GB for the pseudo one)
    *("Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sept", "Sep", "Oct", "Nov", "Dec"),
}
_WORD = re.compile(r"[^\W\d_]{2,}")
_TRANSFORMED = re.compile(re.escape(OPEN) + "[^" + OPEN + CLOSE + "]*" + re.escape(CLOSE))
#: Elements whose text is not the screen's: code, and the slip as printed (``<pre>``), which
#: is in the printer's language (the slip test below renders the slips in the pseudo-locale).
_NOT_READ = ("script", "style", "pre")
#: Attributes a clerk reads or hears.
_READ_ATTRIBUTES = ("title", "placeholder", "alt", "aria-label")


class _Text(HTMLParser):
    """The text a clerk can read on a page (script and style bodies excluded)."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.chunks: list[str] = []
        self._skip = 0

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag in _NOT_READ:
            self._skip += 1
        for name, value in attrs:
            if name in _READ_ATTRIBUTES and value:
                self.chunks.append(value)

    def handle_endtag(self, tag: str) -> None:
        if tag in _NOT_READ and self._skip:
            self._skip -= 1

    def handle_data(self, data: str) -> None:
        if not self._skip and data.strip():
            self.chunks.append(data)


def untransformed(text: str) -> list[str]:
    """The plain words in ``text`` once every transformed string (nested too) is removed."""
    previous = None
    while previous != text:
        previous, text = text, _TRANSFORMED.sub(" ", text)
    return [w for w in _WORD.findall(text) if w.isascii() and w not in DATA_WORDS]


def page_words(html: str) -> list[str]:
    parser = _Text()
    parser.feed(html)
    return [word for chunk in parser.chunks for word in untransformed(chunk)]


class Pages:
    """Every page seen, with the English words found on each."""

    def __init__(self, screen: Screen) -> None:
        self.screen = screen
        self.seen: dict[str, list[str]] = {}

    def check(self, name: str, response: requests.Response) -> requests.Response:
        assert "text/html" in response.headers.get("content-type", ""), (name, response.text)
        self.seen[name] = page_words(response.text)
        return response

    def get(self, path: str, name: str | None = None) -> requests.Response:
        return self.check(name or path, self.screen.get(path))

    def post(self, path: str, data: dict[str, str], name: str) -> requests.Response:
        return self.check(name, self.screen.post(path, data))

    def sell(self, product: str, form: dict[str, str], name: str) -> requests.Response:
        token = self.screen.sale_token(product)
        return self.post(f"/ui/sale/{product}", {"token": token, **form}, name)

    def failures(self) -> dict[str, list[str]]:
        return {name: words for name, words in self.seen.items() if words}


def test_the_transform_keeps_placeholders_and_marks_every_letter() -> None:
    text = transform("Allowed: %(min)s to %(max)s.")
    assert text.startswith(OPEN) and text.endswith(CLOSE)
    assert "%(min)s" in text and "%(max)s" in text
    assert untransformed(text) == []
    assert untransformed("Razlog: card blocked") == ["Razlog", "card", "blocked"]


def test_every_screen_in_the_pseudo_locale_has_no_untranslated_word(
    si: ServedScreen, monkeypatch: pytest.MonkeyPatch
) -> None:
    screen = si.screen()
    kiosk = si.counter.kiosk
    assert kiosk is not None
    pages = Pages(screen)
    screen.post("/ui/language", {"lang": PSEUDO_LANGUAGE, "next": "/ui/signin"})
    pages.get("/ui/signin")
    wrong = pages.post("/ui/signin", {"number": "1", "pin": "0000"}, "wrong PIN")
    assert wrong.status_code == 401 and "%(" not in wrong.text
    other = Screen(screen.url, requests.Session())
    other.post("/ui/language", {"lang": PSEUDO_LANGUAGE})
    lockout = transform(HEADLINES["clerk_locked_out"])
    locked = other.sign_in("2", "0000")
    for _ in range(10):
        if lockout in locked.text:
            break
        locked = other.sign_in("2", "0000")
    assert lockout in locked.text
    pages.check("lockout", locked)
    assert screen.sign_in("1", "1111").status_code == 200
    for path in (
        "/ui/",
        "/ui/lookup",
        "/ui/reprint",
        "/ui/storno",
        "/ui/reports",
        "/ui/cash",
        "/ui/shift",
        "/ui/clerks",
    ):
        pages.get(path)
    for path in ("/ui/reports/x", "/ui/reports/z", "/ui/no-such-screen", "/ui/result/1"):
        pages.get(path)
    for product in kiosk.config.products:
        pages.get(f"/ui/sale/{product}")
        bad = {"target": "12", "amount": "abc", "cash": "1", "focus_from": "cash"}
        pages.post(f"/ui/sale/{product}/check", bad, f"check {product}")
        pages.sell(product, {"target": "12", "amount": "99999", "cash": "0"}, f"refused {product}")
    sold = pages.sell(
        "card-topup", {"target": T.ONLINE_CARD, "amount": "50", "cash": "100"}, "sale complete"
    )
    txn = result_txn(sold.text)
    pages.get(f"/ui/lookup?q={txn}", "lookup found")
    pages.get(f"/ui/storno/{txn}", "storno confirm")
    pages.get(f"/ui/reprint?txn={txn}", "reprint")
    declined = pages.sell(
        "card-topup", {"target": T.BLOCKED_CARD, "amount": "50", "cash": "100"}, "host decline"
    )
    assert 'data-outcome="declined"' in declined.text
    si.counter.host.stop()
    offline = pages.sell(
        "card-topup", {"target": T.ONLINE_CARD, "amount": "150", "cash": "200"}, "offline limit"
    )
    assert 'data-outcome="offline_refused"' in offline.text
    pages.sell("card-sale", {"amount": "50", "cash": "55"}, "offline forbidden")
    si.counter.printer.paper_out_after(2)
    failed = pages.sell(
        "card-topup", {"target": T.ONLINE_CARD, "amount": "20", "cash": "100"}, "print failed"
    )
    assert 'data-outcome="print_failed"' in failed.text
    pages.get("/ui/lookup", "lookup with the host down")
    kiosk.forwarder.drain(1.0)
    pages.get("/ui/shift", "shift with a waiting queue")
    pages.post("/ui/clerks/add", {"number": "1", "name": "X", "pin": "1"}, "clerk refusal")
    pages.post("/ui/cash/move", {"kind": "in", "amount": "x", "currency": "EUR"}, "cash refusal")
    web = si.api.app.state.web

    def broken(_txn: str) -> None:
        raise RuntimeError("a bug's own words, never for the clerk")

    monkeypatch.setattr(web, "slip_for", broken)
    crashed = pages.get(f"/ui/result/{txn}", "500")
    assert crashed.status_code == 500 and "bug" not in crashed.text
    # The shop's name and address (kiosk.toml) are data on every page.
    shop = set(_WORD.findall(kiosk.config.terminal.merchant_name))
    failures = {n: [w for w in ws if w not in shop] for n, ws in pages.failures().items()}
    assert not {n: ws for n, ws in failures.items() if ws}, failures
    assert len(pages.seen) > 20


def result_txn(html: str) -> str:
    found = re.search(r'data-txn="(\d{14})"', html)
    assert found, html
    return found.group(1)


#: What the text preview adds around a slip's lines (not printed words).
_PREVIEW_MARKS = re.compile(r"\[(QR|BARCODE): [^\]]*\]|- - - cut - - -")


def _slip_words(name: str, language: str) -> list[str]:
    doc = render_slip(name, sample_context(name, language="en"), language=language)
    text = _PREVIEW_MARKS.sub(" ", slip_to_text(doc))
    return [w for line in text.splitlines() for w in untransformed(line)]


@pytest.mark.parametrize("name", sample_names())
def test_every_slip_in_the_pseudo_locale_has_no_untranslated_word(name: str) -> None:
    words = _slip_words(name, PSEUDO_LANGUAGE)
    # Data is what stays the same whatever the language: the shop, names, the issuer's legal
    # text of its market. A catalog string differs between English and Slovenian.
    data = set(_slip_words(name, "en")) & set(_slip_words(name, "sl"))
    assert [w for w in words if w not in data] == [], words
