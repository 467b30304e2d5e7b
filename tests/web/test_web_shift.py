"""The shift's cash in Chromium: float, cash in/out, a supervisor's drawer opening, X and Z.

Each step is done on the screen as a clerk would, and its effect is checked where it lands: the
journal (one ``cash_movement`` event each, with the clerk and the reason), the drawer's figure
on the screen and in ``kiosk cash``, the drawer kick at the virtual printer, and the X and Z
slips the virtual printer printed (float and cash in/out lines, figures per clerk).
"""

from __future__ import annotations

import json
from typing import Any

import pytest
from click.testing import CliRunner
from helpers.web import ServedScreen, sign_in
from playwright.sync_api import Page, expect

from hostsim import testnumbers as T
from terminal.cli import main
from terminal.sale import SaleRequest
from terminal.shift import CASH_EVENT, DRAWER_EVENT
from terminal.web.errors import HEADLINES

#: The page fixture of web/conftest.py opens the cash screens at this size.
VIEWPORT = {"width": 1280, "height": 800}
PAGE_TIMEOUT_MS = 15_000


def record(page: Page, kind: str, amount: str, reason: str, note: str = "") -> None:
    page.locator(f"#cash-kind-{kind}").check()
    page.select_option("#cash-currency", "EUR")
    page.fill("#cash-amount", amount)
    page.select_option(f"#cash-reason-{kind}", reason)
    page.fill("#cash-note", note)
    page.locator("#cash-record").click()
    expect(page.locator("#cash-done")).to_be_visible()


def cash_events(si: ServedScreen) -> list[dict[str, Any]]:
    kiosk = si.counter.kiosk
    assert kiosk is not None
    return [e.data for e in kiosk.store.journal() if e.event == CASH_EVENT]


def test_float_cash_in_out_and_the_drawer_reach_the_journal_the_screen_and_the_x_z(
    si: ServedScreen, page: Page
) -> None:
    kiosk = si.counter.kiosk
    assert kiosk is not None
    url = si.api.url
    sign_in(page, url, "1", "1111")
    page.goto(url + "/ui/cash")
    expect(page.locator("#cash-no-moves")).to_be_visible()
    record(page, "float", "100", "opening_float")
    expect(page.locator("#cash-done")).to_have_text(
        "Začetni menjalni denar je zapisan: predal se je odprl."
    )
    expect(page.locator("#cash-EUR")).to_have_attribute("data-minor", "10000")
    expect(page.locator("#cash-kind-float")).to_have_count(0)  # one float per period
    record(page, "in", "20", "change_from_safe")
    record(page, "out", "30,50", "to_safe", "Sef 2")
    expect(page.locator("#cash-EUR")).to_have_attribute("data-minor", str(10000 + 2000 - 3050))
    expect(page.locator("tr.cash-move")).to_have_count(3)
    expect(page.locator("#cash-moves")).to_contain_text("V sef (Sef 2)")

    events = cash_events(si)
    assert [(e["kind"], e["amount_minor"], e["reason"], e["clerk"]) for e in events] == [
        ("float", 10000, "opening_float", "1"),
        ("in", 2000, "change_from_safe", "1"),
        ("out", 3050, "to_safe", "1"),
    ]
    assert events[2]["note"] == "Sef 2"
    kicks = [e.data for e in kiosk.store.journal() if e.event == "drawer_opened"]
    assert [k.get("kind") for k in kicks] == ["float", "in", "out"]

    # A refused movement says why in Slovenian and records nothing.
    page.locator("#cash-kind-in").check()
    page.fill("#cash-amount", "0")
    page.locator("#cash-record").click()
    expect(page.locator("#cash-refusal")).to_be_visible()
    assert len(cash_events(si)) == 3

    # The supervisor opens the drawer with a reason: journalled, and the printer kicks it.
    page.goto(url + "/ui/cash")
    page.select_option("#drawer-reason", "give_change")
    page.fill("#drawer-note", "kovanci")
    page.locator("#drawer-open").click()
    expect(page.locator("#cash-done")).to_have_text("Predal se je odprl; razlog je v dnevniku.")
    opened = [e.data for e in kiosk.store.journal() if e.event == DRAWER_EVENT]
    assert opened == [{"clerk": "1", "reason": "give_change", "note": "kovanci"}]

    # A clerk (not a supervisor) has no drawer button, and the service refuses one.
    clerk_page = page.context.browser.new_page() if page.context.browser else page
    try:
        sign_in(clerk_page, url, "2", "2222")
        clerk_page.goto(url + "/ui/cash")
        expect(clerk_page.locator("#drawer-open")).to_have_count(0)
        clerk_page.locator("#cash-kind-in").check()
        clerk_page.fill("#cash-amount", "5")
        clerk_page.locator("#cash-record").click()
        expect(clerk_page.locator("#cash-done")).to_be_visible()
    finally:
        if clerk_page is not page:
            clerk_page.close()
    from terminal.clerks import SupervisorRequired

    with pytest.raises(SupervisorRequired):
        kiosk.shift.open_drawer(clerk="2", reason="give_change")

    # Sales by two clerks, then the X report on the screen.
    sold = kiosk.sales.sell(
        SaleRequest(
            product="card-topup",
            target=T.ONLINE_CARD,
            amount_minor=5000,
            cash_minor=6000,
            clerk="2",
        )
    )
    assert sold.state == "confirmed"
    drawer = 10000 + 2000 - 3050 + 500 + sold.total_minor
    page.goto(url + "/ui/cash")
    expect(page.locator("#cash-EUR")).to_have_attribute("data-minor", str(drawer))
    printed = len(si.counter.printer.slips)
    page.goto(url + "/ui/reports")
    page.locator("#x-report").click()
    assert si.counter.printer.wait_for_slips(printed + 1)
    x_slip = si.counter.printer.slips[-1].text
    for words in (
        "Začetni menjalni denar: Preštet",
        "100,00 €",
        "Polog gotovine: Drobiž iz sefa",
        "Dvig gotovine: V sef",
        "Po prodajalcih",
        "EUR                               146,50 €",
        "2 Bor",
        "Prodaje: 1",
    ):
        assert words in x_slip, (words, x_slip)
    assert "-30,50" in x_slip

    # kiosk cash: the same figure and each movement with its reason.
    runner = CliRunner()
    config = str(si.counter.folder / "kiosk.toml")
    si.api.stop()
    si.counter.close()
    out = runner.invoke(main, ["--config", config, "cash", "--json"])
    assert out.exit_code == 0, out.output
    summary = json.loads(out.stdout.splitlines()[-1])
    assert summary["cash_in_drawer"]["EUR"] == drawer
    assert [m["reason"] for m in summary["movements"]] == [
        "opening_float",
        "change_from_safe",
        "to_safe",
        "change_from_safe",
    ]
    assert summary["movement_totals"]["EUR"] == {"float": 10000, "in": 2500, "out": 3050}
    text = runner.invoke(main, ["--config", config, "cash"])
    assert "to_safe (Sef 2)" in text.stdout and "clerk 1" in text.stdout

    # The Z closes the movements with the sales: the next period starts with no float.
    z = runner.invoke(
        main, ["--config", config, "report", "z", "--clerk", "1", "--pin", "1111", "--json"]
    )
    assert z.exit_code == 0, z.output
    z_slip = si.counter.printer.slips[-1].text
    assert "Začetni menjalni denar" in z_slip and "2 Bor" in z_slip
    kiosk = si.counter.open()
    assert kiosk.shift.movements() == []
    assert kiosk.reports.cash_summary()["cash_in_drawer"]["EUR"] == 0


def test_the_cash_refusals_have_their_own_headlines() -> None:
    for code in ("invalid_cash_movement", "float_already_counted", "drawer_not_opened"):
        assert code in HEADLINES


def test_the_shift_screen_lists_its_sales_sends_the_queue_now_and_tests_the_printer(
    si: ServedScreen, page: Page
) -> None:
    kiosk = si.counter.kiosk
    assert kiosk is not None
    url = si.api.url
    sold = kiosk.sales.sell(
        SaleRequest(product="card-topup", target=T.ONLINE_CARD, amount_minor=2000, cash_minor=3000)
    )
    # The host is down: a small top-up is sold offline and its advice waits in the queue.
    si.counter.host.stop()
    offline = kiosk.sales.sell(
        SaleRequest(product="card-topup", target=T.ONLINE_CARD, amount_minor=1000, cash_minor=2000)
    )
    assert offline.state == "offline_confirmed"
    kiosk.forwarder.drain(1.0)  # one try while the host is down: the next one waits (backoff)
    [owed] = kiosk.store.list_outbox(states=["pending"], txn=offline.txn)
    assert owed.attempts >= 1 and owed.next_attempt_mono > kiosk.clock.monotonic()
    sign_in(page, url, "2", "2222")
    page.keyboard.press("F10")
    expect(page.locator("body")).to_have_attribute("data-screen", "shift")
    rows = page.locator("tr.shift-txn")
    expect(rows).to_have_count(2)
    first = page.locator(f"tr.shift-txn[data-txn='{sold.txn}']")
    expect(first.locator("a[data-link=storno]")).to_have_attribute("href", f"/ui/storno/{sold.txn}")
    expect(first.locator("a[data-link=reprint]")).to_be_visible()
    waiting = page.locator(f"tr.queue-line[data-txn='{offline.txn}']")
    expect(waiting).to_contain_text("Naslednji poskus")
    # The host is back: "send now" delivers at once, not at the next try.
    port = int(si.counter.host.url.rsplit(":", 1)[1])
    from hostsim.server import HostServer

    si.counter.host = HostServer(
        si.counter.folder / "host.sqlite", port=port, clock=si.counter.clock
    ).start()
    page.locator("#send-now").click()
    expect(page.locator("#shift-done")).to_be_visible()
    expect(page.locator("#shift-queue-empty")).to_be_visible()
    assert [e.event for e in kiosk.store.journal() if e.event == "outbox:send_now"]
    assert kiosk.store.list_outbox(states=["pending", "dead"]) == []
    assert si.counter.host.store.txn(offline.txn) is not None

    # The printer test prints the test page through the barrier and journals it.
    printed = len(si.counter.printer.slips)
    page.locator("#printer-test").click()
    expect(page.locator("#shift-done")).to_have_text("Preizkusna stran je natisnjena.")
    assert si.counter.printer.wait_for_slips(printed + 1)
    tests = [e.data for e in kiosk.store.journal() if e.event == "printer_test"]
    assert tests == [{"clerk": "2", "printed": True}]
    si.counter.printer.paper_out_after(1)
    page.locator("#printer-test").click()
    expect(page.locator("#shift-done")).to_have_text(
        "Preizkusna stran se ni natisnila: preverite papir, pokrov in kabel."
    )
    tests = [e.data for e in kiosk.store.journal() if e.event == "printer_test"]
    assert tests[-1] == {"clerk": "2", "printed": False}


def test_a_dead_letter_is_said_in_plain_words() -> None:
    from terminal.web import reasons
    from terminal.web.i18n import Speaker

    speaker = Speaker.for_language("sl", market_language="sl", market_locale="sl_SI")
    said = reasons.queue_error_sentence(speaker, "dead", "unknown_transaction: not here")
    assert said == "Strežnik te transakcije ne pozna."
    odd = reasons.queue_error_sentence(speaker, "dead", "weird_new_code: ...")
    assert odd == "Strežnik je to zavrnil (koda weird_new_code)."
    waiting = reasons.queue_error_sentence(speaker, "pending", "ConnectionError(...)")
    assert waiting == "Strežnik ni bil dosegljiv: terminal bo sam poskusil znova."


def test_the_same_sale_twice_within_minutes_asks_the_clerk_first(
    si: ServedScreen, page: Page
) -> None:
    kiosk = si.counter.kiosk
    assert kiosk is not None
    url = si.api.url
    first = kiosk.sales.sell(
        SaleRequest(product="card-topup", target=T.ONLINE_CARD, amount_minor=2000, cash_minor=3000)
    )
    assert first.state == "confirmed"
    si.counter.clock.advance(120)
    sign_in(page, url, "2", "2222")

    def sell(amount: str) -> None:
        page.goto(url + "/ui/sale/card-topup")
        for field, value in (("target", T.ONLINE_CARD), ("amount", amount), ("cash", "100")):
            expect(page.locator(f"#f-{field}")).to_be_focused()
            page.keyboard.type(value)
            page.keyboard.press("Enter")
        expect(page.locator("#sell")).to_be_focused()
        page.keyboard.press("Enter")

    sell("20")
    warning = page.locator("#duplicate-warning")
    expect(warning).to_have_attribute("data-txn", first.txn)
    expect(warning).to_contain_text("pred 2 min")
    assert len(kiosk.store.list_transactions()) == 1  # nothing sold, nothing recorded
    page.locator("#confirm-duplicate").check()
    page.locator("#sell").click()
    expect(page.locator("#result")).to_have_attribute("data-outcome", "confirmed")
    second = str(page.locator("#result").get_attribute("data-txn"))
    assert second != first.txn
    assert kiosk.store.get(second).state == "confirmed"
    # Another amount to the same card is another sale: no question.
    sell("30")
    expect(page.locator("#result")).to_have_attribute("data-outcome", "confirmed")
    # Past the window, the same sale goes through without a question too.
    si.counter.clock.advance(11 * 60)
    page.context.clear_cookies()  # the screen locked meanwhile: sign in afresh
    sign_in(page, url, "2", "2222")
    sell("20")
    expect(page.locator("#result")).to_have_attribute("data-outcome", "confirmed")
    assert len(kiosk.store.list_transactions()) == 4
