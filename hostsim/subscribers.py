"""MTS-style prepaid subscribers: balance, validity date, storno and storno debt.

Follows the operator's published rules (business-rules.md section 1): a top-up extends the
validity, a storno takes the amount back from the balance, and whatever the subscriber already
spent becomes a debt collected from the next top-up(s), each collection announced in its own
message. The texts are the operator's, in Serbian Latin, with an English translation.
"""

from __future__ import annotations

import sqlite3
from datetime import date, timedelta
from typing import Any
from zoneinfo import ZoneInfo

import phonenumbers

from foundation.host_wire import DeclineCode as D
from hostsim import testnumbers
from hostsim.errors import Decline
from hostsim.messages import format_minor, log_message
from hostsim.products import Ctx, Product, ProvisionInput
from hostsim.store import HostStore

MIN_TOPUP_MINOR = 5_000
MAX_TOPUP_MINOR = 2_000_000


class SubscriberError(ValueError):
    """An admin action on a subscriber that cannot be done (unknown number, not enough credit)."""


def normalise_msisdn(text: str) -> str:
    """The E.164 form of a Serbian mobile number, or a decline in plain words."""
    try:
        number = phonenumbers.parse(text, "RS")
    except phonenumbers.NumberParseException:
        number = None
    if (
        number is None
        or not phonenumbers.is_valid_number(number)
        or phonenumbers.region_code_for_number(number) != "RS"
        or phonenumbers.number_type(number) != phonenumbers.PhoneNumberType.MOBILE
    ):
        raise Decline(
            D.INVALID_PHONE_NUMBER,
            f"{text} is not a Serbian mobile number; ask for a number starting with +381 6.",
        )
    return phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.E164)


def subscriber(store: HostStore, msisdn: str) -> sqlite3.Row | None:
    return store.one("SELECT * FROM subscribers WHERE msisdn = ?", (msisdn,))


def ensure_subscriber(ctx: Ctx, msisdn: str) -> sqlite3.Row:
    """Test mode: every valid number exists; a new one starts with no credit, valid today."""
    row = subscriber(ctx.store, msisdn)
    if row is None:
        today = _local_today(ctx)
        barred = 1 if msisdn == testnumbers.BARRED_SUBSCRIBER else 0
        ctx.store.execute(
            "INSERT INTO subscribers (msisdn, balance_minor, debt_minor, currency, valid_until,"
            " barred, created_at) VALUES (?, 0, 0, 'RSD', ?, ?, ?)",
            (msisdn, today.isoformat(), barred, ctx.now_iso),
        )
        row = subscriber(ctx.store, msisdn)
        assert row is not None
    return row


def _local_today(ctx: Ctx) -> date:
    return ctx.now.astimezone(ZoneInfo(ctx.settings.mts_timezone)).date()


def _local_hhmm(ctx: Ctx) -> str:
    return ctx.now.astimezone(ZoneInfo(ctx.settings.mts_timezone)).strftime("%H:%M")


def _new_validity(ctx: Ctx, current: str) -> date:
    base = max(_local_today(ctx), date.fromisoformat(current))
    return base + timedelta(days=ctx.settings.validity_days)


def topup_texts(hhmm: str, amount_minor: int, valid_until: date, txn: str) -> dict[str, str]:
    din = format_minor(amount_minor, "DIN")
    until = valid_until.strftime("%d.%m.%Y")
    return {
        "sr-Latn": (
            f"Poštovani, u {hhmm} Vaš račun je dopunjen sa {din} i važi do {until}. "
            f"Nakon dobijanja slipa možete izvršiti plaćanje. Transakcija: {txn}"
        ),
        "en": (
            f"Dear customer, at {hhmm} your account was topped up with {din}, valid until "
            f"{until}. Pay once you have the slip. Transaction: {txn}"
        ),
    }


def storno_texts(amount_minor: int, txn: str) -> dict[str, str]:
    din = format_minor(amount_minor, "DIN")
    return {
        "sr-Latn": (
            f"Pokrenuto je storniranje transakcije {txn} za iznos dopune {din}. Ukoliko ste "
            "potrošili deo iznosa, isti će biti odbijen od prve sledeće dopune."
        ),
        "en": (
            f"Storno of transaction {txn} for {din} started; if you spent part of it, that "
            "part is deducted from your next top-up."
        ),
    }


def debt_texts(collected_minor: int) -> dict[str, str]:
    din = format_minor(collected_minor, "DIN")
    return {
        "sr-Latn": (
            "Poštovani, naplaćen vam je zaostali dug nastao kao posledica storniranja "
            f"prethodnih dopuna u iznosu {din}."
        ),
        "en": (
            "Dear customer, the outstanding debt left by the storno of earlier top-ups was "
            f"collected: {din}."
        ),
    }


class MobileTopup(Product):
    """``mobile-topup``: credit on an MTS prepaid account, in RSD."""

    product = "mobile-topup"
    currency = "RSD"

    def authorize(self, ctx: Ctx, req: ProvisionInput) -> dict[str, Any]:
        msisdn = normalise_msisdn(req.target)
        if msisdn == testnumbers.UNKNOWN_SUBSCRIBER:
            raise Decline(
                D.UNKNOWN_SUBSCRIBER,
                f"{msisdn} is not an MTS prepaid number; check the number with the customer.",
            )
        if not MIN_TOPUP_MINOR <= req.amount_minor <= MAX_TOPUP_MINOR:
            raise Decline(
                D.AMOUNT_OUT_OF_RANGE,
                f"MTS accepts top-ups from {format_minor(MIN_TOPUP_MINOR, 'DIN')} to "
                f"{format_minor(MAX_TOPUP_MINOR, 'DIN')}; choose another amount.",
            )
        sub = ensure_subscriber(ctx, msisdn)
        if sub["barred"]:
            raise Decline(
                D.SUBSCRIBER_BARRED,
                f"{msisdn} is barred by the operator and cannot be topped up; the customer "
                "should call MTS customer care.",
            )
        valid_until = _new_validity(ctx, str(sub["valid_until"]))
        return {
            "msisdn": msisdn,
            "valid_until": valid_until.isoformat(),
            "debt_to_collect_minor": min(int(sub["debt_minor"]), req.amount_minor),
            "operator_message": topup_texts(
                _local_hhmm(ctx), req.amount_minor, valid_until, req.txn
            ),
        }

    def apply(self, ctx: Ctx, txn: sqlite3.Row) -> dict[str, Any]:
        msisdn = str(txn["target"])
        sub = ensure_subscriber(ctx, msisdn)
        amount = int(txn["amount_minor"])
        collected = min(int(sub["debt_minor"]), amount)
        valid_until = _new_validity(ctx, str(sub["valid_until"]))
        ctx.store.execute(
            "UPDATE subscribers SET balance_minor = balance_minor + ?, debt_minor = debt_minor - ?,"
            " valid_until = ? WHERE msisdn = ?",
            (amount - collected, collected, valid_until.isoformat(), msisdn),
        )
        texts = topup_texts(_local_hhmm(ctx), amount, valid_until, str(txn["txn"]))
        log_message(
            ctx.store, at=ctx.now_iso, txn=txn["txn"], target=msisdn, kind="topup", texts=texts
        )
        if collected:
            log_message(
                ctx.store,
                at=ctx.now_iso,
                txn=txn["txn"],
                target=msisdn,
                kind="debt_collected",
                texts=debt_texts(collected),
            )
        return {
            "valid_until": valid_until.isoformat(),
            "debt_collected_minor": collected,
            "operator_message": texts,
        }

    def undo(self, ctx: Ctx, txn: sqlite3.Row) -> dict[str, Any]:
        msisdn = str(txn["target"])
        sub = ensure_subscriber(ctx, msisdn)
        amount = int(txn["amount_minor"])
        taken = min(int(sub["balance_minor"]), amount)
        debt = amount - taken
        ctx.store.execute(
            "UPDATE subscribers SET balance_minor = balance_minor - ?, debt_minor = debt_minor + ?"
            " WHERE msisdn = ?",
            (taken, debt, msisdn),
        )
        log_message(
            ctx.store,
            at=ctx.now_iso,
            txn=txn["txn"],
            target=msisdn,
            kind="storno",
            texts=storno_texts(amount, str(txn["txn"])),
        )
        return {"taken_from_balance_minor": taken, "debt_added_minor": debt}


def spend(store: HostStore, msisdn: str, amount_minor: object) -> sqlite3.Row:
    """Simulate the subscriber using credit (calls, data), so storno debt can be reproduced."""
    if isinstance(amount_minor, bool) or not isinstance(amount_minor, int) or amount_minor <= 0:
        raise SubscriberError("amount_minor must be a positive integer number of para")
    with store.transaction():
        row = subscriber(store, msisdn)
        if row is None:
            raise SubscriberError(f"no subscriber {msisdn}; top it up once before spending")
        if int(row["balance_minor"]) < amount_minor:
            raise SubscriberError(
                f"{msisdn} has only {format_minor(int(row['balance_minor']), 'DIN')}; "
                f"cannot spend {format_minor(amount_minor, 'DIN')}"
            )
        store.execute(
            "UPDATE subscribers SET balance_minor = balance_minor - ? WHERE msisdn = ?",
            (amount_minor, msisdn),
        )
        updated = subscriber(store, msisdn)
        assert updated is not None
        return updated


def subscriber_json(row: sqlite3.Row) -> dict[str, Any]:
    return {
        "msisdn": row["msisdn"],
        "balance_minor": int(row["balance_minor"]),
        "debt_minor": int(row["debt_minor"]),
        "currency": row["currency"],
        "valid_until": row["valid_until"],
        "barred": bool(row["barred"]),
    }


__all__ = [
    "MobileTopup",
    "SubscriberError",
    "debt_texts",
    "normalise_msisdn",
    "spend",
    "storno_texts",
    "subscriber",
    "subscriber_json",
    "topup_texts",
]
