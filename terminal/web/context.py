"""What every screen shares: the kiosk, sessions, templates, the status feed and the checks.

A screen module (``terminal.web.screens.<name>``) gets one :class:`WebContext` and uses it to
require a signed-in clerk (:meth:`WebContext.clerk`), a supervisor
(:meth:`WebContext.supervisor`), to read a posted form (:meth:`WebContext.form`) and to render
a page in the clerk's language (:meth:`WebContext.page`). Cross-site POSTs are refused before
any screen sees them (:func:`same_origin`, a dependency of every screen router).
"""

from __future__ import annotations

import logging
from collections.abc import Mapping
from pathlib import Path
from typing import TYPE_CHECKING, Any
from urllib.parse import parse_qsl, urlsplit

import jinja2
from fastapi import Request
from fastapi.responses import HTMLResponse

from terminal.errors import KioskError
from terminal.sale import SaleResult
from terminal.web.i18n import UI_LANGUAGES, Speaker, pick_language
from terminal.web.nav import NAV, visible_nav
from terminal.web.recent import Recent
from terminal.web.sessions import COOKIE, FormTokens, Session, Sessions
from terminal.web.slips import PrintedSlips, RenderedSlips
from terminal.web.status_feed import StatusFeed

if TYPE_CHECKING:
    from terminal.kiosk import Kiosk

log = logging.getLogger(__name__)

TEMPLATE_DIR = Path(__file__).parent / "templates"
#: Cookie that remembers the screen language before anyone signs in.
LANGUAGE_COOKIE = "counter_lang"
#: Largest form body a screen accepts (a sale form is well under 2 KiB).
MAX_FORM_BYTES = 16 * 1024
#: Sale results kept for the result screens.
KEEP_RESULTS = 50


class SignInNeeded(Exception):
    """No session: the clerk signs in first."""


class ScreenLocked(Exception):
    """The session locked itself after inactivity (or the clerk locked it)."""


class RoleRefused(Exception):
    """A clerk asked for a supervisor's action."""


class CrossSiteRefused(Exception):
    """A POST that did not come from this screen."""


def _own_origin(request: Request) -> str:
    host = request.headers.get("host", "")
    return f"{request.url.scheme}://{host}"


async def same_origin(request: Request) -> None:
    """Refuse a state-changing request another site's page could have sent.

    The cookie is SameSite=Strict already; this is the second lock. A browser sends ``Origin``
    on every POST (and ``Sec-Fetch-Site``); one that names another origin is refused, and so is
    a POST that carries neither (no browser of ours sends such a request).
    """
    if request.method in ("GET", "HEAD", "OPTIONS"):
        return
    origin = request.headers.get("origin")
    if origin is not None:
        if origin != _own_origin(request):
            raise CrossSiteRefused()
        return
    fetch_site = request.headers.get("sec-fetch-site")
    if fetch_site not in ("same-origin", "none"):
        raise CrossSiteRefused()


def safe_next(target: str | None, default: str = "/ui/") -> str:
    """A redirect target on this screen only (never another host)."""
    if not target:
        return default
    parts = urlsplit(target)
    if parts.scheme or parts.netloc or not target.startswith("/ui"):
        return default
    return target


class WebContext:
    """The counter screen's shared state over one running kiosk."""

    def __init__(self, kiosk: Kiosk, *, printed_slips: PrintedSlips | None = None) -> None:
        self.kiosk = kiosk
        self.config = kiosk.config
        self.sessions = Sessions(
            kiosk.clock, auto_lock_s=kiosk.config.clerks.auto_lock_s, on_lock=self._journal_lock
        )
        self.forms = FormTokens()
        self.rendered = RenderedSlips()
        self.printed_slips = printed_slips
        self.feed = StatusFeed(kiosk.status.snapshot)
        self._results: Recent[SaleResult] = Recent(KEEP_RESULTS)
        self.env = jinja2.Environment(
            loader=jinja2.FileSystemLoader(TEMPLATE_DIR),
            autoescape=jinja2.select_autoescape(("html",), default=True),
            undefined=jinja2.StrictUndefined,
            trim_blocks=True,
            lstrip_blocks=True,
        )

    def _journal_lock(self, session: Session, reason: str) -> None:
        """A locked screen ends the clerk's session in the journal (who was at the counter)."""
        try:
            self.kiosk.clerks.sign_out(session.clerk_number, reason=reason)
        except KioskError:
            log.warning("could not journal the lock of clerk %s", session.clerk_number)

    # -- language -----------------------------------------------------------------------

    @property
    def default_language(self) -> str:
        return pick_language(self.config.terminal.language, "en")

    def language_of(self, request: Request, session: Session | None = None) -> str:
        if session is not None:
            return session.language
        return pick_language(request.cookies.get(LANGUAGE_COOKIE), self.default_language)

    def speaker(self, language: str) -> Speaker:
        return Speaker.for_language(
            language,
            market_language=self.config.terminal.language,
            market_locale=self.config.terminal.locale,
            money=self.config.money,
        )

    # -- sessions -----------------------------------------------------------------------

    def session_of(self, request: Request) -> Session | None:
        return self.sessions.get(request.cookies.get(COOKIE))

    def signed_in(self, request: Request) -> Session:
        """A signed-in session, locked or not, without counting as activity (lock screen,
        event stream, status bar)."""
        session = self.session_of(request)
        if session is None:
            raise SignInNeeded()
        return session

    def clerk(self, request: Request) -> Session:
        """The signed-in, unlocked clerk; the request counts as activity."""
        session = self.signed_in(request)
        if session.locked:
            raise ScreenLocked()
        self.sessions.touch(session)
        return session

    def supervisor(self, request: Request) -> Session:
        """As :meth:`clerk`, and only a supervisor: a clerk is refused here, on the server."""
        session = self.clerk(request)
        if not session.is_supervisor:
            raise RoleRefused()
        return session

    # -- forms --------------------------------------------------------------------------

    async def form(self, request: Request) -> dict[str, str]:
        """An urlencoded form body (what the screens post), last value of each field."""
        body = await request.body()
        if len(body) > MAX_FORM_BYTES:
            return {}
        pairs = parse_qsl(body.decode("utf-8", "replace"), keep_blank_values=True)
        return {key: value for key, value in pairs}

    # -- results ------------------------------------------------------------------------

    def keep_result(self, result: SaleResult) -> None:
        self._results.put(result.txn, result)
        if result.ok:
            self.rendered.remember(result.txn, result.slip)

    def result(self, txn: str) -> SaleResult | None:
        return self._results.get(txn)

    def slip_for(self, txn: str) -> Any:
        """The slip to show next to a result: the printer's own output, else what we rendered."""
        if self.printed_slips is not None:
            view = self.printed_slips.for_transaction(txn)
            if view is not None:
                return view
        return self.rendered.for_transaction(txn)

    # -- rendering ----------------------------------------------------------------------

    def values(
        self, request: Request, session: Session | None, language: str | None = None
    ) -> dict[str, Any]:
        """What the layout needs on every page."""
        lang = language or self.language_of(request, session)
        speaker = self.speaker(lang)
        return {
            **speaker.callables(),
            "speaker": speaker,
            "lang": lang,
            "languages": UI_LANGUAGES,
            "session": session,
            "nav": visible_nav(session) if session is not None else [],
            "all_nav": NAV,
            "path": request.url.path,
            "terminal": self.config.terminal,
            "auto_lock_s": self.sessions.auto_lock_s,
            "demo": self.kiosk.devices.demo,
            "status": self.feed.latest().to_dict() if session is not None else None,
        }

    def render(self, template: str, values: Mapping[str, Any]) -> str:
        return self.env.get_template(template).render(**values)

    def page(
        self,
        request: Request,
        template: str,
        *,
        session: Session | None = None,
        status_code: int = 200,
        headers: Mapping[str, str] | None = None,
        **extra: Any,
    ) -> HTMLResponse:
        """``template`` rendered in the clerk's language with the layout's values."""
        values = {**self.values(request, session), **extra}
        response = HTMLResponse(
            self.render(template, values), status_code=status_code, headers=dict(headers or {})
        )
        response.headers["Cache-Control"] = "no-store"
        return response

    @staticmethod
    def is_screen_path(path: str) -> bool:
        """Whether ``path`` belongs to the counter screen (its errors are pages, not JSON)."""
        return path == "/" or path == "/ui" or path.startswith("/ui/")

    def error_page(
        self, request: Request, status_code: int, headers: Mapping[str, str] | None = None
    ) -> HTMLResponse:
        """The screen's page for an HTTP error: "nothing here" for 404, else "went wrong"."""
        template = "not_found.html" if status_code == 404 else "error.html"
        session = self.session_of(request)
        if session is not None and session.locked:
            session = None  # a locked screen shows no clerk's navigation
        return self.page(
            request, template, session=session, status_code=status_code, headers=headers
        )

    def status_html(self, snapshot: Any, language: str) -> str:
        """The status bar alone, for the event stream and the refresh button."""
        speaker = self.speaker(language)
        return self.render(
            "_statusbar.html",
            {**speaker.callables(), "speaker": speaker, "status": snapshot.to_dict()},
        )


__all__ = [
    "LANGUAGE_COOKIE",
    "CrossSiteRefused",
    "RoleRefused",
    "ScreenLocked",
    "SignInNeeded",
    "WebContext",
    "safe_next",
    "same_origin",
]
