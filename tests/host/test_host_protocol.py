"""Request signing: what verifies, what does not, and how the host answers a bad signature."""

from __future__ import annotations

import pytest
import requests
from helpers.hostsim import OTHER_TERMINAL_KEY, HostHarness

from foundation.host_wire import (
    ErrorCode,
    ProtocolViolation,
    canonical_string,
    dumps,
    loads,
    new_nonce,
    sign_request,
    signed_headers,
    verify_request,
)

KEY = "secret-key"
BODY = b'{"txn":"12345000000001"}'
TS = "1790000000"
NONCE = "0123456789abcdef0123456789abcdef"


def test_canonical_string_is_method_path_time_nonce_and_body_hash() -> None:
    text = canonical_string("post", "/v1/provision", TS, NONCE, b"")
    assert text.split("\n") == [
        "POST",
        "/v1/provision",
        TS,
        NONCE,
        "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855",
    ]


def test_signature_verifies_and_every_tampered_part_fails() -> None:
    sig = sign_request(KEY, "POST", "/v1/provision", TS, NONCE, BODY)
    assert len(sig) == 64
    assert verify_request(KEY, "POST", "/v1/provision", TS, NONCE, BODY, sig)
    assert not verify_request(KEY, "POST", "/v1/provision", TS, NONCE, BODY + b" ", sig)
    assert not verify_request(KEY, "POST", "/v1/storno", TS, NONCE, BODY, sig)
    assert not verify_request(KEY, "PUT", "/v1/provision", TS, NONCE, BODY, sig)
    assert not verify_request(KEY, "POST", "/v1/provision", "1790000001", NONCE, BODY, sig)
    assert not verify_request(KEY, "POST", "/v1/provision", TS, new_nonce(), BODY, sig)
    assert not verify_request("other-key", "POST", "/v1/provision", TS, NONCE, BODY, sig)


def test_json_refuses_floats_both_ways() -> None:
    with pytest.raises(ProtocolViolation) as written:
        dumps({"amount_minor": 1.5})
    assert written.value.code == ErrorCode.FLOAT_AMOUNT
    with pytest.raises(ProtocolViolation) as read:
        loads(b'{"amount_minor": 150.0}')
    assert read.value.code == ErrorCode.FLOAT_AMOUNT
    assert loads(dumps({"b": 1, "a": "č"})) == {"a": "č", "b": 1}
    assert dumps({"b": 1, "a": 2}) == b'{"a":2,"b":1}'


def test_signed_request_is_accepted(host: HostHarness) -> None:
    response = host.signed("GET", "/v1/catalog")
    assert response.status_code == 200


def test_stale_timestamp_is_rejected(host: HostHarness) -> None:
    signed_at = int(host.clock.now().timestamp())
    host.advance(301)
    response = host.signed("GET", "/v1/catalog", timestamp=signed_at)
    assert response.status_code == 401
    assert response.json()["error"]["code"] == ErrorCode.STALE_TIMESTAMP
    # A timestamp exactly at the edge of the window (300 s) still passes.
    response = host.signed("GET", "/v1/catalog", timestamp=signed_at + 1)
    assert response.status_code == 200
    future = int(host.clock.now().timestamp()) + 301
    assert host.signed("GET", "/v1/catalog", timestamp=future).status_code == 401


def test_reused_nonce_is_rejected(host: HostHarness) -> None:
    nonce = new_nonce()
    assert host.signed("GET", "/v1/catalog", nonce=nonce).status_code == 200
    again = host.signed("GET", "/v1/catalog", nonce=nonce)
    assert again.status_code == 401
    assert again.json()["error"]["code"] == ErrorCode.NONCE_REUSED


def test_bad_signature_unknown_terminal_and_missing_headers(host: HostHarness) -> None:
    wrong_key = host.signed("GET", "/v1/catalog", key=OTHER_TERMINAL_KEY)
    assert wrong_key.status_code == 401
    assert wrong_key.json()["error"]["code"] == ErrorCode.BAD_SIGNATURE
    unknown = host.signed("GET", "/v1/catalog", terminal_id="99999")
    assert unknown.status_code == 401
    assert unknown.json()["error"]["code"] == ErrorCode.UNKNOWN_TERMINAL
    bare = requests.get(host.url + "/v1/catalog", timeout=5)
    assert bare.status_code == 401
    assert bare.json()["error"]["code"] == ErrorCode.MISSING_AUTH


def test_body_swapped_after_signing_is_rejected_over_http(host: HostHarness) -> None:
    sale = host.sale("mobile-topup")
    headers = signed_headers(
        host.terminal_id,
        host.key,
        "POST",
        "/v1/provision",
        dumps(sale),
        timestamp=int(host.clock.now().timestamp()),
    )
    tampered = dumps({**sale, "amount_minor": 999_900, "total_minor": 999_900})
    response = requests.post(host.url + "/v1/provision", data=tampered, headers=headers, timeout=5)
    assert response.status_code == 401
    assert response.json()["error"]["code"] == ErrorCode.BAD_SIGNATURE
    assert host.state(sale["txn"]) is None


def test_float_amount_is_a_400(host: HostHarness) -> None:
    raw = dumps(host.sale("mobile-topup")).replace(b'"amount_minor":50000', b'"amount_minor":500.0')
    response = host.signed("POST", "/v1/provision", raw=raw)
    assert response.status_code == 400
    assert response.json()["error"]["code"] == ErrorCode.FLOAT_AMOUNT


def test_header_names_are_case_blind(host: HostHarness) -> None:
    headers = signed_headers(
        host.terminal_id,
        host.key,
        "GET",
        "/v1/catalog",
        b"",
        timestamp=int(host.clock.now().timestamp()),
    )
    lowered = {name.lower(): value for name, value in headers.items()}
    assert requests.get(host.url + "/v1/catalog", headers=lowered, timeout=5).status_code == 200
