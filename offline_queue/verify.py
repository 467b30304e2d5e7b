"""Verifying a store's books: the journal's chain, then the tables replayed from it.

One check for every reader: the store's own verification (from its checkpoint), a file opened
read-only (a backup, a copy before restoring, a migration's safety copy) and ``kiosk doctor``.
It lives apart from :mod:`offline_queue.store` so that the backup module, which the store
calls before a migration, can use it without importing the store.

Incremental verification: a successful walk leaves a *checkpoint* in ``journal_seal`` (the
last verified seq and its chain hash, with a MAC under the chain key, which is derived from the
terminal key and never stored in the file). The next walk may start there: the chain from the
checkpoint's hash, and the books of the transactions touched since (plus the clerks and Z
periods, which are few). Whoever edits the file without the key cannot forge a checkpoint or
move it forward; a checkpoint whose MAC or hash does not hold is ignored (the walk starts at
the genesis). What the incremental walk cannot see (an edit of an event or row before the
checkpoint that no later event touches) the full walk, still the default, finds.
"""

from __future__ import annotations

import hashlib
import hmac
import sqlite3

from offline_queue.carddata import JOURNAL_CHAIN_PURPOSE, derive_key
from offline_queue.journal import (
    GENESIS_HASH,
    REDACTED_EVENT,
    JournalVerdict,
    RawJournalRow,
    redaction_proofs,
    verify_chain,
)
from offline_queue.replay import replay
from offline_queue.schema import schema_version as read_schema_version


def _keyed_store(conn: sqlite3.Connection) -> bool:
    """Whether this store was sealed (its journal must then hold the keyed event)."""
    if read_schema_version(conn) < 4:
        return False  # written before keying existed
    try:
        row = conn.execute("SELECT keyed_seq FROM journal_seal WHERE id = 1").fetchone()
    except sqlite3.OperationalError:
        return True  # the seal table itself was dropped: expect the keyed chain
    return row is None or row[0] is not None


def checkpoint_mac(chain_key: bytes, seq: int, digest: str) -> str:
    """The MAC that seals a verified checkpoint (seq, chain hash) under the chain key."""
    return hmac.new(
        chain_key, f"checkpoint:{seq}:{digest}".encode("ascii"), hashlib.sha256
    ).hexdigest()


def sealed_checkpoint(conn: sqlite3.Connection, chain_key: bytes | None) -> tuple[int, str]:
    """The last verified point, if its MAC holds and its journal row still has that hash;
    otherwise the genesis (a full walk)."""
    if chain_key is None:
        return 0, GENESIS_HASH
    try:
        row = conn.execute(
            "SELECT checked_seq, checked_hash, checked_mac FROM journal_seal WHERE id = 1"
        ).fetchone()
    except sqlite3.OperationalError:  # a schema before the checkpoint
        return 0, GENESIS_HASH
    if row is None or not row[0] or row[1] is None or row[2] is None:
        return 0, GENESIS_HASH
    seq, digest, mac = int(row[0]), str(row[1]), str(row[2])
    if not hmac.compare_digest(mac, checkpoint_mac(chain_key, seq, digest)):
        return 0, GENESIS_HASH
    stored = conn.execute("SELECT hash FROM journal WHERE seq = ?", (seq,)).fetchone()
    if stored is None or stored[0] != digest:
        return 0, GENESIS_HASH
    return seq, digest


def chain_verdict(
    conn: sqlite3.Connection, *, chain_key: bytes | None, start: tuple[int, str] = (0, GENESIS_HASH)
) -> JournalVerdict:
    """The chain check on ``conn`` (inside a read transaction), from ``start``."""
    try:
        head = conn.execute("SELECT seq, hash FROM journal_head WHERE id = 1").fetchone()
    except sqlite3.OperationalError:  # the head table itself was dropped
        head = None
    proofs = redaction_proofs(
        RawJournalRow(*row)
        for row in conn.execute(
            "SELECT seq, at, txn, event, data, prev_hash, hash FROM journal "
            "WHERE event = ? ORDER BY seq",
            (REDACTED_EVENT,),
        )
    )
    rows = (
        RawJournalRow(*row)
        for row in conn.execute(
            "SELECT seq, at, txn, event, data, prev_hash, hash FROM journal WHERE seq > ? "
            "ORDER BY seq",
            (start[0],),
        )
    )
    return verify_chain(
        rows,
        head_seq=None if head is None else int(head[0]),
        head_hash=None if head is None else str(head[1]),
        key=chain_key,
        redactions=proofs,
        start_seq=start[0],
        start_hash=start[1],
        keyed_before_start=start[0] > 0,
        require_keyed=_keyed_store(conn),
    )


def verify_books(
    conn: sqlite3.Connection,
    *,
    chain_key: bytes | None,
    start: tuple[int, str] = (0, GENESIS_HASH),
) -> JournalVerdict:
    """The chain from ``start``, then (if it holds) the tables replayed from the journal.

    ``conn`` must be inside a read transaction (or in autocommit mode with nothing else
    writing through it): every read here is one snapshot.
    """
    verdict = chain_verdict(conn, chain_key=chain_key, start=start)
    if not verdict.ok:
        return verdict
    # from a checkpoint: the books of what the journal touched since (module docstring)
    mismatch = replay(conn, chain_key=chain_key, since_seq=start[0] if start[0] > 0 else None)
    if mismatch is None:
        return verdict
    return JournalVerdict(
        ok=False,
        checked=verdict.checked,
        first_bad_seq=mismatch.seq,
        reason=mismatch.reason,
        first_bad_row=mismatch.row,
    )


def verify_journal_on(
    conn: sqlite3.Connection, *, key: str | bytes | None = None, full: bool = True
) -> JournalVerdict:
    """The books of the store in ``conn``'s file, read in one read transaction.

    ``conn`` must be in autocommit mode (``isolation_level=None``): the snapshot is its own
    ``BEGIN``, so sales committing meanwhile on other connections do not disturb the walk.
    ``key`` is the terminal's key (kiosk.toml ``[terminal] key``); a keyed journal needs it.
    ``full=False`` starts at the sealed checkpoint (module docstring); it only reads, so the
    checkpoint stays where the store's own verification left it.
    """
    chain_key = None if key is None else derive_key(key, JOURNAL_CHAIN_PURPOSE)
    conn.execute("BEGIN")
    try:
        start = (0, GENESIS_HASH) if full else sealed_checkpoint(conn, chain_key)
        return verify_books(conn, chain_key=chain_key, start=start)
    finally:
        conn.execute("ROLLBACK")


__all__ = [
    "chain_verdict",
    "checkpoint_mac",
    "sealed_checkpoint",
    "verify_books",
    "verify_journal_on",
]
