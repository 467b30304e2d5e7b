"""HostClient classifies every answer of the real reference host, faults included."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from helpers.hostsim import SALES, HostHarness

from hostsim import testnumbers as tn
from hostsim.products import ADVICE_HORIZON_S
from offline_queue.delivery import TransientSendError
from terminal.errors import KioskError
from terminal.host_client import (
    HostDeclined,
    HostProtocolError,
    HostUnavailable,
    ProvisionRequest,
    retry_after_seconds,
)


@dataclass(frozen=True)
class Advice:
    message_id: str
    txn: str
    kind: str
    payload: dict[str, Any] = field(default_factory=dict)
    attempts: int = 0


def request(host: HostHarness, product: str = "mobile-topup", **kw: Any) -> ProvisionRequest:
    sale = {**SALES[product], **kw}
    return ProvisionRequest(
        message_id=host.message_id(),
        txn=host.next_txn(),
        product=sale["product"],
        amount_minor=sale["amount_minor"],
        fees_minor=sale["fees_minor"],
        currency=sale["currency"],
        target=sale["target"],
        fields=sale["fields"],
    )


def test_approved_with_product_data(host: HostHarness) -> None:
    result = host.client().provision(request(host, "card-sale"))
    assert result.approved and result.status == "approved"
    assert result.auth_code and len(result.auth_code) == 6
    assert len(result.product_data["voucher"]["card_number"]) == 16


def test_declined_with_plain_words(host: HostHarness) -> None:
    result = host.client().provision(request(host, target=tn.BARRED_SUBSCRIBER))
    assert result.declined
    assert result.reason_code == "subscriber_barred"
    assert result.reason and "barred" in result.reason


def test_repeat_is_the_same_answer_marked_duplicate(host: HostHarness) -> None:
    client = host.client()
    req = request(host)
    first = client.provision(req)
    again = client.provision(req.to_json() | {"message_id": host.message_id()})
    assert again.approved and again.duplicate
    assert again.auth_code == first.auth_code


@pytest.mark.parametrize(
    ("fault", "params"),
    [
        ("timeout", {"hold_s": 5}),
        ("reset", {}),
        ("down", {}),
        ("down", {"mode": "503"}),
        ("error_rate", {"status": 500}),
        ("error_rate", {"status": 502}),
        ("malformed", {}),
    ],
    ids=["timeout", "reset", "refused", "503", "500", "502", "malformed"],
)
def test_unknown_when_the_outcome_cannot_be_known(
    host: HostHarness, fault: str, params: dict[str, Any]
) -> None:
    host.set_fault(fault, count=1, **params)
    result = host.client(read_timeout_s=0.3).provision(request(host))
    assert result.unknown, result
    assert result.error
    assert result.auth_code is None


def test_unknown_after_the_host_did_authorise_then_reversal_clears_it(host: HostHarness) -> None:
    host.set_fault("reset", phase="after", count=1)
    client = host.client()
    req = request(host)
    assert client.provision(req).unknown
    assert host.state(req.txn) == "provisioned"
    outcomes = client.send_advices([Advice(host.message_id(), req.txn, "reversal")])
    assert [o.kind for o in outcomes.values()] == ["delivered"]
    assert host.state(req.txn) == "reversed"


def test_refused_request_raises_a_protocol_error(host: HostHarness) -> None:
    client = host.client(key="not-the-key")
    with pytest.raises(HostProtocolError) as raised:
        client.provision(request(host))
    assert raised.value.host_code == "bad_signature"
    assert isinstance(raised.value, KioskError)
    assert "kiosk.toml" in str(raised.value)


def test_send_advices_maps_every_result(host: HostHarness) -> None:
    client = host.client()
    reversed_ = client.provision(request(host))
    host.advance(ADVICE_HORIZON_S + 1)  # never confirmed within the horizon: the host reverses it
    confirmed = client.provision(request(host))
    confirm = Advice(host.message_id(), confirmed.txn, "confirm")
    outcomes = client.send_advices(
        [
            confirm,
            Advice(host.message_id(), confirmed.txn, "confirm"),
            Advice(host.message_id(), reversed_.txn, "confirm"),
            Advice(host.message_id(), host.next_txn(), "void"),
        ]
    )
    kinds = [outcomes[m].kind for m in outcomes]
    assert kinds == ["delivered", "duplicate", "dead", "delivered"]
    dead = list(outcomes.values())[2]
    assert dead.error and dead.error.startswith("already_reversed")
    again = client.send_advices([confirm])
    assert again[confirm.message_id].kind == "delivered"  # the stored first answer


@pytest.mark.parametrize(
    ("fault", "params"),
    [
        ("timeout", {"hold_s": 5}),
        ("reset", {}),
        ("down", {}),
        ("error_rate", {"status": 500}),
        ("malformed", {}),
    ],
)
def test_send_advices_transient_failures_raise(
    host: HostHarness, fault: str, params: dict[str, Any]
) -> None:
    host.set_fault(fault, count=1, **params)
    with pytest.raises(TransientSendError):
        host.client(read_timeout_s=0.3).send_advices(
            [Advice(host.message_id(), host.next_txn(), "void")]
        )


def test_send_advices_honours_retry_after(host: HostHarness) -> None:
    host.set_fault("error_rate", status=429, retry_after_s=3)
    with pytest.raises(TransientSendError) as raised:
        host.client().send_advices([Advice(host.message_id(), host.next_txn(), "void")])
    assert raised.value.retry_after_s == 3.0
    host.set_fault("down", mode="503", retry_after_s=9)
    with pytest.raises(TransientSendError) as raised:
        host.client().send_advices([Advice(host.message_id(), host.next_txn(), "void")])
    assert raised.value.retry_after_s == 9.0


def test_whole_batch_refused_parks_every_message(host: HostHarness) -> None:
    advices = [Advice(host.message_id(), host.next_txn(), "void") for _ in range(2)]
    outcomes = host.client(key="wrong").send_advices(advices)
    assert [o.kind for o in outcomes.values()] == ["dead", "dead"]
    assert all("bad_signature" in (o.error or "") for o in outcomes.values())


def test_batches_longer_than_the_host_limit_are_split(host: HostHarness) -> None:
    advices = [Advice(host.message_id(), host.next_txn(), "reversal") for _ in range(130)]
    outcomes = host.client().send_advices(advices)
    assert len(outcomes) == 130
    assert {o.kind for o in outcomes.values()} == {"delivered"}


def test_storno_classification(host: HostHarness) -> None:
    client = host.client()
    sale = client.provision(request(host))
    client.send_advices(
        [
            Advice(
                host.message_id(), sale.txn, "confirm", {"printed_at": host.clock.now().isoformat()}
            )
        ]
    )
    approved = client.storno(message_id=host.message_id(), txn=sale.txn)
    assert approved.approved and approved.storno_auth_code
    declined = client.storno(message_id=host.message_id(), txn=sale.txn)
    assert (declined.status, declined.reason_code) == ("declined", "storno_pending")
    host.set_fault("timeout", hold_s=5, count=1)
    unknown = host.client(read_timeout_s=0.3).storno(message_id=host.message_id(), txn=sale.txn)
    assert unknown.status == "unknown"


def test_lookups(host: HostHarness) -> None:
    client = host.client()
    catalog = client.catalog()
    assert len(catalog.billers) >= 50
    azercell = catalog.biller("azercell")
    assert azercell is not None and azercell.accepts("0501234567")
    assert not azercell.accepts("12")
    quote = client.imei_quote([tn.IMEI_DUOS_1, tn.IMEI_DUOS_2])
    assert (quote.fee_minor, quote.currency, quote.device_type) == (2_500, "AZN", "duos")
    with pytest.raises(HostDeclined) as declined:
        client.imei_quote([tn.IMEI_DUOS_1])
    assert declined.value.reason_code == "device_type_mismatch"
    sale = client.provision(request(host))
    view = client.transaction(sale.txn)
    assert view is not None and view["state"] == "provisioned"
    assert client.transaction(host.next_txn()) is None
    assert client.health() is True


def test_lookups_when_the_host_is_down(host: HostHarness) -> None:
    host.set_fault("down")
    client = host.client()
    assert client.health() is False
    with pytest.raises(HostUnavailable):
        client.catalog()
    with pytest.raises(HostUnavailable):
        client.transaction(host.next_txn())
    host.clear_faults()
    host.set_fault("malformed")
    with pytest.raises(HostProtocolError):
        client.catalog()


def test_retry_after_parsing() -> None:
    now = datetime(2026, 11, 22, 12, 0, tzinfo=UTC)
    assert retry_after_seconds("5", now) == 5.0
    later = (now + timedelta(seconds=30)).strftime("%a, %d %b %Y %H:%M:%S GMT")
    assert retry_after_seconds(later, now) == 30.0
    assert retry_after_seconds("soon", now) is None
    assert retry_after_seconds(None, now) is None


def test_an_advice_with_a_float_is_parked_not_sent(host: HostHarness) -> None:
    advice = Advice(host.message_id(), host.next_txn(), "confirm", {"amount": 1.5})
    fine = Advice(host.message_id(), host.next_txn(), "void")
    outcomes = host.client().send_advices([advice, fine])
    assert outcomes[advice.message_id].kind == "dead"
    assert "float" in (outcomes[advice.message_id].error or "")
    assert outcomes[fine.message_id].kind == "delivered"
