"""The shape every simulated operator or issuer has, so the routing never special-cases one.

A provision *reserves* (checks and returns what the slip needs, changes nothing the customer
can use); a confirm *applies* the effect (balance, card, registration); a void or reversal of a
provisioned sale *releases* the reservation; a storno *undoes* an applied effect. Keeping the
effect at confirm time is what makes "confirmed only once the slip printed" true on the host
side too: an unconfirmed provision never gave the customer anything, so auto-reversal is safe.
"""

from __future__ import annotations

import json
import sqlite3
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from hostsim.store import HostStore

#: The advice horizon the protocol promises (docs/host-protocol.md#advice-horizon): a confirm or
#: storno advice arriving this late is still honoured. It is longer than any offline ``max_age``
#: and any forwarder backoff, so a printed slip is never undone by the clock alone.
ADVICE_HORIZON_S = 48 * 3600
#: The least horizon ``kiosk-host serve`` accepts: what terminals may count on (their own
#: ``[host] advice_horizon`` defaults to it).
MIN_ADVICE_HORIZON_S = 24 * 3600


@dataclass(frozen=True)
class HostSettings:
    """Knobs of the simulated host; every duration is seconds on the host's clock."""

    max_skew_s: int = 300
    #: How long an unconfirmed provision (or an approved storno) waits for its advice before
    #: the host releases it by itself. Tests may set a short one to exercise the sweep.
    advice_horizon_s: int = ADVICE_HORIZON_S
    #: How long an approved storno request waits for its advice before lapsing back to
    #: ``confirmed``. Short on purpose: a storno advice after a lapse is still honoured (as an
    #: advice without request, checked at its print time), and a lapse frees the sale for a
    #: new storno request after a storno slip failed to print.
    storno_lapse_s: int = 120
    storno_window_s: int = 300
    #: Benefit payments may be cancelled the same business day, in the provider's time zone.
    benefit_timezone: str = "Europe/Helsinki"
    #: MTS message times and validity dates are Belgrade local time.
    mts_timezone: str = "Europe/Belgrade"
    validity_days: int = 30


@dataclass
class Ctx:
    """What one request's handler may use."""

    store: HostStore
    now: datetime
    terminal_id: str
    settings: HostSettings

    @property
    def now_iso(self) -> str:
        return self.now.isoformat()


@dataclass(frozen=True)
class ProvisionInput:
    """A validated provision request (amounts already checked to be integers)."""

    txn: str
    product: str
    amount_minor: int
    fees_minor: int
    total_minor: int
    currency: str
    target: str
    fields: dict[str, Any] = field(default_factory=dict)


class Product:
    """Base of one simulated product; subclasses override what their issuer does."""

    product: str = ""
    currency: str = ""
    #: ``"duration"`` (the host's storno window), ``"same_day"`` or ``"none"``.
    storno_window: str = "duration"
    #: Whether an ``offline_sale`` advice can be honoured (not when the slip needs issuer data).
    offline_allowed: bool = True

    def authorize(self, ctx: Ctx, req: ProvisionInput) -> dict[str, Any]:
        """Check the sale and return its product data; raise ``Decline`` to refuse."""
        raise NotImplementedError

    def apply(self, ctx: Ctx, txn: sqlite3.Row) -> dict[str, Any]:
        """Give the customer what was paid for (at confirm / offline sale); extra product data."""
        return {}

    def release(self, ctx: Ctx, txn: sqlite3.Row) -> None:
        """Drop a reservation of a provision that is voided or reversed before confirm."""

    def undo(self, ctx: Ctx, txn: sqlite3.Row) -> dict[str, Any]:
        """Take back an applied sale (storno); raise ``Decline`` when the issuer cannot."""
        return {}

    def check_undo(self, ctx: Ctx, txn: sqlite3.Row) -> None:
        """Refuse a storno request early (before the storno slip prints) when undo would fail."""


def fields_of(txn: sqlite3.Row) -> dict[str, Any]:
    data: dict[str, Any] = json.loads(txn["fields_json"] or "{}")
    return data


def product_data_of(txn: sqlite3.Row) -> dict[str, Any]:
    data: dict[str, Any] = json.loads(txn["product_data_json"] or "{}")
    return data


__all__ = ["Ctx", "HostSettings", "Product", "ProvisionInput", "fields_of", "product_data_of"]
