"""The counter screen served in-process over real uvicorn, for tests without a browser.

The kiosk runs on the test's ManualClock (``helpers.kiosk``), so the screen's inactivity lock
moves only when a test advances the clock; a ``requests.Session`` holds the cookie as a browser
would, and sends the ``Origin`` header a browser sends with every POST.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import requests

from helpers.kiosk import Counter, start_counter, stop_counter
from terminal.api import ApiServer

CLERKS = (("1", "Ana", "1111", "supervisor"), ("2", "Bor", "2222", "clerk"))


@dataclass
class Screen:
    """One browser's view of the screen: its cookies, and the URL it was served from."""

    url: str
    http: requests.Session

    def get(self, path: str, **kw: Any) -> requests.Response:
        return self.http.get(self.url + path, timeout=30, **kw)

    def post(self, path: str, data: dict[str, str] | None = None, **kw: Any) -> requests.Response:
        headers = {"Origin": self.url, **kw.pop("headers", {})}
        return self.http.post(self.url + path, data=data or {}, headers=headers, timeout=60, **kw)

    def sign_in(self, number: str = "2", pin: str = "2222") -> requests.Response:
        return self.post("/ui/signin", {"number": number, "pin": pin})

    def sale_token(self, product: str) -> str:
        page = self.get(f"/ui/sale/{product}")
        assert page.status_code == 200, page.text
        found = re.search(r'name="token" value="([^"]+)"', page.text)
        assert found, page.text
        return found.group(1)


@dataclass
class ServedScreen:
    counter: Counter
    api: ApiServer

    def screen(self) -> Screen:
        return Screen(self.api.url, requests.Session())


def serve_screen(tmp_path: Path, market: str) -> ServedScreen:
    counter = start_counter(tmp_path, market)
    kiosk = counter.open()
    for number, name, pin, role in CLERKS:
        kiosk.clerks.add(number, name, pin, role)
    return ServedScreen(counter, ApiServer(kiosk).start())


def stop_screen(served: ServedScreen) -> None:
    served.api.stop()
    stop_counter(served.counter)


def served(tmp_path: Path, market: str) -> Iterator[ServedScreen]:
    screen = serve_screen(tmp_path, market)
    try:
        yield screen
    finally:
        stop_screen(screen)


def sign_in(page: Any, url: str, number: str, pin: str) -> None:
    """Sign in on the screen's sign-in page and wait for the home screen."""
    from playwright.sync_api import expect

    page.goto(url + "/ui/signin")
    page.fill("#number", number)
    page.fill("#pin", pin)
    page.locator("#pin").press("Enter")
    expect(page.locator("body")).to_have_attribute("data-screen", "home")


def fit_screenshot(page: Any, name: str) -> Path:
    """A screenshot with the window as tall as the page, so the status bar (sticky at the
    window's bottom) sits under the content as the clerk sees it, not across it."""
    from helpers.browser import screenshot

    height = page.evaluate("document.documentElement.scrollHeight")
    width = page.viewport_size["width"] if page.viewport_size else 1280
    page.set_viewport_size({"width": width, "height": max(600, min(int(height), 2000))})
    return screenshot(page, name)


__all__ = [
    "CLERKS",
    "Screen",
    "ServedScreen",
    "fit_screenshot",
    "serve_screen",
    "served",
    "sign_in",
    "stop_screen",
]
