"""Lookup: "the customer paid, did it arrive?" answered at the counter.

For each transaction found (by number, phone, card last 4 or IMEI, within a time range) the
clerk sees three things side by side: the terminal's own state, the state of each outbox
message (confirm, storno, ...), and the host's view fetched live. When the host cannot be
reached, the lookup still answers from the terminal's records and says so, instead of failing:
that is exactly when the clerk needs it most.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, Protocol
from zoneinfo import ZoneInfo

from offline_queue import states
from offline_queue.carddata import digits_of, mask_number, scrub
from offline_queue.errors import UnknownTransaction
from offline_queue.store import OutboxRecord, Store, TxnRecord
from terminal.errors import InvalidInput
from terminal.host_client import HostError, HostUnavailable
from terminal.storno import parse_txn

#: Most transactions one lookup shows (newest first).
DEFAULT_LIMIT = 50


class HostView(Protocol):
    def transaction(self, txn: str) -> dict[str, Any] | None: ...


class InvalidLookup(InvalidInput):
    code = "invalid_lookup"


@dataclass(frozen=True)
class LookupQuery:
    txn: str | None = None
    phone: str | None = None
    card_last4: str | None = None
    imei: str | None = None
    since: datetime | None = None
    until: datetime | None = None
    limit: int = DEFAULT_LIMIT

    def to_dict(self) -> dict[str, Any]:
        return {
            "txn": self.txn,
            "phone": self.phone,
            # a whole card number searched for is echoed masked, like every reader shows it
            "card_last4": (
                mask_number(self.card_last4)
                if self.card_last4 and len(digits_of(self.card_last4)) > 4
                else self.card_last4
            ),
            "imei": self.imei,
            "since": self.since.isoformat() if self.since else None,
            "until": self.until.isoformat() if self.until else None,
        }


@dataclass
class LookupEntry:
    txn: str
    local: TxnRecord | None
    outbox: list[OutboxRecord]
    host: dict[str, Any] | None
    host_note: str | None
    verdict: str

    def to_dict(self) -> dict[str, Any]:
        return {
            "txn": self.txn,
            "local": None if self.local is None else self.local.to_dict(),
            "outbox": [
                {
                    "kind": m.kind,
                    "state": m.state,
                    "attempts": m.attempts,
                    "last_error": m.last_error,
                    "created_at": m.created_at.isoformat(),
                    "delivered_at": m.delivered_at.isoformat() if m.delivered_at else None,
                    "message_id": m.message_id,
                }
                for m in self.outbox
            ],
            "host": self.host,
            "host_note": self.host_note,
            "verdict": self.verdict,
        }


@dataclass
class LookupReport:
    query: LookupQuery
    host_reachable: bool | None
    host_note: str | None
    entries: list[LookupEntry] = field(default_factory=list)

    def to_dict(self) -> dict[str, Any]:
        return {
            "query": self.query.to_dict(),
            "host_reachable": self.host_reachable,
            "host_note": self.host_note,
            "entries": [e.to_dict() for e in self.entries],
        }


class LookupService:
    def __init__(self, store: Store, host: HostView) -> None:
        self.store = store
        self.host = host

    def lookup(self, query: LookupQuery) -> LookupReport:
        """Find, then put the local, outbox and host states of each transaction side by side."""
        report = LookupReport(query=query, host_reachable=None, host_note=None)
        for txn, record in self._find(query):
            outbox = self.store.outbox_for(txn)
            host_view: dict[str, Any] | None = None
            note: str | None = None
            if report.host_reachable is False:
                note = report.host_note
            else:
                try:
                    host_view = _masked_host_view(self.host.transaction(txn), record)
                    report.host_reachable = True
                    if host_view is None:
                        note = "The host has never seen this transaction."
                except HostUnavailable as exc:
                    # Asking again for every row would only make the clerk wait.
                    report.host_reachable = False
                    report.host_note = note = (
                        f"The host cannot be reached ({exc}): showing this terminal's own "
                        "records only."
                    )
                except HostError as exc:
                    note = f"The host did not show this transaction: {exc}"
            report.entries.append(
                LookupEntry(
                    txn, record, outbox, host_view, note, _verdict(record, outbox, host_view)
                )
            )
        return report

    def _find(self, query: LookupQuery) -> list[tuple[str, TxnRecord | None]]:
        keys = [k for k in (query.txn, query.phone, query.card_last4, query.imei) if k]
        if len(keys) > 1:
            raise InvalidLookup("Search by one thing at a time: txn, phone, card last 4 or IMEI.")
        if query.since and query.until and query.since >= query.until:
            raise InvalidLookup("The start of the time range must be before its end.")
        if query.txn:
            txn = parse_txn(query.txn)
            try:
                return [(txn, self.store.get(txn))]
            except UnknownTransaction:
                # Not here (a replaced store, a mistyped digit): the host may still know it.
                return [(txn, None)]
        since, until, limit = query.since, query.until, query.limit
        if query.phone:
            if len(re.sub(r"\D", "", query.phone)) < 6:
                raise InvalidLookup(f"{query.phone!r} is too short for a phone number.")
            records = self.store.find_transactions(
                target_value=query.phone, since=since, until=until, limit=limit
            )
        elif query.card_last4 and len(re.sub(r"[\s-]", "", query.card_last4)) > 4:
            # The whole card number: found by its keyed digest (the store keeps no number).
            number = re.sub(r"[\s-]", "", query.card_last4)
            if not re.fullmatch(r"[0-9]{12,19}", number):
                raise InvalidLookup("Give the card's last 4 digits or its whole number.")
            records = self.store.find_transactions(
                target_value=number, since=since, until=until, limit=limit
            )
        elif query.card_last4:
            if not re.fullmatch(r"[0-9]{4}", query.card_last4.strip()):
                raise InvalidLookup("Give the card's last 4 digits or its whole number.")
            records = self.store.find_transactions(
                last4=query.card_last4.strip(), since=since, until=until, limit=limit
            )
        elif query.imei:
            imei = re.sub(r"\s", "", query.imei)
            if not re.fullmatch(r"[0-9]{15}", imei):
                raise InvalidLookup("An IMEI has exactly 15 digits (dial *#06# on the phone).")
            records = self.store.find_transactions(
                target_value=imei, since=since, until=until, limit=limit
            )
        elif query.since or query.until:
            records = self.store.list_transactions(since=since, until=until, limit=limit)
        else:
            raise InvalidLookup(
                "Give a transaction number, phone, card last 4, IMEI or a time range."
            )
        return [(r.txn, r) for r in records]


def _masked_host_view(
    view: dict[str, Any] | None, record: TxnRecord | None
) -> dict[str, Any] | None:
    """The host's view as the clerk may see it: the issuer knows the full card number and a
    sold card's security code, the counter's screen shows neither."""
    if view is None:
        return None
    clean: dict[str, Any] = scrub(view, None)
    target = clean.get("target")
    is_card = (record is not None and record.target.get("kind") == "card") or str(
        clean.get("product", "")
    ).startswith("card")
    if is_card and isinstance(target, str) and len(digits_of(target)) > 4:
        clean["target"] = mask_number(target)
    return clean


def aware(moment: datetime | None, timezone: str) -> datetime | None:
    """A time the clerk typed without an offset is the terminal's local time."""
    if moment is None or moment.tzinfo is not None:
        return moment
    return moment.replace(tzinfo=ZoneInfo(timezone))


def _verdict(
    record: TxnRecord | None, outbox: list[OutboxRecord], host: dict[str, Any] | None
) -> str:
    """One sentence for the clerk: paid? slip? delivered? what the host says."""
    host_state = None if host is None else host.get("state")
    at_host = f" The host has it as {host_state}." if host_state else ""
    if record is None:
        return "This terminal has no such transaction." + at_host
    waiting = [m for m in outbox if m.state != "delivered"]
    if record.state in (states.CONFIRMED, states.STORNOED):
        paid = "Stornoed (money paid back)" if record.state == states.STORNOED else "Paid"
        if not waiting:
            return f"{paid}, slip printed; everything was delivered to the host.{at_host}"
        parts = ", ".join(
            f"{m.kind} {m.state}" + (f" ({m.last_error})" if m.last_error else "") for m in waiting
        )
        return f"{paid}, slip printed, NOT yet delivered to the host: {parts}.{at_host}"
    if record.state in (states.VOIDED, states.FAILED, states.DECLINED):
        return (
            f"Not sold ({record.state}: {record.reason or 'no slip'}): no money is owed.{at_host}"
        )
    return f"In progress ({record.state}).{at_host}"


__all__ = [
    "InvalidLookup",
    "LookupEntry",
    "LookupQuery",
    "LookupReport",
    "LookupService",
    "aware",
]
