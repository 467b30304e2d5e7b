"""Money as integer minor units with its currency; parsing and formatting, never floats.

Minor units follow ISO 4217 (EUR, RSD and AZN all have two decimals there), which is what the
host and the back office count in. How slips and screens *write* an amount (decimals shown,
symbol or ISO code, its place, the separators) is the project's decision, held here in
:class:`MoneyStyles` (a default table, overridden per market by kiosk.toml's ``[money]``), never
Babel's CLDR currency data: a new Babel release once made every RSD slip print decimals. An
amount that would lose a non-zero fraction keeps its ISO decimals, because a slip never rounds.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass, field, replace
from decimal import Decimal
from typing import Literal

#: ISO 4217 exponents of the currencies the terminal sells in.
CURRENCY_EXPONENTS: dict[str, int] = {"EUR": 2, "RSD": 2, "AZN": 2}

SignPosition = Literal["before", "after"]


class MoneyError(ValueError):
    """An amount or currency that cannot be money; the message says what to type instead."""


#: Whole digits an amount may have (a sane maximum: 999.999.999 of any currency sold here,
#: far above any product's limit and far below the store's ceiling of 10**12 minor units).
MAX_WHOLE_DIGITS = 9
MAX_AMOUNT_TEXT = "999999999"
#: Longest text the parsers look at: anything longer is refused before it is read.
MAX_TEXT_LENGTH = 32
#: The machine form of kiosk.toml: digits, one optional decimal point or comma.
_MACHINE = re.compile(r"([0-9]+)(?:[.,]([0-9]+))?", re.ASCII)


def _minor_of(text: str, whole: str, fraction: str, currency: str) -> int:
    """Minor units of ``whole``.``fraction`` (ASCII digits), refusing size and extra decimals."""
    iso = exponent(currency)
    significant = whole.lstrip("0")
    if len(significant) > MAX_WHOLE_DIGITS:
        raise MoneyError(
            f"{text[:40]!r} is too large: an amount has at most {MAX_WHOLE_DIGITS} digits "
            "before the decimals"
        )
    if len(fraction) > iso:
        # even trailing zeros: "1.000" is a thousand in half of Europe, never read it as 1
        raise MoneyError(f"{text[:40]!r} has more decimals than {currency} allows ({iso})")
    return int(significant or "0") * 10**iso + int(fraction.ljust(iso, "0") or "0")


#: The largest banknote of each currency: the most change a counter gives back by default
#: (``[money.<CURRENCY>] max_change``), so a typo in the cash is refused, not paid out.
LARGEST_BANKNOTE_MINOR: dict[str, int] = {"EUR": 500_00, "RSD": 5000_00, "AZN": 200_00}


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
        """Read an amount as kiosk.toml writes it ("150", "150.00", "150,5") as money.

        The machine form, for configuration: digits, at most one "." or "," before the
        decimals, no grouping. What a clerk types goes through :meth:`MoneyStyles.parse`, which
        reads the clerk's locale. Floats, exponents, NaN, signs and absurd sizes are refused.
        """
        if isinstance(text, (float, bool)):
            raise MoneyError(f'write the amount {text!r} as a string such as "150.00", not a float')
        iso = exponent(currency)
        if isinstance(text, int):
            if not 0 <= text < 10**MAX_WHOLE_DIGITS:
                raise MoneyError(f"{text} is not an amount between 0 and {MAX_AMOUNT_TEXT}")
            return cls(text * 10**iso, currency)
        cleaned = str(text).strip().replace("\u00a0", "").replace(" ", "")
        found = _MACHINE.fullmatch(cleaned)
        if found is None:
            raise MoneyError(
                f"{str(text)[:40]!r} is not an amount; type digits such as 150 or 150.00"
            )
        whole, fraction = found.group(1), found.group(2) or ""
        return cls(_minor_of(str(text), whole, fraction, currency), currency)

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
    #: the most change a sale may give back; None: the currency's largest banknote
    max_change_minor: int | None = None


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

    def max_change_minor(self, currency: str) -> int:
        """The most change a sale in ``currency`` gives back (``[money.<CUR>] max_change``)."""
        own = self.currency(currency).max_change_minor
        return own if own is not None else LARGEST_BANKNOTE_MINOR[currency]

    def example_forms(self, currency: str, locale: str) -> tuple[str, str | None]:
        """The two forms a clerk in ``locale`` may type: ``("1234,56", "1.234,56")``; the
        second is None where the locale writes no groups. Screens put them in their own
        translated sentence; :meth:`example` is the English one of the CLI."""
        writing = self.writing(locale)
        iso = exponent(currency)
        decimals = (writing.decimal_separator + "56"[:iso].ljust(iso, "0")) if iso else ""
        plain = f"1234{decimals}"
        if not writing.group_separator:
            return plain, None
        return plain, f"1{writing.group_separator}234{decimals}"

    def example(self, currency: str, locale: str) -> str:
        """How a clerk in ``locale`` types an amount: ``1.234,56 or 1234,56``."""
        plain, grouped = self.example_forms(currency, locale)
        if grouped is None:
            return plain
        spaced = self.writing(locale).group_separator.isspace()
        return f"{plain} or {grouped}" + (" (a space between groups)" if spaced else "")

    def typed(self, money: Money, locale: str) -> str:
        """``money`` as a clerk in ``locale`` types it (what a quick-amount button fills in):
        no grouping, no sign, decimals only when there is a fraction (``52,30``, ``150``).
        :meth:`parse` reads it back exactly."""
        iso = exponent(money.currency)
        whole, fraction = divmod(money.minor, 10**iso)
        if not fraction:
            return str(whole)
        return f"{whole}{self.writing(locale).decimal_separator}{fraction:0{iso}d}"

    def parse(self, text: str, currency: str, locale: str) -> Money:
        """What a clerk typed, read as ``locale`` writes money; the one parser of typed amounts.

        The screen, the CLI and (through its integers) the API all end here or in the same
        checks: the locale's decimal separator, optional grouping in threes with the locale's
        group separator, at most the currency's ISO decimals, at most
        :data:`MAX_WHOLE_DIGITS` whole digits. Exponents, NaN/Infinity, signs and anything
        else are refused with a :class:`MoneyError` that shows the expected form.
        """
        if not isinstance(text, str):
            raise MoneyError(f"type the amount as digits, such as {self.example(currency, locale)}")
        writing = self.writing(locale)
        expected = self.example(currency, locale)
        raw = text.strip()
        shown = raw[:MAX_TEXT_LENGTH] + ("..." if len(raw) > MAX_TEXT_LENGTH else "")
        if not raw:
            raise MoneyError(f"type an amount, such as {expected}")
        if len(raw) > MAX_TEXT_LENGTH:
            raise MoneyError(f"{shown!r} is far too long for an amount; type it as {expected}")
        group = writing.group_separator
        if group.isspace():
            raw = re.sub(r"[\u00a0\u202f ]", " ", raw)
        lowered = raw.casefold()
        if raw[0] in "+-\u2212" or raw[-1] in "+-\u2212":
            raise MoneyError(f"{shown!r}: type the amount without a sign, such as {expected}")
        if "e" in lowered and any(c.isdigit() for c in raw):
            raise MoneyError(
                f"{shown!r} is not an amount (no exponents such as 1e5); type it as {expected}"
            )
        if not re.fullmatch(r"[0-9" + re.escape(writing.decimal_separator + group) + "]+", raw):
            raise MoneyError(f"{shown!r} is not an amount; type digits such as {expected}")
        whole, sep, fraction = raw.partition(writing.decimal_separator)
        if sep and (not fraction or writing.decimal_separator in fraction):
            raise MoneyError(f"{shown!r} is not an amount; type it as {expected}")
        if group and group in fraction:
            raise MoneyError(f"{shown!r}: no group separator after the decimals; type {expected}")
        if not whole:
            raise MoneyError(f"{shown!r}: type the whole part too, such as {expected}")
        if group and group in whole:
            if not re.fullmatch(r"[0-9]{1,3}(?:" + re.escape(group) + r"[0-9]{3})+", whole):
                raise MoneyError(
                    f"{shown!r}: digits are grouped in threes, such as {expected}"
                    + self._decimal_hint(writing, currency)
                )
            whole = whole.replace(group, "")
        return Money(_minor_of(shown, whole, fraction, currency), currency)

    @staticmethod
    def _decimal_hint(writing: Writing, currency: str) -> str:
        if not exponent(currency):
            return ""
        return f" (the decimals come after {writing.decimal_separator!r})"

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
    "LARGEST_BANKNOTE_MINOR",
    "MAX_WHOLE_DIGITS",
    "CurrencyStyle",
    "Money",
    "MoneyError",
    "MoneyStyles",
    "SignPosition",
    "UnknownMoneyWriting",
    "Writing",
    "exponent",
]
