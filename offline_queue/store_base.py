"""The store's one connection and its one transaction discipline (persist-queue's ``sqlbase``).

persist-queue keeps the connection, the transaction lock and the commit in ``SQLBase`` and
writes one small module per queue over it; the store does the same. Every area (transactions,
journal, outbox, clerks, periods, the seal) writes through :meth:`StoreBase._write`: one
``BEGIN IMMEDIATE`` ... ``COMMIT`` on the single connection, behind one lock, fsynced unless
the step says it may ride on the next durable commit. Reads that span statements take
:meth:`StoreBase._read`, one snapshot. Nothing else in the store begins or commits, so "all
of a step or none of it" is decided here once. Unlike persist-queue (whose ``auto_commit``
may commit each statement alone), a step here is always the whole transaction the caller
wrote, because a sale's row, its journal event and its advice must never part.
"""

from __future__ import annotations

import sqlite3
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any, Self

from foundation.clock import Clock, SystemClock
from offline_queue.carddata import CARD_DIGEST_PURPOSE, JOURNAL_CHAIN_PURPOSE, derive_key
from offline_queue.errors import StoreBusy, StoreClosed, StoreError
from offline_queue.journal import JournalVerdict
from offline_queue.schema import BUSY_TIMEOUT_MS, connect, synchronous_level
from offline_queue.schema import schema_version as read_schema_version


class StoreBase:
    """The connection, its lock and the write discipline every area of the store shares."""

    def __init__(
        self,
        path: str | Path,
        *,
        terminal_id: str,
        clock: Clock | None = None,
        busy_timeout_s: float = BUSY_TIMEOUT_MS / 1000,
        key: str | bytes | None = None,
    ) -> None:
        """Open the one connection; the subclass migrates and seals (see ``Store``)."""
        self.path = Path(path)
        self.terminal_id = terminal_id
        self.clock: Clock = clock or SystemClock()
        self._card_key = None if key is None else derive_key(key, CARD_DIGEST_PURPOSE)
        self._chain_key = None if key is None else derive_key(key, JOURNAL_CHAIN_PURPOSE)
        self._keyed = False
        #: Why the journal could not be sealed at open (a broken chain), else None.
        self.seal_problem: JournalVerdict | None = None
        self._lock = threading.RLock()
        #: Write transactions committed so far: ``durable`` ones fsynced the WAL at COMMIT,
        #: ``deferred`` ones did not and became durable with the next durable commit (tests
        #: count a sale's commits with it; docs/internals.md says which steps defer).
        self.commits: dict[str, int] = {"durable": 0, "deferred": 0}
        #: [writes since the last commit, commit every] while :meth:`bulk` is on, else None
        self._bulk: list[int] | None = None
        self._busy_timeout_ms = int(busy_timeout_s * 1000)
        self._conn: sqlite3.Connection | None = connect(
            self.path, busy_timeout_ms=self._busy_timeout_ms
        )
        self._conn.row_factory = sqlite3.Row

    # -- lifecycle -------------------------------------------------------------------------

    def close(self) -> None:
        with self._lock:
            if self._conn is not None:
                self._conn.close()
                self._conn = None

    def __enter__(self) -> Self:
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.close()

    @property
    def schema_version(self) -> int:
        with self._lock:
            return read_schema_version(self._live())

    def connection_pragmas(self) -> dict[str, Any]:
        """The durability settings as SQLite reports them on this store's connection."""
        with self._lock:
            conn = self._live()
            return {
                name: conn.execute(f"PRAGMA {name}").fetchone()[0]
                for name in ("journal_mode", "synchronous", "foreign_keys", "busy_timeout")
            }

    def _live(self) -> sqlite3.Connection:
        if self._conn is None:
            raise StoreClosed(f"store {self.path} is closed; open it again")
        return self._conn

    @contextmanager
    def _write(self, *, durable: bool = True) -> Iterator[sqlite3.Connection]:
        """One write transaction: all of it commits, or none of it.

        ``durable=False`` commits without the fsync (``synchronous=NORMAL`` for this one
        commit): a crash of the process still keeps it (the WAL is in the OS), a power cut may
        lose it, and the next durable commit's fsync of the WAL makes it durable too (the WAL
        is appended in order). Only for steps recovery does not need (docs/internals.md).
        """
        with self._lock:
            conn = self._live()
            if self._bulk is not None:
                yield from self._bulk_write(conn)
                return
            if not durable:
                conn.execute("PRAGMA synchronous = NORMAL")
            try:
                conn.execute("BEGIN IMMEDIATE")
            except sqlite3.OperationalError as exc:
                if not durable:
                    conn.execute(f"PRAGMA synchronous = {synchronous_level()}")
                raise StoreBusy(
                    f"store {self.path} is locked by another process ({exc}) for more than "
                    f"{self._busy_timeout_ms / 1000:g} s; nothing was written, try again"
                ) from exc
            changes = conn.total_changes
            try:
                yield conn
                conn.execute("COMMIT")
                if conn.total_changes != changes:  # a commit that wrote nothing syncs nothing
                    self.commits["durable" if durable else "deferred"] += 1
            except sqlite3.OperationalError as exc:
                if conn.in_transaction:
                    conn.execute("ROLLBACK")
                raise StoreError(
                    f"store {self.path} could not be written ({exc}); nothing of this step "
                    "was kept: check free disk space and file permissions"
                ) from exc
            except BaseException:
                if conn.in_transaction:
                    conn.execute("ROLLBACK")
                raise
            finally:
                if not durable:
                    conn.execute(f"PRAGMA synchronous = {synchronous_level()}")

    def _bulk_write(self, conn: sqlite3.Connection) -> Iterator[sqlite3.Connection]:
        """One step of :meth:`bulk`: a savepoint in the long transaction, committed in batches."""
        assert self._bulk is not None
        conn.execute("SAVEPOINT step")
        try:
            yield conn
        except BaseException:
            conn.execute("ROLLBACK TO step")
            conn.execute("RELEASE step")
            raise
        conn.execute("RELEASE step")
        self._bulk[0] += 1
        if self._bulk[0] >= self._bulk[1]:
            conn.execute("COMMIT")
            conn.execute("BEGIN IMMEDIATE")
            self._bulk[0] = 0

    @contextmanager
    def bulk(self, *, commit_every: int = 5000) -> Iterator[None]:
        """Generate history fast (benchmarks, never a counter): the store's own writes, batched
        ``commit_every`` to a commit, with ``synchronous=OFF``. A crash loses the open batch."""
        with self._lock:
            conn = self._live()
            conn.execute("PRAGMA synchronous = OFF")
            conn.execute("BEGIN IMMEDIATE")
            self._bulk = [0, commit_every]
            try:
                yield
                conn.execute("COMMIT")
            except BaseException:
                if conn.in_transaction:
                    conn.execute("ROLLBACK")
                raise
            finally:
                self._bulk = None
                conn.execute(f"PRAGMA synchronous = {synchronous_level()}")

    @contextmanager
    def _read(self) -> Iterator[sqlite3.Connection]:
        """A consistent snapshot for reads that span several statements."""
        with self._lock:
            conn = self._live()
            if self._bulk is not None:  # already inside the bulk transaction
                yield conn
                return
            conn.execute("BEGIN")
            try:
                yield conn
            finally:
                if conn.in_transaction:
                    conn.execute("COMMIT")

    def flush_erased(self, *, vacuum: bool = False) -> None:
        """Push erased card data out of the WAL (and, with ``vacuum``, out of free pages).

        ``secure_delete`` zeroes what a write frees, but older page images stay in the WAL
        until a checkpoint copies the new ones over them; a truncating checkpoint ends that.
        """
        with self._lock:
            conn = self._live()
            if vacuum:
                conn.execute("VACUUM")
            conn.execute("PRAGMA wal_checkpoint(TRUNCATE)")
