"""Opening a store file: connection pragmas and schema migrations.

The schema version lives in ``PRAGMA user_version``. :data:`MIGRATIONS` is an ordered list;
migration *n* (1-based) takes a file from version *n-1* to *n* in one ``BEGIN IMMEDIATE``
transaction together with the version bump, so a crash mid-upgrade leaves the old version
intact. Migrations are only ever appended: a released one is never edited.
"""

from __future__ import annotations

import os
import sqlite3
from collections.abc import Callable, Sequence
from pathlib import Path

from offline_queue.errors import SchemaTooNew, StoreBusy, StoreError
from offline_queue.journal import GENESIS_HASH
from offline_queue.period_totals import CREATE_TABLE as CREATE_PERIOD_TOTALS
from offline_queue.period_totals import fill_open_period
from offline_queue.private import private_database

#: How long a writer waits for another process's write lock before giving up.
BUSY_TIMEOUT_MS = 10_000
#: TEST ONLY. The soak's bite test lowers ``synchronous`` to prove its power cuts find the lost
#: sale that follows; honoured only when ``KIOSK_TEST_ONLY_SWITCHES=1`` is set as well.
TEST_SYNCHRONOUS_ENV = "KIOSK_TEST_ONLY_STORE_SYNCHRONOUS"
TEST_SWITCHES_ENV = "KIOSK_TEST_ONLY_SWITCHES"


def synchronous_level() -> str:
    """``FULL``, always in production; a test may lower it through the two variables above."""
    if os.environ.get(TEST_SWITCHES_ENV) == "1":
        level = os.environ.get(TEST_SYNCHRONOUS_ENV, "FULL").upper()
        if level in ("OFF", "NORMAL", "FULL", "EXTRA"):
            return level
    return "FULL"


#: A step is SQL, or (for a step SQL cannot say) a function run on the connection inside the
#: migration's transaction.
MigrationStep = str | Callable[[sqlite3.Connection], None]
Migration = tuple[MigrationStep, ...]

_V1_CORE: Migration = (
    """
    CREATE TABLE sequence (
        terminal_id TEXT PRIMARY KEY CHECK (length(terminal_id) = 5),
        last_value INTEGER NOT NULL CHECK (last_value >= 0)
    )
    """,
    """
    CREATE TABLE transactions (
        txn TEXT PRIMARY KEY CHECK (length(txn) = 14 AND txn NOT GLOB '*[^0-9]*'),
        terminal_id TEXT NOT NULL,
        product TEXT NOT NULL,
        state TEXT NOT NULL,
        currency TEXT NOT NULL,
        amount_minor INTEGER NOT NULL,
        fees TEXT NOT NULL,
        total_minor INTEGER NOT NULL,
        cash_minor INTEGER NOT NULL,
        change_minor INTEGER NOT NULL,
        target TEXT NOT NULL,
        details TEXT NOT NULL,
        offline INTEGER NOT NULL DEFAULT 0 CHECK (offline IN (0, 1)),
        clerk TEXT,
        auth_code TEXT,
        reason TEXT,
        created_at TEXT NOT NULL,
        updated_at TEXT NOT NULL,
        printed_at TEXT,
        copies INTEGER NOT NULL DEFAULT 0 CHECK (copies >= 0)
    )
    """,
    "CREATE INDEX transactions_by_created ON transactions (created_at, txn)",
    "CREATE INDEX transactions_by_state ON transactions (state)",
    """
    CREATE TABLE journal (
        seq INTEGER PRIMARY KEY,
        at TEXT NOT NULL,
        txn TEXT,
        event TEXT NOT NULL,
        data TEXT NOT NULL,
        prev_hash TEXT NOT NULL,
        hash TEXT NOT NULL
    )
    """,
    "CREATE INDEX journal_by_txn ON journal (txn, seq) WHERE txn IS NOT NULL",
    """
    CREATE TRIGGER journal_no_update BEFORE UPDATE ON journal
    BEGIN SELECT RAISE(ABORT, 'the journal is append-only: its rows cannot be changed'); END
    """,
    """
    CREATE TRIGGER journal_no_delete BEFORE DELETE ON journal
    BEGIN SELECT RAISE(ABORT, 'the journal is append-only: its rows cannot be deleted'); END
    """,
    """
    CREATE TABLE journal_head (
        id INTEGER PRIMARY KEY CHECK (id = 1),
        seq INTEGER NOT NULL,
        hash TEXT NOT NULL
    )
    """,
    f"INSERT INTO journal_head (id, seq, hash) VALUES (1, 0, '{GENESIS_HASH}')",
    """
    CREATE TABLE outbox (
        message_id TEXT PRIMARY KEY CHECK (length(message_id) = 32),
        seq INTEGER NOT NULL UNIQUE,
        txn TEXT NOT NULL REFERENCES transactions (txn),
        kind TEXT NOT NULL,
        payload TEXT NOT NULL,
        state TEXT NOT NULL DEFAULT 'pending'
            CHECK (state IN ('pending', 'in_flight', 'delivered', 'dead')),
        attempts INTEGER NOT NULL DEFAULT 0,
        next_attempt_mono REAL NOT NULL,
        lease_until_mono REAL,
        last_error TEXT,
        created_at TEXT NOT NULL,
        delivered_at TEXT,
        response TEXT,
        UNIQUE (txn, kind)
    )
    """,
    "CREATE INDEX outbox_due ON outbox (next_attempt_mono, seq) WHERE state = 'pending'",
    "CREATE INDEX outbox_leased ON outbox (lease_until_mono, seq) WHERE state = 'in_flight'",
    """
    CREATE INDEX outbox_undelivered_by_txn ON outbox (txn, seq)
    WHERE state IN ('pending', 'in_flight', 'dead')
    """,
    "CREATE INDEX outbox_by_state ON outbox (state, seq)",
)

_V2_TARGET_KEYS: Migration = (
    # Digits of every text value in a transaction's target (phone, card number, IMEI...),
    # so the clerk can find a sale from what the customer remembers. ``digits()`` is a SQL
    # function registered on every connection by :func:`connect`.
    """
    CREATE TABLE target_keys (
        txn TEXT NOT NULL REFERENCES transactions (txn) ON DELETE CASCADE,
        field TEXT NOT NULL,
        digits TEXT NOT NULL,
        last4 TEXT NOT NULL,
        PRIMARY KEY (txn, field)
    )
    """,
    "CREATE INDEX target_keys_by_digits ON target_keys (digits)",
    "CREATE INDEX target_keys_by_last4 ON target_keys (last4)",
    """
    INSERT INTO target_keys (txn, field, digits, last4)
    SELECT t.txn, j.fullkey, digits(j.atom), substr(digits(j.atom), -4)
    FROM transactions AS t, json_tree(t.target) AS j
    WHERE j.type = 'text' AND length(digits(j.atom)) >= 4
    """,
)

_V3_CLERKS_PERIODS: Migration = (
    # The clerks who sign in at this counter. ``pin_hash`` is a salted slow hash with its
    # parameters (never the PIN); ``failures``/``locked_until`` count wrong PINs across
    # restarts, so switching the kiosk off and on does not reset a lockout.
    """
    CREATE TABLE clerks (
        number TEXT PRIMARY KEY
            CHECK (length(number) BETWEEN 1 AND 6 AND number NOT GLOB '*[^0-9]*'),
        name TEXT NOT NULL CHECK (length(name) > 0),
        role TEXT NOT NULL CHECK (role IN ('clerk', 'supervisor')),
        pin_hash TEXT NOT NULL,
        active INTEGER NOT NULL DEFAULT 1 CHECK (active IN (0, 1)),
        failures INTEGER NOT NULL DEFAULT 0 CHECK (failures >= 0),
        locked_until TEXT,
        created_at TEXT NOT NULL,
        updated_at TEXT NOT NULL
    )
    """,
    # One row per printed Z report: the period it closed, as a range of journal events
    # (after_seq, through_seq], and the figures its slip showed. A Z is final: no updates.
    """
    CREATE TABLE periods (
        z_number INTEGER PRIMARY KEY CHECK (z_number >= 1),
        after_seq INTEGER NOT NULL CHECK (after_seq >= 0),
        through_seq INTEGER NOT NULL CHECK (through_seq >= after_seq),
        period_from TEXT NOT NULL,
        period_to TEXT NOT NULL,
        clerk TEXT NOT NULL,
        printed_at TEXT NOT NULL,
        figures TEXT NOT NULL
    )
    """,
    """
    CREATE TRIGGER periods_no_update BEFORE UPDATE ON periods
    BEGIN SELECT RAISE(ABORT, 'a Z report is final: its period cannot be changed'); END
    """,
    """
    CREATE TRIGGER periods_no_delete BEFORE DELETE ON periods
    BEGIN SELECT RAISE(ABORT, 'a Z report is final: its period cannot be deleted'); END
    """,
)

_V4_CARD_DATA_SEAL: Migration = (
    # Card numbers are kept as a keyed digest (see offline_queue.carddata): lookup by the full
    # number compares digests, never digits.
    "ALTER TABLE target_keys ADD COLUMN digest TEXT",
    "CREATE INDEX target_keys_by_digest ON target_keys (digest) WHERE digest IS NOT NULL",
    # What an advice's payload becomes once the host has it (the full card number erased).
    "ALTER TABLE outbox ADD COLUMN delivered_payload TEXT",
    # The journal's seal: where the keyed chain starts, whether card data an older version
    # wrote was redacted, and the last point `journal verify` checked (with a MAC under the
    # chain key, so the checkpoint cannot be moved forward without the key).
    """
    CREATE TABLE journal_seal (
        id INTEGER PRIMARY KEY CHECK (id = 1),
        keyed_seq INTEGER,
        redacted INTEGER NOT NULL DEFAULT 0 CHECK (redacted IN (0, 1)),
        checked_seq INTEGER NOT NULL DEFAULT 0,
        checked_hash TEXT NOT NULL DEFAULT '',
        checked_mac TEXT NOT NULL DEFAULT ''
    )
    """,
    "INSERT INTO journal_seal (id) VALUES (1)",
)

_V5_HISTORY_COUNTERS: Migration = (
    # Outbox counts per state kept by triggers, so the status bar reads four rows instead of
    # counting every advice ever sent (docs/internals.md: History).
    """
    CREATE TABLE outbox_counts (
        state TEXT PRIMARY KEY,
        n INTEGER NOT NULL CHECK (n >= 0)
    )
    """,
    """
    INSERT INTO outbox_counts (state, n)
    SELECT s.state, (SELECT COUNT(*) FROM outbox AS o WHERE o.state = s.state)
    FROM (SELECT 'pending' AS state UNION ALL SELECT 'in_flight' UNION ALL SELECT 'delivered'
          UNION ALL SELECT 'dead') AS s
    """,
    """
    CREATE TRIGGER outbox_counts_insert AFTER INSERT ON outbox
    BEGIN UPDATE outbox_counts SET n = n + 1 WHERE state = NEW.state; END
    """,
    """
    CREATE TRIGGER outbox_counts_update AFTER UPDATE OF state ON outbox
    WHEN OLD.state != NEW.state
    BEGIN
        UPDATE outbox_counts SET n = n - 1 WHERE state = OLD.state;
        UPDATE outbox_counts SET n = n + 1 WHERE state = NEW.state;
    END
    """,
    """
    CREATE TRIGGER outbox_counts_delete AFTER DELETE ON outbox
    BEGIN UPDATE outbox_counts SET n = n - 1 WHERE state = OLD.state; END
    """,
    # Pruning finds delivered advices past the retention without reading the others.
    "CREATE INDEX outbox_delivered_at ON outbox (delivered_at) WHERE state = 'delivered'",
    # The oldest undelivered advice without reading the delivered ones.
    """
    CREATE INDEX outbox_undelivered_created ON outbox (created_at)
    WHERE state IN ('pending', 'in_flight')
    """,
)

#: Idempotency keys of the local API (issue 14): a key, what it was used for (endpoint and a
#: digest of the body) and the first answer. A sale's key is written in the same transaction as
#: the sale's record, so a key is never kept without its sale nor a sale without its key.
_V6_IDEMPOTENCY_KEYS: Migration = (
    """
    CREATE TABLE idempotency_keys (
        key TEXT PRIMARY KEY,
        endpoint TEXT NOT NULL,
        fingerprint TEXT NOT NULL,
        txn TEXT,
        status INTEGER,
        response TEXT,
        created_at TEXT NOT NULL,
        completed_at TEXT
    )
    """,
    "CREATE INDEX idempotency_keys_created ON idempotency_keys (created_at)",
    "CREATE INDEX idempotency_keys_txn ON idempotency_keys (txn)",
)

#: A Z report whose number and figures are fixed but whose slip is not yet proven printed
#: (issue 14): written before the slip prints, moved into ``periods`` once it did. At most one.
_V7_Z_PENDING: Migration = (
    """
    CREATE TABLE z_pending (
        id INTEGER PRIMARY KEY CHECK (id = 1),
        z_number INTEGER NOT NULL CHECK (z_number >= 1),
        clerk TEXT NOT NULL,
        printed_at TEXT NOT NULL,
        figures TEXT NOT NULL
    )
    """,
)

#: Lookups from indexes (issue 17): the clerk's searches, "reprint last" and the recent voids
#: walk an index newest first and stop at their limit instead of reading every sale of a state
#: and sorting it; a Z is reprinted from its ``z_report_started`` event found by number. Each
#: query's plan is asserted in tests/store/test_store_indexes.py.
_V8_LOOKUP_INDEXES: Migration = (
    """
    CREATE INDEX IF NOT EXISTS transactions_by_state_created
    ON transactions (state, created_at, txn)
    """,
    # its prefix (state) is the old index: one index fewer to write per sale
    "DROP INDEX IF EXISTS transactions_by_state",
    """
    CREATE INDEX IF NOT EXISTS transactions_by_product_created
    ON transactions (product, created_at, txn)
    """,
    # partial: only Z events are in it, so a sale's journal rows cost no extra index write
    """
    CREATE INDEX IF NOT EXISTS journal_z_started ON journal (json_extract(data, '$.z_number'))
    WHERE event = 'z_report_started'
    """,
)

#: Running totals of the open report period (issue 17): an X report reads these rows instead
#: of the period's journal events; see offline_queue.period_totals. The fill counts the open
#: period of an existing store from its journal, once.
_V9_PERIOD_TOTALS: Migration = (CREATE_PERIOD_TOTALS, fill_open_period)

#: Every migration, oldest first; the schema version is ``len(MIGRATIONS)``.
MIGRATIONS: tuple[Migration, ...] = (
    _V1_CORE,
    _V2_TARGET_KEYS,
    _V3_CLERKS_PERIODS,
    _V4_CARD_DATA_SEAL,
    _V5_HISTORY_COUNTERS,
    _V6_IDEMPOTENCY_KEYS,
    _V7_Z_PENDING,
    _V8_LOOKUP_INDEXES,
    _V9_PERIOD_TOTALS,
)
SCHEMA_VERSION = len(MIGRATIONS)

#: The columns of a ``transactions`` row after its key ``txn``, in table order: what replaying
#: the journal rebuilds (``offline_queue.replay``) and what an export writes
#: (``offline_queue.export``); ``store_transactions.TxnRecord`` has one field for each.
TRANSACTION_COLUMNS: tuple[str, ...] = (
    "terminal_id",
    "product",
    "state",
    "currency",
    "amount_minor",
    "fees",
    "total_minor",
    "cash_minor",
    "change_minor",
    "target",
    "details",
    "offline",
    "clerk",
    "auth_code",
    "reason",
    "created_at",
    "updated_at",
    "printed_at",
    "copies",
)

#: The SQL that fills ``target_keys`` for one transaction (parameters: txn, target JSON twice).
#: A card's digest is its own key row; its hex is never read as digits.
INSERT_TARGET_KEYS_SQL = """
    INSERT INTO target_keys (txn, field, digits, last4, digest)
    SELECT :txn, j.fullkey, digits(j.atom), substr(digits(j.atom), -4), NULL
    FROM json_tree(:target) AS j
    WHERE j.type = 'text' AND length(digits(j.atom)) >= 4 AND j.fullkey != '$.digest'
    UNION ALL
    SELECT :txn, '$.digest', '', COALESCE(json_extract(:target, '$.last4'), ''),
           json_extract(:target, '$.digest')
    WHERE json_extract(:target, '$.digest') IS NOT NULL
"""


#: The append-only guard, as migration 1 created it; the card-data redaction lifts it for its
#: one rewrite and puts it back (also where someone had dropped it).
JOURNAL_NO_UPDATE_TRIGGER = """
    CREATE TRIGGER IF NOT EXISTS journal_no_update BEFORE UPDATE ON journal
    BEGIN SELECT RAISE(ABORT, 'the journal is append-only: its rows cannot be changed'); END
"""


def only_digits(value: object) -> str:
    """ASCII digits of ``value`` in order (``"+381 64 123-4567"`` -> ``"381641234567"``)."""
    if not isinstance(value, str):
        return ""
    return "".join(ch for ch in value if "0" <= ch <= "9")


def connect(path: str | Path, *, busy_timeout_ms: int = BUSY_TIMEOUT_MS) -> sqlite3.Connection:
    """Open ``path`` the only way the store opens files: WAL, ``synchronous=FULL``, FKs on.

    ``isolation_level=None`` hands transaction control to the store, which writes only inside
    explicit ``BEGIN IMMEDIATE`` so two writers never deadlock on a lock upgrade.
    ``synchronous=FULL`` makes a committed sale survive a power cut, not only a crash.
    """
    try:
        private_database(Path(path))
        conn = sqlite3.connect(
            str(path),
            isolation_level=None,
            check_same_thread=False,
            timeout=busy_timeout_ms / 1000,
        )
    except (sqlite3.Error, OSError) as exc:
        raise StoreError(
            f"cannot open the store at {path} ({exc}): check that its folder exists and the "
            "kiosk user may write there"
        ) from exc
    try:
        conn.execute(f"PRAGMA busy_timeout = {int(busy_timeout_ms)}")
        try:
            mode = conn.execute("PRAGMA journal_mode = WAL").fetchone()[0]
        except sqlite3.DatabaseError as exc:
            raise StoreError(
                f"{path} is not a usable store ({exc}): point store.path at the kiosk's "
                "SQLite file, or at a new file name to start an empty store"
            ) from exc
        if str(mode).lower() != "wal":
            raise StoreError(
                f"store {path} cannot use WAL journal mode (got {mode!r}); "
                "put it on a local disk, not a network share"
            )
        conn.execute(f"PRAGMA synchronous = {synchronous_level()}")
        # What the store deletes or overwrites (an erased card number) is zeroed on disk, not
        # left in free pages.
        conn.execute("PRAGMA secure_delete = ON")
        conn.execute("PRAGMA foreign_keys = ON")
        conn.create_function("digits", 1, only_digits, deterministic=True)
    except BaseException:
        conn.close()
        raise
    return conn


def schema_version(conn: sqlite3.Connection) -> int:
    return int(conn.execute("PRAGMA user_version").fetchone()[0])


def migrate(
    conn: sqlite3.Connection,
    *,
    path: str = "store",
    migrations: Sequence[Migration] = MIGRATIONS,
    backup: Callable[[int], None] | None = None,
) -> int:
    """Bring the file up to ``len(migrations)``, one transaction per step; return the version.

    The version is read again inside each step's write lock, so two processes opening the same
    new file at once apply every step exactly once; an up-to-date file is not locked at all.

    ``backup(version)`` is called once, inside the first step's write lock and before its first
    statement, when a file that already holds data (version 1 or more) is about to change: an
    upgrade that goes wrong can then be undone from a copy of exactly the old version. If it
    raises, nothing is changed.
    """
    known = len(migrations)
    found = schema_version(conn)
    if found > known:
        raise SchemaTooNew(path, found, known)
    if found == known:
        return found  # up to date: opening takes no write lock
    backed_up = False
    first: int | None = None  # the version found under the first write lock
    while True:
        try:
            conn.execute("BEGIN IMMEDIATE")
        except sqlite3.OperationalError as exc:
            raise StoreBusy(
                f"store {path} is locked by another process ({exc}); it could not be upgraded, "
                "try again"
            ) from exc
        try:
            version = schema_version(conn)
            if version > known:
                raise SchemaTooNew(path, version, known)
            if version == known:
                conn.execute("COMMIT")
                return version
            if first is None:
                first = version
            if backup is not None and first >= 1 and not backed_up:
                backup(version)
                backed_up = True
            for step in migrations[version]:
                if callable(step):
                    step(conn)
                else:
                    conn.execute(step)
            conn.execute(f"PRAGMA user_version = {version + 1}")
            conn.execute("COMMIT")
        except BaseException:
            if conn.in_transaction:
                conn.execute("ROLLBACK")
            raise


__all__ = [
    "BUSY_TIMEOUT_MS",
    "INSERT_TARGET_KEYS_SQL",
    "JOURNAL_NO_UPDATE_TRIGGER",
    "MIGRATIONS",
    "SCHEMA_VERSION",
    "TRANSACTION_COLUMNS",
    "Migration",
    "MigrationStep",
    "connect",
    "migrate",
    "only_digits",
    "schema_version",
]
