"""Local API: a copy of the store from the process that owns it (``kiosk backup``).

* ``POST /store/backup`` -- the store as one SQLite file (SQLite's online backup: one
  consistent snapshot while sales go on), checked here before it is sent; the caller checks its
  own copy again. The body is the file; ``X-Terminal-Id`` and ``X-Schema-Version`` say whose
  and which.

Why the running process makes the copy: it owns the store, and on a counter the store's folder
is the kiosk user's alone (mode 700), so another user's ``kiosk backup`` could not read it.
The copy is made in the store's folder and removed once sent.
"""

from __future__ import annotations

import os
import secrets
from pathlib import Path
from typing import Any

from fastapi import APIRouter
from fastapi.responses import FileResponse
from starlette.background import BackgroundTask

from offline_queue.backup import BackupError, check_copy, copy_database
from terminal.backup import BackupRefused
from terminal.kiosk import Kiosk

MEDIA_TYPE = "application/vnd.sqlite3"

_ERROR = {
    "content": {
        "application/json": {
            "schema": {
                "type": "object",
                "required": ["error"],
                "properties": {
                    "error": {
                        "type": "object",
                        "required": ["code", "message"],
                        "properties": {
                            "code": {"type": "string"},
                            "message": {"type": "string"},
                        },
                    }
                },
            }
        }
    }
}

RESPONSES: dict[int | str, dict[str, Any]] = {
    200: {
        "description": "The store as one SQLite file (mode 600 once written by `kiosk backup`).",
        "content": {MEDIA_TYPE: {"schema": {"type": "string", "format": "binary"}}},
        "headers": {
            "X-Terminal-Id": {"schema": {"type": "string"}, "description": "whose store"},
            "X-Schema-Version": {"schema": {"type": "integer"}, "description": "its schema"},
        },
    },
    422: {"description": "The copy could not be made or failed its check.", **_ERROR},
}


def _remove(path: Path) -> None:
    path.unlink(missing_ok=True)


def router(kiosk: Kiosk) -> APIRouter:
    api = APIRouter()

    @api.post("/store/backup", response_class=FileResponse, responses=RESPONSES)
    def backup() -> FileResponse:
        """A checked copy of the store, made with SQLite's online backup while the kiosk sells."""
        store = kiosk.store.path
        copy = store.with_name(f".{store.name}.backup-{os.getpid()}-{secrets.token_hex(6)}")
        try:
            copy_database(store, copy)
            check = check_copy(copy)
        except BackupError as exc:
            _remove(copy)
            raise BackupRefused(f"The store could not be copied: {exc}.") from None
        if check.problem is not None:
            _remove(copy)
            raise BackupRefused(f"The copy of the store failed its check: {check.problem}.")
        return FileResponse(
            copy,
            media_type=MEDIA_TYPE,
            filename="kiosk-store.sqlite",
            headers={
                "X-Terminal-Id": kiosk.config.terminal.id,
                "X-Schema-Version": str(check.schema_version),
            },
            background=BackgroundTask(_remove, copy),
        )

    return api


__all__ = ["MEDIA_TYPE", "router"]
