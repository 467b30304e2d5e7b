"""The browser test harness works end to end: ``kiosk serve`` as a subprocess with its host,
printer and pty reader, Debian's chromium through Playwright, screenshots, the host going away
and coming back, and a swipe on the pty reaching the screen's event stream.

One served counter and one browser for the whole module: each costs a second or two to start.
"""

from __future__ import annotations

import tomllib
from collections.abc import Iterator

import pytest
import requests
from helpers import reader_frames as F
from helpers.browser import ARTIFACTS, ServedCounter, screenshot, serve_counter

PNG_MAGIC = b"\x89PNG\r\n\x1a\n"


@pytest.fixture(scope="module")
def counter(tmp_path_factory: pytest.TempPathFactory) -> Iterator[ServedCounter]:
    with serve_counter(tmp_path_factory.mktemp("harness"), "rs") as served:
        yield served


def test_the_counter_serves_its_screen_and_its_api(counter: ServedCounter) -> None:
    root = requests.get(counter.url + "/", timeout=10)
    assert root.status_code < 500, root.text

    assert counter.token == tomllib.loads(counter.config_path.read_text())["api"]["token"]
    status = counter.api("GET", "/status")
    assert status.status_code == 200, status.text
    body = status.json()
    assert body["market"] == "rs"
    assert body["printer"]["can_print"] is True
    assert body["queue"] == {"pending": 0, "in_flight": 0, "dead": 0}

    clerks = counter.api("GET", "/clerks").json()["clerks"]
    assert {(c["number"], c["name"], c["role"]) for c in clerks} == {
        ("1", "Ana", "supervisor"),
        ("2", "Bor", "clerk"),
    }

    refused = requests.get(counter.url + "/api/v1/status", timeout=10)
    assert refused.status_code == 401
    wrong = requests.get(
        counter.url + "/api/v1/status", headers={"Authorization": "Bearer nope"}, timeout=10
    )
    assert wrong.status_code == 401 and wrong.json()["error"]["code"] == "unauthorised"


def test_chromium_loads_a_page_and_a_screenshot_is_written(
    counter: ServedCounter,
    page: object,
) -> None:
    from playwright.sync_api import Page, expect

    assert isinstance(page, Page)
    # the document needs the token ([api] docs = "token"): a browser passes it in the query
    page.goto(counter.url + "/openapi.json?token=" + counter.token)
    expect(page.locator("body")).to_contain_text("Counter terminal local API")
    path = screenshot(page, "harness-openapi")
    assert path == ARTIFACTS / "harness-openapi.png"
    assert path.read_bytes()[:8] == PNG_MAGIC and path.stat().st_size > 1000

    response = page.goto(counter.url + "/")
    assert response is not None and response.status < 500
    assert screenshot(page, "harness-root").exists()


def test_host_stopped_is_offline_and_back_when_started(counter: ServedCounter) -> None:
    online = counter.api("POST", "/status/refresh").json()
    assert online["host"]["online"] is True and online["attention"] == []

    counter.stop_host()
    try:
        offline = counter.api("POST", "/status/refresh").json()
        assert offline["host"]["online"] is False
        assert any("host is not answering" in line for line in offline["attention"])
        assert counter.api("GET", "/status").json()["host"]["online"] is False
    finally:
        counter.start_host()
    back = counter.api("POST", "/status/refresh").json()
    assert back["host"]["online"] is True and back["attention"] == []


def test_a_swipe_on_the_pty_reader_reaches_the_event_stream(counter: ServedCounter) -> None:
    stream = counter.events()
    counter.swipe(F.MAGTEK_VISA_LRC)
    event = stream.expect("card_swiped")
    assert event.data["last4"] == F.VISA_PAN[-4:]
    assert F.VISA_PAN not in "".join(stream.raw_text)
    devices = counter.api("GET", "/devices").json()
    assert devices["reader"]["connected"] is True


def test_stop_ends_the_kiosk_cleanly(tmp_path_factory: pytest.TempPathFactory) -> None:
    served = serve_counter(tmp_path_factory.mktemp("stop"), "si", clerks=())
    served.stop()
    assert served.process.returncode == 0, served.log()
    served.stop()  # a second stop is harmless
    with pytest.raises(requests.ConnectionError):
        requests.get(served.url + "/api/v1/status", timeout=5)
