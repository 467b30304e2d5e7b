"""Every product of every preset can be sold from its screen form (no browser): the form asks
for what the product needs (biller, benefit type and message, one or two IMEIs with the host's
quote), refuses bad input field by field, and the sale ends on the result screen."""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import replace
from pathlib import Path

import pytest
from helpers.kiosk import MARKET_PRODUCTS
from helpers.web import ServedScreen, served

from hostsim import testnumbers as T
from terminal.web.i18n import UI_LANGUAGES, read_catalog, source_messages
from terminal.web.saleform import cash_options

#: What a clerk types into each product's form (major units, as on the screen).
FORMS: dict[str, dict[str, str]] = {
    "card-topup": {"target": T.ONLINE_CARD, "amount": "150", "cash": "160"},
    "card-sale": {"amount": "50", "cash": "55"},
    "mobile-topup": {"target": "064 1234567", "amount": "500", "cash": "500"},
    "imei-fee": {"target": T.IMEI_DUOS_1, "target2": T.IMEI_DUOS_2, "cash": "200"},
    "bill-payment": {"biller_id": "azercell", "target": "0501234567", "amount": "20", "cash": "30"},
    "benefit-payment": {
        "benefit_type": "sport",
        "target": T.BENEFIT_ACCOUNT,
        "message": "Kuntosali, marraskuu",
        "amount": "25",
        "cash": "25",
    },
}


@pytest.fixture(params=sorted(MARKET_PRODUCTS))
def market(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[ServedScreen]:
    yield from served(tmp_path, request.param)


def test_every_product_sells_from_its_form(market: ServedScreen) -> None:
    screen = market.screen()
    screen.sign_in("1", "1111")
    kiosk = market.counter.kiosk
    assert kiosk is not None
    for product in kiosk.config.products:
        token = screen.sale_token(product)
        form = {"token": token, **FORMS[product]}
        checked = screen.post(f"/ui/sale/{product}/check", {**form, "focus_from": "cash"})
        assert 'data-ready="1"' in checked.text, checked.text
        assert 'id="quote-total"' in checked.text
        if product == "imei-fee":
            assert 'id="imei-model"' in checked.text  # the host quoted this phone's fee
        sold = screen.post(f"/ui/sale/{product}", form)
        found = re.search(r"/ui/result/([0-9]{14})$", sold.url)
        assert found, sold.text
        assert 'data-outcome="confirmed"' in sold.text, sold.text
        record = kiosk.store.get(found.group(1))
        assert (record.state, record.clerk) == ("confirmed", "1")


def test_each_field_says_what_is_wrong_and_where_enter_goes(tmp_path: Path) -> None:
    for screen_of in served(tmp_path, "az"):
        screen = screen_of.screen()
        screen.sign_in()
        token = screen.sale_token("imei-fee")
        bad = screen.post(
            "/ui/sale/imei-fee/check",
            {"token": token, "target": T.IMEI_DUOS_1, "target2": "12345", "focus_from": "target2"},
        )
        assert re.search(r'id="err-target2"[^>]*>\s*<strong>', bad.text), bad.text
        assert 'data-next-focus="target2"' in bad.text
        mismatch = screen.post(  # one IMEI of a duos model: the host's device-type decline
            "/ui/sale/imei-fee/check",
            {"token": token, "target": T.IMEI_DUOS_1, "focus_from": "target"},
        )
        assert re.search(r'id="err-target"[^>]*>\s*<strong>', mismatch.text), mismatch.text
        ok = screen.post(
            "/ui/sale/imei-fee/check",
            {"token": token, "target": T.IMEI_SINGLE, "focus_from": "target2"},
        )
        assert 'data-next-focus="cash"' in ok.text and 'id="quote-total"' in ok.text

        token = screen.sale_token("bill-payment")
        wrong_account = screen.post(
            "/ui/sale/bill-payment/check",
            {"token": token, "biller_id": "azercell", "target": "12", "focus_from": "target"},
        )
        assert re.search(r'id="err-target"[^>]*>\s*<strong>', wrong_account.text)
        assert 'data-next-focus="target"' in wrong_account.text
        no_biller = screen.post(
            "/ui/sale/bill-payment/check", {"token": token, "focus_from": "biller_id"}
        )
        assert re.search(r'id="err-biller_id"[^>]*>\s*<strong>', no_biller.text)


def test_cash_options_round_up_to_what_customers_hand_over() -> None:
    assert cash_options(5200, "EUR") == [5200, 5500, 6000, 10000]
    assert cash_options(50000, "RSD") == [50000, 60000, 100000, 200000]
    assert cash_options(2030, "AZN") == [2030, 2100, 2500, 3000]


def test_every_screen_text_is_translated_in_every_language() -> None:
    wanted = {msgid for msgid, _ in source_messages()}
    for language in UI_LANGUAGES:
        catalog = read_catalog(language)
        have = {m.id: m.string for m in catalog if m.id}
        missing = sorted(wanted - set(have))
        assert not missing, (language, missing)
        for msgid in wanted:
            text = have[msgid]
            assert text, (language, msgid)
            placeholders = sorted(re.findall(r"%\((\w+)\)s", msgid))
            assert sorted(re.findall(r"%\((\w+)\)s", text)) == placeholders, (language, msgid)
        if language != "en":
            same = [m for m in wanted if have[m] == m and len(m) > 12]
            assert not same, (language, same)  # a long text left in English


def test_the_demo_shows_the_slip_the_virtual_printer_printed(tmp_path: Path) -> None:
    from helpers.web import Screen

    from terminal.api import ApiServer
    from terminal.web.slips import VirtualPrinterSlips

    for served_si in served(tmp_path, "si"):
        kiosk = served_si.counter.kiosk
        assert kiosk is not None
        demo = ApiServer(kiosk, printed_slips=VirtualPrinterSlips(served_si.counter.printer))
        demo.start()
        try:
            screen = Screen(demo.url, served_si.screen().http)
            screen.sign_in()
            token = screen.sale_token("card-topup")
            sold = screen.post("/ui/sale/card-topup", {"token": token, **FORMS["card-topup"]})
            txn = sold.url.rsplit("/", 1)[1]
            assert 'id="slip-image"' in sold.text and "As the printer printed it" not in sold.text
            assert "Tako, kot ga je natisnil tiskalnik." in sold.text  # the printer's own output
            picture = screen.get(f"/ui/slips/{txn}.png")
            assert picture.headers["content-type"] == "image/png"
            assert picture.content.startswith(b"\x89PNG")
            assert picture.content == served_si.counter.printer.slips[-1].png_path.read_bytes()
        finally:
            demo.stop()


def test_quick_amounts_come_from_the_config_or_the_currency(tmp_path: Path) -> None:
    from helpers.kiosk import write_config

    from terminal.config import load_config
    from terminal.errors import ConfigError
    from terminal.web.saleform import denominations

    config = write_config(tmp_path, "si", host_url="http://127.0.0.1:1", printer_url="tcp://x:1")
    assert denominations(config)["card-topup"] == (1000, 2000, 5000, 10000, 20000)
    with config.path.open("a", encoding="utf-8") as handle:
        handle.write('\n[screen.denominations]\nEUR = ["0.5", "10", "2000"]\ncard-sale = ["25"]\n')
    config = load_config(config.path)
    # below the product's minimum (1) and above its maximum (1000) are left out
    assert denominations(config) == {"card-topup": (1000,), "card-sale": (2500,)}
    with config.path.open("a", encoding="utf-8") as handle:
        handle.write('RSD = ["ten"]\n')
    config = load_config(config.path)
    config.products["card-topup"] = replace(config.products["card-topup"], currency="RSD")
    with pytest.raises(ConfigError) as refused:
        denominations(config)
    assert refused.value.key == "screen.denominations.RSD[0]"
