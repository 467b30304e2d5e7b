"""Card data at rest: what the store keeps of a payment card, and the keys it is kept under.

PCI DSS never allows a card's security code to be stored after authorisation, and requires a
stored card number to be unreadable. So the store keeps, of a card number, only its last four
digits, a masked form for display and a keyed digest (HMAC-SHA256 under a key derived from the
terminal's key) that lookup by the full number compares against. :func:`scrub` is applied to
everything the store writes into ``transactions`` and the journal; outbox payloads that must
carry the full number until the host has them get their scrubbed form on delivery.

Keys are derived from the terminal's key with HMAC and a purpose label, so the digest key and
the journal chain key are different keys and neither reveals the terminal's signing key.
"""

from __future__ import annotations

import hashlib
import hmac
from collections.abc import Mapping
from typing import Any

#: Keys whose values are a card's security code: dropped wherever they appear.
SECURITY_CODE_KEYS = frozenset({"cvc", "cvv", "cvv2", "cvc2", "security_code"})
#: Keys whose values are a full card number: replaced by the masked number.
CARD_NUMBER_KEYS = frozenset({"card_number", "pan"})
#: Set on a card target or voucher that went through :func:`scrub`.
REDACTED_MARK = "redacted"

CARD_DIGEST_PURPOSE = "kiosk card-number digest v1"
JOURNAL_CHAIN_PURPOSE = "kiosk journal chain v1"


def derive_key(terminal_key: str | bytes, purpose: str) -> bytes:
    """A key for one purpose, derived from the terminal's key (HMAC-SHA256 of the label)."""
    raw = terminal_key.encode("utf-8") if isinstance(terminal_key, str) else bytes(terminal_key)
    if not raw:
        raise ValueError("the terminal key is empty; set [terminal] key in kiosk.toml")
    return hmac.new(raw, purpose.encode("ascii"), hashlib.sha256).digest()


def digits_of(value: object) -> str:
    if not isinstance(value, str):
        return ""
    return "".join(ch for ch in value if "0" <= ch <= "9")


def card_digest(key: bytes, number: str) -> str:
    """The keyed digest a card number is found by; only its digits count."""
    return hmac.new(key, digits_of(number).encode("ascii"), hashlib.sha256).hexdigest()


def mask_number(number: str) -> str:
    """``5355 **** **** 9012``-free form: every digit but the last four starred, grouped by 4."""
    digits = digits_of(number)
    if len(digits) <= 4:
        return "*" * len(digits)
    starred = "*" * (len(digits) - 4) + digits[-4:]
    groups: list[str] = []
    while starred:
        groups.insert(0, starred[-4:])
        starred = starred[:-4]
    return " ".join(groups)


def redact_card_target(target: Mapping[str, Any], key: bytes | None) -> dict[str, Any]:
    """A card target without its number: last 4, masked form and (with a key) the digest."""
    out = {k: v for k, v in target.items() if k not in ("value",)}
    value = target.get("value")
    digits = digits_of(value)
    if digits:
        out["last4"] = digits[-4:]
        out["masked"] = mask_number(digits)
        out["display"] = out["masked"]
        if key is not None:
            out["digest"] = card_digest(key, digits)
    out[REDACTED_MARK] = True
    return out


def scrub(value: Any, key: bytes | None) -> Any:
    """``value`` with every card number masked and every security code dropped (deep copy).

    Card targets (``{"kind": "card", "value": ...}``) lose their ``value`` and gain a digest;
    ``card_number``/``pan`` entries become their masked form, ``cvc``/``security_code``
    entries disappear. Everything else is copied unchanged.
    """
    if isinstance(value, Mapping):
        if value.get("kind") == "card" and "value" in value:
            return redact_card_target(value, key)
        out: dict[str, Any] = {}
        for name, item in value.items():
            if name in SECURITY_CODE_KEYS:
                continue
            if name in CARD_NUMBER_KEYS and isinstance(item, str) and len(digits_of(item)) > 4:
                out[name] = mask_number(item)
                continue
            out[name] = scrub(item, key)
        return out
    if isinstance(value, list | tuple):
        return [scrub(item, key) for item in value]
    return value


def needs_scrub(value: Any) -> bool:
    """Whether :func:`scrub` would change anything (used to find rows an old version wrote)."""
    return scrub(value, None) != value


__all__ = [
    "CARD_DIGEST_PURPOSE",
    "CARD_NUMBER_KEYS",
    "JOURNAL_CHAIN_PURPOSE",
    "SECURITY_CODE_KEYS",
    "card_digest",
    "derive_key",
    "digits_of",
    "mask_number",
    "needs_scrub",
    "redact_card_target",
    "scrub",
]
