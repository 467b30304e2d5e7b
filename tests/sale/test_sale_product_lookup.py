"""A sale looks its product up once and passes it down: the checks, the offline policy, the
attempt's time limit, the slip and its storno deadline, the failure notice and the drawer all
use the product the sale was validated against."""

from __future__ import annotations

from typing import Any

import pytest
from helpers.kiosk import Counter

from terminal.config import KioskConfig


@pytest.mark.parametrize("paper_after", [None, 5], ids=["printed", "print_failed"])
def test_one_sale_looks_its_product_up_once(
    si_counter: Counter, monkeypatch: pytest.MonkeyPatch, paper_after: int | None
) -> None:
    if paper_after is not None:
        si_counter.printer.paper_out_after(paper_after)
    looked_up: list[str] = []
    real_product = KioskConfig.product

    def counting(self: KioskConfig, product_id: str) -> Any:
        looked_up.append(product_id)
        return real_product(self, product_id)

    monkeypatch.setattr(KioskConfig, "product", counting)
    result = si_counter.sell("card-topup")
    assert result.state == ("confirmed" if paper_after is None else "print_failed")
    assert looked_up == ["card-topup"]
