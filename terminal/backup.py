"""``kiosk backup`` and ``kiosk restore``: copies of the terminal's store, checked before trusted.

Backup goes through the running kiosk process when there is one (``POST
/api/v1/store/backup``): it owns the store, and its folder may be readable by the kiosk user
only. Otherwise the copy is made here. Either way the copy is SQLite's online backup (one
consistent snapshot while sales go on) and is checked after it was written: integrity check
and journal verify on the copy itself.

Restore replaces the store, so it runs only while no kiosk process serves the terminal (it
holds the terminal's lock meanwhile, so none can start), takes only this terminal's backups,
checks the backup before anything is replaced, and keeps the replaced store aside. Transaction
numbers never go back: an older backup continues numbering after the replaced store's last
number, so no number the host has seen is used twice. The restore is journalled.
"""

from __future__ import annotations

import fcntl
import os
import sqlite3
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import requests

from offline_queue.backup import COPY_MODE, BackupError, CopyCheck, check_copy, copy_database
from offline_queue.store import Store
from terminal.config import KioskConfig
from terminal.errors import KioskError
from terminal.kiosk import lock_path, running_kiosk

#: Bytes per chunk when a backup streams from the running kiosk.
CHUNK = 1 << 16


class BackupRefused(KioskError):
    """The copy could not be made, or it failed its check."""

    code = "backup_failed"


class RestoreRefused(KioskError):
    """The backup may not replace this terminal's store (see the message for why)."""

    code = "restore_refused"


@dataclass(frozen=True)
class BackupResult:
    path: Path
    through_kiosk: bool
    check: CopyCheck

    def to_dict(self) -> dict[str, Any]:
        return {
            "path": str(self.path),
            "through_kiosk": self.through_kiosk,
            "check": self.check.to_dict(),
        }


@dataclass(frozen=True)
class RestoreResult:
    restored_from: Path
    store: Path
    kept_aside: Path | None
    check: CopyCheck
    #: the last transaction number's sequence the restored store continues after
    sequence: int

    def to_dict(self) -> dict[str, Any]:
        return {
            "restored_from": str(self.restored_from),
            "store": str(self.store),
            "kept_aside": None if self.kept_aside is None else str(self.kept_aside),
            "check": self.check.to_dict(),
            "sequence": self.sequence,
        }


def _stamp() -> str:
    return datetime.now(UTC).strftime("%Y%m%dT%H%M%SZ")


def _checked(path: Path, terminal_id: str, key: str) -> CopyCheck:
    """The copy's check; :class:`BackupRefused` unless it is a sound store of ``terminal_id``."""
    try:
        check = check_copy(path, key=key)
    except BackupError as exc:
        raise BackupRefused(str(exc)) from None
    if check.problem is not None:
        raise BackupRefused(f"The copy {path} failed its check: {check.problem}.")
    if check.terminal_ids != (terminal_id,):
        raise BackupRefused(
            f"The copy {path} is of terminal {', '.join(check.terminal_ids)}, not {terminal_id}."
        )
    return check


def _receive(response: requests.Response, dest: Path) -> None:
    """Write a streamed copy to the new file ``dest`` (mode 600), whole or not at all."""
    part = dest.with_name(f".{dest.name}.part")
    part.unlink(missing_ok=True)
    try:
        descriptor = os.open(part, os.O_WRONLY | os.O_CREAT | os.O_EXCL, COPY_MODE)
    except OSError as exc:
        raise BackupRefused(
            f"Cannot write {dest} ({exc.strerror}): choose a folder this user may write to."
        ) from None
    try:
        with os.fdopen(descriptor, "wb") as handle:
            for chunk in response.iter_content(CHUNK):
                handle.write(chunk)
            handle.flush()
            os.fsync(handle.fileno())
        os.replace(part, dest)
    except BaseException:
        part.unlink(missing_ok=True)
        raise


def backup_store(config: KioskConfig, dest: Path) -> BackupResult:
    """Copy the terminal's store to the new file ``dest`` and check the copy."""
    dest = Path(dest).absolute()
    if dest.exists():
        raise BackupRefused(f"{dest} exists already: choose a new file name.")
    if not dest.parent.is_dir():
        raise BackupRefused(f"There is no folder {dest.parent}: create it or choose another.")
    running = running_kiosk(config)
    if running is not None:
        from terminal.client.remote import RemoteKioskClient

        response = RemoteKioskClient(running).request("POST", "/api/v1/store/backup", stream=True)
        with response:
            if response.status_code != 200:
                try:
                    error = response.json().get("error", {})
                except ValueError:
                    error = {}
                raise BackupRefused(
                    str(error.get("message") or f"The kiosk answered {response.status_code}."),
                ) from None
            _receive(response, dest)
        through = True
    else:
        if not config.store.path.exists():
            raise BackupRefused(
                f"No store at {config.store.path}: the kiosk has not run here yet, so there is "
                "nothing to back up."
            )
        try:
            copy_database(config.store.path, dest)
        except BackupError as exc:
            raise BackupRefused(str(exc)) from None
        through = False
    try:
        check = _checked(dest, config.terminal.id, config.terminal.key)
    except BackupRefused:
        bad = dest.with_name(dest.name + ".failed-check")
        os.replace(dest, bad)
        raise
    return BackupResult(dest, through, check)


@contextmanager
def holding_terminal(config: KioskConfig) -> Iterator[None]:
    """The terminal's process lock, so no kiosk process starts while the store is replaced."""
    path = lock_path(config)
    path.parent.mkdir(parents=True, exist_ok=True)
    with path.open("a+") as handle:
        os.chmod(path, 0o600)  # the kiosk writes its API token into it
        try:
            fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            running = running_kiosk(config)
            pid = f" (pid {running.pid})" if running is not None and running.pid else ""
            raise RestoreRefused(
                f"A kiosk process{pid} serves this terminal: stop it first (systemctl stop "
                "kiosk, or Ctrl-C), then restore. Nothing was changed."
            ) from None
        try:
            yield
        finally:
            fcntl.flock(handle, fcntl.LOCK_UN)


def _set_aside(store: Path) -> Path | None:
    """Move the current store (and its WAL) to ``<store>.replaced-<time>``; None if none."""
    if not store.exists():
        return None
    try:  # fold the WAL into the main file, so the file set aside stands on its own
        conn = sqlite3.connect(str(store), timeout=10)
        try:
            conn.execute("PRAGMA wal_checkpoint(TRUNCATE)")
        finally:
            conn.close()
    except sqlite3.Error:
        pass  # a damaged store: it is moved aside as it is, WAL and all
    aside = store.with_name(f"{store.name}.replaced-{_stamp()}")
    os.replace(store, aside)
    os.chmod(aside, COPY_MODE)  # kept like a backup: the sales in it are nobody else's to read
    for suffix in ("-wal", "-shm"):
        extra = store.with_name(store.name + suffix)
        if extra.exists():
            moved = aside.with_name(aside.name + suffix)
            os.replace(extra, moved)
            os.chmod(moved, COPY_MODE)
    return aside


#: The journal event a restore writes into the restored store.
RESTORED_EVENT = "store_restored"


def _last_sequence(store: Path, terminal_id: str) -> int:
    """The highest sequence number ``store`` used (0 for none, or a store that cannot be read)."""
    if not store.exists():
        return 0
    try:
        conn = sqlite3.connect(str(store), timeout=10)
        try:
            row = conn.execute(
                "SELECT max(coalesce((SELECT last_value FROM sequence WHERE terminal_id = ?), 0), "
                "coalesce((SELECT max(CAST(substr(txn, 6) AS INTEGER)) FROM transactions "
                "WHERE terminal_id = ?), 0))",
                (terminal_id, terminal_id),
            ).fetchone()
        finally:
            conn.close()
    except sqlite3.Error:
        return 0
    return int(row[0] or 0)


def _continue_numbering(copy: Path, terminal_id: str, after: int) -> int:
    """Let the restored copy's next number follow ``after``; its sequence value then."""
    conn = sqlite3.connect(str(copy), timeout=10)
    try:
        with conn:
            conn.execute(
                "UPDATE sequence SET last_value = ? WHERE terminal_id = ? AND last_value < ?",
                (after, terminal_id, after),
            )
        row = conn.execute(
            "SELECT last_value FROM sequence WHERE terminal_id = ?", (terminal_id,)
        ).fetchone()
    finally:
        conn.close()
    return int(row[0])


def restore_store(config: KioskConfig, source: Path) -> RestoreResult:
    """Replace the terminal's store with the backup ``source``, keeping the old one aside.

    Refused (nothing changed) while a kiosk process serves the terminal, for a file that is not
    a sound store, and for another terminal's backup.
    """
    source = Path(source).absolute()
    store = config.store.path
    if not source.is_file():
        raise RestoreRefused(f"There is no backup file {source}.")
    with holding_terminal(config):
        store.parent.mkdir(parents=True, exist_ok=True)
        incoming = store.with_name(f"{store.name}.restoring-{_stamp()}")
        try:
            copy_database(source, incoming, read_only=True)
        except BackupError as exc:
            raise RestoreRefused(f"{exc}. Nothing was changed.") from None
        try:
            check = check_copy(incoming, key=config.terminal.key)
            if check.problem is not None:
                raise RestoreRefused(
                    f"{source} may not be restored: {check.problem}. Nothing was changed."
                )
            if check.terminal_ids != (config.terminal.id,):
                raise RestoreRefused(
                    f"{source} is a backup of terminal {', '.join(check.terminal_ids)}; this is "
                    f"terminal {config.terminal.id}. Restore only this terminal's own backups. "
                    "Nothing was changed."
                )
            terminal_id = config.terminal.id
            sequence = _continue_numbering(
                incoming, terminal_id, _last_sequence(store, terminal_id)
            )
            aside = _set_aside(store)
            os.replace(incoming, store)
        finally:
            incoming.unlink(missing_ok=True)
        descriptor = os.open(store.parent, os.O_RDONLY)
        try:
            os.fsync(descriptor)
        finally:
            os.close(descriptor)
        with Store(store, terminal_id=config.terminal.id, key=config.terminal.key) as restored:
            restored.journal_event(
                None,
                RESTORED_EVENT,
                {
                    "backup": source.name,
                    "kept_aside": None if aside is None else aside.name,
                    "sequence": sequence,
                },
            )
    return RestoreResult(source, store, aside, check, sequence)


__all__ = [
    "BackupRefused",
    "BackupResult",
    "RestoreRefused",
    "RestoreResult",
    "backup_store",
    "holding_terminal",
    "restore_store",
]
