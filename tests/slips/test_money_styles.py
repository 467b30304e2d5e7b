"""How money is written is the market's decision in kiosk.toml's [money], with a built-in table.

The CLDR side (the same with the locked and the newest Babel) is test_money_cldr.py.
"""

from __future__ import annotations

from pathlib import Path

import pytest
from helpers.config import edited_preset as _write

from foundation.money import (
    DEFAULT_MONEY_STYLES,
    CurrencyStyle,
    Money,
    UnknownMoneyWriting,
    Writing,
)
from printer_templates.preview import slip_to_text
from printer_templates.render import render_slip
from printer_templates.samples import sample_context
from terminal.config import load_config, write_preset
from terminal.errors import ConfigError
from terminal.validation import validate_cash
from terminal.web.i18n import Speaker


def test_built_in_table_writes_each_currency_as_decided() -> None:
    assert Money(50000, "RSD").format("sr_Latn_RS") == "500 RSD"
    assert Money(123456789, "RSD").format("sr_Latn_RS") == "1.234.567,89 RSD"
    assert Money(5, "RSD").format("sr_Latn_RS") == "0,05 RSD"  # a fraction is never rounded
    assert Money(15300, "EUR").format("sl_SI") == "153,00 €"
    assert Money(123456, "EUR").format("fi_FI") == "1 234,56 €"
    assert Money(2030, "AZN").format("az_Latn_AZ") == "20,30 AZN"
    assert Money(2030, "AZN").format("az_Latn_AZ", printable=False) == "20,30 ₼"
    assert Money(15300, "EUR").format("en_GB") == "€153.00"
    assert Money(-12345, "EUR").format("en_GB") == "-€123.45"
    assert Money(-12345, "EUR").format("sl_SI") == "-123,45 €"


def test_a_locale_is_matched_by_its_language_and_an_unknown_one_is_named() -> None:
    assert Money(50000, "RSD").format("sr_Cyrl_RS") == "500 RSD"
    assert Money(15300, "EUR").format("en") == "€153.00"
    with pytest.raises(UnknownMoneyWriting, match=r"de_DE.*\[money\]"):
        Money(15300, "EUR").format("de_DE")


def test_market_styles_override_the_table() -> None:
    styles = DEFAULT_MONEY_STYLES.with_market(
        "sr_Latn_RS",
        Writing(",", "", "before", sign_space=True),
        {"RSD": CurrencyStyle(decimals=2, sign="din.", screen_sign="дин.")},
    )
    assert Money(123450, "RSD").format("sr_Latn_RS", styles=styles) == "din. 1234,50"
    assert Money(50000, "RSD").format("sr_Latn_RS", printable=False, styles=styles) == (
        "дин. 500,00"
    )
    assert Money(50000, "RSD").format("en_GB", styles=styles) == "din.500.00"


def test_presets_spell_out_the_built_in_decisions(tmp_path: Path) -> None:
    for market in ("si", "rs", "az", "fi"):
        cfg = load_config(write_preset(tmp_path / f"{market}.toml", market))
        assert cfg.money == DEFAULT_MONEY_STYLES, market


def test_the_configuration_decides_what_the_slip_prints(tmp_path: Path) -> None:
    cfg = load_config(
        _write(
            tmp_path,
            "rs",
            ("decimals = 0 ", "decimals = 2 "),
            ('sign = "RSD"', 'sign = "din."'),
            ('sign_position = "after"', 'sign_position = "before"'),
        )
    )
    doc = render_slip(
        "sale_mobile_topup",
        sample_context("sale_mobile_topup", language="sr_Latn"),
        language="sr_Latn",
        locale=cfg.terminal.locale,
        money=cfg.money,
    )
    text = slip_to_text(doc)
    assert "din. 500,00\n" in text and "din. 1.000,00\n" in text and "RSD" not in text
    assert Money(50000, "RSD").format(cfg.terminal.locale, styles=cfg.money) == "din. 500,00"
    product = cfg.product("mobile-topup")
    assert product.money == cfg.money
    with pytest.raises(Exception, match=r"din\. 1\.000,00"):
        validate_cash(100000, 50000, "RSD", locale=cfg.terminal.locale, styles=cfg.money)


def test_screens_take_the_markets_screen_sign(tmp_path: Path) -> None:
    cfg = load_config(_write(tmp_path, "az", ('screen_sign = "₼"', 'screen_sign = "m."')))
    speaker = Speaker.for_language(
        "az", market_language="az", market_locale=cfg.terminal.locale, money=cfg.money
    )
    assert speaker.money(2030, "AZN") == "20,30 m."
    english = Speaker.for_language(
        "en", market_language="az", market_locale=cfg.terminal.locale, money=cfg.money
    )
    assert english.money(2030, "AZN") == "m.20.30"
    assert Money(2030, "AZN").format(cfg.terminal.locale, styles=cfg.money) == "20,30 AZN"


def test_a_locale_the_table_lacks_needs_its_writing_in_the_file(tmp_path: Path) -> None:
    path = _write(tmp_path, "si", ('locale = "sl_SI"', 'locale = "de_AT"'))
    text = path.read_text("utf-8")
    start, end = text.index("[money]\n"), text.index("[money.EUR]")
    path.write_text(text[:start] + text[end:], "utf-8")
    with pytest.raises(ConfigError, match=r"de_AT.*decimal_separator") as caught:
        load_config(path)
    assert caught.value.key == "money"
    path.write_text(
        text.replace('group_separator = "."', 'group_separator = " "'), "utf-8"
    )  # the full [money] table of the preset, now for de_AT
    cfg = load_config(path)
    assert Money(123456, "EUR").format("de_AT", styles=cfg.money) == "1 234,56 €"


@pytest.mark.parametrize(
    ("edit", "key", "says"),
    [
        (("decimals = 2", "decimals = 3"), "money.EUR.decimals", "from 0 to 2"),
        (('sign = "€"', 'sign = ""'), "money.EUR.sign", "symbol or ISO code"),
        (('sign = "€"', 'sign = "E1"'), "money.EUR.sign", "symbol or ISO code"),
        (('sign = "€"', 'sigil = "€"'), "money.EUR.sigil", "decimals, sign, screen_sign"),
        (("[money.EUR]", "[money.USD]"), "money.USD", "EUR"),
        (('decimal_separator = ","', 'decimal_separator = ",,"'), "money.decimal_separator", ""),
        (('decimal_separator = ","', 'decimal_separator = "."'), "money.group_separator", ""),
        (('group_separator = "."', 'group_separator = "x"'), "money.group_separator", ""),
        (('sign_position = "after"', 'sign_position = "left"'), "money.sign_position", "before"),
        (("sign_space = true", 'sign_space = "yes"'), "money.sign_space", "true or false"),
    ],
)
def test_bad_money_settings_are_refused_by_name(
    tmp_path: Path, edit: tuple[str, str], key: str, says: str
) -> None:
    with pytest.raises(ConfigError) as caught:
        load_config(_write(tmp_path, "si", edit))
    assert caught.value.key == key
    assert says in str(caught.value)
