"""Sessions of the counter screen, without a browser: the inactivity lock on the kiosk's clock,
cross-site POSTs refused, supervisor-only screens refused to a clerk, a sale form that sells
once however often it is sent, and every sale recorded with its clerk."""

from __future__ import annotations

import threading

from fastapi import APIRouter, Request
from fastapi.responses import PlainTextResponse
from helpers.kiosk import SALES
from helpers.web import ServedScreen

from terminal.web import WebContext


def card_topup_form(token: str) -> dict[str, str]:
    return {"token": token, "target": SALES["card-topup"]["target"], "amount": "50", "cash": "60"}


def test_the_screen_locks_after_inactivity_measured_by_the_kiosk_clock(si: ServedScreen) -> None:
    clock = si.counter.clock
    auto_lock_s = si.counter.config.clerks.auto_lock_s
    screen = si.screen()
    assert screen.sign_in().url.endswith("/ui/")
    token = screen.sale_token("card-topup")

    clock.advance(auto_lock_s - 1)
    assert screen.get("/ui/").url.endswith("/ui/")  # still in use, and this request counts
    clock.advance(auto_lock_s - 1)
    assert screen.get("/ui/").url.endswith("/ui/")

    clock.advance(auto_lock_s + 1)
    locked = screen.get("/ui/")
    assert locked.url.endswith("/ui/lock") and 'id="unlock-form"' in locked.text
    # the lock holds on the server, whatever the page's own timer does
    sale = screen.post("/ui/sale/card-topup", card_topup_form(token), allow_redirects=False)
    assert sale.status_code == 303 and sale.headers["location"] == "/ui/lock"
    check = screen.post("/ui/sale/card-topup/check", {"target": "x"}, headers={"HX-Request": "1"})
    assert check.headers.get("HX-Redirect") == "/ui/lock"
    assert si.counter.kiosk is not None
    assert si.counter.kiosk.store.list_transactions() == []
    # the event stream and the status bar keep going for a locked screen
    assert screen.get("/ui/status").status_code == 200

    wrong = screen.post("/ui/unlock", {"pin": "0000"})
    assert wrong.status_code == 401 and 'id="unlock-error"' in wrong.text
    assert screen.post("/ui/unlock", {"pin": "2222"}).url.endswith("/ui/")
    assert "Bor" in screen.get("/ui/").text

    # another clerk takes over the locked screen with their own number and PIN
    assert screen.post("/ui/lock").url.endswith("/ui/lock")
    assert screen.post("/ui/unlock", {"number": "1", "pin": "1111"}).url.endswith("/ui/")
    home = screen.get("/ui/")
    assert "Ana" in home.text and "Bor" not in home.text


def test_activity_from_the_page_keeps_the_screen_open(si: ServedScreen) -> None:
    clock = si.counter.clock
    auto_lock_s = si.counter.config.clerks.auto_lock_s
    screen = si.screen()
    screen.sign_in()
    for _ in range(3):
        clock.advance(auto_lock_s - 5)
        alive = screen.post("/ui/activity", allow_redirects=False)
        assert alive.status_code == 204, alive.text
    clock.advance(auto_lock_s + 5)
    assert screen.post("/ui/activity", allow_redirects=False).headers["location"] == "/ui/lock"


def test_cross_site_posts_are_refused(si: ServedScreen) -> None:
    screen = si.screen()
    signed = screen.sign_in()
    cookie = signed.history[0].headers["set-cookie"]
    assert "HttpOnly" in cookie and "SameSite=strict" in cookie.replace("Strict", "strict")

    token = screen.sale_token("card-topup")
    form = card_topup_form(token)
    url = screen.url + "/ui/sale/card-topup"
    for headers in (
        {"Origin": "http://evil.example"},
        {"Origin": "null"},
        {"Sec-Fetch-Site": "cross-site"},
        {},  # neither header: not a request our page sends
    ):
        refused = screen.http.post(url, data=form, headers=headers, timeout=30)
        assert refused.status_code == 403, (headers, refused.text)
    assert (
        screen.http.post(
            screen.url + "/ui/signout", headers={"Origin": "http://evil.example"}, timeout=30
        ).status_code
        == 403
    )
    assert si.counter.kiosk is not None
    assert si.counter.kiosk.store.list_transactions() == []
    same_site = screen.http.post(url, data=form, headers={"Sec-Fetch-Site": "same-origin"})
    assert same_site.url.split("/ui/result/")[1].isdigit()


def test_a_sale_form_sells_once_and_records_its_clerk(si: ServedScreen) -> None:
    screen = si.screen()
    screen.sign_in()
    form = card_topup_form(screen.sale_token("card-topup"))
    answers: list[str] = []

    def send() -> None:
        answers.append(screen.post("/ui/sale/card-topup", form).url)

    threads = [threading.Thread(target=send) for _ in range(3)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(60)
    answers.append(screen.post("/ui/sale/card-topup", form).url)  # the browser's retry
    assert len(set(answers)) == 1 and "/ui/result/" in answers[0], answers
    assert si.counter.kiosk is not None
    sold = si.counter.kiosk.store.list_transactions()
    assert len(sold) == 1
    assert sold[0].clerk == "2" and sold[0].state == "confirmed"

    # a refusal before anything is recorded leaves the form open for the fix
    form = card_topup_form(screen.sale_token("card-topup"))
    short = screen.post("/ui/sale/card-topup", {**form, "cash": "10"})
    assert short.status_code == 422 and 'id="err-cash"' in short.text
    assert len(si.counter.kiosk.store.list_transactions()) == 1  # too little cash: no sale
    # the same card and amount minutes after the first sale: the clerk confirms it first
    again = screen.post("/ui/sale/card-topup", form)
    assert again.status_code == 409 and 'id="duplicate-warning"' in again.text
    assert len(si.counter.kiosk.store.list_transactions()) == 1
    fixed = screen.post("/ui/sale/card-topup", {**form, "confirm_duplicate": sold[0].txn})
    assert "/ui/result/" in fixed.url
    assert len(si.counter.kiosk.store.list_transactions()) == 2


def test_supervisor_only_screens_are_refused_to_a_clerk(si: ServedScreen) -> None:
    web: WebContext = si.api.app.state.web
    extra = APIRouter()

    @extra.get("/ui/test-supervisor-only")
    def supervisor_only(request: Request) -> PlainTextResponse:
        session = web.supervisor(request)
        return PlainTextResponse(f"allowed for {session.clerk_number}")

    si.api.app.include_router(extra)

    clerk = si.screen()
    clerk.sign_in("2", "2222")
    refused = clerk.get("/ui/test-supervisor-only")
    assert refused.status_code == 403 and "allowed" not in refused.text
    supervisor = si.screen()
    supervisor.sign_in("1", "1111")
    assert supervisor.get("/ui/test-supervisor-only").text == "allowed for 1"
    nobody = si.screen()
    assert nobody.get("/ui/test-supervisor-only").url.endswith("/ui/signin")


def test_sign_in_is_refused_then_locked_out_after_repeated_wrong_pins(si: ServedScreen) -> None:
    screen = si.screen()
    max_failures = si.counter.config.clerks.max_failures
    for _ in range(max_failures - 1):
        wrong = screen.sign_in("2", "0000")
        assert wrong.status_code == 401 and "Napačna številka prodajalca ali PIN" in wrong.text
    locked = screen.sign_in("2", "0000")
    assert locked.status_code == 401 and "Preveč napačnih PIN-ov" in locked.text
    still = screen.sign_in("2", "2222")  # even the right PIN, until the lockout ends
    assert still.status_code == 401 and "/ui/signin" in still.url
