"""Local API of the period's reports and the cash drawer's expected content.

* ``POST /reports/x`` -- print the X report (running totals; the period stays open).
* ``POST /reports/z`` -- print the Z report and close the period; ``clerk`` must be an active
  supervisor and ``pin`` that supervisor's PIN, checked as a sign-in (422
  ``supervisor_required``, ``sign_in_refused`` or ``clerk_locked_out`` otherwise).
* ``GET /reports/x``, ``GET /reports/z`` -- the figures and slip text without printing.
* ``GET /cash`` -- what the drawer should hold from this period, per currency.

A report whose slip did not print is not an error but an outcome the clerk must act on: 409 with
the outcome (``code`` ``not_printed``), like a sale whose slip did not print.
"""

from __future__ import annotations

from datetime import datetime

from fastapi import APIRouter
from fastapi.responses import JSONResponse
from pydantic import BaseModel, ConfigDict, Field

from terminal.idempotency import Answer
from terminal.kiosk import Kiosk
from terminal.reports import ReportOutcome
from terminal.routes.idempotency import IdempotencyKey, keyed
from terminal.routes.schemas import Model, answer, errors, outcome_or_error

#: A clerk number as typed at sign-in (1 to 6 digits).
CLERK_NUMBER = r"^[0-9]{1,6}$"


class XReportBody(BaseModel):
    """Who asked for the X report, if anyone signed in did (recorded in the journal)."""

    model_config = ConfigDict(extra="forbid")

    clerk: str | None = Field(default=None, min_length=1, max_length=40)


class ZReportBody(BaseModel):
    """The supervisor who closes the period, and the supervisor's PIN (checked as a sign-in)."""

    model_config = ConfigDict(extra="forbid")

    clerk: str = Field(pattern=CLERK_NUMBER)
    pin: str = Field(min_length=4, max_length=12, pattern=r"^[0-9]+$")


class ReportLine(Model):
    product: str
    product_name: str
    currency: str
    count: int
    total_minor: int


class CurrencyCount(Model):
    currency: str
    count: int
    total_minor: int


class ClerkTotal(Model):
    """One clerk's part of the period in one currency; ``cash_minor`` is what they put in."""

    clerk: str
    currency: str
    sales_count: int
    sales_minor: int
    stornos_count: int
    stornos_minor: int
    cash_minor: int


class Report(Model):
    """An X or Z report: its figures, its slip's text and whether it printed."""

    kind: str
    printed: bool
    z_number: int | None
    period_from: datetime
    period_to: datetime
    lines: list[ReportLine]
    stornos: list[CurrencyCount]
    cash_in_drawer: list[CurrencyCount]
    benefit_paid: list[CurrencyCount]
    by_clerk: list[ClerkTotal]
    failed_count: int
    voided_count: int
    slip_text: str
    message: str
    #: "printed" | "not_printed" | "preview"
    code: str
    error: str | None


class CashMovement(Model):
    seq: int
    at: datetime
    kind: str
    currency: str
    amount_minor: int
    reason: str
    note: str
    clerk: str | None


class Cash(Model):
    """What the drawer should hold from this period, per currency, and the moves behind it."""

    period_from: datetime
    period_to: datetime
    cash_in_drawer: dict[str, int]
    movements: list[CashMovement]
    #: per currency: the ``float``, ``in`` and ``out`` totals
    movement_totals: dict[str, dict[str, int]]
    benefit_paid: dict[str, int]
    by_clerk: list[ClerkTotal]


_NOT_PRINTED = "The slip did not print (`not_printed`: act on it), or an idempotency error."


def _answer(outcome: ReportOutcome) -> Answer:
    return Answer(200 if outcome.printed else 409, outcome.to_dict())


def router(kiosk: Kiosk) -> APIRouter:
    routes = APIRouter(tags=["reports"])

    @routes.post(
        "/reports/x",
        response_model=Report,
        responses=outcome_or_error(Report, _NOT_PRINTED, 503),
    )
    def print_x_report(
        body: XReportBody | None = None, idempotency_key: IdempotencyKey = None
    ) -> JSONResponse:
        """Print the running totals since the last Z; 200 only when the slip printed."""
        return keyed(
            kiosk,
            idempotency_key,
            endpoint="POST /api/v1/reports/x",
            body=body.model_dump() if body else {},
            action=lambda: _answer(kiosk.reports.x_report(clerk=body.clerk if body else None)),
        )

    @routes.post(
        "/reports/z",
        response_model=Report,
        responses=outcome_or_error(Report, _NOT_PRINTED, 503),
    )
    def print_z_report(body: ZReportBody, idempotency_key: IdempotencyKey = None) -> JSONResponse:
        """Close the period (slip first); 200 with its number only when the slip printed."""
        return keyed(
            kiosk,
            idempotency_key,
            endpoint="POST /api/v1/reports/z",
            # never the PIN: a digest of a 4-digit PIN would give it away
            body=body.model_dump(exclude={"pin"}),
            action=lambda: _answer(kiosk.reports.z_report(clerk=body.clerk, pin=body.pin)),
        )

    @routes.get("/reports/x", response_model=Report, responses=errors())
    def preview_x_report() -> JSONResponse:
        """The X report's figures and slip text, printed nowhere."""
        return answer(kiosk.reports.preview("X").to_dict())

    @routes.get("/reports/z", response_model=Report, responses=errors())
    def preview_z_report() -> JSONResponse:
        """What the next Z report would show (and its number), printed nowhere."""
        return answer(kiosk.reports.preview("Z").to_dict())

    @routes.get("/cash", response_model=Cash, responses=errors())
    def get_cash() -> JSONResponse:
        """Cash the drawer should hold from this period: sales kept less stornos paid back."""
        return answer(kiosk.reports.cash_summary())

    return routes


__all__ = ["Cash", "Report", "XReportBody", "ZReportBody", "router"]
