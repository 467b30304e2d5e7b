"""Why a sale or a request was refused, as a sentence in the clerk's language.

The host answers with a ``reason_code`` (docs/host-protocol.md) and the services raise errors
with a ``code``: the terminal owns the sentence for each code, in every screen language. A code
this table does not know shows a translated generic line with the code itself, so support can
still tell what happened; the service's or the exception's English words never reach the page.
"""

from __future__ import annotations

from terminal.config import KioskConfig
from terminal.web.i18n import Speaker, _

#: The host's decline codes (``DeclineCode``) -> what the clerk tells the customer.
DECLINES: dict[str, str] = {
    "unknown_card": _("The issuer does not know this card: check the number on the card."),
    "card_blocked": _("The card is blocked by its issuer: the customer must contact the issuer."),
    "kyc_required": _(
        "The issuer must check the customer's identity first: the customer must contact the issuer."
    ),
    "phone_topup_not_possible": _(
        "This phone number cannot be topped up: the customer must contact the operator."
    ),
    "invalid_card_number": _("The issuer says the card number is not valid: read the card again."),
    "card_balance_spent": _("The card's balance is spent: it cannot be used for this."),
    "card_type_not_sold": _("This type of card cannot be sold here."),
    "unknown_subscriber": _("The operator does not know this phone number: check the number."),
    "subscriber_barred": _(
        "This phone number is barred by the operator: the customer must contact the operator."
    ),
    "invalid_phone_number": _("The operator says the phone number is not valid: check the number."),
    "invalid_imei": _("The IMEI is not valid: read it again from the phone (*#06#)."),
    "device_type_mismatch": _(
        "The IMEIs do not match the phone model chosen: check the model and the IMEIs."
    ),
    "amount_mismatch": _("The amount does not match what the host expects: start again."),
    "unknown_biller": _("The host does not know this biller: choose the biller again."),
    "invalid_biller_account": _(
        "The biller does not know this account number: check it on the bill."
    ),
    "unknown_benefit_account": _("The benefit account is not known: check the number on the card."),
    "benefit_type_not_accepted": _(
        "This benefit type cannot be paid from this account: choose another type."
    ),
    "insufficient_benefit_balance": _("The benefit account does not hold enough for this amount."),
    "invalid_benefit_message": _("The host refused the message: shorten it or leave it out."),
    "amount_out_of_range": _("The host does not accept this amount: choose another amount."),
    "currency_not_supported": _("The host does not accept this currency: tell support."),
    "already_reversed": _("This transaction was already reversed."),
    "already_voided": _("This transaction was already cancelled."),
    "already_confirmed": _("This transaction was already confirmed."),
    "already_stornoed": _("This sale was already reversed by a storno."),
    "storno_pending": _("A storno of this sale is already under way."),
    "storno_not_requested": _("No storno was requested for this sale."),
    "storno_window_closed": _("The time for a storno of this sale is over."),
    "storno_not_allowed": _("This product cannot be reversed by a storno."),
    "wrong_terminal": _("This transaction belongs to another terminal."),
    "unknown_transaction": _("The host does not know this transaction."),
    "not_approved": _("The host did not approve this transaction."),
    "invalid_advice": _("The host refused the terminal's message: tell support."),
    "offline_not_allowed": _("This sale cannot be accepted offline."),
}

#: Why the terminal itself refused a sale while the host was unreachable (``ProductNotOffline``).
OFFLINE: dict[str, str] = {
    "offline_forbidden": _(
        "The host is not answering and this product cannot be sold offline: try again later."
    ),
    "offline_amount_limit": _(
        "The host is not answering: offline, one sale may be at most %(limit)s. "
        "Sell a smaller amount or try again later."
    ),
    "offline_total_limit": _(
        "The host is not answering and the offline sales not yet sent reach the limit of "
        "%(limit)s: try again when the host is back."
    ),
    "offline_age_limit": _(
        "The host has been unreachable too long: no more offline sales until the oldest "
        "one is sent."
    ),
}

#: Why a sale that got as far as the printer or the host did not go through.
FAILURES: dict[str, str] = {
    "print_failed": _("The slip did not print."),
    "host_unclear": _("The host gave no clear answer: the sale is reversed automatically."),
    "expired": _("The payment attempt took too long."),
    "recovered_after_restart": _("The terminal restarted before the slip was proven printed."),
}

GENERIC_DECLINE = _("The host refused this (code %(code)s).")
GENERIC_REFUSAL = _("The terminal refused this (code %(code)s).")


def decline_sentence(speaker: Speaker, code: str | None) -> str:
    """The host's ``reason_code`` as a sentence; an unknown one as the generic line + code."""
    known = DECLINES.get(code or "")
    if known is not None:
        return speaker.gettext(known)
    return speaker.gettext(GENERIC_DECLINE, code=code or "?")


def offline_sentence(
    speaker: Speaker, code: str, config: KioskConfig | None = None, product: str | None = None
) -> str:
    """A refused offline sale, with the product's limit from kiosk.toml where it has one."""
    msgid = OFFLINE.get(code)
    if msgid is None:
        return speaker.gettext(GENERIC_REFUSAL, code=code)
    limit = ""
    if config is not None and product is not None and product in config.products:
        item = config.products[product]
        minor = {
            "offline_amount_limit": item.offline.max_amount_minor,
            "offline_total_limit": item.offline.max_unforwarded_total_minor,
        }.get(code)
        if minor is not None:
            limit = speaker.money(minor, item.currency)
    if "%(limit)s" in msgid:
        return speaker.gettext(msgid, limit=limit or "—")
    return speaker.gettext(msgid)


def reason_sentence(
    speaker: Speaker,
    code: str | None,
    *,
    config: KioskConfig | None = None,
    product: str | None = None,
) -> str:
    """Any reason code the journal holds (host decline, offline refusal, failure kind)."""
    if code in OFFLINE:
        return offline_sentence(speaker, code, config, product)
    if code in FAILURES:
        return speaker.gettext(FAILURES[code])
    return decline_sentence(speaker, code)


QUEUE_RETRY = _("The host could not be reached: the terminal tries again by itself.")


def queue_error_sentence(speaker: Speaker, state: str, last_error: str | None) -> str | None:
    """An outbox message's last error in plain words: a dead letter's host code as its
    sentence (the forwarder stores ``"<code>: <reason>"``), a pending one as "tries again"."""
    if not last_error:
        return None
    if state == "dead":
        code = last_error.split(":", 1)[0].strip()
        if code.replace("_", "").isalnum() and code.islower():
            return decline_sentence(speaker, code)
        return speaker.gettext(GENERIC_DECLINE, code="?")
    return speaker.gettext(QUEUE_RETRY)


def refusal_code_sentence(speaker: Speaker, code: str) -> str:
    """An error code the screen has no sentence for: the generic line with the code."""
    return speaker.gettext(GENERIC_REFUSAL, code=code)


__all__ = [
    "DECLINES",
    "FAILURES",
    "GENERIC_DECLINE",
    "GENERIC_REFUSAL",
    "OFFLINE",
    "decline_sentence",
    "offline_sentence",
    "queue_error_sentence",
    "reason_sentence",
    "refusal_code_sentence",
]
