"""A swiped card is sold to through the sale service: the screen and the API only pass the
swipe's id, and ``SaleService.sell`` takes the number from the vault and gives it back."""

from __future__ import annotations

import pytest
from helpers.kiosk import SALES, Counter

from hostsim import testnumbers as T
from terminal.devices import SwipeExpired
from terminal.errors import KioskError
from terminal.sale import SaleRequest


def _request(**overrides: object) -> SaleRequest:
    fields = {**SALES["card-topup"], "target": "", **overrides}
    return SaleRequest(product="card-topup", **fields)  # type: ignore[arg-type]


def test_a_refused_sale_gives_the_swipe_back_and_a_sold_one_uses_it_up(
    si_counter: Counter,
) -> None:
    kiosk = si_counter.kiosk
    assert kiosk is not None
    swipe_id = kiosk.devices.vault.hold(T.ONLINE_CARD, T.ONLINE_CARD[-4:])

    with pytest.raises(KioskError) as refused:
        kiosk.sales.sell(_request(amount_minor=1, cash_minor=1), swipe_id=swipe_id)
    assert not isinstance(refused.value, SwipeExpired)
    assert kiosk.store.list_transactions() == []  # refused before anything was recorded

    sold = kiosk.sales.sell(_request(), swipe_id=swipe_id)
    assert sold.state == "confirmed"
    assert sold.record is not None
    assert sold.record.target["last4"] == T.ONLINE_CARD[-4:]
    assert T.ONLINE_CARD not in str(sold.record.target)  # the store keeps the last 4 only

    with pytest.raises(SwipeExpired):  # a swipe pays once
        kiosk.sales.sell(_request(), swipe_id=swipe_id)
    assert len(kiosk.store.list_transactions()) == 1
