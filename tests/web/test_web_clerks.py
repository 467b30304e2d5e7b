"""Clerks managed on screen by a supervisor, in Chromium: add, unlock, new PIN, deactivate.

Each change is checked in the clerk book (who can sign in with what) and in the journal (the
event with the supervisor who made it); refusals show in the screen's language, and a clerk
who is not a supervisor is refused the screen.
"""

from __future__ import annotations

from typing import Any

import pytest
from helpers.web import ServedScreen, sign_in
from playwright.sync_api import Page, expect

from terminal.clerks import (
    CLERK_ADDED,
    DEACTIVATED,
    PIN_CHANGED,
    UNLOCKED,
    ClerkLockedOut,
    SignInRefused,
)

#: The clerks screen at a small shop screen's size (the page fixture of web/conftest.py).
VIEWPORT = {"width": 1024, "height": 768}
PAGE_TIMEOUT_MS = 15_000


def events(si: ServedScreen, name: str) -> list[dict[str, Any]]:
    kiosk = si.counter.kiosk
    assert kiosk is not None
    return [e.data for e in kiosk.store.journal() if e.event == name]


def test_a_supervisor_manages_clerks_on_screen(si: ServedScreen, page: Page) -> None:
    kiosk = si.counter.kiosk
    assert kiosk is not None
    url = si.api.url
    sign_in(page, url, "1", "1111")
    page.keyboard.press("F12")
    expect(page.locator("body")).to_have_attribute("data-screen", "clerks")

    page.fill("#clerk-number", "3")
    page.fill("#clerk-name", "Cene")
    page.fill("#clerk-pin", "3333")
    page.select_option("#clerk-role", "clerk")
    page.locator("#clerk-add-submit").click()
    expect(page.locator("#clerks-done")).to_have_text("Prodajalec je dodan: zdaj se lahko prijavi.")
    assert kiosk.clerks.sign_in("3", "3333").name == "Cene"
    assert events(si, CLERK_ADDED)[-1].get("by") == "1"

    # The same number again: refused in Slovenian, the name kept, the PIN not shown back.
    page.fill("#clerk-number", "3")
    page.fill("#clerk-name", "Drugi")
    page.fill("#clerk-pin", "4444")
    page.locator("#clerk-add-submit").click()
    expect(page.locator("#clerks-refusal")).to_contain_text("zasedena")
    expect(page.locator("#clerk-name")).to_have_value("Drugi")
    expect(page.locator("#clerk-pin")).to_have_value("")

    # Clerk 3 types wrong PINs until locked; the supervisor unlocks on screen.
    with pytest.raises((SignInRefused, ClerkLockedOut)):
        for _ in range(10):
            try:
                kiosk.clerks.sign_in("3", "0000")
            except SignInRefused:
                continue
    with pytest.raises(ClerkLockedOut):
        kiosk.clerks.sign_in("3", "3333")
    page.goto(url + "/ui/clerks")
    row = page.locator("tr.clerk[data-number='3']")
    expect(row).to_contain_text("Zaklenjen do")
    row.locator("button[data-action=unlock]").click()
    expect(page.locator("#clerks-done")).to_contain_text("odklenjen")
    assert events(si, UNLOCKED)[-1].get("by") == "1"
    assert kiosk.clerks.sign_in("3", "3333").number == "3"

    # A new PIN: the old one no longer works.
    row = page.locator("tr.clerk[data-number='3']")
    row.locator("input[name=pin]").fill("5678")
    row.locator("button[data-action=pin]").click()
    expect(page.locator("#clerks-done")).to_contain_text("Nov PIN")
    assert events(si, PIN_CHANGED)[-1].get("by") == "1"
    assert kiosk.clerks.sign_in("3", "5678").number == "3"
    with pytest.raises(SignInRefused):
        kiosk.clerks.sign_in("3", "3333")

    # Deactivated: no more sign-in; the last supervisor cannot be deactivated.
    page.locator("tr.clerk[data-number='3'] button[data-action=deactivate]").click()
    expect(page.locator("#clerks-done")).to_contain_text("deaktiviran")
    assert events(si, DEACTIVATED)[-1].get("by") == "1"
    with pytest.raises(SignInRefused):
        kiosk.clerks.sign_in("3", "5678")
    page.locator("tr.clerk[data-number='1'] button[data-action=deactivate]").click()
    expect(page.locator("#clerks-refusal")).to_contain_text("zadnji aktivni vodja")
    assert kiosk.clerks.get("1") is not None and kiosk.clerks.get("1").active  # type: ignore[union-attr]


def test_a_clerk_is_refused_the_clerks_screen(si: ServedScreen, page: Page) -> None:
    url = si.api.url
    sign_in(page, url, "2", "2222")
    expect(page.locator("nav a[href='/ui/clerks']")).to_have_count(0)
    page.goto(url + "/ui/clerks")
    expect(page.locator("h1")).to_have_text("To lahko stori le vodja")
    answer = page.request.post(
        url + "/ui/clerks/add",
        form={"number": "9", "name": "X", "pin": "9999", "role": "supervisor"},
        headers={"Origin": url},
    )
    assert answer.status == 403
    kiosk = si.counter.kiosk
    assert kiosk is not None and kiosk.clerks.get("9") is None
