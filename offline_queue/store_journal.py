"""The journal area: the hash-chained, append-only log every step of the store writes."""

from __future__ import annotations

import json
import logging
import sqlite3
from collections.abc import Iterator, Mapping, Sequence
from pathlib import Path
from typing import Any

from offline_queue.carddata import (
    JOURNAL_CHAIN_PURPOSE,
    derive_key,
    scrub,
)
from offline_queue.errors import (
    InvalidRecord,
    StoreError,
    UnknownTransaction,
)
from offline_queue.eventlog import emit
from offline_queue.journal import (
    GENESIS_HASH,
    JournalEvent,
    JournalVerdict,
    canonical_json,
    event_hash,
)
from offline_queue.schema import (
    connect,
)
from offline_queue.store_base import StoreBase
from offline_queue.store_fields import (
    checked_limit,
    from_iso,
    json_object,
    to_iso,
)
from offline_queue.verify import chain_verdict, checkpoint_mac, sealed_checkpoint, verify_books

log = logging.getLogger(__name__)

#: Journal event names the store writes itself; callers of ``journal_event`` may not use them.
RESERVED_EVENT_PREFIXES = ("state:", "outbox:")
#: Keys of a ``journal_event``'s data that are codes or states, safe to log (never a target).
_SAFE_EVENT_KEYS = ("clerk", "from", "to", "reason", "kind")
RECORDED_EVENT = "recorded"


def state_event(state: str) -> str:
    """The journal event name of a move into ``state``."""
    return f"state:{state}"


class JournalArea(StoreBase):
    """Appends to, reads and verifies the journal; every other area journals through it."""

    def journal_between(
        self, after_seq: int, through_seq: int, events: Sequence[str]
    ) -> list[JournalEvent]:
        """Journal events named ``events`` with ``after_seq < seq <= through_seq``, in order
        (a period's cash movements, see ``terminal.shift``)."""
        if not events:
            return []
        marks = ", ".join("?" for _ in events)
        sql = (
            f"SELECT * FROM journal WHERE seq > ? AND seq <= ? AND event IN ({marks}) ORDER BY seq"
        )
        with self._lock:
            return [
                _journal_event(row)
                for row in self._live().execute(sql, [after_seq, through_seq, *events])
            ]

    def journal_event(
        self, txn: str | None, event: str, data: Mapping[str, Any], *, durable: bool = True
    ) -> None:
        """Append an event that changes no state (print attempt, clerk sign-in, ...).

        ``durable=False``: the commit rides on the next durable one (see :meth:`_write`).
        """
        if not isinstance(event, str) or not event:
            raise InvalidRecord("journal event needs a non-empty name")
        if event == RECORDED_EVENT or event.startswith(RESERVED_EVENT_PREFIXES):
            raise InvalidRecord(
                f"journal event name {event!r} is reserved for the store's own events; "
                "state changes go through transition()"
            )
        data_obj = scrub(json_object("data", data), self._card_key)
        with self._write(durable=durable) as conn:
            if txn is not None:
                self._require_txn(conn, txn)
            self._append_journal(conn, txn, event, data_obj)
        safe = {key: data_obj[key] for key in _SAFE_EVENT_KEYS if key in data_obj}
        emit(log, f"journal.{event}", txn=txn, **safe)

    def _require_txn(self, conn: sqlite3.Connection, txn: str) -> None:
        if conn.execute("SELECT 1 FROM transactions WHERE txn = ?", (txn,)).fetchone() is None:
            raise UnknownTransaction(txn)

    # -- journal ---------------------------------------------------------------------------

    def _append_journal(
        self,
        conn: sqlite3.Connection,
        txn: str | None,
        event: str,
        data: Mapping[str, Any],
        *,
        keyed: bool | None = None,
        at: str | None = None,
    ) -> int:
        head = conn.execute("SELECT seq, hash FROM journal_head WHERE id = 1").fetchone()
        if head is None:
            raise StoreError(
                f"store {self.path}: the journal head row is missing; run `kiosk journal verify`"
            )
        seq = int(head["seq"]) + 1
        at = at or to_iso(self.clock.now())
        data_json = canonical_json(dict(data))
        use_key = self._keyed if keyed is None else keyed
        if use_key and self._chain_key is None:
            raise StoreError(
                f"store {self.path}: its journal is keyed with the terminal's key and this "
                "program was not given it; nothing was written (open it with the kiosk.toml key)"
            )
        digest = event_hash(
            seq=seq,
            at=at,
            txn=txn,
            event=event,
            data=json.loads(data_json),
            prev_hash=head["hash"],
            key=self._chain_key if use_key else None,
        )
        conn.execute(
            "INSERT INTO journal (seq, at, txn, event, data, prev_hash, hash) "
            "VALUES (?, ?, ?, ?, ?, ?, ?)",
            (seq, at, txn, event, data_json, head["hash"], digest),
        )
        conn.execute("UPDATE journal_head SET seq = ?, hash = ? WHERE id = 1", (seq, digest))
        return seq

    def journal_head(self) -> tuple[int, str]:
        """The last event's seq and hash: what the host and the Z slip anchor."""
        with self._lock:
            row = self._live().execute("SELECT seq, hash FROM journal_head WHERE id = 1").fetchone()
        if row is None:
            raise StoreError(f"store {self.path}: the journal head row is missing")
        return int(row[0]), str(row[1])

    def event_hash_at(self, seq: int) -> str | None:
        """The hash of event ``seq`` (the genesis hash for 0), None if there is no such event."""
        if seq == 0:
            return GENESIS_HASH
        with self._lock:
            row = self._live().execute("SELECT hash FROM journal WHERE seq = ?", (seq,)).fetchone()
        return None if row is None else str(row[0])

    def export_journal(self) -> Iterator[dict[str, Any]]:
        """Every journal row as stored (``data`` as text), oldest first, for an outside check."""
        conn = connect(self.path, busy_timeout_ms=self._busy_timeout_ms)
        try:
            conn.execute("BEGIN")
            for row in conn.execute(
                "SELECT seq, at, txn, event, data, prev_hash, hash FROM journal ORDER BY seq"
            ):
                yield dict(
                    zip(
                        ("seq", "at", "txn", "event", "data", "prev_hash", "hash"), row, strict=True
                    )
                )
        finally:
            conn.close()

    def journal(self, txn: str | None = None, *, limit: int | None = None) -> list[JournalEvent]:
        """Journal events in order: all of them, or those of ``txn``; ``limit`` keeps the newest."""
        where = "WHERE txn = ?" if txn is not None else ""
        params: list[Any] = [txn] if txn is not None else []
        if limit is None:
            sql = f"SELECT * FROM journal {where} ORDER BY seq"
        else:
            sql = (
                f"SELECT * FROM (SELECT * FROM journal {where} ORDER BY seq DESC LIMIT ?) "
                "ORDER BY seq"
            )
            params.append(checked_limit(limit))
        with self._lock:
            return [_journal_event(row) for row in self._live().execute(sql, params)]

    def verify_journal(self, *, full: bool = True) -> JournalVerdict:
        """Check the hash chain against the head; see :func:`journal.verify_chain`.

        With ``full=False`` the walk starts at the last point a verification found intact
        (its checkpoint carries a MAC under the chain key, so it cannot be moved forward by
        whoever lacks the key); a successful walk moves the checkpoint to the head.

        Reads through a connection of its own inside one read transaction: WAL gives it a
        consistent snapshot while sales go on committing on the store's connection, so checking
        a long journal never holds up the counter.
        """
        self._live()
        conn = connect(self.path, busy_timeout_ms=self._busy_timeout_ms)
        try:
            conn.execute("BEGIN")
            verdict = verify_books(conn, chain_key=self._chain_key, start=self._start(conn, full))
        finally:
            conn.close()
        if verdict.ok and self._chain_key is not None and verdict.head_seq:
            self._save_checkpoint(verdict.head_seq, verdict.head_hash or "")
        return verdict

    def _start(self, conn: sqlite3.Connection, full: bool) -> tuple[int, str]:
        """Where the chain walk starts: the genesis, or the last verified checkpoint."""
        if not full and self._chain_key is not None:
            return self._checkpoint(conn)
        return 0, GENESIS_HASH

    def _verify_on(self, conn: sqlite3.Connection, *, full: bool) -> JournalVerdict:
        return chain_verdict(conn, chain_key=self._chain_key, start=self._start(conn, full))

    def _sealed_keyed(self) -> bool:
        try:
            row = self._live().execute("SELECT keyed_seq FROM journal_seal WHERE id = 1").fetchone()
        except sqlite3.OperationalError:
            return False  # a schema before the seal (only tests build one with this code)
        return row is not None and row[0] is not None

    def _checkpoint_mac(self, seq: int, digest: str) -> str:
        assert self._chain_key is not None
        return checkpoint_mac(self._chain_key, seq, digest)

    def _checkpoint(self, conn: sqlite3.Connection) -> tuple[int, str]:
        """The last verified point, if its MAC holds and its row still has that hash."""
        return sealed_checkpoint(conn, self._chain_key)

    def _save_checkpoint(self, seq: int, digest: str) -> None:
        try:
            with self._write() as conn:
                conn.execute(
                    "UPDATE journal_seal SET checked_seq = ?, checked_hash = ?, checked_mac = ? "
                    "WHERE id = 1",
                    (seq, digest, self._checkpoint_mac(seq, digest)),
                )
        except StoreError:
            pass  # a busy store only means the next verification starts further back


def _journal_event(row: sqlite3.Row) -> JournalEvent:
    """One journal row as its event (the readers of the journal share it)."""
    return JournalEvent(
        seq=row["seq"],
        at=from_iso(row["at"]),
        txn=row["txn"],
        event=row["event"],
        data=json.loads(row["data"]),
        prev_hash=row["prev_hash"],
        hash=row["hash"],
    )


def verify_store_file(path: str | Path, *, key: str | bytes | None = None) -> JournalVerdict:
    """Verify any store file read-only (a backup, a copy): chain and table replay.

    Opens nothing for writing: no migration, no seal, no checkpoint. ``key`` is the terminal's
    key (kiosk.toml ``[terminal] key``); a keyed journal needs it.
    """
    chain_key = None if key is None else derive_key(key, JOURNAL_CHAIN_PURPOSE)
    if not Path(path).is_file():
        raise StoreError(f"no store file at {path}")
    try:
        conn = sqlite3.connect(f"{Path(path).resolve().as_uri()}?mode=ro", uri=True)
    except sqlite3.Error as exc:
        raise StoreError(f"cannot open {path} to verify it ({exc})") from exc
    try:
        conn.execute("BEGIN")
        try:
            verdict = verify_books(conn, chain_key=chain_key)
        except sqlite3.DatabaseError as exc:
            raise StoreError(f"{path} is not a usable store ({exc})") from exc
        return verdict
    finally:
        conn.close()
