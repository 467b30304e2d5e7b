"""The transactions area: sales and stornos as rows moved through the state table."""

from __future__ import annotations

import json
import logging
import re
import sqlite3
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from offline_queue.carddata import (
    card_digest,
    scrub,
)
from offline_queue.errors import (
    IllegalTransition,
    InvalidRecord,
    StoreError,
    UnknownTransaction,
)
from offline_queue.eventlog import emit
from offline_queue.idempotency import (
    IdempotencyClaim,
    IdempotencyEntry,
    complete_key,
    find_key,
    insert_key,
)
from offline_queue.journal import (
    canonical_json,
)
from offline_queue.period_totals import add_move
from offline_queue.schema import (
    INSERT_TARGET_KEYS_SQL,
    only_digits,
)
from offline_queue.states import (
    IN_BETWEEN_STATES,
    OFFLINE_ACCEPTED,
    RECORDED,
    allowed_targets,
)
from offline_queue.store_fields import (
    Field,
    FieldCodec,
    checked_limit,
    flag,
    from_iso,
    json_object,
    mapping,
    moment_or_none,
    opt_from_iso,
    require_money,
    text_or_none,
    to_iso,
)
from offline_queue.store_journal import RECORDED_EVENT, state_event
from offline_queue.store_outbox import (
    OutboxArea,
    OutboxMessage,
)
from offline_queue.store_periods import PeriodArea

log = logging.getLogger(__name__)

#: The columns ``transition(updates=...)`` may change besides the state.
TRANSITION_FIELDS = FieldCodec(
    {
        "auth_code": Field(text_or_none),
        "reason": Field(text_or_none),
        "printed_at": Field(moment_or_none),
        "offline": Field(flag),
        "details": Field(mapping),
    },
    refusal="cannot update {unknown}; updatable fields are {allowed}",
)
UPDATABLE_FIELDS = TRANSITION_FIELDS.names


REPRINT_EVENT = "reprint"

_TXN = re.compile(r"\A[0-9]{14}\Z")
_CURRENCY = re.compile(r"\A[A-Z]{3}\Z")
_MAX_SEQUENCE = 999_999_999


#: The log's name for a move into each state (``transition_event``); stable, grep-able.
_TRANSITION_EVENTS = {
    "authorized": "sale.authorized",
    "offline_accepted": "sale.offline_accepted",
    "declined": "sale.declined",
    "failed": "sale.failed",
    "printing": "sale.printing",
    "confirmed": "sale.confirmed",
    "print_failed": "sale.print_failed",
    "voided": "sale.voided",
    "storno_requested": "storno.requested",
    "storno_printing": "storno.printing",
    "stornoed": "storno.done",
}


def transition_event(from_state: str, to_state: str) -> str:
    """The log event of a move: ``sale.confirmed``, ``storno.done``; a sale that falls back to
    ``confirmed`` from a storno state is ``storno.not_done`` (refused, abandoned, not printed).
    """
    if to_state == "confirmed" and from_state.startswith("storno_"):
        return "storno.not_done"
    return _TRANSITION_EVENTS.get(to_state, f"txn.{to_state}")


@dataclass(frozen=True)
class TxnRecord:
    """One transaction as stored; ``target``/``details`` are copies, safe to edit."""

    txn: str
    terminal_id: str
    product: str
    state: str
    currency: str
    amount_minor: int
    fees: tuple[tuple[str, int], ...]
    total_minor: int
    cash_minor: int
    change_minor: int
    target: dict[str, Any]
    details: dict[str, Any]
    offline: bool
    clerk: str | None
    auth_code: str | None
    reason: str | None
    created_at: datetime
    updated_at: datetime
    printed_at: datetime | None
    copies: int

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready form (times as ISO-8601, fees as a list of objects)."""
        return {
            "txn": self.txn,
            "terminal_id": self.terminal_id,
            "product": self.product,
            "state": self.state,
            "currency": self.currency,
            "amount_minor": self.amount_minor,
            "fees": [{"name": name, "amount_minor": amount} for name, amount in self.fees],
            "total_minor": self.total_minor,
            "cash_minor": self.cash_minor,
            "change_minor": self.change_minor,
            "target": self.target,
            "details": self.details,
            "offline": self.offline,
            "clerk": self.clerk,
            "auth_code": self.auth_code,
            "reason": self.reason,
            "created_at": self.created_at.isoformat(),
            "updated_at": self.updated_at.isoformat(),
            "printed_at": self.printed_at.isoformat() if self.printed_at else None,
            "copies": self.copies,
        }


class TransactionArea(OutboxArea, PeriodArea):
    """Sales: recorded under a fresh number, moved state by state, looked up."""

    # -- transactions ----------------------------------------------------------------------

    def record(
        self,
        *,
        product: str,
        currency: str,
        amount_minor: int,
        fees: Sequence[tuple[str, int]],
        total_minor: int,
        cash_minor: int,
        change_minor: int,
        target: Mapping[str, Any],
        details: Mapping[str, Any],
        clerk: str | None = None,
        idempotency: IdempotencyClaim | None = None,
    ) -> TxnRecord:
        """Keep a new sale in state ``recorded`` under a freshly allocated number.

        With ``idempotency``, the API's key is stored in the same transaction, pointing at the
        new number (:class:`IdempotencyKeyTaken`, and nothing recorded, if the key exists).

        The number is taken from the ``sequence`` table in the same transaction that inserts
        the row, so a crash either keeps both or neither and a number is never handed out
        twice. ``cash_minor`` may be 0 (not yet collected); otherwise it must equal
        ``total_minor + change_minor``.
        """
        if not isinstance(product, str) or not product:
            raise InvalidRecord("product must be a non-empty product code")
        if not isinstance(currency, str) or not _CURRENCY.match(currency):
            raise InvalidRecord(
                f"currency must be an ISO 4217 code such as 'EUR', not {currency!r}"
            )
        require_money("amount_minor", amount_minor, positive=True)
        fee_pairs: list[tuple[str, int]] = []
        for fee in fees:
            if not (isinstance(fee, tuple | list) and len(fee) == 2 and isinstance(fee[0], str)):
                raise InvalidRecord(f"each fee must be a (name, amount_minor) pair, not {fee!r}")
            fee_pairs.append((fee[0], require_money(f"fee {fee[0]!r}", fee[1])))
        require_money("total_minor", total_minor)
        require_money("cash_minor", cash_minor)
        require_money("change_minor", change_minor)
        expected_total = amount_minor + sum(amount for _, amount in fee_pairs)
        if total_minor != expected_total:
            raise InvalidRecord(
                f"total_minor {total_minor} must equal amount_minor plus fees ({expected_total})"
            )
        if cash_minor and cash_minor != total_minor + change_minor:
            raise InvalidRecord(
                f"cash_minor {cash_minor} must equal total_minor {total_minor} plus "
                f"change_minor {change_minor}"
            )
        if not cash_minor and change_minor:
            raise InvalidRecord("change_minor must be 0 while no cash was taken")
        if clerk is not None and not isinstance(clerk, str):
            raise InvalidRecord(f"clerk must be a name or None, not {clerk!r}")
        target_obj = scrub(json_object("target", target), self._card_key)
        details_obj = scrub(json_object("details", details), self._card_key)
        fees_json = canonical_json([{"name": n, "amount_minor": a} for n, a in fee_pairs])
        target_json = canonical_json(target_obj)

        with self._write() as conn:
            number = self._next_number(conn)
            txn = f"{self.terminal_id}{number:09d}"
            now = to_iso(self.clock.now())
            conn.execute(
                """
                INSERT INTO transactions (
                    txn, terminal_id, product, state, currency, amount_minor, fees,
                    total_minor, cash_minor, change_minor, target, details, offline, clerk,
                    created_at, updated_at, copies
                ) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, 0, ?, ?, ?, 0)
                """,
                (
                    txn,
                    self.terminal_id,
                    product,
                    RECORDED,
                    currency,
                    amount_minor,
                    fees_json,
                    total_minor,
                    cash_minor,
                    change_minor,
                    target_json,
                    canonical_json(details_obj),
                    clerk,
                    now,
                    now,
                ),
            )
            conn.execute(INSERT_TARGET_KEYS_SQL, {"txn": txn, "target": target_json})
            if idempotency is not None:
                insert_key(conn, idempotency, txn=txn, now=self.clock.now())
            self._append_journal(
                conn,
                txn,
                RECORDED_EVENT,
                {
                    "product": product,
                    "currency": currency,
                    "amount_minor": amount_minor,
                    "fees": json.loads(fees_json),
                    "total_minor": total_minor,
                    "cash_minor": cash_minor,
                    "change_minor": change_minor,
                    "target": target_obj,
                    "details": details_obj,
                    "clerk": clerk,
                },
                at=now,
            )
            kept = self._get(conn, txn)
        emit(
            log,
            "sale.recorded",
            txn=kept.txn,
            product=product,
            currency=currency,
            amount_minor=amount_minor,
            total_minor=total_minor,
            clerk=clerk,
        )
        return kept

    # -- idempotency keys of the local API (offline_queue.idempotency) -------------------------

    def claim_idempotency_key(self, claim: IdempotencyClaim, *, txn: str | None = None) -> None:
        """Store a key before a request that has no record of its own to share a transaction."""
        with self._write() as conn:
            insert_key(conn, claim, txn=txn, now=self.clock.now())

    def complete_idempotency_key(self, key: str, *, status: int, response: dict[str, Any]) -> None:
        """Keep the first answer given for ``key``."""
        with self._write() as conn:
            complete_key(conn, key, status=status, response=response, now=self.clock.now())

    def release_idempotency_key(self, key: str) -> None:
        """Forget a key whose request failed before it changed anything, so a retry runs."""
        with self._write() as conn:
            conn.execute("DELETE FROM idempotency_keys WHERE key = ? AND response IS NULL", (key,))

    def idempotency_entry(self, key: str) -> IdempotencyEntry | None:
        with self._read() as conn:
            return find_key(conn, key)

    def _next_number(self, conn: sqlite3.Connection) -> int:
        row = conn.execute(
            "SELECT last_value FROM sequence WHERE terminal_id = ?", (self.terminal_id,)
        ).fetchone()
        last = int(row[0]) if row else 0
        # A restored or hand-edited sequence must still never hand out a number in use.
        highest = conn.execute(
            "SELECT MAX(txn) FROM transactions WHERE txn BETWEEN ? AND ?",
            (f"{self.terminal_id}000000000", f"{self.terminal_id}999999999"),
        ).fetchone()[0]
        if highest is not None:
            last = max(last, int(highest[5:]))
        number = last + 1
        if number > _MAX_SEQUENCE:
            raise StoreError(
                f"terminal {self.terminal_id} has used all 999,999,999 transaction numbers; "
                "ask the provider for a new terminal id"
            )
        conn.execute(
            "INSERT INTO sequence (terminal_id, last_value) VALUES (?, ?) "
            "ON CONFLICT (terminal_id) DO UPDATE SET last_value = excluded.last_value",
            (self.terminal_id, number),
        )
        return number

    def transition(
        self,
        txn: str,
        to_state: str,
        *,
        data: Mapping[str, Any] | None = None,
        updates: Mapping[str, Any] | None = None,
        outbox: Sequence[OutboxMessage] = (),
        durable: bool = True,
    ) -> TxnRecord:
        """Move ``txn`` to ``to_state`` with its journal event and advices, all or nothing.

        ``durable=False``: the commit rides on the next durable one (see :meth:`_write`).

        ``updates`` may set ``auth_code``, ``reason``, ``printed_at`` (aware datetime),
        ``offline`` (bool) and ``details`` (merged into the existing details). Moving to
        ``offline_accepted`` sets ``offline`` by itself. Raises :class:`IllegalTransition`
        (and changes nothing) when the state table does not allow the move.
        """
        allowed_targets(to_state)  # unknown target state -> ValueError before any write
        data_obj = scrub(json_object("data", data), self._card_key)
        columns, journal_updates = TRANSITION_FIELDS.encode(updates or {})
        if "details" in columns:
            columns["details"] = journal_updates["details"] = scrub(
                columns["details"], self._card_key
            )
        if to_state == OFFLINE_ACCEPTED:
            columns["offline"] = 1
            journal_updates.setdefault("offline", True)
        messages = [self._validate_message(message) for message in outbox]

        with self._write(durable=durable) as conn:
            row = conn.execute(
                "SELECT state, details FROM transactions WHERE txn = ?", (txn,)
            ).fetchone()
            if row is None:
                raise UnknownTransaction(txn)
            from_state = row["state"]
            allowed = allowed_targets(from_state)
            if to_state not in allowed:
                raise IllegalTransition(txn, from_state, to_state, allowed)
            if "details" in columns:
                merged = json.loads(row["details"])
                merged.update(columns["details"])
                columns["details"] = canonical_json(merged)
            now_iso = to_iso(self.clock.now())
            assignments = {**columns, "state": to_state, "updated_at": now_iso}
            set_sql = ", ".join(f"{name} = ?" for name in assignments)
            conn.execute(
                f"UPDATE transactions SET {set_sql} WHERE txn = ?",
                (*assignments.values(), txn),
            )
            written = [
                self._insert_message(conn, txn, kind, payload, now_iso, after)
                for kind, payload, after in messages
            ]
            self._append_journal(
                conn,
                txn,
                state_event(to_state),
                {
                    "from": from_state,
                    "to": to_state,
                    "data": data_obj,
                    "updates": journal_updates,
                    "outbox": [{"message_id": mid, "kind": kind} for mid, kind in written],
                },
                at=now_iso,
            )
            moved = self._get(conn, txn)
            # the open report period's running totals move in the same commit
            add_move(
                conn,
                from_state,
                to_state,
                product=moved.product,
                currency=moved.currency,
                total_minor=moved.total_minor,
                clerk=moved.clerk,
                details=moved.details,
            )
        fields: dict[str, Any] = {
            "txn": txn,
            "from": from_state,
            "to": to_state,
            "product": moved.product,
            "currency": moved.currency,
            "total_minor": moved.total_minor,
            "offline": moved.offline,
            "reason": columns.get("reason"),
            "advices": [kind for _, kind in written] or None,
        }
        emit(log, transition_event(from_state, to_state), **fields)
        return moved

    def increment_copies(self, txn: str) -> int:
        """Count one more printed copy (a reprint) and journal it; returns the new count."""
        with self._write() as conn:
            self._require_txn(conn, txn)
            now_iso = to_iso(self.clock.now())
            conn.execute(
                "UPDATE transactions SET copies = copies + 1, updated_at = ? WHERE txn = ?",
                (now_iso, txn),
            )
            copies = int(
                conn.execute("SELECT copies FROM transactions WHERE txn = ?", (txn,)).fetchone()[0]
            )
            self._append_journal(conn, txn, REPRINT_EVENT, {"copies": copies}, at=now_iso)
        emit(log, "sale.reprinted", txn=txn, copies=copies)
        return copies

    def get(self, txn: str) -> TxnRecord:
        with self._lock:
            return self._get(self._live(), txn)

    def _get(self, conn: sqlite3.Connection, txn: str) -> TxnRecord:
        row = conn.execute("SELECT * FROM transactions WHERE txn = ?", (txn,)).fetchone()
        if row is None:
            raise UnknownTransaction(txn)
        return _txn_from_row(row)

    def list_transactions(
        self,
        *,
        since: datetime | None = None,
        until: datetime | None = None,
        states: Iterable[str] | None = None,
        product: str | None = None,
        limit: int = 100,
    ) -> list[TxnRecord]:
        """Transactions newest first; ``since`` inclusive, ``until`` exclusive (created_at)."""
        clauses: list[str] = []
        params: list[Any] = []
        if since is not None:
            clauses.append("created_at >= ?")
            params.append(to_iso(since))
        if until is not None:
            clauses.append("created_at < ?")
            params.append(to_iso(until))
        if states is not None:
            wanted = sorted(set(states))
            for state in wanted:
                allowed_targets(state)
            clauses.append(f"state IN ({', '.join('?' for _ in wanted)})")
            params.extend(wanted)
        if product is not None:
            clauses.append("product = ?")
            params.append(product)
        where = f"WHERE {' AND '.join(clauses)}" if clauses else ""
        with self._lock:
            rows = self._live().execute(
                f"SELECT * FROM transactions {where} ORDER BY created_at DESC, txn DESC LIMIT ?",
                (*params, checked_limit(limit)),
            )
            return [_txn_from_row(row) for row in rows]

    def find_transactions(
        self,
        *,
        target_value: str | None = None,
        last4: str | None = None,
        product: str | None = None,
        since: datetime | None = None,
        until: datetime | None = None,
        limit: int = 50,
    ) -> list[TxnRecord]:
        """Sales whose target (phone, card, IMEI, account) matches, newest first.

        ``target_value`` matches on digits, ignoring spaces, signs and leading zeros, so
        ``064 123 4567`` finds ``+381 64 123 4567``; ``last4`` matches the last four digits.
        ``since`` (inclusive) and ``until`` (exclusive) bound ``created_at``, as in
        :meth:`list_transactions`, so a counter lookup can ask for "this phone, this morning".
        """
        clauses: list[str] = []
        params: list[Any] = []
        if target_value is not None:
            wanted = only_digits(target_value).lstrip("0")
            if len(wanted) < 4:
                raise InvalidRecord(
                    f"{target_value!r} has too few digits to search; give at least 4"
                )
            digests = (
                sorted(
                    {card_digest(self._card_key, d) for d in (wanted, only_digits(target_value))}
                )
                if self._card_key is not None
                else [""]
            )
            clauses.append(
                "((k.last4 = ? AND k.digest IS NULL AND substr(k.digits, -?) = ?) "
                f"OR k.digest IN ({', '.join('?' for _ in digests)}))"
            )
            params.extend([wanted[-4:], len(wanted), wanted, *digests])
        if last4 is not None:
            if not re.fullmatch(r"[0-9]{4}", last4):
                raise InvalidRecord(f"last4 must be 4 digits, not {last4!r}")
            clauses.append("k.last4 = ?")
            params.append(last4)
        if not clauses:
            raise InvalidRecord("give target_value or last4 to search for")
        if product is not None:
            clauses.append("t.product = ?")
            params.append(product)
        if since is not None:
            clauses.append("t.created_at >= ?")
            params.append(to_iso(since))
        if until is not None:
            clauses.append("t.created_at < ?")
            params.append(to_iso(until))
        sql = (
            "SELECT * FROM transactions AS t WHERE t.txn IN ("
            "SELECT k.txn FROM target_keys AS k JOIN transactions AS t ON t.txn = k.txn "
            f"WHERE {' AND '.join(clauses)}) ORDER BY t.created_at DESC, t.txn DESC LIMIT ?"
        )
        with self._lock:
            rows = self._live().execute(sql, (*params, checked_limit(limit)))
            return [_txn_from_row(row) for row in rows]

    def in_between_transactions(self) -> list[TxnRecord]:
        """Transactions a crash may have left half-way (not final, not resting), oldest first."""
        states = sorted(IN_BETWEEN_STATES)
        with self._lock:
            rows = self._live().execute(
                f"SELECT * FROM transactions WHERE state IN ({', '.join('?' for _ in states)}) "
                "ORDER BY txn",
                states,
            )
            return [_txn_from_row(row) for row in rows]

    def last_confirmed(self, *, product: str | None = None) -> TxnRecord | None:
        """The most recently recorded confirmed sale (for "reprint last slip")."""
        sql = "SELECT * FROM transactions WHERE state = 'confirmed'"
        params: list[Any] = []
        if product is not None:
            sql += " AND product = ?"
            params.append(product)
        with self._lock:
            row = (
                self._live()
                .execute(sql + " ORDER BY created_at DESC, txn DESC LIMIT 1", params)
                .fetchone()
            )
            return None if row is None else _txn_from_row(row)


def _txn_from_row(row: sqlite3.Row) -> TxnRecord:
    return TxnRecord(
        txn=row["txn"],
        terminal_id=row["terminal_id"],
        product=row["product"],
        state=row["state"],
        currency=row["currency"],
        amount_minor=int(row["amount_minor"]),
        fees=tuple((fee["name"], int(fee["amount_minor"])) for fee in json.loads(row["fees"])),
        total_minor=int(row["total_minor"]),
        cash_minor=int(row["cash_minor"]),
        change_minor=int(row["change_minor"]),
        target=json.loads(row["target"]),
        details=json.loads(row["details"]),
        offline=bool(row["offline"]),
        clerk=row["clerk"],
        auth_code=row["auth_code"],
        reason=row["reason"],
        created_at=from_iso(row["created_at"]),
        updated_at=from_iso(row["updated_at"]),
        printed_at=opt_from_iso(row["printed_at"]),
        copies=int(row["copies"]),
    )


def is_transaction_number(value: str) -> bool:
    """Whether ``value`` looks like a transaction number (14 digits)."""
    return bool(_TXN.match(value))
