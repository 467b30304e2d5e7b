"""Money as integer minor units with its currency; parsing and formatting, never floats.

Minor units follow ISO 4217 (EUR, RSD and AZN all have two decimals there), which is what the
host and the back office count in. Display follows CLDR through Babel, which writes RSD without
decimals; an amount that would lose a non-zero fraction that way keeps its ISO decimals, because
a slip must never round money.
"""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal, InvalidOperation

from babel.numbers import format_currency, get_currency_precision

#: ISO 4217 exponents of the currencies the terminal sells in.
CURRENCY_EXPONENTS: dict[str, int] = {"EUR": 2, "RSD": 2, "AZN": 2}

#: Symbols a receipt printer's code pages cannot hold, written as the ISO code instead.
_UNPRINTABLE_SYMBOLS = {"₼": "AZN"}


class MoneyError(ValueError):
    """An amount or currency that cannot be money; the message says what to type instead."""


def exponent(currency: str) -> int:
    """Number of decimals of ``currency``'s minor unit."""
    try:
        return CURRENCY_EXPONENTS[currency]
    except KeyError:
        allowed = ", ".join(sorted(CURRENCY_EXPONENTS))
        raise MoneyError(f"unknown currency {currency!r}; use one of {allowed}") from None


@dataclass(frozen=True, order=True)
class Money:
    """An exact amount: ``minor`` units of ``currency`` (cents, para, qəpik)."""

    minor: int
    currency: str

    def __post_init__(self) -> None:
        if isinstance(self.minor, bool) or not isinstance(self.minor, int):
            raise MoneyError(f"money must be an integer number of minor units, not {self.minor!r}")
        exponent(self.currency)

    @classmethod
    def parse(cls, text: str | int, currency: str) -> Money:
        """Read what a clerk or a config file wrote ("150", "150.00", "150,5") as money.

        Floats are refused: they cannot hold every cent exactly.
        """
        if isinstance(text, (float, bool)):
            raise MoneyError(f'write the amount {text!r} as a string such as "150.00", not a float')
        if isinstance(text, int):
            return cls(text * 10 ** exponent(currency), currency)
        cleaned = str(text).strip().replace("\u00a0", "").replace(" ", "").replace(",", ".")
        try:
            value = Decimal(cleaned)
        except InvalidOperation:
            raise MoneyError(
                f"{text!r} is not an amount; type digits such as 150 or 150.00"
            ) from None
        if not value.is_finite():
            raise MoneyError(f"{text!r} is not an amount; type digits such as 150 or 150.00")
        scaled = value.scaleb(exponent(currency))
        if scaled != scaled.to_integral_value():
            raise MoneyError(
                f"{text!r} has more decimals than {currency} allows ({exponent(currency)})"
            )
        return cls(int(scaled), currency)

    def __add__(self, other: Money) -> Money:
        self._same_currency(other)
        return Money(self.minor + other.minor, self.currency)

    def __sub__(self, other: Money) -> Money:
        self._same_currency(other)
        return Money(self.minor - other.minor, self.currency)

    def _same_currency(self, other: Money) -> None:
        if not isinstance(other, Money) or other.currency != self.currency:
            raise MoneyError(f"cannot mix {self.currency} with {other!r}")

    def decimal(self) -> Decimal:
        """The amount in major units, exact."""
        return Decimal(self.minor).scaleb(-exponent(self.currency))

    def plain(self) -> str:
        """Machine-readable major units with all ISO decimals: ``"153.00"``."""
        return f"{self.decimal():.{exponent(self.currency)}f}"

    def format(self, locale: str, *, printable: bool = True) -> str:
        """The amount as the market writes it, e.g. ``153,00 €`` or ``500 RSD``.

        Non-breaking and narrow spaces become plain spaces (printers and fixed-width slips
        do not know them); with ``printable`` the manat sign becomes ``AZN``.
        """
        amount = self.decimal()
        cldr_digits = get_currency_precision(self.currency)
        whole_enough = amount == round(amount, cldr_digits)
        if whole_enough:
            text = format_currency(amount, self.currency, locale=locale)
        else:
            pattern_digits = exponent(self.currency)
            text = format_currency(
                amount,
                self.currency,
                locale=locale,
                currency_digits=False,
                format=None,
                decimal_quantization=False,
            )
            if pattern_digits and "." not in text and "," not in text:
                text = f"{self.plain()} {self.currency}"
        text = text.replace("\u00a0", " ").replace("\u202f", " ")
        if printable:
            for symbol, code in _UNPRINTABLE_SYMBOLS.items():
                text = text.replace(symbol, code)
        return text

    def __str__(self) -> str:
        return f"{self.plain()} {self.currency}"


__all__ = ["CURRENCY_EXPONENTS", "Money", "MoneyError", "exponent"]
