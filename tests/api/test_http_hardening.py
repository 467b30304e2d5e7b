"""The kiosk's HTTP server answers only to its own host names, keeps /docs and /openapi.json
behind the token, refuses large bodies with 413 in the API's error shape; every duration in
kiosk.toml is bounded with the key named; a store that is not SQLite is refused in one line.

Real uvicorn on loopback, real requests; the Host header is what a DNS-rebinding page's
browser would send.
"""

from __future__ import annotations

import dataclasses
import socket
from collections.abc import Iterator
from pathlib import Path

import pytest
import requests
from click.testing import CliRunner
from helpers.kiosk import Counter

from terminal.api import ApiServer
from terminal.cli import main
from terminal.config import ApiConfig, load_config, write_preset
from terminal.errors import ConfigError
from terminal.kiosk import Kiosk, StoreUnusable


@pytest.fixture
def served(si_counter: Counter) -> Iterator[tuple[ApiServer, str]]:
    assert si_counter.kiosk is not None
    server = ApiServer(si_counter.kiosk).start()
    try:
        yield server, server.token
    finally:
        server.stop()


def _error(response: requests.Response) -> tuple[int, str]:
    body = response.json()
    assert set(body) == {"error"} and set(body["error"]) == {"code", "message"}
    return response.status_code, body["error"]["code"]


def test_an_unknown_host_name_is_refused(served: tuple[ApiServer, str]) -> None:
    server, token = served
    auth = {"Authorization": f"Bearer {token}"}
    for name in ("evil.example", "evil.example:80", "127.0.0.1.nip.io"):
        answer = requests.get(server.url + "/ui/", headers={"Host": name}, timeout=5)
        assert _error(answer) == (421, "host_not_allowed"), name
        api = requests.get(server.url + "/api/v1/cash", headers={**auth, "Host": name}, timeout=5)
        assert _error(api) == (421, "host_not_allowed")
    port = server.url.rsplit(":", 1)[1]
    for name in (f"localhost:{port}", f"127.0.0.1:{port}", f"[::1]:{port}", "LOCALHOST"):
        answer = requests.get(
            server.url + "/api/v1/cash", headers={**auth, "Host": name}, timeout=5
        )
        assert answer.status_code == 200, name


def test_a_shop_lan_name_can_be_allowed(si_counter: Counter) -> None:
    kiosk = si_counter.kiosk
    assert kiosk is not None
    kiosk.config = dataclasses.replace(
        kiosk.config, api=ApiConfig(token=kiosk.config.api.token, allowed_hosts=("counter-1.lan",))
    )
    server = ApiServer(kiosk).start()
    try:
        auth = {"Authorization": f"Bearer {server.token}"}
        ok = requests.get(
            server.url + "/api/v1/cash", headers={**auth, "Host": "counter-1.lan"}, timeout=5
        )
        assert ok.status_code == 200
        loopback = requests.get(server.url + "/api/v1/cash", headers=auth, timeout=5)
        assert _error(loopback) == (421, "host_not_allowed")
    finally:
        server.stop()


def test_docs_and_the_openapi_document_need_the_token(served: tuple[ApiServer, str]) -> None:
    server, token = served
    for path in ("/openapi.json", "/docs", "/redoc"):
        answer = requests.get(server.url + path, timeout=5)
        assert answer.status_code in (401, 404), path
    assert _error(requests.get(server.url + "/openapi.json", timeout=5)) == (401, "unauthorised")
    wrong = requests.get(
        server.url + "/openapi.json", headers={"Authorization": "Bearer x"}, timeout=5
    )
    assert wrong.status_code == 401
    document = requests.get(
        server.url + "/openapi.json", headers={"Authorization": f"Bearer {token}"}, timeout=5
    )
    assert document.status_code == 200 and "/api/v1/sales" in document.json()["paths"]
    page = requests.get(server.url + "/docs", params={"token": token}, timeout=5)
    assert page.status_code == 200 and "swagger" in page.text.lower()


def test_docs_can_be_turned_off(si_counter: Counter) -> None:
    kiosk = si_counter.kiosk
    assert kiosk is not None
    kiosk.config = dataclasses.replace(
        kiosk.config, api=ApiConfig(token=kiosk.config.api.token, docs="off")
    )
    server = ApiServer(kiosk).start()
    try:
        auth = {"Authorization": f"Bearer {server.token}"}
        assert (
            requests.get(server.url + "/openapi.json", headers=auth, timeout=5).status_code == 404
        )
        assert (
            requests.get(
                server.url + "/docs", params={"token": server.token}, timeout=5
            ).status_code
            == 404
        )
    finally:
        server.stop()


def test_a_large_body_is_refused_with_413(served: tuple[ApiServer, str]) -> None:
    server, token = served
    auth = {"Authorization": f"Bearer {token}", "Content-Type": "application/json"}
    big = b'{"product": "card-sale", "cash_minor": 1, "message": "' + b"x" * 100_000 + b'"}'
    answer = requests.post(server.url + "/api/v1/sales", data=big, headers=auth, timeout=5)
    assert _error(answer) == (413, "too_large")
    assert "[api] max_body" in answer.json()["error"]["message"]

    # a chunked body (no Content-Length) is counted as it arrives
    def chunks() -> Iterator[bytes]:
        for _ in range(20):
            yield b"x" * 10_000

    chunked = requests.post(server.url + "/api/v1/sales", data=chunks(), headers=auth, timeout=5)
    assert _error(chunked) == (413, "too_large")
    # the screen's forms too
    form = requests.post(
        server.url + "/ui/signin",
        data={"pin": "1" * 100_000},
        headers={"Origin": server.url},
        timeout=5,
    )
    assert _error(form) == (413, "too_large")
    # a normal request still goes through
    small = requests.post(
        server.url + "/api/v1/sales",
        json={"product": "nope", "cash_minor": 1},
        headers=auth,
        timeout=5,
    )
    assert small.status_code == 422


def test_raw_socket_with_a_lying_host_header(served: tuple[ApiServer, str]) -> None:
    """What a rebinding page's browser sends, byte for byte."""
    server, _ = served
    host, port = server.url.removeprefix("http://").rsplit(":", 1)
    with socket.create_connection((host, int(port)), timeout=5) as conn:
        conn.sendall(b"GET /ui/ HTTP/1.1\r\nHost: attacker.example:" + port.encode() + b"\r\n\r\n")
        reply = conn.recv(4096)
    assert reply.startswith(b"HTTP/1.1 421")


def _preset(tmp_path: Path, old: str, new: str) -> Path:
    path = write_preset(tmp_path / "kiosk.toml", "si", force=True)
    text = path.read_text("utf-8")
    assert old in text, old
    path.write_text(text.replace(old, new, 1), "utf-8")
    return path


@pytest.mark.parametrize(
    ("old", "new", "key"),
    [
        ('timeout = "5s"', 'timeout = "99999999999999999999h"', "printer.timeout"),
        ('read_timeout = "10s"', 'read_timeout = "11m"', "host.read_timeout"),
        ('lease = "30s"', 'lease = "400d"', "forwarder.lease"),
        ('lockout = "15m"', 'lockout = "99999999999d"', "clerks.lockout"),
        ('reversal_window = "5m"', 'reversal_window = "9999d"', "reversal_window"),
        ("[api]", "[api]\nmax_body = 1000000000000", "api.max_body"),
        ("[api]", '[api]\nallowed_hosts = ["ok", "bad host"]', "api.allowed_hosts[1]"),
        ("[api]", '[api]\ndocs = "open"', "api.docs"),
    ],
)
def test_every_config_number_is_bounded_naming_the_key(
    tmp_path: Path, old: str, new: str, key: str
) -> None:
    text = write_preset(tmp_path / "probe.toml", "si").read_text("utf-8")
    if old not in text:
        pytest.skip(f"{old!r} is not in the si preset")
    path = _preset(tmp_path, old, new)
    with pytest.raises(ConfigError) as caught:
        load_config(path)
    assert key in str(caught.value)
    result = CliRunner().invoke(main, ["--config", str(path), "config", "check"])
    assert result.exit_code != 0 and key in result.output
    assert "Traceback" not in result.output


def test_a_store_that_is_not_sqlite_is_refused_in_one_line(tmp_path: Path) -> None:
    path = write_preset(tmp_path / "kiosk.toml", "si")
    config = load_config(path)
    config.store.path.write_bytes(b"this is not a database, it is a note to self\n" * 100)
    with pytest.raises(StoreUnusable) as caught:
        Kiosk(config)
    assert "not a usable store" in str(caught.value)
    for command in (["serve"], ["txn", "list"], ["journal", "verify"]):
        result = CliRunner().invoke(main, ["--config", str(path), *command])
        assert result.exit_code == 1, command
        lines = [line for line in result.output.splitlines() if line.strip()]
        assert len(lines) == 1 and "not a usable store" in lines[0], (command, result.output)
        assert result.exception is None or isinstance(result.exception, SystemExit)
