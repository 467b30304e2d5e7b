"""What must hold after every power cut, kill and fault: the figures the soak counts as 0.

Each check returns :class:`Violation` values instead of asserting, so one run can report every
broken promise, count them by kind and keep the evidence. The tests' crash and fault matrices
(``tests/helpers/invariants.py``) check the same promises with these functions, stricter where
every storno has finished (:data:`SETTLED_HOST_STATES`) and with the printed slips at hand. The
promises:

- every sale the till or clerk was told is confirmed is still confirmed in the store (or
  stornoed, if a storno followed), and at the host, exactly once;
- every storno the clerk was told is done is stornoed here and at the host;
- no transaction number on the slips of two different sales, no Z number on two Z slips, no
  slip for a sale the store does not know;
- the outbox holds exactly the advices the states imply, all delivered, nothing dead;
- nothing is confirmed at the host without a printed slip carrying its authorisation code
  (when the slips are given);
- the journal's hash chain verifies; recovery completes at every start.
"""

from __future__ import annotations

import re
import sqlite3
from collections import defaultdict
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from offline_queue import states
from offline_queue.errors import UnknownTransaction
from offline_queue.store import Store

#: Each kind is a row of the soak's table; every count must be 0.
VIOLATION_KINDS = (
    "lost_confirmed_sale",
    "lost_storno",
    "lost_z_report",
    "confirmed_twice_at_host",
    "number_on_two_slips",
    "advice_lost_or_duplicated",
    "host_disagrees",
    "journal_broken",
    "recovery_incomplete",
    "two_owners",
    "unhandled_error",
)

#: Host states each local final state may correspond to once every storno has finished.
SETTLED_HOST_STATES: dict[str, set[str | None]] = {
    states.CONFIRMED: {"confirmed"},
    states.VOIDED: {"voided", "reversed", None},
    states.FAILED: {"reversed", None},
    states.DECLINED: {"declined", None},
    states.STORNOED: {"stornoed"},
}
#: The soak's: a sale confirmed here may be ``storno_pending`` at the host: a storno the host
#: approved whose slip did not print (or whose kiosk died) lapses back to ``confirmed`` at the
#: host after 120 s (docs/storno.md).
HOST_STATES: dict[str, set[str | None]] = {
    **SETTLED_HOST_STATES,
    states.CONFIRMED: {"confirmed", "storno_pending"},
}
TOLD_SALE_STATES = {states.CONFIRMED, states.STORNO_REQUESTED, states.STORNO_PRINTING}
#: The soak's kiosk runs the Slovenian preset; these are its slips' labels (slips.po, sl).
AUTH_LINE = re.compile(r"^Avtorizacijska koda\s+(\S+)\s*$", re.MULTILINE)
Z_LINE = re.compile(r"Z POROČILO\s*\n\s*Št\. (\d+)")


@dataclass(frozen=True)
class Violation:
    kind: str
    detail: str


@dataclass
class Told:
    """What the worker told the till or clerk, read from its ``told ...`` lines."""

    sales: set[str] = field(default_factory=set)
    stornos: set[str] = field(default_factory=set)
    z_numbers: set[int] = field(default_factory=set)

    def absorb(self, line: str) -> None:
        parts = line.split()
        if len(parts) < 3 or parts[0] != "told":
            return
        if parts[1] == "sale":
            self.sales.add(parts[2])
        elif parts[1] == "storno":
            self.stornos.add(parts[2])
        elif parts[1] == "z":
            self.z_numbers.add(int(parts[2]))

    @property
    def total(self) -> int:
        return len(self.sales) + len(self.stornos) + len(self.z_numbers)


def store_holds_told(db: Path, told: Told) -> list[Violation]:
    """Right after a restart: what the clerk was told is in the store file (read-only look)."""
    conn = sqlite3.connect(f"file:{db}?mode=ro", uri=True, timeout=30)
    try:
        rows = dict(conn.execute("SELECT txn, state FROM transactions").fetchall())
        zs = {int(r[0]) for r in conn.execute("SELECT z_number FROM periods").fetchall()}
    finally:
        conn.close()
    found: list[Violation] = []
    for txn in sorted(told.sales):
        state = rows.get(txn)
        if state not in TOLD_SALE_STATES and state != states.STORNOED:
            found.append(Violation("lost_confirmed_sale", f"{txn}: told confirmed, store {state}"))
    for txn in sorted(told.stornos):
        if rows.get(txn) != states.STORNOED:
            found.append(Violation("lost_storno", f"{txn}: told stornoed, store {rows.get(txn)}"))
    for number in sorted(told.z_numbers - zs):
        found.append(Violation("lost_z_report", f"Z {number} told printed, not in the store"))
    return found


def slips_agree(store: Store, slips: Iterable[tuple[list[str], str]]) -> list[Violation]:
    """One number, one sale: slips (QR codes, text) against each other and the store."""
    found: list[Violation] = []
    auth_by_txn: dict[str, set[str]] = defaultdict(set)
    z_slips: dict[int, int] = defaultdict(int)
    for qr_codes, text in slips:
        for match in Z_LINE.finditer(text):
            z_slips[int(match.group(1))] += 1
        txns = [q for q in qr_codes if q.isdigit() and len(q) == 14]
        for txn in txns:
            # a storno slip or a failure notice has no authorisation line: only the number
            auth_by_txn[txn].update(AUTH_LINE.findall(text))
    for txn, codes in sorted(auth_by_txn.items()):
        record = _get(store, txn)
        if record is None:
            found.append(Violation("lost_confirmed_sale", f"{txn} on a slip, unknown to store"))
            continue
        if len(codes) > 1:
            found.append(Violation("number_on_two_slips", f"{txn} on sales {sorted(codes)}"))
        elif codes and record.auth_code not in codes:
            found.append(
                Violation(
                    "number_on_two_slips",
                    f"{txn}: slip authorised {sorted(codes)}, store {record.auth_code}",
                )
            )
    for number, count in sorted(z_slips.items()):
        if count > 1:
            found.append(Violation("number_on_two_slips", f"Z {number} on {count} slips"))
    return found


def _get(store: Store, txn: str) -> Any:
    try:
        return store.get(txn)
    except UnknownTransaction:
        return None


def final_state(
    store: Store,
    host_view: Callable[[str], dict[str, Any] | None],
    told: Told,
) -> list[Violation]:
    """After the last clean start and a drained outbox: here, the host and the advices agree."""
    found: list[Violation] = []
    records = {r.txn: r for r in store.list_transactions(limit=1_000_000)}
    for txn in sorted(told.sales):
        record = records.get(txn)
        if record is None or record.state not in (states.CONFIRMED, states.STORNOED):
            state = None if record is None else record.state
            found.append(Violation("lost_confirmed_sale", f"{txn}: told confirmed, now {state}"))
    for txn in sorted(told.stornos):
        record = records.get(txn)
        if record is None or record.state != states.STORNOED:
            found.append(Violation("lost_storno", f"{txn}: told stornoed, now not"))
    zs = {z.z_number for z in store.z_reports(limit=1_000_000)}
    for number in sorted(told.z_numbers - zs):
        found.append(Violation("lost_z_report", f"Z {number} told printed, not in the store"))
    found += records_agree(store, host_view)
    found += journal_verifies(store)
    return found


def records_agree(
    store: Store,
    host_view: Callable[[str], dict[str, Any] | None],
    *,
    host_states: Mapping[str, set[str | None]] = HOST_STATES,
    slips: Iterable[str] | None = None,
) -> list[Violation]:
    """Every transaction here against the host and its advices; with ``slips`` (the printed
    texts), also that the host confirmed nothing whose authorisation no slip carries."""
    printed = None if slips is None else list(slips)
    found: list[Violation] = []
    for record in store.list_transactions(limit=1_000_000):
        view = host_view(record.txn)
        host_state = None if view is None else view["state"]
        if record.state not in host_states:
            found.append(Violation("recovery_incomplete", f"{record.txn} left {record.state}"))
            continue
        if host_state not in host_states[record.state]:
            found.append(
                Violation("host_disagrees", f"{record.txn}: here {record.state}, host {host_state}")
            )
        if view is not None:
            events = [e["event"] for e in view["events"]]
            for event in ("confirmed", "stornoed"):
                if events.count(event) > 1:
                    found.append(
                        Violation(
                            "confirmed_twice_at_host",
                            f"{record.txn} {event} {events.count(event)} times",
                        )
                    )
            if (
                printed is not None
                and host_state == "confirmed"
                and not (record.auth_code and any(record.auth_code in text for text in printed))
            ):
                found.append(
                    Violation("host_disagrees", f"{record.txn} confirmed at the host, no slip")
                )
        outbox = store.outbox_for(record.txn)
        kinds = sorted(m.kind for m in outbox)
        implied = sorted(states.implied_outbox_kinds(record.state, offline=record.offline))
        if kinds != implied:
            found.append(
                Violation(
                    "advice_lost_or_duplicated",
                    f"{record.txn} ({record.state}): outbox {kinds}, implied {implied}",
                )
            )
        for message in outbox:
            if message.state != "delivered":
                found.append(
                    Violation(
                        "advice_lost_or_duplicated",
                        f"{record.txn} {message.kind} {message.state}: {message.last_error}",
                    )
                )
    return found


def journal_verifies(store: Store) -> list[Violation]:
    """The journal's hash chain, from the first event to the last."""
    verdict = store.verify_journal()
    return [] if verdict.ok else [Violation("journal_broken", str(verdict.reason))]
