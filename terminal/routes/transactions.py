"""Local API of finding transactions: one by its number, or a lookup by what the customer knows.

* ``GET /transactions/{txn}`` -- the transaction as the store holds it and its outbox messages.
* ``GET /lookup`` -- by number, phone, card's last four, IMEI or time: local state, outbox
  states and the host's live view of each transaction found (newest first).

Thin over the store and ``kiosk.lookups``; an unknown number is 404 ``unknown_transaction``.
"""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Any

from fastapi import APIRouter, Query
from fastapi.responses import JSONResponse
from pydantic import Field

from terminal.kiosk import Kiosk
from terminal.lookup import DEFAULT_LIMIT, LookupQuery, aware
from terminal.routes.schemas import Model, OutboxMessage, Transaction, answer, errors


class TransactionView(Model):
    """A transaction and every message the outbox holds for it."""

    transaction: Transaction
    outbox: list[OutboxMessage]


class LookupEcho(Model):
    """The lookup's criteria as understood (a whole card number searched for comes back masked)."""

    txn: str | None
    phone: str | None
    card_last4: str | None
    imei: str | None
    since: datetime | None
    until: datetime | None


class LookupOutbox(Model):
    """An outbox message as a lookup shows it (no payload)."""

    kind: str
    state: str
    attempts: int
    last_error: str | None
    created_at: datetime
    delivered_at: datetime | None
    message_id: str


class LookupEntry(Model):
    txn: str
    local: Transaction | None
    outbox: list[LookupOutbox]
    #: the host's own record of the transaction (its shape is the host's: docs/host-protocol.md)
    host: dict[str, Any] | None
    host_note: str | None
    verdict: str


class LookupResult(Model):
    query: LookupEcho
    host_reachable: bool | None
    host_note: str | None
    entries: list[LookupEntry]


def router(kiosk: Kiosk) -> APIRouter:
    routes = APIRouter(tags=["transactions"])

    @routes.get("/transactions/{txn}", response_model=TransactionView, responses=errors(404))
    def get_transaction(txn: Annotated[str, Field(pattern=r"^[0-9]{14}$")]) -> JSONResponse:
        """The transaction as the store holds it now, with its outbox messages."""
        record = kiosk.store.get(txn)
        return answer(
            {
                "transaction": record.to_dict(),
                "outbox": [m.to_dict() for m in kiosk.store.outbox_for(txn)],
            }
        )

    @routes.get("/lookup", response_model=LookupResult, responses=errors())
    def lookup(
        txn: Annotated[str | None, Query(max_length=40)] = None,
        phone: Annotated[str | None, Query(max_length=40)] = None,
        card_last4: Annotated[str | None, Query(max_length=4)] = None,
        imei: Annotated[str | None, Query(max_length=20)] = None,
        since: datetime | None = None,
        until: datetime | None = None,
        limit: Annotated[int, Query(gt=0, le=500)] = DEFAULT_LIMIT,
    ) -> JSONResponse:
        """Local state, outbox states and the host's live view of the transactions found."""
        zone = kiosk.config.terminal.timezone
        query = LookupQuery(
            txn=txn,
            phone=phone,
            card_last4=card_last4,
            imei=imei,
            since=aware(since, zone),
            until=aware(until, zone),
            limit=limit,
        )
        return answer(kiosk.lookups.lookup(query).to_dict())

    return routes


__all__ = ["LookupResult", "TransactionView", "router"]
