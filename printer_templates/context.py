"""Typed slip contexts: what the sale service hands the renderer for each kind of slip.

Amounts are integer minor units plus a currency and times are aware datetimes, so the renderer
alone decides how the market writes them (Babel, the market's time zone). Contexts check their
own invariants when built, because a slip with a wrong or missing field is a wrong proof of
payment, and it is better to fail before anything is printed.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

#: Reversal window kinds a sale slip knows how to describe (``terminal.catalog.ReversalWindow``).
REVERSAL_WINDOWS = ("duration", "same_day", "none")

#: Report kinds: X = running totals, the period stays open; Z = closing report.
REPORT_KINDS = ("X", "Z")


class SlipContextError(ValueError):
    """A slip context that would print a wrong or incomplete slip; says which field to fix."""


def _require_aware(name: str, value: datetime | None) -> None:
    if value is not None and (value.tzinfo is None or value.utcoffset() is None):
        raise SlipContextError(f"{name} must be a timezone-aware datetime, got {value!r}")


def _require_txn(name: str, txn: str) -> None:
    if not (isinstance(txn, str) and len(txn) == 14 and txn.isdigit()):
        raise SlipContextError(f"{name} must be a 14-digit transaction number, got {txn!r}")


@dataclass(frozen=True)
class SlipHeader:
    """Who printed the slip, where and when; ``timezone`` is the market's IANA zone."""

    merchant_name: str
    merchant_address: str
    terminal_id: str
    printed_at: datetime
    timezone: str

    def __post_init__(self) -> None:
        _require_aware("printed_at", self.printed_at)
        try:
            ZoneInfo(self.timezone)
        except (ZoneInfoNotFoundError, ValueError):
            raise SlipContextError(f"unknown time zone {self.timezone!r}") from None


@dataclass(frozen=True)
class SaleSlip:
    """A sale as its customer's proof: the slip carries everything that identifies it.

    ``fees`` are ``(name, amount_minor)`` pairs where ``name`` is the tariff's fee name (a
    message id the slip translates). ``target_last4`` is the card's real last four digits (card
    products); ``imeis`` holds one IMEI or both of a dual-SIM phone. ``product_data`` is what
    the host returned or the clerk chose for this product (see ``printer_templates.samples``).
    """

    header: SlipHeader
    txn: str
    product: str
    currency: str
    amount_minor: int
    fees: tuple[tuple[str, int], ...]
    total_minor: int
    cash_minor: int
    change_minor: int
    target_display: str
    target_last4: str | None = None
    imeis: tuple[str, ...] = ()
    auth_code: str | None = None
    offline: bool = False
    storno_deadline: datetime | None = None
    reversal_window: str = "duration"
    product_data: Mapping[str, Any] = field(default_factory=dict)
    copy_number: int | None = None
    #: the product's name from kiosk.toml in the slip's language; None: the catalog's name
    product_name: str | None = None
    #: a copy of a sale reversed since (storno): when; the copy says so and offers no storno
    reversed_at: datetime | None = None

    def __post_init__(self) -> None:
        _require_txn("txn", self.txn)
        _require_aware("storno_deadline", self.storno_deadline)
        if self.reversal_window not in REVERSAL_WINDOWS:
            raise SlipContextError(
                f"reversal_window must be one of {', '.join(REVERSAL_WINDOWS)}, "
                f"got {self.reversal_window!r}"
            )
        if self.reversal_window == "duration" and self.storno_deadline is None:
            raise SlipContextError("a 'duration' reversal window needs storno_deadline")
        if self.auth_code is None and not self.offline:
            raise SlipContextError("an online sale needs auth_code; an offline one offline=True")
        fees_minor = sum(amount for _, amount in self.fees)
        if self.amount_minor + fees_minor != self.total_minor:
            raise SlipContextError(
                f"total_minor {self.total_minor} is not amount {self.amount_minor} "
                f"+ fees {fees_minor}"
            )
        # A benefit payment is paid from the benefit balance: no cash, no change (issue 14).
        paid_from_benefit = self.product == "benefit-payment" and self.cash_minor == 0
        expected_change = 0 if paid_from_benefit else self.cash_minor - self.total_minor
        if self.change_minor != expected_change:
            raise SlipContextError(
                f"change_minor {self.change_minor} is not cash {self.cash_minor} "
                f"- total {self.total_minor}"
            )
        if self.target_last4 is not None and not (
            len(self.target_last4) == 4 and self.target_last4.isdigit()
        ):
            raise SlipContextError(f"target_last4 must be 4 digits, got {self.target_last4!r}")
        if self.copy_number is not None and self.copy_number < 1:
            raise SlipContextError(f"copy_number must be 1 or more, got {self.copy_number}")


@dataclass(frozen=True)
class StornoSlip:
    """A reversal of a confirmed sale: refers to the original and says what is given back."""

    header: SlipHeader
    txn: str
    original_txn: str
    original_printed_at: datetime
    product: str
    currency: str
    amount_minor: int
    target_display: str
    reason: str
    copy_number: int | None = None
    product_name: str | None = None
    #: the face value the operator or issuer reverses (None: ``amount_minor``) ...
    face_minor: int | None = None
    #: ... and the fees paid back with it (docs/storno.md: fees are refunded)
    fees_minor: int = 0

    def __post_init__(self) -> None:
        _require_txn("txn", self.txn)
        _require_txn("original_txn", self.original_txn)
        _require_aware("original_printed_at", self.original_printed_at)
        if self.copy_number is not None and self.copy_number < 1:
            raise SlipContextError(f"copy_number must be 1 or more, got {self.copy_number}")


@dataclass(frozen=True)
class FailureSlip:
    """A failed transaction: tells the clerk not to take the money, or to give it back."""

    header: SlipHeader
    txn: str
    product: str
    currency: str
    amount_minor: int
    reason: str
    product_name: str | None = None

    def __post_init__(self) -> None:
        _require_txn("txn", self.txn)


@dataclass(frozen=True)
class ReportLine:
    """One product in one currency over the report's period."""

    product: str
    currency: str
    count: int
    total_minor: int
    product_name: str | None = None


@dataclass(frozen=True)
class CurrencyCount:
    """A count and an amount in one currency (stornos, cash in the drawer)."""

    currency: str
    count: int
    total_minor: int


@dataclass(frozen=True)
class CashMoveLine:
    """One cash movement besides sales (opening float, cash in, cash out) on an X/Z report.

    ``reason`` is a code the slip catalogs translate (``names.cash_reasons``)."""

    kind: str
    currency: str
    amount_minor: int
    reason: str
    clerk: str | None = None


@dataclass(frozen=True)
class ClerkLine:
    """One clerk's part of a report in one currency: sales, stornos and cash in the drawer.

    ``name`` is the clerk's name from the clerk book (empty for ``api`` or a clerk since
    removed); the figures come from the store (``PeriodFigures.by_clerk``), their one owner."""

    clerk: str
    currency: str
    sales_count: int
    sales_minor: int
    stornos_count: int
    stornos_minor: int
    cash_minor: int
    name: str = ""


@dataclass(frozen=True)
class ReportSlip:
    """An X (running) or Z (closing) report of the terminal's sales over a period."""

    header: SlipHeader
    kind: str
    period_from: datetime
    period_to: datetime
    lines: tuple[ReportLine, ...]
    stornos: tuple[CurrencyCount, ...]
    cash_in_drawer: tuple[CurrencyCount, ...]
    failed_count: int
    voided_count: int
    z_number: int | None = None
    #: Per currency: payments the customers' benefit balances paid (no cash moved), net of
    #: their stornos; counted apart from the cash in the drawer.
    benefit_paid: tuple[CurrencyCount, ...] = ()
    #: the figures per clerk (who sold, who paid back, the cash each put in the drawer)
    by_clerk: tuple[ClerkLine, ...] = ()
    #: The journal head the report closes on, short (``"1234 3fa9c2d1e0b7a4c2"``): printed on
    #: paper it anchors the journal outside the box (docs/card-data.md).
    journal_head: str | None = None
    #: the float, cash in and cash out of the period (terminal.shift), in journal order
    cash_moves: tuple[CashMoveLine, ...] = ()

    def __post_init__(self) -> None:
        if self.kind not in REPORT_KINDS:
            raise SlipContextError(f"report kind must be X or Z, got {self.kind!r}")
        if self.kind == "Z" and self.z_number is None:
            raise SlipContextError("a Z report needs its z_number")
        _require_aware("period_from", self.period_from)
        _require_aware("period_to", self.period_to)
        if self.period_to < self.period_from:
            raise SlipContextError("period_to is before period_from")


@dataclass(frozen=True)
class TestPageSlip:
    """The printer test page: which terminal printed it and when."""

    __test__ = False  # not a pytest test class despite the name

    header: SlipHeader
    printer_profile: str = "default"


SlipContext = SaleSlip | StornoSlip | FailureSlip | ReportSlip | TestPageSlip

__all__ = [
    "REPORT_KINDS",
    "REVERSAL_WINDOWS",
    "CurrencyCount",
    "FailureSlip",
    "ReportLine",
    "ReportSlip",
    "SaleSlip",
    "SlipContext",
    "SlipContextError",
    "SlipHeader",
    "StornoSlip",
    "TestPageSlip",
]
