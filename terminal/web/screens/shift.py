"""The shift at a glance: its transactions, the queue to the host, and a printer test.

* ``GET /ui/shift`` -- the period's transactions (since the last Z) with their state in plain
  words and links to lookup, reprint and storno; the messages still owed to the host with the
  time of their next try, and the dead letters with what their host code means.
* ``POST /ui/shift/send-now`` -- every waiting message due now, then one forwarding round
  (``Store.make_due_now`` journals it); the page then shows what is still waiting.
* ``POST /ui/shift/printer-test`` -- prints the test page through the print barrier (journalled
  ``printer_test`` with whether it printed), under the counter's lock like any slip.
"""

from __future__ import annotations

import asyncio
from dataclasses import dataclass
from datetime import timedelta

from fastapi import APIRouter, Request
from fastapi.responses import RedirectResponse, Response

from printer_templates.render import render_slip
from printer_templates.samples import sample_context
from terminal.web import reasons
from terminal.web.context import WebContext
from terminal.web.desk import OUTBOX_KINDS, TxnRow, local_time, txn_row
from terminal.web.i18n import Speaker, _

#: The journal event of a printer test from the screen.
PRINTER_TEST_EVENT = "printer_test"
#: Transactions shown at most (a period is one shift; a busy one still fits).
SHOW_AT_MOST = 200


DONE: dict[str, str] = {
    "sent": _("Sent what could be sent: the list below is what still waits."),
    "test_printed": _("The test page printed."),
    "test_failed": _("The test page did not print: check paper, cover and cable."),
}


@dataclass(frozen=True)
class QueueLine:
    txn: str
    kind: str
    attempts: int
    next_try: str
    why: str | None
    dead: bool


def router(ctx: WebContext) -> APIRouter:
    ui = APIRouter()
    kiosk = ctx.kiosk

    def queue_lines(speaker: Speaker) -> list[QueueLine]:
        now, mono = kiosk.clock.now(), kiosk.clock.monotonic()
        lines = []
        for m in kiosk.store.list_outbox(states=["pending", "in_flight", "dead"], limit=100):
            dead = m.state == "dead"
            at = now + timedelta(seconds=max(0.0, m.next_attempt_mono - mono))
            lines.append(
                QueueLine(
                    txn=m.txn,
                    kind=speaker.gettext(OUTBOX_KINDS.get(m.kind, m.kind)),
                    attempts=m.attempts,
                    next_try="" if dead else local_time(kiosk, speaker, at),
                    why=reasons.queue_error_sentence(speaker, m.state, m.last_error),
                    dead=dead,
                )
            )
        return lines

    def rows(speaker: Speaker) -> list[TxnRow]:
        since = kiosk.store.period_figures().period_from
        now = kiosk.clock.now()
        records = kiosk.store.list_transactions(since=since, limit=SHOW_AT_MOST)
        return [txn_row(kiosk, speaker, record, now) for record in records]

    @ui.get("/ui/shift")
    async def shift_page(request: Request) -> Response:
        session = ctx.clerk(request)
        speaker = ctx.speaker(session.language)
        done = request.query_params.get("done", "")
        return ctx.page(
            request,
            "shift.html",
            session=session,
            rows=await asyncio.to_thread(rows, speaker),
            queue=await asyncio.to_thread(queue_lines, speaker),
            done=speaker.gettext(DONE[done]) if done in DONE else None,
        )

    @ui.post("/ui/shift/send-now")
    async def send_now(request: Request) -> Response:
        ctx.clerk(request)

        def work() -> None:
            kiosk.store.make_due_now()
            kiosk.forwarder.drain(5.0)

        await asyncio.to_thread(work)
        ctx.feed.poke()
        return RedirectResponse("/ui/shift?done=sent", status_code=303)

    @ui.post("/ui/shift/printer-test")
    async def printer_test(request: Request) -> Response:
        session = ctx.clerk(request)

        def work() -> bool:
            config = kiosk.config
            language = config.printer.language
            doc = render_slip(
                "test_page",
                sample_context("test_page", language=language),
                language=language,
                locale=config.terminal.locale,
                money=config.money,
            )
            with kiosk.counter.lock:
                failure = kiosk.counter.print_proven(doc)
                kiosk.store.journal_event(
                    None,
                    PRINTER_TEST_EVENT,
                    {"clerk": session.clerk_number, "printed": failure is None},
                )
            return failure is None

        printed = await asyncio.to_thread(work)
        ctx.feed.poke()
        done = "test_printed" if printed else "test_failed"
        return RedirectResponse(f"/ui/shift?done={done}", status_code=303)

    return ui


__all__ = ["DONE", "PRINTER_TEST_EVENT", "QueueLine", "router"]
