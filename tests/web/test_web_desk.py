"""Lookup, reprint, cash in drawer and the X/Z reports in Chromium against ``kiosk serve``.

One kiosk (Slovenian preset) and one browser for the module, and two sales made through the
local API at the start. The tests run in file order on purpose: the Z report comes last,
because it closes the period the cash and X figures are counted over.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
from helpers.browser import ServedCounter, serve_counter
from helpers.desk import post_from_page, sell, shot, sign_in
from playwright.sync_api import Page, expect

#: What the module's two sales cost the customers: 50 + 2 fees, and a 25 EUR card + 3 fees.
TOPUP_PAID = 5200
CARD_PAID = 2800


@pytest.fixture(scope="module")
def counter(tmp_path_factory: pytest.TempPathFactory) -> Iterator[ServedCounter]:
    served = serve_counter(tmp_path_factory.mktemp("desk"), "si")
    try:
        yield served
    finally:
        served.stop()


@pytest.fixture(scope="module")
def sales(counter: ServedCounter) -> dict[str, str]:
    """A card top-up, then a card sale (the last slip), both delivered to the host."""
    made = {
        "card-topup": sell(counter, "card-topup", 5000, 6000),
        "card-sale": sell(counter, "card-sale", 2500, 3000),
    }
    drained = counter.api("POST", "/queue/drain", params={"timeout_s": 10})
    assert drained.status_code == 200, drained.text
    return made


def test_lookup_finds_the_sale_with_the_host_view(
    page: Page, counter: ServedCounter, sales: dict[str, str]
) -> None:
    txn = sales["card-topup"]
    sign_in(page, counter)
    page.keyboard.press("F4")
    expect(page.locator("body")).to_have_attribute("data-screen", "lookup")
    expect(page.locator("#lookup-q")).to_be_focused()
    page.keyboard.type(txn)
    page.keyboard.press("Enter")

    entry = page.locator(f"#found-{txn}")
    expect(entry).to_have_attribute("data-state", "confirmed")
    expect(entry).to_contain_text("**** **** **** 0010")
    expect(page.locator(f"#answer-{txn}")).to_have_text(
        "Plačano in potrdilo natisnjeno; strežnik ima vse."
    )
    expect(page.locator(f"#local-{txn}")).to_have_text("Plačano: potrdilo je natisnjeno")
    expect(page.locator(f"#outbox-{txn}")).to_contain_text("Potrditev prodaje: dostavljeno")
    expect(page.locator(f"#host-{txn}")).to_have_text("plačano in dostavljeno")
    expect(page.locator(f"#storno-{txn}")).to_be_visible()  # still inside its window
    shot(page, "lookup")

    # By the card's last 4 digits ("any number" tells them from their shape).
    page.goto(counter.url + "/ui/lookup?q=0010")
    expect(page.locator("#lookup-results")).to_have_attribute("data-count", "1")
    expect(page.locator(f"#found-{txn}")).to_be_visible()
    # A time range alone lists both sales, newest first.
    page.goto(counter.url + "/ui/lookup?q=&since=2020-01-01T00:00")
    found = page.locator(".found-entry")
    expect(found).to_have_count(2)
    expect(found.first).to_have_attribute("data-txn", sales["card-sale"])
    # Something that is not a number says what to give.
    page.goto(counter.url + "/ui/lookup?by=card_last4&q=12")
    expect(page.locator("#lookup-refusal")).to_contain_text("zadnje 4 števke kartice")


def test_reprint_prints_a_numbered_copy(
    page: Page, counter: ServedCounter, sales: dict[str, str]
) -> None:
    txn = sales["card-topup"]
    slips = len(counter.printer.slips)
    sign_in(page, counter)
    page.goto(counter.url + f"/ui/lookup?q={txn}")
    page.locator(f"#reprint-{txn}").click()  # the lookup's row links to its reprint
    expect(page.locator("body")).to_have_attribute("data-screen", "reprint")
    expect(page.locator("#reprint-txn-input")).to_have_value(txn)
    expect(page.locator("#reprint-txn-input")).to_be_focused()
    page.keyboard.press("Enter")

    result = page.locator("#reprint-result")
    expect(result).to_have_attribute("data-copy", "1")
    expect(page.locator("#reprint-headline")).to_have_text("Kopija 1 natisnjena")
    expect(page.locator("#reprint-slip-text")).to_contain_text("KOPIJA 1")
    assert len(counter.printer.slips) == slips + 1
    assert "KOPIJA 1" in counter.printer.slips[-1].text
    assert txn in counter.printer.slips[-1].text
    shot(page, "reprint")

    # The last slip printed here: the card sale's (a copy is not a new slip).
    page.goto(counter.url + "/ui/reprint")
    page.keyboard.press("Enter")  # the number left empty
    expect(page.locator("#reprint-result")).to_have_attribute("data-txn", sales["card-sale"])
    assert len(counter.printer.slips) == slips + 2

    page.goto(counter.url + "/ui/reprint?txn=12345999999999")
    page.keyboard.press("Enter")
    expect(page.locator("#reprint-refusal")).to_contain_text("nima transakcije s to številko")
    assert len(counter.printer.slips) == slips + 2


def test_cash_in_drawer_shows_the_cash_of_the_sales(
    page: Page, counter: ServedCounter, sales: dict[str, str]
) -> None:
    sign_in(page, counter)
    page.keyboard.press("F8")
    expect(page.locator("body")).to_have_attribute("data-screen", "cash")
    expect(page.locator("#cash-EUR")).to_have_attribute("data-minor", str(TOPUP_PAID + CARD_PAID))
    expect(page.locator("#cash-EUR")).to_have_text("80,00 €")
    # The sales kicked the drawer open; the page follows the printer's report of it.
    expect(page.locator("#drawer")).to_have_attribute("data-state", "open")
    shot(page, "cash")
    counter.printer.close_drawer()
    expect(page.locator("#drawer")).to_have_attribute("data-state", "closed", timeout=8_000)
    expect(page.locator("#drawer-state")).to_contain_text("Zaprt")


def test_a_clerk_prints_the_x_report_but_not_the_z(
    page: Page, counter: ServedCounter, sales: dict[str, str]
) -> None:
    slips = len(counter.printer.slips)
    sign_in(page, counter)  # clerk 2
    page.keyboard.press("F7")
    expect(page.locator("body")).to_have_attribute("data-screen", "reports")
    expect(page.locator("#report-cash td[data-currency=EUR]")).to_have_text("80,00 €")
    expect(page.locator("#report-preview-text")).to_contain_text("X POROČILO")
    z_button = page.locator("#z-report")
    expect(z_button).to_be_disabled()
    expect(page.locator("#z-why-not")).to_contain_text("le vodja")
    shot(page, "reports-clerk")

    # The server refuses the Z to a clerk too, whatever the page sends.
    refused = post_from_page(page, "/ui/reports/z", {"token": "x", "z_number": "1"})
    assert refused["status"] == 403, refused
    assert page.goto(counter.url + "/ui/reports/z").status == 403  # type: ignore[union-attr]
    assert len(counter.printer.slips) == slips
    assert counter.api("GET", "/reports/z").json()["z_number"] == 1  # nothing was closed

    page.goto(counter.url + "/ui/reports")
    expect(page.locator("#x-report")).to_be_focused()
    page.keyboard.press("Enter")
    result = page.locator("#report-result")
    expect(result).to_have_attribute("data-code", "printed")
    expect(result).to_have_attribute("data-kind", "X")
    expect(page.locator("#report-headline")).to_have_text("Poročilo X natisnjeno")
    expect(page.locator("#report-slip-text")).to_contain_text("X POROČILO")
    assert len(counter.printer.slips) == slips + 1
    assert "X POROČILO" in counter.printer.slips[-1].text


def test_a_supervisor_prints_x_and_z_with_the_slip_shown(
    page: Page, counter: ServedCounter, sales: dict[str, str]
) -> None:
    sign_in(page, counter, "1", "1111")
    page.keyboard.press("F7")
    expect(page.locator("#z-report")).to_be_enabled()
    expect(page.locator("#x-report")).to_be_focused()  # the page is ready for the keyboard
    page.keyboard.press("Enter")  # X first
    expect(page.locator("#report-result")).to_have_attribute("data-code", "printed")
    expect(page.locator("#report-slip-text")).to_contain_text("X POROČILO")
    page.keyboard.press("Escape")

    expect(page.locator("body")).to_have_attribute("data-screen", "reports")
    shot(page, "reports")
    page.keyboard.press("2")  # the Z asks first: it closes the period
    expect(page.locator("body")).to_have_attribute("data-screen", "report-z")
    expect(page.locator("#report-z")).to_have_attribute("data-z-number", "1")
    expect(page.locator("#z-confirm")).to_be_focused()
    shot(page, "report-z-confirm")

    counter.printer.paper_out_after(4)  # the roll ends in the middle of the Z slip
    try:
        page.keyboard.press("Enter")
        result = page.locator("#report-result")
        expect(result).to_have_attribute("data-code", "not_printed")
        expect(page.locator("#report-headline")).to_have_text(
            "Poročilo Z se ni natisnilo: obdobje ostaja odprto"
        )
        # slip first: the Z's number is kept, and printing again prints the same report
        expect(page.locator("#report-instruction")).to_contain_text("isto poročilo, št. 1")
        expect(page.locator("#report-z-number")).to_have_count(0)
        shot(page, "report-z-not-printed")
    finally:
        counter.printer.load_paper()
    assert counter.api("GET", "/reports/z").json()["z_number"] == 1  # still open, still No. 1

    page.goto(counter.url + "/ui/reports/z")
    page.keyboard.press("Enter")
    result = page.locator("#report-result")
    expect(result).to_have_attribute("data-code", "printed")
    expect(result).to_have_attribute("data-z-number", "1")
    expect(page.locator("#report-z-number")).to_have_text("1")
    expect(page.locator("#report-headline")).to_have_text("Poročilo Z št. 1 natisnjeno")
    slip = page.locator("#report-slip-text")
    expect(slip).to_contain_text("Z POROČILO")
    expect(slip).to_contain_text("80,00 €")
    assert "Z POROČILO" in counter.printer.slips[-1].text
    shot(page, "report-z-printed")

    # The period is closed: the drawer starts again from zero, the next Z is No. 2.
    page.goto(counter.url + "/ui/cash")
    expect(page.locator("#cash-EUR")).to_have_attribute("data-minor", "0")
    assert counter.api("GET", "/reports/z").json()["z_number"] == 2
    # One form prints one Z: the same form sent twice at once (a double Enter, a browser
    # retry) gets the first one's answer, and no second report is printed.
    page.goto(counter.url + "/ui/reports/z")
    token = page.locator("#z-form input[name=token]").input_value()
    slips = len(counter.printer.slips)
    answers: list[dict[str, Any]] = page.evaluate(
        """async (token) => Promise.all([1, 2].map(() => fetch("/ui/reports/z", {
            method: "POST", credentials: "same-origin",
            body: new URLSearchParams({ token: token, z_number: "2" }),
        }).then(async (r) => ({ status: r.status, text: await r.text() }))))""",
        token,
    )
    assert [a["status"] for a in answers] == [200, 200], answers
    assert all('data-z-number="2"' in a["text"] for a in answers), answers
    assert len(counter.printer.slips) == slips + 1
    assert counter.api("GET", "/reports/z").json()["z_number"] == 3
