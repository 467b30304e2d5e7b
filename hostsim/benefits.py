"""Benefit accounts (SmartumPay style): personal balances per benefit type, in EUR.

A payment is made against one explicit benefit type (sport, culture, massage, lunch...), may
carry a short message for the provider (the course name), and the provider gets the receipt by
e-mail, which the simulator writes to the customer message log. A provision holds the amount
so two counters cannot spend the same balance twice; the debit happens at confirm. Cancelling
is a same-day affair (business-rules.md section 5), enforced by the storno window.
"""

from __future__ import annotations

import re
import sqlite3
from typing import Any

from foundation.host_wire import DeclineCode as D
from hostsim import testnumbers
from hostsim.errors import Decline
from hostsim.messages import format_minor, log_message
from hostsim.products import Ctx, Product, ProvisionInput, fields_of
from hostsim.store import HostStore

BENEFIT_TYPES: dict[str, str] = {
    "sport": "Sport and exercise",
    "culture": "Culture",
    "massage": "Massage",
    "lunch": "Lunch",
    "wellbeing": "Wellbeing",
    "commuting": "Commuting",
}

ACCOUNT_PATTERN = re.compile(r"^[A-Z]{3}[0-9]{8}$")
STARTING_BALANCE_MINOR = 50_000
MESSAGE_MAX_LENGTH = 60


def balance(store: HostStore, account: str, benefit_type: str) -> int | None:
    row = store.one(
        "SELECT balance_minor FROM benefit_balances WHERE account = ? AND benefit_type = ?",
        (account, benefit_type),
    )
    return None if row is None else int(row["balance_minor"])


def _ensure_account(ctx: Ctx, account: str) -> None:
    if ctx.store.one("SELECT 1 FROM benefit_balances WHERE account = ?", (account,)) is not None:
        return
    start = 0 if account == testnumbers.EMPTY_BENEFIT_ACCOUNT else STARTING_BALANCE_MINOR
    for benefit_type in BENEFIT_TYPES:
        ctx.store.execute(
            "INSERT INTO benefit_balances (account, benefit_type, balance_minor) VALUES (?, ?, ?)",
            (account, benefit_type, start),
        )


def _held(ctx: Ctx, account: str, benefit_type: str) -> int:
    row = ctx.store.one(
        "SELECT COALESCE(SUM(amount_minor), 0) AS held FROM transactions WHERE state ="
        " 'provisioned' AND product = 'benefit-payment' AND target = ?"
        " AND json_extract(fields_json, '$.benefit_type') = ?",
        (account, benefit_type),
    )
    return 0 if row is None else int(row["held"])


class BenefitPayment(Product):
    """``benefit-payment``: pays a provider from the customer's benefit balance of one type."""

    product = "benefit-payment"
    currency = "EUR"
    storno_window = "same_day"

    def authorize(self, ctx: Ctx, req: ProvisionInput) -> dict[str, Any]:
        account = req.target.strip().upper()
        if not ACCOUNT_PATTERN.fullmatch(account) or account == testnumbers.UNKNOWN_BENEFIT_ACCOUNT:
            raise Decline(
                D.UNKNOWN_BENEFIT_ACCOUNT,
                f"No benefit account {req.target!r}; check the account on the customer's "
                "benefit card or app (it looks like BEN00000001).",
            )
        benefit_type = str(req.fields.get("benefit_type", ""))
        if benefit_type not in BENEFIT_TYPES:
            accepted = ", ".join(BENEFIT_TYPES)
            raise Decline(
                D.BENEFIT_TYPE_NOT_ACCEPTED,
                f"Benefit type {benefit_type!r} is not accepted; choose one of {accepted}.",
            )
        message = req.fields.get("message", "")
        if not isinstance(message, str) or len(message) > MESSAGE_MAX_LENGTH:
            raise Decline(
                D.INVALID_BENEFIT_MESSAGE,
                f"The message to the provider must be text of at most {MESSAGE_MAX_LENGTH} "
                "characters; shorten it.",
            )
        if req.amount_minor <= 0:
            raise Decline(D.AMOUNT_OUT_OF_RANGE, "A benefit payment must be more than zero.")
        _ensure_account(ctx, account)
        available = (balance(ctx.store, account, benefit_type) or 0) - _held(
            ctx, account, benefit_type
        )
        if available < req.amount_minor:
            raise Decline(
                D.INSUFFICIENT_BENEFIT_BALANCE,
                f"The customer's {BENEFIT_TYPES[benefit_type].lower()} benefit has only "
                f"{format_minor(max(available, 0), 'EUR')} left, less than "
                f"{format_minor(req.amount_minor, 'EUR')}; take the rest in cash as a separate "
                "sale or lower the amount.",
            )
        return {
            "account": account,
            "benefit_type": benefit_type,
            "benefit_name": BENEFIT_TYPES[benefit_type],
            "message": message,
            "balance_after_minor": available - req.amount_minor,
            "receipt": "e-mailed to the provider",
        }

    def apply(self, ctx: Ctx, txn: sqlite3.Row) -> dict[str, Any]:
        fields = fields_of(txn)
        account = str(txn["target"]).strip().upper()
        benefit_type = str(fields["benefit_type"])
        amount = int(txn["amount_minor"])
        _ensure_account(ctx, account)
        ctx.store.execute(
            "UPDATE benefit_balances SET balance_minor = balance_minor - ?"
            " WHERE account = ? AND benefit_type = ?",
            (amount, account, benefit_type),
        )
        note = fields.get("message") or "-"
        log_message(
            ctx.store,
            at=ctx.now_iso,
            txn=txn["txn"],
            target=account,
            kind="receipt_email",
            texts={
                "en": f"Receipt to provider: {format_minor(amount, 'EUR')} paid from the "
                f"{benefit_type} benefit, transaction {txn['txn']}, message: {note}",
            },
        )
        return {}

    def undo(self, ctx: Ctx, txn: sqlite3.Row) -> dict[str, Any]:
        fields = fields_of(txn)
        account = str(txn["target"]).strip().upper()
        ctx.store.execute(
            "UPDATE benefit_balances SET balance_minor = balance_minor + ?"
            " WHERE account = ? AND benefit_type = ?",
            (int(txn["amount_minor"]), account, str(fields["benefit_type"])),
        )
        log_message(
            ctx.store,
            at=ctx.now_iso,
            txn=txn["txn"],
            target=account,
            kind="receipt_cancelled",
            texts={"en": f"Payment {txn['txn']} was cancelled the same day and refunded."},
        )
        return {}


__all__ = ["BENEFIT_TYPES", "BenefitPayment", "balance"]
