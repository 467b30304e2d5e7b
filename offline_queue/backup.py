"""Copies of a store file: SQLite's online backup, and checking a copy before trusting it.

Why the online backup API and not ``cp``: the store is a WAL database that the kiosk process
writes while it sells; a file copy can catch the main file and the WAL at different moments.
The backup API copies one consistent snapshot, through a connection of its own, so sales go on
committing while it reads (WAL lets a reader in beside the writer).

A copy is trusted only once :func:`check_copy` passed on it: SQLite's ``integrity_check``, the
journal's hash chain, a schema this software knows, and the terminal it belongs to.
"""

from __future__ import annotations

import os
import sqlite3
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Any

from offline_queue.errors import StoreError
from offline_queue.journal import JournalVerdict
from offline_queue.schema import SCHEMA_VERSION
from offline_queue.verify import verify_journal_on

#: Mode of every copy: it holds what the store holds (masked card data, the journal).
COPY_MODE = 0o600


class BackupError(StoreError):
    """A copy could not be made, or the file is not a store this terminal may use."""

    code = "backup_failed"


def _fsync_dir(folder: Path) -> None:
    descriptor = os.open(folder, os.O_RDONLY)
    try:
        os.fsync(descriptor)
    finally:
        os.close(descriptor)


def _new_private_file(path: Path) -> None:
    """Create ``path`` empty with mode 600, refusing to reuse an existing file."""
    descriptor = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, COPY_MODE)
    os.close(descriptor)
    os.chmod(path, COPY_MODE)  # whatever the umask said


def copy_database(source: Path, dest: Path, *, read_only: bool = False) -> Path:
    """Copy the SQLite database at ``source`` into the new file ``dest`` (mode 600), atomically.

    The copy is written beside ``dest`` first and renamed into place once complete and on disk,
    so ``dest`` is either absent or a whole copy. ``read_only`` opens the source without any
    write (a backup file given by a person: its folder gets no ``-wal``/``-shm`` files).
    """
    dest = Path(dest)
    if dest.exists():
        raise BackupError(
            f"{dest} exists already: choose a new file name (a backup is never overwritten)"
        )
    if not Path(source).is_file():
        raise BackupError(f"there is no file {source}")
    part = dest.with_name(f".{dest.name}.part")
    part.unlink(missing_ok=True)
    try:
        _new_private_file(part)
    except OSError as exc:
        raise BackupError(
            f"cannot write {dest} ({exc.strerror}): choose a folder this user may write to"
        ) from None
    try:
        uri = f"file:{Path(source).resolve()}?mode=ro" if read_only else str(source)
        src = sqlite3.connect(uri, uri=read_only, timeout=10)
        try:
            target = sqlite3.connect(str(part))
            try:
                src.backup(target)  # one step: one consistent snapshot of the source
                # A self-contained file: opening it (read-only, to check it) then leaves no
                # -wal/-shm beside it. The store sets WAL again when it opens a restored copy.
                target.execute("PRAGMA journal_mode = DELETE")
            finally:
                target.close()
        finally:
            src.close()
        with part.open("rb+") as handle:
            os.fsync(handle.fileno())
        os.replace(part, dest)
        _fsync_dir(dest.parent)
    except sqlite3.DatabaseError as exc:
        part.unlink(missing_ok=True)
        raise BackupError(f"{source} could not be copied: {exc} (is it a kiosk store?)") from None
    except BaseException:
        part.unlink(missing_ok=True)
        raise
    return dest


@dataclass(frozen=True)
class CopyCheck:
    """What :func:`check_copy` found in a copy of a store."""

    path: Path
    integrity: str
    schema_version: int
    terminal_ids: tuple[str, ...]
    journal: JournalVerdict
    transactions: int

    @property
    def ok(self) -> bool:
        return (
            self.integrity == "ok"
            and self.journal.ok
            and 1 <= self.schema_version <= SCHEMA_VERSION
            and len(self.terminal_ids) == 1
        )

    @property
    def problem(self) -> str | None:
        """Why the copy may not be used, in words; None when it may."""
        if self.integrity != "ok":
            return f"SQLite's integrity check failed: {self.integrity}"
        if self.schema_version > SCHEMA_VERSION:
            return (
                f"it was written by a newer version of the terminal software (schema "
                f"{self.schema_version}, this one knows {SCHEMA_VERSION})"
            )
        if self.schema_version < 1 or not self.terminal_ids:
            return "it holds no terminal's store"
        if len(self.terminal_ids) > 1:
            return f"it holds several terminals ({', '.join(self.terminal_ids)})"
        if not self.journal.ok:
            return (
                f"its journal is broken at event {self.journal.first_bad_seq}: "
                f"{self.journal.reason}"
            )
        return None

    def to_dict(self) -> dict[str, Any]:
        return {
            "path": str(self.path),
            "ok": self.ok,
            "integrity": self.integrity,
            "schema_version": self.schema_version,
            "terminal_ids": list(self.terminal_ids),
            "journal": self.journal.to_dict(),
            "transactions": self.transactions,
            "problem": self.problem,
        }


def check_copy(path: Path, *, key: str | bytes | None = None) -> CopyCheck:
    """Integrity check, schema version, terminal id(s) and journal of the store file ``path``.

    Opens the file read-only; ``path`` should be a copy (no ``-wal`` beside it), as
    :func:`copy_database` writes.
    """
    try:
        conn = sqlite3.connect(
            f"file:{Path(path).resolve()}?mode=ro", uri=True, isolation_level=None
        )
    except sqlite3.Error as exc:
        raise BackupError(f"cannot open {path}: {exc}") from None
    try:
        try:
            rows = conn.execute("PRAGMA integrity_check").fetchall()
        except sqlite3.DatabaseError as exc:
            raise BackupError(f"{path} is not a kiosk store ({exc})") from None
        integrity = "; ".join(str(row[0]) for row in rows[:5]) or "no answer"
        version = int(conn.execute("PRAGMA user_version").fetchone()[0])
        try:
            ids = tuple(
                str(row[0])
                for row in conn.execute("SELECT terminal_id FROM sequence ORDER BY terminal_id")
            )
            count = int(conn.execute("SELECT count(*) FROM transactions").fetchone()[0])
        except sqlite3.OperationalError:
            ids, count = (), 0
        if version < 1:
            journal = JournalVerdict(ok=False, checked=0, reason="no journal: not a kiosk store")
        else:
            journal = verify_journal_on(conn, key=key)
    finally:
        conn.close()
    return CopyCheck(
        path=Path(path),
        integrity=integrity,
        schema_version=version,
        terminal_ids=ids,
        journal=journal,
        transactions=count,
    )


def migration_backup_path(store_path: Path, version: int, at: datetime) -> Path:
    """Where the copy made before upgrading the store from ``version`` goes: next to it."""
    stamp = at.strftime("%Y%m%dT%H%M%S%fZ")
    return store_path.with_name(f"{store_path.name}.schema-v{version}-{stamp}.bak")


def backup_before_migration(
    store_path: Path,
    now: Callable[[], datetime],
    made: list[Path],
    *,
    key: str | bytes | None = None,
) -> Callable[[int], None]:
    """The ``backup`` hook of :func:`offline_queue.schema.migrate` for the file ``store_path``.

    Called inside the migration's write lock, before its first statement, so the copy is
    exactly the old version (read through a connection of its own: WAL lets it in beside the
    held write lock). The copy's path is appended to ``made``; ``key`` (the terminal's) lets
    the check verify a keyed journal.
    """

    def backup(version: int) -> None:
        dest = migration_backup_path(store_path, version, now())
        copy_database(store_path, dest)
        check = check_copy(dest, key=key)
        if check.integrity != "ok" or check.schema_version != version:
            raise BackupError(
                f"the backup {dest} made before upgrading the store failed its check "
                f"({check.problem or 'schema version changed'}); the store was not upgraded"
            )
        made.append(dest)

    return backup


__all__ = [
    "COPY_MODE",
    "BackupError",
    "CopyCheck",
    "backup_before_migration",
    "check_copy",
    "copy_database",
    "migration_backup_path",
]
