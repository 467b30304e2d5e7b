"""Files only the kiosk user may read: the store, its WAL/SHM, the lock, backups, kiosk.toml.

The store holds clerks' PIN hashes, the journal and (until delivered) an offline advice's card
number; kiosk.toml holds the signing key. Modes are set explicitly, never left to the umask:
a file is created 600 and a folder the kiosk creates is 700, even under ``umask 000``. SQLite
gives a database's ``-wal`` and ``-shm`` files the database file's own mode, so creating the
database file 600 before SQLite opens it is what keeps those private too.
"""

from __future__ import annotations

import os
import stat
from pathlib import Path

FILE_MODE = 0o600
FOLDER_MODE = 0o700


def make_private_folder(folder: Path) -> None:
    """Create ``folder`` and any missing parents with mode 700; existing folders are left."""
    missing: list[Path] = []
    current = folder
    while not current.exists():
        missing.append(current)
        if current.parent == current:
            break
        current = current.parent
    for path in reversed(missing):
        try:
            path.mkdir(mode=FOLDER_MODE)
        except FileExistsError:
            continue
        os.chmod(path, FOLDER_MODE)  # mkdir's mode is filtered by the umask; this is not


def open_private(path: Path, flags: int = os.O_RDWR) -> int:
    """Open (creating if missing) ``path`` as a mode-600 file; returns the descriptor."""
    descriptor = os.open(path, flags | os.O_CREAT, FILE_MODE)
    try:
        if stat.S_IMODE(os.fstat(descriptor).st_mode) != FILE_MODE:
            os.fchmod(descriptor, FILE_MODE)
    except BaseException:
        os.close(descriptor)
        raise
    return descriptor


def create_private_file(path: Path) -> None:
    """Make sure ``path`` exists as a mode-600 file (an empty file is a valid new database)."""
    os.close(open_private(path, os.O_WRONLY))


def tighten(path: Path) -> None:
    """Take group and other access away from an existing file this user owns."""
    try:
        info = path.stat()
    except FileNotFoundError:
        return
    if info.st_uid == os.getuid() and stat.S_IMODE(info.st_mode) & 0o077:
        os.chmod(path, stat.S_IMODE(info.st_mode) & 0o700)


def private_database(path: Path) -> None:
    """Before SQLite opens ``path``: the file (created if missing) and its WAL/SHM are 600."""
    if str(path) in ("", ":memory:") or str(path).startswith("file:"):
        return
    if not path.parent.exists():
        return  # connect() says which folder is missing; it is not created here
    create_private_file(path)
    for companion in (path, Path(f"{path}-wal"), Path(f"{path}-shm"), Path(f"{path}-journal")):
        tighten(companion)


__all__ = [
    "FILE_MODE",
    "FOLDER_MODE",
    "create_private_file",
    "make_private_folder",
    "open_private",
    "private_database",
    "tighten",
]
