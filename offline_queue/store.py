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

The class is one facade over one module per area, in persist-queue's shape (``sqlbase`` plus
one module per queue): :mod:`offline_queue.store_base` owns the connection and the one
transaction discipline; :mod:`~offline_queue.store_journal`, :mod:`~offline_queue.store_seal`,
:mod:`~offline_queue.store_outbox`, :mod:`~offline_queue.store_clerks`,
:mod:`~offline_queue.store_periods` and :mod:`~offline_queue.store_transactions` each add
their area's methods; :mod:`~offline_queue.store_fields` is the one field codec.

Why mixins and not composition: a step of one area writes rows of others *in the same
transaction* (a sale's move writes its row, its journal event, its advices and the period's
running totals under one ``BEGIN IMMEDIATE``). Mixins over one base share ``self._write()``
and the one connection without passing them around, and callers keep every method on
``Store`` as before; each area's module stays small and readable on its own.
"""

from __future__ import annotations

import re
from pathlib import Path

from foundation.clock import Clock
from offline_queue.backup import backup_before_migration
from offline_queue.errors import StoreError
from offline_queue.schema import BUSY_TIMEOUT_MS, migrate
from offline_queue.store_clerks import (
    CLERK_ADDED_EVENT,
    CLERK_EVENT_PREFIX,
    CLERK_ROLES,
    CLERK_UPDATABLE,
    ClerkArea,
    ClerkRecord,
)
from offline_queue.store_fields import MAX_MINOR, from_iso, scrub_json, to_iso
from offline_queue.store_journal import (
    RECORDED_EVENT,
    RESERVED_EVENT_PREFIXES,
    state_event,
    verify_store_file,
)
from offline_queue.store_outbox import (
    OUTBOX_STATES,
    OfflineExposure,
    OutboxMessage,
    OutboxRecord,
    OutboxState,
)
from offline_queue.store_periods import (
    Z_REPORT_EVENT,
    Z_STARTED_EVENT,
    ClerkTotal,
    CurrencyTotal,
    PeriodFigures,
    SalesLine,
    ZRecord,
)
from offline_queue.store_seal import SealArea
from offline_queue.store_transactions import (
    REPRINT_EVENT,
    UPDATABLE_FIELDS,
    TransactionArea,
    TxnRecord,
    is_transaction_number,
    transition_event,
)

_TERMINAL_ID = re.compile(r"\A[0-9]{5}\Z")


class Store(TransactionArea, ClerkArea, SealArea):
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
        super().__init__(
            path, terminal_id=terminal_id, clock=clock, busy_timeout_s=busy_timeout_s, key=key
        )
        #: Copies made before a schema upgrade at this open (empty when none was due).
        self.migration_backups: list[Path] = []
        try:
            conn = self._live()
            migrate(
                conn,
                path=str(self.path),
                backup=backup_before_migration(
                    self.path, self.clock.now, self.migration_backups, key=key
                ),
            )
            known = conn.execute(
                "SELECT 1 FROM sequence WHERE terminal_id = ?", (terminal_id,)
            ).fetchone()
            if known is None:  # only a new terminal's first open writes anything
                with self._write() as write:
                    write.execute(
                        "INSERT OR IGNORE INTO sequence (terminal_id, last_value) VALUES (?, 0)",
                        (terminal_id,),
                    )
            self._keyed = self._sealed_keyed()
            if self._chain_key is not None:
                self._seal()
        except BaseException:
            self.close()
            raise


__all__ = [
    "CLERK_ADDED_EVENT",
    "CLERK_EVENT_PREFIX",
    "CLERK_ROLES",
    "CLERK_UPDATABLE",
    "MAX_MINOR",
    "OUTBOX_STATES",
    "RECORDED_EVENT",
    "REPRINT_EVENT",
    "RESERVED_EVENT_PREFIXES",
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
    "scrub_json",
    "state_event",
    "to_iso",
    "transition_event",
    "verify_store_file",
]
