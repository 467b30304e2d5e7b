"""A schema upgrade copies the store first, next to it, named with the old version and the time;
the copy is exactly the old version, and a copy that cannot be made stops the upgrade."""

from __future__ import annotations

import os
import sqlite3
from pathlib import Path

import pytest

from foundation.clock import ManualClock
from offline_queue.backup import BackupError, check_copy, copy_database
from offline_queue.journal import GENESIS_HASH, canonical_json, event_hash
from offline_queue.schema import MIGRATIONS, SCHEMA_VERSION, connect, migrate, schema_version
from offline_queue.store import Store


def _old_store(path: Path, version: int) -> None:
    """A store file as an older release left it: schema ``version``, one terminal, one sale
    recorded with its journal event (so the copy's books verify)."""
    at = "2026-01-01T00:00:00.000000+00:00"
    target = {"phone": "+381 64 765 4321"}
    data = {
        "product": "mobile-topup",
        "currency": "RSD",
        "amount_minor": 100,
        "fees": [],
        "total_minor": 100,
        "cash_minor": 0,
        "change_minor": 0,
        "target": target,
    }
    conn = connect(path)
    assert migrate(conn, migrations=MIGRATIONS[:version]) == version
    conn.execute("INSERT INTO sequence (terminal_id, last_value) VALUES ('12345', 7)")
    conn.execute(
        "INSERT INTO transactions (txn, terminal_id, product, state, currency, amount_minor, "
        "fees, total_minor, cash_minor, change_minor, target, details, created_at, updated_at) "
        "VALUES ('12345000000007', '12345', 'mobile-topup', 'recorded', 'RSD', 100, '[]', 100, "
        "0, 0, ?, '{}', ?, ?)",
        (canonical_json(target), at, at),
    )
    digest = event_hash(
        seq=1, at=at, txn="12345000000007", event="recorded", data=data, prev_hash=GENESIS_HASH
    )
    conn.execute(
        "INSERT INTO journal (seq, at, txn, event, data, prev_hash, hash) VALUES (1, ?, ?, ?, ?, "
        "?, ?)",
        (at, "12345000000007", "recorded", canonical_json(data), GENESIS_HASH, digest),
    )
    conn.execute("UPDATE journal_head SET seq = 1, hash = ? WHERE id = 1", (digest,))
    conn.close()


def _tables(path: Path) -> set[str]:
    conn = sqlite3.connect(f"file:{path}?mode=ro", uri=True)
    try:
        return {row[0] for row in conn.execute("SELECT name FROM sqlite_master WHERE type='table'")}
    finally:
        conn.close()


def test_an_upgrade_backs_the_old_version_up_next_to_the_store_first(tmp_path: Path) -> None:
    path = tmp_path / "kiosk.sqlite"
    _old_store(path, 2)
    clock = ManualClock()

    with Store(path, terminal_id="12345", clock=clock) as store:
        assert store.schema_version == SCHEMA_VERSION
        made = list(store.migration_backups)

    assert len(made) == 1
    backup = made[0]
    assert backup.parent == tmp_path
    assert backup.name == "kiosk.sqlite.schema-v2-20261122T120000000000Z.bak"
    assert os.stat(backup).st_mode & 0o777 == 0o600
    check = check_copy(backup)
    assert check.ok, check.problem
    assert check.schema_version == 2 and check.terminal_ids == ("12345",)
    assert check.transactions == 1
    # the copy is the old schema: the clerks table of version 3 is not in it
    assert "clerks" not in _tables(backup) and "clerks" in _tables(path)


def test_the_backup_is_taken_inside_the_upgrade_before_any_statement(tmp_path: Path) -> None:
    path = tmp_path / "kiosk.sqlite"
    _old_store(path, 1)
    seen: list[tuple[int, bool]] = []

    def backup(version: int) -> None:
        # what the file holds at the moment of the backup, read by another connection
        seen.append((version, "target_keys" in _tables(path)))
        copy_database(path, tmp_path / f"copy-v{version}.sqlite")

    conn = connect(path)
    try:
        assert migrate(conn, backup=backup) == SCHEMA_VERSION
    finally:
        conn.close()
    # once, at version 1, before migration 2 created its table; then all steps ran
    assert seen == [(1, False)]
    copy = check_copy(tmp_path / "copy-v1.sqlite")
    assert copy.schema_version == 1 and copy.transactions == 1


def test_a_backup_that_fails_leaves_the_store_at_its_old_version(tmp_path: Path) -> None:
    path = tmp_path / "kiosk.sqlite"
    _old_store(path, 2)

    def backup(version: int) -> None:
        raise BackupError("the disk is full")

    conn = connect(path)
    try:
        with pytest.raises(BackupError, match="disk is full"):
            migrate(conn, backup=backup)
        assert schema_version(conn) == 2
        assert not conn.in_transaction
    finally:
        conn.close()
    assert "clerks" not in _tables(path)


def test_no_backup_for_a_new_file_or_an_up_to_date_one(tmp_path: Path) -> None:
    path = tmp_path / "kiosk.sqlite"
    clock = ManualClock()
    with Store(path, terminal_id="12345", clock=clock) as store:
        assert store.migration_backups == []
    with Store(path, terminal_id="12345", clock=clock) as store:
        assert store.migration_backups == []
    assert sorted(p.name for p in tmp_path.iterdir() if ".bak" in p.name) == []


def test_a_copy_with_an_edited_journal_fails_its_check(tmp_path: Path) -> None:
    path = tmp_path / "kiosk.sqlite"
    clock = ManualClock()
    with Store(path, terminal_id="12345", clock=clock) as store:
        store.journal_event(None, "note", {"text": "first"})
        store.journal_event(None, "note", {"text": "second"})
    copy = copy_database(path, tmp_path / "copy.sqlite")
    assert check_copy(copy).ok
    with pytest.raises(BackupError, match="exists already"):
        copy_database(path, copy)

    conn = sqlite3.connect(copy)
    conn.execute("DROP TRIGGER journal_no_update")
    conn.execute('UPDATE journal SET data = \'{"text": "edited"}\' WHERE seq = 1')
    conn.commit()
    conn.close()
    check = check_copy(copy)
    assert not check.ok and check.integrity == "ok"
    assert check.problem is not None and "journal is broken at event 1" in check.problem
