"""python-escpos's capabilities cache in one persistent, private folder instead of a new temp one.

``escpos.capabilities`` pickles its printer database at import time into
``$ESCPOS_CAPABILITIES_PICKLE_DIR``, and evaluates ``mkdtemp()`` as that variable's default even
when it is set: every process that imports it leaves a folder in ``$TMPDIR`` (on an SD card, for
months) and rebuilds the pickle (about 0.3 s). :func:`load` imports it once per process with the
variable pointing at the kiosk's cache folder and ``mkdtemp`` answering that folder, under a lock
so that two processes starting together never read a half-written pickle.

The folder, first that is set: ``$KIOSK_CACHE_DIR``; ``$CACHE_DIRECTORY`` (systemd's
``CacheDirectory=``); ``$XDG_CACHE_HOME/kiosk``; ``~/.cache/kiosk``. It is created mode 700 and
used only if this user owns it and nobody else may write it (a pickle runs code when loaded),
with one subfolder per python-escpos version. A user who set ``ESCPOS_CAPABILITIES_PICKLE_DIR``
keeps it. Where no such folder can be had, the pickle goes to a temp folder removed at exit.
"""

from __future__ import annotations

import atexit
import fcntl
import os
import shutil
import stat
import sys
import tempfile
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from importlib import metadata
from pathlib import Path
from typing import Any

PICKLE_DIR_VARIABLE = "ESCPOS_CAPABILITIES_PICKLE_DIR"
_MODULE = "escpos.capabilities"
_lock = threading.Lock()


class CacheFolderUnusable(OSError):
    """The cache folder cannot be made private to this user (not ours, or others may write)."""


def cache_root() -> Path:
    """The kiosk's cache folder, from the environment (see the module's docstring)."""
    for variable in ("KIOSK_CACHE_DIR", "CACHE_DIRECTORY"):
        value = os.environ.get(variable, "")
        if value:
            # systemd may list several folders separated by ':'; the first is ours
            return Path(value.split(":")[0] if variable == "CACHE_DIRECTORY" else value)
    xdg = os.environ.get("XDG_CACHE_HOME", "")
    if xdg and Path(xdg).is_absolute():
        return Path(xdg) / "kiosk"
    return Path.home() / ".cache" / "kiosk"


def private_folder(path: Path) -> Path:
    """``path`` created mode 700 if missing; refused unless this user owns it and only we write."""
    path.mkdir(mode=0o700, parents=True, exist_ok=True)
    info = path.stat()
    if not stat.S_ISDIR(info.st_mode) or info.st_uid != os.getuid():
        raise CacheFolderUnusable(f"{path} is not a folder of this user")
    if info.st_mode & 0o077:
        os.chmod(path, 0o700)
    return path


def pickle_folder() -> Path:
    """This python-escpos version's folder in the cache (a pickle of another may not fit)."""
    try:
        version = metadata.version("python-escpos")
    except metadata.PackageNotFoundError:
        version = "unknown"
    root = private_folder(cache_root())
    return private_folder(root / f"escpos-{version}")


@contextmanager
def _mkdtemp_answers(folder: Path) -> Iterator[None]:
    """While ``escpos.capabilities`` is imported, its eager ``mkdtemp()`` returns ``folder``."""
    real = tempfile.mkdtemp

    def instead(*_args: Any, **_kwargs: Any) -> str:
        return str(folder)

    tempfile.mkdtemp = instead  # type: ignore[assignment]
    try:
        yield
    finally:
        tempfile.mkdtemp = real


def _temporary_folder() -> Path:
    folder = Path(tempfile.mkdtemp(prefix="kiosk-escpos-"))
    atexit.register(shutil.rmtree, folder, ignore_errors=True)
    return folder


def load() -> Any:
    """Import ``escpos.capabilities`` the kiosk's way (once per process); its module."""
    with _lock:
        if _MODULE in sys.modules:
            return sys.modules[_MODULE]
        chosen = os.environ.get(PICKLE_DIR_VARIABLE, "")
        if chosen:
            folder = Path(chosen)
        else:
            try:
                folder = pickle_folder()
            except OSError:
                folder = _temporary_folder()
            os.environ[PICKLE_DIR_VARIABLE] = str(folder)
        with _mkdtemp_answers(folder), _exclusive(folder):
            import escpos.capabilities as capabilities

        return capabilities


@contextmanager
def _exclusive(folder: Path) -> Iterator[None]:
    """One process at a time reads or (re)writes the pickle; without the folder, no lock."""
    try:
        handle = os.open(folder / "capabilities.lock", os.O_RDWR | os.O_CREAT, 0o600)
    except OSError:
        yield
        return
    try:
        fcntl.flock(handle, fcntl.LOCK_EX)
        yield
    finally:
        os.close(handle)


def capabilities() -> dict[str, Any]:
    """python-escpos's printer database (profiles, code pages), loaded through :func:`load`."""
    table: dict[str, Any] = load().CAPABILITIES
    return table


__all__ = [
    "PICKLE_DIR_VARIABLE",
    "CacheFolderUnusable",
    "cache_root",
    "capabilities",
    "load",
    "pickle_folder",
    "private_folder",
]
