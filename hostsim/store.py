"""The reference host's own SQLite file: terminals, nonces, transactions, stored answers, issuers.

The host keeps its state apart from the terminal's store on purpose: a test can inspect what the
host believes (``kiosk-host txn show``) independently of what the terminal believes, which is
the whole point of store-and-forward reconciliation. One connection guarded by a lock is enough
for a simulator; every state change runs inside :meth:`HostStore.transaction` so a crash never
leaves an answer stored without its effect.
"""

from __future__ import annotations

import sqlite3
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

SCHEMA = """
CREATE TABLE IF NOT EXISTS terminals (
    terminal_id TEXT PRIMARY KEY,
    key TEXT NOT NULL,
    created_at TEXT NOT NULL
);
CREATE TABLE IF NOT EXISTS journal_anchors (
    terminal_id TEXT PRIMARY KEY,
    seq INTEGER NOT NULL,
    hash TEXT NOT NULL,
    received_at TEXT NOT NULL
);
CREATE TABLE IF NOT EXISTS nonces (
    terminal_id TEXT NOT NULL,
    nonce TEXT NOT NULL,
    seen_at INTEGER NOT NULL,
    PRIMARY KEY (terminal_id, nonce)
);
CREATE TABLE IF NOT EXISTS transactions (
    txn TEXT PRIMARY KEY,
    terminal_id TEXT,
    product TEXT,
    state TEXT NOT NULL,
    amount_minor INTEGER,
    fees_minor INTEGER,
    total_minor INTEGER,
    currency TEXT,
    target TEXT,
    fields_json TEXT NOT NULL DEFAULT '{}',
    auth_code TEXT,
    product_data_json TEXT NOT NULL DEFAULT '{}',
    reason_code TEXT,
    offline INTEGER NOT NULL DEFAULT 0,
    provisioned_at TEXT,
    confirm_by TEXT,
    confirmed_at TEXT,
    printed_at TEXT,
    window_start TEXT,
    storno_requested_at TEXT,
    storno_confirm_by TEXT,
    closed_at TEXT,
    updated_at TEXT NOT NULL
);
CREATE INDEX IF NOT EXISTS transactions_state ON transactions (state, confirm_by);
CREATE TABLE IF NOT EXISTS txn_events (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    txn TEXT NOT NULL,
    at TEXT NOT NULL,
    event TEXT NOT NULL,
    detail TEXT NOT NULL DEFAULT ''
);
CREATE TABLE IF NOT EXISTS messages (
    terminal_id TEXT NOT NULL,
    message_id TEXT NOT NULL,
    txn TEXT NOT NULL,
    kind TEXT NOT NULL,
    request_sha256 TEXT NOT NULL,
    response BLOB NOT NULL,
    created_at TEXT NOT NULL,
    PRIMARY KEY (terminal_id, message_id)
);
CREATE UNIQUE INDEX IF NOT EXISTS messages_business_key ON messages (txn, kind);
CREATE TABLE IF NOT EXISTS subscribers (
    msisdn TEXT PRIMARY KEY,
    balance_minor INTEGER NOT NULL,
    debt_minor INTEGER NOT NULL DEFAULT 0,
    currency TEXT NOT NULL,
    valid_until TEXT NOT NULL,
    barred INTEGER NOT NULL DEFAULT 0,
    created_at TEXT NOT NULL
);
CREATE TABLE IF NOT EXISTS cards (
    card_number TEXT PRIMARY KEY,
    card_type TEXT NOT NULL,
    status TEXT NOT NULL,
    kyc_state TEXT NOT NULL,
    balance_minor INTEGER NOT NULL DEFAULT 0,
    currency TEXT NOT NULL,
    expiry TEXT,
    cvc TEXT,
    issued_txn TEXT,
    created_at TEXT NOT NULL
);
CREATE TABLE IF NOT EXISTS benefit_balances (
    account TEXT NOT NULL,
    benefit_type TEXT NOT NULL,
    balance_minor INTEGER NOT NULL,
    PRIMARY KEY (account, benefit_type)
);
CREATE TABLE IF NOT EXISTS imei_registrations (
    imei TEXT PRIMARY KEY,
    txn TEXT NOT NULL,
    model TEXT NOT NULL,
    registered_at TEXT NOT NULL
);
CREATE TABLE IF NOT EXISTS customer_messages (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    at TEXT NOT NULL,
    txn TEXT,
    target TEXT NOT NULL,
    kind TEXT NOT NULL,
    language TEXT NOT NULL,
    text TEXT NOT NULL
);
"""


class HostStoreError(RuntimeError):
    """The host database cannot be opened or used; the message names the file."""


class HostStore:
    """Thread-safe access to the host's SQLite file (one connection, one re-entrant lock)."""

    def __init__(self, path: str | Path) -> None:
        self.path = Path(path)
        try:
            self._conn = sqlite3.connect(
                str(self.path), check_same_thread=False, isolation_level=None, timeout=10.0
            )
        except sqlite3.Error as exc:
            raise HostStoreError(f"cannot open host database {self.path}: {exc}") from exc
        self._conn.row_factory = sqlite3.Row
        self.lock = threading.RLock()
        self._depth = 0
        with self.lock:
            self._conn.execute("PRAGMA journal_mode=WAL")
            self._conn.execute("PRAGMA foreign_keys=ON")
            self._conn.executescript(SCHEMA)

    def close(self) -> None:
        with self.lock:
            self._conn.close()

    @contextmanager
    def transaction(self) -> Iterator[HostStore]:
        """One atomic unit; nested use joins the outer transaction."""
        with self.lock:
            outer = self._depth == 0
            if outer:
                self._conn.execute("BEGIN IMMEDIATE")
            self._depth += 1
            try:
                yield self
            except BaseException:
                self._depth -= 1
                if outer:
                    self._conn.execute("ROLLBACK")
                raise
            self._depth -= 1
            if outer:
                self._conn.execute("COMMIT")

    def execute(self, sql: str, params: tuple[Any, ...] | dict[str, Any] = ()) -> int:
        """Run a statement; returns the number of changed rows."""
        with self.lock:
            return self._conn.execute(sql, params).rowcount

    def insert(self, sql: str, params: tuple[Any, ...] | dict[str, Any] = ()) -> int:
        """Run an INSERT; returns the new row id."""
        with self.lock:
            cursor = self._conn.execute(sql, params)
            return int(cursor.lastrowid or 0)

    def one(self, sql: str, params: tuple[Any, ...] | dict[str, Any] = ()) -> sqlite3.Row | None:
        with self.lock:
            row: sqlite3.Row | None = self._conn.execute(sql, params).fetchone()
            return row

    def all(self, sql: str, params: tuple[Any, ...] | dict[str, Any] = ()) -> list[sqlite3.Row]:
        with self.lock:
            return list(self._conn.execute(sql, params).fetchall())

    # -- terminals ---------------------------------------------------------------------------

    def add_terminal(self, terminal_id: str, key: str, created_at: str) -> None:
        """Register (or re-key) a terminal."""
        if not terminal_id or not key:
            raise HostStoreError("a terminal needs a non-empty id and key")
        with self.transaction():
            self.execute(
                "INSERT INTO terminals (terminal_id, key, created_at) VALUES (?, ?, ?) "
                "ON CONFLICT (terminal_id) DO UPDATE SET key = excluded.key",
                (terminal_id, key, created_at),
            )

    def terminal_key(self, terminal_id: str) -> str | None:
        row = self.one("SELECT key FROM terminals WHERE terminal_id = ?", (terminal_id,))
        return None if row is None else str(row["key"])

    # -- journal anchors ---------------------------------------------------------------------

    def anchor_journal(self, terminal_id: str, seq: int, digest: str, at: str) -> bool:
        """Keep the newest journal head a terminal sent; False when it went backwards.

        A head never moves back: a lower seq than the one held means the terminal's journal
        was cut or replaced, and the host keeps the higher one as the evidence.
        """
        with self.transaction():
            held = self.one(
                "SELECT seq, hash FROM journal_anchors WHERE terminal_id = ?", (terminal_id,)
            )
            if held is not None and int(held["seq"]) > seq:
                return False
            self.execute(
                "INSERT INTO journal_anchors (terminal_id, seq, hash, received_at) "
                "VALUES (?, ?, ?, ?) ON CONFLICT (terminal_id) DO UPDATE SET "
                "seq = excluded.seq, hash = excluded.hash, received_at = excluded.received_at",
                (terminal_id, seq, digest, at),
            )
            return True

    def journal_anchor(self, terminal_id: str) -> tuple[int, str, str] | None:
        """The last journal head held for ``terminal_id``: (seq, hash, received_at)."""
        row = self.one(
            "SELECT seq, hash, received_at FROM journal_anchors WHERE terminal_id = ?",
            (terminal_id,),
        )
        return None if row is None else (int(row["seq"]), str(row["hash"]), str(row["received_at"]))

    # -- nonces ------------------------------------------------------------------------------

    def remember_nonce(self, terminal_id: str, nonce: str, now_s: int) -> bool:
        """Record a nonce; False when this terminal already used it (a replay)."""
        with self.lock:
            try:
                self._conn.execute(
                    "INSERT INTO nonces (terminal_id, nonce, seen_at) VALUES (?, ?, ?)",
                    (terminal_id, nonce, now_s),
                )
            except sqlite3.IntegrityError:
                return False
            return True

    def forget_nonces_before(self, cutoff_s: int) -> int:
        return self.execute("DELETE FROM nonces WHERE seen_at < ?", (cutoff_s,))

    # -- stored answers ----------------------------------------------------------------------

    def stored_message(self, terminal_id: str, message_id: str) -> sqlite3.Row | None:
        return self.one(
            "SELECT * FROM messages WHERE terminal_id = ? AND message_id = ?",
            (terminal_id, message_id),
        )

    def stored_business_key(self, txn: str, kind: str) -> sqlite3.Row | None:
        return self.one("SELECT * FROM messages WHERE txn = ? AND kind = ?", (txn, kind))

    def store_message(
        self,
        terminal_id: str,
        message_id: str,
        txn: str,
        kind: str,
        request_sha256: str,
        response: bytes,
        created_at: str,
    ) -> None:
        self.execute(
            "INSERT INTO messages (terminal_id, message_id, txn, kind, request_sha256, response,"
            " created_at) VALUES (?, ?, ?, ?, ?, ?, ?)",
            (terminal_id, message_id, txn, kind, request_sha256, response, created_at),
        )

    # -- transactions ------------------------------------------------------------------------

    def txn(self, txn: str) -> sqlite3.Row | None:
        return self.one("SELECT * FROM transactions WHERE txn = ?", (txn,))

    def update_txn(self, txn: str, now: str, **fields: Any) -> None:
        names = ", ".join(f"{name} = :{name}" for name in fields)
        params = dict(fields, txn=txn, updated_at=now)
        self.execute(
            f"UPDATE transactions SET {names}, updated_at = :updated_at WHERE txn = :txn", params
        )

    def add_event(self, txn: str, at: str, event: str, detail: str = "") -> None:
        self.execute(
            "INSERT INTO txn_events (txn, at, event, detail) VALUES (?, ?, ?, ?)",
            (txn, at, event, detail),
        )

    def events(self, txn: str) -> list[sqlite3.Row]:
        return self.all("SELECT * FROM txn_events WHERE txn = ? ORDER BY id", (txn,))


__all__ = ["SCHEMA", "HostStore", "HostStoreError"]
