"""Money as integer minor units with its currency; parsing and formatting, never floats.

Minor units follow ISO 4217 (EUR, RSD and AZN all have two decimals there), which is what the
host and the back office count in. How slips and screens *write* an amount (decimals shown,
symbol or ISO code, its place, the separators) is the project's decision, held here in
:class:`MoneyStyles` (a default table, overridden per market by kiosk.toml's ``[money]``), never
Babel's CLDR currency data: a new Babel release once made every RSD slip print decimals. An
amount that would lose a non-zero fraction keeps its ISO decimals, because a slip never rounds.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field, replace
from decimal import Decimal, InvalidOperation
from typing import Literal

#: ISO 4217 exponents of the currencies the terminal sells in.
CURRENCY_EXPONENTS: dict[str, int] = {"EUR": 2, "RSD": 2, "AZN": 2}

SignPosition = Literal["before", "after"]


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

    def format(
        self, locale: str, *, printable: bool = True, styles: MoneyStyles | None = None
    ) -> str:
        """The amount as the market writes it, e.g. ``153,00 €`` or ``500 RSD``.

        ``styles`` are the market's (``KioskConfig.money``); left out, the built-in table.
        ``printable`` (slips) writes each currency's printer sign (``AZN``), else its screen
        sign (``₼``).
        """
        return (styles or DEFAULT_MONEY_STYLES).format(self, locale, printable=printable)

    def __str__(self) -> str:
        return f"{self.plain()} {self.currency}"


@dataclass(frozen=True)
class CurrencyStyle:
    """How amounts of one currency are written: decimals shown and the sign beside them."""

    #: decimals of a whole amount (RSD: 0, "500 RSD"); a non-zero fraction keeps ISO's decimals
    decimals: int
    #: on slips: what every receipt printer's code pages hold (the ISO code for the manat)
    sign: str
    #: on screens, where the browser's fonts have every character (₼)
    screen_sign: str


@dataclass(frozen=True)
class Writing:
    """How one locale writes an amount: separators, and the sign's place and spacing."""

    decimal_separator: str
    #: between groups of three digits; "" writes no groups
    group_separator: str
    sign_position: SignPosition
    #: a space between the sign and the digits ("500 RSD"; "€500.00" has none)
    sign_space: bool


#: The built-in decisions per currency (kiosk.toml's [money.<CURRENCY>] overrides them).
DEFAULT_CURRENCY_STYLES: dict[str, CurrencyStyle] = {
    "EUR": CurrencyStyle(decimals=2, sign="€", screen_sign="€"),
    # README, Decisions: slips write RSD without decimals, as the market does
    "RSD": CurrencyStyle(decimals=0, sign="RSD", screen_sign="RSD"),
    # the manat's sign is on no printer code page: slips write the ISO code, screens the sign
    "AZN": CurrencyStyle(decimals=2, sign="AZN", screen_sign="₼"),
}

#: The built-in writing of each slip and screen language's locale ([money] overrides the
#: market's own locale). A locale not here is matched by its language (sr_Cyrl_RS -> sr_Latn_RS).
DEFAULT_WRITINGS: dict[str, Writing] = {
    "sl_SI": Writing(",", ".", "after", sign_space=True),
    "sr_Latn_RS": Writing(",", ".", "after", sign_space=True),
    "az_Latn_AZ": Writing(",", ".", "after", sign_space=True),
    "fi_FI": Writing(",", " ", "after", sign_space=True),
    "en_GB": Writing(".", ",", "before", sign_space=False),
}


class UnknownMoneyWriting(MoneyError):
    """A locale whose way of writing money neither the table nor kiosk.toml's [money] gives."""


@dataclass(frozen=True)
class MoneyStyles:
    """The one owner of how money is written on slips and screens: every amount goes through
    :meth:`format`. Hashable (tuples), so configurations holding it stay frozen values.
    """

    currencies: tuple[tuple[str, CurrencyStyle], ...] = field(
        default_factory=lambda: tuple(DEFAULT_CURRENCY_STYLES.items())
    )
    writings: tuple[tuple[str, Writing], ...] = field(
        default_factory=lambda: tuple(DEFAULT_WRITINGS.items())
    )

    def with_market(
        self,
        locale: str,
        writing: Writing | None = None,
        currencies: Mapping[str, CurrencyStyle] | None = None,
    ) -> MoneyStyles:
        """These styles with a market's own writing of ``locale`` and its currency decisions."""
        merged_currencies = {**dict(self.currencies), **(currencies or {})}
        merged_writings = dict(self.writings)
        if writing is not None:
            merged_writings[locale] = writing
        return replace(
            self,
            currencies=tuple(merged_currencies.items()),
            writings=tuple(merged_writings.items()),
        )

    def currency(self, currency: str) -> CurrencyStyle:
        """The style of ``currency`` (every currency the terminal sells has one)."""
        for code, style in self.currencies:
            if code == currency:
                return style
        exponent(currency)  # names the currencies there are
        raise MoneyError(f"no money style for {currency}; add [money.{currency}] to kiosk.toml")

    def find_writing(self, locale: str) -> Writing | None:
        """``locale``'s writing: its own entry, else one of the same language, else ``None``."""
        table = dict(self.writings)
        if locale in table:
            return table[locale]
        language = locale.replace("-", "_").split("_")[0]
        for known, writing in self.writings:
            if known.split("_")[0] == language:
                return writing
        return None

    def writing(self, locale: str) -> Writing:
        """``locale``'s writing, or :class:`UnknownMoneyWriting` saying how to give one."""
        found = self.find_writing(locale)
        if found is None:
            known = ", ".join(code for code, _ in self.writings)
            raise UnknownMoneyWriting(
                f"no way of writing money is set for locale {locale!r} (the terminal knows "
                f"{known}): set decimal_separator, group_separator, sign_position and "
                "sign_space in kiosk.toml's [money]"
            )
        return found

    def format(self, money: Money, locale: str, *, printable: bool = True) -> str:
        """``money`` as ``locale`` writes it with this market's decisions."""
        style = self.currency(money.currency)
        writing = self.writing(locale)
        iso = exponent(money.currency)
        shown = min(style.decimals, iso)
        if money.minor % 10 ** (iso - shown):
            shown = iso  # never round money away: 0,05 RSD stays 0,05 RSD
        whole, fraction = divmod(abs(money.minor), 10**iso)
        digits = _grouped(whole, writing.group_separator)
        if shown:
            digits += writing.decimal_separator + f"{fraction:0{iso}d}"[:shown]
        sign = style.sign if printable else style.screen_sign
        gap = " " if writing.sign_space else ""
        text = (
            f"{sign}{gap}{digits}" if writing.sign_position == "before" else f"{digits}{gap}{sign}"
        )
        return f"-{text}" if money.minor < 0 else text


def _grouped(whole: int, separator: str) -> str:
    text = str(whole)
    if not separator:
        return text
    head = len(text) % 3 or 3
    return separator.join([text[:head], *(text[i : i + 3] for i in range(head, len(text), 3))])


#: The built-in table, for callers without a configuration (slip previews of samples).
DEFAULT_MONEY_STYLES = MoneyStyles()


__all__ = [
    "CURRENCY_EXPONENTS",
    "DEFAULT_CURRENCY_STYLES",
    "DEFAULT_MONEY_STYLES",
    "DEFAULT_WRITINGS",
    "CurrencyStyle",
    "Money",
    "MoneyError",
    "MoneyStyles",
    "SignPosition",
    "UnknownMoneyWriting",
    "Writing",
    "exponent",
]
