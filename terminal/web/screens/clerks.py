"""Clerks managed on screen by a supervisor: add, deactivate, unlock, reset a PIN.

* ``GET /ui/clerks`` -- every clerk with role, active or not, and locked until when.
* ``POST /ui/clerks/add`` -- number, name, PIN and role.
* ``POST /ui/clerks/{number}/unlock``, ``/deactivate``, ``/pin`` (a new PIN).

Only a supervisor reaches these routes (``ctx.supervisor``), and ``kiosk.clerks`` checks the
role again with the signed-in supervisor as ``by``, so each change is journalled with who made
it (docs/clerks.md). A PIN is never shown back, not even in a refused form.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable

from fastapi import APIRouter, Request
from fastapi.responses import RedirectResponse, Response

from terminal.errors import KioskError
from terminal.web.context import WebContext
from terminal.web.desk import local_time
from terminal.web.errors import Refusal, refusal
from terminal.web.i18n import _
from terminal.web.sessions import Session

DONE: dict[str, str] = {
    "added": _("Clerk added: they can sign in now."),
    "unlocked": _("Clerk unlocked: they can sign in again."),
    "deactivated": _("Clerk deactivated: they can no longer sign in."),
    "pin": _("New PIN set: tell it to the clerk in person."),
}
ROLES: dict[str, str] = {"clerk": _("Clerk"), "supervisor": _("Supervisor")}


def router(ctx: WebContext) -> APIRouter:
    ui = APIRouter()
    clerks = ctx.kiosk.clerks

    def page(
        request: Request,
        session: Session,
        *,
        error: Refusal | None = None,
        status_code: int = 200,
        typed: dict[str, str] | None = None,
    ) -> Response:
        speaker = ctx.speaker(session.language)
        rows = [
            {
                "number": c.number,
                "name": c.name,
                "role": speaker.gettext(ROLES.get(str(c.role), str(c.role))),
                "active": c.active,
                "locked_until": local_time(ctx.kiosk, speaker, c.locked_until)
                if c.locked_until
                else "",
            }
            for c in clerks.list()
        ]
        done = request.query_params.get("done", "")
        return ctx.page(
            request,
            "clerks.html",
            session=session,
            status_code=status_code,
            rows=rows,
            roles=[(k, speaker.gettext(v)) for k, v in ROLES.items()],
            error=error,
            done=speaker.gettext(DONE[done]) if done in DONE else None,
            typed={k: v for k, v in (typed or {}).items() if k != "pin"},
        )

    async def change(
        request: Request,
        session: Session,
        work: Callable[[], object],
        done: str,
        typed: dict[str, str],
    ) -> Response:
        try:
            await asyncio.to_thread(work)
        except KioskError as exc:
            error = refusal(ctx.speaker(session.language), exc)
            return page(request, session, error=error, status_code=422, typed=typed)
        return RedirectResponse(f"/ui/clerks?done={done}", status_code=303)

    @ui.get("/ui/clerks")
    def clerks_page(request: Request) -> Response:
        return page(request, ctx.supervisor(request))

    @ui.post("/ui/clerks/add")
    async def add(request: Request) -> Response:
        session = ctx.supervisor(request)
        form = await ctx.form(request)

        def work() -> object:
            return clerks.add(
                form.get("number", ""),
                form.get("name", ""),
                form.get("pin", ""),
                form.get("role", "clerk"),
                by=session.clerk_number,
            )

        return await change(request, session, work, "added", form)

    @ui.post("/ui/clerks/{number}/{action}")
    async def act(request: Request, number: str, action: str) -> Response:
        session = ctx.supervisor(request)
        form = await ctx.form(request)
        by = session.clerk_number
        actions: dict[str, tuple[Callable[[], object], str]] = {
            "unlock": (lambda: clerks.unlock(number, by=by), "unlocked"),
            "deactivate": (lambda: clerks.deactivate(number, by=by), "deactivated"),
            "pin": (lambda: clerks.set_pin(number, form.get("pin", ""), by=by), "pin"),
        }
        if action not in actions:
            return ctx.error_page(request, 404)
        work, done = actions[action]
        return await change(request, session, work, done, {})

    return ui


__all__ = ["DONE", "ROLES", "router"]
