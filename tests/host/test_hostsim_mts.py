"""MTS subscriber semantics: balance and validity, storno window, storno debt over top-ups."""

from __future__ import annotations

from typing import Any

from helpers.hostsim import OTHER_TERMINAL_ID, OTHER_TERMINAL_KEY, HostHarness

from hostsim import subscribers
from hostsim.messages import list_messages
from hostsim.testnumbers import SUBSCRIBER


def topup(host: HostHarness, amount_minor: int) -> str:
    answer = host.provision("mobile-topup", amount_minor=amount_minor)
    assert answer["status"] == "approved", answer
    assert host.confirm(answer["txn"])["result"] == "accepted"
    return str(answer["txn"])


def storno(host: HostHarness, txn: str, **kw: Any) -> dict[str, Any]:
    body = {"message_id": host.message_id(), "txn": txn}
    response = host.signed("POST", "/v1/storno", body, **kw)
    assert response.status_code == 200, response.text
    answer: dict[str, Any] = response.json()
    return answer


def complete_storno(host: HostHarness, txn: str) -> dict[str, Any]:
    return host.advise(txn, "storno")


def account(host: HostHarness) -> dict[str, Any]:
    response = host.admin("GET", "/admin/subscribers/%2B381641234567")
    assert response.status_code == 200
    data: dict[str, Any] = response.json()
    return data


def spend(host: HostHarness, amount_minor: int) -> None:
    response = host.admin(
        "POST", "/admin/subscribers/%2B381641234567/spend", {"amount_minor": amount_minor}
    )
    assert response.status_code == 200, response.text


def texts(host: HostHarness, kind: str, language: str = "en") -> list[str]:
    return [
        m.text
        for m in list_messages(host.server.store, target=SUBSCRIBER, language=language)
        if m.kind == kind
    ]


def test_topup_credits_balance_extends_validity_and_sends_the_message(host: HostHarness) -> None:
    txn = topup(host, 50_000)
    assert account(host)["balance_minor"] == 50_000
    assert account(host)["valid_until"] == "2026-12-22"
    topup(host, 10_000)
    assert account(host)["valid_until"] == "2027-01-21"
    serbian = texts(host, "topup", "sr-Latn")[0]
    assert serbian == (
        "Poštovani, u 13:00 Vaš račun je dopunjen sa 500 DIN i važi do 22.12.2026. "
        f"Nakon dobijanja slipa možete izvršiti plaćanje. Transakcija: {txn}"
    )
    assert texts(host, "topup")[0].startswith("Dear customer, at 13:00 your account was topped")


def test_storno_inside_the_window_reverses_the_topup(host: HostHarness) -> None:
    txn = topup(host, 50_000)
    host.advance(299)
    answer = storno(host, txn)
    assert answer["status"] == "approved"
    assert host.state(txn) == "storno_pending"
    assert complete_storno(host, txn)["result"] == "accepted"
    assert host.state(txn) == "stornoed"
    assert account(host)["balance_minor"] == 0
    assert account(host)["debt_minor"] == 0
    assert texts(host, "storno") == [
        f"Storno of transaction {txn} for 500 DIN started; if you spent part of it, that part "
        "is deducted from your next top-up."
    ]


def test_storno_at_the_window_end_is_allowed_one_second_later_refused(host: HostHarness) -> None:
    inside = topup(host, 10_000)
    outside = topup(host, 10_000)
    host.advance(300)
    assert storno(host, inside)["status"] == "approved"
    host.advance(1)
    refused = storno(host, outside)
    assert refused["status"] == "declined"
    assert refused["reason_code"] == "storno_window_closed"
    assert host.state(outside) == "confirmed"


def test_window_starts_at_the_reported_print_time(host: HostHarness) -> None:
    answer = host.provision("mobile-topup", amount_minor=10_000)
    printed_at = host.clock.now().isoformat()
    host.advance(100)  # the confirm waited in the outbox for 100 s
    host.confirm(answer["txn"], printed_at=printed_at)
    host.advance(201)
    assert storno(host, answer["txn"])["reason_code"] == "storno_window_closed"


def test_storno_from_another_terminal_is_refused(host: HostHarness) -> None:
    txn = topup(host, 10_000)
    answer = storno(host, txn, terminal_id=OTHER_TERMINAL_ID, key=OTHER_TERMINAL_KEY)
    assert answer["status"] == "declined"
    assert answer["reason_code"] == "wrong_terminal"


def test_second_storno_is_refused(host: HostHarness) -> None:
    txn = topup(host, 10_000)
    assert storno(host, txn)["status"] == "approved"
    pending = storno(host, txn)
    assert pending["reason_code"] == "storno_pending"
    complete_storno(host, txn)
    again = storno(host, txn)
    assert (again["status"], again["reason_code"]) == ("declined", "already_stornoed")
    assert account(host)["balance_minor"] == 0


def test_storno_request_repeat_gets_the_first_answer(host: HostHarness) -> None:
    txn = topup(host, 10_000)
    body = {"message_id": host.message_id(), "txn": txn}
    first = host.signed("POST", "/v1/storno", body)
    again = host.signed("POST", "/v1/storno", body)
    assert first.content == again.content
    assert first.json()["status"] == "approved"


def test_storno_that_is_never_completed_lapses(host: HostHarness) -> None:
    txn = topup(host, 10_000)
    assert storno(host, txn)["status"] == "approved"
    host.advance(121)
    host.signed("GET", "/v1/health")
    assert host.state(txn) == "confirmed"
    assert complete_storno(host, txn)["code"] == "storno_not_requested"
    assert account(host)["balance_minor"] == 10_000


def test_storno_overtaking_its_confirm_confirms_first(host: HostHarness) -> None:
    answer = host.provision("mobile-topup", amount_minor=10_000)
    body = {
        "message_id": host.message_id(),
        "txn": answer["txn"],
        "printed_at": host.clock.now().isoformat(),
    }
    assert host.signed("POST", "/v1/storno", body).json()["status"] == "approved"
    assert host.confirm(answer["txn"])["result"] == "duplicate"
    complete_storno(host, answer["txn"])
    assert account(host)["balance_minor"] == 0


def test_spend_then_storno_leaves_a_debt(host: HostHarness) -> None:
    txn = topup(host, 50_000)
    spend(host, 42_100)
    storno(host, txn)
    complete_storno(host, txn)
    assert account(host)["balance_minor"] == 0
    assert account(host)["debt_minor"] == 42_100


def test_debt_is_collected_over_two_later_topups_421_then_79(host: HostHarness) -> None:
    """The operator's worked example: 500 DIN stornoed after all of it was spent; the next
    top-up of 421 DIN goes entirely to the debt, the one after pays the remaining 79 DIN."""
    txn = topup(host, 50_000)
    spend(host, 50_000)
    storno(host, txn)
    complete_storno(host, txn)
    assert account(host)["debt_minor"] == 50_000
    topup(host, 42_100)
    assert (account(host)["balance_minor"], account(host)["debt_minor"]) == (0, 7_900)
    topup(host, 50_000)
    assert (account(host)["balance_minor"], account(host)["debt_minor"]) == (42_100, 0)
    assert texts(host, "debt_collected", "sr-Latn") == [
        "Poštovani, naplaćen vam je zaostali dug nastao kao posledica storniranja prethodnih "
        "dopuna u iznosu 421 DIN.",
        "Poštovani, naplaćen vam je zaostali dug nastao kao posledica storniranja prethodnih "
        "dopuna u iznosu 79 DIN.",
    ]


def test_provision_announces_the_debt_it_will_collect(host: HostHarness) -> None:
    txn = topup(host, 10_000)
    spend(host, 10_000)
    storno(host, txn)
    complete_storno(host, txn)
    answer = host.provision("mobile-topup", amount_minor=5_000)
    assert answer["product_data"]["debt_to_collect_minor"] == 5_000


def test_spend_more_than_the_balance_is_refused(host: HostHarness) -> None:
    topup(host, 10_000)
    response = host.admin(
        "POST", "/admin/subscribers/%2B381641234567/spend", {"amount_minor": 10_001}
    )
    assert response.status_code == 400
    assert subscribers.subscriber(host.server.store, SUBSCRIBER) is not None
    assert account(host)["balance_minor"] == 10_000
