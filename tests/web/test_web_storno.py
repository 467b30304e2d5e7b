"""The storno screen in Chromium against ``kiosk serve`` on the Slovenian preset.

One kiosk and one browser for the module. Sales are made through the local API (the till's
way), then reversed on the screen as a clerk would: picked from the list by keyboard, opened
by a scanned slip, or typed. The window's countdown runs on the page; the card-sale product
gets a 4-second window here so a window can be watched closing without waiting five minutes.
"""

from __future__ import annotations

import re
from collections.abc import Iterator

import pytest
from helpers.browser import ServedCounter, serve_counter
from helpers.desk import host_state, local, sell, shot, sign_in
from playwright.sync_api import Page, expect

from hostsim.products import HostSettings
from hostsim.server import HostServer

#: The card-sale's storno window in this module (the preset's is 5 minutes).
SHORT_WINDOW_S = 4


def short_card_sale_window(text: str) -> str:
    """kiosk.toml with the card-sale product's storno window cut to a few seconds."""
    head, card_sale = text.split("[products.card-sale]", 1)
    card_sale = card_sale.replace(
        'reversal_window = "5m"', f'reversal_window = "{SHORT_WINDOW_S}s"', 1
    )
    assert f'"{SHORT_WINDOW_S}s"' in card_sale
    return head + "[products.card-sale]" + card_sale


@pytest.fixture(scope="module")
def counter(tmp_path_factory: pytest.TempPathFactory) -> Iterator[ServedCounter]:
    served = serve_counter(
        tmp_path_factory.mktemp("storno"), "si", config_edits=short_card_sale_window
    )
    try:
        yield served
    finally:
        served.stop()


def left_s(page: Page, selector: str) -> int:
    value = page.locator(selector).get_attribute("data-left-s")
    assert value is not None and value.isdigit(), value
    return int(value)


def test_storno_inside_the_window_by_keyboard(page: Page, counter: ServedCounter) -> None:
    txn = sell(counter, "card-topup", 5000, 6000)  # 50 + 2 fees: the customer paid 52
    slips_before = len(counter.printer.slips)
    sign_in(page, counter)
    page.keyboard.press("F3")
    expect(page.locator("body")).to_have_attribute("data-screen", "storno")
    expect(page.locator("#storno-txn")).to_be_focused()

    row = page.locator(f"#candidate-{txn}")
    expect(row).to_contain_text("**** **** **** 0010")  # masked as on the slip
    expect(row).to_contain_text("52,00 €")
    countdown = f"#left-{txn}"
    first = left_s(page, countdown)
    assert 280 <= first <= 300, first
    # Counting down on the page, without asking the server again.
    page.wait_for_function(
        "([sel, first]) => parseInt(document.querySelector(sel).dataset.leftS, 10) < first",
        arg=[countdown, first],
        timeout=5_000,
    )
    expect(page.locator(f"{countdown} [data-left]")).to_have_text(re.compile(r"^[45]:[0-5]\d$"))
    shot(page, "storno")

    page.keyboard.press("ArrowDown")  # from the number field into the list: the newest sale
    expect(page.locator(f"#candidate-{txn} a.pick")).to_be_focused()
    page.keyboard.press("Enter")
    expect(page.locator("body")).to_have_attribute("data-screen", "storno-confirm")
    expect(page.locator("#storno-refund")).to_have_text("52,00 €")
    expect(page.locator("#storno-left [data-left]")).to_have_text(re.compile(r"^[45]:[0-5]\d$"))
    expect(page.locator("#storno-submit")).to_be_focused()
    page.keyboard.press("2")  # the reason: wrong amount
    expect(page.locator("#reason-wrong_amount")).to_be_checked()
    expect(page.locator("#storno-submit")).to_be_focused()
    expect(page.locator("#printing")).to_be_hidden()
    shot(page, "storno-confirm")
    page.keyboard.press("Enter")

    result = page.locator("#storno-result")
    expect(result).to_have_attribute("data-outcome", "stornoed")
    expect(page.locator("#storno-headline")).to_have_text("Storno opravljen")
    expect(page.locator("#storno-pay-back")).to_have_text("52,00 €")
    expect(page.locator("#storno-slip-text")).to_contain_text(txn)
    shot(page, "storno-done")

    assert len(counter.printer.slips) == slips_before + 1
    assert "STORNO" in counter.printer.slips[-1].text
    stored = local(counter, txn)
    assert stored["state"] == "stornoed"
    assert stored["details"]["storno"]["clerk"] == "2"  # the signed-in clerk
    assert stored["details"]["storno"]["reason"] == "wrong_amount"
    assert host_state(counter, txn) == "stornoed"

    page.keyboard.press("Escape")  # another storno: the reversed sale is no longer offered
    expect(page.locator("body")).to_have_attribute("data-screen", "storno")
    expect(page.locator(f"#candidate-{txn}")).to_have_count(0)


def test_a_storno_slip_that_does_not_print_is_no_storno_until_done_again(
    page: Page, counter: ServedCounter
) -> None:
    txn = sell(counter, "card-topup", 2000, 2500)  # 20 + 2 fees
    sign_in(page, counter)
    page.goto(counter.url + "/ui/storno")
    page.wait_for_function("window.counterEvents && window.counterEvents.readyState === 1")
    # The slip's QR code scanned by a keyboard-wedge scanner opens the sale.
    scanned = counter.api("POST", "/devices/wedge", json={"keys": f"TXN:{txn}\r", "end": True})
    assert scanned.status_code == 200, scanned.text
    expect(page.locator("body")).to_have_attribute("data-screen", "storno-confirm")
    expect(page.locator("#storno-confirm")).to_have_attribute("data-txn", txn)

    page.keyboard.press("1")
    counter.printer.paper_out_after(5)  # the roll ends in the middle of the storno slip
    try:
        page.keyboard.press("Enter")
        result = page.locator("#storno-result")
        expect(result).to_have_attribute("data-outcome", "print_failed")
        expect(page.locator("#storno-headline")).to_have_text(
            "Potrdilo o stornu se ni natisnilo: storno NI opravljen"
        )
        expect(page.locator("#storno-no-money")).to_be_visible()
        shot(page, "storno-print-failed")
    finally:
        counter.printer.load_paper()
    assert local(counter, txn)["state"] == "confirmed"  # the sale stands

    page.keyboard.press("F5")  # try again, now with paper
    expect(page.locator("body")).to_have_attribute("data-screen", "storno-confirm")
    page.keyboard.press("3")
    # What the page shows while the request runs, noted as the form leaves (a locator would
    # wait for the navigation the submit starts): "printing..." and the button inert.
    page.evaluate(
        """() => document.getElementById("storno-confirm-form").addEventListener("submit", () => {
            const shown = !document.getElementById("printing").hidden;
            const inert = document.getElementById("storno-submit").getAttribute("aria-disabled");
            sessionStorage.setItem("printing", `${shown},${inert}`);
        })"""
    )
    page.keyboard.press("Enter")
    expect(page.locator("#storno-result")).to_have_attribute("data-outcome", "stornoed")
    assert page.evaluate("sessionStorage.getItem('printing')") == "true,true"
    expect(page.locator("#storno-pay-back")).to_have_text("22,00 €")
    assert host_state(counter, txn) == "stornoed"


def test_a_window_that_closes_on_screen_is_refused_by_the_server_too(
    page: Page, counter: ServedCounter
) -> None:
    txn = sell(counter, "card-sale", 2500, 3000)  # 25 + 3 fees; its window here: 4 s
    sign_in(page, counter)
    page.goto(counter.url + "/ui/storno")
    row = page.locator(f"#candidate-{txn}")
    expect(row).to_be_visible()
    assert left_s(page, f"#left-{txn}") <= SHORT_WINDOW_S

    confirm = page.context.new_page()  # the same clerk has the sale open in a second tab
    confirm.goto(counter.url + f"/ui/storno/{txn}")
    expect(confirm.locator("#storno-submit")).to_be_enabled()

    # Both pages close the window by themselves when the countdown reaches zero.
    expect(row).to_have_class(re.compile(r"\bclosed\b"), timeout=SHORT_WINDOW_S * 1000 + 3000)
    expect(page.locator(f"#left-{txn}")).to_have_text(
        "Okno za storno se je zaprlo: prodaje ni več mogoče stornirati."
    )
    assert row.locator("a.pick").get_attribute("href") is None  # cannot be picked
    shot(page, "storno-window-closed")
    expect(confirm.locator("#storno-submit")).to_be_disabled()
    expect(confirm.locator("#storno-closed")).to_be_visible()

    # A page that sends the form anyway (an old tab, a script) is refused by the server.
    confirm.evaluate(
        """() => {
            document.getElementById("reason-wrong_number").checked = true;
            document.getElementById("storno-confirm-form").submit();
        }"""
    )
    result = confirm.locator("#storno-result")
    expect(result).to_have_attribute("data-outcome", "refused")
    expect(result).to_have_attribute("data-code", "storno_window_closed")
    expect(confirm.locator("#storno-headline")).to_have_text(
        "Okno za storno se je zaprlo: storno ni opravljen"  # decided here, not by the host
    )
    expect(confirm.locator("#storno-no-money")).to_be_visible()
    assert local(counter, txn)["state"] == "confirmed"

    # Opening it by number now says why, and the list no longer offers it.
    page.goto(counter.url + f"/ui/storno?txn={txn}")
    expect(page.locator("#storno-refusal")).to_contain_text("Okno za storno se je zaprlo")
    expect(page.locator(f"#candidate-{txn}")).to_have_count(0)


def test_a_storno_the_host_refuses_is_explained_and_nothing_is_paid_back(
    page: Page, counter: ServedCounter
) -> None:
    txn = sell(counter, "card-topup", 1000, 1200)
    # The host's own window: none at all, so it refuses what the terminal still allows.
    counter.stop_host()
    counter.host = HostServer(
        counter.folder / "host.sqlite",
        port=counter.host_port,
        settings=HostSettings(storno_window_s=0),
    ).start()
    try:
        sign_in(page, counter)
        page.keyboard.press("F3")
        expect(page.locator("#storno-txn")).to_be_focused()
        page.keyboard.type(txn)
        page.keyboard.press("Enter")
        expect(page.locator("body")).to_have_attribute("data-screen", "storno-confirm")
        page.keyboard.press("1")
        page.keyboard.press("Enter")
        result = page.locator("#storno-result")
        expect(result).to_have_attribute("data-outcome", "refused")
        expect(result).to_have_attribute("data-code", "storno_window_closed")
        expect(page.locator("#storno-headline")).to_have_text("Strežnik je storno zavrnil")
        # the host's code in the terminal's words, in Slovenian: no English under it
        expect(page.locator("#storno-detail")).to_have_text("Čas za storno te prodaje je potekel.")
        expect(page.locator("#storno-no-money")).to_be_visible()
        shot(page, "storno-host-refused")
    finally:
        counter.stop_host()
        counter.start_host()
    assert local(counter, txn)["state"] == "confirmed"
    assert host_state(counter, txn) == "confirmed"


def test_a_typo_in_the_number_says_what_to_do(page: Page, counter: ServedCounter) -> None:
    sign_in(page, counter)
    page.goto(counter.url + "/ui/storno")
    page.keyboard.type("1234")
    page.keyboard.press("Enter")
    expect(page.locator("#storno-refusal")).to_contain_text("14 števk")
    expect(page.locator("#storno-txn")).to_have_value("1234")
    page.goto(counter.url + "/ui/storno?txn=99999000000001")
    expect(page.locator("#storno-refusal")).to_contain_text("drugem terminalu")
