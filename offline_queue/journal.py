"""The journal's hash chain: canonical encoding, hashing and verification.

Every journal row's hash is ``HMAC-SHA256(chain_key, canonical([seq, at, txn, event, data]) ||
prev_hash)`` (rows written before the chain was keyed: plain ``SHA-256`` of the same bytes)
where ``canonical`` is JSON with sorted keys, no whitespace, UTF-8 and ``ensure_ascii=False``,
and ``prev_hash`` is the previous row's hash as lowercase hex (:data:`GENESIS_HASH` before the
first row). A head row holds the last seq and hash, written in the same transaction as each
event, so removing the newest rows is caught as well as editing, removing, reordering or
inserting rows in the middle.

Keying: the chain key is derived from the terminal's key, so whoever can rewrite the whole file
cannot recompute the chain without it. The first keyed row is the :data:`KEYED_EVENT` event
(seq 1 in a store created keyed; appended once when an older store is first opened with a key):
it and every row after it are HMACs, rows before it are plain SHA-256 and are pinned by the
keyed row's ``prev_hash``. A journal with rows but no keyed event fails verification with a key.

Redaction: an older version wrote full card numbers into the journal. The migration that
removes them rewrites those rows' ``data`` but keeps their ``hash``, and appends one
:data:`REDACTED_EVENT` event listing, per redacted row, the SHA-256 of the row's new content.
Verification accepts a listed row when its content matches that digest, and chains on from
its stored hash; the redaction event itself is chained (and keyed) like any other row.
"""

from __future__ import annotations

import hashlib
import hmac
import json
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Any

#: The ``prev_hash`` of the first event.
GENESIS_HASH = "0" * 64
#: The first event hashed with the chain key (and every one after it).
KEYED_EVENT = "journal_keyed"
#: The event that lists rows whose card data a migration removed, with their new content's digest.
REDACTED_EVENT = "journal_redacted"


def canonical_json(value: Any) -> str:
    """One spelling per value, so the same content always hashes the same.

    NaN and infinities are refused: they have no JSON spelling another program would read.
    """
    return json.dumps(
        value, sort_keys=True, separators=(",", ":"), ensure_ascii=False, allow_nan=False
    )


def event_hash(
    *,
    seq: int,
    at: str,
    txn: str | None,
    event: str,
    data: Mapping[str, Any],
    prev_hash: str,
    key: bytes | None = None,
) -> str:
    """The hash of one journal row, chained onto ``prev_hash``; an HMAC under ``key`` if given."""
    body = canonical_json([seq, at, txn, event, dict(data)]).encode("utf-8")
    message = body + prev_hash.encode("ascii")
    if key is None:
        return hashlib.sha256(message).hexdigest()
    return hmac.new(key, message, hashlib.sha256).hexdigest()


def content_digest(*, seq: int, at: str, txn: str | None, event: str, data: Any) -> str:
    """SHA-256 of a row's content alone: what a redaction proof pins."""
    body = canonical_json([seq, at, txn, event, data])
    return hashlib.sha256(body.encode("utf-8")).hexdigest()


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
    #: The head a successful walk ended at (what the host and the Z slip anchor).
    head_seq: int | None = None
    head_hash: str | None = None
    #: The table row that is not what the journal implies (``transactions/<txn>``, ...).
    first_bad_row: str | None = None

    def to_dict(self) -> dict[str, Any]:
        return {
            "ok": self.ok,
            "checked": self.checked,
            "first_bad_seq": self.first_bad_seq,
            "first_bad_row": self.first_bad_row,
            "reason": self.reason,
            "head_seq": self.head_seq,
            "head_hash": self.head_hash,
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


def redaction_proofs(rows: Iterable[RawJournalRow]) -> dict[int, tuple[int, str]]:
    """``{redacted seq: (seq of the redaction event, content digest)}`` from redaction events.

    Unreadable redaction events give no proofs; the chain walk names them as broken anyway.
    """
    proofs: dict[int, tuple[int, str]] = {}
    for row in rows:
        if row.event != REDACTED_EVENT:
            continue
        try:
            data = json.loads(row.data)
            for entry in data.get("rows", []):
                proofs[int(entry["seq"])] = (row.seq, str(entry["content"]))
        except (ValueError, TypeError, KeyError, AttributeError):
            continue
    return proofs


def verify_chain(
    rows: Iterable[RawJournalRow],
    *,
    head_seq: int | None,
    head_hash: str | None,
    key: bytes | None = None,
    redactions: Mapping[int, tuple[int, str]] | None = None,
    start_seq: int = 0,
    start_hash: str = GENESIS_HASH,
    keyed_before_start: bool = False,
    require_keyed: bool = True,
) -> JournalVerdict:
    """Walk ``rows`` (ordered by seq) and report the first one that breaks the chain.

    Seqs must run 1, 2, 3... without gaps; each row must name its predecessor's hash and its
    own hash must match its content; the last row must be the one the head names. With
    ``key``, rows from the :data:`KEYED_EVENT` on must be HMACs under it, and a journal that
    has rows must have that event (unless ``require_keyed`` is False: a store not sealed yet).
    ``start_seq``/``start_hash`` resume from a row checked
    before (incremental verification): ``rows`` then begin at ``start_seq + 1``.
    """
    expected_seq = start_seq + 1
    prev_hash = start_hash
    checked = 0
    keyed = keyed_before_start
    proofs = redactions or {}
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
        if row.event == KEYED_EVENT:
            if key is None:
                return _bad(
                    checked,
                    row.seq,
                    f"event {row.seq}: the journal is keyed from here on; verify it with the "
                    "terminal's key (the kiosk.toml of this terminal)",
                )
            keyed = True
        proof = proofs.get(row.seq)
        if proof is not None and proof[0] > row.seq:
            content = content_digest(
                seq=row.seq, at=row.at, txn=row.txn, event=row.event, data=data
            )
            if content != proof[1]:
                return _bad(
                    checked,
                    row.seq,
                    f"event {row.seq}: content does not match its redaction proof in event "
                    f"{proof[0]} (edited?)",
                )
        else:
            computed = event_hash(
                seq=row.seq,
                at=row.at,
                txn=row.txn,
                event=row.event,
                data=data,
                prev_hash=prev_hash,
                key=key if keyed else None,
            )
            if computed != row.hash:
                why = "its keyed hash does not match" if keyed else "hash does not match"
                return _bad(checked, row.seq, f"event {row.seq}: {why} its content (edited?)")
        checked += 1
        prev_hash = row.hash
        expected_seq += 1
    last_seq = expected_seq - 1
    if key is not None and require_keyed and last_seq > 0 and not keyed:
        return _bad(
            checked,
            1,
            "the journal has no keyed event: it was not written by this terminal's key "
            "(rewritten without it?)",
        )
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
    return JournalVerdict(ok=True, checked=checked, head_seq=last_seq, head_hash=prev_hash)


def _bad(checked: int, seq: int, reason: str) -> JournalVerdict:
    return JournalVerdict(ok=False, checked=checked, first_bad_seq=seq, reason=reason)


__all__ = [
    "GENESIS_HASH",
    "KEYED_EVENT",
    "REDACTED_EVENT",
    "JournalEvent",
    "JournalVerdict",
    "RawJournalRow",
    "canonical_json",
    "content_digest",
    "event_hash",
    "redaction_proofs",
    "verify_chain",
]
