"""The counter screen in Chromium against ``kiosk serve`` on the Serbian preset: the MTS mobile
top-up sold by keyboard only, in Serbian (Latin), with the "printing..." state on screen while
a slow printer works."""

from __future__ import annotations

import re
from collections.abc import Iterator

import pytest
from helpers.browser import ServedCounter, serve_counter
from helpers.web import fit_screenshot
from playwright.sync_api import Page, expect


@pytest.fixture(scope="module")
def counter(tmp_path_factory: pytest.TempPathFactory) -> Iterator[ServedCounter]:
    served = serve_counter(tmp_path_factory.mktemp("rs"), "rs")
    try:
        yield served
    finally:
        served.stop()


def test_mobile_topup_by_keyboard_only(page: Page, counter: ServedCounter) -> None:
    page.goto(counter.url + "/")
    expect(page.locator("html")).to_have_attribute("lang", "sr-Latn")
    page.keyboard.type("1")
    page.keyboard.press("Enter")
    page.keyboard.type("1111")
    page.keyboard.press("Enter")
    expect(page.locator("#product-mobile-topup")).to_contain_text("Elektronska dopuna")
    expect(page.locator("#clerk")).to_contain_text("Šef smene")

    page.keyboard.press("1")
    target = page.locator("#f-target")
    expect(target).to_be_focused()
    page.keyboard.type("063 1234567")  # another operator's number: refused here
    page.keyboard.press("Enter")
    expect(page.locator("#err-target")).to_contain_text("Broj telefona ovde nije ispravan")
    expect(target).to_be_focused()
    page.keyboard.type("064 1234567")  # the refused text is selected: typing replaces it
    page.keyboard.press("Enter")
    expect(page.locator("#err-target")).to_be_empty()
    expect(page.locator("#f-amount")).to_be_focused()
    page.keyboard.type("500")
    page.keyboard.press("Enter")
    expect(page.locator("#quote-total")).to_have_text(re.compile(r"^500[,.]00 RSD$|^500 RSD$"))
    expect(page.locator("#f-cash")).to_be_focused()
    page.keyboard.press("+")  # exact cash
    page.keyboard.press("Enter")
    expect(page.locator("#sell")).to_be_focused()

    # Catch the form's submission after the page's own handler ran, to look at the page
    # while the sale would be running (a navigation in flight cannot be inspected). Counted
    # are the submissions the page let go: one the page's handler stopped (a second Enter
    # that reached the form) would send nothing.
    page.evaluate(
        """() => document.getElementById("sale-form").addEventListener("submit", (event) => {
             if (!event.defaultPrevented) window.sentOnce = (window.sentOnce || 0) + 1;
             event.preventDefault(); })"""
    )
    page.keyboard.press("Enter")
    printing = page.locator("#printing")
    expect(printing).to_be_visible()
    expect(printing).to_contain_text("Štampanje")
    expect(page.locator("#sell")).to_be_disabled()
    page.keyboard.press("Enter")  # pressed again: the page sends nothing more
    assert page.evaluate("window.sentOnce") == 1
    fit_screenshot(page, "sale-printing")
    page.evaluate('document.getElementById("sale-form").submit()')  # now on its way
    result = page.locator("#result")
    expect(result).to_have_attribute("data-outcome", "confirmed")
    txn = result.get_attribute("data-txn")
    assert txn is not None
    expect(page.locator("#result-instruction")).to_have_text("Predajte isečak i uzmite novac.")
    fit_screenshot(page, "result-confirmed-rs")
    counter.api("POST", "/queue/drain", params={"timeout_s": 10})
    row = counter.host.store.txn(txn)
    assert row is not None and row["state"] == "confirmed"
    assert counter.printer.slips and txn in counter.printer.slips[-1].text.replace(" ", "")
