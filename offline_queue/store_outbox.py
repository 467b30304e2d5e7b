"""The outbox area: advices written with their state change, leased, settled, pruned."""

from __future__ import annotations

import json
import logging
import sqlite3
import uuid
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any, Literal

from offline_queue.carddata import (
    needs_scrub,
    scrub,
)
from offline_queue.errors import (
    DuplicateMessage,
    InvalidRecord,
    StoreError,
    UnknownMessage,
)
from offline_queue.eventlog import emit
from offline_queue.journal import (
    canonical_json,
)
from offline_queue.states import (
    OFFLINE_ACCEPTED,
    OFFLINE_SALE,
    PRINTING,
    SALE_STANDING_STATES,
)
from offline_queue.store_fields import (
    checked_limit,
    from_iso,
    json_object,
    opt_from_iso,
    scrub_json,
    to_iso,
)
from offline_queue.store_journal import JournalArea

log = logging.getLogger(__name__)


OutboxState = Literal["pending", "in_flight", "delivered", "dead"]
OUTBOX_STATES: tuple[OutboxState, ...] = ("pending", "in_flight", "delivered", "dead")

#: An outbox row ``o`` may be sent only when no earlier message of its transaction is
#: undelivered: an advice never overtakes its predecessor (a dead one holds it back too).
_NO_EARLIER_UNDELIVERED = (
    "NOT EXISTS (SELECT 1 FROM outbox AS e WHERE e.txn = o.txn AND e.seq < o.seq "
    "AND e.state IN ('pending', 'in_flight', 'dead'))"
)


@dataclass(frozen=True)
class OutboxMessage:
    """An advice a caller asks :meth:`Store.transition` to enqueue with the state change.

    ``after_delivery`` is what the payload becomes once the host has it: an advice that must
    carry a full card number (an offline sale) passes its masked form, and the number is
    erased from the outbox when the host acknowledges it.
    """

    kind: str
    payload: Mapping[str, Any] = field(repr=False)
    after_delivery: Mapping[str, Any] | None = field(default=None, repr=False)


@dataclass(frozen=True)
class OutboxRecord:
    """One outbox row; ``message_id`` is the idempotency key the host sees on every attempt."""

    message_id: str
    seq: int
    txn: str
    kind: str
    payload: dict[str, Any] = field(repr=False)
    state: str
    attempts: int
    next_attempt_mono: float
    lease_until_mono: float | None
    last_error: str | None
    created_at: datetime
    delivered_at: datetime | None
    response: dict[str, Any] | None = None
    #: What readers are shown: the payload with a card number masked (the host gets it whole).
    shown_payload: dict[str, Any] | None = field(default=None, repr=False)

    def to_dict(self) -> dict[str, Any]:
        return {
            "message_id": self.message_id,
            "seq": self.seq,
            "txn": self.txn,
            "kind": self.kind,
            "payload": self.payload if self.shown_payload is None else self.shown_payload,
            "state": self.state,
            "attempts": self.attempts,
            "next_attempt_mono": self.next_attempt_mono,
            "lease_until_mono": self.lease_until_mono,
            "last_error": self.last_error,
            "created_at": self.created_at.isoformat(),
            "delivered_at": self.delivered_at.isoformat() if self.delivered_at else None,
            "response": self.response,
        }


@dataclass(frozen=True)
class OfflineExposure:
    """Offline-accepted sales of one currency the host has not yet acknowledged.

    ``total_minor`` is what customers paid (fees included), ``amount_minor`` the face value.
    """

    currency: str
    count: int
    total_minor: int
    amount_minor: int
    oldest_created_at: datetime

    def to_dict(self) -> dict[str, Any]:
        return {
            "currency": self.currency,
            "count": self.count,
            "total_minor": self.total_minor,
            "amount_minor": self.amount_minor,
            "oldest_created_at": self.oldest_created_at.isoformat(),
        }


class OutboxArea(JournalArea):
    """The transactional outbox: what the forwarder sends, in order per transaction."""

    def _validate_message(
        self, message: OutboxMessage
    ) -> tuple[str, dict[str, Any], dict[str, Any] | None]:
        if not isinstance(message, OutboxMessage):
            raise InvalidRecord(f"outbox entries must be OutboxMessage, not {message!r}")
        if not isinstance(message.kind, str) or not message.kind:
            raise InvalidRecord(
                f"outbox message kind must be a non-empty name, not {message.kind!r}"
            )
        payload = json_object("payload", message.payload)
        after = (
            None
            if message.after_delivery is None
            else scrub(json_object("after_delivery", message.after_delivery), self._card_key)
        )
        if after is None and needs_scrub(payload):
            after = scrub(payload, self._card_key)
        return message.kind, payload, after

    def _insert_message(
        self,
        conn: sqlite3.Connection,
        txn: str,
        kind: str,
        payload: dict[str, Any],
        now_iso: str,
        after_delivery: dict[str, Any] | None = None,
    ) -> tuple[str, str]:
        seq = conn.execute("SELECT COALESCE(MAX(seq), 0) + 1 FROM outbox").fetchone()[0]
        message_id = uuid.uuid4().hex
        try:
            conn.execute(
                """
                INSERT INTO outbox (
                    message_id, seq, txn, kind, payload, state, attempts,
                    next_attempt_mono, created_at, delivered_payload
                ) VALUES (?, ?, ?, ?, ?, 'pending', 0, ?, ?, ?)
                """,
                (
                    message_id,
                    seq,
                    txn,
                    kind,
                    canonical_json(payload),
                    self.clock.monotonic(),
                    now_iso,
                    None if after_delivery is None else canonical_json(after_delivery),
                ),
            )
        except sqlite3.IntegrityError as exc:
            if "outbox.txn, outbox.kind" in str(exc):
                raise DuplicateMessage(txn, kind) from None
            raise
        return message_id, kind

    # -- outbox ----------------------------------------------------------------------------

    def claim_due(self, *, limit: int, lease_s: float) -> list[OutboxRecord]:
        """Lease up to ``limit`` messages that are due, oldest first, for one send attempt.

        Due means pending with ``next_attempt_mono`` reached, or in flight with an expired
        lease (its sender is gone). A message is never claimed while an earlier message of its
        own transaction is undelivered (pending, in flight or dead), so an advice never
        overtakes its predecessor; other transactions are not held up.
        """
        if lease_s <= 0:
            raise ValueError("lease_s must be positive")
        now = self.clock.monotonic()
        # The lease is not fsynced: it rides on the batch's acknowledgement commit. A power cut
        # that loses it loses nothing: a restart takes every lease back anyway
        # (recover_after_restart) and the host answers a repeat as a duplicate.
        with self._write(durable=False) as conn:
            ids = [
                row[0]
                for row in conn.execute(
                    f"""
                    SELECT message_id, seq FROM outbox AS o
                    WHERE o.state = 'pending' AND o.next_attempt_mono <= :now
                      AND {_NO_EARLIER_UNDELIVERED}
                    UNION ALL
                    SELECT message_id, seq FROM outbox AS o
                    WHERE o.state = 'in_flight' AND o.lease_until_mono <= :now
                      AND {_NO_EARLIER_UNDELIVERED}
                    ORDER BY seq LIMIT :limit
                    """,
                    {"now": now, "limit": checked_limit(limit)},
                )
            ]
            if not ids:
                return []
            marks = ", ".join("?" for _ in ids)
            conn.execute(
                f"UPDATE outbox SET state = 'in_flight', lease_until_mono = ?, "
                f"attempts = attempts + 1 WHERE message_id IN ({marks})",
                (now + lease_s, *ids),
            )
            rows = conn.execute(
                f"SELECT * FROM outbox WHERE message_id IN ({marks}) ORDER BY seq", ids
            )
            return [_message_from_row(row) for row in rows]

    def mark_delivered(
        self, message_ids: Sequence[str], *, response: Mapping[str, Any] | None = None
    ) -> None:
        """The host has these messages (delivered or duplicate); they are never sent again."""
        self.settle_batch(delivered=[(message_id, response) for message_id in message_ids])

    def mark_retry(self, message_id: str, *, error: str, delay_s: float) -> bool:
        """Send again after ``delay_s`` (monotonic); False if delivered or parked meanwhile."""
        return bool(self.settle_batch(retry=[(message_id, error, delay_s)])["retry"])

    def mark_dead(self, message_id: str, *, error: str) -> bool:
        """Park a message the host refused for good; it stays visible and blocks only its txn."""
        return bool(self.settle_batch(dead=[(message_id, error)])["dead"])

    def settle_batch(
        self,
        *,
        delivered: Sequence[tuple[str, Mapping[str, Any] | None]] = (),
        dead: Sequence[tuple[str, str]] = (),
        retry: Sequence[tuple[str, str, float]] = (),
    ) -> dict[str, int]:
        """Record the host's answers to one batch in one commit; how many of each took effect.

        ``delivered``: (message id, host's response) the host has (never sent again);
        ``dead``: (message id, error) refused for good; ``retry``: (message id, error, delay
        in seconds) to send again later. A message already delivered or parked meanwhile is
        left as it is. One durable commit per acknowledged batch, not one per message: the
        forwarder's drain rate is bounded by commits (docs/internals.md).
        """
        for _, _, delay_s in retry:
            if delay_s < 0:
                raise ValueError("delay_s cannot be negative")
        response_json = {
            message_id: (
                None if response is None else canonical_json(json_object("response", response))
            )
            for message_id, response in delivered
        }
        done_delivered: list[sqlite3.Row] = []
        done_dead: list[tuple[sqlite3.Row, str]] = []
        retried = 0
        erased = False
        with self._write() as conn:
            now_iso = to_iso(self.clock.now())
            now_mono = self.clock.monotonic()
            for message_id, _ in delivered:
                row = self._message_row(conn, message_id)
                if row["state"] == "delivered":
                    continue
                done_delivered.append(row)
                erased = erased or row["delivered_payload"] is not None
                conn.execute(
                    "UPDATE outbox SET state = 'delivered', delivered_at = ?, response = ?, "
                    "lease_until_mono = NULL, last_error = NULL, "
                    "payload = COALESCE(delivered_payload, payload), delivered_payload = NULL "
                    "WHERE message_id = ?",
                    (now_iso, scrub_json(response_json[message_id]), message_id),
                )
                self._append_journal(
                    conn,
                    row["txn"],
                    "outbox:delivered",
                    {"message_id": message_id, "kind": row["kind"], "attempts": row["attempts"]},
                )
            for message_id, error in dead:
                row = self._message_row(conn, message_id)
                if row["state"] not in ("pending", "in_flight"):
                    continue
                done_dead.append((row, error))
                conn.execute(
                    "UPDATE outbox SET state = 'dead', lease_until_mono = NULL, last_error = ? "
                    "WHERE message_id = ?",
                    (error, message_id),
                )
                self._append_journal(
                    conn,
                    row["txn"],
                    "outbox:dead",
                    {"message_id": message_id, "kind": row["kind"], "error": error},
                )
            for message_id, error, delay_s in retry:
                row = self._message_row(conn, message_id)
                if row["state"] not in ("pending", "in_flight"):
                    continue
                retried += 1
                conn.execute(
                    "UPDATE outbox SET state = 'pending', next_attempt_mono = ?, "
                    "lease_until_mono = NULL, last_error = ? WHERE message_id = ?",
                    (now_mono + delay_s, error, message_id),
                )
        for row in done_delivered:
            emit(
                log,
                "advice.delivered",
                txn=row["txn"],
                kind=row["kind"],
                message_id=row["message_id"],
                attempts=row["attempts"],
            )
        for row, error in done_dead:
            emit(
                log,
                "advice.dead",
                level=logging.WARNING,
                txn=row["txn"],
                kind=row["kind"],
                message_id=row["message_id"],
                attempts=row["attempts"],
                error=error,
            )
        if erased:
            self.flush_erased()
        return {"delivered": len(done_delivered), "dead": len(done_dead), "retry": retried}

    def requeue_dead(self, message_id: str) -> OutboxRecord:
        """A supervisor's retry of a dead letter: pending, due now, attempts counted afresh."""
        with self._write() as conn:
            row = self._message_row(conn, message_id)
            if row["state"] != "dead":
                raise StoreError(
                    f"message {message_id} is {row['state']}, not dead; only dead letters "
                    "can be requeued"
                )
            conn.execute(
                "UPDATE outbox SET state = 'pending', attempts = 0, next_attempt_mono = ?, "
                "lease_until_mono = NULL WHERE message_id = ?",
                (self.clock.monotonic(), message_id),
            )
            self._append_journal(
                conn,
                row["txn"],
                "outbox:requeued",
                {"message_id": message_id, "kind": row["kind"]},
            )
            requeued = _message_from_row(self._message_row(conn, message_id))
        emit(log, "advice.requeued", txn=row["txn"], kind=row["kind"], message_id=message_id)
        return requeued

    def recover_after_restart(self) -> int:
        """Return leased messages to pending and make every pending message due now.

        Monotonic deadlines do not survive a restart (the clock may start again at zero after a
        reboot), so old leases and backoff delays mean nothing to the new process: the owner of
        a lease is gone, and waiting on a stale deadline could hold an advice for days. Returns
        how many in-flight messages were taken back.
        """
        with self._write() as conn:
            now = self.clock.monotonic()
            taken_back = conn.execute(
                "UPDATE outbox SET state = 'pending', lease_until_mono = NULL "
                "WHERE state = 'in_flight'"
            ).rowcount
            conn.execute("UPDATE outbox SET next_attempt_mono = ? WHERE state = 'pending'", (now,))
            if taken_back:
                self._append_journal(conn, None, "outbox:recovered", {"in_flight": taken_back})
        if taken_back:
            emit(log, "advice.recovered", in_flight=int(taken_back))
        return int(taken_back)

    def make_due_now(self) -> int:
        """Every pending message due at once (the clerk's "send now"); returns how many.

        Only the wait is shortened: leases, attempts and dead letters stay as they are."""
        with self._write() as conn:
            moved = conn.execute(
                "UPDATE outbox SET next_attempt_mono = ? WHERE state = 'pending' "
                "AND next_attempt_mono > ?",
                (self.clock.monotonic(), self.clock.monotonic()),
            ).rowcount
            if moved:
                self._append_journal(conn, None, "outbox:send_now", {"pending": moved})
        return int(moved)

    def prune_delivered(self, *, older_than_s: float, limit: int = 10_000) -> int:
        """Delete up to ``limit`` advices delivered more than ``older_than_s`` ago; how many.

        The host has them and the journal keeps each delivery (``outbox:delivered``), so the
        outbox stays as small as what is still owed plus the retention, however long the
        terminal has sold. A sale whose advice was pruned counts as delivered.
        """
        if older_than_s < 0:
            raise ValueError("older_than_s cannot be negative")
        cutoff = to_iso(self.clock.now() - timedelta(seconds=older_than_s))
        with self._write(durable=False) as conn:
            deleted = conn.execute(
                "DELETE FROM outbox WHERE message_id IN (SELECT message_id FROM outbox "
                "WHERE state = 'delivered' AND delivered_at < ? ORDER BY delivered_at LIMIT ?)",
                (cutoff, checked_limit(limit)),
            ).rowcount
        if deleted:
            emit(log, "advice.pruned", count=int(deleted), older_than_s=older_than_s)
        return int(deleted)

    def _message_row(self, conn: sqlite3.Connection, message_id: str) -> sqlite3.Row:
        row = conn.execute("SELECT * FROM outbox WHERE message_id = ?", (message_id,)).fetchone()
        if row is None:
            raise UnknownMessage(message_id)
        return row

    def get_message(self, message_id: str) -> OutboxRecord:
        with self._lock:
            return _message_from_row(self._message_row(self._live(), message_id))

    def list_outbox(
        self,
        *,
        states: Iterable[str] | None = None,
        txn: str | None = None,
        limit: int = 100,
    ) -> list[OutboxRecord]:
        """Outbox messages in insertion order, optionally of some states or one transaction."""
        clauses: list[str] = []
        params: list[Any] = []
        if states is not None:
            wanted = sorted(set(states))
            unknown = set(wanted) - set(OUTBOX_STATES)
            if unknown:
                raise InvalidRecord(
                    f"unknown outbox state {', '.join(sorted(unknown))}; "
                    f"use {', '.join(OUTBOX_STATES)}"
                )
            clauses.append(f"state IN ({', '.join('?' for _ in wanted)})")
            params.extend(wanted)
        if txn is not None:
            clauses.append("txn = ?")
            params.append(txn)
        where = f"WHERE {' AND '.join(clauses)}" if clauses else ""
        with self._lock:
            rows = self._live().execute(
                f"SELECT * FROM outbox {where} ORDER BY seq LIMIT ?",
                (*params, checked_limit(limit)),
            )
            return [_message_from_row(row) for row in rows]

    def outbox_for(self, txn: str) -> list[OutboxRecord]:
        """Every message of ``txn``, in the order they were written."""
        with self._lock:
            rows = self._live().execute("SELECT * FROM outbox WHERE txn = ? ORDER BY seq", (txn,))
            return [_message_from_row(row) for row in rows]

    def outbox_status(self) -> dict[str, Any]:
        """Counts per state, the wall-clock age of the oldest undelivered message, dead letters.

        ``next_due_in_s`` is how long until the earliest pending message is due (0 if one is
        due now, None if none is pending), on the monotonic clock.
        """
        with self._read() as conn:
            counts = dict.fromkeys(OUTBOX_STATES, 0)
            for row in conn.execute("SELECT state, n FROM outbox_counts"):
                counts[row[0]] = int(row[1])
            oldest = conn.execute(
                "SELECT MIN(created_at) FROM outbox WHERE state IN ('pending', 'in_flight')"
            ).fetchone()[0]
            next_due = conn.execute(
                "SELECT MIN(next_attempt_mono) FROM outbox WHERE state = 'pending'"
            ).fetchone()[0]
            dead = [
                {
                    "message_id": row["message_id"],
                    "txn": row["txn"],
                    "kind": row["kind"],
                    "attempts": row["attempts"],
                    "last_error": row["last_error"],
                    "created_at": row["created_at"],
                }
                for row in conn.execute("SELECT * FROM outbox WHERE state = 'dead' ORDER BY seq")
            ]
        age = None
        if oldest is not None:
            age = max(0.0, (self.clock.now() - from_iso(oldest)).total_seconds())
        next_due_in = None
        if next_due is not None:
            next_due_in = max(0.0, float(next_due) - self.clock.monotonic())
        return {
            "counts": counts,
            "oldest_pending_age_s": age,
            "next_due_in_s": next_due_in,
            "dead_letters": dead,
        }

    def oldest_undelivered_at(self, kinds: Sequence[str]) -> datetime | None:
        """When the oldest advice of ``kinds`` still waiting for the host was written, or None.

        A confirm the host gets later than its advice horizon is refused, so the sale service
        stops starting sales while this gets close (docs/host-protocol.md#advice-horizon).
        Dead letters do not count: they wait for support, not for the forwarder.
        """
        if not kinds:
            return None
        marks = ", ".join("?" for _ in kinds)
        with self._read() as conn:
            oldest = conn.execute(
                f"SELECT MIN(created_at) FROM outbox WHERE state IN ('pending', 'in_flight')"
                f" AND kind IN ({marks})",
                tuple(kinds),
            ).fetchone()[0]
        return None if oldest is None else from_iso(str(oldest))

    def next_due_mono(self) -> float | None:
        """When the next claimable message becomes due (monotonic), None if none can be.

        Messages held behind an earlier undelivered message of their transaction do not count:
        they become claimable only when that one is delivered, which wakes the forwarder anyway.
        """
        with self._lock:
            row = (
                self._live()
                .execute(
                    f"""
                SELECT MIN(t) FROM (
                    SELECT MIN(o.next_attempt_mono) AS t FROM outbox AS o
                    WHERE o.state = 'pending' AND {_NO_EARLIER_UNDELIVERED}
                    UNION ALL
                    SELECT MIN(o.lease_until_mono) AS t FROM outbox AS o
                    WHERE o.state = 'in_flight' AND {_NO_EARLIER_UNDELIVERED}
                )
                """
                )
                .fetchone()
            )
            return None if row[0] is None else float(row[0])

    def unforwarded_offline_exposure(self) -> dict[str, OfflineExposure]:
        """Per currency: offline sales the host has not acknowledged yet (for offline limits).

        Counts sales accepted offline whose money is out (offline_accepted, printing,
        confirmed and the storno states in between) and whose ``offline_sale`` advice is not
        delivered or not written yet. Read from the undelivered advices and the sales not yet
        confirmed (the advice is written with the confirmation), never from the whole history:
        a delivered advice may have been pruned (:meth:`prune_delivered`).
        """
        states = sorted(SALE_STANDING_STATES)
        with self._lock:
            rows = self._live().execute(
                f"""
                SELECT t.currency, COUNT(*) AS n, SUM(t.total_minor) AS total,
                       SUM(t.amount_minor) AS amount, MIN(t.created_at) AS oldest
                FROM (
                    SELECT o.txn AS txn FROM outbox AS o
                    WHERE o.state IN ('pending', 'in_flight', 'dead') AND o.kind = :kind
                    UNION
                    SELECT w.txn FROM transactions AS w
                    WHERE w.state IN (:accepted, :printing) AND w.offline = 1
                      AND NOT EXISTS (
                          SELECT 1 FROM outbox AS a WHERE a.txn = w.txn AND a.kind = :kind)
                ) AS owed
                CROSS JOIN transactions AS t ON t.txn = owed.txn
                WHERE t.offline = 1
                  AND t.state IN ({", ".join(f":s{n}" for n in range(len(states)))})
                GROUP BY t.currency
                """,
                {
                    **{f"s{n}": state for n, state in enumerate(states)},
                    "kind": OFFLINE_SALE,
                    "accepted": OFFLINE_ACCEPTED,
                    "printing": PRINTING,
                },
            )
            return {
                row["currency"]: OfflineExposure(
                    currency=row["currency"],
                    count=int(row["n"]),
                    total_minor=int(row["total"]),
                    amount_minor=int(row["amount"]),
                    oldest_created_at=from_iso(row["oldest"]),
                )
                for row in rows
            }


def _message_from_row(row: sqlite3.Row) -> OutboxRecord:
    return OutboxRecord(
        message_id=row["message_id"],
        seq=int(row["seq"]),
        txn=row["txn"],
        kind=row["kind"],
        payload=json.loads(row["payload"]),
        state=row["state"],
        attempts=int(row["attempts"]),
        next_attempt_mono=float(row["next_attempt_mono"]),
        lease_until_mono=None
        if row["lease_until_mono"] is None
        else float(row["lease_until_mono"]),
        last_error=row["last_error"],
        created_at=from_iso(row["created_at"]),
        delivered_at=opt_from_iso(row["delivered_at"]),
        response=None if row["response"] is None else json.loads(row["response"]),
        shown_payload=None
        if row["delivered_payload"] is None
        else json.loads(row["delivered_payload"]),
    )
