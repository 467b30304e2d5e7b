"""What the browser tests of the storno, lookup, reprint, report and cash screens share.

A page per test in a fresh browser context (Slovenian, the preset's language), signing in by
keyboard as a clerk would, sales made through the local API (the till's way), and the host's
and the terminal's records to check what the screen did.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from playwright.sync_api import Page, expect

from helpers.browser import ServedCounter, screenshot
from hostsim import testnumbers as T


def sign_in(page: Page, counter: ServedCounter, number: str = "2", pin: str = "2222") -> None:
    """Clerk 2 (a clerk) unless told otherwise; clerk 1 is the supervisor."""
    page.goto(counter.url + "/")
    expect(page.locator("#number")).to_be_focused()
    page.keyboard.type(number)
    page.keyboard.press("Enter")
    expect(page.locator("#pin")).to_be_focused()
    page.keyboard.type(pin)
    page.keyboard.press("Enter")
    expect(page.locator("body")).to_have_attribute("data-screen", "home")


def shot(page: Page, name: str) -> Path:
    """A screenshot with the window as tall as the page, so the status bar (fixed at the
    window's bottom) sits under the content instead of across it."""
    height = int(page.evaluate("document.documentElement.scrollHeight"))
    width = page.viewport_size["width"] if page.viewport_size else 1280
    page.set_viewport_size({"width": width, "height": max(700, min(height, 2000))})
    return screenshot(page, name)


def sell(counter: ServedCounter, product: str, amount_minor: int, cash_minor: int) -> str:
    """A sale through the local API (card top-ups to the host's ordinary Online card)."""
    body: dict[str, Any] = {
        "product": product,
        "target": T.ONLINE_CARD if product == "card-topup" else "",
        "amount_minor": amount_minor,
        "cash_minor": cash_minor,
    }
    response = counter.api("POST", "/sales", json=body)
    assert response.status_code == 200, response.text
    assert response.json()["state"] == "confirmed", response.json()
    return str(response.json()["txn"])


def host_state(counter: ServedCounter, txn: str) -> str | None:
    """The reference host's own record, after the kiosk forwarded what it owes."""
    counter.api("POST", "/queue/drain", params={"timeout_s": 10})
    row = counter.host.store.txn(txn)
    return None if row is None else str(row["state"])


def local(counter: ServedCounter, txn: str) -> dict[str, Any]:
    """The terminal's own record of ``txn``."""
    response = counter.api("GET", f"/transactions/{txn}")
    assert response.status_code == 200, response.text
    transaction: dict[str, Any] = response.json()["transaction"]
    return transaction


def post_from_page(page: Page, path: str, form: dict[str, str]) -> dict[str, Any]:
    """A POST the page itself sends (same origin, the session cookie): what a tampered page
    or a stale tab could send, whatever its buttons allow."""
    answer: dict[str, Any] = page.evaluate(
        """async ([path, form]) => {
            const response = await fetch(path, {
                method: "POST", body: new URLSearchParams(form), credentials: "same-origin",
            });
            return { status: response.status, text: await response.text() };
        }""",
        [path, form],
    )
    return answer


__all__ = ["host_state", "local", "post_from_page", "sell", "shot", "sign_in"]
