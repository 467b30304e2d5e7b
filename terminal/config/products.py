"""``[products.<id>]``: what each product may be sold for, how, and at which fees.

The table's ``currency`` comes first because every amount below it is in that currency (the
validator records it for the amounts' own validators); checks that span several keys (a
maximum above the minimum, the last fee band reaching the maximum) run once the table is read.
"""

from __future__ import annotations

import re
from types import MappingProxyType
from typing import Annotated, Any, Literal

from pydantic import BeforeValidator, field_validator, model_validator
from pydantic.functional_validators import ModelWrapValidatorHandler

from foundation.money import CURRENCY_EXPONENTS, Money, MoneyStyles
from terminal.catalog import (
    DEFAULT_REVERSAL_WINDOWS,
    PRODUCT_TARGETS,
    TENDERS,
    OfflinePolicy,
    ProductConfig,
    ReversalWindow,
)
from terminal.config.fees import BandsFeeTable, FeeTable
from terminal.config.models import LANGUAGES, TerminalConfig
from terminal.config.schema import (
    DURATION_HINT,
    MAX_DURATION_S,
    Duration,
    PositiveAmount,
    Refusal,
    Table,
    Timeout,
    ValidationInfo,
    currency_of,
    longest,
    money_minor,
    parse_duration,
    setting,
)
from terminal.errors import InvalidDuration

_AMOUNT_HINT = 'write an amount such as "1.00"'
_WINDOW_HINT = 'use a duration such as "5m" or "90s", "same_day" or "none"'
_OFFLINE_HINT = (
    'write "forbidden", or a table with policy = "allowed", max_amount, '
    "max_unforwarded_total and max_age"
)


def reversal_window(value: Any) -> ReversalWindow:
    """``"5m"``, ``"same_day"`` or ``"none"`` as the window a storno must fall in."""
    if value in ("none", "same_day"):
        return ReversalWindow(value)
    try:
        seconds = parse_duration(value)
    except InvalidDuration:
        raise Refusal(_WINDOW_HINT) from None
    if seconds <= 0 or seconds != int(seconds):
        raise Refusal("use whole seconds above zero, " + _WINDOW_HINT)
    if seconds > MAX_DURATION_S:
        raise Refusal(f"use at most {longest(MAX_DURATION_S)}, " + _WINDOW_HINT)
    return ReversalWindow("duration", int(seconds))


def _checked_window(value: Any) -> str:
    reversal_window(value)
    return str(value)


def _offline_table(value: Any) -> Any:
    if value == "forbidden":
        return {"policy": "forbidden"}
    if not isinstance(value, dict):
        raise Refusal(_OFFLINE_HINT)
    return value


class OfflineTable(Table):
    """``offline = { policy = "allowed", ... }``: limits of selling while the host is away."""

    policy: Literal["allowed", "forbidden"] = setting(hint='use one of "allowed", "forbidden"')
    max_amount: PositiveAmount | None = setting(None, hint=_AMOUNT_HINT)
    max_unforwarded_total: PositiveAmount | None = setting(None, hint=_AMOUNT_HINT)
    max_age: Duration | None = setting(None, hint=DURATION_HINT)

    @model_validator(mode="wrap")
    @classmethod
    def _limits_when_allowed(
        cls, data: Any, handler: ModelWrapValidatorHandler[Any], info: ValidationInfo
    ) -> Any:
        table = handler(data)
        if table.policy == "forbidden":
            return table
        currency = currency_of(info)
        for name in ("max_amount", "max_unforwarded_total"):
            if getattr(table, name) is None:
                raise Refusal(
                    f'write an amount in {currency}, such as "1.00"', at=(name,), missing=True
                )
        assert table.max_amount is not None and table.max_unforwarded_total is not None
        if table.max_unforwarded_total < table.max_amount:
            raise Refusal(
                "make it at least max_amount",
                at=("max_unforwarded_total",),
                value=data["max_unforwarded_total"],
            )
        if table.max_age is None:
            raise Refusal(
                'write how old the oldest unforwarded sale may get, e.g. "24h"',
                at=("max_age",),
                missing=True,
            )
        return table

    def policy_of(self) -> OfflinePolicy:
        if self.policy == "forbidden":
            return OfflinePolicy(False)
        return OfflinePolicy(True, self.max_amount, self.max_unforwarded_total, self.max_age)


def _tender(value: Any) -> tuple[str, ...]:
    if (
        not isinstance(value, list)
        or not value
        or not all(isinstance(t, str) and t in TENDERS for t in value)
    ):
        raise Refusal(f"list tenders from {', '.join(TENDERS)}")
    return tuple(value)


def _id_check(value: Any, info: ValidationInfo) -> int | str:
    if value == "none":
        return "none"
    return money_minor(value, currency_of(info))


def _prefixes(value: Any) -> tuple[str, ...]:
    if (
        not isinstance(value, list)
        or not value
        or not all(isinstance(p, str) and re.fullmatch(r"0?[1-9][0-9]*", p) for p in value)
    ):
        raise Refusal('list national prefixes such as ["064", "065"]')
    return tuple(p.removeprefix("0") for p in value)


def _benefit_types(value: Any) -> tuple[str, ...]:
    if (
        not isinstance(value, list)
        or not value
        or not all(isinstance(b, str) and re.fullmatch(r"[a-z][a-z0-9_-]*", b) for b in value)
        or len(set(value)) != len(value)
    ):
        raise Refusal('list distinct benefit ids such as ["sport", "culture"]')
    return tuple(value)


def _names(value: Any) -> dict[str, str]:
    if not isinstance(value, dict) or not all(
        lang in LANGUAGES and isinstance(text, str) and text.strip() for lang, text in value.items()
    ):
        raise Refusal(f"write a table of names by language ({', '.join(LANGUAGES)})")
    return dict(value)


class ProductTable(Table):
    """One ``[products.<id>]`` table; the loader passes the id and the terminal as context."""

    currency: str | None = setting(None, hint="write a currency code in quotes")
    min: PositiveAmount = setting(hint=_AMOUNT_HINT)
    max: PositiveAmount = setting(hint=_AMOUNT_HINT)
    step: PositiveAmount = setting(1, hint=_AMOUNT_HINT)  # one minor unit unless set
    tender: Annotated[tuple[str, ...], BeforeValidator(_tender)] = setting(
        ("cash",), hint=f"list tenders from {', '.join(TENDERS)}"
    )
    reversal_window: Annotated[str | None, BeforeValidator(_checked_window)] = setting(
        None, hint=_WINDOW_HINT
    )
    offline: Annotated[OfflineTable | None, BeforeValidator(_offline_table)] = setting(
        None, hint=_OFFLINE_HINT
    )
    fees: list[FeeTable] = setting([], hint="write each fee as a [[products.<id>.fees]] table")
    target: str | None = setting(None, hint="leave it out: the product says what it identifies")
    id_check_above: Annotated[int | Literal["none"] | None, BeforeValidator(_id_check)] = setting(
        None, hint=_AMOUNT_HINT
    )
    attempt_timeout: Timeout = setting(120.0, hint='write a duration such as "120s"')
    phone_prefixes: Annotated[tuple[str, ...] | None, BeforeValidator(_prefixes)] = setting(
        None, hint='list national prefixes such as ["064", "065"]'
    )
    benefit_types: Annotated[tuple[str, ...] | None, BeforeValidator(_benefit_types)] = setting(
        None, hint='list distinct benefit ids such as ["sport", "culture"]'
    )
    message_max_length: int | None = setting(
        None, hint="write a whole number from 1 to 500", ge=1, le=500
    )
    name: Annotated[dict[str, str], BeforeValidator(_names)] = setting(
        {}, hint=f"write a table of names by language ({', '.join(LANGUAGES)})"
    )

    @field_validator("currency")
    @classmethod
    def _amounts_in_this_currency(cls, currency: str | None, info: ValidationInfo) -> str | None:
        if currency is not None:
            if currency not in CURRENCY_EXPONENTS:
                raise Refusal("use one of " + ", ".join(f'"{c}"' for c in CURRENCY_EXPONENTS))
            if isinstance(info.context, dict):
                info.context["currency"] = currency
        return currency

    @model_validator(mode="wrap")
    @classmethod
    def _consistent(
        cls, data: Any, handler: ModelWrapValidatorHandler[Any], info: ValidationInfo
    ) -> Any:
        table = handler(data)
        context = info.context if isinstance(info.context, dict) else {}
        table.check(data, context["product_id"], context["terminal"], currency_of(info))
        return table

    def check(
        self, raw: dict[str, Any], product_id: str, terminal: TerminalConfig, currency: str
    ) -> None:
        """What no single key can say; ``raw`` is the table as written, to show its values."""
        target = PRODUCT_TARGETS[product_id]
        if self.max < self.min:
            raise Refusal("make it at least min", at=("max",), value=raw["max"])
        for name in ("min", "max"):
            if getattr(self, name) % self.step:
                raise Refusal("make it a whole number of steps", at=(name,), value=raw[name])
        if "benefit" in self.tender and (
            self.tender != ("benefit",) or target != "benefit_account"
        ):
            raise Refusal(
                'only a benefit payment (target = "benefit_account") is paid from the benefit, '
                'and then only from it: write tender = ["benefit"]',
                at=("tender",),
                value=raw["tender"],
            )
        self._check_fees(raw, currency)
        if self.target is not None and self.target != target:
            raise Refusal(
                f"{product_id} always identifies a {target!r}", at=("target",), value=self.target
            )
        if (
            self.id_check_above is None
            and terminal.id_check_above_minor is not None
            and currency != terminal.currency
        ):
            raise Refusal(
                f"terminal.id_check_above is in {terminal.currency}; "
                f"give this {currency} product its own",
                at=("id_check_above",),
                missing=True,
            )
        if self.phone_prefixes is not None and target != "phone":
            raise Refusal(
                "only a mobile top-up has phone prefixes",
                at=("phone_prefixes",),
                value=raw["phone_prefixes"],
            )
        if target == "benefit_account":
            if self.benefit_types is None:
                raise Refusal(
                    'list distinct benefit ids such as ["sport", "culture"]',
                    at=("benefit_types",),
                    value=None,
                )
        else:
            for name in ("benefit_types", "message_max_length"):
                if name in raw:
                    raise Refusal(
                        "only a benefit payment has this setting", at=(name,), value=raw[name]
                    )

    def _check_fees(self, raw: dict[str, Any], currency: str) -> None:
        names = [fee.name for fee in self.fees]
        for index, fee in enumerate(self.fees):
            if fee.name in names[:index]:
                raise Refusal(
                    "give each fee its own name", at=("fees", index, "name"), value=fee.name
                )
            if isinstance(fee, BandsFeeTable) and fee.bands[-1].upto < self.max:
                last = len(fee.bands) - 1
                raise Refusal(
                    "the last band must reach the product's max "
                    f"({Money(self.max, currency).plain()})",
                    at=("fees", index, "bands", last, "upto"),
                    value=raw["fees"][index]["bands"][last]["upto"],
                )

    def build(self, product_id: str, terminal: TerminalConfig, money: MoneyStyles) -> ProductConfig:
        currency = self.currency or terminal.currency
        window = self.reversal_window or DEFAULT_REVERSAL_WINDOWS[product_id]
        id_check = terminal.id_check_above_minor
        if self.id_check_above == "none":
            id_check = None
        elif isinstance(self.id_check_above, int):
            id_check = self.id_check_above
        return ProductConfig(
            id=product_id,
            currency=currency,
            min_minor=self.min,
            max_minor=self.max,
            step_minor=self.step,
            tender=self.tender,
            reversal_window=reversal_window(window),
            offline=self.offline.policy_of() if self.offline else OfflinePolicy(False),
            fees=tuple(fee.fee() for fee in self.fees),
            target=PRODUCT_TARGETS[product_id],
            id_check_above_minor=id_check,
            attempt_timeout_s=self.attempt_timeout,
            phone_prefixes=self.phone_prefixes or (),
            benefit_types=self.benefit_types or (),
            message_max_length=self.message_max_length or 60,
            name=MappingProxyType(dict(self.name)),
            locale=terminal.locale,
            money=money,
        )


__all__ = ["OfflineTable", "ProductTable", "reversal_window"]
