"""Lookup: "the customer paid, did it arrive?" answered on the counter screen.

``GET /ui/lookup?by=&q=&since=&until=`` searches through ``kiosk.lookups`` (by transaction
number, phone, card last 4 or IMEI, optionally within a time range, or a time range alone) and
shows, for each transaction, the terminal's own state, each message to the host and the host's
live view side by side, with one sentence that answers the customer's question. ``by=auto``
(the default) tells the kind of number from its shape, so a clerk types and presses Enter.
"""

from __future__ import annotations

import asyncio
import re
from dataclasses import dataclass, field
from datetime import datetime
from zoneinfo import ZoneInfo

from fastapi import APIRouter, Request
from fastapi.responses import Response

from foundation.errors import ClerkFacingError
from offline_queue import states
from offline_queue.store import OutboxRecord
from terminal.lookup import LookupEntry, LookupQuery, LookupReport, aware
from terminal.web import dates, reasons
from terminal.web.context import WebContext
from terminal.web.desk import (
    OUTBOX_KINDS,
    OUTBOX_STATES,
    TxnRow,
    explain,
    host_words,
    local_time,
    said,
    txn_row,
)
from terminal.web.errors import Refusal
from terminal.web.i18n import Speaker, _

#: What the clerk may search by; "auto" guesses from the shape of what was typed.
SEARCH_BY: dict[str, str] = {
    "auto": _("Any number"),
    "txn": _("Transaction number"),
    "phone": _("Phone number"),
    "card_last4": _("Card's last 4 digits"),
    "imei": _("IMEI"),
}

#: Most transactions one search shows (newest first).
SHOW_AT_MOST = 30


def guess_kind(text: str) -> str:
    """What a typed number most likely is: a slip's QR code or 14 digits is a transaction,
    15 digits an IMEI, 4 digits a card's end, anything else with digits a phone number."""
    value = "".join(text.split())
    if value[:4].upper() == "TXN:":
        return "txn"
    digits = re.sub(r"\D", "", value)
    if value.isdigit() and len(value) == 14:
        return "txn"
    if value.isdigit() and len(value) == 15:
        return "imei"
    if value.isdigit() and len(value) == 4:
        return "card_last4"
    return "phone" if digits else "txn"


@dataclass(frozen=True)
class OutboxLine:
    kind: str
    state: str
    state_code: str
    attempts: int
    last_error: str | None
    delivered_at: str


@dataclass(frozen=True)
class FoundView:
    """One transaction found: the three views and the one sentence."""

    txn: str
    row: TxnRow | None
    answer: str
    tone: str
    outbox: list[OutboxLine] = field(default_factory=list)
    host_state: str | None = None
    host_note: str | None = None
    host_detail: str | None = None
    host_times: list[tuple[str, str]] = field(default_factory=list)


def _answer(speaker: Speaker, entry: LookupEntry) -> tuple[str, str]:
    """The sentence that answers "paid but not delivered?", and its tone."""
    record, outbox = entry.local, entry.outbox
    if record is None:
        return speaker.gettext(_("This terminal has no such transaction.")), "warn"
    waiting = [m for m in outbox if m.state != "delivered"]
    dead = [m for m in waiting if m.state == "dead"]
    if record.state in (states.CONFIRMED, states.STORNOED):
        stornoed = record.state == states.STORNOED
        if dead:
            return (
                speaker.gettext(
                    _("Paid, but a message to the host could not be delivered: call support.")
                    if not stornoed
                    else _(
                        "Reversed, but a message to the host could not be delivered: call support."
                    )
                ),
                "stop",
            )
        if waiting:
            return (
                speaker.gettext(
                    _(
                        "Paid and the slip printed, but NOT yet delivered to the host: the "
                        "terminal keeps sending it by itself."
                    )
                    if not stornoed
                    else _(
                        "Reversed (the money was given back), but the host does not know it "
                        "yet: the terminal keeps sending it by itself."
                    )
                ),
                "warn",
            )
        return (
            speaker.gettext(
                _("Paid and the slip printed; the host has everything.")
                if not stornoed
                else _("Reversed (the money was given back); the host has everything.")
            ),
            "go",
        )
    if record.state in (states.VOIDED, states.FAILED, states.DECLINED, states.PRINT_FAILED):
        return speaker.gettext(_("Not sold: no money is owed for it.")), "stop"
    return speaker.gettext(_("Still in progress: look again in a moment.")), "warn"


def router(ctx: WebContext) -> APIRouter:
    ui = APIRouter()
    kiosk = ctx.kiosk

    def outbox_line(speaker: Speaker, message: OutboxRecord) -> OutboxLine:
        return OutboxLine(
            kind=speaker.gettext(OUTBOX_KINDS.get(message.kind, message.kind)),
            state=speaker.gettext(OUTBOX_STATES.get(message.state, message.state)),
            state_code=message.state,
            attempts=message.attempts,
            last_error=reasons.queue_error_sentence(speaker, message.state, message.last_error),
            delivered_at=local_time(kiosk, speaker, message.delivered_at),
        )

    def host_time(speaker: Speaker, value: object) -> str:
        if not isinstance(value, str) or not value:
            return ""
        try:
            return local_time(kiosk, speaker, datetime.fromisoformat(value))
        except ValueError:
            return value

    def found(speaker: Speaker, report: LookupReport, entry: LookupEntry) -> FoundView:
        now = kiosk.clock.now()
        row = None if entry.local is None else txn_row(kiosk, speaker, entry.local, now)
        answer, tone = _answer(speaker, entry)
        note: str | None = None
        detail: str | None = None
        if entry.host is None:
            if report.host_reachable is False:
                note = speaker.gettext(
                    _("The host cannot be reached now: this is the terminal's own record only.")
                )
            elif entry.host_note and entry.host_note.startswith("The host has never seen"):
                note = speaker.gettext(_("The host has never seen this transaction."))
            elif entry.host_note:
                # The host's note is its own (English) words: the log keeps them.
                note = speaker.gettext(_("The host did not show this transaction."))
        times: list[tuple[str, str]] = []
        if entry.host is not None:
            for key, label in (
                ("confirmed_at", _("Confirmed at the host")),
                ("storno_requested_at", _("Storno asked")),
                ("closed_at", _("Closed at the host")),
            ):
                shown = host_time(speaker, entry.host.get(key))
                if shown:
                    times.append((speaker.gettext(label), shown))
        return FoundView(
            txn=entry.txn,
            row=row,
            answer=answer,
            tone=tone,
            outbox=[outbox_line(speaker, m) for m in entry.outbox],
            host_state=host_words(speaker, entry.host),
            host_note=note,
            host_detail=detail,
            host_times=times,
        )

    @ui.get("/ui/lookup")
    async def lookup_page(request: Request) -> Response:
        session = ctx.clerk(request)
        speaker = ctx.speaker(session.language)
        params = request.query_params
        by = params.get("by", "auto")
        if by not in SEARCH_BY:
            by = "auto"
        typed = params.get("q", "")[:60].strip()
        since_text = params.get("since", "")[:40]
        until_text = params.get("until", "")[:40]
        asked = bool(typed or since_text.strip() or until_text.strip())
        error: Refusal | None = None
        views: list[FoundView] = []
        report: LookupReport | None = None
        kind = guess_kind(typed) if by == "auto" and typed else by
        if asked:
            zone = kiosk.config.terminal.timezone
            since = until = None
            try:
                since = aware(dates.parse(since_text, speaker.locale), zone)
                until = aware(dates.parse(until_text, speaker.locale), zone)
            except ValueError:
                error = said(speaker, "invalid_time")
            else:
                if since is not None and until is not None and since >= until:
                    error = said(speaker, "invalid_time")
            if error is None:
                query = LookupQuery(
                    txn=typed if typed and kind == "txn" else None,
                    phone=typed if typed and kind == "phone" else None,
                    card_last4=typed if typed and kind == "card_last4" else None,
                    imei=typed if typed and kind == "imei" else None,
                    since=since,
                    until=until,
                    limit=SHOW_AT_MOST,
                )
                try:
                    report = await asyncio.to_thread(kiosk.lookups.lookup, query)
                except ClerkFacingError as exc:
                    error = explain(speaker, exc, screen="lookup")
                else:
                    views = [found(speaker, report, entry) for entry in report.entries]
        return ctx.page(
            request,
            "lookup.html",
            session=session,
            status_code=422 if error is not None else 200,
            search_by=SEARCH_BY,
            by=by,
            kind=kind,
            typed=typed,
            since=since_text,
            until=until_text,
            date_example=dates.example(
                kiosk.clock.now().astimezone(ZoneInfo(kiosk.config.terminal.timezone)),
                speaker.locale,
            ),
            asked=asked,
            error=error,
            found=views,
            host_reachable=None if report is None else report.host_reachable,
        )

    return ui


__all__ = ["SEARCH_BY", "FoundView", "guess_kind", "router"]
