"""Local API: a copy of the store from the process that owns it (``kiosk backup``).

* ``POST /store/backup`` -- the store as one SQLite file (SQLite's online backup: one
  consistent snapshot while sales go on), checked here before it is sent; the caller checks its
  own copy again. The body is the file; ``X-Terminal-Id`` and ``X-Schema-Version`` say whose
  and which.

Why the running process makes the copy: it owns the store, and on a counter the store's folder
is the kiosk user's alone (mode 700), so another user's ``kiosk backup`` could not read it.
The copy is made in the store's folder and unlinked as soon as it is open for sending, so
nothing is left behind however the download ends.
"""

from __future__ import annotations

import os
import secrets
import threading
from collections.abc import Iterator
from pathlib import Path
from typing import Any, BinaryIO

from fastapi import APIRouter
from fastapi.responses import StreamingResponse

from offline_queue.backup import BackupError, check_copy, copy_database
from terminal.backup import BackupRefused
from terminal.kiosk import Kiosk
from terminal.routes.schemas import Error, errors

MEDIA_TYPE = "application/vnd.sqlite3"
CHUNK = 1 << 16

RESPONSES: dict[int | str, dict[str, Any]] = {
    200: {
        "description": "The store as one SQLite file (mode 600 once written by `kiosk backup`).",
        "content": {MEDIA_TYPE: {"schema": {"type": "string", "format": "binary"}}},
        "headers": {
            "X-Terminal-Id": {"schema": {"type": "string"}, "description": "whose store"},
            "X-Schema-Version": {"schema": {"type": "integer"}, "description": "its schema"},
        },
    },
    **errors(),
    422: {"model": Error, "description": "The copy could not be made or failed its check."},
}


def router(kiosk: Kiosk) -> APIRouter:
    api = APIRouter(tags=["backup"])
    store = kiosk.store.path
    sending: set[Path] = set()
    lock = threading.Lock()

    def _remove(path: Path) -> None:
        with lock:
            sending.discard(path)
        path.unlink(missing_ok=True)

    def _sweep() -> None:
        # What a process killed mid-backup left (the copy, or its part file): remove any copy
        # no request of this process is making now.
        with lock:
            for pattern in (f".{store.name}.backup-*", f"..{store.name}.backup-*.part"):
                for leftover in store.parent.glob(pattern):
                    made = leftover.with_name(leftover.name.removeprefix(".").removesuffix(".part"))
                    if leftover not in sending and made not in sending:
                        leftover.unlink(missing_ok=True)

    def _chunks(handle: BinaryIO) -> Iterator[bytes]:
        with handle:
            while data := handle.read(CHUNK):
                yield data

    @api.post("/store/backup", response_class=StreamingResponse, responses=RESPONSES)
    def backup_store() -> StreamingResponse:
        """A checked copy of the store, made with SQLite's online backup while the kiosk sells."""
        _sweep()
        copy = store.with_name(f".{store.name}.backup-{os.getpid()}-{secrets.token_hex(6)}")
        with lock:
            sending.add(copy)
        try:
            copy_database(store, copy)
            check = check_copy(copy, key=kiosk.config.terminal.key)
        except BackupError as exc:
            _remove(copy)
            raise BackupRefused(f"The store could not be copied: {exc}.") from None
        if check.problem is not None:
            _remove(copy)
            raise BackupRefused(f"The copy of the store failed its check: {check.problem}.")
        handle = copy.open("rb")
        size = os.fstat(handle.fileno()).st_size
        _remove(copy)  # the open handle keeps the bytes; the folder keeps no copy
        return StreamingResponse(
            _chunks(handle),
            media_type=MEDIA_TYPE,
            headers={
                "Content-Length": str(size),
                "Content-Disposition": 'attachment; filename="kiosk-store.sqlite"',
                "X-Terminal-Id": kiosk.config.terminal.id,
                "X-Schema-Version": str(check.schema_version),
            },
        )

    return api


__all__ = ["MEDIA_TYPE", "router"]
