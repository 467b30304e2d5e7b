"""``Idempotency-Key`` on the local API (issue 14, item 2), over real uvicorn and a real store.

The same key twice gives one sale and the same answer; while the first still prints, 409
``in_progress`` with its txn; the same key with another body is refused (422); a sale whose
answer was lost (the till's connection closed after the sale) is found by its key; a key stored
with a sale that a crash cut off answers from the settled sale after recovery.
"""

from __future__ import annotations

import json
import socket
import threading
from collections.abc import Iterator
from datetime import UTC, datetime
from typing import Any

import pytest
import requests
from click.testing import CliRunner
from helpers.kiosk import SALES, Counter

from offline_queue.idempotency import IdempotencyClaim
from terminal.api import ApiServer, SellBody
from terminal.cli import main
from terminal.idempotency import SALES as SALES_ENDPOINT
from terminal.idempotency import fingerprint

BODY = {"product": "mobile-topup", **SALES["mobile-topup"]}


@pytest.fixture
def api(rs_counter: Counter) -> Iterator[ApiServer]:
    assert rs_counter.kiosk is not None
    server = ApiServer(rs_counter.kiosk).start()
    yield server
    server.stop()


def _post(api: ApiServer, path: str, body: dict[str, Any], key: str | None) -> requests.Response:
    headers = {"Authorization": f"Bearer {api.token}"}
    if key is not None:
        headers["Idempotency-Key"] = key
    return requests.post(api.url + path, json=body, headers=headers, timeout=30)


def _get(api: ApiServer, path: str) -> requests.Response:
    return requests.get(
        api.url + path, headers={"Authorization": f"Bearer {api.token}"}, timeout=10
    )


def _sales_count(counter: Counter) -> int:
    assert counter.kiosk is not None
    return len(counter.kiosk.store.list_transactions(limit=1000))


class Gate:
    """Holds the sale at its print until released, so a twin request meets it printing."""

    def __init__(self, counter: Counter, monkeypatch: pytest.MonkeyPatch) -> None:
        assert counter.kiosk is not None
        self.entered = threading.Event()
        self.release = threading.Event()
        self.done = threading.Event()
        the_counter = counter.kiosk.counter
        real_print = the_counter.print_proven

        def gated_print(doc: Any) -> str | None:
            self.entered.set()
            assert self.release.wait(30)
            return real_print(doc)

        monkeypatch.setattr(the_counter, "print_proven", gated_print)
        keyed = counter.kiosk.idempotency
        real_sell = keyed.sell

        def sell_then_signal(*args: Any, **kwargs: Any) -> Any:
            try:
                return real_sell(*args, **kwargs)
            finally:
                self.done.set()

        monkeypatch.setattr(keyed, "sell", sell_then_signal)


def test_same_key_twice_is_one_sale_and_the_same_answer(
    rs_counter: Counter, api: ApiServer, monkeypatch: pytest.MonkeyPatch
) -> None:
    gate = Gate(rs_counter, monkeypatch)
    first: list[requests.Response] = []
    thread = threading.Thread(
        target=lambda: first.append(_post(api, "/api/v1/sales", BODY, "till-0001"))
    )
    thread.start()
    assert gate.entered.wait(30)

    # while the slip prints: 409 in_progress, naming the transaction
    busy = _post(api, "/api/v1/sales", BODY, "till-0001")
    assert busy.status_code == 409
    error = busy.json()["error"]
    assert error["code"] == "in_progress" and len(error["txn"]) == 14
    # the same key with another body: refused, nothing done
    other = _post(api, "/api/v1/sales", {**BODY, "amount_minor": 60000}, "till-0001")
    assert other.status_code == 422
    assert other.json()["error"]["code"] == "idempotency_key_reused"

    gate.release.set()
    thread.join(30)
    assert first[0].status_code == 200, first[0].text
    answer = first[0].json()
    assert answer["state"] == "confirmed" and answer["txn"] == error["txn"]

    again = _post(api, "/api/v1/sales", BODY, "till-0001")
    assert again.status_code == 200 and again.json() == answer
    assert _sales_count(rs_counter) == 1
    assert len(rs_counter.printer.slips) == 1
    # another endpoint with that key is another request: refused too
    reused = _post(api, "/api/v1/reports/x", {}, "till-0001")
    assert reused.status_code == 422 and reused.json()["error"]["code"] == "idempotency_key_reused"
    # a new key is a new sale
    fresh = _post(api, "/api/v1/sales", BODY, "till-0002")
    assert fresh.status_code == 200 and fresh.json()["txn"] != answer["txn"]
    assert _sales_count(rs_counter) == 2


def test_a_sale_whose_answer_was_lost_is_found_by_its_key(
    rs_counter: Counter, api: ApiServer, monkeypatch: pytest.MonkeyPatch
) -> None:
    gate = Gate(rs_counter, monkeypatch)
    raw = json.dumps(BODY).encode()
    host, port = api.url.removeprefix("http://").split(":")
    till = socket.create_connection((host, int(port)), timeout=10)
    till.sendall(
        b"POST /api/v1/sales HTTP/1.1\r\n"
        + f"Host: {host}\r\nAuthorization: Bearer {api.token}\r\n".encode()
        + b"Idempotency-Key: lost-answer-1\r\nContent-Type: application/json\r\n"
        + f"Content-Length: {len(raw)}\r\nConnection: close\r\n\r\n".encode()
        + raw
    )
    assert gate.entered.wait(30)
    till.close()  # the connection drops: the till never reads the answer
    gate.release.set()
    assert gate.done.wait(30)
    assert rs_counter.printer.wait_for_slips(1, timeout=10)

    found = _get(api, "/api/v1/idempotency-keys/lost-answer-1")
    assert found.status_code == 200
    entry = found.json()
    assert entry["endpoint"] == "POST /api/v1/sales" and entry["status"] == 200
    assert entry["transaction"]["state"] == "confirmed"
    assert entry["response"]["txn"] == entry["txn"] == entry["transaction"]["txn"]

    retry = _post(api, "/api/v1/sales", BODY, "lost-answer-1")
    assert retry.status_code == 200 and retry.json() == entry["response"]
    assert _sales_count(rs_counter) == 1 and len(rs_counter.printer.slips) == 1

    unknown = _get(api, "/api/v1/idempotency-keys/never-sent")
    assert unknown.status_code == 404
    assert unknown.json()["error"]["code"] == "unknown_idempotency_key"
    bad = _post(api, "/api/v1/sales", BODY, "bad key with spaces")
    assert bad.status_code == 422 and _sales_count(rs_counter) == 1


def test_a_key_recorded_with_a_sale_cut_off_by_a_crash_answers_the_settled_sale(
    rs_counter: Counter,
) -> None:
    counter = rs_counter
    kiosk = counter.kiosk
    assert kiosk is not None
    # what a process that died right after recording left: the sale and its key, one commit
    sent = SellBody(**BODY).model_dump()  # the body as the API reads it
    claim = IdempotencyClaim("crash-key-1", SALES_ENDPOINT, fingerprint(SALES_ENDPOINT, sent))
    left = kiosk.store.record(
        product="mobile-topup",
        currency="RSD",
        amount_minor=50000,
        fees=[],
        total_minor=50000,
        cash_minor=50000,
        change_minor=0,
        target={"phone": "+381641234567"},
        details={},
        clerk="api",
        idempotency=claim,
    )
    counter.close()
    restarted = counter.open()  # crash recovery settles the sale
    server = ApiServer(restarted).start()
    try:
        answer = _post(server, "/api/v1/sales", BODY, "crash-key-1")
        assert answer.status_code == 409, answer.text
        assert answer.json()["txn"] == left.txn and answer.json()["state"] == "failed"
        assert _sales_count(counter) == 1 and counter.printer.slips == []
        assert _post(server, "/api/v1/sales", BODY, "crash-key-1").json() == answer.json()
    finally:
        server.stop()


def test_stornos_reprints_and_reports_replay_their_first_answer(
    rs_counter: Counter, api: ApiServer
) -> None:
    sold = _post(api, "/api/v1/sales", BODY, "sale-for-storno")
    txn = sold.json()["txn"]
    body = {"txn": txn, "reason": "wrong_number", "clerk": "7"}
    storno = _post(api, "/api/v1/stornos", body, "storno-1")
    assert storno.status_code == 200 and storno.json()["state"] == "stornoed"
    again = _post(api, "/api/v1/stornos", body, "storno-1")
    assert again.status_code == 200 and again.json() == storno.json()
    without_key = _post(api, "/api/v1/stornos", body, None)
    assert without_key.json()["error"]["code"] == "already_stornoed"

    copy = _post(api, "/api/v1/reprints", {"txn": txn, "slip": "sale"}, "copy-1")
    assert copy.status_code == 200 and copy.json()["copy_number"] == 1
    assert _post(api, "/api/v1/reprints", {"txn": txn, "slip": "sale"}, "copy-1").json() == (
        copy.json()
    )
    slips = len(rs_counter.printer.slips)
    x = _post(api, "/api/v1/reports/x", {}, "x-1")
    assert x.status_code == 200
    assert _post(api, "/api/v1/reports/x", {}, "x-1").json() == x.json()
    assert len(rs_counter.printer.slips) == slips + 1  # one X slip for two requests
    # a refusal keeps no key: the corrected retry may use it
    refused = _post(api, "/api/v1/stornos", {**body, "txn": "54321000000001"}, "storno-2")
    assert refused.status_code == 422
    assert _get(api, "/api/v1/idempotency-keys/storno-2").status_code == 404


def test_the_openapi_document_names_the_header(rs_counter: Counter, api: ApiServer) -> None:
    document = _get(api, "/openapi.json").json()
    for path in (
        "/api/v1/sales",
        "/api/v1/stornos",
        "/api/v1/reprints",
        "/api/v1/reports/x",
        "/api/v1/reports/z",
    ):
        names = [p["name"] for p in document["paths"][path]["post"].get("parameters", [])]
        assert "Idempotency-Key" in names, path
    assert "/api/v1/idempotency-keys/{key}" in document["paths"]


def test_kiosk_sell_with_an_idempotency_key_sells_once(rs_counter: Counter) -> None:
    counter = rs_counter
    counter.clock.set_wall(datetime.now(UTC))  # the in-process kiosk uses the real clock
    counter.close()
    args = ["--config", str(counter.folder / "kiosk.toml"), "sell", "mobile-topup"]
    args += ["--target", "064 1234567", "--amount", "500", "--cash", "500", "--json"]
    first = CliRunner().invoke(main, [*args, "--idempotency-key", "cli-1"])
    assert first.exit_code == 0, first.output
    second = CliRunner().invoke(main, [*args, "--idempotency-key", "cli-1"])
    assert second.exit_code == 0 and json.loads(second.stdout) == json.loads(first.stdout)
    other = CliRunner().invoke(
        main, [*args[:-3], "--cash", "600", "--json", "--idempotency-key", "cli-1"]
    )
    assert other.exit_code == 1
    assert json.loads(other.stdout)["error"]["code"] == "idempotency_key_reused"
    counter.open()
    assert _sales_count(counter) == 1
