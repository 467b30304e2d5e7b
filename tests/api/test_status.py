"""The status bar: host online/offline from the monitor and from real traffic, printer, queue,
dead letters and offline exposure against the limits, with what needs the clerk's attention.

A real reference host on loopback is stopped and started again on the same port; the kiosk and
the host share a ManualClock, so ages and check times move only when a test says so.
"""

from __future__ import annotations

import threading
from collections.abc import Iterator
from datetime import timedelta
from pathlib import Path

import pytest
import requests
from helpers.kiosk import Counter, start_counter, stop_counter

from foundation.clock import ManualClock
from hostsim.server import HostServer
from terminal.api import ApiServer
from terminal.config import load_config
from terminal.errors import ConfigError
from terminal.status import HostMonitor, HostStatus, attention_lines


def _restart_host(counter: Counter) -> None:
    port = int(counter.config.host.url.rsplit(":", 1)[1])
    counter.host = HostServer(counter.folder / "host.sqlite", port=port, clock=counter.clock)
    counter.host.start()


@pytest.fixture
def counter(tmp_path: Path) -> Iterator[Counter]:
    c = start_counter(tmp_path, "si")
    c.open()
    yield c
    stop_counter(c)


# -- HostMonitor on its own ---------------------------------------------------------------------


def test_monitor_knows_nothing_until_asked_then_records_each_answer() -> None:
    clock = ManualClock()
    answers = iter([True, False])
    monitor = HostMonitor(lambda: next(answers), clock, interval_s=5)
    assert monitor.online is None and monitor.checked_at is None

    assert monitor.check_now() is True
    assert monitor.online is True and monitor.checked_at == clock.now()

    clock.advance(7)
    assert monitor.check_now() is False
    assert monitor.online is False and monitor.checked_at == clock.now()

    clock.advance(1)
    monitor.report(True)  # a real call got through: no need to wait for the next probe
    assert monitor.online is True and monitor.checked_at == clock.now()


def test_a_probe_that_raises_counts_as_offline() -> None:
    def broken() -> bool:
        raise RuntimeError("probe bug")

    monitor = HostMonitor(broken, ManualClock())
    assert monitor.check_now() is False
    assert monitor.online is False


def test_monitor_thread_probes_at_once_and_stops() -> None:
    probed = threading.Event()

    def probe() -> bool:
        probed.set()
        return True

    monitor = HostMonitor(probe, ManualClock(), interval_s=3600)
    monitor.start()
    try:
        assert probed.wait(5), "the monitor did not probe when started"
    finally:
        monitor.stop()
    assert monitor.online is True
    assert monitor._thread is None


def test_monitor_refuses_a_zero_interval() -> None:
    with pytest.raises(ValueError):
        HostMonitor(lambda: True, ManualClock(), interval_s=0)


# -- configuration ------------------------------------------------------------------------------


def test_health_interval_is_read_from_the_host_table(tmp_path: Path) -> None:
    c = start_counter(tmp_path, "si")
    try:
        assert c.config.host.health_interval_s == 5.0  # the preset's value
        path = c.config.path
        text = path.read_text(encoding="utf-8")
        path.write_text(
            text.replace('health_interval = "5s"', 'health_interval = "750ms"'), encoding="utf-8"
        )
        assert load_config(path).host.health_interval_s == 0.75
        path.write_text(
            text.replace('health_interval = "5s"', 'health_interval = "0s"'), encoding="utf-8"
        )
        with pytest.raises(ConfigError) as refused:
            load_config(path)
        assert refused.value.key == "host.health_interval"
        path.write_text(text.replace('health_interval = "5s"\n', ""), encoding="utf-8")
        assert load_config(path).host.health_interval_s == 5.0  # left out: the default
    finally:
        c.printer.stop()
        c.host.stop()


# -- the snapshot against a real host and printer -----------------------------------------------


def test_all_well_is_an_empty_attention_list(counter: Counter) -> None:
    kiosk = counter.kiosk
    assert kiosk is not None
    assert kiosk.host_monitor.check_now() is True
    data = kiosk.status.snapshot().to_dict()
    assert data["terminal"] == "12345" and data["market"] == "si"
    assert data["printer"]["state"] == "ready" and data["printer"]["can_print"] is True
    assert data["printer"]["drawer_open"] is False
    assert data["host"] == {
        "online": True,
        "checked_at": counter.clock.now().isoformat(),
        "circuit": "closed",
    }
    assert data["queue"] == {"pending": 0, "in_flight": 0, "dead": 0}
    assert data["dead_letters"] == 0
    # card-topup may be sold offline in EUR: its line is there with nothing in it
    [eur] = data["offline_exposure"]
    assert eur["currency"] == "EUR" and eur["count"] == 0 and eur["total_minor"] == 0
    assert eur["limit_minor"] == 30000 and eur["per_sale_limit_minor"] == 10000
    assert eur["oldest_created_at"] is None
    assert data["attention"] == []


def test_host_unknown_before_the_first_probe_is_not_an_alarm(counter: Counter) -> None:
    kiosk = counter.kiosk
    assert kiosk is not None
    data = kiosk.status.snapshot().to_dict()
    assert data["host"]["online"] is None and data["host"]["checked_at"] is None
    assert data["attention"] == []


def test_stopped_host_is_offline_at_the_next_check_and_back_after_restart(
    counter: Counter,
) -> None:
    kiosk = counter.kiosk
    assert kiosk is not None
    assert kiosk.host_monitor.check_now() is True
    counter.host.stop()
    counter.clock.advance(5)
    assert kiosk.host_monitor.check_now() is False
    data = kiosk.status.snapshot().to_dict()
    assert data["host"]["online"] is False
    assert data["host"]["checked_at"] == counter.clock.now().isoformat()
    assert any("host is not answering" in line for line in data["attention"])

    _restart_host(counter)
    assert kiosk.host_monitor.check_now() is True
    assert kiosk.status.snapshot().to_dict()["attention"] == []


def test_a_sale_that_cannot_reach_the_host_shows_offline_without_a_probe(
    counter: Counter,
) -> None:
    kiosk = counter.kiosk
    assert kiosk is not None
    kiosk.host_monitor.check_now()
    counter.host.stop()
    result = counter.sell("card-topup", amount_minor=5000, cash_minor=6000)
    assert result.state == "offline_confirmed"
    assert kiosk.host_monitor.online is False  # learnt from the provision, not a probe

    _restart_host(counter)
    kiosk.forwarder.drain(10)  # the forwarder gets through: online again
    assert kiosk.host_monitor.online is True
    assert kiosk.status.snapshot().to_dict()["offline_exposure"][0]["count"] == 0


def test_offline_exposure_near_the_limit_and_old_needs_attention(counter: Counter) -> None:
    kiosk = counter.kiosk
    assert kiosk is not None
    counter.host.stop()
    first = counter.sell("card-topup", amount_minor=10000, cash_minor=10200)
    assert first.state == "offline_confirmed"
    data = kiosk.status.snapshot().to_dict()
    [eur] = data["offline_exposure"]
    assert (eur["count"], eur["amount_minor"], eur["total_minor"]) == (1, 10000, 10200)
    assert eur["oldest_created_at"] == counter.clock.now().isoformat()
    assert not any("Offline sales" in line for line in data["attention"])  # 100 of 300

    counter.clock.advance(60)
    second = counter.sell("card-topup", amount_minor=10000, cash_minor=10200)
    third = counter.sell("card-topup", amount_minor=5000, cash_minor=5200)
    assert (second.state, third.state) == ("offline_confirmed", "offline_confirmed")
    data = kiosk.status.snapshot().to_dict()
    [eur] = data["offline_exposure"]
    assert (eur["count"], eur["amount_minor"]) == (3, 25000)  # 250 of 300: above 80 %
    [line] = [line for line in data["attention"] if "Offline sales" in line]
    assert "250.00" in line and "300.00" in line
    assert not any("oldest offline sale" in line for line in data["attention"])

    counter.clock.advance(timedelta(hours=20).total_seconds())  # 20 of 24 h
    data = kiosk.status.snapshot().to_dict()
    [age] = [line for line in data["attention"] if "oldest offline sale" in line]
    assert "20 h old" in age and "limit 24 h" in age


def test_printer_out_of_paper_needs_attention(counter: Counter) -> None:
    kiosk = counter.kiosk
    assert kiosk is not None
    kiosk.host_monitor.check_now()
    counter.printer.paper_out()
    data = kiosk.status.snapshot().to_dict()
    assert data["printer"]["can_print"] is False
    assert data["printer"]["state"] == "paper_out"
    [line] = data["attention"]
    assert line.startswith("Printer not ready (paper out)")


def test_paper_near_end_is_a_warning_not_a_stop() -> None:
    near = {
        "state": "paper_near_end",
        "can_print": True,
        "drawer_open": False,
        "detail": "The paper roll is nearly finished: have a new one ready.",
    }
    host = HostStatus(online=True, checked_at=None, circuit="closed")
    lines = attention_lines(
        printer=near, host=host, dead_letters=0, exposure=(), now=ManualClock().now()
    )
    assert lines == ("The paper roll is nearly finished: have a new one ready.",)


def test_dead_letters_are_counted_and_need_attention(counter: Counter) -> None:
    kiosk = counter.kiosk
    assert kiosk is not None
    kiosk.host_monitor.check_now()
    kiosk.forwarder.stop()
    result = counter.sell("card-topup")
    assert result.state == "confirmed"
    [message] = kiosk.store.claim_due(limit=10, lease_s=30)
    assert kiosk.store.mark_dead(message.message_id, error="host refused: 400 bad_request")
    data = kiosk.status.snapshot().to_dict()
    assert data["queue"] == {"pending": 0, "in_flight": 0, "dead": 1}
    assert data["dead_letters"] == 1
    [line] = data["attention"]
    assert line.startswith("1 advice to the host could not be delivered")


def test_a_market_without_offline_products_lists_no_exposure(tmp_path: Path) -> None:
    c = start_counter(tmp_path, "rs")
    kiosk = c.open()
    try:
        assert kiosk.status.snapshot().to_dict()["offline_exposure"] == []
    finally:
        stop_counter(c)


# -- over the local API -------------------------------------------------------------------------


def test_status_endpoint_and_refresh_over_http(counter: Counter) -> None:
    kiosk = counter.kiosk
    assert kiosk is not None
    api = ApiServer(kiosk, port=0).start()
    headers = {"Authorization": f"Bearer {api.token}"}
    try:
        status = requests.get(f"{api.url}/api/v1/status", headers=headers, timeout=10)
        assert status.status_code == 200
        body = status.json()
        for key in (
            "terminal",
            "market",
            "printer",
            "host",
            "queue",
            "dead_letters",
            "offline_exposure",
            "attention",
        ):
            assert key in body, key
        assert body["outbox"]["counts"]["pending"] == 0  # kept for `kiosk queue drain`
        assert body["forwarder"] == "closed"

        counter.host.stop()
        refreshed = requests.post(f"{api.url}/api/v1/status/refresh", headers=headers, timeout=10)
        assert refreshed.status_code == 200
        assert refreshed.json()["host"]["online"] is False

        _restart_host(counter)
        again = requests.post(f"{api.url}/api/v1/status/refresh", headers=headers, timeout=10)
        assert again.json()["host"]["online"] is True

        for method in ("GET", "POST"):
            path = "/api/v1/status" if method == "GET" else "/api/v1/status/refresh"
            refused = requests.request(method, f"{api.url}{path}", timeout=10)
            assert refused.status_code == 401
            assert refused.json()["error"]["code"] == "unauthorised"
    finally:
        api.stop()
