"""Fixtures of the web tests: Debian's chromium driven by Playwright, and a page in it.

A module may set ``VIEWPORT`` (a Playwright viewport dict) and ``PAGE_TIMEOUT_MS`` to size its
pages; the defaults are a desktop window and 10 s. ``si`` is the Slovenian screen served
in-process on the test's ManualClock, with a supervisor (1/1111) and a clerk (2/2222).
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from helpers.browser import launch_chromium
from helpers.web import ServedScreen, served

VIEWPORT = {"width": 1280, "height": 900}
PAGE_TIMEOUT_MS = 10_000


@pytest.fixture(scope="module")
def browser() -> Iterator[Any]:
    """One chromium per test module (starting it costs about a second)."""
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        launched = launch_chromium(playwright)
        try:
            yield launched
        finally:
            launched.close()


@pytest.fixture
def page(browser: Any, request: pytest.FixtureRequest) -> Iterator[Any]:
    """A fresh browser context (no cookies from other tests) and a page in it."""
    viewport = getattr(request.module, "VIEWPORT", VIEWPORT)
    context = browser.new_context(viewport=viewport)
    context.set_default_timeout(getattr(request.module, "PAGE_TIMEOUT_MS", PAGE_TIMEOUT_MS))
    try:
        yield context.new_page()
    finally:
        context.close()


@pytest.fixture
def si(tmp_path: Path) -> Iterator[ServedScreen]:
    yield from served(tmp_path, "si")
