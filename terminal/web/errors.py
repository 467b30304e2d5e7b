"""Refusals in the clerk's language.

The services raise :class:`~terminal.errors.KioskError` with detailed English text and a stable
``code``. The screen shows one translated line per code, saying what to do, and the service's
own words under it when the screen does not speak English (the numbers and names in them, such
as the allowed amounts, still help). An unknown code shows the service's words alone.
"""

from __future__ import annotations

from dataclasses import dataclass

from drivers.errors import PrinterError
from terminal.web.i18n import Speaker


def _(message: str) -> str:
    """Marks a message for the catalogs; it is translated when the page is rendered."""
    return message


#: Error code -> what the clerk reads first (a catalog message id).
HEADLINES: dict[str, str] = {
    "invalid_card_number": _(
        "The card number is not valid: read the card again or type it from the card."
    ),
    "wrong_target_kind": _("This product needs another kind of number: check what you typed."),
    "invalid_phone_number": _(
        "The phone number is not valid here: type the customer's mobile number."
    ),
    "invalid_imei": _(
        "The IMEI is not valid: dial *#06# on the phone and type the 15 digits shown."
    ),
    "invalid_account": _(
        "The account number is not valid: type it as printed on the bill or card."
    ),
    "invalid_amount": _("Type the amount in digits, such as 50 or 50,00."),
    "amount_out_of_range": _("This amount cannot be sold: stay within the product's limits."),
    "not_enough_cash": _("The cash given does not cover the total: take at least the total."),
    "cash_too_large": _(
        "The cash typed is far more than the total: check it. A counter gives back at most "
        "the largest banknote."
    ),
    "invalid_message": _("The message cannot go on the slip: use one short line."),
    "invalid_benefit_type": _("Choose one of the benefit types offered."),
    "id_check_required": _("Check the customer's identity document, then tick the ID check."),
    "unknown_product": _("This terminal does not sell that product."),
    "printer_not_ready": _(
        "The printer is not ready: fix it (paper, cover, power), then sell again. "
        "Nothing was charged."
    ),
    "advice_horizon_near": _(
        "No new sales: a printed sale has waited too long for the host. Restore the "
        "connection to the host or call support. Nothing was charged."
    ),
    "swipe_expired": _("The card swipe is no longer valid: swipe the card again."),
    "host_unavailable": _("The host is not answering: try again in a moment."),
    "host_declined": _("The host refused: tell the customer the reason below."),
    "host_protocol_error": _("The host refused the request: tell support."),
    "sign_in_refused": _("Wrong clerk number or PIN: try again."),
    "clerk_locked_out": _(
        "Too many wrong PINs: this clerk is locked out for a while. A supervisor can unlock it."
    ),
    "form_expired": _(
        "This form is no longer valid (the terminal restarted or the form is old): "
        "start the sale again."
    ),
    "biller_missing": _("Choose the biller first."),
    "catalog_unavailable": _(
        "The list of billers cannot be loaded: the host is not answering. Try again in a moment."
    ),
}


@dataclass(frozen=True)
class Refusal:
    """A refusal as a page shows it: the headline and, below it, the service's words."""

    code: str
    headline: str
    detail: str | None = None


def refusal(speaker: Speaker, error: Exception) -> Refusal:
    """``error`` in the clerk's language (see the module's docstring)."""
    if isinstance(error, PrinterError):
        code = "printer_not_ready"
    else:
        code = str(getattr(error, "code", "error"))
    words = str(error)
    headline = HEADLINES.get(code)
    if headline is None:
        return Refusal(code, words)
    if speaker.language == "en":
        return Refusal(code, words)
    return Refusal(code, speaker.gettext(headline), words)


def message(speaker: Speaker, code: str, words: str | None = None) -> Refusal:
    """A refusal the screen itself decides (no exception), with optional English details."""
    headline = speaker.gettext(HEADLINES[code])
    if words is None:
        return Refusal(code, headline)
    if speaker.language == "en":
        return Refusal(code, words)
    return Refusal(code, headline, words)


__all__ = ["HEADLINES", "Refusal", "message", "refusal"]
