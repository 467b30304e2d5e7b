"""The prepaid card issuer: card top-ups (Online/Premium) and Simple card issuance.

The registry follows the issuer's rules in business-rules.md sections 2 and 3: a top-up needs
the card number (never a phone number), KYC and blocked cards are refused, and a Simple card
sale returns the card data the slip prints, because the printout *is* the card. The card is
only reserved at provision and activated at confirm, so a slip that never printed never leaves
a live card behind.
"""

from __future__ import annotations

import secrets
import sqlite3
from datetime import datetime
from typing import Any

from stdnum import luhn

from foundation.host_wire import DeclineCode as D
from hostsim import testnumbers
from hostsim.errors import Decline
from hostsim.messages import format_minor
from hostsim.products import Ctx, Product, ProvisionInput
from hostsim.store import HostStore

MIN_TOPUP_MINOR = 100
MAX_TOPUP_MINOR = 250_000
MAX_SIMPLE_FACE_MINOR = 24_700
SIMPLE_CARD_PREFIX = "539000"
RELOCK_SMS_NUMBER = "+386 31 891 888"


def _card(store: HostStore, number: str) -> sqlite3.Row | None:
    return store.one("SELECT * FROM cards WHERE card_number = ?", (number,))


def card_number_or_decline(target: str) -> str:
    """A card number with spaces removed; a phone number or a bad check digit is declined."""
    text = target.strip()
    digits = text.replace(" ", "").replace("-", "")
    if text.startswith("+") or text.startswith("00"):
        raise Decline(
            D.PHONE_TOPUP_NOT_POSSIBLE,
            "A card cannot be topped up to a phone number at the point of sale; type the card "
            "number printed on the card.",
        )
    if not digits.isdigit() or not 13 <= len(digits) <= 19 or not luhn.is_valid(digits):
        raise Decline(
            D.INVALID_CARD_NUMBER,
            f"{text} is not a valid card number; check the digits on the card and type it again.",
        )
    return digits


def ensure_card(ctx: Ctx, number: str) -> sqlite3.Row:
    """Test mode: any Luhn-valid number is a card, created on first use."""
    row = _card(ctx.store, number)
    if row is None:
        card_type = "premium" if number == testnumbers.PREMIUM_CARD else "online"
        status = "blocked" if number == testnumbers.BLOCKED_CARD else "active"
        kyc = "required" if number == testnumbers.KYC_REQUIRED_CARD else "verified"
        ctx.store.execute(
            "INSERT INTO cards (card_number, card_type, status, kyc_state, balance_minor,"
            " currency, created_at) VALUES (?, ?, ?, ?, 0, 'EUR', ?)",
            (number, card_type, status, kyc, ctx.now_iso),
        )
        row = _card(ctx.store, number)
        assert row is not None
    return row


def _lock_instructions(last4: str) -> dict[str, Any]:
    return {
        "sms_number": RELOCK_SMS_NUMBER,
        "relock_sms": f"RELOCK {last4}",
        "unlock_sms": f"UNLOCK {last4}",
        "kyc_lock_minutes": 30,
    }


class CardTopup(Product):
    """``card-topup``: credit on an existing Online or Premium card, in EUR."""

    product = "card-topup"
    currency = "EUR"

    def authorize(self, ctx: Ctx, req: ProvisionInput) -> dict[str, Any]:
        number = card_number_or_decline(req.target)
        if number == testnumbers.UNKNOWN_CARD:
            raise Decline(
                D.UNKNOWN_CARD,
                "The issuer does not know this card; check the number or ask the customer to "
                "contact the issuer.",
            )
        if not MIN_TOPUP_MINOR <= req.amount_minor <= MAX_TOPUP_MINOR:
            raise Decline(
                D.AMOUNT_OUT_OF_RANGE,
                f"Card top-ups go from {format_minor(MIN_TOPUP_MINOR, 'EUR')} to "
                f"{format_minor(MAX_TOPUP_MINOR, 'EUR')}; choose another amount.",
            )
        card = ensure_card(ctx, number)
        if card["status"] != "active":
            raise Decline(
                D.CARD_BLOCKED,
                "This card is blocked by the issuer and cannot be topped up; the holder must "
                "contact the issuer.",
            )
        if card["kyc_state"] == "required":
            raise Decline(
                D.KYC_REQUIRED,
                "The issuer needs the card holder's identity documents before this card can be "
                "topped up; the holder must complete KYC with the issuer first.",
            )
        last4 = number[-4:]
        return {"card_type": card["card_type"], "last4": last4, **_lock_instructions(last4)}

    def apply(self, ctx: Ctx, txn: sqlite3.Row) -> dict[str, Any]:
        number = str(txn["target"]).replace(" ", "").replace("-", "")
        ctx.store.execute(
            "UPDATE cards SET balance_minor = balance_minor + ? WHERE card_number = ?",
            (int(txn["amount_minor"]), number),
        )
        return {}

    def check_undo(self, ctx: Ctx, txn: sqlite3.Row) -> None:
        number = str(txn["target"]).replace(" ", "").replace("-", "")
        card = _card(ctx.store, number)
        if card is None or int(card["balance_minor"]) < int(txn["amount_minor"]):
            raise Decline(
                D.CARD_BALANCE_SPENT,
                "The card no longer holds the topped-up amount (it was spent), so the issuer "
                "cannot take it back; no storno is possible.",
            )

    def undo(self, ctx: Ctx, txn: sqlite3.Row) -> dict[str, Any]:
        self.check_undo(ctx, txn)
        number = str(txn["target"]).replace(" ", "").replace("-", "")
        ctx.store.execute(
            "UPDATE cards SET balance_minor = balance_minor - ? WHERE card_number = ?",
            (int(txn["amount_minor"]), number),
        )
        return {}


def _fresh_card_number(store: HostStore) -> str:
    while True:
        body = SIMPLE_CARD_PREFIX + "".join(secrets.choice("0123456789") for _ in range(9))
        number = body + luhn.calc_check_digit(body)
        if _card(store, number) is None:
            return number


def _expiry(now: datetime) -> str:
    month = now.month
    year = now.year + 3
    return f"{month:02d}/{year % 100:02d}"


class CardSale(Product):
    """``card-sale``: a Simple card issued as a printout, already activated once confirmed."""

    product = "card-sale"
    currency = "EUR"
    offline_allowed = False

    def authorize(self, ctx: Ctx, req: ProvisionInput) -> dict[str, Any]:
        card_type = str(req.fields.get("card_type", "simple"))
        if card_type != "simple":
            raise Decline(
                D.CARD_TYPE_NOT_SOLD,
                f"Only Simple cards are sold at the counter, not {card_type!r} cards.",
            )
        if not MIN_TOPUP_MINOR <= req.amount_minor <= MAX_SIMPLE_FACE_MINOR:
            raise Decline(
                D.AMOUNT_OUT_OF_RANGE,
                f"A Simple card holds from {format_minor(MIN_TOPUP_MINOR, 'EUR')} to "
                f"{format_minor(MAX_SIMPLE_FACE_MINOR, 'EUR')}; choose another face value.",
            )
        number = _fresh_card_number(ctx.store)
        expiry = _expiry(ctx.now)
        cvc = "".join(secrets.choice("0123456789") for _ in range(3))
        ctx.store.execute(
            "INSERT INTO cards (card_number, card_type, status, kyc_state, balance_minor,"
            " currency, expiry, cvc, issued_txn, created_at)"
            " VALUES (?, 'simple', 'reserved', 'verified', 0, 'EUR', ?, ?, ?, ?)",
            (number, expiry, cvc, req.txn, ctx.now_iso),
        )
        last4 = number[-4:]
        return {
            "voucher": {
                "card_number": number,
                "expiry": expiry,
                "cvc": cvc,
                "card_type": "simple",
                "face_value_minor": req.amount_minor,
                "currency": "EUR",
            },
            "last4": last4,
            **_lock_instructions(last4),
        }

    def _number(self, ctx: Ctx, txn: sqlite3.Row) -> str:
        row = ctx.store.one("SELECT card_number FROM cards WHERE issued_txn = ?", (txn["txn"],))
        assert row is not None, "a provisioned card sale always has its reserved card"
        return str(row["card_number"])

    def apply(self, ctx: Ctx, txn: sqlite3.Row) -> dict[str, Any]:
        ctx.store.execute(
            "UPDATE cards SET status = 'active', balance_minor = ? WHERE card_number = ?",
            (int(txn["amount_minor"]), self._number(ctx, txn)),
        )
        return {}

    def release(self, ctx: Ctx, txn: sqlite3.Row) -> None:
        ctx.store.execute(
            "UPDATE cards SET status = 'cancelled' WHERE card_number = ?", (self._number(ctx, txn),)
        )

    def check_undo(self, ctx: Ctx, txn: sqlite3.Row) -> None:
        card = _card(ctx.store, self._number(ctx, txn))
        if card is None or int(card["balance_minor"]) < int(txn["amount_minor"]):
            raise Decline(
                D.CARD_BALANCE_SPENT,
                "The card has already been used, so the issuer cannot cancel it; no storno is "
                "possible.",
            )

    def undo(self, ctx: Ctx, txn: sqlite3.Row) -> dict[str, Any]:
        self.check_undo(ctx, txn)
        ctx.store.execute(
            "UPDATE cards SET status = 'cancelled', balance_minor = 0 WHERE card_number = ?",
            (self._number(ctx, txn),),
        )
        return {}


def card(store: HostStore, number: str) -> sqlite3.Row | None:
    return _card(store, number)


__all__ = ["CardSale", "CardTopup", "card", "card_number_or_decline"]
