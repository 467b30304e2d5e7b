"""Local API of the customer's five minutes: storno, reprint and lookup.

Thin over the services (``kiosk.stornos``, ``kiosk.reprints``, ``kiosk.lookups``): refusals are
their named errors, which ``terminal.api`` turns into ``{"error": {"code", "message"}}``. A storno
whose slip did not print is not an error but an outcome the clerk must act on: 409 with the
outcome, like a sale that did not print.
"""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Any, Literal

from fastapi import APIRouter, Query
from fastapi.responses import JSONResponse
from pydantic import BaseModel, ConfigDict, Field

from terminal.idempotency import Answer
from terminal.kiosk import Kiosk
from terminal.lookup import DEFAULT_LIMIT, LookupQuery, aware
from terminal.routes.idempotency import IdempotencyKey, keyed


class StornoBody(BaseModel):
    """A storno as the till sends it: the number typed or scanned (``TXN:...`` accepted)."""

    model_config = ConfigDict(extra="forbid")

    txn: str = Field(min_length=14, max_length=40)
    reason: str = Field(min_length=1, max_length=40)
    clerk: str = Field(min_length=1, max_length=40)


class ReprintBody(BaseModel):
    """Leave ``txn`` out for the last slip printed at this terminal."""

    model_config = ConfigDict(extra="forbid")

    txn: str | None = Field(default=None, min_length=14, max_length=40)
    slip: Literal["sale", "storno"] | None = None


def router(kiosk: Kiosk) -> APIRouter:
    routes = APIRouter()

    @routes.post("/stornos")
    def storno(body: StornoBody, idempotency_key: IdempotencyKey = None) -> JSONResponse:
        """Reverse a sale of this terminal inside its window; 200 only when the slip printed."""

        def run() -> Answer:
            outcome = kiosk.stornos.storno(body.txn, reason=body.reason, clerk=body.clerk)
            return Answer(200 if outcome.ok else 409, outcome.to_dict())

        return keyed(
            kiosk,
            idempotency_key,
            endpoint="POST /api/v1/stornos",
            body=body.model_dump(),
            action=run,
            txn=body.txn,
        )

    @routes.post("/reprints")
    def reprint(body: ReprintBody, idempotency_key: IdempotencyKey = None) -> JSONResponse:
        """Print a numbered copy of the last slip, or of a transaction's sale or storno slip."""

        def run() -> Answer:
            return Answer(200, kiosk.reprints.reprint(body.txn, slip=body.slip).to_dict())

        return keyed(
            kiosk,
            idempotency_key,
            endpoint="POST /api/v1/reprints",
            body=body.model_dump(),
            action=run,
            txn=body.txn,
        )

    @routes.get("/lookup")
    def lookup(
        txn: Annotated[str | None, Query(max_length=40)] = None,
        phone: Annotated[str | None, Query(max_length=40)] = None,
        card_last4: Annotated[str | None, Query(max_length=4)] = None,
        imei: Annotated[str | None, Query(max_length=20)] = None,
        since: datetime | None = None,
        until: datetime | None = None,
        limit: Annotated[int, Query(gt=0, le=500)] = DEFAULT_LIMIT,
    ) -> dict[str, Any]:
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
        return kiosk.lookups.lookup(query).to_dict()

    return routes


__all__ = ["ReprintBody", "StornoBody", "router"]
