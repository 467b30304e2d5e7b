"""What the terminal sells: the product model the configuration fills in.

Products are a fixed set of ids because each needs its own flow (slip, target, host message);
everything that changes per market or per tariff (currency, limits, fees, windows, offline
policy) is data in kiosk.toml.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime, time, timedelta
from zoneinfo import ZoneInfo

from foundation.money import DEFAULT_MONEY_STYLES, MoneyStyles
from terminal.tariffs import FeeRule

#: Product id -> what identifies the beneficiary. ``none``: a card sale issues a new card.
PRODUCT_TARGETS: dict[str, str] = {
    "card-topup": "card",
    "card-sale": "none",
    "mobile-topup": "phone",
    "imei-fee": "imei",
    "bill-payment": "bill_account",
    "benefit-payment": "benefit_account",
}

PRODUCT_IDS: tuple[str, ...] = tuple(PRODUCT_TARGETS)

#: English names, used when kiosk.toml gives none for a language.
DEFAULT_NAMES: dict[str, str] = {
    "card-topup": "Card top-up",
    "card-sale": "Prepaid card",
    "mobile-topup": "Mobile top-up",
    "imei-fee": "IMEI registration fee",
    "bill-payment": "Bill payment",
    "benefit-payment": "Benefit payment",
}

#: Reversal window a product gets when kiosk.toml does not say (business rules, section 6).
DEFAULT_REVERSAL_WINDOWS: dict[str, str] = {
    "card-topup": "5m",
    "card-sale": "5m",
    "mobile-topup": "5m",
    "imei-fee": "none",
    "bill-payment": "5m",
    "benefit-payment": "same_day",
}

#: How the customer pays: ``cash`` at the counter, or ``benefit``: from the benefit balance the
#: host debits (SmartumPay: no cash taken, no change, no drawer; business rules section 5).
TENDERS: tuple[str, ...] = ("cash", "benefit")


@dataclass(frozen=True)
class ReversalWindow:
    """How long after its slip printed a sale may still be reversed at this terminal.

    The one place in the terminal that does the window's arithmetic: the storno service's
    check, the slip's printed deadline and the storno screen's countdown and list all ask it.
    ``confirmed_at`` is when the sale slip printed (the sale's ``printed_at``); ``timezone``
    is the terminal's, because ``same_day`` is its local calendar day. The window includes
    its closing moment.
    """

    kind: str  # "duration" | "same_day" | "none"
    seconds: int | None = None

    def closes_at(self, confirmed_at: datetime, timezone: str) -> datetime | None:
        """The last moment a storno is accepted (inclusive); None when there is no storno.

        ``same_day``: the last microsecond before the terminal's next local midnight.
        """
        if self.kind == "none":
            return None
        if self.kind == "same_day":
            zone = ZoneInfo(timezone)
            day = confirmed_at.astimezone(zone).date()
            midnight = datetime.combine(day + timedelta(days=1), time.min).replace(tzinfo=zone)
            return midnight - timedelta(microseconds=1)
        assert self.seconds is not None
        return confirmed_at + timedelta(seconds=self.seconds)

    def is_open(self, confirmed_at: datetime, now: datetime, timezone: str) -> bool:
        """Whether a storno is still allowed at ``now`` (never before the slip printed)."""
        closes = self.closes_at(confirmed_at, timezone)
        return closes is not None and confirmed_at <= now <= closes

    def seconds_left(self, confirmed_at: datetime, now: datetime, timezone: str) -> float | None:
        """Seconds until the window closes (negative once closed); None when there is none."""
        closes = self.closes_at(confirmed_at, timezone)
        return None if closes is None else (closes - now).total_seconds()

    def earliest_open(self, now: datetime, timezone: str) -> datetime | None:
        """The earliest print time whose window is still open at ``now`` (None: no storno).

        What the storno screen searches the store from.
        """
        if self.kind == "none":
            return None
        if self.kind == "same_day":
            zone = ZoneInfo(timezone)
            return datetime.combine(now.astimezone(zone).date(), time.min).replace(tzinfo=zone)
        assert self.seconds is not None
        return now - timedelta(seconds=self.seconds)

    def describe(self) -> str:
        if self.kind == "duration":
            return f"{self.seconds}s"
        return self.kind


@dataclass(frozen=True)
class OfflinePolicy:
    """Whether a sale may be accepted while the host is unreachable, and within which limits.

    ``max_unforwarded_total_minor`` caps the sum of this currency's offline sales not yet
    delivered to the host; ``max_age_s`` caps the age of the oldest of them.
    """

    allowed: bool
    max_amount_minor: int | None = None
    max_unforwarded_total_minor: int | None = None
    max_age_s: float | None = None


@dataclass(frozen=True)
class ProductConfig:
    """One product as this terminal sells it; amounts in minor units of ``currency``."""

    id: str
    currency: str
    min_minor: int
    max_minor: int
    step_minor: int
    tender: tuple[str, ...]
    reversal_window: ReversalWindow
    offline: OfflinePolicy
    fees: tuple[FeeRule, ...]
    target: str
    id_check_above_minor: int | None = None
    attempt_timeout_s: float = 120.0
    phone_prefixes: tuple[str, ...] = ()
    benefit_types: tuple[str, ...] = ()
    message_max_length: int = 60
    name: Mapping[str, str] = field(default_factory=dict)
    #: Locale of the market, so refusals show amounts the way the clerk writes them ...
    locale: str = "en"
    #: ... with the market's money decisions (kiosk.toml's [money]).
    money: MoneyStyles = DEFAULT_MONEY_STYLES

    @property
    def pays_from_benefit(self) -> bool:
        """The customer pays from a benefit balance: the counter takes no cash for it."""
        return self.tender == ("benefit",)

    def display_name(self, language: str) -> str:
        """The product's name in ``language``, else English, else the built-in English name."""
        return self.name.get(language) or self.name.get("en") or DEFAULT_NAMES[self.id]


__all__ = [
    "DEFAULT_NAMES",
    "DEFAULT_REVERSAL_WINDOWS",
    "PRODUCT_IDS",
    "PRODUCT_TARGETS",
    "TENDERS",
    "OfflinePolicy",
    "ProductConfig",
    "ReversalWindow",
]
