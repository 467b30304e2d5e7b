"""Seed details (issue 14, item 9): card top-ups from 1 EUR; the storno debt collected from a
top-up printed on its slip as MTS tells the subscriber; bill payments checked against the
host's biller catalog before anything is recorded."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from helpers.kiosk import SALES, Counter, start_counter, stop_counter

from printer_templates.i18n import translations
from terminal.billers import UnknownBiller

DEBT = "Dear customer, the outstanding debt left by the storno of earlier top-ups was collected: "


@pytest.fixture
def az_counter(tmp_path: Path) -> Iterator[Counter]:
    counter = start_counter(tmp_path, "az")
    counter.open()
    yield counter
    stop_counter(counter)


def test_a_card_top_up_of_1_eur_sells(si_counter: Counter) -> None:
    result = si_counter.sell("card-topup", amount_minor=100, cash_minor=500)
    assert result.state == "confirmed", result.reason
    assert result.record is not None and result.record.amount_minor == 100


def test_the_debt_collected_from_a_top_up_is_on_its_slip(rs_counter: Counter) -> None:
    counter = rs_counter
    kiosk = counter.kiosk
    assert kiosk is not None
    first = counter.sell("mobile-topup")
    assert first.state == "confirmed"
    msisdn = "+381641234567"
    counter.host.store.execute(
        "UPDATE subscribers SET debt_minor = 40000 WHERE msisdn = ?", (msisdn,)
    )
    second = counter.sell("mobile-topup")
    assert second.state == "confirmed", second.reason
    text = " ".join(counter.printer.slips[-1].text.split())
    said = " ".join(translations("sr_Latn").gettext(DEBT + "%(amount)s.").split())
    assert said.split("%(amount)s")[0].strip() in text
    assert "400 RSD" in text
    first_text = " ".join(counter.printer.slips[0].text.split())
    assert said.split("%(amount)s")[0].strip() not in first_text  # no debt, no line


def test_a_bill_to_a_biller_the_host_does_not_list_is_refused_before_recording(
    az_counter: Counter,
) -> None:
    kiosk = az_counter.kiosk
    assert kiosk is not None
    with pytest.raises(UnknownBiller, match="lists no biller 'nobody'"):
        az_counter.sell("bill-payment", biller_id="nobody")
    with pytest.raises(UnknownBiller):
        az_counter.sell("bill-payment", biller_id=None)
    assert kiosk.store.list_transactions(limit=10) == []
    assert az_counter.sell("bill-payment", **SALES["bill-payment"]).state == "confirmed"
