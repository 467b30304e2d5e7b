"""docs/host-openapi.json describes what the host really answers: every documented operation is
called over HTTP and its answer checked against the documented schema."""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any

import requests
from helpers.hostsim import HostHarness

from hostsim import testnumbers as tn

SPEC = json.loads((Path(__file__).parents[2] / "docs" / "host-openapi.json").read_text())
JSON_TYPES: dict[str, Any] = {
    "object": dict,
    "array": list,
    "string": str,
    "boolean": bool,
    "null": type(None),
}


def resolve(schema: dict[str, Any]) -> dict[str, Any]:
    while "$ref" in schema:
        name = schema["$ref"].removeprefix("#/components/schemas/")
        schema = SPEC["components"]["schemas"][name]
    return schema


def _type_ok(value: Any, name: str) -> bool:
    if name == "integer":
        return isinstance(value, int) and not isinstance(value, bool)
    if name == "number":
        return isinstance(value, (int, float)) and not isinstance(value, bool)
    return isinstance(value, JSON_TYPES[name])


def errors(value: Any, schema: dict[str, Any], where: str = "$") -> list[str]:
    """A small JSON Schema subset (what the spec uses): enough to catch drift."""
    schema = resolve(schema)
    if "oneOf" in schema:
        matches = [s for s in schema["oneOf"] if not errors(value, s, where)]
        return [] if len(matches) == 1 else [f"{where}: matches {len(matches)} of oneOf"]
    found: list[str] = []
    types = schema.get("type")
    if types is not None:
        names = types if isinstance(types, list) else [types]
        if not any(_type_ok(value, n) for n in names):
            return [f"{where}: {value!r} is not {types}"]
    if "const" in schema and value != schema["const"]:
        found.append(f"{where}: {value!r} != {schema['const']!r}")
    if "enum" in schema and value not in schema["enum"]:
        found.append(f"{where}: {value!r} not in enum")
    if isinstance(value, str) and "pattern" in schema and not re.search(schema["pattern"], value):
        found.append(f"{where}: {value!r} does not match {schema['pattern']}")
    if isinstance(value, int) and "minimum" in schema and value < schema["minimum"]:
        found.append(f"{where}: {value} < {schema['minimum']}")
    if isinstance(value, dict):
        for key in schema.get("required", []):
            if key not in value:
                found.append(f"{where}: missing {key}")
        for key, sub in schema.get("properties", {}).items():
            if key in value:
                found.extend(errors(value[key], sub, f"{where}.{key}"))
    if isinstance(value, list) and "items" in schema:
        for i, item in enumerate(value):
            found.extend(errors(item, schema["items"], f"{where}[{i}]"))
    return found


def check(response: requests.Response, method: str, path: str) -> None:
    operation = SPEC["paths"][path][method.lower()]
    documented = operation["responses"].get(str(response.status_code))
    assert documented is not None, f"{method} {path}: {response.status_code} is not documented"
    schema = documented["content"]["application/json"]["schema"]
    problems = errors(response.json(), schema)
    assert not problems, f"{method} {path} {response.status_code}: {problems}"
    CALLED.add((method.lower(), path))


CALLED: set[tuple[str, str]] = set()


def test_every_documented_operation_answers_as_documented(host: HostHarness) -> None:
    check(host.signed("GET", "/v1/health"), "GET", "/v1/health")
    check(host.signed("GET", "/v1/catalog"), "GET", "/v1/catalog")
    for product in (
        "mobile-topup",
        "card-sale",
        "card-topup",
        "imei-fee",
        "bill-payment",
        "benefit-payment",
    ):
        sale = host.sale(product)
        check(host.signed("POST", "/v1/provision", sale), "POST", "/v1/provision")
        check(
            host.signed("POST", "/v1/provision", {**sale, "message_id": host.message_id()}),
            "POST",
            "/v1/provision",
        )
        check(
            host.signed(
                "POST",
                "/v1/advices",
                {
                    "advices": [
                        {
                            "message_id": host.message_id(),
                            "txn": sale["txn"],
                            "kind": "confirm",
                            "payload": {},
                        },
                        {
                            "message_id": host.message_id(),
                            "txn": sale["txn"],
                            "kind": "void",
                            "payload": {},
                        },
                    ]
                },
            ),
            "POST",
            "/v1/advices",
        )
        check(
            host.signed("GET", f"/v1/transactions/{sale['txn']}"), "GET", "/v1/transactions/{txn}"
        )
    declined = host.sale("mobile-topup", target=tn.BARRED_SUBSCRIBER)
    check(host.signed("POST", "/v1/provision", declined), "POST", "/v1/provision")
    conflict = {
        **declined,
        "message_id": host.message_id(),
        "amount_minor": 5_000,
        "total_minor": 5_000,
    }
    check(host.signed("POST", "/v1/provision", conflict), "POST", "/v1/provision")
    bad = host.signed("POST", "/v1/provision", raw=b'{"amount_minor": 1.5}')
    check(bad, "POST", "/v1/provision")
    check(host.signed("POST", "/v1/provision", {}, key="wrong"), "POST", "/v1/provision")

    sale = host.provision("mobile-topup")
    check(
        host.signed(
            "POST",
            "/v1/advice",
            {"message_id": host.message_id(), "txn": sale["txn"], "kind": "confirm"},
        ),
        "POST",
        "/v1/advice",
    )
    storno = {"message_id": host.message_id(), "txn": sale["txn"]}
    check(host.signed("POST", "/v1/storno", storno), "POST", "/v1/storno")
    check(
        host.signed("POST", "/v1/storno", {**storno, "message_id": host.message_id()}),
        "POST",
        "/v1/storno",
    )
    check(
        host.signed("POST", "/v1/imei/quote", {"imeis": [tn.IMEI_SINGLE]}), "POST", "/v1/imei/quote"
    )
    check(
        host.signed("POST", "/v1/imei/quote", {"imeis": [tn.IMEI_DUOS_1]}), "POST", "/v1/imei/quote"
    )
    check(
        host.signed("GET", f"/v1/transactions/{host.next_txn()}"), "GET", "/v1/transactions/{txn}"
    )

    check(
        host.admin(
            "POST",
            "/admin/faults",
            {"kind": "error_rate", "rate": 0.25, "path_prefix": "/v1/never"},
        ),
        "POST",
        "/admin/faults",
    )
    check(host.admin("GET", "/admin/faults"), "GET", "/admin/faults")
    check(host.admin("DELETE", "/admin/faults?kind=error_rate"), "DELETE", "/admin/faults")
    check(host.admin("POST", "/admin/sweep"), "POST", "/admin/sweep")
    check(
        host.admin("POST", "/admin/terminals", {"terminal_id": "77777", "key": "k"}),
        "POST",
        "/admin/terminals",
    )
    check(
        host.admin("GET", "/admin/customer-messages?target=%2B381641234567"),
        "GET",
        "/admin/customer-messages",
    )
    check(
        host.admin("GET", f"/admin/transactions/{sale['txn']}"), "GET", "/admin/transactions/{txn}"
    )
    check(
        host.admin("GET", "/admin/subscribers/%2B381641234567"),
        "GET",
        "/admin/subscribers/{msisdn}",
    )
    check(
        host.admin("POST", "/admin/subscribers/%2B381641234567/spend", {"amount_minor": 100}),
        "POST",
        "/admin/subscribers/{msisdn}/spend",
    )

    documented = {(m, p) for p, ops in SPEC["paths"].items() for m in ops}
    assert documented == CALLED, f"not exercised: {documented - CALLED}"


def test_spec_is_openapi_31_and_every_reference_resolves() -> None:
    assert SPEC["openapi"] == "3.1.0"
    text = json.dumps(SPEC)
    for name in re.findall(r'"#/components/schemas/([A-Za-z]+)"', text):
        assert name in SPEC["components"]["schemas"], name
