"""Each documented test number triggers its decline, with a reason a clerk can read out."""

from __future__ import annotations

from typing import Any

import pytest
from helpers.hostsim import HostHarness

from hostsim import testnumbers as tn

CASES: list[tuple[str, dict[str, Any], str]] = [
    ("card-topup", {"target": tn.UNKNOWN_CARD}, "unknown_card"),
    ("card-topup", {"target": tn.BLOCKED_CARD}, "card_blocked"),
    ("card-topup", {"target": tn.KYC_REQUIRED_CARD}, "kyc_required"),
    ("card-topup", {"target": "+38631891888"}, "phone_topup_not_possible"),
    ("card-topup", {"target": "4000000000000011"}, "invalid_card_number"),
    ("card-sale", {"amount_minor": 24_800}, "amount_out_of_range"),
    ("mobile-topup", {"target": tn.BARRED_SUBSCRIBER}, "subscriber_barred"),
    ("mobile-topup", {"target": tn.UNKNOWN_SUBSCRIBER}, "unknown_subscriber"),
    ("mobile-topup", {"target": "+381111234567"}, "invalid_phone_number"),
    ("mobile-topup", {"currency": "EUR"}, "currency_not_supported"),
    ("imei-fee", {"fields": {}}, "device_type_mismatch"),
    ("imei-fee", {"target": tn.IMEI_SINGLE, "amount_minor": 500}, "device_type_mismatch"),
    ("imei-fee", {"target": "353325100000012"}, "invalid_imei"),
    ("imei-fee", {"amount_minor": 2_400}, "amount_mismatch"),
    (
        "bill-payment",
        {"target": tn.INVALID_BILL_ACCOUNT, "fields": {"biller_id": tn.INVALID_BILL_BILLER}},
        "invalid_biller_account",
    ),
    ("bill-payment", {"target": "12AB"}, "invalid_biller_account"),
    ("bill-payment", {"fields": {"biller_id": tn.UNKNOWN_BILLER}}, "unknown_biller"),
    ("benefit-payment", {"target": tn.EMPTY_BENEFIT_ACCOUNT}, "insufficient_benefit_balance"),
    ("benefit-payment", {"target": tn.UNKNOWN_BENEFIT_ACCOUNT}, "unknown_benefit_account"),
    (
        "benefit-payment",
        {"fields": {"benefit_type": "casino", "message": ""}},
        "benefit_type_not_accepted",
    ),
]


@pytest.mark.parametrize(("product", "overrides", "code"), CASES, ids=[c[2] for c in CASES])
def test_test_number_declines(
    host: HostHarness, product: str, overrides: dict[str, Any], code: str
) -> None:
    answer = host.provision(product, **overrides)
    assert answer["status"] == "declined", answer
    assert answer["reason_code"] == code
    assert len(answer["reason"]) > 20 and "_" not in answer["reason"].split()[0]


def test_the_ordinary_test_numbers_are_approved(host: HostHarness) -> None:
    premium = host.provision("card-topup", target=tn.PREMIUM_CARD)
    assert premium["product_data"]["card_type"] == "premium"
    single = host.provision("imei-fee", target=tn.IMEI_SINGLE, amount_minor=500, fields={})
    assert single["product_data"]["model"] == "Nokia 105"
    unlisted = host.provision("imei-fee", target=tn.IMEI_UNLISTED, amount_minor=2_000, fields={})
    assert unlisted["status"] == "approved"


def test_benefit_hold_prevents_spending_the_same_balance_twice(host: HostHarness) -> None:
    first = host.provision("benefit-payment", amount_minor=40_000)
    assert first["status"] == "approved"
    second = host.provision("benefit-payment", amount_minor=20_000)
    assert second["reason_code"] == "insufficient_benefit_balance"
    host.advise(first["txn"], "void")
    assert host.provision("benefit-payment", amount_minor=20_000)["status"] == "approved"


def test_storno_rules_of_the_other_products(host: HostHarness) -> None:
    imei = host.provision("imei-fee")
    host.confirm(imei["txn"])
    answer = host.signed(
        "POST", "/v1/storno", {"message_id": host.message_id(), "txn": imei["txn"]}
    ).json()
    assert answer["reason_code"] == "storno_not_allowed"

    benefit = host.provision("benefit-payment")
    host.confirm(benefit["txn"])
    host.advance(3600)  # still the same day in Helsinki (14:00 -> 15:00)
    answer = host.signed(
        "POST", "/v1/storno", {"message_id": host.message_id(), "txn": benefit["txn"]}
    ).json()
    assert answer["status"] == "approved"

    late = host.provision("benefit-payment", amount_minor=100)
    host.confirm(late["txn"])
    host.advance(12 * 3600)  # past midnight in Helsinki
    answer = host.signed(
        "POST", "/v1/storno", {"message_id": host.message_id(), "txn": late["txn"]}
    ).json()
    assert answer["reason_code"] == "storno_window_closed"


def test_storno_of_a_spent_card_topup_is_refused(host: HostHarness) -> None:
    topup = host.provision("card-topup", target=tn.ONLINE_CARD, amount_minor=5_000)
    host.confirm(topup["txn"])
    host.server.store.execute(
        "UPDATE cards SET balance_minor = 100 WHERE card_number = ?", (tn.ONLINE_CARD,)
    )
    answer = host.signed(
        "POST", "/v1/storno", {"message_id": host.message_id(), "txn": topup["txn"]}
    ).json()
    assert answer["reason_code"] == "card_balance_spent"
