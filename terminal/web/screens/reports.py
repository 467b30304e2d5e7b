"""X and Z reports on the counter screen: preview first, print, then the printed slip on screen.

* ``GET /ui/reports`` -- the X report's figures and slip text (nothing printed); the Z button
  for a supervisor, shown disabled with the reason to a clerk.
* ``POST /ui/reports/x`` -- print the X report (any clerk; the period stays open).
* ``GET /ui/reports/z`` -- a supervisor confirms: the figures and the number the Z will get.
* ``POST /ui/reports/z`` -- print the Z report and close the period (``kiosk.reports`` closes it
  only once its slip printed).

The Z routes refuse a clerk on the server (``WebContext.supervisor``), and the report service
refuses anyone but an active supervisor again. Each form prints once: a repeated POST (a double
Enter) shows the first one's outcome instead of printing a second report.
"""

from __future__ import annotations

import asyncio
import itertools
from dataclasses import dataclass

from fastapi import APIRouter, Request
from fastapi.responses import RedirectResponse, Response

from foundation.errors import ClerkFacingError
from terminal.reports import ReportOutcome
from terminal.web import reasons
from terminal.web.context import WebContext
from terminal.web.desk import explain, local_time, product_name, said
from terminal.web.errors import Refusal
from terminal.web.i18n import Speaker, _
from terminal.web.recent import Recent
from terminal.web.sessions import FormExpired, Session

#: Printed (or not printed) reports remembered for a repeated form.
KEEP_RESULTS = 20


@dataclass(frozen=True)
class FigureLine:
    label: str
    currency: str
    count: int
    total_minor: int


@dataclass(frozen=True)
class ReportView:
    """A report's figures, and what happened to its slip, as the screen shows them."""

    kind: str
    code: str
    printed: bool
    z_number: int | None
    period_from: str
    period_to: str
    sales: list[FigureLine]
    stornos: list[FigureLine]
    cash: list[FigureLine]
    failed_count: int
    voided_count: int
    slip_text: str
    headline: str = ""
    instruction: str = ""
    error: str | None = None

    @property
    def tone(self) -> str:
        return "go" if self.printed else "stop"


def report_view(
    ctx: WebContext, speaker: Speaker, outcome: ReportOutcome, *, next_z: int | None = None
) -> ReportView:
    """``outcome`` in the clerk's language; ``next_z`` is the number a Z that did not print
    left unused (the next Z prints it)."""
    kiosk = ctx.kiosk
    headline = instruction = ""
    if outcome.code == "printed" and outcome.kind == "Z":
        headline = speaker.gettext(_("Z report No. %(n)s printed"), n=outcome.z_number)
        instruction = speaker.gettext(
            _(
                "The period is closed. Count the cash in the drawer against the slip and keep "
                "the slip."
            )
        )
    elif outcome.code == "printed":
        headline = speaker.gettext(_("X report printed"))
        instruction = speaker.gettext(_("The period stays open: go on selling."))
    elif outcome.code == "not_printed" and outcome.kind == "Z":
        headline = speaker.gettext(_("Z report did not print: the period stays open"))
        instruction = speaker.gettext(
            _(
                "Nothing was closed. Throw away any half-printed slip, fix the printer (paper, "
                "cover), then print the Z report again: it prints the same report, No. %(n)s."
            ),
            n=next_z if next_z is not None else "",
        )
    elif outcome.code == "not_printed":
        headline = speaker.gettext(_("X report did not print"))
        instruction = speaker.gettext(
            _(
                "Nothing changed and the period stays open: fix the printer (paper, cover), "
                "then print it again."
            )
        )
    return ReportView(
        kind=outcome.kind,
        code=outcome.code,
        printed=outcome.printed,
        z_number=outcome.z_number,
        period_from=local_time(kiosk, speaker, outcome.period_from),
        period_to=local_time(kiosk, speaker, outcome.period_to),
        sales=[
            FigureLine(
                product_name(kiosk, speaker, line.product),
                line.currency,
                line.count,
                line.total_minor,
            )
            for line in outcome.lines
        ],
        stornos=[FigureLine("", c.currency, c.count, c.total_minor) for c in outcome.stornos],
        cash=[FigureLine("", c.currency, c.count, c.total_minor) for c in outcome.cash_in_drawer],
        failed_count=outcome.failed_count,
        voided_count=outcome.voided_count,
        slip_text=outcome.slip_text,
        headline=headline,
        instruction=instruction,
        # the printer's own (English) words stay in the log: the page says it in its language
        error=speaker.gettext(reasons.FAILURES["print_failed"]) if outcome.error else None,
    )


def router(ctx: WebContext) -> APIRouter:
    ui = APIRouter()
    kiosk = ctx.kiosk
    done_reports: Recent[ReportView] = Recent(KEEP_RESULTS)
    serial = itertools.count(1)

    def keep(view: ReportView) -> str:
        key = f"{view.kind}-{next(serial)}"
        done_reports.put(key, view)
        return key

    async def preview(speaker: Speaker, kind: str) -> ReportView:
        outcome = await asyncio.to_thread(kiosk.reports.preview, kind)
        return report_view(ctx, speaker, outcome)

    async def report_page(
        request: Request,
        session: Session,
        kind: str,
        *,
        error: Refusal | None = None,
        status_code: int = 200,
    ) -> Response:
        """The X screen (preview and print) or the Z confirmation, with a fresh form token."""
        speaker = ctx.speaker(session.language)
        return ctx.page(
            request,
            "report_z.html" if kind == "Z" else "reports.html",
            session=session,
            status_code=status_code,
            report=await preview(speaker, kind),
            token=ctx.forms.issue(session),
            error=error,
        )

    def result_page(request: Request, session: Session, view: ReportView | None) -> Response:
        if view is None:
            return RedirectResponse("/ui/reports", status_code=303)
        return ctx.page(request, "report_result.html", session=session, result=view)

    async def print_report(request: Request, session: Session, kind: str) -> Response:
        speaker = ctx.speaker(session.language)
        form = await ctx.form(request)
        token = form.get("token", "")
        try:
            done = await asyncio.to_thread(ctx.forms.begin, token, session)
        except FormExpired:
            return await report_page(
                request, session, kind, error=said(speaker, "form_expired"), status_code=409
            )
        if done is not None:
            return result_page(request, session, done_reports.get(done))
        key: str | None = None
        try:
            if kind == "Z":
                expected = form.get("z_number", "")
                current = await asyncio.to_thread(kiosk.reports.preview, "Z")
                if expected != str(current.z_number):
                    error = said(speaker, "period_changed")
                    return await report_page(request, session, "Z", error=error, status_code=409)
            try:
                if kind == "Z":
                    outcome = await asyncio.to_thread(
                        kiosk.reports.z_report, clerk=session.clerk_number, signed_in=True
                    )
                else:
                    outcome = await asyncio.to_thread(
                        kiosk.reports.x_report, clerk=session.clerk_number
                    )
            except ClerkFacingError as exc:
                error = explain(speaker, exc, screen="report")
                return await report_page(request, session, kind, error=error, status_code=422)
            next_z = None
            if kind == "Z" and not outcome.printed:
                next_z = (await asyncio.to_thread(kiosk.reports.preview, "Z")).z_number
            view = report_view(ctx, speaker, outcome, next_z=next_z)
            key = keep(view)
            ctx.feed.poke()
            return result_page(request, session, view)
        finally:
            ctx.forms.finish(token, key)

    @ui.get("/ui/reports")
    async def reports(request: Request) -> Response:
        return await report_page(request, ctx.clerk(request), "X")

    @ui.post("/ui/reports/x")
    async def x_report(request: Request) -> Response:
        return await print_report(request, ctx.clerk(request), "X")

    @ui.get("/ui/reports/z")
    async def z_confirm(request: Request) -> Response:
        return await report_page(request, ctx.supervisor(request), "Z")

    @ui.post("/ui/reports/z")
    async def z_report(request: Request) -> Response:
        return await print_report(request, ctx.supervisor(request), "Z")

    return ui


__all__ = ["FigureLine", "ReportView", "report_view", "router"]
