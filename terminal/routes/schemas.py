"""The local API's shared response models and its error model, as the OpenAPI document names them.

Why models at all: a client generated from ``/openapi.json`` (an integrator's till) gets typed
classes (``SaleResult``, ``Transaction``) instead of an untyped ``dict``. The handlers still
answer with the services' own ``to_dict()`` (the JSON bodies predate the models and must not
change); ``tests/api/test_openapi_client.py`` checks the answers against these models, so the
document cannot drift from what is sent. Models are strict (``extra="forbid"``): a key a
service adds must be declared here too.

Area-specific models live with their area's routes; what several areas answer (a transaction,
a sale's result, an outbox message, the error) lives here.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any, Literal

from fastapi.encoders import jsonable_encoder
from fastapi.responses import JSONResponse
from pydantic import BaseModel, ConfigDict, Field


class Model(BaseModel):
    """A response body: every key declared, none left out."""

    model_config = ConfigDict(extra="forbid")


class ErrorDetail(Model):
    """What went wrong, for the clerk (``message``) and for a program (``code``)."""

    code: str = Field(description="Stable, machine-readable: e.g. `unknown_transaction`.")
    message: str = Field(description="What the clerk can do about it, in plain words.")
    #: in_progress / interrupted / idempotency_key_reused: the key's transaction
    txn: str | None = Field(default=None, description="The transaction an idempotency key holds.")


class Error(Model):
    """Every refusal of the API: ``{"error": {"code", "message"}}``."""

    error: ErrorDetail


#: What each error status means across the API (the codes are in ``docs/internals.md``).
_ERROR_DESCRIPTIONS: dict[int, str] = {
    401: "No or wrong API token (`unauthorised`).",
    404: "Not found: an unknown transaction or idempotency key.",
    409: "Refused by the state of the terminal (`store_refused`, `in_progress`, ...).",
    422: "Invalid input, or refused by a rule (the code says which).",
    503: "The printer is not ready (`printer_not_ready`).",
}


#: Every operation can answer these (``terminal.routes.include`` declares them on all).
COMMON_ERRORS = (401, 422)


def errors(*statuses: int) -> dict[int | str, dict[str, Any]]:
    """The error model under ``statuses`` and :data:`COMMON_ERRORS`."""
    return {
        status: {"model": Error, "description": _ERROR_DESCRIPTIONS[status]}
        for status in sorted({*COMMON_ERRORS, *statuses})
    }


def outcome_or_error(
    model: type[BaseModel], description: str, *statuses: int
) -> dict[int | str, dict[str, Any]]:
    """``errors(...)`` where 409 is either an outcome the clerk must act on (a sale declined, a
    slip not printed: ``model``) or the error model (``in_progress`` of an idempotency key)."""
    responses = errors(409, *statuses)
    responses[409] = {"model": model | Error, "description": description}
    return responses


def answer(body: object, status: int = 200) -> JSONResponse:
    """``body`` as sent before the models were declared: encoded as FastAPI encodes a returned
    dict, not re-shaped by the model (which documents it, and the tests hold it to)."""
    return JSONResponse(status_code=status, content=jsonable_encoder(body))


class Fee(Model):
    name: str = Field(description="A message id the slip translates, e.g. `Top-up fee`.")
    amount_minor: int


class Transaction(Model):
    """One transaction as the store holds it; the card number only ever masked."""

    txn: str
    terminal_id: str
    product: str
    state: str
    currency: str
    amount_minor: int
    fees: list[Fee]
    total_minor: int
    cash_minor: int
    change_minor: int
    target: dict[str, Any]
    details: dict[str, Any]
    offline: bool
    clerk: str | None
    auth_code: str | None
    reason: str | None
    created_at: datetime
    updated_at: datetime
    printed_at: datetime | None
    copies: int


class OutboxMessage(Model):
    """One message to the host; ``message_id`` is the idempotency key the host sees."""

    message_id: str
    seq: int
    txn: str
    kind: str
    payload: dict[str, Any]
    state: str
    attempts: int
    next_attempt_mono: float
    lease_until_mono: float | None
    last_error: str | None
    created_at: datetime
    delivered_at: datetime | None
    response: dict[str, Any] | None


class SaleResult(Model):
    """How a sale ended and what the clerk must do now (200 confirmed, 409 otherwise)."""

    txn: str
    state: Literal["confirmed", "offline_confirmed", "declined", "print_failed", "failed"]
    reason: str | None
    total_minor: int
    change_minor: int
    currency: str
    instruction: str


__all__ = [
    "COMMON_ERRORS",
    "Error",
    "ErrorDetail",
    "Fee",
    "Model",
    "OutboxMessage",
    "SaleResult",
    "Transaction",
    "answer",
    "errors",
    "outcome_or_error",
]
