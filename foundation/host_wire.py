"""Host protocol v1: the wire contract the terminal and the reference host both import.

Everything both sides must agree on byte for byte lives here and nowhere else: how a request is
signed, which headers carry the signature, the message kinds, the error and decline codes, and
how JSON is written and read (no floats: money is integer minor units). Keeping it in one leaf
module means a change to the contract is one diff that both sides see, and ``hostsim`` can import
it without importing the rest of the terminal (docs/internals.md, import rules).

The canonical signing string is::

    METHOD "\\n" PATH "\\n" TIMESTAMP "\\n" NONCE "\\n" sha256hex(BODY)

``PATH`` is the request target as sent (path plus ``?query`` when there is one), ``TIMESTAMP``
unix seconds as decimal digits, ``BODY`` the exact bytes sent (empty for GET). The signature is
the lowercase hex HMAC-SHA256 of that string (UTF-8) under the terminal's key (UTF-8 text).
"""

from __future__ import annotations

import hashlib
import hmac
import json
import re
import secrets
from collections.abc import Mapping
from typing import Any, Final

PROTOCOL_VERSION: Final = 1

HEADER_TERMINAL_ID: Final = "X-Terminal-Id"
HEADER_TIMESTAMP: Final = "X-Timestamp"
HEADER_NONCE: Final = "X-Nonce"
HEADER_SIGNATURE: Final = "X-Signature"
HEADER_PROTOCOL: Final = "X-Protocol-Version"

#: How far a request's timestamp may be from the host's clock, and how long nonces are kept.
DEFAULT_MAX_SKEW_S: Final = 300

#: Products the host provisions (same ids as ``terminal.catalog.PRODUCT_IDS``).
PRODUCTS: Final = (
    "card-topup",
    "card-sale",
    "mobile-topup",
    "imei-fee",
    "bill-payment",
    "benefit-payment",
)

#: Advice kinds the host accepts on ``/v1/advices`` (the terminal's outbox kinds).
ADVICE_KINDS: Final = ("confirm", "void", "reversal", "offline_sale", "storno")

#: Business-key kind of a provision (``txn`` + ``provision``) and of a storno request.
KIND_PROVISION: Final = "provision"
KIND_STORNO_REQUEST: Final = "storno_request"

#: Host-side states of a transaction, as ``GET /v1/transactions/{txn}`` reports them.
HOST_STATES: Final = (
    "provisioned",
    "declined",
    "confirmed",
    "voided",
    "reversed",
    "storno_pending",
    "stornoed",
)

#: Largest batch ``/v1/advices`` accepts; the client splits longer batches.
MAX_ADVICES_PER_BATCH: Final = 100

TXN_PATTERN: Final = re.compile(r"^[0-9]{14}$")
MESSAGE_ID_PATTERN: Final = re.compile(r"^[A-Za-z0-9._:-]{1,64}$")
NONCE_PATTERN: Final = re.compile(r"^[A-Za-z0-9_-]{16,64}$")


class ErrorCode:
    """``error.code`` values of non-2xx answers (``{"error": {"code", "message"}}``)."""

    INVALID_JSON: Final = "invalid_json"
    FLOAT_AMOUNT: Final = "float_not_allowed"
    INVALID_REQUEST: Final = "invalid_request"
    MISSING_AUTH: Final = "missing_auth"
    UNKNOWN_TERMINAL: Final = "unknown_terminal"
    BAD_SIGNATURE: Final = "bad_signature"
    STALE_TIMESTAMP: Final = "stale_timestamp"
    NONCE_REUSED: Final = "nonce_reused"
    FORBIDDEN: Final = "forbidden"
    NOT_FOUND: Final = "not_found"
    METHOD_NOT_ALLOWED: Final = "method_not_allowed"
    PAYLOAD_TOO_LARGE: Final = "payload_too_large"
    BUSINESS_KEY_CONFLICT: Final = "business_key_conflict"
    MESSAGE_ID_CONFLICT: Final = "message_id_conflict"
    INTERNAL_ERROR: Final = "internal_error"
    UNAVAILABLE: Final = "service_unavailable"


class DeclineCode:
    """``reason_code`` of a declined provision, storno or quote, and of a rejected advice."""

    UNKNOWN_CARD: Final = "unknown_card"
    CARD_BLOCKED: Final = "card_blocked"
    KYC_REQUIRED: Final = "kyc_required"
    PHONE_TOPUP_NOT_POSSIBLE: Final = "phone_topup_not_possible"
    INVALID_CARD_NUMBER: Final = "invalid_card_number"
    CARD_BALANCE_SPENT: Final = "card_balance_spent"
    CARD_TYPE_NOT_SOLD: Final = "card_type_not_sold"
    UNKNOWN_SUBSCRIBER: Final = "unknown_subscriber"
    SUBSCRIBER_BARRED: Final = "subscriber_barred"
    INVALID_PHONE_NUMBER: Final = "invalid_phone_number"
    INVALID_IMEI: Final = "invalid_imei"
    DEVICE_TYPE_MISMATCH: Final = "device_type_mismatch"
    AMOUNT_MISMATCH: Final = "amount_mismatch"
    UNKNOWN_BILLER: Final = "unknown_biller"
    INVALID_BILLER_ACCOUNT: Final = "invalid_biller_account"
    UNKNOWN_BENEFIT_ACCOUNT: Final = "unknown_benefit_account"
    BENEFIT_TYPE_NOT_ACCEPTED: Final = "benefit_type_not_accepted"
    INSUFFICIENT_BENEFIT_BALANCE: Final = "insufficient_benefit_balance"
    INVALID_BENEFIT_MESSAGE: Final = "invalid_benefit_message"
    AMOUNT_OUT_OF_RANGE: Final = "amount_out_of_range"
    CURRENCY_NOT_SUPPORTED: Final = "currency_not_supported"
    ALREADY_REVERSED: Final = "already_reversed"
    ALREADY_VOIDED: Final = "already_voided"
    ALREADY_CONFIRMED: Final = "already_confirmed"
    ALREADY_STORNOED: Final = "already_stornoed"
    STORNO_PENDING: Final = "storno_pending"
    STORNO_NOT_REQUESTED: Final = "storno_not_requested"
    STORNO_WINDOW_CLOSED: Final = "storno_window_closed"
    STORNO_NOT_ALLOWED: Final = "storno_not_allowed"
    WRONG_TERMINAL: Final = "wrong_terminal"
    UNKNOWN_TRANSACTION: Final = "unknown_transaction"
    NOT_APPROVED: Final = "not_approved"
    INVALID_ADVICE: Final = "invalid_advice"
    OFFLINE_NOT_ALLOWED: Final = "offline_not_allowed"


class ProtocolViolation(ValueError):
    """A body that breaks the wire contract (not JSON, a float amount, a missing field)."""

    def __init__(self, message: str, *, code: str = ErrorCode.INVALID_REQUEST) -> None:
        super().__init__(message)
        self.code = code


def body_sha256(body: bytes) -> str:
    """Hex SHA-256 of the exact body bytes (of ``b""`` for a request without a body)."""
    return hashlib.sha256(body).hexdigest()


def canonical_string(method: str, path: str, timestamp: str, nonce: str, body: bytes) -> str:
    """The text that is signed; any change to method, path, time, nonce or body changes it."""
    return "\n".join((method.upper(), path, timestamp, nonce, body_sha256(body)))


def sign_request(key: str, method: str, path: str, timestamp: str, nonce: str, body: bytes) -> str:
    """Hex HMAC-SHA256 of the canonical string under the terminal's key."""
    message = canonical_string(method, path, timestamp, nonce, body).encode("utf-8")
    return hmac.new(key.encode("utf-8"), message, hashlib.sha256).hexdigest()


def verify_request(
    key: str,
    method: str,
    path: str,
    timestamp: str,
    nonce: str,
    body: bytes,
    signature: str,
) -> bool:
    """Whether ``signature`` was made with ``key`` over exactly this request (constant time)."""
    expected = sign_request(key, method, path, timestamp, nonce, body)
    return hmac.compare_digest(expected, signature.strip().lower())


def new_nonce() -> str:
    """A fresh random nonce (32 hex characters); never reuse one within the skew window."""
    return secrets.token_hex(16)


def signed_headers(
    terminal_id: str,
    key: str,
    method: str,
    path: str,
    body: bytes,
    *,
    timestamp: int,
    nonce: str | None = None,
) -> dict[str, str]:
    """The headers a terminal adds to one request."""
    ts = str(int(timestamp))
    nonce = nonce or new_nonce()
    return {
        HEADER_TERMINAL_ID: terminal_id,
        HEADER_TIMESTAMP: ts,
        HEADER_NONCE: nonce,
        HEADER_SIGNATURE: sign_request(key, method, path, ts, nonce, body),
        HEADER_PROTOCOL: str(PROTOCOL_VERSION),
    }


def dumps(obj: Any) -> bytes:
    """Canonical JSON bytes: sorted keys, no spaces, UTF-8; a stored answer replays identically.

    Floats are refused so that no amount can ever be written as one.
    """
    _refuse_floats(obj, "$")
    return json.dumps(obj, sort_keys=True, separators=(",", ":"), ensure_ascii=False).encode(
        "utf-8"
    )


def _refuse_floats(obj: Any, where: str) -> None:
    if isinstance(obj, float):
        raise ProtocolViolation(
            f"{where} is a float; amounts are integer minor units", code=ErrorCode.FLOAT_AMOUNT
        )
    if isinstance(obj, Mapping):
        for k, v in obj.items():
            _refuse_floats(v, f"{where}.{k}")
    elif isinstance(obj, (list, tuple)):
        for i, v in enumerate(obj):
            _refuse_floats(v, f"{where}[{i}]")


def _no_float(text: str) -> Any:
    raise ProtocolViolation(
        f"number {text} has a fraction or exponent; amounts are integer minor units",
        code=ErrorCode.FLOAT_AMOUNT,
    )


def _no_constant(text: str) -> Any:
    raise ProtocolViolation(f"{text} is not a JSON number", code=ErrorCode.INVALID_JSON)


def loads(body: bytes) -> Any:
    """Parse a JSON body, refusing floats, NaN/Infinity and non-UTF-8 text."""
    try:
        text = body.decode("utf-8")
    except UnicodeDecodeError:
        raise ProtocolViolation("body is not UTF-8 text", code=ErrorCode.INVALID_JSON) from None
    try:
        return json.loads(text, parse_float=_no_float, parse_constant=_no_constant)
    except json.JSONDecodeError as exc:
        raise ProtocolViolation(f"body is not JSON: {exc}", code=ErrorCode.INVALID_JSON) from None


def error_body(code: str, message: str) -> dict[str, Any]:
    """The shape of every non-2xx answer."""
    return {"error": {"code": code, "message": message}}


__all__ = [
    "ADVICE_KINDS",
    "DEFAULT_MAX_SKEW_S",
    "HEADER_NONCE",
    "HEADER_PROTOCOL",
    "HEADER_SIGNATURE",
    "HEADER_TERMINAL_ID",
    "HEADER_TIMESTAMP",
    "HOST_STATES",
    "KIND_PROVISION",
    "KIND_STORNO_REQUEST",
    "MAX_ADVICES_PER_BATCH",
    "MESSAGE_ID_PATTERN",
    "NONCE_PATTERN",
    "PRODUCTS",
    "PROTOCOL_VERSION",
    "TXN_PATTERN",
    "DeclineCode",
    "ErrorCode",
    "ProtocolViolation",
    "body_sha256",
    "canonical_string",
    "dumps",
    "error_body",
    "loads",
    "new_nonce",
    "sign_request",
    "signed_headers",
    "verify_request",
]
