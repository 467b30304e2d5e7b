"""The catalog (billers, benefit types, IMEI models) and the IMEI fee quote."""

from __future__ import annotations

import re

from helpers.hostsim import HostHarness

from hostsim import testnumbers as tn


def test_catalog_has_at_least_50_billers_with_usable_account_formats(host: HostHarness) -> None:
    catalog = host.signed("GET", "/v1/catalog").json()
    billers = catalog["billers"]
    assert len(billers) >= 50
    assert len({b["id"] for b in billers}) == len(billers)
    categories = {b["category"] for b in billers}
    assert {"mobile", "home_internet", "utilities", "tv"} <= categories
    names = {b["name"] for b in billers}
    assert {"Azercell", "Bakcell", "Nar", "Baktelecom", "Azəriqaz", "Azərişıq", "Azərsu"} <= names
    for biller in billers:
        assert re.fullmatch(biller["account_regex"], biller["account_example"]), biller
        assert biller["currency"] == "AZN"
    assert {t["id"] for t in catalog["benefit_types"]} >= {"sport", "culture", "massage", "lunch"}
    assert {p["id"] for p in catalog["products"]} == {
        "card-topup",
        "card-sale",
        "mobile-topup",
        "imei-fee",
        "bill-payment",
        "benefit-payment",
    }


def test_every_catalog_example_account_can_be_paid(host: HostHarness) -> None:
    billers = host.signed("GET", "/v1/catalog").json()["billers"]
    for biller in billers[:: max(1, len(billers) // 10)]:
        answer = host.provision(
            "bill-payment", target=biller["account_example"], fields={"biller_id": biller["id"]}
        )
        assert answer["status"] == "approved", (biller, answer)


def quote(host: HostHarness, imeis: list[str], model: str | None = None) -> dict[str, object]:
    body: dict[str, object] = {"imeis": imeis}
    if model:
        body["model"] = model
    response = host.signed("POST", "/v1/imei/quote", body)
    assert response.status_code == 200
    data: dict[str, object] = response.json()
    return data


def test_imei_quote_by_model(host: HostHarness) -> None:
    duos = quote(host, [tn.IMEI_DUOS_1, tn.IMEI_DUOS_2])
    assert duos == {
        "status": "quoted",
        "imeis": [tn.IMEI_DUOS_1, tn.IMEI_DUOS_2],
        "tac": "35332510",
        "model": "Samsung Galaxy A12 Duos",
        "device_type": "duos",
        "fee_minor": 2_500,
        "currency": "AZN",
    }
    single = quote(host, [tn.IMEI_SINGLE])
    assert (single["model"], single["fee_minor"]) == ("Nokia 105", 500)
    unlisted = quote(host, [tn.IMEI_UNLISTED], model="Apple iPhone 13")
    assert (unlisted["model"], unlisted["fee_minor"]) == ("Apple iPhone 13", 16_000)


def test_imei_device_type_mismatch_in_plain_words(host: HostHarness) -> None:
    one_for_duos = quote(host, [tn.IMEI_DUOS_1])
    assert one_for_duos["reason_code"] == "device_type_mismatch"
    assert "second IMEI" in str(one_for_duos["reason"])
    two_for_single = quote(host, [tn.IMEI_SINGLE, tn.IMEI_UNLISTED])
    assert two_for_single["reason_code"] == "device_type_mismatch"
    assert "single-SIM" in str(two_for_single["reason"])
    bad = quote(host, ["12345"])
    assert bad["reason_code"] == "invalid_imei"


def test_imei_quote_needs_a_list(host: HostHarness) -> None:
    response = host.signed("POST", "/v1/imei/quote", {"imeis": tn.IMEI_SINGLE})
    assert response.status_code == 400
    assert response.json()["error"]["code"] == "invalid_request"
