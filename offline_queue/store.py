"""The crash-safe store: transactions, their journal and their outbox in one SQLite file.

Every change is one ``BEGIN IMMEDIATE`` transaction that updates the transaction row, appends
its journal event and inserts the advices it causes (transactional outbox), so after a crash
the file holds either all of a step or none of it. One connection serves all threads behind a
lock: the sale service and the forwarder thread share one :class:`Store`, and a thread-per-
request web server cannot leak connections.

Conventions:

* money is integer minor units; ``fees`` is a tuple of ``(name, amount_minor)`` pairs;
* times are aware UTC datetimes, stored as ISO-8601 text with microseconds;
* outbox timing (due, lease) is ``clock.monotonic()``, which does not survive a reboot: call
  :meth:`Store.recover_after_restart` at every start so nothing waits on a stale deadline.
"""

from __future__ import annotations

import json
import logging
import re
import sqlite3
import threading
import uuid
from collections.abc import Iterable, Iterator, Mapping, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any, Literal

from offline_queue.backup import backup_before_migration
from offline_queue.carddata import (
    CARD_DIGEST_PURPOSE,
    JOURNAL_CHAIN_PURPOSE,
    card_digest,
    derive_key,
    needs_scrub,
    scrub,
)
from offline_queue.clock import Clock, SystemClock
from offline_queue.errors import (
    DuplicateClerk,
    DuplicateMessage,
    IllegalTransition,
    InvalidRecord,
    PeriodChanged,
    StoreBusy,
    StoreClosed,
    StoreError,
    UnknownClerkNumber,
    UnknownMessage,
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
    GENESIS_HASH,
    KEYED_EVENT,
    REDACTED_EVENT,
    JournalEvent,
    JournalVerdict,
    canonical_json,
    content_digest,
    event_hash,
)
from offline_queue.replay import pin_digest
from offline_queue.schema import (
    BUSY_TIMEOUT_MS,
    INSERT_TARGET_KEYS_SQL,
    JOURNAL_NO_UPDATE_TRIGGER,
    connect,
    migrate,
    only_digits,
    synchronous_level,
)
from offline_queue.schema import schema_version as read_schema_version
from offline_queue.states import (
    CONFIRMED,
    FAILED,
    IN_BETWEEN_STATES,
    OFFLINE_ACCEPTED,
    OFFLINE_SALE,
    PRINTING,
    RECORDED,
    SALE_STANDING_STATES,
    STORNOED,
    VOIDED,
    allowed_targets,
)
from offline_queue.verify import chain_verdict, checkpoint_mac, sealed_checkpoint, verify_books

log = logging.getLogger(__name__)

OutboxState = Literal["pending", "in_flight", "delivered", "dead"]
OUTBOX_STATES: tuple[OutboxState, ...] = ("pending", "in_flight", "delivered", "dead")

#: The columns ``transition(updates=...)`` may change besides the state.
UPDATABLE_FIELDS = frozenset({"auth_code", "reason", "printed_at", "offline", "details"})

#: Journal event names the store writes itself; callers of ``journal_event`` may not use them.
RESERVED_EVENT_PREFIXES = ("state:", "outbox:")
#: Keys of a ``journal_event``'s data that are codes or states, safe to log (never a target).
_SAFE_EVENT_KEYS = ("clerk", "from", "to", "reason", "kind")
RECORDED_EVENT = "recorded"
REPRINT_EVENT = "reprint"
#: Journal events of clerks all start with this; ``add_clerk`` writes ``clerk_added``.
CLERK_EVENT_PREFIX = "clerk_"
CLERK_ADDED_EVENT = "clerk_added"
#: The journal event written with a Z report's ``periods`` row, in the same transaction.
Z_REPORT_EVENT = "z_report"
#: A Z report's number and figures fixed, before its slip prints (the journal can reprint it).
Z_STARTED_EVENT = "z_report_started"

CLERK_ROLES = ("clerk", "supervisor")
#: The clerk columns ``update_clerk(changes=...)`` may change.
CLERK_UPDATABLE = frozenset({"pin_hash", "active", "failures", "locked_until"})
_CLERK_NUMBER = re.compile(r"\A[0-9]{1,6}\Z")

_TERMINAL_ID = re.compile(r"\A[0-9]{5}\Z")
_TXN = re.compile(r"\A[0-9]{14}\Z")
_CURRENCY = re.compile(r"\A[A-Z]{3}\Z")
_MAX_SEQUENCE = 999_999_999

#: An outbox row ``o`` may be sent only when no earlier message of its transaction is
#: undelivered: an advice never overtakes its predecessor (a dead one holds it back too).
_NO_EARLIER_UNDELIVERED = (
    "NOT EXISTS (SELECT 1 FROM outbox AS e WHERE e.txn = o.txn AND e.seq < o.seq "
    "AND e.state IN ('pending', 'in_flight', 'dead'))"
)


def state_event(state: str) -> str:
    """The journal event name of a move into ``state``."""
    return f"state:{state}"


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


@dataclass(frozen=True)
class ClerkRecord:
    """One clerk as stored; ``pin_hash`` is the encoded slow hash, never the PIN."""

    number: str
    name: str
    role: str
    pin_hash: str = field(repr=False)
    active: bool = True
    failures: int = 0
    locked_until: datetime | None = None
    created_at: datetime | None = None
    updated_at: datetime | None = None


@dataclass(frozen=True)
class SalesLine:
    """Sales of one product in one currency whose slip printed in a period."""

    product: str
    currency: str
    count: int
    total_minor: int


@dataclass(frozen=True)
class CurrencyTotal:
    """A count and an amount in one currency (stornos of a period)."""

    currency: str
    count: int
    total_minor: int


@dataclass(frozen=True)
class ClerkTotal:
    """One clerk's part of a period in one currency (sales, stornos, cash in the drawer).

    ``clerk`` is the sale's clerk (``api`` for the till) for sales and the clerk who did the
    storno for stornos; ``cash_minor`` is what this clerk put in the drawer: cash sales less
    cash paid back (benefit payments move no cash).
    """

    clerk: str
    currency: str
    sales_count: int
    sales_minor: int
    stornos_count: int
    stornos_minor: int
    cash_minor: int


@dataclass(frozen=True)
class PeriodFigures:
    """What happened since the last Z report, read from the journal in one snapshot.

    The period is the journal events ``(after_seq, through_seq]``: the journal is the one
    total order of everything the terminal did, so a sale belongs to exactly one period even
    when two events share a timestamp. ``z_number`` is the number the Z closing this period
    gets if its slip prints.
    """

    z_number: int
    after_seq: int
    through_seq: int
    period_from: datetime
    period_to: datetime
    sales: tuple[SalesLine, ...]
    stornos: tuple[CurrencyTotal, ...]
    failed_count: int
    voided_count: int
    #: stornos of benefit payments: credited back to the benefit, no cash paid back
    benefit_stornos: tuple[CurrencyTotal, ...] = ()
    #: per clerk and currency (X, Z and ``kiosk cash`` break the figures down by clerk)
    by_clerk: tuple[ClerkTotal, ...] = ()

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> PeriodFigures:
        """The figures as :meth:`to_dict` wrote them (a pending Z, the journal)."""
        return cls(
            z_number=int(data["z_number"]),
            after_seq=int(data["after_seq"]),
            through_seq=int(data["through_seq"]),
            period_from=from_iso(str(data["period_from"])),
            period_to=from_iso(str(data["period_to"])),
            sales=tuple(SalesLine(**line) for line in data.get("sales", [])),
            stornos=tuple(CurrencyTotal(**line) for line in data.get("stornos", [])),
            failed_count=int(data["failed_count"]),
            voided_count=int(data["voided_count"]),
            benefit_stornos=tuple(
                CurrencyTotal(**line) for line in data.get("benefit_stornos", [])
            ),
            by_clerk=tuple(ClerkTotal(**line) for line in data.get("by_clerk", [])),
        )

    def to_dict(self) -> dict[str, Any]:
        extra: dict[str, Any] = {}
        if self.benefit_stornos:
            extra["benefit_stornos"] = [vars(line) for line in self.benefit_stornos]
        if self.by_clerk:
            extra["by_clerk"] = [vars(line) for line in self.by_clerk]
        return {
            **extra,
            "z_number": self.z_number,
            "after_seq": self.after_seq,
            "through_seq": self.through_seq,
            "period_from": self.period_from.isoformat(),
            "period_to": self.period_to.isoformat(),
            "sales": [vars(line) for line in self.sales],
            "stornos": [vars(line) for line in self.stornos],
            "failed_count": self.failed_count,
            "voided_count": self.voided_count,
        }


@dataclass(frozen=True)
class ZRecord:
    """A printed Z report: the period it closed and the figures on its slip."""

    z_number: int
    after_seq: int
    through_seq: int
    period_from: datetime
    period_to: datetime
    clerk: str
    printed_at: datetime
    figures: dict[str, Any]

    def to_dict(self) -> dict[str, Any]:
        return {
            "z_number": self.z_number,
            "after_seq": self.after_seq,
            "through_seq": self.through_seq,
            "period_from": self.period_from.isoformat(),
            "period_to": self.period_to.isoformat(),
            "clerk": self.clerk,
            "printed_at": self.printed_at.isoformat(),
            "figures": self.figures,
        }


def to_iso(moment: datetime) -> str:
    """The one text form of a time in the store: UTC, microseconds, sortable."""
    if moment.tzinfo is None or moment.utcoffset() is None:
        raise InvalidRecord(f"time {moment!r} has no timezone; pass an aware UTC datetime")
    return moment.astimezone(UTC).isoformat(timespec="microseconds")


def from_iso(text: str) -> datetime:
    return datetime.fromisoformat(text).astimezone(UTC)


def _opt_from_iso(text: str | None) -> datetime | None:
    return None if text is None else from_iso(text)


def _require_money(name: str, value: object, *, positive: bool = False) -> int:
    if isinstance(value, bool) or not isinstance(value, int):
        raise InvalidRecord(
            f"{name} must be an integer number of minor units (cents), not {value!r}"
        )
    if value < 0 or (positive and value == 0):
        bound = "greater than zero" if positive else "zero or more"
        raise InvalidRecord(f"{name} must be {bound}, not {value}")
    if value >= MAX_MINOR:
        raise InvalidRecord(f"{name} must be below {MAX_MINOR} minor units, not {value}")
    return value


#: The store's ceiling of any amount (SQLite integers hold far more; nothing sold comes close).
MAX_MINOR = 10**12


def _json_object(name: str, value: Mapping[str, Any] | None) -> dict[str, Any]:
    """``value`` as it will read back from JSON (tuples become lists); refuses what JSON cannot."""
    if value is None:
        return {}
    if not isinstance(value, Mapping):
        raise InvalidRecord(f"{name} must be a mapping, not {type(value).__name__}")
    try:
        loaded = json.loads(canonical_json(dict(value)))
    except (TypeError, ValueError) as exc:
        raise InvalidRecord(f"{name} cannot be stored as JSON: {exc}") from None
    assert isinstance(loaded, dict)
    return loaded


class Store:
    """The terminal's SQLite store; thread-safe, one instance per process."""

    def __init__(
        self,
        path: str | Path,
        *,
        terminal_id: str,
        clock: Clock | None = None,
        busy_timeout_s: float = BUSY_TIMEOUT_MS / 1000,
        key: str | bytes | None = None,
    ) -> None:
        """``key`` is the terminal's key: card numbers are digested and the journal chained
        under keys derived from it. Without one (tools, tests of the queue alone) card numbers
        are still never kept, but lookup by the full number and the keyed chain are off."""
        if not isinstance(terminal_id, str) or not _TERMINAL_ID.match(terminal_id):
            raise StoreError(f"terminal id must be 5 digits such as '12345', not {terminal_id!r}")
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
        #: Copies made before a schema upgrade at this open (empty when none was due).
        self.migration_backups: list[Path] = []
        try:
            self._conn.row_factory = sqlite3.Row
            migrate(
                self._conn,
                path=str(self.path),
                backup=backup_before_migration(
                    self.path, self.clock.now, self.migration_backups, key=key
                ),
            )
            known = self._conn.execute(
                "SELECT 1 FROM sequence WHERE terminal_id = ?", (terminal_id,)
            ).fetchone()
            if known is None:  # only a new terminal's first open writes anything
                with self._write() as conn:
                    conn.execute(
                        "INSERT OR IGNORE INTO sequence (terminal_id, last_value) VALUES (?, 0)",
                        (terminal_id,),
                    )
            self._keyed = self._sealed_keyed()
            if self._chain_key is not None:
                self._seal()
        except BaseException:
            self.close()
            raise

    # -- lifecycle -------------------------------------------------------------------------

    def close(self) -> None:
        with self._lock:
            if self._conn is not None:
                self._conn.close()
                self._conn = None

    def __enter__(self) -> Store:
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
        _require_money("amount_minor", amount_minor, positive=True)
        fee_pairs: list[tuple[str, int]] = []
        for fee in fees:
            if not (isinstance(fee, tuple | list) and len(fee) == 2 and isinstance(fee[0], str)):
                raise InvalidRecord(f"each fee must be a (name, amount_minor) pair, not {fee!r}")
            fee_pairs.append((fee[0], _require_money(f"fee {fee[0]!r}", fee[1])))
        _require_money("total_minor", total_minor)
        _require_money("cash_minor", cash_minor)
        _require_money("change_minor", change_minor)
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
        target_obj = scrub(_json_object("target", target), self._card_key)
        details_obj = scrub(_json_object("details", details), self._card_key)
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
        data_obj = scrub(_json_object("data", data), self._card_key)
        columns, journal_updates = self._validate_updates(updates or {})
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

    def _validate_updates(
        self, updates: Mapping[str, Any]
    ) -> tuple[dict[str, Any], dict[str, Any]]:
        """Column values for the row, and the same updates as JSON for the journal."""
        unknown = set(updates) - UPDATABLE_FIELDS
        if unknown:
            raise InvalidRecord(
                f"cannot update {', '.join(sorted(unknown))}; "
                f"updatable fields are {', '.join(sorted(UPDATABLE_FIELDS))}"
            )
        columns: dict[str, Any] = {}
        journal: dict[str, Any] = {}
        for name in ("auth_code", "reason"):
            if name in updates:
                value = updates[name]
                if value is not None and not isinstance(value, str):
                    raise InvalidRecord(f"{name} must be text or None, not {value!r}")
                columns[name] = journal[name] = value
        if "printed_at" in updates:
            printed = updates["printed_at"]
            if printed is not None and not isinstance(printed, datetime):
                raise InvalidRecord(f"printed_at must be an aware datetime, not {printed!r}")
            columns["printed_at"] = journal["printed_at"] = (
                None if printed is None else to_iso(printed)
            )
        if "offline" in updates:
            if not isinstance(updates["offline"], bool):
                raise InvalidRecord(f"offline must be True or False, not {updates['offline']!r}")
            columns["offline"] = int(updates["offline"])
            journal["offline"] = updates["offline"]
        if "details" in updates:
            columns["details"] = journal["details"] = scrub(
                _json_object("details", updates["details"]), self._card_key
            )
        return columns, journal

    def _validate_message(
        self, message: OutboxMessage
    ) -> tuple[str, dict[str, Any], dict[str, Any] | None]:
        if not isinstance(message, OutboxMessage):
            raise InvalidRecord(f"outbox entries must be OutboxMessage, not {message!r}")
        if not isinstance(message.kind, str) or not message.kind:
            raise InvalidRecord(
                f"outbox message kind must be a non-empty name, not {message.kind!r}"
            )
        payload = _json_object("payload", message.payload)
        after = (
            None
            if message.after_delivery is None
            else scrub(_json_object("after_delivery", message.after_delivery), self._card_key)
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
        data_obj = scrub(_json_object("data", data), self._card_key)
        with self._write(durable=durable) as conn:
            if txn is not None:
                self._require_txn(conn, txn)
            self._append_journal(conn, txn, event, data_obj)
        safe = {key: data_obj[key] for key in _SAFE_EVENT_KEYS if key in data_obj}
        emit(log, f"journal.{event}", txn=txn, **safe)

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

    def _require_txn(self, conn: sqlite3.Connection, txn: str) -> None:
        if conn.execute("SELECT 1 FROM transactions WHERE txn = ?", (txn,)).fetchone() is None:
            raise UnknownTransaction(txn)

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
                (*params, _limit(limit)),
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
            rows = self._live().execute(sql, (*params, _limit(limit)))
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
            params.append(_limit(limit))
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

    # -- the seal: keyed chain and card data of older versions ----------------------------

    @property
    def keyed(self) -> bool:
        """Whether new journal events are HMACs under the chain key."""
        return self._keyed

    def _seal(self) -> None:
        """Key the chain and redact card data an older version wrote, once per store.

        Both happen only on a journal that verifies: sealing a tampered journal would vouch for
        it. A store that cannot be sealed opens anyway (``seal_problem`` says why) so that
        `kiosk journal verify` can name the broken event.
        """
        conn = self._live()
        seal = conn.execute("SELECT keyed_seq, redacted FROM journal_seal WHERE id = 1").fetchone()
        if seal[0] is not None and seal[1]:
            return
        conn.execute("BEGIN")
        try:
            verdict = self._verify_on(conn, full=True)
        finally:
            conn.execute("COMMIT")
        if not verdict.ok:
            self.seal_problem = verdict
            return
        redacted = 0
        with self._write() as conn:
            if not seal[1]:
                redacted = self._redact_card_data(conn)
            if seal[0] is None:
                seq = self._append_journal(
                    conn,
                    None,
                    KEYED_EVENT,
                    {"algorithm": "hmac-sha256", "key": "derived from the terminal key"},
                    keyed=True,
                )
                conn.execute("UPDATE journal_seal SET keyed_seq = ? WHERE id = 1", (seq,))
            conn.execute("UPDATE journal_seal SET redacted = 1 WHERE id = 1")
        self._keyed = True
        if redacted:
            self.flush_erased(vacuum=True)

    def _redact_card_data(self, conn: sqlite3.Connection) -> int:
        """Remove card numbers and security codes an older version kept; returns rows changed.

        Transactions, their lookup keys and delivered advices are rewritten; journal rows keep
        their hash and a ``journal_redacted`` event records each one's new content digest.
        """
        key = self._card_key
        changed = 0
        card_txns: dict[str, dict[str, Any]] = {}
        for row in conn.execute("SELECT txn, target, details FROM transactions").fetchall():
            target, details = json.loads(row["target"]), json.loads(row["details"])
            new_target, new_details = scrub(target, key), scrub(details, key)
            if new_target.get("kind") == "card":
                card_txns[row["txn"]] = new_target
            if (new_target, new_details) == (target, details):
                continue
            target_json = canonical_json(new_target)
            conn.execute(
                "UPDATE transactions SET target = ?, details = ? WHERE txn = ?",
                (target_json, canonical_json(new_details), row["txn"]),
            )
            conn.execute("DELETE FROM target_keys WHERE txn = ?", (row["txn"],))
            conn.execute(INSERT_TARGET_KEYS_SQL, {"txn": row["txn"], "target": target_json})
            changed += 1
        for row in conn.execute(
            "SELECT message_id, txn, state, payload, response FROM outbox"
        ).fetchall():
            payload = json.loads(row["payload"])
            masked = scrub(payload, key)
            card = card_txns.get(row["txn"])
            if card is not None and isinstance(masked.get("target"), str):
                masked["target"] = card.get("masked", "")
            if masked == payload and scrub_json(row["response"]) == row["response"]:
                continue
            if row["state"] == "delivered":
                conn.execute(
                    "UPDATE outbox SET payload = ?, response = ? WHERE message_id = ?",
                    (canonical_json(masked), scrub_json(row["response"]), row["message_id"]),
                )
            else:  # still owed to the host: it keeps the number until delivered
                conn.execute(
                    "UPDATE outbox SET delivered_payload = ? WHERE message_id = ?",
                    (canonical_json(masked), row["message_id"]),
                )
            changed += 1
        proofs: list[dict[str, Any]] = []
        rows = conn.execute("SELECT seq, at, txn, event, data FROM journal ORDER BY seq").fetchall()
        for row in rows:
            data = json.loads(row["data"])
            clean = scrub(data, key)
            if clean == data:
                continue
            if not proofs:
                conn.execute("DROP TRIGGER IF EXISTS journal_no_update")
            conn.execute(
                "UPDATE journal SET data = ? WHERE seq = ?", (canonical_json(clean), row["seq"])
            )
            proofs.append(
                {
                    "seq": int(row["seq"]),
                    "content": content_digest(
                        seq=int(row["seq"]),
                        at=row["at"],
                        txn=row["txn"],
                        event=row["event"],
                        data=clean,
                    ),
                }
            )
        conn.execute(JOURNAL_NO_UPDATE_TRIGGER)
        if proofs:
            self._append_journal(
                conn,
                None,
                REDACTED_EVENT,
                {"reason": "card numbers and security codes removed (PCI DSS)", "rows": proofs},
            )
        return changed + len(proofs)

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

    # -- clerks ----------------------------------------------------------------------------

    def add_clerk(
        self,
        *,
        number: str,
        name: str,
        role: str,
        pin_hash: str,
        data: Mapping[str, Any] | None = None,
    ) -> ClerkRecord:
        """Keep a new clerk and journal ``clerk_added`` (without the hash), all or nothing.

        Numbers are never reused (:class:`DuplicateClerk`, deactivated clerks included): past
        sales carry the number, and it must keep naming the same person.
        """
        _check_clerk_number(number)
        if not isinstance(name, str) or not name.strip():
            raise InvalidRecord("a clerk needs a name")
        if role not in CLERK_ROLES:
            raise InvalidRecord(f"clerk role must be one of {', '.join(CLERK_ROLES)}, not {role!r}")
        _check_pin_hash(pin_hash)
        extra = _json_object("data", data)
        with self._write() as conn:
            if conn.execute("SELECT 1 FROM clerks WHERE number = ?", (number,)).fetchone():
                raise DuplicateClerk(number)
            now = to_iso(self.clock.now())
            conn.execute(
                "INSERT INTO clerks (number, name, role, pin_hash, active, failures, "
                "locked_until, created_at, updated_at) VALUES (?, ?, ?, ?, 1, 0, NULL, ?, ?)",
                (number, name, role, pin_hash, now, now),
            )
            self._append_journal(
                conn,
                None,
                CLERK_ADDED_EVENT,
                {
                    **extra,
                    "clerk": number,
                    "name": name,
                    "role": role,
                    **self._pin_digest(pin_hash),
                },
                at=now,
            )
            added = self._clerk(conn, number)
        emit(log, "clerk.added", clerk=number, role=role)
        return added

    def update_clerk(
        self,
        number: str,
        event: str,
        *,
        data: Mapping[str, Any] | None = None,
        changes: Mapping[str, Any] | None = None,
    ) -> ClerkRecord:
        """Change a clerk's row and journal ``event`` about it in one transaction.

        ``changes`` may set ``pin_hash``, ``active`` (bool), ``failures`` (int) and
        ``locked_until`` (aware datetime or None). The journal gets the changes except the
        hash (``"pin": "changed"`` instead). An empty ``changes`` only journals the event
        (signed out, sign-in refused while locked).
        """
        if not isinstance(event, str) or not event.startswith(CLERK_EVENT_PREFIX):
            raise InvalidRecord(f"clerk events start with {CLERK_EVENT_PREFIX!r}, not {event!r}")
        extra = _json_object("data", data)
        columns, journal_changes = _clerk_changes(changes or {})
        if "pin_hash" in columns:
            journal_changes.update(self._pin_digest(columns["pin_hash"]))
        with self._write() as conn:
            self._clerk(conn, number)
            now_iso = to_iso(self.clock.now())
            if columns:
                columns["updated_at"] = now_iso
                set_sql = ", ".join(f"{name} = ?" for name in columns)
                conn.execute(
                    f"UPDATE clerks SET {set_sql} WHERE number = ?", (*columns.values(), number)
                )
            entry = {**extra, "clerk": number}
            if journal_changes:
                entry["changes"] = journal_changes
            self._append_journal(conn, None, event, entry, at=now_iso)
            changed = self._clerk(conn, number)
        emit(log, f"clerk.{event.removeprefix(CLERK_EVENT_PREFIX)}", clerk=number)
        return changed

    def _pin_digest(self, pin_hash: str) -> dict[str, str]:
        """A MAC of a PIN hash for the journal: it proves which hash the row must hold without
        putting the hash (which a PIN could be guessed from) into the journal."""
        if self._chain_key is None:
            return {}
        return {"pin_digest": pin_digest(self._chain_key, pin_hash)}

    def get_clerk(self, number: str) -> ClerkRecord | None:
        with self._lock:
            try:
                return self._clerk(self._live(), number)
            except UnknownClerkNumber:
                return None

    def list_clerks(self) -> list[ClerkRecord]:
        """Every clerk, deactivated ones too, in number order (2 before 10)."""
        with self._lock:
            rows = self._live().execute("SELECT * FROM clerks ORDER BY length(number), number")
            return [_clerk_from_row(row) for row in rows]

    def _clerk(self, conn: sqlite3.Connection, number: str) -> ClerkRecord:
        row = conn.execute("SELECT * FROM clerks WHERE number = ?", (number,)).fetchone()
        if row is None:
            raise UnknownClerkNumber(number)
        return _clerk_from_row(row)

    # -- report periods --------------------------------------------------------------------

    def period_figures(self) -> PeriodFigures:
        """Sales, stornos, failures and voids since the last Z report, up to now.

        A sale counts in the period whose journal holds its move from ``printing`` to
        ``confirmed`` (its slip printed then), whatever happened to it later; a storno counts
        where its ``stornoed`` event is, with the amount paid back. So a sale in one period
        and its storno in the next each show once, where the money moved.
        """
        with self._read() as conn:
            last = conn.execute(
                "SELECT z_number, through_seq, period_to FROM periods "
                "ORDER BY z_number DESC LIMIT 1"
            ).fetchone()
            pending = conn.execute("SELECT figures FROM z_pending WHERE id = 1").fetchone()
            if pending is not None:
                # a Z fixed but not yet proven printed: its number and events are taken
                held = json.loads(pending[0])
                last = (held["z_number"], held["through_seq"], held["period_to"])
            head = conn.execute("SELECT seq FROM journal_head WHERE id = 1").fetchone()
            through = int(head[0]) if head is not None else 0
            now = self.clock.now()
            if last is not None:
                after, start, z_number = int(last[1]), from_iso(last[2]), int(last[0]) + 1
            else:
                first = conn.execute("SELECT at FROM journal ORDER BY seq LIMIT 1").fetchone()
                after, start, z_number = 0, from_iso(first[0]) if first else now, 1
            span = {"after": after, "through": through}
            sales = tuple(
                SalesLine(row[0], row[1], int(row[2]), int(row[3]))
                for row in conn.execute(
                    """
                    SELECT t.product, t.currency, COUNT(*), SUM(t.total_minor)
                    FROM journal AS j JOIN transactions AS t ON t.txn = j.txn
                    WHERE j.seq > :after AND j.seq <= :through AND j.event = :event
                      AND json_extract(j.data, '$.from') = :printing
                    GROUP BY t.product, t.currency ORDER BY t.product, t.currency
                    """,
                    {**span, "event": state_event(CONFIRMED), "printing": PRINTING},
                )
            )
            # Stornos per tender: cash paid back from the drawer, or a benefit credited back.
            by_tender: dict[str, list[CurrencyTotal]] = {"cash": [], "benefit": []}
            for row in conn.execute(
                """
                SELECT COALESCE(json_extract(t.details, '$.tender'), 'cash'), t.currency,
                       COUNT(*), SUM(COALESCE(json_extract(t.details, '$.storno.refund_minor'),
                                              t.total_minor))
                FROM journal AS j JOIN transactions AS t ON t.txn = j.txn
                WHERE j.seq > :after AND j.seq <= :through AND j.event = :event
                GROUP BY 1, t.currency ORDER BY 1, t.currency
                """,
                {**span, "event": state_event(STORNOED)},
            ):
                tender = "benefit" if row[0] == "benefit" else "cash"
                by_tender[tender].append(CurrencyTotal(row[1], int(row[2]), int(row[3])))
            stornos = tuple(by_tender["cash"])
            by_clerk = _clerk_totals(conn, span)
            counts = {
                row[0]: int(row[1])
                for row in conn.execute(
                    "SELECT event, COUNT(*) FROM journal WHERE seq > :after AND seq <= :through "
                    "AND event IN (:failed, :voided) GROUP BY event",
                    {**span, "failed": state_event(FAILED), "voided": state_event(VOIDED)},
                )
            }
        return PeriodFigures(
            z_number=z_number,
            after_seq=after,
            through_seq=through,
            period_from=start,
            period_to=max(now, start),
            sales=sales,
            stornos=stornos,
            failed_count=counts.get(state_event(FAILED), 0),
            voided_count=counts.get(state_event(VOIDED), 0),
            benefit_stornos=tuple(by_tender["benefit"]),
            by_clerk=by_clerk,
        )

    def begin_z(self, figures: PeriodFigures, *, clerk: str, printed_at: datetime) -> None:
        """Fix a Z report's number and figures before its slip prints (slip-first, issue 14).

        From this commit on the number is taken and the period's events are the Z's: a crash
        or a failed print leaves it pending, and the next Z prints the *same* slip again
        (:meth:`pending_z`), never another slip under its number. The journal event holds
        everything the slip shows, so a printed Z is reproducible from the journal.
        """
        if not isinstance(clerk, str) or not clerk:
            raise InvalidRecord("a Z report records the supervisor who printed it")
        body = figures.to_dict()
        with self._write() as conn:
            if conn.execute("SELECT 1 FROM z_pending WHERE id = 1").fetchone() is not None:
                raise PeriodChanged("a Z report is already waiting for its slip: print it first")
            last = conn.execute(
                "SELECT z_number, through_seq FROM periods ORDER BY z_number DESC LIMIT 1"
            ).fetchone()
            expected = (0, 0) if last is None else (int(last[0]), int(last[1]))
            if expected != (figures.z_number - 1, figures.after_seq):
                raise PeriodChanged(
                    f"Z report {expected[0]} closed this period meanwhile; nothing was kept."
                )
            conn.execute(
                "INSERT INTO z_pending (id, z_number, clerk, printed_at, figures)"
                " VALUES (1, ?, ?, ?, ?)",
                (figures.z_number, clerk, to_iso(printed_at), canonical_json(body)),
            )
            self._append_journal(
                conn,
                None,
                Z_STARTED_EVENT,
                {**body, "clerk": clerk, "printed_at": to_iso(printed_at)},
            )

    def pending_z(self) -> tuple[PeriodFigures, str, datetime] | None:
        """The Z fixed by :meth:`begin_z` whose slip is not proven yet: figures, clerk, time."""
        with self._read() as conn:
            row = conn.execute(
                "SELECT clerk, printed_at, figures FROM z_pending WHERE id = 1"
            ).fetchone()
        if row is None:
            return None
        figures = PeriodFigures.from_dict(json.loads(row["figures"]))
        return figures, str(row["clerk"]), from_iso(str(row["printed_at"]))

    def started_z(self, z_number: int) -> tuple[PeriodFigures, str, datetime] | None:
        """A Z as its ``z_report_started`` journal event fixed it (to reprint it exactly)."""
        with self._read() as conn:
            row = conn.execute(
                "SELECT data FROM journal WHERE event = ? AND json_extract(data, '$.z_number') = ?"
                " ORDER BY seq LIMIT 1",
                (Z_STARTED_EVENT, z_number),
            ).fetchone()
        if row is None:
            return None
        data = json.loads(row[0])
        return PeriodFigures.from_dict(data), str(data["clerk"]), from_iso(data["printed_at"])

    def close_period(self, figures: PeriodFigures, *, clerk: str, printed_at: datetime) -> ZRecord:
        """Keep the Z report whose slip printed: its number, its period and its figures.

        Refuses (:class:`PeriodChanged`, nothing written) when another Z closed the period
        since ``figures`` were read, so a number is never given twice and no event is counted
        in two periods.
        """
        if not isinstance(clerk, str) or not clerk:
            raise InvalidRecord("a Z report records the supervisor who printed it")
        body = figures.to_dict()
        with self._write() as conn:
            last = conn.execute(
                "SELECT z_number, through_seq FROM periods ORDER BY z_number DESC LIMIT 1"
            ).fetchone()
            expected = (0, 0) if last is None else (int(last[0]), int(last[1]))
            if expected != (figures.z_number - 1, figures.after_seq):
                raise PeriodChanged(
                    f"Z report {expected[0]} closed this period meanwhile; nothing was kept. "
                    "Print a new X or Z report for what happened since."
                )
            conn.execute("DELETE FROM z_pending WHERE z_number = ?", (figures.z_number,))
            conn.execute(
                "INSERT INTO periods (z_number, after_seq, through_seq, period_from, period_to, "
                "clerk, printed_at, figures) VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
                (
                    figures.z_number,
                    figures.after_seq,
                    figures.through_seq,
                    to_iso(figures.period_from),
                    to_iso(figures.period_to),
                    clerk,
                    to_iso(printed_at),
                    canonical_json(body),
                ),
            )
            self._append_journal(
                conn,
                None,
                Z_REPORT_EVENT,
                {**body, "clerk": clerk, "printed_at": to_iso(printed_at)},
            )
            closed = self._z(conn, figures.z_number)
        emit(log, "period.closed", z_number=figures.z_number, clerk=clerk)
        return closed

    def last_z(self) -> ZRecord | None:
        """The newest printed Z report, None before the first."""
        reports = self.z_reports(limit=1)
        return reports[0] if reports else None

    def z_reports(self, *, limit: int = 100) -> list[ZRecord]:
        """Printed Z reports, newest first."""
        with self._lock:
            rows = self._live().execute(
                "SELECT * FROM periods ORDER BY z_number DESC LIMIT ?", (_limit(limit),)
            )
            return [_z_from_row(row) for row in rows]

    def _z(self, conn: sqlite3.Connection, z_number: int) -> ZRecord:
        row = conn.execute("SELECT * FROM periods WHERE z_number = ?", (z_number,)).fetchone()
        if row is None:
            raise StoreError(f"no Z report number {z_number} in this store")
        return _z_from_row(row)

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
                    {"now": now, "limit": _limit(limit)},
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
                None if response is None else canonical_json(_json_object("response", response))
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
                (cutoff, _limit(limit)),
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
                f"SELECT * FROM outbox {where} ORDER BY seq LIMIT ?", (*params, _limit(limit))
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


def _clerk_totals(conn: sqlite3.Connection, span: Mapping[str, int]) -> tuple[ClerkTotal, ...]:
    """Per clerk and currency: sales whose slip printed and stornos done in the period."""
    found: dict[tuple[str, str], list[int]] = {}
    cash_only = "COALESCE(json_extract(t.details, '$.tender'), 'cash') = 'cash'"
    for row in conn.execute(
        f"""
        SELECT COALESCE(NULLIF(t.clerk, ''), '-'), t.currency, COUNT(*), SUM(t.total_minor),
               SUM(CASE WHEN {cash_only} THEN t.total_minor ELSE 0 END)
        FROM journal AS j JOIN transactions AS t ON t.txn = j.txn
        WHERE j.seq > :after AND j.seq <= :through AND j.event = :event
          AND json_extract(j.data, '$.from') = :printing
        GROUP BY 1, 2
        """,
        {**span, "event": state_event(CONFIRMED), "printing": PRINTING},
    ):
        entry = found.setdefault((str(row[0]), str(row[1])), [0, 0, 0, 0, 0])
        entry[0] += int(row[2])
        entry[1] += int(row[3])
        entry[4] += int(row[4])
    refund = "COALESCE(json_extract(t.details, '$.storno.refund_minor'), t.total_minor)"
    for row in conn.execute(
        f"""
        SELECT COALESCE(json_extract(t.details, '$.storno.clerk'), NULLIF(t.clerk, ''), '-'),
               t.currency,
               COUNT(*), SUM({refund}), SUM(CASE WHEN {cash_only} THEN {refund} ELSE 0 END)
        FROM journal AS j JOIN transactions AS t ON t.txn = j.txn
        WHERE j.seq > :after AND j.seq <= :through AND j.event = :event
        GROUP BY 1, 2
        """,
        {**span, "event": state_event(STORNOED)},
    ):
        entry = found.setdefault((str(row[0]), str(row[1])), [0, 0, 0, 0, 0])
        entry[2] += int(row[2])
        entry[3] += int(row[3])
        entry[4] -= int(row[4])
    return tuple(
        ClerkTotal(clerk, currency, *values)
        for (clerk, currency), values in sorted(
            found.items(), key=lambda item: (len(item[0][0]), item[0][0], item[0][1])
        )
    )


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


def scrub_json(text: str | None) -> str | None:
    """A JSON text with card data scrubbed (a host's answer may echo a voucher)."""
    if text is None:
        return None
    return canonical_json(scrub(json.loads(text), None))


def _limit(limit: int) -> int:
    if isinstance(limit, bool) or not isinstance(limit, int) or limit < 1:
        raise InvalidRecord(f"limit must be a positive whole number, not {limit!r}")
    return limit


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
        printed_at=_opt_from_iso(row["printed_at"]),
        copies=int(row["copies"]),
    )


def _check_clerk_number(number: object) -> None:
    if not isinstance(number, str) or not _CLERK_NUMBER.match(number):
        raise InvalidRecord(f"a clerk number is 1 to 6 digits, not {number!r}")


def _check_pin_hash(pin_hash: object) -> None:
    """A guard against keeping a PIN in clear: only an encoded ``scheme$...`` hash is taken."""
    if (
        not isinstance(pin_hash, str)
        or "$" not in pin_hash
        or pin_hash.replace("$", "").isdigit()
        or len(pin_hash) < 32
    ):
        raise InvalidRecord("pin_hash must be an encoded slow hash (scheme$...), never the PIN")


def _clerk_changes(changes: Mapping[str, Any]) -> tuple[dict[str, Any], dict[str, Any]]:
    """Column values for the clerks row, and the same changes for the journal (no hash)."""
    unknown = set(changes) - CLERK_UPDATABLE
    if unknown:
        raise InvalidRecord(
            f"cannot change {', '.join(sorted(unknown))} of a clerk; "
            f"changeable are {', '.join(sorted(CLERK_UPDATABLE))}"
        )
    columns: dict[str, Any] = {}
    journal: dict[str, Any] = {}
    if "pin_hash" in changes:
        _check_pin_hash(changes["pin_hash"])
        columns["pin_hash"] = changes["pin_hash"]
        journal["pin"] = "changed"
    if "active" in changes:
        if not isinstance(changes["active"], bool):
            raise InvalidRecord(f"active must be True or False, not {changes['active']!r}")
        columns["active"] = int(changes["active"])
        journal["active"] = changes["active"]
    if "failures" in changes:
        failures = changes["failures"]
        if isinstance(failures, bool) or not isinstance(failures, int) or failures < 0:
            raise InvalidRecord(f"failures must be a count, not {failures!r}")
        columns["failures"] = journal["failures"] = failures
    if "locked_until" in changes:
        until = changes["locked_until"]
        if until is not None and not isinstance(until, datetime):
            raise InvalidRecord(f"locked_until must be an aware datetime or None, not {until!r}")
        columns["locked_until"] = journal["locked_until"] = None if until is None else to_iso(until)
    return columns, journal


def _clerk_from_row(row: sqlite3.Row) -> ClerkRecord:
    return ClerkRecord(
        number=row["number"],
        name=row["name"],
        role=row["role"],
        pin_hash=row["pin_hash"],
        active=bool(row["active"]),
        failures=int(row["failures"]),
        locked_until=_opt_from_iso(row["locked_until"]),
        created_at=from_iso(row["created_at"]),
        updated_at=from_iso(row["updated_at"]),
    )


def _z_from_row(row: sqlite3.Row) -> ZRecord:
    return ZRecord(
        z_number=int(row["z_number"]),
        after_seq=int(row["after_seq"]),
        through_seq=int(row["through_seq"]),
        period_from=from_iso(row["period_from"]),
        period_to=from_iso(row["period_to"]),
        clerk=row["clerk"],
        printed_at=from_iso(row["printed_at"]),
        figures=json.loads(row["figures"]),
    )


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
        delivered_at=_opt_from_iso(row["delivered_at"]),
        response=None if row["response"] is None else json.loads(row["response"]),
        shown_payload=None
        if row["delivered_payload"] is None
        else json.loads(row["delivered_payload"]),
    )


def is_transaction_number(value: str) -> bool:
    """Whether ``value`` looks like a transaction number (14 digits)."""
    return bool(_TXN.match(value))


__all__ = [
    "CLERK_ADDED_EVENT",
    "CLERK_EVENT_PREFIX",
    "CLERK_ROLES",
    "CLERK_UPDATABLE",
    "OUTBOX_STATES",
    "RECORDED_EVENT",
    "REPRINT_EVENT",
    "UPDATABLE_FIELDS",
    "Z_REPORT_EVENT",
    "Z_STARTED_EVENT",
    "ClerkRecord",
    "ClerkTotal",
    "CurrencyTotal",
    "OfflineExposure",
    "OutboxMessage",
    "OutboxRecord",
    "OutboxState",
    "PeriodFigures",
    "SalesLine",
    "Store",
    "TxnRecord",
    "ZRecord",
    "from_iso",
    "is_transaction_number",
    "state_event",
    "to_iso",
    "transition_event",
    "verify_store_file",
]
