"""Every fault kind is observable through ``requests`` and goes away when cleared."""

from __future__ import annotations

import time

import pytest
import requests
from helpers.hostsim import HostHarness

from hostsim.server import MALFORMED_BODY

TIMEOUT = (2.0, 5.0)


def health(host: HostHarness, timeout: tuple[float, float] = TIMEOUT) -> requests.Response:
    return requests.get(host.url + "/v1/health", timeout=timeout)


def test_down_closes_connections_until_cleared(host: HostHarness) -> None:
    host.set_fault("down")
    for _ in range(2):
        with pytest.raises(requests.ConnectionError):
            health(host)
    host.clear_faults()
    assert health(host).status_code == 200


def test_down_503_carries_retry_after(host: HostHarness) -> None:
    host.set_fault("down", mode="503", retry_after_s=7)
    response = health(host)
    assert response.status_code == 503
    assert response.headers["Retry-After"] == "7"
    assert response.json()["error"]["code"] == "service_unavailable"


def test_latency_delays_the_answer(host: HostHarness) -> None:
    host.set_fault("latency", ms=300)
    started = time.monotonic()
    assert health(host).status_code == 200
    assert time.monotonic() - started >= 0.3
    host.clear_faults()
    started = time.monotonic()
    health(host)
    assert time.monotonic() - started < 0.3


def test_error_rate_is_seeded_and_reproducible(host: HostHarness) -> None:
    def pattern() -> list[int]:
        host.set_fault("error_rate", rate=0.5, seed=42)
        return [health(host).status_code for _ in range(16)]

    first = pattern()
    assert set(first) == {200, 500}
    assert pattern() == first
    host.set_fault("error_rate", rate=1.0)
    response = health(host)
    assert (response.status_code, response.json()["error"]["code"]) == (500, "internal_error")
    host.clear_faults()
    assert health(host).status_code == 200


def test_error_rate_429_has_retry_after(host: HostHarness) -> None:
    host.set_fault("error_rate", status=429, retry_after_s=3)
    response = health(host)
    assert (response.status_code, response.headers["Retry-After"]) == (429, "3")


def test_timeout_holds_the_connection_past_the_client_timeout(host: HostHarness) -> None:
    host.set_fault("timeout", hold_s=5)
    started = time.monotonic()
    with pytest.raises(requests.ReadTimeout):
        health(host, timeout=(1.0, 0.3))
    assert time.monotonic() - started < 3
    host.clear_faults()  # releases the held connection at once
    assert health(host).status_code == 200


def test_reset_sends_a_tcp_rst(host: HostHarness) -> None:
    host.set_fault("reset")
    with pytest.raises(requests.ConnectionError) as raised:
        health(host)
    assert "reset" in repr(raised.value).lower()
    host.clear_faults()
    assert health(host).status_code == 200


def test_malformed_answer_is_not_json(host: HostHarness) -> None:
    host.set_fault("malformed")
    response = health(host)
    assert response.status_code == 200
    assert response.content == MALFORMED_BODY
    with pytest.raises(ValueError):
        response.json()


def test_count_and_path_prefix_limit_a_fault(host: HostHarness) -> None:
    host.set_fault("error_rate", count=2, path_prefix="/v1/provision")
    assert health(host).status_code == 200  # other paths are untouched
    sale = host.sale("bill-payment")
    assert host.signed("POST", "/v1/provision", sale).status_code == 500
    assert host.signed("POST", "/v1/provision", sale).status_code == 500
    assert host.signed("POST", "/v1/provision", sale).status_code == 200
    assert host.admin("GET", "/admin/faults").json() == {"faults": []}


def test_phase_after_processes_the_request_and_loses_the_answer(host: HostHarness) -> None:
    host.set_fault("reset", phase="after", count=1)
    sale = host.sale("mobile-topup")
    with pytest.raises(requests.ConnectionError):
        host.signed("POST", "/v1/provision", sale)
    assert host.state(sale["txn"]) == "provisioned"


def test_admin_endpoints_are_never_faulted_and_refuse_bad_faults(host: HostHarness) -> None:
    host.set_fault("down")
    assert host.admin("GET", "/admin/faults").status_code == 200
    assert host.admin("POST", "/admin/faults", {"kind": "explode"}).status_code == 400
    assert (
        host.admin("POST", "/admin/faults", {"kind": "timeout", "hold_s": 600}).status_code == 400
    )
    cleared = host.admin("DELETE", "/admin/faults?kind=down").json()
    assert cleared["cleared"] == ["down"]


def test_a_terminal_that_hung_up_prints_no_traceback_but_other_errors_do(
    capsys: pytest.CaptureFixture[str],
) -> None:
    """A killed terminal leaves the host an answer to write to a closed socket: ordinary for a
    host, so the soak's logs carry no BrokenPipe tracebacks; a real fault is still printed."""
    from hostsim.server import _Server

    server = _Server.__new__(_Server)  # only its error hook is exercised: no socket opened
    try:
        raise BrokenPipeError(32, "Broken pipe")
    except BrokenPipeError:
        server.handle_error(None, ("127.0.0.1", 1))
    assert capsys.readouterr().err == ""
    try:
        raise ValueError("a bug")
    except ValueError:
        server.handle_error(None, ("127.0.0.1", 1))
    assert "ValueError: a bug" in capsys.readouterr().err
