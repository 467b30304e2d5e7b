"""The journal's hash chain: canonical encoding, hashing and verification.

Every journal row's hash is ``SHA-256(canonical([seq, at, txn, event, data]) || prev_hash)``
where ``canonical`` is JSON with sorted keys, no whitespace, UTF-8 and ``ensure_ascii=False``,
and ``prev_hash`` is the previous row's hash as lowercase hex (:data:`GENESIS_HASH` before the
first row). A head row holds the last seq and hash, written in the same transaction as each
event, so removing the newest rows is caught as well as editing, removing, reordering or
inserting rows in the middle. Whoever can rewrite the whole file, head included, can forge a
consistent chain: the chain proves the file was not patched, not who wrote it.
"""

from __future__ import annotations

import hashlib
import json
import sqlite3
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Any

#: The ``prev_hash`` of the first event.
GENESIS_HASH = "0" * 64


def canonical_json(value: Any) -> str:
    """One spelling per value, so the same content always hashes the same.

    NaN and infinities are refused: they have no JSON spelling another program would read.
    """
    return json.dumps(
        value, sort_keys=True, separators=(",", ":"), ensure_ascii=False, allow_nan=False
    )


def event_hash(
    *, seq: int, at: str, txn: str | None, event: str, data: Mapping[str, Any], prev_hash: str
) -> str:
    """The hash of one journal row, chained onto ``prev_hash``."""
    body = canonical_json([seq, at, txn, event, dict(data)])
    return hashlib.sha256(body.encode("utf-8") + prev_hash.encode("ascii")).hexdigest()


@dataclass(frozen=True)
class JournalEvent:
    """One row of the journal; ``at`` is aware UTC."""

    seq: int
    at: datetime
    txn: str | None
    event: str
    data: dict[str, Any]
    prev_hash: str
    hash: str

    def to_dict(self) -> dict[str, Any]:
        return {
            "seq": self.seq,
            "at": self.at.isoformat(),
            "txn": self.txn,
            "event": self.event,
            "data": self.data,
            "prev_hash": self.prev_hash,
            "hash": self.hash,
        }


@dataclass(frozen=True)
class JournalVerdict:
    """What :func:`verify_chain` found: ``ok`` or the first event that breaks the chain."""

    ok: bool
    checked: int
    first_bad_seq: int | None = None
    reason: str | None = None

    def to_dict(self) -> dict[str, Any]:
        return {
            "ok": self.ok,
            "checked": self.checked,
            "first_bad_seq": self.first_bad_seq,
            "reason": self.reason,
        }


@dataclass(frozen=True)
class RawJournalRow:
    """A journal row exactly as stored (``data`` still text), for verification."""

    seq: int
    at: str
    txn: str | None
    event: str
    data: str
    prev_hash: str
    hash: str


def verify_chain(
    rows: Iterable[RawJournalRow], *, head_seq: int | None, head_hash: str | None
) -> JournalVerdict:
    """Walk ``rows`` (ordered by seq) and report the first one that breaks the chain.

    Seqs must run 1, 2, 3... without gaps; each row must name its predecessor's hash and its
    own hash must match its content; the last row must be the one the head names.
    """
    expected_seq = 1
    prev_hash = GENESIS_HASH
    checked = 0
    for row in rows:
        if row.seq < expected_seq:
            return _bad(checked, row.seq, f"event {row.seq} is out of order (reordered?)")
        if row.seq > expected_seq:
            missing = (
                f"event {expected_seq}"
                if row.seq == expected_seq + 1
                else f"events {expected_seq}..{row.seq - 1}"
            )
            return _bad(
                checked,
                expected_seq,
                f"{missing} missing: event {expected_seq - 1} is followed by event {row.seq} "
                "(deleted?)",
            )
        if row.prev_hash != prev_hash:
            return _bad(
                checked,
                row.seq,
                f"event {row.seq}: does not follow event {row.seq - 1} in the chain "
                "(reordered or inserted?)",
            )
        try:
            data = json.loads(row.data)
        except ValueError:
            return _bad(checked, row.seq, f"event {row.seq}: data is not valid JSON (edited?)")
        if not isinstance(data, dict):
            return _bad(checked, row.seq, f"event {row.seq}: data is not an object (edited?)")
        computed = event_hash(
            seq=row.seq, at=row.at, txn=row.txn, event=row.event, data=data, prev_hash=prev_hash
        )
        if computed != row.hash:
            return _bad(
                checked, row.seq, f"event {row.seq}: hash does not match its content (edited?)"
            )
        checked += 1
        prev_hash = row.hash
        expected_seq += 1
    last_seq = expected_seq - 1
    if head_seq is None or head_hash is None:
        return _bad(checked, last_seq + 1, "the journal head row is missing (deleted?)")
    if head_seq > last_seq:
        missing = (
            f"event {last_seq + 1}"
            if head_seq == last_seq + 1
            else f"events {last_seq + 1}..{head_seq}"
        )
        return _bad(
            checked,
            last_seq + 1,
            f"{missing} missing: the head says the journal ends at event {head_seq} "
            f"but it ends at event {last_seq} (deleted from the end?)",
        )
    if head_seq < last_seq:
        return _bad(
            head_seq,
            head_seq + 1,
            f"event {head_seq + 1}: the head says the journal ends at event {head_seq} (inserted?)",
        )
    if head_hash != prev_hash:
        return _bad(
            checked,
            last_seq,
            f"event {last_seq}: the head's hash does not match the last event (edited?)",
        )
    return JournalVerdict(ok=True, checked=checked)


def _bad(checked: int, seq: int, reason: str) -> JournalVerdict:
    return JournalVerdict(ok=False, checked=checked, first_bad_seq=seq, reason=reason)


def verify_journal_on(conn: sqlite3.Connection) -> JournalVerdict:
    """The hash chain of the journal in ``conn``'s file, read in one read transaction.

    ``conn`` must be in autocommit mode (``isolation_level=None``): the snapshot is its own
    ``BEGIN``, so sales committing meanwhile on other connections do not disturb the walk.
    """
    conn.execute("BEGIN")
    try:
        try:
            head = conn.execute("SELECT seq, hash FROM journal_head WHERE id = 1").fetchone()
        except sqlite3.OperationalError:  # the head table itself was dropped
            head = None
        rows = (
            RawJournalRow(*row)
            for row in conn.execute(
                "SELECT seq, at, txn, event, data, prev_hash, hash FROM journal ORDER BY seq"
            )
        )
        return verify_chain(
            rows,
            head_seq=None if head is None else int(head[0]),
            head_hash=None if head is None else str(head[1]),
        )
    finally:
        conn.execute("ROLLBACK")


__all__ = [
    "GENESIS_HASH",
    "JournalEvent",
    "JournalVerdict",
    "RawJournalRow",
    "canonical_json",
    "event_hash",
    "verify_chain",
    "verify_journal_on",
]
