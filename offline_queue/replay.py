"""Replay the journal and compare what it implies with the tables reports read.

The chain proves the journal was not edited; this proves the books were not edited beside it.
Every transaction, clerk and Z-report period is rebuilt from its events and must match its row
exactly (an ``UPDATE transactions SET amount_minor = ...`` would otherwise leave the chain
intact while the X report's cash drops). A mismatch names the row and the event that last set
the value.

Rows written before the chain was keyed (an older version) may carry a ``updated_at`` a few
microseconds off their event's time (the two were read from the clock separately); for those
events times are compared within one second, for keyed events exactly.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import sqlite3
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from offline_queue.journal import KEYED_EVENT
from offline_queue.schema import TRANSACTION_COLUMNS

#: Time slack for rows an older version wrote (two clock reads per step).
LEGACY_TIME_SLACK_S = 1.0


def pin_digest(key: bytes, pin_hash: str) -> str:
    """The MAC of a clerk's PIN hash that the journal carries instead of the hash."""
    return hmac.new(key, f"pin:{pin_hash}".encode(), hashlib.sha256).hexdigest()


@dataclass(frozen=True)
class Mismatch:
    """The first row that is not what the journal implies."""

    seq: int | None
    row: str
    reason: str


@dataclass
class _Txn:
    values: dict[str, Any]
    details_known: bool
    set_by: dict[str, int] = field(default_factory=dict)
    keyed: bool = False


@dataclass
class _Clerk:
    values: dict[str, Any]
    pin_digest: str | None
    set_by: dict[str, int] = field(default_factory=dict)
    keyed: bool = False


_TXN_COLUMNS = TRANSACTION_COLUMNS
_JSON_COLUMNS = frozenset({"fees", "target", "details", "figures"})
_TIME_COLUMNS = frozenset({"created_at", "updated_at"})
_CLERK_COLUMNS = ("name", "role", "active", "failures", "locked_until", "created_at", "updated_at")
_PERIOD_COLUMNS = (
    "after_seq",
    "through_seq",
    "period_from",
    "period_to",
    "clerk",
    "printed_at",
    "figures",
)


def replay(
    conn: sqlite3.Connection,
    *,
    chain_key: bytes | None,
    through_seq: int | None = None,
    since_seq: int | None = None,
) -> Mismatch | None:
    """Rebuild transactions, clerks and periods from the journal; the first mismatch or None.

    ``since_seq`` (an incremental verification): only the transactions an event after that
    seq touched are rebuilt (from all their own events, through the journal's txn index) and
    compared; clerks and periods, whose events carry no txn and are few, are always rebuilt
    whole. A transaction row edited without a new event is left to the full verification.
    """
    txns: dict[str, _Txn] = {}
    clerks: dict[str, _Clerk] = {}
    periods: dict[int, tuple[int, dict[str, Any]]] = {}
    keyed = False
    rows: Iterable[tuple[int, str, str | None, str, str]]
    if since_seq is None:
        rows = conn.execute("SELECT seq, at, txn, event, data FROM journal ORDER BY seq")
    else:
        rows = _rows_since(conn, since_seq)
    for seq, at, txn, event, text in rows:
        if through_seq is not None and seq > through_seq:
            break
        data = json.loads(text)
        if event == KEYED_EVENT:
            keyed = True
        problem = _apply(seq, at, txn, event, data, keyed, txns, clerks, periods)
        if problem is not None:
            return problem
    compared = (
        _compare_transactions(conn, txns)
        if since_seq is None
        else _compare_these_transactions(conn, txns)
    )
    # A store of an older schema (a copy kept before an upgrade) has no clerks or periods
    # tables yet; its journal then cannot hold their events either, or the file is not sound.
    return (
        compared
        or (_missing("clerks", clerks) if not _has_table(conn, "clerks") else None)
        or (_compare_clerks(conn, clerks, chain_key) if _has_table(conn, "clerks") else None)
        or (_missing("periods", periods) if not _has_table(conn, "periods") else None)
        or (_compare_periods(conn, periods) if _has_table(conn, "periods") else None)
    )


def _rows_since(
    conn: sqlite3.Connection, since_seq: int
) -> list[tuple[int, str, str | None, str, str]]:
    """Every event of the transactions touched after ``since_seq``, and every event without a
    transaction (clerks, Z reports, the keyed event), in journal order."""
    touched = conn.execute(
        "SELECT seq, at, txn, event, data FROM journal WHERE txn IN "
        "(SELECT DISTINCT txn FROM journal WHERE seq > ? AND txn IS NOT NULL)",
        (since_seq,),
    ).fetchall()
    untied = conn.execute(
        "SELECT seq, at, txn, event, data FROM journal WHERE txn IS NULL"
    ).fetchall()
    return sorted(touched + untied, key=lambda row: int(row[0]))


def _has_table(conn: sqlite3.Connection, name: str) -> bool:
    found = conn.execute(
        "SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = ?", (name,)
    ).fetchone()
    return found is not None


def _missing(table: str, implied: dict[Any, Any]) -> Mismatch | None:
    """The journal names rows of a table this file does not have."""
    if not implied:
        return None
    first = sorted(implied, key=str)[0]
    return Mismatch(
        None, f"{table}/{first}", f"the journal has {table} rows but the file has no {table} table"
    )


def _apply(
    seq: int,
    at: str,
    txn: str | None,
    event: str,
    data: dict[str, Any],
    keyed: bool,
    txns: dict[str, _Txn],
    clerks: dict[str, _Clerk],
    periods: dict[int, tuple[int, dict[str, Any]]],
) -> Mismatch | None:
    if event == "recorded" and txn is not None:
        values = {
            "terminal_id": txn[:5],
            "product": data.get("product"),
            "state": "recorded",
            "currency": data.get("currency"),
            "amount_minor": data.get("amount_minor"),
            "fees": data.get("fees"),
            "total_minor": data.get("total_minor"),
            "cash_minor": data.get("cash_minor"),
            "change_minor": data.get("change_minor"),
            "target": data.get("target"),
            "details": data.get("details", {}),
            "offline": 0,
            "clerk": data.get("clerk"),
            "auth_code": None,
            "reason": None,
            "created_at": at,
            "updated_at": at,
            "printed_at": None,
            "copies": 0,
        }
        txns[txn] = _Txn(values, "details" in data, dict.fromkeys(values, seq), keyed)
        return None
    if event.startswith("state:") and txn is not None:
        record = txns.get(txn)
        if record is None:
            return Mismatch(
                seq, f"transactions/{txn}", f"event {seq}: {event} of a sale never recorded"
            )
        if data.get("from") != record.values["state"]:
            return Mismatch(
                seq,
                f"transactions/{txn}",
                f"event {seq}: moves {txn} from {data.get('from')!r}, but the journal left it "
                f"{record.values['state']!r}",
            )
        to = event.removeprefix("state:")
        changes: dict[str, Any] = {"state": to, "updated_at": at}
        updates = dict(data.get("updates") or {})
        for name in ("auth_code", "reason", "printed_at"):
            if name in updates:
                changes[name] = updates[name]
        if "offline" in updates:
            changes["offline"] = int(bool(updates["offline"]))
        if to == "offline_accepted":
            changes["offline"] = 1
        if "details" in updates:
            changes["details"] = {**record.values["details"], **updates["details"]}
        for name, value in changes.items():
            record.values[name] = value
            record.set_by[name] = seq
        record.keyed = keyed
        return None
    if event == "reprint" and txn is not None and txn in txns:
        record = txns[txn]
        record.values["copies"] = data.get("copies")
        record.values["updated_at"] = at
        record.set_by["copies"] = record.set_by["updated_at"] = seq
        record.keyed = keyed
        return None
    if event == "clerk_added":
        number = str(data.get("clerk"))
        values = {
            "name": data.get("name"),
            "role": data.get("role"),
            "active": 1,
            "failures": 0,
            "locked_until": None,
            "created_at": at,
            "updated_at": at,
        }
        clerks[number] = _Clerk(values, data.get("pin_digest"), dict.fromkeys(values, seq), keyed)
        return None
    if event.startswith("clerk_") and isinstance(data.get("changes"), dict):
        number = str(data.get("clerk"))
        clerk = clerks.get(number)
        if clerk is None:
            return Mismatch(seq, f"clerks/{number}", f"event {seq}: {event} of a clerk never added")
        for name, value in data["changes"].items():
            if name == "active":
                clerk.values["active"] = int(bool(value))
            elif name in ("failures", "locked_until"):
                clerk.values[name] = value
            elif name == "pin_digest":
                clerk.pin_digest = str(value)
            else:
                continue
            clerk.set_by[name] = seq
        clerk.values["updated_at"] = at
        clerk.set_by["updated_at"] = seq
        clerk.keyed = keyed
        return None
    if event == "z_report":
        body = {k: v for k, v in data.items() if k not in ("clerk", "printed_at")}
        periods[int(data.get("z_number", 0))] = (
            seq,
            {
                "after_seq": data.get("after_seq"),
                "through_seq": data.get("through_seq"),
                "period_from": data.get("period_from"),
                "period_to": data.get("period_to"),
                "clerk": data.get("clerk"),
                "printed_at": data.get("printed_at"),
                "figures": body,
            },
        )
    return None


def _same(column: str, stored: Any, implied: Any, *, exact_time: bool) -> bool:
    if column in _TIME_COLUMNS and not exact_time and stored and implied:
        try:
            gap = datetime.fromisoformat(stored) - datetime.fromisoformat(implied)
        except (TypeError, ValueError):
            return False
        return abs(gap.total_seconds()) <= LEGACY_TIME_SLACK_S
    return bool(stored == implied)


def _column(row: sqlite3.Row | tuple[Any, ...], index: int, name: str) -> Any:
    value = row[index]
    if name in _JSON_COLUMNS and isinstance(value, str):
        try:
            return json.loads(value)
        except ValueError:
            return value
    return value


def _compare_transactions(conn: sqlite3.Connection, txns: dict[str, _Txn]) -> Mismatch | None:
    seen: set[str] = set()
    for row in conn.execute(
        f"SELECT txn, {', '.join(_TXN_COLUMNS)} FROM transactions ORDER BY txn"
    ):
        txn = str(row[0])
        seen.add(txn)
        record = txns.get(txn)
        if record is None:
            return Mismatch(None, f"transactions/{txn}", f"transaction {txn} has no recorded event")
        problem = _compare_row(row, record)
        if problem is not None:
            return problem
    for txn in sorted(set(txns) - seen):
        seq = txns[txn].set_by.get("state")
        return Mismatch(
            seq, f"transactions/{txn}", f"transaction {txn} is in the journal but not in the table"
        )
    return None


def _compare_these_transactions(conn: sqlite3.Connection, txns: dict[str, _Txn]) -> Mismatch | None:
    """:func:`_compare_transactions` for the rows of ``txns`` only (by primary key)."""
    query = f"SELECT txn, {', '.join(_TXN_COLUMNS)} FROM transactions WHERE txn = ?"
    for txn in sorted(txns):
        row = conn.execute(query, (txn,)).fetchone()
        if row is None:
            seq = txns[txn].set_by.get("state")
            return Mismatch(
                seq,
                f"transactions/{txn}",
                f"transaction {txn} is in the journal but not in the table",
            )
        problem = _compare_row(row, txns[txn])
        if problem is not None:
            return problem
    return None


def _compare_row(row: sqlite3.Row | tuple[Any, ...], record: _Txn) -> Mismatch | None:
    txn = str(row[0])
    for index, name in enumerate(_TXN_COLUMNS, start=1):
        if name == "details" and not record.details_known:
            continue
        stored = _column(row, index, name)
        implied = record.values[name]
        if not _same(name, stored, implied, exact_time=record.keyed):
            seq = record.set_by.get(name)
            return Mismatch(
                seq,
                f"transactions/{txn}",
                f"transaction {txn}: {name} is {_show(stored)} but the journal "
                f"(event {seq}) says {_show(implied)} (edited?)",
            )
    return None


def _compare_clerks(
    conn: sqlite3.Connection, clerks: dict[str, _Clerk], chain_key: bytes | None
) -> Mismatch | None:
    seen: set[str] = set()
    for row in conn.execute(
        f"SELECT number, pin_hash, {', '.join(_CLERK_COLUMNS)} FROM clerks ORDER BY number"
    ):
        number = str(row[0])
        seen.add(number)
        clerk = clerks.get(number)
        if clerk is None:
            return Mismatch(None, f"clerks/{number}", f"clerk {number} has no clerk_added event")
        for index, name in enumerate(_CLERK_COLUMNS, start=2):
            stored, implied = row[index], clerk.values[name]
            if not _same(name, stored, implied, exact_time=clerk.keyed):
                seq = clerk.set_by.get(name)
                return Mismatch(
                    seq,
                    f"clerks/{number}",
                    f"clerk {number}: {name} is {_show(stored)} but the journal "
                    f"(event {seq}) says {_show(implied)} (edited?)",
                )
        if (
            chain_key is not None
            and clerk.pin_digest is not None
            and not hmac.compare_digest(pin_digest(chain_key, str(row[1])), clerk.pin_digest)
        ):
            seq = clerk.set_by.get("pin_digest", clerk.set_by.get("name"))
            return Mismatch(
                seq,
                f"clerks/{number}",
                f"clerk {number}: the PIN hash is not the one the journal (event {seq}) "
                "recorded (edited?)",
            )
    for number in sorted(set(clerks) - seen):
        return Mismatch(
            clerks[number].set_by.get("name"),
            f"clerks/{number}",
            f"clerk {number} is in the journal but not in the table (deleted?)",
        )
    return None


def _compare_periods(
    conn: sqlite3.Connection, periods: dict[int, tuple[int, dict[str, Any]]]
) -> Mismatch | None:
    seen: set[int] = set()
    for row in conn.execute(
        f"SELECT z_number, {', '.join(_PERIOD_COLUMNS)} FROM periods ORDER BY z_number"
    ):
        number = int(row[0])
        seen.add(number)
        if number not in periods:
            return Mismatch(None, f"periods/{number}", f"Z report {number} has no z_report event")
        seq, implied_row = periods[number]
        for index, name in enumerate(_PERIOD_COLUMNS, start=1):
            stored, implied = _column(row, index, name), implied_row[name]
            if name in ("period_from", "period_to", "printed_at"):
                same = _instant(stored) == _instant(implied) is not None
            else:
                same = stored == implied
            if not same:
                return Mismatch(
                    seq,
                    f"periods/{number}",
                    f"Z report {number}: {name} is {_show(stored)} but the journal "
                    f"(event {seq}) says {_show(implied)} (edited?)",
                )
    for number in sorted(set(periods) - seen):
        seq = periods[number][0]
        return Mismatch(
            seq, f"periods/{number}", f"Z report {number} is in the journal but not in the table"
        )
    return None


def _instant(value: Any) -> datetime | None:
    """A time written with or without microseconds is the same instant."""
    try:
        return datetime.fromisoformat(str(value))
    except ValueError:
        return None


def _show(value: Any) -> str:
    text = json.dumps(value, ensure_ascii=False, sort_keys=True)
    return text if len(text) <= 80 else text[:77] + "..."


__all__ = ["LEGACY_TIME_SLACK_S", "Mismatch", "pin_digest", "replay"]
