"""Refusals in the clerk's language.

The services raise :class:`~terminal.errors.KioskError` with detailed English text, a stable
``code`` and the numbers in it (``params``). The screen shows one translated line per code,
saying what to do, and under it a translated detail built from the parameters (the allowed
amounts, the attempts left, the host's decline reason). An unknown code shows a translated
generic line with the code: the service's or an exception's English words never reach the page.
"""

from __future__ import annotations

from dataclasses import dataclass

from drivers.errors import PrinterError
from terminal.web import reasons
from terminal.web.i18n import Speaker, _

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
    "invalid_cash_movement": _(
        "Choose the kind, the currency and the reason of the cash movement, then try again."
    ),
    "float_already_counted": _(
        "The opening float is already counted: record a change as cash in or cash out."
    ),
    "drawer_not_opened": _("The printer did not open the drawer: check the printer and its cable."),
    "supervisor_required": _("Only a supervisor can do this: ask a supervisor to sign in here."),
    "clerk_exists": _("This clerk number is taken (numbers are never reused): choose another."),
    "invalid_clerk_number": _("A clerk number has 1 to 6 digits."),
    "invalid_clerk_name": _("Give the clerk's name as on the badge (1 to 40 characters)."),
    "invalid_role": _("Choose clerk or supervisor."),
    "invalid_pin": _("A PIN has 4 to 8 digits."),
    "unknown_clerk": _("There is no such clerk on this terminal."),
    "last_supervisor": _(
        "This is the last active supervisor: add another supervisor first, or nobody could "
        "print the Z report."
    ),
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


#: Error code -> the detail under the headline, built from the error's ``params``.
DETAILS: dict[str, str] = {
    "invalid_amount": _("For example %(plain)s or %(grouped)s."),
    "amount_out_of_range": _("Allowed: %(min)s to %(max)s, in steps of %(step)s."),
    "not_enough_cash": _("The total is %(total)s; the cash given is %(cash)s."),
    "invalid_message": _("The message has %(length)s characters; the slip holds %(max)s."),
    "sign_in_refused": _("Attempts left before sign-in is locked: %(attempts)s."),
    "clerk_locked_out": _("Sign-in is locked until %(until)s."),
}


def _values(speaker: Speaker, params: dict[str, object]) -> dict[str, object]:
    """``params`` as the sentence shows them: ``*_minor`` amounts as money in ``currency``."""
    currency = str(params.get("currency", ""))
    values: dict[str, object] = {}
    for key, value in params.items():
        if key.endswith("_minor") and isinstance(value, int) and currency:
            values[key.removesuffix("_minor")] = speaker.money(value, currency)
        else:
            values[key] = value
    return values


def detail(speaker: Speaker, error: Exception, code: str) -> str | None:
    """The translated detail of ``error``, or None when it has nothing to add."""
    reason_code = getattr(error, "reason_code", None)
    if code == "host_declined" and isinstance(reason_code, str):
        return reasons.decline_sentence(speaker, reason_code)
    host_code = getattr(error, "host_code", None)
    if code == "host_protocol_error":
        return speaker.gettext(reasons.GENERIC_DECLINE, code=host_code or "?")
    if code in reasons.OFFLINE:
        return reasons.offline_sentence(speaker, code)
    msgid = DETAILS.get(code)
    params = getattr(error, "params", None)
    if msgid is None or not isinstance(params, dict) or not params:
        return None
    try:
        return speaker.gettext(msgid, **_values(speaker, params))
    except (KeyError, ValueError, TypeError):
        return None  # parameters that do not fit the sentence: the headline says enough


def refusal(speaker: Speaker, error: Exception) -> Refusal:
    """``error`` in the clerk's language (see the module's docstring)."""
    if isinstance(error, PrinterError):
        code = "printer_not_ready"
    else:
        code = str(getattr(error, "code", "error"))
    headline = HEADLINES.get(code)
    if headline is None:
        return Refusal(code, reasons.refusal_code_sentence(speaker, code))
    return Refusal(code, speaker.gettext(headline), detail(speaker, error, code))


def message(speaker: Speaker, code: str, words: str | None = None) -> Refusal:
    """A refusal the screen itself decides (no exception). ``words`` (a service's English) are
    kept for the log only: the page shows the translated line."""
    del words
    return Refusal(code, speaker.gettext(HEADLINES[code]))


__all__ = ["DETAILS", "HEADLINES", "Refusal", "detail", "message", "refusal"]
