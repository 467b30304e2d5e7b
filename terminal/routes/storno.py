"""Local API of the customer's five minutes: storno and reprint (lookup: ``routes.transactions``).

* ``POST /stornos`` -- reverse a sale of this terminal inside its window.
* ``POST /reprints`` -- a numbered copy of the last slip, or of a transaction's slip.

Thin over the services (``kiosk.stornos``, ``kiosk.reprints``): refusals are
their named errors, which ``terminal.api`` turns into ``{"error": {"code", "message"}}``. A storno
whose slip did not print is not an error but an outcome the clerk must act on: 409 with the
outcome, like a sale that did not print.
"""

from __future__ import annotations

from datetime import datetime
from typing import Literal

from fastapi import APIRouter
from fastapi.responses import JSONResponse
from pydantic import BaseModel, ConfigDict, Field

from terminal.idempotency import Answer
from terminal.kiosk import Kiosk
from terminal.routes.idempotency import IdempotencyKey, keyed
from terminal.routes.schemas import Model, errors, outcome_or_error


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


class StornoOutcome(Model):
    """How a storno ended: 200 ``stornoed`` (the slip printed), 409 ``print_failed``."""

    txn: str
    state: Literal["stornoed", "print_failed"]
    reason: str
    clerk: str
    refund_minor: int
    currency: str
    #: "approved": the host approved the request; "unchecked": the local checks decided
    host_check: str
    instruction: str
    storno_printed_at: datetime | None
    error: str | None


class ReprintResult(Model):
    """The copy that printed: not a new payment."""

    txn: str
    slip: Literal["sale", "storno"]
    copy_number: int
    original_printed_at: datetime
    instruction: str


def router(kiosk: Kiosk) -> APIRouter:
    routes = APIRouter(tags=["storno"])

    @routes.post(
        "/stornos",
        response_model=StornoOutcome,
        responses=outcome_or_error(
            StornoOutcome, "The storno slip did not print, or an idempotency error.", 404, 503
        ),
    )
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

    @routes.post(
        "/reprints",
        response_model=ReprintResult,
        responses=errors(404, 409, 503),
    )
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

    return routes


__all__ = ["ReprintBody", "ReprintResult", "StornoBody", "StornoOutcome", "router"]
