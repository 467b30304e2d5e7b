"""Fees as data: composable rules read from kiosk.toml, and the quote a customer is shown.

Tariffs change more often than code, so each product lists its fee rules in the configuration
(``[[products.<id>.fees]]``) and this module only knows the rule shapes (each shape's table is
read by its own model in :mod:`terminal.config.fees`):

- ``flat``: a fixed amount, optionally only for face values ``from``..``to`` (both inclusive);
- ``per_started``: ``amount`` for every started ``per`` of the face value (1 EUR per started
  100 EUR), optionally limited by ``from``/``to`` too;
- ``bands``: the amount of the first band whose ``upto`` (inclusive) holds the face value.

A quote leaves out fee lines that come to zero: the slip then lists only what the customer pays
(the Simple card's top-up fee does not apply to a 25 EUR card, so no "0,00 €" line is printed).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, ClassVar

from terminal.validation import validate_amount

if TYPE_CHECKING:
    from terminal.catalog import ProductConfig


def _in_range(amount_minor: int, from_minor: int | None, to_minor: int | None) -> bool:
    if from_minor is not None and amount_minor < from_minor:
        return False
    return not (to_minor is not None and amount_minor > to_minor)


@dataclass(frozen=True)
class FlatFee:
    """A fixed fee, e.g. a 0.30 AZN commission per bill payment."""

    rule: ClassVar[str] = "flat"

    name: str
    amount_minor: int
    from_minor: int | None = None
    to_minor: int | None = None

    def fee_for(self, amount_minor: int) -> int:
        if _in_range(amount_minor, self.from_minor, self.to_minor):
            return self.amount_minor
        return 0


@dataclass(frozen=True)
class PerStartedFee:
    """``amount`` for every started ``per`` of the face value; 100.01 EUR starts a second 100."""

    rule: ClassVar[str] = "per_started"

    name: str
    amount_minor: int
    per_minor: int
    from_minor: int | None = None
    to_minor: int | None = None

    def fee_for(self, amount_minor: int) -> int:
        if amount_minor <= 0 or not _in_range(amount_minor, self.from_minor, self.to_minor):
            return 0
        started = -(-amount_minor // self.per_minor)
        return started * self.amount_minor


@dataclass(frozen=True)
class Band:
    """Face values up to and including ``upto_minor`` (and above the previous band) pay this."""

    upto_minor: int
    amount_minor: int


@dataclass(frozen=True)
class BandFee:
    """A stepped fee; the configuration guarantees the last band covers the product's maximum."""

    rule: ClassVar[str] = "bands"

    name: str
    bands: tuple[Band, ...]

    def fee_for(self, amount_minor: int) -> int:
        for band in self.bands:
            if amount_minor <= band.upto_minor:
                return band.amount_minor
        raise ValueError(
            f"face value {amount_minor} is above the last band of fee {self.name!r}; "
            "the configuration should have refused this product's maximum"
        )


FeeRule = FlatFee | PerStartedFee | BandFee


@dataclass(frozen=True)
class FeeLine:
    """One fee as the slip prints it: ``name`` is a message id the slip translates."""

    name: str
    amount_minor: int


@dataclass(frozen=True)
class Quote:
    """What the customer pays: the face value, each fee, and the total, all in minor units."""

    currency: str
    amount_minor: int
    fees: tuple[FeeLine, ...]
    total_minor: int

    @property
    def fees_minor(self) -> int:
        return sum(line.amount_minor for line in self.fees)

    def to_dict(self) -> dict[str, Any]:
        """The JSON shape scripts and the local API read."""
        return {
            "currency": self.currency,
            "amount_minor": self.amount_minor,
            "fees": [{"name": f.name, "amount_minor": f.amount_minor} for f in self.fees],
            "total_minor": self.total_minor,
        }


def quote(product: ProductConfig, amount_minor: int) -> Quote:
    """Price ``amount_minor`` of ``product``; refuses amounts outside its min/max/step."""
    validate_amount(product, amount_minor)
    lines = []
    for rule in product.fees:
        fee = rule.fee_for(amount_minor)
        if fee:
            lines.append(FeeLine(rule.name, fee))
    fees = tuple(lines)
    total = amount_minor + sum(line.amount_minor for line in fees)
    return Quote(product.currency, amount_minor, fees, total)


__all__ = [
    "Band",
    "BandFee",
    "FeeLine",
    "FeeRule",
    "FlatFee",
    "PerStartedFee",
    "Quote",
    "quote",
]
