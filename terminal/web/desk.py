"""What the storno, lookup, reprint, report and cash screens share.

A transaction as a row on screen (product, the target masked as the slip prints it, amount,
times in the terminal's timezone, the storno time left), the words for the local, outbox and
host states, and the refusals of the storno, reprint, lookup and report services in the clerk's
language. The sale screens have their own (``terminal.web.errors``); codes the services share
with a sale (an invalid number, the host not answering) fall back to those.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import TYPE_CHECKING, Any
from zoneinfo import ZoneInfo

from babel.dates import format_datetime

from drivers.errors import PrinterError
from offline_queue import states
from offline_queue.errors import InvalidRecord
from offline_queue.store import TxnRecord
from terminal.catalog import DEFAULT_NAMES
from terminal.web.errors import Refusal, detail, refusal
from terminal.web.i18n import Speaker, _

if TYPE_CHECKING:
    from terminal.kiosk import Kiosk


#: Most sales the storno screen offers (newest first); a counter makes a few in five minutes.
STORNO_CANDIDATES = 20
#: How far before the window's start a sale may have been recorded (the attempt's time limit
#: and the print run between recording and the slip): the store is searched this much earlier.
RECORDED_BEFORE_PRINT = timedelta(hours=1)

#: Error code -> what the clerk reads first on these screens (a catalog message id).
HEADLINES: dict[str, str] = {
    "invalid_transaction_number": _(
        "That is not a transaction number: type the 14 digits under the slip's QR code, or "
        "scan the code."
    ),
    "unknown_transaction": _(
        "This terminal has no transaction with that number: check the 14 digits on the slip."
    ),
    "wrong_terminal": _(
        "This sale was made at another terminal: a storno is only possible where it was sold."
    ),
    "already_stornoed": _("This sale was already reversed: it cannot be reversed twice."),
    "storno_pending": _(
        "A storno of this sale is already under way: wait a minute, then look the sale up."
    ),
    "not_confirmed": _(
        "Only a sale whose slip printed can be reversed: look the transaction up to see what "
        "happened to it."
    ),
    "storno_not_allowed": _("This product cannot be reversed once it is paid."),
    "storno_window_closed": _("The storno window has closed: the sale stands. Give nothing back."),
    "card_balance_spent": _(
        "The host refused: the card no longer holds the amount (it was spent). The sale "
        "stands: give nothing back."
    ),
    "already_reversed": _("The host has already reversed this sale: give nothing back."),
    "already_voided": _("The host has already cancelled this sale: give nothing back."),
    "not_approved": _("The host never approved this sale: there is nothing to reverse."),
    "host_refused": _("The host refused the storno: the sale stands. Give nothing back."),
    "declined": _("The host refused the storno: the sale stands. Give nothing back."),
    "invalid_storno_reason": _("Choose why the sale is reversed (1, 2 or 3)."),
    "clerk_required": _("Sign in again: every storno records who made it."),
    "nothing_to_reprint": _(
        "There is no printed slip to copy: only a sale or storno whose slip printed has one."
    ),
    "reprint_not_printed": _(
        "The copy did not print: fix the printer (paper, cover), then print the copy again."
    ),
    "invalid_slip_kind": _("Choose which slip to copy: the sale's or the storno's."),
    "invalid_lookup": _(
        "Check the number for the kind of search: a card's last 4 digits, an IMEI's 15 digits, "
        "a phone number of at least 6 digits."
    ),
    "invalid_record": _("Give at least 4 digits to search for."),
    "invalid_time": _(
        "The time range is not valid: give a date and a time, the start before the end."
    ),
    "supervisor_required": _(
        "Only a supervisor can print the Z report: it closes the period. Ask a supervisor to "
        "sign in on this screen."
    ),
    "form_expired": _(
        "This form is no longer valid (the terminal restarted or the form is old): look at "
        "it again, then confirm."
    ),
    "period_changed": _(
        "Another Z report closed the period meanwhile: look at the report again before printing."
    ),
}

#: The printer was not ready, per screen: what was (not) done differs.
PRINTER_NOT_READY: dict[str, str] = {
    "storno": _(
        "The printer is not ready: nothing was done and the sale stands. Fix the printer "
        "(paper, cover, power), then do the storno again."
    ),
    "reprint": _(
        "The printer is not ready: no copy was printed. Fix it (paper, cover, power), then "
        "print the copy again."
    ),
    "report": _(
        "The printer is not ready: nothing was printed and the period stays open. Fix it "
        "(paper, cover, power), then print again."
    ),
}

#: The terminal's own state of a transaction, in plain words.
LOCAL_STATES: dict[str, str] = {
    states.RECORDED: _("Being sent to the host"),
    states.AUTHORIZED: _("Approved by the host, slip not printed yet"),
    states.OFFLINE_ACCEPTED: _("Accepted offline, slip not printed yet"),
    states.PRINTING: _("Slip printing"),
    states.CONFIRMED: _("Paid: the slip printed"),
    states.PRINT_FAILED: _("Slip did not print: sale cancelled"),
    states.VOIDED: _("Cancelled: no money is owed"),
    states.DECLINED: _("Declined by the host: no money is owed"),
    states.FAILED: _("Host did not answer: sale cancelled, no money is owed"),
    states.STORNO_REQUESTED: _("Storno being asked of the host"),
    states.STORNO_PRINTING: _("Storno slip printing"),
    states.STORNOED: _("Reversed (storno): the money was given back"),
}

#: What each outbox message tells the host.
OUTBOX_KINDS: dict[str, str] = {
    states.CONFIRM: _("Confirmation of the sale"),
    states.OFFLINE_SALE: _("Sale made offline"),
    states.VOID: _("Cancellation"),
    states.REVERSAL: _("Reversal (the host's answer never came)"),
    states.STORNO: _("Storno"),
}

#: Where an outbox message is.
OUTBOX_STATES: dict[str, str] = {
    "pending": _("waiting to be sent"),
    "in_flight": _("being sent"),
    "delivered": _("delivered"),
    "dead": _("could not be delivered: call support"),
}

#: The host's state of a transaction (docs/host-protocol.md, section 5).
HOST_STATES: dict[str, str] = {
    "provisioned": _("approved, waiting for the terminal's confirmation"),
    "confirmed": _("paid and delivered"),
    "storno_pending": _("storno under way"),
    "stornoed": _("reversed (storno)"),
    "reversed": _("reversed: the sale never completed"),
    "voided": _("cancelled"),
    "declined": _("declined"),
}


def explain(speaker: Speaker, error: Exception, *, screen: str) -> Refusal:
    """A service's refusal on one of these screens: a translated line saying what to do, and
    under it a translated detail from the error's parameters (never its English words)."""
    if isinstance(error, PrinterError):
        code = "printer_not_ready"
    else:
        code = str(getattr(error, "code", "")) or "error"
        if isinstance(error, InvalidRecord):
            code = "invalid_record"
    headline = PRINTER_NOT_READY.get(screen) if code == "printer_not_ready" else HEADLINES.get(code)
    if headline is None:
        return refusal(speaker, error)
    return Refusal(code, speaker.gettext(headline), detail(speaker, error, code))


def said(speaker: Speaker, code: str) -> Refusal:
    """A refusal the screen decides itself (no exception): the translated line alone."""
    return Refusal(code, speaker.gettext(HEADLINES[code]))


def product_name(kiosk: Kiosk, speaker: Speaker, product: str) -> str:
    """The product's name in the clerk's language (kiosk.toml's, else the screen's own)."""
    configured = kiosk.config.products.get(product)
    if configured is not None:
        return speaker.product_name(configured)
    if product in DEFAULT_NAMES:
        return speaker.gettext(DEFAULT_NAMES[product])
    return product


def shown_target(record: TxnRecord) -> str:
    """The beneficiary as the slip prints it: cards masked to their last 4 digits. A sold
    card's number (the voucher) is on its slip in full, so the screen shows its last 4 only."""
    target = record.target
    if record.product == "card-sale":
        voucher = dict((record.details.get("product_data") or {}).get("voucher") or {})
        number = str(voucher.get("card_number", ""))
        return f"•••• {number[-4:]}" if len(number) >= 4 else ""
    if target.get("kind") == "imei":
        return " / ".join(str(i) for i in (target.get("value"), target.get("second")) if i)
    return str(target.get("masked") or target.get("display") or "")


def local_time(kiosk: Kiosk, speaker: Speaker, moment: datetime | None) -> str:
    """A time as the clerk reads it: the terminal's timezone, the clerk's language."""
    if moment is None:
        return ""
    zone = ZoneInfo(kiosk.config.terminal.timezone)
    return format_datetime(moment, "medium", tzinfo=zone, locale=speaker.locale)


def time_left(seconds: float) -> str:
    """``4:59`` or ``13:04:59``: what the countdown shows (``desk.js`` writes the same)."""
    whole = max(0, int(-(-seconds // 1)))
    hours, rest = divmod(whole, 3600)
    minutes, secs = divmod(rest, 60)
    if hours:
        return f"{hours}:{minutes:02d}:{secs:02d}"
    return f"{minutes}:{secs:02d}"


def storno_seconds_left(kiosk: Kiosk, record: TxnRecord, now: datetime) -> float | None:
    """Seconds until the storno window of ``record`` closes (None: it never had one)."""
    if record.printed_at is None:
        return None
    window = kiosk.config.product(record.product).reversal_window
    return window.seconds_left(record.printed_at, now, kiosk.config.terminal.timezone)


@dataclass(frozen=True)
class TxnRow:
    """A transaction as the storno and lookup screens list it."""

    txn: str
    product: str
    product_name: str
    target: str
    currency: str
    amount_minor: int
    total_minor: int
    state: str
    state_text: str
    recorded_at: str
    printed_at: str
    clerk: str | None
    #: seconds the storno window is still open (None: the product has none, or no slip)
    storno_left_s: float | None
    copies: int

    @property
    def storno_open(self) -> bool:
        return (
            self.state == states.CONFIRMED
            and self.storno_left_s is not None
            and self.storno_left_s > 0
        )

    @property
    def storno_left_ms(self) -> int:
        return max(0, int((self.storno_left_s or 0) * 1000))

    @property
    def storno_left_whole(self) -> int:
        """Whole seconds left, rounded up (what the countdown shows)."""
        return max(0, int(-(-(self.storno_left_s or 0) // 1)))

    @property
    def storno_left_text(self) -> str:
        return time_left(self.storno_left_s or 0)

    @property
    def reprintable(self) -> bool:
        return self.state in (states.CONFIRMED, states.STORNOED)


def txn_row(kiosk: Kiosk, speaker: Speaker, record: TxnRecord, now: datetime) -> TxnRow:
    left = storno_seconds_left(kiosk, record, now) if record.state == states.CONFIRMED else None
    return TxnRow(
        txn=record.txn,
        product=record.product,
        product_name=product_name(kiosk, speaker, record.product),
        target=shown_target(record),
        currency=record.currency,
        amount_minor=record.amount_minor,
        total_minor=record.total_minor,
        state=record.state,
        state_text=speaker.gettext(LOCAL_STATES.get(record.state, record.state)),
        recorded_at=local_time(kiosk, speaker, record.created_at),
        printed_at=local_time(kiosk, speaker, record.printed_at),
        clerk=record.clerk,
        storno_left_s=left,
        copies=record.copies,
    )


def storno_candidates(kiosk: Kiosk, speaker: Speaker) -> list[TxnRow]:
    """This terminal's sales still inside their storno window, newest first.

    Only ``confirmed`` sales (the slip printed, no storno done or under way) of products that
    have a window; the window runs from the slip's print time (``ReversalWindow``).
    The store is searched from the earliest moment such a sale can have been recorded.
    """
    now = kiosk.clock.now()
    timezone = kiosk.config.terminal.timezone
    opens = [
        moment
        for product in kiosk.config.products.values()
        if (moment := product.reversal_window.earliest_open(now, timezone)) is not None
    ]
    earliest = min(opens, default=now)
    if earliest >= now:
        return []
    records = kiosk.store.list_transactions(
        since=earliest - RECORDED_BEFORE_PRINT, states=[states.CONFIRMED], limit=200
    )
    here = kiosk.config.terminal.id
    rows = [
        txn_row(kiosk, speaker, record, now)
        for record in records
        if record.terminal_id == here and record.txn.startswith(here)
    ]
    return [row for row in rows if row.storno_open][:STORNO_CANDIDATES]


def form_value(form: dict[str, str], key: str, limit: int = 80) -> str:
    """A posted field, trimmed and bounded (the screens never need more)."""
    return form.get(key, "").strip()[:limit]


def host_words(speaker: Speaker, host: dict[str, Any] | None) -> str | None:
    """The host's state of a transaction in plain words (None: the host has nothing)."""
    if not host:
        return None
    state = str(host.get("state") or "")
    return speaker.gettext(HOST_STATES.get(state, state)) if state else None


__all__ = [
    "HEADLINES",
    "HOST_STATES",
    "LOCAL_STATES",
    "OUTBOX_KINDS",
    "OUTBOX_STATES",
    "PRINTER_NOT_READY",
    "TxnRow",
    "explain",
    "form_value",
    "host_words",
    "local_time",
    "product_name",
    "said",
    "shown_target",
    "storno_candidates",
    "storno_seconds_left",
    "time_left",
    "txn_row",
]
