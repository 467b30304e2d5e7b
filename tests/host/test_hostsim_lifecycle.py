"""Provision, confirm, void and reversal for every product, as the host records them."""

from __future__ import annotations

import pytest
from helpers.hostsim import SALES, HostHarness

from hostsim import cards, subscribers
from hostsim.testnumbers import SUBSCRIBER

PRODUCTS = sorted(SALES)


@pytest.mark.parametrize("product", PRODUCTS)
def test_provision_then_confirm(host: HostHarness, product: str) -> None:
    answer = host.provision(product)
    assert answer["status"] == "approved", answer
    assert len(answer["auth_code"]) == 6
    assert host.state(answer["txn"]) == "provisioned"
    result = host.confirm(answer["txn"])
    assert result["result"] == "accepted"
    view = host.view(answer["txn"])
    assert view["state"] == "confirmed"
    assert view["amount_minor"] == SALES[product]["amount_minor"]
    assert view["total_minor"] == SALES[product]["amount_minor"] + SALES[product]["fees_minor"]
    assert [e["event"] for e in view["events"]] == ["provisioned", "confirmed"]


@pytest.mark.parametrize("product", PRODUCTS)
@pytest.mark.parametrize("kind", ["void", "reversal"])
def test_provision_then_void_or_reversal(host: HostHarness, product: str, kind: str) -> None:
    answer = host.provision(product)
    result = host.advise(answer["txn"], kind)
    assert result["result"] == "accepted"
    assert host.state(answer["txn"]) == ("voided" if kind == "void" else "reversed")
    late_confirm = host.confirm(answer["txn"])
    assert late_confirm["result"] == "rejected"


def test_void_of_a_card_sale_cancels_the_reserved_card(host: HostHarness) -> None:
    answer = host.provision("card-sale")
    number = answer["product_data"]["voucher"]["card_number"]
    card = cards.card(host.server.store, number)
    assert card is not None and card["status"] == "reserved"
    host.advise(answer["txn"], "void")
    card = cards.card(host.server.store, number)
    assert card is not None and card["status"] == "cancelled"


def test_effect_happens_only_at_confirm(host: HostHarness) -> None:
    answer = host.provision("mobile-topup", amount_minor=30_000)
    sub = subscribers.subscriber(host.server.store, SUBSCRIBER)
    assert sub is not None and sub["balance_minor"] == 0
    host.confirm(answer["txn"])
    sub = subscribers.subscriber(host.server.store, SUBSCRIBER)
    assert sub is not None and sub["balance_minor"] == 30_000


@pytest.mark.parametrize("kind", ["void", "reversal"])
def test_void_or_reversal_of_an_unknown_txn_succeeds(host: HostHarness, kind: str) -> None:
    txn = host.next_txn()
    result = host.advise(txn, kind)
    assert result["result"] == "accepted"
    # The tombstone refuses a provision that arrives after its own reversal.
    late = host.provision("mobile-topup", txn=txn)
    assert late["status"] == "declined"
    assert late["reason_code"] in ("already_reversed", "already_voided")


def test_confirm_of_an_unknown_txn_is_rejected(host: HostHarness) -> None:
    result = host.confirm(host.next_txn())
    assert result["result"] == "rejected"
    assert result["code"] == "unknown_transaction"


def test_void_after_confirm_is_rejected(host: HostHarness) -> None:
    answer = host.provision("bill-payment")
    host.confirm(answer["txn"])
    result = host.advise(answer["txn"], "void")
    assert (result["result"], result["code"]) == ("rejected", "already_confirmed")
    assert host.state(answer["txn"]) == "confirmed"


def test_offline_sale_advice_applies_the_sale(host: HostHarness) -> None:
    txn = host.next_txn()
    sale = {**SALES["mobile-topup"], "amount_minor": 20_000, "total_minor": 20_000}
    result = host.advise(txn, "offline_sale", {**sale, "printed_at": host.clock.now().isoformat()})
    assert result["result"] == "accepted"
    view = host.view(txn)
    assert (view["state"], view["offline"]) == ("confirmed", True)
    sub = subscribers.subscriber(host.server.store, SUBSCRIBER)
    assert sub is not None and sub["balance_minor"] == 20_000


def test_declined_provision_is_recorded(host: HostHarness) -> None:
    answer = host.provision("mobile-topup", target="+381640000013")
    assert answer["status"] == "declined"
    assert host.view(answer["txn"])["state"] == "declined"
    result = host.confirm(answer["txn"])
    assert (result["result"], result["code"]) == ("rejected", "not_approved")


def test_card_sale_cannot_be_an_offline_sale(host: HostHarness) -> None:
    txn = host.next_txn()
    sale = {**SALES["card-sale"], "total_minor": 2_800}
    result = host.advise(txn, "offline_sale", sale)
    assert (result["result"], result["code"]) == ("rejected", "offline_not_allowed")


def test_advice_with_a_bad_kind_or_txn_is_rejected_alone(host: HostHarness) -> None:
    good = host.provision("bill-payment")
    batch = {
        "advices": [
            {"message_id": host.message_id(), "txn": good["txn"], "kind": "confirm"},
            {"message_id": host.message_id(), "txn": good["txn"], "kind": "refund"},
            {"message_id": host.message_id(), "txn": "123", "kind": "void"},
        ]
    }
    results = host.signed("POST", "/v1/advices", batch).json()["results"]
    assert [(r["result"], r.get("code")) for r in results] == [
        ("accepted", None),
        ("rejected", "invalid_advice"),
        ("rejected", "invalid_advice"),
    ]
    empty = host.signed("POST", "/v1/advices", {"advices": []})
    assert empty.status_code == 400


def test_admin_endpoints_refuse_non_loopback_clients(host: HostHarness) -> None:
    response = host.server.app.handle("GET", "/admin/faults", {}, b"", "192.0.2.10")
    assert response.status == 403
    assert b"loopback" in response.body
