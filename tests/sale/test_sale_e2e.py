"""End to end, over real HTTP and TCP: every product of every preset sells, prints, confirms and
reaches the host exactly once."""

from __future__ import annotations

import pytest
from helpers.kiosk import MARKET_PRODUCTS, Counter

from offline_queue import states


def test_every_product_of_every_preset_sells_end_to_end(any_market_counter: Counter) -> None:
    counter = any_market_counter
    assert counter.kiosk is not None
    for product in MARKET_PRODUCTS[counter.config.terminal.market]:
        slips_before = len(counter.printer.slips)
        result = counter.sell(product)
        assert result.state == "confirmed", (product, result.reason)
        record = result.record
        assert record is not None
        if product == "benefit-payment":  # paid from the benefit: no cash, no change
            assert (record.cash_minor, result.change_minor) == (0, 0)
        else:
            assert result.change_minor == record.cash_minor - result.total_minor

        # the slip came out of the printer and carries the transaction number
        assert counter.printer.wait_for_slips(slips_before + 1, timeout=5)
        slip = counter.printer.slips[slips_before]
        assert result.txn in slip.text
        assert any(result.txn in qr for qr in slip.qr_codes)

        # the store holds it confirmed, with exactly one confirm advice
        record = counter.kiosk.store.get(result.txn)
        assert record.state == states.CONFIRMED
        assert record.printed_at is not None
        kinds = [m.kind for m in counter.kiosk.store.outbox_for(result.txn)]
        assert kinds == [states.CONFIRM]

        # the host confirms it once the advice is forwarded
        assert counter.host_view(result.txn)["state"] == "provisioned"  # type: ignore[index]
        counter.kiosk.forwarder.drain(timeout_s=5)
        assert counter.host_view(result.txn)["state"] == "confirmed"  # type: ignore[index]
        assert [m.state for m in counter.kiosk.store.outbox_for(result.txn)] == ["delivered"]
    assert counter.kiosk.store.verify_journal().ok


def test_declined_sale_prints_nothing_and_queues_nothing(si_counter: Counter) -> None:
    from hostsim import testnumbers as T

    assert si_counter.kiosk is not None
    result = si_counter.sell("card-topup", target=T.BLOCKED_CARD)
    assert result.state == "declined"
    assert result.reason
    assert si_counter.printer.slips == []
    assert si_counter.kiosk.store.outbox_for(result.txn) == []


def test_card_topup_refuses_a_phone_number_before_recording(si_counter: Counter) -> None:
    from terminal.errors import WrongTargetKind

    assert si_counter.kiosk is not None
    with pytest.raises(WrongTargetKind, match="phone number"):
        si_counter.sell("card-topup", target="+386 31 891 888")
    assert si_counter.kiosk.store.list_transactions() == []
