"""Local API of the terminal's state: the status bar's snapshot, and draining the outbox.

* ``GET /status`` -- printer, host, queue, dead letters, offline exposure, what needs attention,
  plus the outbox's details and the forwarder's circuit (``kiosk status``, scripts).
* ``POST /status/refresh`` -- ask the host's health check now (the clerk's "check again").
* ``POST /queue/drain`` -- forward what is due now, for at most ``timeout_s`` (``kiosk queue
  drain``).
"""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Any, Literal

from fastapi import APIRouter
from fastapi.responses import JSONResponse
from pydantic import Field

from terminal.kiosk import Kiosk
from terminal.routes.schemas import Model, answer, errors

Circuit = Literal["closed", "open", "half_open"]


class HostState(Model):
    online: bool | None
    checked_at: datetime | None
    circuit: str


class OfflineExposure(Model):
    """Offline sales of one currency the host has not acknowledged, against the limits."""

    currency: str
    count: int
    total_minor: int
    amount_minor: int
    limit_minor: int | None
    per_sale_limit_minor: int | None
    max_age_s: float | None
    oldest_created_at: datetime | None


class AdviceHorizon(Model):
    oldest_undelivered_confirm_age_s: float | None
    horizon_s: float
    refuse_sales_after_s: float
    near: bool
    sales_refused: bool


class DeadLetter(Model):
    message_id: str
    txn: str
    kind: str
    attempts: int
    last_error: str | None
    created_at: datetime


class OutboxState(Model):
    counts: dict[str, int]
    oldest_pending_age_s: float | None
    next_due_in_s: float | None
    dead_letters: list[DeadLetter]


class Status(Model):
    """One reading of everything the status bar shows, and the outbox behind it."""

    terminal: str
    market: str
    #: the printer's state as ``GET /devices`` gives it (state, can_print, detail, ...)
    printer: dict[str, Any]
    host: HostState
    queue: dict[str, int]
    dead_letters: int
    offline_exposure: list[OfflineExposure]
    attention: list[str]
    advice_horizon: AdviceHorizon | None
    outbox: OutboxState
    forwarder: Circuit


class DrainReport(Model):
    """What the forwarding cycles of one drain did."""

    cycles: int
    claimed: int
    delivered: int
    duplicates: int
    retried: int
    dead: int
    transient_failures: int
    circuit: Circuit
    last_error: str | None


def router(kiosk: Kiosk) -> APIRouter:
    routes = APIRouter(tags=["status"])

    def status_body() -> dict[str, Any]:
        # The status bar's snapshot (terminal.status), plus the outbox's details and the
        # forwarder's circuit that `kiosk queue drain` and scripts read.
        return {
            **kiosk.status.snapshot().to_dict(),
            "outbox": kiosk.store.outbox_status(),
            "forwarder": kiosk.forwarder.state,
        }

    @routes.get("/status", response_model=Status, responses=errors())
    def get_status() -> JSONResponse:
        """Printer, host, queue, dead letters, offline exposure and what needs attention."""
        return answer(status_body())

    @routes.post("/status/refresh", response_model=Status, responses=errors())
    def refresh_status() -> JSONResponse:
        """Ask the host's health check now (the clerk's "check again"), then the status."""
        kiosk.host_monitor.check_now()
        return answer(status_body())

    @routes.post("/queue/drain", response_model=DrainReport, responses=errors(409))
    def drain_queue(timeout_s: Annotated[float, Field(gt=0, le=300)] = 10.0) -> JSONResponse:
        """Forward what is due now, for at most ``timeout_s`` seconds."""
        return answer(kiosk.forwarder.drain(timeout_s).to_dict())

    return routes


__all__ = ["DrainReport", "Status", "router"]
