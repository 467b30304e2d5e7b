"""The ``Idempotency-Key`` header of the local API, and finding a request by its key.

* every state-changing POST (sales, stornos, reprints, X and Z reports) takes the optional
  header; the semantics are in :mod:`terminal.idempotency`;
* ``GET /idempotency-keys/{key}`` -- what a key did: its endpoint, its ``txn`` (a sale's number,
  kept in the same store transaction as the sale) and the first answer once given; with a
  ``txn``, the transaction as the store holds it now. The till's way back after a crash.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from datetime import datetime
from typing import Annotated, Any

from fastapi import APIRouter, Header, Path
from fastapi.responses import JSONResponse

from offline_queue.errors import UnknownTransaction
from terminal.errors import KioskError
from terminal.idempotency import KEY_PATTERN, Answer
from terminal.kiosk import Kiosk
from terminal.routes.schemas import Model, Transaction, answer, errors

#: The header as every state-changing endpoint declares it (so the OpenAPI document shows it).
IdempotencyKey = Annotated[
    str | None,
    Header(
        alias="Idempotency-Key",
        pattern=KEY_PATTERN,
        max_length=255,
        description=(
            "Send a new unique key (a UUID) per request and the same key to repeat it: the "
            "repeat gets the first answer (409 in_progress while it still runs) and never does "
            "it twice; the key with another body is refused (422 idempotency_key_reused). "
            "Keys are kept at least 24 h."
        ),
    ),
]


class UnknownIdempotencyKey(KioskError):
    code = "unknown_idempotency_key"


class IdempotencyEntry(Model):
    """What the request sent with a key did; ``transaction`` is there when it has a ``txn``."""

    idempotency_key: str
    #: e.g. ``POST /api/v1/sales``
    endpoint: str
    txn: str | None
    #: the first answer's status and body, once given (null while the request runs)
    status: int | None
    response: dict[str, Any] | None
    created_at: datetime
    completed_at: datetime | None
    #: the transaction as the store holds it now (null if the sale never got that far)
    transaction: Transaction | None = None


def respond(kept: Answer) -> JSONResponse:
    return JSONResponse(status_code=kept.status, content=kept.body)


def keyed(
    kiosk: Kiosk,
    key: str | None,
    *,
    endpoint: str,
    body: Mapping[str, Any],
    action: Callable[[], Answer],
    txn: str | None = None,
) -> JSONResponse:
    """``action`` under ``key`` when the till sent one, else once as is."""
    if key is None:
        return respond(action())
    kept = kiosk.idempotency.run(key=key, endpoint=endpoint, body=body, action=action, txn=txn)
    return respond(kept)


def router(kiosk: Kiosk) -> APIRouter:
    routes = APIRouter(tags=["idempotency"])

    @routes.get("/idempotency-keys/{key}", response_model=IdempotencyEntry, responses=errors(404))
    def find_idempotency_key(
        key: Annotated[str, Path(pattern=KEY_PATTERN, max_length=255)],
    ) -> JSONResponse:
        """What the request sent with this key did: its transaction and its first answer."""
        entry = kiosk.idempotency.entry(key)
        if entry is None:
            raise UnknownIdempotencyKey(
                "No request with this Idempotency-Key was kept (never received, refused before "
                "it changed anything, or older than the 48 h keys are kept)."
            )
        found = entry.to_dict()
        if entry.txn is not None:
            try:
                found["transaction"] = kiosk.store.get(entry.txn).to_dict()
            except UnknownTransaction:
                found["transaction"] = None
        return answer(found)

    return routes


__all__ = [
    "IdempotencyEntry",
    "IdempotencyKey",
    "UnknownIdempotencyKey",
    "keyed",
    "respond",
    "router",
]
