"""The local JSON API of the kiosk process, for the shop's own till, scripts and ``kiosk`` commands.

FastAPI because it gives typed request and response models, validation errors and an OpenAPI
document (``/openapi.json``) from one declaration; the same app serves the counter screen.
Every endpoint needs the terminal's API token (``Authorization: Bearer ...``). Errors are JSON
``{"error": {"code", "message"}}`` with a message a clerk can act on, never a 500 for bad input.

This module is the app factory and the server only: the endpoints are in ``terminal.routes``
(one module per area, listed in ``terminal.routes.ROUTERS``), the error handlers in
``terminal.routes.errors``, the response models in ``terminal.routes.schemas`` and the areas.
"""

from __future__ import annotations

import hmac
import threading
import time
from collections.abc import Sequence
from typing import Annotated
from urllib.parse import urlencode

from fastapi import Depends, FastAPI, Request
from fastapi.openapi.docs import get_swagger_ui_html
from fastapi.responses import JSONResponse, Response
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer

from terminal import routes
from terminal.http_guard import HttpGuard
from terminal.kiosk import Kiosk
from terminal.logs import add_secret
from terminal.routes import ROUTERS, RouterFactory, errors
from terminal.routes.sales import SellBody
from terminal.web.slips import PrintedSlips

API_PREFIX = "/api/v1"

#: A security scheme rather than a header parameter: the OpenAPI document then says how to
#: authenticate instead of listing an "authorization" field on every operation.
_BEARER = HTTPBearer(auto_error=False, description="The terminal's API token.")


class _Unauthorised(Exception):
    """No or wrong token: answered 401 before the endpoint runs."""


def create_app(
    kiosk: Kiosk,
    *,
    token: str,
    printed_slips: PrintedSlips | None = None,
    routers: Sequence[RouterFactory] = ROUTERS,
) -> FastAPI:
    """The API over one running :class:`Kiosk`: ``routers`` (every area of the product,
    ``terminal.routes.ROUTERS``) behind the token, and the counter screen (``terminal.web``)."""
    settings = kiosk.config.api
    # The framework's /docs and /openapi.json are open to anyone; ours need the token (or are
    # not served at all: [api] docs = "off").
    app = FastAPI(
        title="Counter terminal local API",
        version="1",
        description="Quote, sell and inspect transactions on this terminal.",
        docs_url=None,
        redoc_url=None,
        openapi_url=None,
    )
    app.add_middleware(
        HttpGuard,
        allowed_hosts=settings.allowed_hosts,
        max_body_bytes=settings.max_body_bytes,
    )

    expected = token.encode("utf-8")

    def token_ok(request: Request) -> bool:
        """The token as a Bearer header (scripts) or ``?token=`` (a browser opening /docs)."""
        header = request.headers.get("authorization", "")
        given = header[7:] if header[:7].lower() == "bearer " else ""
        given = given or request.query_params.get("token", "")
        return hmac.compare_digest(given.encode("utf-8"), expected)

    if settings.docs == "token":

        @app.get("/openapi.json", include_in_schema=False)
        def openapi_document(request: Request) -> JSONResponse:
            if not token_ok(request):
                return errors.error(
                    401, "unauthorised", "Send the terminal's API token as a Bearer token."
                )
            return JSONResponse(app.openapi())

        @app.get("/docs", include_in_schema=False)
        def docs(request: Request) -> Response:
            if not token_ok(request):
                return errors.error(
                    401, "unauthorised", "Open /docs?token=<the terminal's API token>."
                )
            return get_swagger_ui_html(
                openapi_url="/openapi.json?" + urlencode({"token": token}),
                title="Counter terminal local API",
            )

    def authorised(
        credentials: Annotated[HTTPAuthorizationCredentials | None, Depends(_BEARER)],
    ) -> None:
        # Bytes, not str: compare_digest refuses str with non-ASCII characters, and a header
        # may hold any Latin-1 text.
        given = "" if credentials is None else credentials.credentials
        if not hmac.compare_digest(given.encode("utf-8"), expected):
            raise _Unauthorised()

    @app.exception_handler(_Unauthorised)
    async def _unauthorised(_: Request, __: Exception) -> JSONResponse:
        return errors.error(401, "unauthorised", "Send the terminal's API token as a Bearer token.")

    errors.install(app, api_prefix=API_PREFIX)
    routes.include(
        app, kiosk, prefix=API_PREFIX, dependencies=[Depends(authorised)], routers=routers
    )
    # The counter screen, from the same process: it owns the printer, reader and forwarder.
    from terminal.web import mount

    mount(app, kiosk, printed_slips=printed_slips)
    return app


class ApiServer:
    """The API served by uvicorn on a background thread, so the caller keeps the main thread
    (signals, the demo's peers) and tests can start it on a free port."""

    def __init__(
        self,
        kiosk: Kiosk,
        *,
        host: str = "127.0.0.1",
        port: int = 0,
        printed_slips: PrintedSlips | None = None,
        routers: Sequence[RouterFactory] = ROUTERS,
    ) -> None:
        import secrets

        import uvicorn

        self.kiosk = kiosk
        # kiosk.toml's [api] token, so the shop's till can be configured with it once; else
        # one made up for this run (kiosk commands read it from the lock file either way).
        self.token = kiosk.config.api.token or secrets.token_urlsafe(32)
        add_secret(self.token)
        self.app = create_app(kiosk, token=self.token, printed_slips=printed_slips, routers=routers)
        # log_config=None: uvicorn's records go through the kiosk's own log format
        # (terminal.logs) instead of a second handler of uvicorn's own.
        self._server = uvicorn.Server(
            uvicorn.Config(
                self.app,
                host=host,
                port=port,
                log_level="warning",
                access_log=False,
                log_config=None,
            )
        )
        self._host = host
        self._thread: threading.Thread | None = None

    @property
    def url(self) -> str:
        sockets = self._server.servers[0].sockets if self._server.servers else []
        if not sockets:
            raise RuntimeError("the API server is not listening yet")
        port = sockets[0].getsockname()[1]
        return f"http://{self._host}:{port}"

    def start(self, timeout_s: float = 10.0) -> ApiServer:
        self._thread = threading.Thread(target=self._server.run, name="kiosk-api", daemon=True)
        self._thread.start()
        deadline = time.monotonic() + timeout_s
        while not self._server.started:
            if not self._thread.is_alive() or time.monotonic() > deadline:
                raise RuntimeError("the local API did not start (is the port in use?)")
            self._thread.join(0.02)
        self.kiosk.publish(api_url=self.url, token=self.token)
        return self

    @property
    def alive(self) -> bool:
        """Serving: started, its thread running, and not asked to stop."""
        thread = self._thread
        return (
            thread is not None
            and thread.is_alive()
            and bool(self._server.started)
            and not self._server.should_exit
        )

    def stop(self) -> None:
        self._server.should_exit = True
        if self._thread is not None:
            self._thread.join(10)
        self.kiosk.publish(api_url=None, token=None)


#: ``SellBody`` lives with the sale's routes; kept importable from here for existing callers.
__all__ = ["API_PREFIX", "ApiServer", "SellBody", "create_app"]
