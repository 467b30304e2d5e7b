"""How kiosk.toml's tables are read: strict pydantic models, refusals that name the key.

Every table is a :class:`Table`: strict (``"5"`` is not a number, ``true`` is not 1), unknown
keys refused (in a known table they can only be typos), each setting with the hint a refusal
shows (``setting(..., hint=...)``). Checks a type cannot say raise :class:`Refusal` from a
validator. :func:`read_table` turns pydantic's first error into one :class:`ConfigError` that
names the dotted key (``products.card-topup.fees[1].per``), shows the bad value and says what
is allowed, the way an operator editing the file needs it.
"""

from __future__ import annotations

import json
import math
import re
import types
import typing
from collections.abc import Mapping
from pathlib import Path
from typing import Annotated, Any, TypeVar

from pydantic import BaseModel, BeforeValidator, ConfigDict, Field, ValidationError
from pydantic import ValidationInfo as ValidationInfo
from pydantic.fields import FieldInfo

from foundation.money import Money, MoneyError
from terminal.errors import ConfigError, InvalidDuration

_UNSET: Any = object()


class Refusal(ValueError):
    """Raised inside a validator: what is allowed instead.

    ``at`` continues the key below the item being validated (``("max_unforwarded_total",)``);
    ``value`` replaces the shown value; ``missing`` words it as a key that is missing;
    ``hidden`` never shows the value (a secret), only its length.
    """

    def __init__(
        self,
        allowed: str,
        *,
        at: tuple[str | int, ...] = (),
        value: Any = _UNSET,
        missing: bool = False,
        hidden: bool = False,
    ) -> None:
        super().__init__(allowed)
        self.allowed = allowed
        self.at = at
        self.value = value
        self.missing = missing
        self.hidden = hidden


class Table(BaseModel):
    """One table of kiosk.toml: strict, frozen, unknown keys refused."""

    model_config = ConfigDict(strict=True, extra="forbid", frozen=True, populate_by_name=False)


def setting(default: Any = ..., *, hint: str, alias: str | None = None, **limits: Any) -> Any:
    """A field with the hint its refusal shows (and pydantic limits such as ``ge``/``le``)."""
    return Field(default, description=hint, alias=alias, **limits)


# --- shown values -----------------------------------------------------------------------------


def show(value: Any) -> str:
    if isinstance(value, str):
        return json.dumps(value, ensure_ascii=False)
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, (dict, list)):
        text = json.dumps(value, ensure_ascii=False, default=str)
        return text if len(text) <= 60 else text[:57] + "..."
    return repr(value)


def bad(path: Path, key: str, value: Any, allowed: str) -> ConfigError:
    return ConfigError(f"{path}: {key} = {show(value)} is not allowed: {allowed}.", key=key)


def missing(path: Path, key: str, allowed: str) -> ConfigError:
    return ConfigError(f"{path}: {key} is missing: {allowed}.", key=key)


def hidden(path: Path, key: str, value: Any, allowed: str) -> ConfigError:
    """A refused secret: never echoed, since the message may end up in a log or on a screen."""
    length = len(value) if isinstance(value, str) else 0
    return ConfigError(
        f"{path}: {key} (a value of {length} characters, not shown) is not allowed: {allowed}.",
        key=key,
    )


# --- durations and amounts --------------------------------------------------------------------

_DURATION_PART = re.compile(r"(\d+(?:\.\d+)?)(ms|s|m|h|d)")
#: The longest duration any setting takes; a longer one is a typo (and would overflow timers).
MAX_DURATION_S = 366 * 86400.0
#: The longest a single wait on a peer (printer, host, a sale attempt) may be.
MAX_TIMEOUT_S = 600.0
_UNIT_SECONDS = {"ms": 0.001, "s": 1.0, "m": 60.0, "h": 3600.0, "d": 86400.0}
DURATION_HINT = 'write a duration with its unit, such as "5s", "500ms", "5m" or "24h"'


def parse_duration(text: str) -> float:
    """Seconds in ``"5s"``, ``"500ms"``, ``"5m"``, ``"24h"``, ``"1d"`` or ``"1h30m"``.

    The unit is mandatory: a bare ``5`` in a config file is a guess about seconds vs minutes.
    """
    if not isinstance(text, str):
        raise InvalidDuration(
            f'{text!r} is not a duration: write it with its unit, such as "5s", "500ms" or "5m".'
        )
    cleaned = text.strip().replace(" ", "")
    position = 0
    total = 0.0
    while position < len(cleaned):
        match = _DURATION_PART.match(cleaned, position)
        if match is None:
            break
        total += float(match.group(1)) * _UNIT_SECONDS[match.group(2)]
        position = match.end()
    if not cleaned or position != len(cleaned) or not math.isfinite(total):
        raise InvalidDuration(
            f'{text!r} is not a duration: write it with its unit, such as "5s", "500ms" or "5m".'
        )
    return total


def longest(seconds: float) -> str:
    return f"{seconds / 86400:g}d" if seconds >= 86400 else f"{seconds / 60:g}m"


def _seconds(value: Any, ceiling: float) -> float:
    try:
        seconds = parse_duration(value)
    except InvalidDuration:
        raise Refusal(DURATION_HINT) from None
    if seconds <= 0:
        raise Refusal("write a duration longer than zero")
    if seconds > ceiling:
        raise Refusal(f"write a duration up to {longest(ceiling)}")
    return seconds


#: A positive duration up to a year, in seconds once read.
Duration = Annotated[float, BeforeValidator(lambda v: _seconds(v, MAX_DURATION_S))]
#: A wait on a peer: a positive duration up to 10 minutes.
Timeout = Annotated[float, BeforeValidator(lambda v: _seconds(v, MAX_TIMEOUT_S))]


def money_minor(value: Any, currency: str, *, positive: bool = False) -> int:
    """Minor units of an amount written as ``"247.00"`` or a whole number; floats refused."""
    if isinstance(value, float):
        raise Refusal(
            f'write the amount as a string such as "{value:.2f}", not a float '
            "(a float cannot hold every cent)"
        )
    if isinstance(value, bool) or not isinstance(value, (str, int)):
        raise Refusal(f'write an amount in {currency}, such as "1.00"')
    try:
        minor = Money.parse(value, currency).minor
    except MoneyError as exc:
        raise Refusal(str(exc)) from None
    if minor < 0 or (positive and minor == 0):
        raise Refusal("write an amount above zero" if positive else "write 0 or more")
    return minor


def currency_of(info: ValidationInfo) -> str:
    """The currency amounts of this table are in: the one an earlier key of it set."""
    context = info.context if isinstance(info.context, dict) else {}
    return str(context.get("currency", "EUR"))


def _amount(value: Any, info: ValidationInfo) -> int:
    return money_minor(value, currency_of(info))


def _positive_amount(value: Any, info: ValidationInfo) -> int:
    return money_minor(value, currency_of(info), positive=True)


#: An amount in the table's currency, 0 or more, as minor units once read.
Amount = Annotated[int, BeforeValidator(_amount)]
#: An amount above zero.
PositiveAmount = Annotated[int, BeforeValidator(_positive_amount)]


# --- reading a table and naming the key of its first error ------------------------------------

T = TypeVar("T", bound=Table)


def read_table(
    model: type[T],
    data: Any,
    *,
    path: Path,
    key: str,
    context: dict[str, Any] | None = None,
) -> T:
    """``data`` (the table at ``key``) as ``model``, or the :class:`ConfigError` to show."""
    if not isinstance(data, Mapping):
        raise bad(path, key, data, f"make [{key}] a table")
    try:
        return model.model_validate(dict(data), context=context if context is not None else {})
    except ValidationError as exc:
        raise _refusal(path, key, model, exc) from None


def _refusal(path: Path, prefix: str, model: type[Table], exc: ValidationError) -> ConfigError:
    error = exc.errors(include_url=False)[0]
    loc = tuple(error["loc"])
    value = error.get("input")
    found = _walk(model, prefix, loc)
    reason = (error.get("ctx") or {}).get("error")
    if isinstance(reason, Refusal):
        key = _extend(found.key, reason.at)
        shown = value if reason.value is _UNSET else reason.value
        if reason.hidden:
            return hidden(path, key, shown, reason.allowed)
        if reason.missing:
            return missing(path, key, reason.allowed)
        return bad(path, key, shown, reason.allowed)
    kind = error["type"]
    if kind == "extra_forbidden":
        known = ", ".join(found.owner_keys)
        allowed = f"[{found.owner_key}] has no such setting; it knows {known}"
        return bad(path, found.key, value, allowed)
    if kind == "missing":
        return missing(path, found.key, found.hint)
    if kind in ("union_tag_invalid", "union_tag_not_found"):
        tag = str((error.get("ctx") or {}).get("discriminator", "")).strip("'")
        key = _extend(found.key, (tag,))
        tags = str((error.get("ctx") or {}).get("expected_tags", "")).replace("'", '"')
        allowed = f"use one of {tags}" if tags else found.hint
        if kind == "union_tag_not_found" and isinstance(value, Mapping):
            if tag not in value:
                return missing(path, key, allowed)
            return bad(path, key, value[tag], allowed)
        shown = value.get(tag) if isinstance(value, Mapping) else value
        return bad(path, key, shown, allowed)
    return bad(path, found.key, value, found.hint)


class _Found:
    def __init__(self, key: str, hint: str, owner_key: str, owner_keys: tuple[str, ...]) -> None:
        self.key = key
        self.hint = hint
        self.owner_key = owner_key
        self.owner_keys = owner_keys


def _keys(model: type[BaseModel]) -> tuple[str, ...]:
    return tuple(info.alias or name for name, info in model.model_fields.items())


def _extend(key: str, at: tuple[str | int, ...]) -> str:
    for item in at:
        key = f"{key}[{item}]" if isinstance(item, int) else (f"{key}.{item}" if key else item)
    return key


def _unwrap(annotation: Any) -> Any:
    """The type under ``Annotated`` and ``X | None``."""
    while True:
        origin = typing.get_origin(annotation)
        if origin is Annotated:
            annotation = typing.get_args(annotation)[0]
        elif origin in (typing.Union, types.UnionType):
            members = [a for a in typing.get_args(annotation) if a is not type(None)]
            if len(members) != 1:
                return annotation
            annotation = members[0]
        else:
            return annotation


def _union_member(annotation: Any, tag: Any) -> type[BaseModel] | None:
    """The model of a discriminated union whose ``Literal`` tag is ``tag``."""
    if typing.get_origin(annotation) not in (typing.Union, types.UnionType):
        return None
    for member in typing.get_args(annotation):
        if not (isinstance(member, type) and issubclass(member, BaseModel)):
            continue
        for info in member.model_fields.values():
            if typing.get_origin(info.annotation) is typing.Literal and tag in typing.get_args(
                info.annotation
            ):
                return member
    return None


def _walk(model: type[Table], prefix: str, loc: tuple[Any, ...]) -> _Found:
    """Follow pydantic's ``loc`` through the models: the dotted key, its hint, its table."""
    key, hint = prefix, "see the Configuration section of the README"
    owner: type[BaseModel] = model
    owner_key = prefix
    current: Any = model
    for item in loc:
        current = _unwrap(current)
        member = _union_member(current, item) if isinstance(item, str) else None
        if member is not None:  # a discriminated union's tag: not part of the key
            current = member
            continue
        if isinstance(item, int):
            key = f"{key}[{item}]"
            args = typing.get_args(current)
            current = args[0] if args else Any
            continue
        if isinstance(current, type) and issubclass(current, BaseModel):
            owner, owner_key = current, key
            info = _field(current, item)
            key = f"{key}.{item}" if key else str(item)
            if info is None:
                current = Any
                continue
            hint = info.description or hint
            current = info.annotation
            continue
        key = f"{key}.{item}" if key else str(item)
        args = typing.get_args(current)
        current = args[-1] if args else Any
    return _Found(key, hint, owner_key, _keys(owner))


def _field(model: type[BaseModel], name: str) -> FieldInfo | None:
    for field_name, info in model.model_fields.items():
        if (info.alias or field_name) == name:
            return info
    return None


__all__ = [
    "MAX_DURATION_S",
    "MAX_TIMEOUT_S",
    "Amount",
    "Duration",
    "PositiveAmount",
    "Refusal",
    "Table",
    "Timeout",
    "ValidationInfo",
    "bad",
    "hidden",
    "missing",
    "money_minor",
    "parse_duration",
    "read_table",
    "setting",
    "show",
]
