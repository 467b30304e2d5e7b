"""Every shipped preset loads, passes `kiosk config check`, and reproduces the fee tables."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from click.testing import CliRunner

from terminal.cli import main
from terminal.config import KioskConfig, load_config, write_preset
from terminal.tariffs import quote

MARKETS = ("si", "rs", "az", "fi")


def _preset(tmp_path: Path, market: str) -> KioskConfig:
    return load_config(write_preset(tmp_path / f"{market}.toml", market))


@pytest.mark.parametrize(
    ("market", "language", "locale", "timezone", "products"),
    [
        ("si", "sl", "sl_SI", "Europe/Ljubljana", ["card-topup", "card-sale"]),
        ("rs", "sr_Latn", "sr_Latn_RS", "Europe/Belgrade", ["mobile-topup"]),
        ("az", "az", "az_Latn_AZ", "Asia/Baku", ["imei-fee", "bill-payment"]),
        ("fi", "fi", "fi_FI", "Europe/Helsinki", ["benefit-payment"]),
    ],
)
def test_preset_market_settings(
    tmp_path: Path, market: str, language: str, locale: str, timezone: str, products: list[str]
) -> None:
    cfg = _preset(tmp_path, market)
    assert cfg.terminal.language == language
    assert cfg.terminal.languages == (language, "en")
    assert cfg.terminal.locale == locale
    assert cfg.terminal.timezone == timezone
    assert list(cfg.products) == products
    # benefit payments are paid from the benefit balance (issue 14), all else in cash
    assert all(
        p.tender == (("benefit",) if p.id == "benefit-payment" else ("cash",))
        for p in cfg.products.values()
    )


@pytest.mark.parametrize("market", MARKETS)
def test_preset_passes_kiosk_config_check(tmp_path: Path, market: str) -> None:
    path = write_preset(tmp_path / "kiosk.toml", market, terminal_id="07001")
    result = CliRunner().invoke(main, ["--config", str(path), "config", "check", "--json"])
    assert result.exit_code == 0, result.output
    summary = json.loads(result.stdout)
    assert summary["ok"] is True
    assert summary["terminal"]["id"] == "07001"
    assert summary["terminal"]["market"] == market


# business-rules.md section 2, "Top-up fee (Online/Premium)": credit, fee, customer pays.
@pytest.mark.parametrize(
    ("credit", "fee", "pays"), [(50, 2, 52), (100, 2, 102), (150, 3, 153), (1000, 11, 1011)]
)
def test_online_premium_topup_table(tmp_path: Path, credit: int, fee: int, pays: int) -> None:
    result = quote(_preset(tmp_path, "si").product("card-topup"), credit * 100)
    assert result.fees_minor == fee * 100
    assert result.total_minor == pays * 100
    assert result.currency == "EUR"


# business-rules.md section 2, "Simple card purchase": face value, activation + (top-up fee +
# point-of-sale surcharge), customer pays.
@pytest.mark.parametrize(
    ("face", "activation", "other", "pays"),
    [(25, 2, 1, 28), (50, 3, 2, 55), (100, 3, 2, 105), (150, 3, 3, 156), (247, 3, 4, 254)],
)
def test_simple_card_table(
    tmp_path: Path, face: int, activation: int, other: int, pays: int
) -> None:
    result = quote(_preset(tmp_path, "si").product("card-sale"), face * 100)
    fees = {line.name: line.amount_minor for line in result.fees}
    assert fees["activation_fee"] == activation * 100
    assert fees.get("topup_fee", 0) + fees["pos_surcharge"] == other * 100
    assert result.total_minor == pays * 100


def test_simple_card_above_247_is_refused(tmp_path: Path) -> None:
    from terminal.errors import AmountOutOfRange

    with pytest.raises(AmountOutOfRange, match="247,00"):
        quote(_preset(tmp_path, "si").product("card-sale"), 24800)


def test_offline_policies_as_documented(tmp_path: Path) -> None:
    offline = {
        product.id: product.offline.allowed
        for market in MARKETS
        for product in _preset(tmp_path, market).products.values()
    }
    assert offline == {
        "card-topup": True,
        "card-sale": False,
        "mobile-topup": False,
        "imei-fee": False,
        "bill-payment": False,
        "benefit-payment": False,
    }


def test_reversal_windows_as_documented(tmp_path: Path) -> None:
    windows = {
        product.id: product.reversal_window.describe()
        for market in MARKETS
        for product in _preset(tmp_path, market).products.values()
    }
    assert windows == {
        "card-topup": "300s",
        "card-sale": "300s",
        "mobile-topup": "300s",
        "imei-fee": "none",
        "bill-payment": "300s",
        "benefit-payment": "same_day",
    }


def test_mts_mobile_topup_preset(tmp_path: Path) -> None:
    product = _preset(tmp_path, "rs").product("mobile-topup")
    assert product.currency == "RSD"
    assert (product.min_minor, product.max_minor, product.step_minor) == (10000, 500000, 100)
    assert product.phone_prefixes == ("64", "65", "66")
    assert quote(product, 50000).total_minor == 50000
    assert quote(product, 50000).fees == ()


def test_az_preset_fees(tmp_path: Path) -> None:
    cfg = _preset(tmp_path, "az")
    imei = quote(cfg.product("imei-fee"), 2030)
    assert [(f.name, f.amount_minor) for f in imei.fees] == [("pos_fee", 100)]
    assert imei.total_minor == 2130
    bill = quote(cfg.product("bill-payment"), 1500)
    assert [(f.name, f.amount_minor) for f in bill.fees] == [("commission", 30)]
    assert bill.total_minor == 1530


def test_fi_preset_benefits(tmp_path: Path) -> None:
    product = _preset(tmp_path, "fi").product("benefit-payment")
    assert product.benefit_types == ("sport", "massage", "culture")
    assert product.message_max_length == 60
    assert quote(product, 2500).total_minor == 2500
