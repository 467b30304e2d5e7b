"""``[[products.<id>.fees]]``: each fee rule reads its own table and builds its rule.

The ``rule`` key picks the table (pydantic's discriminated union), so a ``flat`` fee cannot be
given a ``per`` and a ``bands`` fee has nothing but its bands; the rules themselves, and what
they charge, are :mod:`terminal.tariffs`. Amounts are in the product's currency.
"""

from __future__ import annotations

from typing import Annotated, Any, Literal

from pydantic import Field, model_validator
from pydantic.functional_validators import ModelWrapValidatorHandler

from terminal.config.schema import Amount, PositiveAmount, Refusal, Table, setting
from terminal.tariffs import Band, BandFee, FeeRule, FlatFee, PerStartedFee

_NAME_HINT = 'give the fee a snake_case message id such as "topup_fee"'
_AMOUNT_HINT = 'write an amount such as "1.00"'


class _FeeTable(Table):
    name: str = setting(hint=_NAME_HINT, pattern=r"^[a-z][a-z0-9_]*$")


class _RangedFeeTable(_FeeTable):
    """A fee that may apply to face values ``from``..``to`` only (both inclusive)."""

    amount: Amount = setting(hint=_AMOUNT_HINT)
    low: Amount | None = setting(None, hint=_AMOUNT_HINT, alias="from")
    high: Amount | None = setting(None, hint=_AMOUNT_HINT, alias="to")

    @model_validator(mode="wrap")
    @classmethod
    def _range_in_order(cls, data: Any, handler: ModelWrapValidatorHandler[Any]) -> Any:
        table = handler(data)
        if table.low is not None and table.high is not None and table.high < table.low:
            raise Refusal("make it at least `from`", at=("to",), value=data.get("to"))
        return table


class FlatFeeTable(_RangedFeeTable):
    """``rule = "flat"``: a fixed amount."""

    rule: Literal["flat"] = setting(hint='use one of "flat", "per_started", "bands"')

    def fee(self) -> FeeRule:
        return FlatFee(self.name, self.amount, self.low, self.high)


class PerStartedFeeTable(_RangedFeeTable):
    """``rule = "per_started"``: ``amount`` for every started ``per`` of the face value."""

    rule: Literal["per_started"] = setting(hint='use one of "flat", "per_started", "bands"')
    per: PositiveAmount = setting(hint=_AMOUNT_HINT)

    def fee(self) -> FeeRule:
        return PerStartedFee(self.name, self.amount, self.per, self.low, self.high)


class BandTable(Table):
    upto: PositiveAmount = setting(hint=_AMOUNT_HINT)
    amount: Amount = setting(hint=_AMOUNT_HINT)


class BandsFeeTable(_FeeTable):
    """``rule = "bands"``: the amount of the first band whose ``upto`` holds the face value."""

    rule: Literal["bands"] = setting(hint='use one of "flat", "per_started", "bands"')
    bands: list[BandTable] = setting(
        hint='list bands such as [{upto = "25.00", amount = "2.00"}]', min_length=1
    )

    @model_validator(mode="wrap")
    @classmethod
    def _bands_in_order(cls, data: Any, handler: ModelWrapValidatorHandler[Any]) -> Any:
        table = handler(data)
        previous = -1
        for index, band in enumerate(table.bands):
            if band.upto <= previous:
                raise Refusal(
                    "make each band end above the previous one",
                    at=("bands", index, "upto"),
                    value=data["bands"][index]["upto"],
                )
            previous = band.upto
        return table

    def fee(self) -> FeeRule:
        return BandFee(self.name, tuple(Band(b.upto, b.amount) for b in self.bands))


#: One ``[[...fees]]`` table, read by the model its ``rule`` names.
FeeTable = Annotated[FlatFeeTable | PerStartedFeeTable | BandsFeeTable, Field(discriminator="rule")]

__all__ = ["BandsFeeTable", "FeeTable", "FlatFeeTable", "PerStartedFeeTable"]
