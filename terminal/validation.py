"""Checks of what the clerk types, each refusal a named error saying what to do instead.

Check digits and phone-number rules come from python-stdnum and phonenumbers, never from
hand-written arithmetic: they know the edge cases (IMEISV lengths, numbering plans) we would not.
Card numbers are shown masked (``**** **** **** 1234``) everywhere except the slip that must
carry the full card; the dataclasses' ``repr`` never shows them either, so logs stay clean.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

import phonenumbers
from babel import Locale
from stdnum import imei as stdnum_imei
from stdnum import luhn

from foundation.money import DEFAULT_MONEY_STYLES, Money, MoneyStyles
from terminal.errors import (
    AmountOutOfRange,
    CashTooLarge,
    IdCheckRequired,
    InvalidAccount,
    InvalidBenefitType,
    InvalidCardNumber,
    InvalidImei,
    InvalidMessage,
    InvalidPhoneNumber,
    NotEnoughCash,
    WrongTargetKind,
)

if TYPE_CHECKING:
    from terminal.catalog import ProductConfig

_SEPARATORS = re.compile(r"[\s\-./]")

PHONE_TO_CARD_REFUSAL = (
    "Top-up to a phone number is not possible at the point of sale: "
    "type the card number from the card or its printout."
)


def _digits_only(raw: str) -> str:
    return _SEPARATORS.sub("", raw)


def _group_from_right(text: str, size: int = 4) -> str:
    head = len(text) % size
    groups = [text[:head]] if head else []
    groups += [text[i : i + size] for i in range(head, len(text), size)]
    return " ".join(groups)


@dataclass(frozen=True)
class CardNumber:
    """A payment-card number that passed its Luhn check."""

    number: str = field(repr=False)
    last4: str
    masked: str

    @property
    def grouped(self) -> str:
        """The full number in groups of four, for the one slip that must carry it."""
        return _group_from_right(self.number)

    def __str__(self) -> str:
        return self.masked


@dataclass(frozen=True)
class PhoneNumber:
    """A mobile number of the market's country."""

    e164: str
    national: str
    region: str

    def __str__(self) -> str:
        return self.national


@dataclass(frozen=True)
class Target:
    """Who receives the sale: a card, a phone, one or two IMEIs, or an account.

    ``value`` is what the host gets, ``display`` what the slip prints, ``masked`` what screens
    and logs show. For a duos phone ``second`` holds the other IMEI.
    """

    kind: str
    value: str
    display: str
    masked: str
    last4: str | None = None
    second: str | None = None

    def __repr__(self) -> str:
        return f"Target(kind={self.kind!r}, masked={self.masked!r})"


def _country(region: str) -> str:
    return Locale("en").territories.get(region, region)


def _looks_like_phone(raw: str, region: str) -> bool:
    text = raw.strip()
    if text.startswith("+"):
        return True
    try:
        number = phonenumbers.parse(text, region)
    except phonenumbers.NumberParseException:
        return False
    return phonenumbers.is_valid_number(number)


def validate_card_number(raw: str) -> CardNumber:
    """A 12-19 digit card number with a valid Luhn check digit (spaces and dashes allowed)."""
    digits = _digits_only(raw)
    if not digits:
        raise InvalidCardNumber("No card number was given: type it from the card or scan it.")
    if not digits.isdigit():
        raise InvalidCardNumber(
            "A card number has only digits: type it again from the card or its printout."
        )
    if not 12 <= len(digits) <= 19:
        raise InvalidCardNumber(
            f"A card number has 12 to 19 digits, this one has {len(digits)}: "
            "type it again from the card or its printout."
        )
    if not luhn.is_valid(digits):
        raise InvalidCardNumber(
            "Card number fails its check digit: read the card again or type it from the card."
        )
    last4 = digits[-4:]
    masked = _group_from_right("*" * (len(digits) - 4) + last4)
    return CardNumber(number=digits, last4=last4, masked=masked)


def _card_target(raw: str, region: str) -> Target:
    text = raw.strip()
    if text.startswith(("+", "0")) and _looks_like_phone(text, region):
        raise WrongTargetKind(PHONE_TO_CARD_REFUSAL)
    try:
        card = validate_card_number(text)
    except InvalidCardNumber:
        if _looks_like_phone(text, region):
            raise WrongTargetKind(PHONE_TO_CARD_REFUSAL) from None
        raise
    return Target("card", card.number, card.grouped, card.masked, card.last4)


def validate_phone(raw: str, *, region: str, prefixes: Sequence[str] | None = None) -> PhoneNumber:
    """A valid mobile number of ``region``; with ``prefixes``, only those national prefixes.

    Prefixes may be written with or without the trunk ``0`` (``"064"`` or ``"64"``).
    """
    example_number = phonenumbers.example_number_for_type(
        region, phonenumbers.PhoneNumberType.MOBILE
    )
    example = (
        phonenumbers.format_number(example_number, phonenumbers.PhoneNumberFormat.NATIONAL)
        if example_number is not None
        else "the number with its area code"
    )
    text = raw.strip()
    try:
        number = phonenumbers.parse(text, region)
    except phonenumbers.NumberParseException:
        raise InvalidPhoneNumber(
            f"{text!r} is not a phone number: type the customer's mobile number, e.g. {example}."
        ) from None
    number_region = phonenumbers.region_code_for_number(number)
    shown = phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.INTERNATIONAL)
    if not phonenumbers.is_valid_number(number):
        raise InvalidPhoneNumber(
            f"{text} is not a valid phone number: check the digits, e.g. {example}."
        )
    if number_region != region:
        raise InvalidPhoneNumber(
            f"{shown} is a number of {_country(number_region or '')}: only mobile numbers of "
            f"{_country(region)} can be topped up here."
        )
    mobile_types = (
        phonenumbers.PhoneNumberType.MOBILE,
        phonenumbers.PhoneNumberType.FIXED_LINE_OR_MOBILE,
    )
    national = phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.NATIONAL)
    if phonenumbers.number_type(number) not in mobile_types:
        raise InvalidPhoneNumber(
            f"{national} is not a mobile number: type the customer's mobile number, e.g. {example}."
        )
    if prefixes:
        significant = phonenumbers.national_significant_number(number)
        wanted = [p.removeprefix("0") for p in prefixes]
        if not any(significant.startswith(p) for p in wanted):
            listed = ", ".join("0" + p for p in wanted)
            raise InvalidPhoneNumber(
                f"{national} cannot be topped up here: this terminal tops up only numbers "
                f"starting with {listed}."
            )
    e164 = phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.E164)
    return PhoneNumber(e164=e164, national=national, region=region)


def validate_imei(raw: str) -> str:
    """Exactly 15 digits with a valid check digit (an IMEISV's 14/16 digits are refused)."""
    digits = _digits_only(raw)
    if not digits.isdigit():
        raise InvalidImei(
            "An IMEI has only digits: dial *#06# on the phone and type the 15 digits shown."
        )
    if len(digits) != 15:
        hint = " (16 digits is the IMEISV, not the IMEI)" if len(digits) == 16 else ""
        raise InvalidImei(
            f"An IMEI has exactly 15 digits, this has {len(digits)}{hint}: "
            "dial *#06# on the phone and type the IMEI shown."
        )
    if not stdnum_imei.is_valid(digits):
        raise InvalidImei(
            f"IMEI {digits} fails its check digit: read it again from the phone (*#06#) "
            "or from its box."
        )
    return digits


def validate_imei_pair(first: str, second: str) -> tuple[str, str]:
    """Both IMEIs of a dual-SIM ("duos") phone: each valid, and not the same twice."""
    a = validate_imei(first)
    b = validate_imei(second)
    if a == b:
        raise InvalidImei(
            "Both IMEIs are the same: a duos phone has two different IMEIs, *#06# shows both."
        )
    return a, b


_ACCOUNT = re.compile(r"[0-9A-Za-z][0-9A-Za-z \-/.]{2,39}")


def validate_account(raw: str, *, kind: str = "bill_account") -> str:
    """A bill or benefit account reference: 3-40 letters, digits, spaces, - / or ."""
    text = " ".join(raw.split())
    if not _ACCOUNT.fullmatch(text):
        what = "benefit account" if kind == "benefit_account" else "account number"
        raise InvalidAccount(
            f"{text!r} is not a {what}: type it as printed on the bill or card "
            "(3 to 40 letters and digits)."
        )
    return text


def validate_target(
    product: ProductConfig, raw: str, *, second: str | None = None, region: str
) -> Target:
    """Check ``raw`` as the beneficiary ``product`` needs; ``second`` only for a duos IMEI."""
    kind = product.target
    if second is not None and kind != "imei":
        raise WrongTargetKind(
            "Only an IMEI fee takes a second number (for a duos phone): leave it empty."
        )
    if kind == "card":
        return _card_target(raw, region)
    if kind == "phone":
        try:
            phone = validate_phone(raw, region=region, prefixes=product.phone_prefixes or None)
        except InvalidPhoneNumber:
            digits = _digits_only(raw)
            if digits.isdigit() and 12 <= len(digits) <= 19 and luhn.is_valid(digits):
                raise WrongTargetKind(
                    "This is a card number: a mobile top-up needs the customer's phone number."
                ) from None
            raise
        return Target("phone", phone.e164, phone.national, phone.national)
    if kind == "imei":
        if second is not None and second.strip():
            a, b = validate_imei_pair(raw, second)
            return Target("imei", a, f"{a} / {b}", f"{a} / {b}", second=b)
        single = validate_imei(raw)
        return Target("imei", single, single, single)
    if kind in ("bill_account", "benefit_account"):
        account = validate_account(raw, kind=kind)
        return Target(kind, account, account, account)
    if kind == "none":
        if raw.strip():
            raise WrongTargetKind(
                "A card sale issues a new card and needs no card or phone number: leave it empty."
            )
        return Target("none", "", "", "")
    raise WrongTargetKind(f"Product {product.id} has an unknown target kind {kind!r}.")


def _show(
    minor: int, currency: str, locale: str, styles: MoneyStyles = DEFAULT_MONEY_STYLES
) -> str:
    return Money(minor, currency).format(locale, styles=styles)


def validate_amount(product: ProductConfig, amount_minor: int) -> int:
    """Refuse a face value outside the product's min/max or off its step."""
    in_range = product.min_minor <= amount_minor <= product.max_minor
    on_step = amount_minor % product.step_minor == 0
    if not (in_range and on_step):
        locale, currency, styles = product.locale, product.currency, product.money
        raise AmountOutOfRange(
            f"{_show(amount_minor, currency, locale, styles)} cannot be sold as "
            f"{product.display_name('en').lower()}: type an amount from "
            f"{_show(product.min_minor, currency, locale, styles)} to "
            f"{_show(product.max_minor, currency, locale, styles)} "
            f"in steps of {_show(product.step_minor, currency, locale, styles)}.",
            params={
                "min_minor": product.min_minor,
                "max_minor": product.max_minor,
                "step_minor": product.step_minor,
                "currency": currency,
            },
        )
    return amount_minor


def validate_cash(
    total_minor: int,
    cash_minor: int,
    currency: str,
    *,
    locale: str = "en",
    styles: MoneyStyles = DEFAULT_MONEY_STYLES,
) -> int:
    """The change to give back; refuses cash that does not cover the total, and cash whose
    change would exceed the currency's ``max_change`` (default: its largest banknote): a
    slip must never tell the clerk to hand back 99.988,00 € for a typo."""
    if cash_minor < total_minor:
        total = _show(total_minor, currency, locale, styles)
        raise NotEnoughCash(
            f"Customer gave {_show(cash_minor, currency, locale, styles)}, the total is {total}: "
            f"take at least {total}.",
            params={"total_minor": total_minor, "cash_minor": cash_minor, "currency": currency},
        )
    most = styles.max_change_minor(currency)
    if cash_minor - total_minor > most:
        total = _show(total_minor, currency, locale, styles)
        highest = _show(total_minor + most, currency, locale, styles)
        raise CashTooLarge(
            f"The cash typed is more than the total {total} plus the most change given back "
            f"({_show(most, currency, locale, styles)}): check the cash; at most {highest}."
        )
    return cash_minor - total_minor


def validate_message(text: str, max_length: int) -> str:
    """One printable line of at most ``max_length`` characters (letters of any script)."""
    message = unicodedata.normalize("NFC", text).strip()
    for char in message:
        category = unicodedata.category(char)
        if category.startswith("C") or category in ("Zl", "Zp"):
            raise InvalidMessage(
                "The message may hold only letters, digits, spaces and punctuation on one "
                "line: type it again without special keys."
            )
    if len(message) > max_length:
        raise InvalidMessage(
            f"The message has {len(message)} characters but the slip holds {max_length}: "
            "shorten it.",
            params={"length": len(message), "max": max_length},
        )
    return message


def validate_benefit_type(product: ProductConfig, value: str) -> str:
    """One of the benefit types this location accepts; the clerk must choose it explicitly."""
    choice = value.strip()
    if choice not in product.benefit_types:
        accepted = ", ".join(product.benefit_types)
        raise InvalidBenefitType(
            f"{choice!r} is not a benefit type accepted here: choose one of {accepted}."
        )
    return choice


def check_id(product: ProductConfig, amount_minor: int, *, id_checked: bool) -> None:
    """Refuse a sale above the product's ID-check limit until the clerk confirms an ID check."""
    limit = product.id_check_above_minor
    if limit is not None and amount_minor > limit and not id_checked:
        raise IdCheckRequired(
            f"Above {_show(limit, product.currency, product.locale, product.money)} "
            "the customer must show "
            "an identity document: check it, then confirm the ID check."
        )


__all__ = [
    "PHONE_TO_CARD_REFUSAL",
    "CardNumber",
    "PhoneNumber",
    "Target",
    "check_id",
    "validate_account",
    "validate_amount",
    "validate_benefit_type",
    "validate_card_number",
    "validate_cash",
    "validate_imei",
    "validate_imei_pair",
    "validate_message",
    "validate_phone",
    "validate_target",
]
