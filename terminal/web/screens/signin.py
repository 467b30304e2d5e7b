"""Sign-in, the lock screen, sign-out and the language switch.

The PIN is checked by ``kiosk.clerks`` (slow salted hash, lock-out after repeated failures);
this module only keeps the session. The lock screen takes the same clerk's PIN, or lets
another clerk sign in on the same screen (the session then belongs to that clerk).
"""

from __future__ import annotations

import contextlib

from fastapi import APIRouter, Request
from fastapi.responses import RedirectResponse, Response

from printer_templates.pseudo import PSEUDO_LANGUAGE
from terminal.errors import KioskError
from terminal.web.context import LANGUAGE_COOKIE, WebContext, safe_next
from terminal.web.errors import refusal
from terminal.web.i18n import UI_LANGUAGES
from terminal.web.sessions import COOKIE, Session

#: A year: the language cookie only remembers a preference.
LANGUAGE_COOKIE_AGE_S = 365 * 24 * 3600


def set_session_cookie(response: Response, session: Session) -> None:
    """HttpOnly (no script reads it), SameSite=Strict (no other site's page sends it)."""
    response.set_cookie(COOKIE, session.sid, httponly=True, samesite="strict", path="/")


def router(ctx: WebContext) -> APIRouter:
    ui = APIRouter()
    clerks = ctx.kiosk.clerks

    @ui.get("/ui/signin")
    def sign_in_page(request: Request) -> Response:
        session = ctx.session_of(request)
        if session is not None and not session.locked:
            return RedirectResponse("/ui/", status_code=303)
        return ctx.page(request, "signin.html", number="", error=None)

    @ui.post("/ui/signin")
    async def sign_in(request: Request) -> Response:
        form = await ctx.form(request)
        number = form.get("number", "").strip()
        language = ctx.language_of(request)
        try:
            clerk = clerks.sign_in(number, form.get("pin", ""))
        except KioskError as exc:
            error = refusal(ctx.speaker(language), exc)
            return ctx.page(request, "signin.html", status_code=401, number=number, error=error)
        old = ctx.session_of(request)
        if old is not None:
            ctx.sessions.drop(old.sid)
        session = ctx.sessions.create(clerk, language)
        response = RedirectResponse(safe_next(form.get("next")), status_code=303)
        set_session_cookie(response, session)
        return response

    @ui.post("/ui/signout")
    async def sign_out(request: Request) -> Response:
        session = ctx.session_of(request)
        response = RedirectResponse("/ui/signin", status_code=303)
        if session is not None:
            ctx.sessions.drop(session.sid)
            with contextlib.suppress(KioskError):
                clerks.sign_out(session.clerk_number, reason="signed_out")
            response.set_cookie(
                LANGUAGE_COOKIE,
                session.language,
                samesite="strict",
                path="/",
                max_age=LANGUAGE_COOKIE_AGE_S,
            )
        response.delete_cookie(COOKIE, path="/")
        return response

    @ui.get("/ui/lock")
    def lock_page(request: Request) -> Response:
        session = ctx.signed_in(request)
        if not session.locked:
            return RedirectResponse("/ui/", status_code=303)
        return ctx.page(request, "lock.html", session=session, error=None, other=False)

    @ui.post("/ui/lock")
    async def lock_now(request: Request) -> Response:
        """The clerk steps away (F9), or the page's own inactivity timer ran out."""
        session = ctx.signed_in(request)
        ctx.sessions.lock(session)
        return RedirectResponse("/ui/lock", status_code=303)

    @ui.post("/ui/unlock")
    async def unlock(request: Request) -> Response:
        session = ctx.signed_in(request)
        form = await ctx.form(request)
        other = bool(form.get("number", "").strip())
        number = form.get("number", "").strip() or session.clerk_number
        try:
            clerk = clerks.sign_in(number, form.get("pin", ""))
        except KioskError as exc:
            error = refusal(ctx.speaker(session.language), exc)
            return ctx.page(
                request, "lock.html", session=session, status_code=401, error=error, other=other
            )
        ctx.sessions.unlock(session, clerk)
        return RedirectResponse("/ui/", status_code=303)

    @ui.post("/ui/activity")
    async def activity(request: Request) -> Response:
        """The clerk is typing or tapping on a page that has not asked the server for a
        while: the inactivity lock starts again (refused once the session has locked)."""
        session = ctx.clerk(request)
        return Response(
            status_code=204,
            headers={"X-Lock-In": str(int(ctx.sessions.seconds_left(session)))},
        )

    @ui.post("/ui/language")
    async def language(request: Request) -> Response:
        form = await ctx.form(request)
        lang = form.get("lang", "")
        response = RedirectResponse(safe_next(form.get("next")), status_code=303)
        if lang not in UI_LANGUAGES and lang != PSEUDO_LANGUAGE:
            return response
        session = ctx.session_of(request)
        if session is not None:
            session.language = lang
        response.set_cookie(
            LANGUAGE_COOKIE, lang, samesite="strict", path="/", max_age=LANGUAGE_COOKIE_AGE_S
        )
        return response

    return ui
