"""``terminal.client``: the running kiosk's API and a kiosk opened in process answer a command
with the same bodies and the same named refusals, so each ``kiosk`` command is written once."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import pytest
from helpers.kiosk import SALES, Counter

from terminal.api import ApiServer
from terminal.client import KioskClient, kiosk_client, running_client
from terminal.client.local import LocalKioskClient
from terminal.client.remote import RemoteKioskClient
from terminal.errors import KioskError
from terminal.kiosk import RunningKiosk


@pytest.fixture
def api(rs_counter: Counter) -> Iterator[ApiServer]:
    assert rs_counter.kiosk is not None
    server = ApiServer(rs_counter.kiosk).start()
    yield server
    server.stop()


def _refusal(client: KioskClient, action: Any) -> str:
    with pytest.raises(KioskError) as caught:
        action(client)
    return caught.value.code


def test_the_running_kiosk_and_the_library_answer_alike(
    rs_counter: Counter, api: ApiServer
) -> None:
    assert rs_counter.kiosk is not None
    remote = running_client(rs_counter.config)
    assert isinstance(remote, RemoteKioskClient)
    local = LocalKioskClient(rs_counter.kiosk)
    body = {"product": "mobile-topup", **SALES["mobile-topup"]}

    sold = {name: client.sell(body) for name, client in (("local", local), ("remote", remote))}
    assert {answer["state"] for answer in sold.values()} == {"confirmed"}
    assert sold["local"].keys() == sold["remote"].keys()
    store = rs_counter.kiosk.store
    assert [store.get(answer["txn"]).clerk for answer in sold.values()] == ["api", "api"]
    assert sold["local"]["txn"] != sold["remote"]["txn"]

    # the same question, the same body, whichever way it went
    for ask in (
        lambda c: c.clerks(),
        lambda c: c.cash_summary(),
        lambda c: c.report_preview("X"),
        lambda c: c.lookup({"phone": "064 1234567"}),
        lambda c: c.outbox_status(),
    ):
        assert ask(local) == ask(remote)
    assert len(local.lookup({"phone": "064 1234567"})["entries"]) == 2

    assert local.add_clerk("5", name="Ana", pin="4826", role="clerk")["clerk"]["number"] == "5"
    # and the same named refusals, raised as KioskError with the library's code
    for refuse, code in (
        (lambda c: c.storno("54321000000001", reason="wrong_number", clerk="7"), "wrong_terminal"),
        (lambda c: c.unlock_clerk("99"), "unknown_clerk"),
        (lambda c: c.add_clerk("5", name="Ana", pin="4826", role="clerk"), "clerk_exists"),
    ):
        assert _refusal(local, refuse) == _refusal(remote, refuse) == code

    stornoed = [
        client.storno(sold[name]["txn"], reason="wrong_number", clerk="7")
        for name, client in (("remote", remote), ("local", local))
    ]
    assert [answer["state"] for answer in stornoed] == ["stornoed", "stornoed"]
    assert stornoed[0].keys() == stornoed[1].keys()


def test_without_a_running_kiosk_the_command_opens_one_and_holds_the_terminal(
    rs_counter: Counter,
) -> None:
    rs_counter.close()
    assert running_client(rs_counter.config) is None
    with kiosk_client(rs_counter.config) as client:
        assert isinstance(client, LocalKioskClient)
        assert client.clerks() == {"clerks": []}
        # meanwhile another command finds the terminal owned, and is told to wait, not let in
        with kiosk_client(rs_counter.config) as second:
            assert isinstance(second, RemoteKioskClient)
            with pytest.raises(KioskError, match="serves no API yet"):
                second.clerks()
    assert running_client(rs_counter.config) is None


class _Broken(BaseHTTPRequestHandler):
    def do_GET(self) -> None:
        page = b"<html>Internal Server Error</html>"
        self.send_response(500)
        self.send_header("Content-Type", "text/html")
        self.send_header("Content-Length", str(len(page)))
        self.end_headers()
        self.wfile.write(page)

    def log_message(self, format: str, *args: Any) -> None:
        pass


def test_an_answer_that_is_not_json_and_no_answer_are_clerk_messages() -> None:
    server = ThreadingHTTPServer(("127.0.0.1", 0), _Broken)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        url = f"http://127.0.0.1:{server.server_address[1]}"
        client = RemoteKioskClient(RunningKiosk(pid=1, api_url=url, token="t"))
        with pytest.raises(KioskError, match="HTTP 500 and no JSON: see its log") as caught:
            client.cash_summary()
        assert caught.value.code == "bad_answer"
    finally:
        server.shutdown()
        server.server_close()
        thread.join()
    gone = RemoteKioskClient(RunningKiosk(pid=1, api_url=url, token="t"))
    with pytest.raises(KioskError, match="does not answer"):
        gone.cash_summary()
