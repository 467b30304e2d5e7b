"""Provisions never confirmed are reversed by the host after the configured time (ManualClock)."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from helpers.hostsim import HostHarness, run_host

from hostsim import cards
from hostsim.products import HostSettings


@pytest.fixture
def host(tmp_path: Path) -> Iterator[HostHarness]:
    with run_host(tmp_path, settings=HostSettings(advice_horizon_s=120)) as harness:
        yield harness


def test_unconfirmed_provision_is_reversed_after_the_configured_time(host: HostHarness) -> None:
    answer = host.provision("card-sale")
    number = answer["product_data"]["voucher"]["card_number"]
    host.advance(120)
    assert host.signed("GET", "/v1/health").status_code == 200  # any request runs the sweep
    assert host.state(answer["txn"]) == "provisioned"
    host.advance(1)
    host.signed("GET", "/v1/health")
    assert host.state(answer["txn"]) == "reversed"
    card = cards.card(host.server.store, number)
    assert card is not None and card["status"] == "cancelled"
    events = [e["event"] for e in host.view(answer["txn"])["events"]]
    assert events == ["provisioned", "auto_reversed"]


def test_confirm_after_auto_reversal_is_rejected_already_reversed(host: HostHarness) -> None:
    answer = host.provision("mobile-topup")
    host.advance(121)
    result = host.confirm(answer["txn"])
    assert result["result"] == "rejected"
    assert result["code"] == "already_reversed"
    assert "back office" in result["reason"]


def test_confirmed_provision_is_not_reversed(host: HostHarness) -> None:
    answer = host.provision("bill-payment")
    host.advance(60)
    host.confirm(answer["txn"])
    host.advance(600)
    response = host.admin("POST", "/admin/sweep")
    assert response.json() == {"reversed": 0, "storno_lapsed": 0}
    assert host.state(answer["txn"]) == "confirmed"


def test_admin_sweep_reports_what_it_reversed(host: HostHarness) -> None:
    host.provision("bill-payment")
    host.provision("card-topup")
    host.clock.advance(121)
    assert host.admin("POST", "/admin/sweep").json() == {"reversed": 2, "storno_lapsed": 0}


def test_shorter_configured_time(tmp_path: Path) -> None:
    with run_host(tmp_path, settings=HostSettings(advice_horizon_s=30)) as host:
        answer = host.provision("imei-fee")
        assert answer["confirm_by"] == "2026-11-22T12:00:30+00:00"
        host.advance(31)
        assert host.confirm(answer["txn"])["code"] == "already_reversed"


def test_default_horizon_honours_a_confirm_30_hours_late(tmp_path: Path) -> None:
    """The protocol's horizon: a late confirm is honoured, not reversed (issue 14)."""
    with run_host(tmp_path) as host:
        answer = host.provision("mobile-topup")
        assert answer["confirm_by"] == "2026-11-24T12:00:00+00:00"
        host.advance(30 * 3600)
        assert host.admin("POST", "/admin/sweep").json() == {"reversed": 0, "storno_lapsed": 0}
        assert host.confirm(answer["txn"])["result"] == "accepted"
        assert host.state(answer["txn"]) == "confirmed"


def test_default_horizon_still_releases_on_the_terminals_reversal(tmp_path: Path) -> None:
    with run_host(tmp_path) as host:
        answer = host.provision("card-sale")
        result = host.advise(answer["txn"], "reversal")
        assert result["result"] == "accepted"
        assert host.state(answer["txn"]) == "reversed"
