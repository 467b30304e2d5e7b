"""The store's field codecs: one text form of a time, money checks, JSON objects, limits.

Every area of the store reads and writes its columns through these, so a time is stored one
way and an amount refused with one message wherever it enters.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from datetime import UTC, datetime
from typing import Any

from offline_queue.carddata import scrub
from offline_queue.errors import InvalidRecord
from offline_queue.journal import canonical_json


def to_iso(moment: datetime) -> str:
    """The one text form of a time in the store: UTC, microseconds, sortable."""
    if moment.tzinfo is None or moment.utcoffset() is None:
        raise InvalidRecord(f"time {moment!r} has no timezone; pass an aware UTC datetime")
    return moment.astimezone(UTC).isoformat(timespec="microseconds")


def from_iso(text: str) -> datetime:
    return datetime.fromisoformat(text).astimezone(UTC)


def opt_from_iso(text: str | None) -> datetime | None:
    return None if text is None else from_iso(text)


def require_money(name: str, value: object, *, positive: bool = False) -> int:
    if isinstance(value, bool) or not isinstance(value, int):
        raise InvalidRecord(
            f"{name} must be an integer number of minor units (cents), not {value!r}"
        )
    if value < 0 or (positive and value == 0):
        bound = "greater than zero" if positive else "zero or more"
        raise InvalidRecord(f"{name} must be {bound}, not {value}")
    if value >= MAX_MINOR:
        raise InvalidRecord(f"{name} must be below {MAX_MINOR} minor units, not {value}")
    return value


#: The store's ceiling of any amount (SQLite integers hold far more; nothing sold comes close).
MAX_MINOR = 10**12


def json_object(name: str, value: Mapping[str, Any] | None) -> dict[str, Any]:
    """``value`` as it will read back from JSON (tuples become lists); refuses what JSON cannot."""
    if value is None:
        return {}
    if not isinstance(value, Mapping):
        raise InvalidRecord(f"{name} must be a mapping, not {type(value).__name__}")
    try:
        loaded = json.loads(canonical_json(dict(value)))
    except (TypeError, ValueError) as exc:
        raise InvalidRecord(f"{name} cannot be stored as JSON: {exc}") from None
    assert isinstance(loaded, dict)
    return loaded


def checked_limit(limit: int) -> int:
    if isinstance(limit, bool) or not isinstance(limit, int) or limit < 1:
        raise InvalidRecord(f"limit must be a positive whole number, not {limit!r}")
    return limit


def scrub_json(text: str | None) -> str | None:
    """A JSON text with card data scrubbed (a host's answer may echo a voucher)."""
    if text is None:
        return None
    return canonical_json(scrub(json.loads(text), None))
