"""Fee rules compute what business-rules.md says, and quotes add up exactly."""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from terminal.catalog import OfflinePolicy, ProductConfig, ReversalWindow
from terminal.config import load_config, write_preset
from terminal.errors import AmountOutOfRange
from terminal.tariffs import Band, BandFee, FeeLine, FlatFee, PerStartedFee, Quote, quote


def _product(*fees: FlatFee | PerStartedFee | BandFee, **changes: object) -> ProductConfig:
    product = ProductConfig(
        id="card-topup",
        currency="EUR",
        min_minor=100,
        max_minor=100000,
        step_minor=1,
        tender=("cash",),
        reversal_window=ReversalWindow("duration", 300),
        offline=OfflinePolicy(False),
        fees=fees,
        target="card",
        locale="sl_SI",
    )
    return replace(product, **changes)  # type: ignore[arg-type]


@pytest.mark.parametrize(
    ("amount", "fee"),
    [(1, 100), (10000, 100), (10001, 200), (20000, 200), (20001, 300), (0, 0)],
)
def test_per_started_counts_every_started_unit(amount: int, fee: int) -> None:
    assert PerStartedFee("pos_surcharge", 100, 10000).fee_for(amount) == fee


def test_per_started_respects_its_range() -> None:
    rule = PerStartedFee("x", 50, 1000, from_minor=5000, to_minor=9000)
    assert [rule.fee_for(a) for a in (4999, 5000, 9000, 9001)] == [0, 250, 450, 0]


def test_flat_inside_range_only_with_both_ends_included() -> None:
    rule = FlatFee("topup_fee", 100, from_minor=2600, to_minor=24700)
    assert [rule.fee_for(a) for a in (2500, 2599, 2600, 24700, 24701)] == [0, 0, 100, 100, 0]
    assert FlatFee("commission", 30).fee_for(1) == 30


def test_bands_pick_the_first_band_holding_the_amount() -> None:
    rule = BandFee("activation_fee", (Band(2500, 200), Band(24700, 300)))
    assert [rule.fee_for(a) for a in (500, 2500, 2501, 24700)] == [200, 200, 300, 300]
    with pytest.raises(ValueError, match="last band"):
        rule.fee_for(24701)


def test_zero_fees_are_left_out_of_the_quote() -> None:
    product = _product(FlatFee("topup_fee", 100, from_minor=2600), FlatFee("commission", 30))
    assert quote(product, 2500) == Quote("EUR", 2500, (FeeLine("commission", 30),), 2530)


def test_quote_to_dict_is_the_json_shape() -> None:
    product = _product(PerStartedFee("topup_fee", 100, 100000), PerStartedFee("pos", 100, 10000))
    assert quote(product, 15000).to_dict() == {
        "currency": "EUR",
        "amount_minor": 15000,
        "fees": [{"name": "topup_fee", "amount_minor": 100}, {"name": "pos", "amount_minor": 200}],
        "total_minor": 15300,
    }


@pytest.mark.parametrize("amount", [99, 100001])
def test_quote_refuses_amount_outside_range_in_market_formatting(amount: int) -> None:
    with pytest.raises(AmountOutOfRange) as caught:
        quote(_product(), amount)
    assert "from 1,00 € to 1.000,00 €" in str(caught.value)


def test_quote_refuses_amount_off_the_step() -> None:
    with pytest.raises(AmountOutOfRange, match="in steps of 1,00 €"):
        quote(_product(step_minor=100), 150)
    assert quote(_product(step_minor=100), 200).total_minor == 200


def _all_preset_products(folder: Path) -> list[ProductConfig]:
    products: list[ProductConfig] = []
    for market in ("si", "rs", "az", "fi"):
        cfg = load_config(write_preset(folder / f"{market}.toml", market))
        products.extend(cfg.products.values())
    return products


@pytest.fixture(scope="module")
def preset_products(tmp_path_factory: pytest.TempPathFactory) -> list[ProductConfig]:
    return _all_preset_products(tmp_path_factory.mktemp("presets"))


@settings(max_examples=200, deadline=None)
@given(data=st.data())
def test_fees_never_decrease_as_the_amount_grows(
    preset_products: list[ProductConfig], data: st.DataObject
) -> None:
    product = data.draw(st.sampled_from(preset_products))
    steps = (product.max_minor - product.min_minor) // product.step_minor
    low, high = sorted(data.draw(st.lists(st.integers(0, steps), min_size=2, max_size=2)))
    a = product.min_minor + low * product.step_minor
    b = product.min_minor + high * product.step_minor
    assert quote(product, a).fees_minor <= quote(product, b).fees_minor


@settings(max_examples=200, deadline=None)
@given(data=st.data())
def test_total_is_amount_plus_fees_exactly(
    preset_products: list[ProductConfig], data: st.DataObject
) -> None:
    product = data.draw(st.sampled_from(preset_products))
    steps = (product.max_minor - product.min_minor) // product.step_minor
    amount = product.min_minor + data.draw(st.integers(0, steps)) * product.step_minor
    result = quote(product, amount)
    assert result.amount_minor == amount
    assert result.total_minor == amount + sum(line.amount_minor for line in result.fees)
    assert all(line.amount_minor > 0 for line in result.fees)
    assert result.currency == product.currency
