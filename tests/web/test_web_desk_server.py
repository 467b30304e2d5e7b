"""The storno, lookup, reprint, report and cash screens without a browser, on the kiosk's clock.

The kiosk runs in-process on a ManualClock (``helpers.web``), so a storno window can be
crossed to the second: what the screen offers, and what the server refuses, follow the kiosk's
clock, never the page's. The browser tests (``test_web_storno.py``, ``test_web_desk.py``) show
the same screens in Chromium.
"""

from __future__ import annotations

import re

import pytest
from helpers.web import Screen, ServedScreen

from foundation.money import Money
from terminal.web.desk import time_left
from terminal.web.i18n import HTML_LANG, UI_LANGUAGES
from terminal.web.screens.lookup import guess_kind

PAGES = ("/ui/storno", "/ui/lookup", "/ui/reprint", "/ui/reports", "/ui/cash")


def token_of(html: str) -> str:
    found = re.search(r'name="token" value="([^"]+)"', html)
    assert found, html
    return found.group(1)


def signed_in(si: ServedScreen, number: str = "2", pin: str = "2222") -> Screen:
    screen = si.screen()
    assert screen.sign_in(number, pin).status_code == 200
    return screen


def test_the_storno_list_follows_the_kiosk_clock_and_the_server_checks_again(
    si: ServedScreen,
) -> None:
    sale = si.counter.sell("card-topup")
    assert sale.ok
    screen = signed_in(si)
    page = screen.get("/ui/storno")
    assert f'id="candidate-{sale.txn}"' in page.text
    assert 'data-left-ms="300000"' in page.text  # the window runs from the slip's print time
    confirm = screen.get(f"/ui/storno/{sale.txn}")
    assert confirm.status_code == 200
    token = token_of(confirm.text)

    # The clerk keeps working (no auto-lock) while the window runs out.
    si.counter.clock.advance(100)
    assert 'data-left-s="200"' in screen.get("/ui/storno").text
    si.counter.clock.advance(100)
    assert 'data-left-s="100"' in screen.get("/ui/storno").text
    si.counter.clock.advance(99)
    assert 'data-left-s="1"' in screen.get("/ui/storno").text
    si.counter.clock.advance(2)  # 301 s after the slip printed: closed
    listed = screen.get("/ui/storno")
    assert f'id="candidate-{sale.txn}"' not in listed.text
    assert 'id="no-candidates"' in listed.text
    opened = screen.get(f"/ui/storno/{sale.txn}")
    assert opened.status_code == 409
    assert 'id="storno-refusal"' in opened.text

    # The confirm page opened while the window was open, sent after it closed: refused by
    # the storno service, nothing printed, the sale stands.
    slips = len(si.counter.printer.slips)
    done = screen.post(f"/ui/storno/{sale.txn}", {"token": token, "reason": "wrong_number"})
    assert 'data-outcome="refused"' in done.text
    assert 'data-code="storno_window_closed"' in done.text
    assert 'id="storno-no-money"' in done.text
    assert len(si.counter.printer.slips) == slips
    kiosk = si.counter.kiosk
    assert kiosk is not None
    assert kiosk.store.get(sale.txn).state == "confirmed"


def test_a_storno_records_the_signed_in_clerk_and_runs_once_per_form(si: ServedScreen) -> None:
    sale = si.counter.sell("card-topup")
    screen = signed_in(si)
    token = token_of(screen.get(f"/ui/storno/{sale.txn}").text)
    first = screen.post(f"/ui/storno/{sale.txn}", {"token": token, "reason": "wrong_amount"})
    assert 'data-outcome="stornoed"' in first.text
    again = screen.post(f"/ui/storno/{sale.txn}", {"token": token, "reason": "wrong_amount"})
    assert 'data-outcome="stornoed"' in again.text  # the first one's result, nothing more
    kiosk = si.counter.kiosk
    assert kiosk is not None
    record = kiosk.store.get(sale.txn)
    assert record.state == "stornoed"
    assert record.details["storno"]["clerk"] == "2"
    stornos = [e for e in kiosk.store.journal(sale.txn) if e.event == "state:stornoed"]
    assert len(stornos) == 1

    other = si.counter.sell("card-topup").txn
    token = token_of(screen.get(f"/ui/storno/{other}").text)
    without_reason = screen.post(f"/ui/storno/{other}", {"token": token})
    assert without_reason.status_code == 422
    assert 'id="storno-refusal"' in without_reason.text  # choose the reason: nothing done
    assert kiosk.store.get(other).state == "confirmed"
    again = screen.post(f"/ui/storno/{other}", {"token": token, "reason": "customer_request"})
    assert 'data-outcome="stornoed"' in again.text  # the same form, now with a reason


def test_the_z_report_is_refused_to_a_clerk_on_the_server(si: ServedScreen) -> None:
    assert si.counter.sell("card-topup").ok
    clerk = signed_in(si)
    page = clerk.get("/ui/reports")
    assert re.search(r'id="z-report" disabled', page.text)
    assert clerk.get("/ui/reports/z").status_code == 403
    refused = clerk.post("/ui/reports/z", {"token": token_of(page.text), "z_number": "1"})
    assert refused.status_code == 403
    kiosk = si.counter.kiosk
    assert kiosk is not None
    assert kiosk.store.last_z() is None

    supervisor = signed_in(si, "1", "1111")
    z_page = supervisor.get("/ui/reports/z")
    assert z_page.status_code == 200
    done = supervisor.post("/ui/reports/z", {"token": token_of(z_page.text), "z_number": "1"})
    assert 'data-z-number="1"' in done.text
    last = kiosk.store.last_z()
    assert last is not None and last.z_number == 1


def test_a_z_confirmed_for_one_period_is_not_printed_over_another(si: ServedScreen) -> None:
    supervisor = signed_in(si, "1", "1111")
    token = token_of(supervisor.get("/ui/reports/z").text)
    kiosk = si.counter.kiosk
    assert kiosk is not None
    kiosk.reports.z_report(clerk="1", pin="1111")  # the till closed the period meanwhile: No. 1
    stale = supervisor.post("/ui/reports/z", {"token": token, "z_number": "1"})
    assert stale.status_code == 409
    assert 'data-z-number="2"' in stale.text  # shown again with the number it would get now
    last = kiosk.store.last_z()
    assert last is not None and last.z_number == 1


def test_lookup_answers_from_the_terminal_when_the_host_is_down(si: ServedScreen) -> None:
    sale = si.counter.sell("card-topup")
    screen = signed_in(si)
    si.counter.host.stop()
    page = screen.get("/ui/lookup", params={"q": sale.txn})
    assert page.status_code == 200
    assert 'id="lookup-host-down"' in page.text
    assert f'id="found-{sale.txn}"' in page.text
    assert "Strežnik trenutno ni dosegljiv" in page.text  # in the clerk's language


def test_lookup_refuses_a_range_that_ends_before_it_starts(si: ServedScreen) -> None:
    screen = signed_in(si)
    page = screen.get(
        "/ui/lookup", params={"since": "2026-11-22T13:00", "until": "2026-11-22T12:00"}
    )
    assert page.status_code == 422
    assert "začetek pred koncem" in page.text
    assert 'id="lookup-results"' not in page.text


def test_every_screen_renders_in_every_language(si: ServedScreen) -> None:
    assert si.counter.sell("card-topup").ok
    screen = signed_in(si, "1", "1111")
    for language in UI_LANGUAGES:
        screen.post("/ui/language", {"lang": language, "next": "/ui/"})
        for path in (*PAGES, "/ui/reports/z", "/ui/lookup?q=0010"):
            page = screen.get(path)
            assert page.status_code == 200, (language, path, page.text[-2000:])
            assert f'<html lang="{HTML_LANG[language]}">' in page.text


@pytest.mark.parametrize(
    ("typed", "kind"),
    [
        ("12345000000001", "txn"),
        ("TXN:12345000000001", "txn"),
        ("356741080000010", "imei"),
        ("0010", "card_last4"),
        ("+386 41 123 456", "phone"),
        ("041123456", "phone"),
    ],
)
def test_lookup_tells_a_number_by_its_shape(typed: str, kind: str) -> None:
    assert guess_kind(typed) == kind


def test_the_countdown_reads_like_a_clock() -> None:
    assert time_left(300) == "5:00"
    assert time_left(299.2) == "5:00"  # rounded up: never shows 0 while still open
    assert time_left(61) == "1:01"
    assert time_left(0.4) == "0:01"
    assert time_left(-3) == "0:00"
    assert time_left(13 * 3600 + 4 * 60 + 59) == "13:04:59"


def test_a_storno_result_is_read_back_from_the_store(si: ServedScreen) -> None:
    """A storno done elsewhere (the till, another screen, before a restart) still has its
    result page, from the store: done and what was paid back, or not done."""
    kiosk = si.counter.kiosk
    assert kiosk is not None
    done = si.counter.sell("card-topup")
    assert kiosk.stornos.storno(done.txn, reason="wrong_number", clerk="7").ok
    failed = si.counter.sell("card-topup")
    si.counter.printer.paper_out_after(3)
    try:
        assert not kiosk.stornos.storno(failed.txn, reason="wrong_number", clerk="7").ok
    finally:
        si.counter.printer.load_paper()
    screen = signed_in(si)
    page = screen.get(f"/ui/storno/result/{done.txn}")
    assert 'data-outcome="stornoed"' in page.text
    paid = kiosk.store.get(done.txn).total_minor
    pay_back = Money(paid, "EUR").format("sl_SI", printable=False)
    assert f'id="storno-pay-back">{pay_back}<' in page.text  # what the customer paid
    page = screen.get(f"/ui/storno/result/{failed.txn}")
    assert 'data-outcome="print_failed"' in page.text
    assert 'id="storno-no-money"' in page.text
    # A sale nobody tried to reverse has no result: the confirmation instead.
    untouched = si.counter.sell("card-topup")
    page = screen.get(f"/ui/storno/result/{untouched.txn}")
    assert 'data-screen="storno-confirm"' in page.text
