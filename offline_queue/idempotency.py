"""Idempotency keys of the local API, kept in the store (Stripe's semantics, issue 14).

A till that lost the answer to a sale (the connection dropped after the sale) retries with the
same ``Idempotency-Key`` and must get the first answer, never a second sale. So a sale's key is
inserted in the *same* SQLite transaction as the sale's record (``Store.record(idempotency=...)``):
after a crash at any point there is either both or neither. The first answer is stored when it
is known; until then the key points at its transaction, whose state says how far it got.

Keys live :data:`KEY_RETENTION_S` (48 h, the promise is at least 24 h); older ones are dropped
whenever a new key is stored.
"""

from __future__ import annotations

import json
import sqlite3
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from offline_queue.errors import IdempotencyKeyTaken

#: How long a key and its answer are kept (the API promises at least 24 h).
KEY_RETENTION_S = 48 * 3600


@dataclass(frozen=True)
class IdempotencyClaim:
    """A key about to be used: for which endpoint, with which body (a digest of it)."""

    key: str
    endpoint: str
    fingerprint: str


@dataclass(frozen=True)
class IdempotencyEntry:
    """A stored key: its transaction once known, and the first answer once given."""

    key: str
    endpoint: str
    fingerprint: str
    txn: str | None
    status: int | None
    response: dict[str, Any] | None
    created_at: datetime
    completed_at: datetime | None

    def to_dict(self) -> dict[str, Any]:
        return {
            "idempotency_key": self.key,
            "endpoint": self.endpoint,
            "txn": self.txn,
            "status": self.status,
            "response": self.response,
            "created_at": self.created_at.isoformat(),
            "completed_at": None if self.completed_at is None else self.completed_at.isoformat(),
        }


def insert_key(
    conn: sqlite3.Connection, claim: IdempotencyClaim, *, txn: str | None, now: datetime
) -> None:
    """Store ``claim`` in the caller's transaction; :class:`IdempotencyKeyTaken` if it exists."""
    cutoff = (now - timedelta(seconds=KEY_RETENTION_S)).isoformat()
    conn.execute("DELETE FROM idempotency_keys WHERE created_at < ?", (cutoff,))
    try:
        conn.execute(
            "INSERT INTO idempotency_keys (key, endpoint, fingerprint, txn, created_at)"
            " VALUES (?, ?, ?, ?, ?)",
            (claim.key, claim.endpoint, claim.fingerprint, txn, now.isoformat()),
        )
    except sqlite3.IntegrityError:
        raise IdempotencyKeyTaken(claim.key) from None


def complete_key(
    conn: sqlite3.Connection, key: str, *, status: int, response: dict[str, Any], now: datetime
) -> None:
    """Keep the first answer; a later one never replaces it."""
    conn.execute(
        "UPDATE idempotency_keys SET status = ?, response = ?, completed_at = ?"
        " WHERE key = ? AND response IS NULL",
        (status, json.dumps(response, sort_keys=True), now.isoformat(), key),
    )


def find_key(conn: sqlite3.Connection, key: str) -> IdempotencyEntry | None:
    row = conn.execute("SELECT * FROM idempotency_keys WHERE key = ?", (key,)).fetchone()
    if row is None:
        return None
    return IdempotencyEntry(
        key=str(row["key"]),
        endpoint=str(row["endpoint"]),
        fingerprint=str(row["fingerprint"]),
        txn=None if row["txn"] is None else str(row["txn"]),
        status=None if row["status"] is None else int(row["status"]),
        response=None if row["response"] is None else json.loads(row["response"]),
        created_at=datetime.fromisoformat(str(row["created_at"])),
        completed_at=(
            None if row["completed_at"] is None else datetime.fromisoformat(row["completed_at"])
        ),
    )


__all__ = [
    "KEY_RETENTION_S",
    "IdempotencyClaim",
    "IdempotencyEntry",
    "complete_key",
    "find_key",
    "insert_key",
]
