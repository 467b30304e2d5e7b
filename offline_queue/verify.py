"""Verifying a store's books: the journal's chain, then the tables replayed from it.

One check for every reader: the store's own verification (from its checkpoint), a file opened
read-only (a backup, a copy before restoring, a migration's safety copy) and ``kiosk doctor``.
It lives apart from :mod:`offline_queue.store` so that the backup module, which the store
calls before a migration, can use it without importing the store.
"""

from __future__ import annotations

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
    mismatch = replay(conn, chain_key=chain_key)
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
    conn: sqlite3.Connection, *, key: str | bytes | None = None
) -> JournalVerdict:
    """The books of the store in ``conn``'s file, read in one read transaction.

    ``conn`` must be in autocommit mode (``isolation_level=None``): the snapshot is its own
    ``BEGIN``, so sales committing meanwhile on other connections do not disturb the walk.
    ``key`` is the terminal's key (kiosk.toml ``[terminal] key``); a keyed journal needs it.
    """
    chain_key = None if key is None else derive_key(key, JOURNAL_CHAIN_PURPOSE)
    conn.execute("BEGIN")
    try:
        return verify_books(conn, chain_key=chain_key)
    finally:
        conn.execute("ROLLBACK")


__all__ = ["chain_verdict", "verify_books", "verify_journal_on"]
