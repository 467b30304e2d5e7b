"""A printed slip is never undone by the clock (issue 14, item 1).

The host's advice endpoint fails far longer than the old 120 s auto-reversal, for 30 hours on
the shared ManualClock: every sale whose slip printed still ends ``confirmed`` and credited at
the host, and the terminal stops starting sales (with a clear message and a status line) before
its oldest undelivered confirm reaches the host's advice horizon.
"""

from __future__ import annotations

from pathlib import Path

import pytest
from helpers.kiosk import Counter

from hostsim import cards
from hostsim import testnumbers as T
from hostsim.faults import Fault
from offline_queue import states
from terminal.config import load_config, write_preset
from terminal.errors import ConfigError
from terminal.sale import AdviceHorizonNear

HOUR = 3600.0


def _forward_and_fail(counter: Counter) -> None:
    """One forwarder cycle against the failing advice endpoint: nothing is delivered."""
    assert counter.kiosk is not None
    report = counter.kiosk.forwarder.run_once()
    assert report.delivered == 0 and report.dead == 0


def test_confirms_30_hours_late_are_honoured_and_sales_stop_before_the_horizon(
    si_counter: Counter,
) -> None:
    counter = si_counter
    kiosk = counter.kiosk
    assert kiosk is not None
    host_card = cards.card(counter.host.store, T.ONLINE_CARD)
    balance_before = 0 if host_card is None else int(host_card["balance_minor"])
    counter.host.faults.set(Fault("down", path_prefix="/v1/advice"))

    printed: list[str] = []
    topped_up = 0
    refused: AdviceHorizonNear | None = None
    for hour in range(31):
        if hour:
            counter.clock.advance(HOUR)
        _forward_and_fail(counter)
        try:
            result = counter.sell("card-topup")
        except AdviceHorizonNear as exc:
            refused = refused or exc
            assert hour >= 20, f"refused at {hour} h, before horizon - margin"
            continue
        assert hour < 20, f"sold at {hour} h although the oldest confirm is {hour} h old"
        assert result.state == "confirmed", result.reason
        printed.append(result.txn)
        topped_up += result.record.amount_minor  # type: ignore[union-attr]

    assert len(printed) == 20
    assert refused is not None
    assert "No new sales" in str(refused) and refused.code == "advice_horizon_near"
    status = kiosk.status.snapshot().to_dict()
    assert status["advice_horizon"]["sales_refused"] is True
    assert status["advice_horizon"]["oldest_undelivered_confirm_age_s"] == 30 * HOUR
    assert any("No new sales" in line for line in status["attention"])
    # 30 h: far past the old 120 s, still inside the host's horizon
    for txn in printed:
        assert counter.host_view(txn)["state"] == "provisioned"  # type: ignore[index]

    counter.host.faults.clear()
    counter.clock.advance(kiosk.config.forwarder.backoff_cap_s + 1)
    kiosk.forwarder.drain(timeout_s=10)
    for txn in printed:
        assert counter.host_view(txn)["state"] == "confirmed"  # type: ignore[index]
        assert [m.state for m in kiosk.store.outbox_for(txn)] == ["delivered"]
        assert kiosk.store.get(txn).state == states.CONFIRMED
    host_card = cards.card(counter.host.store, T.ONLINE_CARD)
    assert host_card is not None
    assert int(host_card["balance_minor"]) == balance_before + topped_up
    status = kiosk.status.snapshot().to_dict()
    assert status["advice_horizon"]["oldest_undelivered_confirm_age_s"] is None
    assert counter.sell("card-topup").state == "confirmed"


def test_margin_must_be_shorter_than_the_horizon(tmp_path: Path) -> None:
    path = tmp_path / "kiosk.toml"
    write_preset(path, "si", terminal_id="12345", force=True)
    text = path.read_text(encoding="utf-8")
    path.write_text(
        text.replace("[host]\n", '[host]\nadvice_horizon = "24h"\nadvice_margin = "30h"\n'),
        encoding="utf-8",
    )
    with pytest.raises(ConfigError, match=r"shorter than host\.advice_horizon"):
        load_config(path)
