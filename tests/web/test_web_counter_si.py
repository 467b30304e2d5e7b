"""The counter screen in Chromium against ``kiosk serve`` on the Slovenian preset.

One kiosk and one browser for the module: sign-in, every si product sold by keyboard only, a
card swiped on the pty reader, a slip that does not print, the host going down and back, and
the language switch. Screenshots of each screen go to test-artifacts/screenshots.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from pathlib import Path

import pytest
from helpers.browser import ServedCounter, serve_counter
from helpers.desk import sign_in
from helpers.reader_frames import MAGTEK_VISA_LRC
from helpers.web import fit_screenshot as screenshot
from playwright.sync_api import Page, expect

from hostsim import testnumbers as T


def fast_health(text: str) -> str:
    """The host's health asked every second: the status bar follows it within a second or two."""
    return re.sub(r'health_interval = "[^"]*"', 'health_interval = "1s"', text)


@pytest.fixture(scope="module")
def counter(tmp_path_factory: pytest.TempPathFactory) -> Iterator[ServedCounter]:
    served = serve_counter(
        tmp_path_factory.mktemp("si"),
        "si",
        config_edits=fast_health,
    )
    try:
        yield served
    finally:
        served.stop()


def host_state(counter: ServedCounter, txn: str) -> str | None:
    """The reference host's own record, after the kiosk forwarded what it owes."""
    counter.api("POST", "/queue/drain", params={"timeout_s": 10})
    row = counter.host.store.txn(txn)
    return None if row is None else str(row["state"])


def fill(page: Page, field: str, text: str) -> None:
    """Type into the focused field (the cursor must already be there) and press Enter."""
    expect(page.locator(f"#f-{field}")).to_be_focused()
    page.keyboard.type(text)
    page.keyboard.press("Enter")


def sell_and_wait(page: Page) -> str:
    """Enter on the focused Sell button; the result screen's transaction number."""
    expect(page.locator("#sell")).to_be_focused()
    page.keyboard.press("Enter")
    result = page.locator("#result")
    expect(result).to_be_visible()
    txn = result.get_attribute("data-txn")
    assert txn is not None and re.fullmatch(r"[0-9]{14}", txn)
    return txn


def test_sign_in_refuses_a_wrong_pin_then_reaches_home(page: Page, counter: ServedCounter) -> None:
    page.goto(counter.url + "/")
    expect(page).to_have_url(re.compile(r"/ui/signin$"))
    expect(page.locator("html")).to_have_attribute("lang", "sl")
    screenshot(page, "signin")

    page.keyboard.type("2")
    page.keyboard.press("Enter")
    page.keyboard.type("9999")
    page.keyboard.press("Enter")
    error = page.locator("#signin-error")
    expect(error).to_contain_text("Napačna številka prodajalca ali PIN")
    expect(page.locator("#pin")).to_be_focused()  # the number stays, the PIN is asked again
    screenshot(page, "signin-wrong-pin")

    page.keyboard.type("2222")
    page.keyboard.press("Enter")
    expect(page.locator("body")).to_have_attribute("data-screen", "home")
    expect(page.locator("#clerk")).to_contain_text("Bor")
    for product in ("card-topup", "card-sale"):
        expect(page.locator(f"#product-{product}")).to_be_visible()
    expect(page.locator("#status-printer")).to_have_attribute("data-state", "ready")
    screenshot(page, "home")


def test_card_topup_by_keyboard_only(page: Page, counter: ServedCounter) -> None:
    sign_in(page, counter)
    page.keyboard.press("1")
    expect(page.locator("section.sale")).to_have_attribute("data-product", "card-topup")

    fill(page, "target", "4111 1111 1111 1112")  # a typo: fails its check digit
    expect(page.locator("#err-target")).to_contain_text("Številka kartice ni veljavna")
    expect(page.locator("#f-target")).to_be_focused()
    page.keyboard.press("Control+a")
    fill(page, "target", T.ONLINE_CARD)
    fill(page, "amount", "150")
    expect(page.locator("#quote-total")).to_have_text("153,00 €")  # 150 + 1 + 2 (tariff)
    fill(page, "cash", "100")
    expect(page.locator("#err-cash")).to_contain_text("ne pokrije")
    page.keyboard.press("Control+a")
    fill(page, "cash", "160")
    expect(page.locator("#change-due")).to_have_text("7,00 €")
    screenshot(page, "sale-quote")

    txn = sell_and_wait(page)
    expect(page.locator("#result")).to_have_attribute("data-outcome", "confirmed")
    expect(page.locator("#result-instruction")).to_have_text("Izročite potrdilo in vzemite denar.")
    expect(page.locator("#result-change")).to_have_text("7,00 €")
    expect(page.locator("#slip-text")).to_contain_text(txn)
    screenshot(page, "result-confirmed")
    assert host_state(counter, txn) == "confirmed"

    page.keyboard.press("Enter")  # next customer
    expect(page.locator("body")).to_have_attribute("data-screen", "home")


def test_card_sale_by_keyboard_only_with_quick_amounts(page: Page, counter: ServedCounter) -> None:
    sign_in(page, counter)
    page.keyboard.press("2")
    expect(page.locator("section.sale")).to_have_attribute("data-product", "card-sale")
    expect(page.locator("#f-amount")).to_be_focused()  # a card sale has no target
    page.keyboard.press("+")  # first quick amount: 10 EUR
    page.keyboard.press("+")  # 20
    page.keyboard.press("+")  # 50
    expect(page.locator("#f-amount")).to_have_value("50")
    page.keyboard.press("Enter")
    expect(page.locator("#quote-total")).to_have_text("55,00 €")  # 50 + 3 + 1 + 1
    expect(page.locator("#f-cash")).to_be_focused()
    page.keyboard.press("+")  # exact cash
    page.keyboard.press("Enter")
    expect(page.locator("#change-due")).to_have_text("0,00 €")
    txn = sell_and_wait(page)
    expect(page.locator("#result")).to_have_attribute("data-outcome", "confirmed")
    assert host_state(counter, txn) == "confirmed"


def test_a_swipe_on_the_reader_fills_the_card_field(page: Page, counter: ServedCounter) -> None:
    sign_in(page, counter)
    page.keyboard.press("1")
    card = page.locator("#f-target")
    expect(card).to_be_focused()
    page.wait_for_function("window.counterEvents && window.counterEvents.readyState === 1")
    counter.swipe(MAGTEK_VISA_LRC)
    expect(card).to_have_value("**** **** **** 1111")
    expect(card).to_have_attribute("readonly", "")
    assert "4111111111111111" not in page.content()  # the number never reaches the page
    expect(page.locator("#f-amount")).to_be_focused()
    screenshot(page, "sale-card-swiped")
    page.keyboard.type("20")
    page.keyboard.press("Enter")
    fill(page, "cash", "25")
    txn = sell_and_wait(page)
    expect(page.locator("#result")).to_have_attribute("data-outcome", "confirmed")
    expect(page.locator("#result")).to_contain_text("**** **** **** 1111")
    assert host_state(counter, txn) == "confirmed"


def test_a_slip_that_does_not_print_is_a_cancelled_sale(page: Page, counter: ServedCounter) -> None:
    sign_in(page, counter)
    page.keyboard.press("1")
    fill(page, "target", T.ONLINE_CARD)
    fill(page, "amount", "30")
    fill(page, "cash", "40")
    counter.printer.paper_out_after(5)  # the paper runs out in the middle of the slip
    try:
        txn = sell_and_wait(page)
        result = page.locator("#result")
        expect(result).to_have_attribute("data-outcome", "print_failed")
        expect(page.locator("#result-headline")).to_have_text(
            "Potrdilo se ni natisnilo: prodaja preklicana"
        )
        expect(page.locator("#result-no-money")).to_be_visible()
        screenshot(page, "result-print-failed")
    finally:
        counter.printer.load_paper()
    assert host_state(counter, txn) == "voided"


def test_the_status_bar_follows_the_host_down_and_back(page: Page, counter: ServedCounter) -> None:
    sign_in(page, counter)
    host = page.locator("#status-host")
    expect(host).to_have_attribute("data-state", "online")
    counter.stop_host()
    try:
        expect(host).to_have_attribute("data-state", "offline")  # pushed, nobody clicked
        expect(page.locator("#status-attention")).to_contain_text("Strežnik se ne odziva")
        screenshot(page, "status-host-offline")
    finally:
        counter.start_host()
    page.locator("#status-refresh").click()
    expect(host).to_have_attribute("data-state", "online")


def test_the_language_switch_changes_every_text(page: Page, counter: ServedCounter) -> None:
    sign_in(page, counter)
    page.locator("header button.lang[value=en]").click()
    expect(page.locator("html")).to_have_attribute("lang", "en")
    expect(page.locator("h1")).to_have_text("What does the customer buy?")
    expect(page.locator("#product-card-topup")).to_contain_text("Card top-up")
    expect(page.locator("#status-printer")).to_contain_text("Printer: ready")
    screenshot(page, "home-en")
    for code, heading in (
        ("sr_Latn", "Šta kupac kupuje?"),
        ("az", "Müştəri nə alır?"),
        ("fi", "Mitä asiakas ostaa?"),
        ("sl", "Kaj kupuje stranka?"),
    ):
        page.locator(f"header button.lang[value={code}]").click()
        expect(page.locator("h1")).to_have_text(heading)


def test_screenshots_are_written(counter: ServedCounter) -> None:
    """The screens above left their pictures for the docs (this module runs in order)."""
    from helpers.browser import ARTIFACTS

    for name in ("signin", "home", "sale-quote", "result-confirmed", "status-host-offline"):
        assert Path(ARTIFACTS / f"{name}.png").stat().st_size > 10_000
