"""Repeats get the first answer; a business key has one effect whatever message ids arrive."""

from __future__ import annotations

import threading
from pathlib import Path

from helpers.hostsim import OTHER_TERMINAL_ID, OTHER_TERMINAL_KEY, HostHarness, run_host

from hostsim import subscribers
from hostsim.testnumbers import SUBSCRIBER


def test_same_provision_message_id_gets_the_first_answer_byte_for_byte(host: HostHarness) -> None:
    sale = host.sale("card-sale")
    first = host.signed("POST", "/v1/provision", sale)
    host.advance(5)
    again = host.signed("POST", "/v1/provision", sale)
    assert first.status_code == again.status_code == 200
    assert first.content == again.content
    # One card was reserved, not two.
    store = host.server.store
    issued = store.all("SELECT * FROM cards WHERE issued_txn = ?", (sale["txn"],))
    assert len(issued) == 1


def test_same_business_key_new_message_id_is_a_duplicate_with_the_original_result(
    host: HostHarness,
) -> None:
    sale = host.sale("mobile-topup")
    first = host.signed("POST", "/v1/provision", sale).json()
    second = host.signed("POST", "/v1/provision", {**sale, "message_id": host.message_id()}).json()
    assert second["duplicate"] is True
    assert second["original_message_id"] == sale["message_id"]
    assert second["auth_code"] == first["auth_code"]
    assert second["status"] == "approved"


def test_conflicting_content_for_the_same_txn_is_a_409(host: HostHarness) -> None:
    sale = host.sale("mobile-topup")
    host.signed("POST", "/v1/provision", sale)
    changed = {
        **sale,
        "message_id": host.message_id(),
        "amount_minor": 10_000,
        "total_minor": 10_000,
    }
    response = host.signed("POST", "/v1/provision", changed)
    assert response.status_code == 409
    assert response.json()["error"]["code"] == "business_key_conflict"
    reused_id = {**changed, "message_id": sale["message_id"]}
    response = host.signed("POST", "/v1/provision", reused_id)
    assert response.status_code == 409
    assert response.json()["error"]["code"] == "message_id_conflict"


def test_txn_of_another_terminal_is_a_409(host: HostHarness) -> None:
    sale = host.sale("mobile-topup")
    host.signed("POST", "/v1/provision", sale)
    response = host.signed(
        "POST",
        "/v1/provision",
        {**sale, "message_id": host.message_id()},
        terminal_id=OTHER_TERMINAL_ID,
        key=OTHER_TERMINAL_KEY,
    )
    assert response.status_code == 409


def test_repeated_advice_batch_is_byte_equal_and_has_one_effect(host: HostHarness) -> None:
    answer = host.provision("mobile-topup")
    batch = {
        "advices": [
            {
                "message_id": host.message_id(),
                "txn": answer["txn"],
                "kind": "confirm",
                "payload": {"printed_at": host.clock.now().isoformat()},
            },
            {
                "message_id": host.message_id(),
                "txn": host.next_txn(),
                "kind": "reversal",
                "payload": {},
            },
        ]
    }
    first = host.signed("POST", "/v1/advices", batch)
    again = host.signed("POST", "/v1/advices", batch)
    assert first.status_code == again.status_code == 200
    assert first.content == again.content
    assert [r["result"] for r in first.json()["results"]] == ["accepted", "accepted"]
    sub = subscribers.subscriber(host.server.store, SUBSCRIBER)
    assert sub is not None and sub["balance_minor"] == 50_000


def test_confirm_with_a_new_message_id_is_a_duplicate(host: HostHarness) -> None:
    answer = host.provision("mobile-topup")
    assert host.confirm(answer["txn"])["result"] == "accepted"
    again = host.confirm(answer["txn"])
    assert again["result"] == "duplicate"
    assert again["original_result"] == "accepted"
    assert again["duplicate"] is True
    sub = subscribers.subscriber(host.server.store, SUBSCRIBER)
    assert sub is not None and sub["balance_minor"] == 50_000


def test_single_advice_endpoint_has_the_same_semantics(host: HostHarness) -> None:
    answer = host.provision("bill-payment")
    advice = {
        "message_id": host.message_id(),
        "txn": answer["txn"],
        "kind": "confirm",
        "payload": {},
    }
    first = host.signed("POST", "/v1/advice", advice)
    again = host.signed("POST", "/v1/advice", advice)
    assert first.json()["result"] == "accepted"
    assert first.content == again.content


def test_stored_answers_survive_a_host_restart(tmp_path: Path) -> None:
    with run_host(tmp_path) as first_run:
        sale = first_run.sale("mobile-topup")
        before = first_run.signed("POST", "/v1/provision", sale).content
    with run_host(tmp_path) as second_run:
        after = second_run.signed("POST", "/v1/provision", sale).content
        assert after == before
        assert second_run.state(sale["txn"]) == "provisioned"


def test_concurrent_repeats_have_one_effect(host: HostHarness) -> None:
    sale = host.sale("card-sale")
    start = threading.Event()
    answers: list[bytes] = []
    lock = threading.Lock()

    def send() -> None:
        start.wait(timeout=5)
        content = host.signed("POST", "/v1/provision", sale).content
        with lock:
            answers.append(content)

    threads = [threading.Thread(target=send) for _ in range(8)]
    for thread in threads:
        thread.start()
    start.set()
    for thread in threads:
        thread.join(timeout=10)
    assert len(answers) == 8
    assert len(set(answers)) == 1
    issued = host.server.store.all("SELECT * FROM cards WHERE issued_txn = ?", (sale["txn"],))
    assert len(issued) == 1
