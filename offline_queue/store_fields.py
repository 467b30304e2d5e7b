"""The store's field codec: one text form of a time, money checks, JSON objects, limits,
and :class:`FieldCodec`, the one reader of "change these columns" requests.

Every area of the store reads and writes its columns through these, so a time is stored one
way and a bad value refused with one message wherever it enters. A sale's ``updates`` and a
clerk's ``changes`` were two hand-written codecs; both are now a :class:`FieldCodec` table.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Mapping
from dataclasses import dataclass
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


#: Checks one value and gives (what the row stores, what the journal shows).
Encoder = Callable[[str, Any], tuple[Any, Any]]


def text_or_none(name: str, value: Any) -> tuple[Any, Any]:
    if value is not None and not isinstance(value, str):
        raise InvalidRecord(f"{name} must be text or None, not {value!r}")
    return value, value


def moment_or_none(name: str, value: Any) -> tuple[Any, Any]:
    """An aware datetime, stored and journaled in the store's one text form."""
    if value is not None and not isinstance(value, datetime):
        raise InvalidRecord(f"{name} must be an aware datetime or None, not {value!r}")
    text = None if value is None else to_iso(value)
    return text, text


def flag(name: str, value: Any) -> tuple[Any, Any]:
    """A bool: 0/1 in the row (SQLite has no bool), True/False in the journal."""
    if not isinstance(value, bool):
        raise InvalidRecord(f"{name} must be True or False, not {value!r}")
    return int(value), value


def count(name: str, value: Any) -> tuple[Any, Any]:
    if isinstance(value, bool) or not isinstance(value, int) or value < 0:
        raise InvalidRecord(f"{name} must be a count, not {value!r}")
    return value, value


def mapping(name: str, value: Any) -> tuple[Any, Any]:
    """A JSON object (the area scrubs card data from it with its key)."""
    obj = json_object(name, value)
    return obj, obj


@dataclass(frozen=True)
class Field:
    """One changeable column: its encoder, and the journal key when it is not the name."""

    encode: Encoder
    shown_as: str | None = None


class FieldCodec:
    """Which columns a caller may change and how each is checked, stored and journaled.

    ``refusal`` names the area in the message for a column that may not be changed; it is
    formatted with ``unknown`` and ``allowed`` (comma-separated, sorted).
    """

    def __init__(self, fields: Mapping[str, Field], *, refusal: str) -> None:
        self.fields = dict(fields)
        self.names = frozenset(self.fields)
        self.refusal = refusal

    def encode(self, changes: Mapping[str, Any]) -> tuple[dict[str, Any], dict[str, Any]]:
        """Column values for the row, and the same changes as the journal shows them."""
        unknown = set(changes) - self.names
        if unknown:
            raise InvalidRecord(
                self.refusal.format(
                    unknown=", ".join(sorted(unknown)), allowed=", ".join(sorted(self.names))
                )
            )
        columns: dict[str, Any] = {}
        journal: dict[str, Any] = {}
        for name, spec in self.fields.items():
            if name in changes:
                columns[name], journal[spec.shown_as or name] = spec.encode(name, changes[name])
        return columns, journal
