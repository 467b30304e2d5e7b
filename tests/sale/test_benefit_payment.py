"""Benefit payments are paid from the benefit (issue 14, item 4): the counter takes no cash,
gives no change and opens no drawer; the host debits the benefit balance once; the slip names
the benefit type that paid; X/Z reports and the drawer count them apart from cash."""

from __future__ import annotations

import pytest
from helpers.kiosk import Counter

from hostsim import benefits
from hostsim import testnumbers as T
from terminal.sale import CashNotTaken

BENEFIT = {
    "target": T.BENEFIT_ACCOUNT,
    "amount_minor": 2500,
    "cash_minor": 0,
    "benefit_type": "sport",
    "message": "Kuntosali, marraskuu",
}


def _balance(counter: Counter) -> int:
    found = benefits.balance(counter.host.store, T.BENEFIT_ACCOUNT, "sport")
    return 0 if found is None else found


def test_a_benefit_payment_takes_no_cash_and_debits_the_benefit_once(fi_counter: Counter) -> None:
    counter = fi_counter
    kiosk = counter.kiosk
    assert kiosk is not None
    counter.sell("benefit-payment", **BENEFIT)  # the account exists at the host from now on
    kiosk.forwarder.drain(timeout_s=5)
    before = _balance(counter)
    drawer_kicks = counter.printer.received.count(b"\x1bp")

    result = counter.sell("benefit-payment", **BENEFIT)

    assert result.state == "confirmed", result.reason
    assert (result.change_minor, result.record.cash_minor) == (0, 0)  # type: ignore[union-attr]
    assert "Take no cash" in result.instruction
    events = [e.event for e in kiosk.store.journal(result.txn)]
    assert "drawer_opened" not in events and "drawer_not_opened" not in events
    assert counter.printer.received.count(b"\x1bp") == drawer_kicks  # no ESC p: no drawer
    assert not counter.printer.drawer_open
    slip = counter.printer.slips[-1].text
    assert "Liikunta ja urheilu" in slip or "Sport and exercise" in slip
    assert "Käteinen" not in slip and "Cash" not in slip
    kiosk.forwarder.drain(timeout_s=5)
    assert counter.host_view(result.txn)["state"] == "confirmed"  # type: ignore[index]
    assert _balance(counter) == before - 2500  # debited once, at confirm

    cash = kiosk.reports.cash_summary()
    assert cash["cash_in_drawer"]["EUR"] == 0
    assert cash["benefit_paid"]["EUR"] == 5000
    x = kiosk.reports.x_report(clerk=None)
    assert x.printed
    assert [(c.currency, c.count, c.total_minor) for c in x.benefit_paid] == [("EUR", 2, 5000)]
    assert [(c.currency, c.total_minor) for c in x.cash_in_drawer] == [("EUR", 0)]


def test_cash_typed_for_a_benefit_payment_is_refused_before_anything_is_recorded(
    fi_counter: Counter,
) -> None:
    kiosk = fi_counter.kiosk
    assert kiosk is not None
    with pytest.raises(CashNotTaken, match="take no cash"):
        fi_counter.sell("benefit-payment", **{**BENEFIT, "cash_minor": 2500})
    assert kiosk.store.list_transactions(limit=10) == []


def test_the_storno_of_a_benefit_payment_credits_the_benefit_and_pays_no_cash(
    fi_counter: Counter,
) -> None:
    counter = fi_counter
    kiosk = counter.kiosk
    assert kiosk is not None
    result = counter.sell("benefit-payment", **BENEFIT)
    kiosk.forwarder.drain(timeout_s=5)
    after_sale = _balance(counter)
    kicks = counter.printer.received.count(b"\x1bp")
    outcome = kiosk.stornos.storno(result.txn, reason="wrong_amount", clerk="1")
    assert outcome.state == "stornoed", outcome.instruction
    assert "pay no cash" in outcome.instruction
    assert counter.printer.received.count(b"\x1bp") == kicks
    kiosk.forwarder.drain(timeout_s=5)
    assert _balance(counter) == after_sale + 2500
    cash = kiosk.reports.cash_summary()
    assert cash["cash_in_drawer"]["EUR"] == 0 and cash["benefit_paid"]["EUR"] == 0
