"""Reading the fields of a terminal's request: shape checks only, answered with ``400``.

The business checks (a card's limits, an IMEI's registry, a biller's account) are each
simulated issuer's; what is here is the same for every product and every message kind.
"""

from __future__ import annotations

import hashlib
import secrets
from collections.abc import Mapping
from datetime import datetime
from typing import Any

from foundation.host_wire import MESSAGE_ID_PATTERN, PRODUCTS, TXN_PATTERN, ErrorCode, dumps
from hostsim.errors import HttpError
from hostsim.products import ProvisionInput


def bad_request(message: str) -> HttpError:
    """A request the host cannot read: ``400 invalid_request`` with what is wrong."""
    return HttpError(400, ErrorCode.INVALID_REQUEST, message)


def digest(obj: Any) -> str:
    """sha256 of the canonical JSON of ``obj``: what a repeated message id is compared by."""
    return hashlib.sha256(dumps(obj)).hexdigest()


def auth_code() -> str:
    """A 6-character approval code without look-alike letters and digits."""
    return "".join(secrets.choice("ABCDEFGHJKLMNPQRSTUVWXYZ23456789") for _ in range(6))


def int_field(body: Mapping[str, Any], name: str, *, minimum: int = 0) -> int:
    value = body.get(name)
    if isinstance(value, bool) or not isinstance(value, int):
        raise bad_request(f"{name} must be an integer number of minor units, got {value!r}")
    if value < minimum:
        raise bad_request(f"{name} must be at least {minimum}, got {value}")
    return value


def message_id_of(body: Mapping[str, Any]) -> str:
    value = body.get("message_id")
    if not isinstance(value, str) or not MESSAGE_ID_PATTERN.fullmatch(value):
        raise bad_request("message_id must be 1-64 letters, digits or . _ : -")
    return value


def txn_of(body: Mapping[str, Any], name: str = "txn") -> str:
    value = body.get(name)
    if not isinstance(value, str) or not TXN_PATTERN.fullmatch(value):
        raise bad_request(f"{name} must be the 14-digit transaction number, got {value!r}")
    return value


def parse_time(text: Any) -> datetime | None:
    if not isinstance(text, str):
        return None
    try:
        parsed = datetime.fromisoformat(text.replace("Z", "+00:00"))
    except ValueError:
        return None
    return parsed if parsed.tzinfo is not None else None


def parse_provision(body: Mapping[str, Any]) -> tuple[str, ProvisionInput]:
    """Validate a provision body (shape only; business checks are the issuer's)."""
    message_id = message_id_of(body)
    txn = txn_of(body)
    product = body.get("product")
    if product not in PRODUCTS:
        raise bad_request(f"product must be one of {', '.join(PRODUCTS)}, got {product!r}")
    amount = int_field(body, "amount_minor", minimum=1)
    fees = int_field(body, "fees_minor")
    total = int_field(body, "total_minor", minimum=1)
    if total != amount + fees:
        raise bad_request(f"total_minor {total} is not amount_minor {amount} + fees_minor {fees}")
    currency = body.get("currency")
    if not isinstance(currency, str) or len(currency) != 3:
        raise bad_request(f"currency must be an ISO 4217 code such as EUR, got {currency!r}")
    target = body.get("target", "")
    if target is None:
        target = ""
    if not isinstance(target, str):
        raise bad_request("target must be text (card number, phone number, IMEI or account)")
    fields = body.get("fields", {})
    if not isinstance(fields, dict):
        raise bad_request("fields must be an object")
    return message_id, ProvisionInput(
        txn=txn,
        product=str(product),
        amount_minor=amount,
        fees_minor=fees,
        total_minor=total,
        currency=currency,
        target=target.strip(),
        fields=dict(fields),
    )


__all__ = [
    "auth_code",
    "bad_request",
    "digest",
    "int_field",
    "message_id_of",
    "parse_provision",
    "parse_time",
    "txn_of",
]
