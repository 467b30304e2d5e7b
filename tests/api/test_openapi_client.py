"""The local API's OpenAPI document, used as an integrator would: a client generated from it.

A kiosk is served by real uvicorn (``ApiServer``) over the reference host and the virtual
printer; its ``/openapi.json`` (fetched with the token, as served) goes through
openapi-python-client, offline, into a temporary package that this test imports. Through that
client the till sells, looks the sale up and reverses it, and every answer is an instance of the
generated model classes (``SaleResult``, ``TransactionView``, ``LookupResult``,
``StornoOutcome``, ``Error``), never an untyped ``dict``.

The document must also be *true*: the handlers send the services' own ``to_dict()``, so a
second test holds every answer of the typed operations to its declared model (strict: a key
the model does not declare fails, as does a missing one).
"""

from __future__ import annotations

import importlib
import re
import subprocess
import sys
from collections.abc import Iterator
from datetime import datetime
from pathlib import Path
from types import ModuleType
from typing import Any

import pytest
import requests
from helpers.kiosk import SALES, Counter
from pydantic import BaseModel

from terminal.api import ApiServer
from terminal.routes import clerks, devices, idempotency, reports, status, storno, transactions
from terminal.routes.sales import Quote
from terminal.routes.schemas import Error, SaleResult

#: The generator's own command, from the environment the tests run in (installed by the locks).
GENERATOR = Path(sys.executable).with_name("openapi-python-client")
PACKAGE = "kiosk_api_client"
#: Generating takes a few seconds; a hung generator must not hang the suite.
GENERATE_TIMEOUT_S = 120
HTTP_TIMEOUT = 10


@pytest.fixture
def api(rs_counter: Counter) -> Iterator[ApiServer]:
    assert rs_counter.kiosk is not None
    server = ApiServer(rs_counter.kiosk).start()
    yield server
    server.stop()


def _document(api: ApiServer) -> dict[str, Any]:
    response = requests.get(
        f"{api.url}/openapi.json",
        headers={"Authorization": f"Bearer {api.token}"},
        timeout=HTTP_TIMEOUT,
    )
    assert response.status_code == 200, response.text
    document: dict[str, Any] = response.json()
    return document


def _generate(api: ApiServer, folder: Path) -> ModuleType:
    """The client openapi-python-client makes from the served document, imported."""
    spec = folder / "openapi.json"
    spec.write_bytes(
        requests.get(
            f"{api.url}/openapi.json",
            headers={"Authorization": f"Bearer {api.token}"},
            timeout=HTTP_TIMEOUT,
        ).content
    )
    command = [str(GENERATOR), "generate", "--path", str(spec)]
    done = subprocess.run(
        [*command, "--output-path", str(folder / PACKAGE), "--meta", "none"],
        capture_output=True,
        text=True,
        timeout=GENERATE_TIMEOUT_S,
        cwd=folder,
        check=False,
    )
    assert done.returncode == 0, done.stdout + done.stderr
    sys.path.insert(0, str(folder))
    try:
        return importlib.import_module(PACKAGE)
    finally:
        sys.path.remove(str(folder))


@pytest.fixture
def client_package(api: ApiServer, tmp_path: Path) -> Iterator[ModuleType]:
    package = _generate(api, tmp_path)
    yield package
    for name in [n for n in sys.modules if n == PACKAGE or n.startswith(PACKAGE + ".")]:
        del sys.modules[name]


def _camel(snake: str) -> str:
    return "".join(part.capitalize() for part in snake.split("_"))


def test_a_generated_client_sells_looks_up_and_reverses_with_typed_results(
    rs_counter: Counter, api: ApiServer, client_package: ModuleType
) -> None:
    def load(name: str) -> Any:
        return importlib.import_module(f"{PACKAGE}.{name}")

    models = load("models")
    client = load("client").AuthenticatedClient(
        base_url=api.url, token=api.token, timeout=HTTP_TIMEOUT
    )
    sell = load("api.sales.sell")
    get_transaction = load("api.transactions.get_transaction")
    lookup = load("api.transactions.lookup")
    storno = load("api.storno.storno")

    sale = sell.sync(
        client=client, body=models.SellBody(product="mobile-topup", **SALES["mobile-topup"])
    )
    assert type(sale) is models.SaleResult, sale
    assert sale.state is models.SaleResultState.CONFIRMED
    assert (sale.total_minor, sale.change_minor, sale.currency) == (50_000, 0, "RSD")

    found = get_transaction.sync(txn=sale.txn, client=client)
    assert type(found) is models.TransactionView, found
    assert type(found.transaction) is models.Transaction
    assert found.transaction.state == "confirmed" and found.transaction.clerk == "api"
    assert isinstance(found.transaction.created_at, datetime)
    assert all(type(message) is models.OutboxMessage for message in found.outbox)
    assert [message.kind for message in found.outbox] == ["confirm"]

    looked_up = lookup.sync(client=client, txn=sale.txn)
    assert type(looked_up) is models.LookupResult, looked_up
    (entry,) = looked_up.entries
    assert type(entry) is models.LookupEntry and type(entry.local) is models.Transaction
    assert entry.txn == sale.txn and looked_up.host_reachable is True

    body = models.StornoBody(txn=sale.txn, reason="wrong_number", clerk="7")
    reversed_ = storno.sync(client=client, body=body)
    assert type(reversed_) is models.StornoOutcome, reversed_
    assert reversed_.state is models.StornoOutcomeState.STORNOED
    assert (reversed_.refund_minor, reversed_.clerk) == (50_000, "7")
    assert isinstance(reversed_.storno_printed_at, datetime)

    # a refusal is the error model, with the code a program can act on
    again = storno.sync(client=client, body=body)
    assert type(again) is models.Error, again
    assert type(again.error) is models.ErrorDetail
    assert again.error.code == "already_stornoed" and again.error.message
    after = get_transaction.sync(txn=sale.txn, client=client)
    assert after.transaction.state == "stornoed"
    assert rs_counter.printer.slips, "the sale and the storno printed on the virtual printer"


def test_every_operation_is_named_and_typed(api: ApiServer, client_package: ModuleType) -> None:
    document = _document(api)
    operations = {
        op["operationId"]: op
        for path, methods in document["paths"].items()
        for op in methods.values()
        if path.startswith("/api/")
    }
    assert {"sell", "get_transaction", "lookup", "storno", "quote", "get_status"} <= set(operations)
    for name, op in operations.items():
        assert re.fullmatch(r"[a-z][a-z_]*", name) and "api_v1" not in name, name
        responses = op["responses"]
        for code in ("401", "422"):
            assert responses[code]["content"]["application/json"]["schema"] == {
                "$ref": "#/components/schemas/Error"
            }, (name, code)
        ok = responses["200"]["content"]
        json_body = ok.get("application/json")
        if json_body is None:  # the store's backup file and the event stream
            assert set(ok) & {"application/vnd.sqlite3", "text/event-stream"}, (name, ok)
        else:
            assert set(json_body["schema"]) == {"$ref"}, (name, json_body)
    assert "HTTPValidationError" not in document["components"]["schemas"]

    # The generated classes carry the document's names, none made up by FastAPI
    # (``TransactionApiV1TransactionsTxnGetResponse...``, ``Body_...``).
    models = importlib.import_module(f"{PACKAGE}.models")
    names = set(models.__all__)
    assert {"SaleResult", "Transaction", "LookupResult", "StornoOutcome", "Error"} <= names
    generated_names = [_camel(op) + "Response" + _camel(op) for op in operations]
    for model in names:
        assert "ApiV1" not in model and not model.startswith("Body"), model
        assert not any(auto in model for auto in generated_names), model


def _get(api: ApiServer, path: str, **params: Any) -> Any:
    response = requests.get(
        api.url + "/api/v1" + path,
        params=params,
        headers={"Authorization": f"Bearer {api.token}"},
        timeout=HTTP_TIMEOUT,
    )
    return response


def _post(api: ApiServer, path: str, body: Any = None, **headers: str) -> Any:
    return requests.post(
        api.url + "/api/v1" + path,
        json=body,
        headers={"Authorization": f"Bearer {api.token}", **headers},
        timeout=HTTP_TIMEOUT,
    )


def _holds(model: type[BaseModel], response: Any, status: int = 200) -> dict[str, Any]:
    assert response.status_code == status, response.text
    body: dict[str, Any] = response.json()
    model.model_validate(body)  # strict: an undeclared or a missing key fails here
    return body


def test_every_typed_answer_matches_its_declared_model(rs_counter: Counter, api: ApiServer) -> None:
    sale = _holds(
        SaleResult,
        _post(
            api,
            "/sales",
            {"product": "mobile-topup", **SALES["mobile-topup"]},
            **{"Idempotency-Key": "4b0e4d1e-8d2a-4a47-9c61-0b7a4c1e9f10"},
        ),
    )
    txn = sale["txn"]
    _holds(Quote, _get(api, "/quote", product="mobile-topup", amount_minor=10_000))
    _holds(transactions.TransactionView, _get(api, f"/transactions/{txn}"))
    _holds(transactions.LookupResult, _get(api, "/lookup", txn=txn))
    _holds(transactions.LookupResult, _get(api, "/lookup", card_last4="4111"))
    found = _holds(
        idempotency.IdempotencyEntry,
        _get(api, "/idempotency-keys/4b0e4d1e-8d2a-4a47-9c61-0b7a4c1e9f10"),
    )
    assert found["transaction"]["txn"] == txn
    _holds(status.Status, _get(api, "/status"))
    _holds(status.Status, _post(api, "/status/refresh"))
    _holds(status.DrainReport, _post(api, "/queue/drain?timeout_s=5"))
    _holds(devices.DeviceStatus, _get(api, "/devices"))
    _holds(devices.InputEvents, _post(api, "/devices/wedge", {"keys": "12345\r"}))
    _holds(reports.Report, _get(api, "/reports/x"))
    _holds(reports.Report, _get(api, "/reports/z"))
    _holds(reports.Cash, _get(api, "/cash"))
    _holds(reports.Report, _post(api, "/reports/x", {}))
    _holds(clerks.ClerkList, _get(api, "/clerks"))
    added = _post(
        api, "/clerks", {"number": "42", "name": "Ana", "pin": "4242", "role": "supervisor"}
    )
    _holds(clerks.ClerkAnswer, added)
    _holds(clerks.ClerkAnswer, _post(api, "/clerks/sign-in", {"number": "42", "pin": "4242"}))
    _holds(clerks.ClerkAnswer, _post(api, "/clerks/42/sign-out", {}))
    done = _holds(
        storno.StornoOutcome,
        _post(api, "/stornos", {"txn": txn, "reason": "wrong_number", "clerk": "42"}),
    )
    assert done["state"] == "stornoed"
    _holds(storno.ReprintResult, _post(api, "/reprints", {}))
    _holds(transactions.LookupResult, _get(api, "/lookup", txn=txn))
    refused = _holds(Error, _get(api, "/transactions/" + "9" * 14), status=404)
    assert refused["error"]["code"] == "unknown_transaction"
    _holds(Error, _get(api, "/quote", product="mobile-topup", amount_minor=-1), status=422)
    z = _holds(reports.Report, _post(api, "/reports/z", {"clerk": "42", "pin": "4242"}))
    assert z["printed"] is True and z["z_number"] == 1
