"""The local JSON API of the kiosk process, for the shop's own till, scripts and ``kiosk`` commands.

FastAPI because it gives typed request models, validation errors and an OpenAPI document
(``/openapi.json``) from one declaration; the same app will serve the counter screen. Every
endpoint needs the terminal's API token (``Authorization: Bearer ...``). Errors are JSON
``{"error": {"code", "message"}}`` with a message a clerk can act on, never a 500 for bad input.
"""

from __future__ import annotations

import hmac
import importlib
import threading
import time
from typing import Annotated, Any
from urllib.parse import urlencode

from fastapi import Depends, FastAPI, Request
from fastapi.exception_handlers import http_exception_handler
from fastapi.exceptions import RequestValidationError
from fastapi.openapi.docs import get_swagger_ui_html
from fastapi.responses import JSONResponse, Response
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer
from pydantic import BaseModel, ConfigDict, Field, StrictInt
from starlette.exceptions import HTTPException as StarletteHTTPException

from drivers.errors import PrinterError
from offline_queue.errors import StoreError, UnknownTransaction
from terminal.errors import KioskError
from terminal.http_guard import HttpGuard
from terminal.idempotency import (
    IdempotencyInProgress,
    IdempotencyInterrupted,
    IdempotencyKeyReused,
)
from terminal.kiosk import Kiosk
from terminal.logs import add_secret
from terminal.routes.idempotency import IdempotencyKey
from terminal.sale import SaleRequest
from terminal.web.slips import PrintedSlips

API_PREFIX = "/api/v1"

#: Modules under ``terminal.routes`` that add endpoints; each has ``router(kiosk) -> APIRouter``.
#: Their errors are the named exceptions handled here, so every area answers alike.
ROUTE_MODULES = ("storno", "devices", "reports", "clerks", "backup", "demo", "idempotency")

#: HTTP status of the refusals that are not "invalid input" (422).
_KIOSK_ERROR_STATUS: dict[str, int] = {
    "in_progress": 409,
    "interrupted": 409,
    "unknown_idempotency_key": 404,
}
_KEYED_ERRORS = (IdempotencyInProgress, IdempotencyInterrupted, IdempotencyKeyReused)


class SellBody(BaseModel):
    """A sale as the till sends it; amounts in minor units (cents)."""

    model_config = ConfigDict(extra="forbid")

    product: str = Field(min_length=1, max_length=40)
    target: str = Field(default="", max_length=80)
    target2: str | None = Field(default=None, max_length=80)
    #: leave out for an IMEI fee: the host quotes it per phone model
    amount_minor: StrictInt | None = Field(default=None, gt=0, le=10**12)
    cash_minor: StrictInt = Field(ge=0, le=10**12)
    benefit_type: str | None = Field(default=None, max_length=40)
    message: str | None = Field(default=None, max_length=500)
    biller_id: str | None = Field(default=None, max_length=40)
    clerk: str | None = Field(default=None, max_length=40)
    id_checked: bool = False


#: A security scheme rather than a header parameter: the OpenAPI document then says how to
#: authenticate instead of listing an "authorization" field on every operation.
_BEARER = HTTPBearer(auto_error=False, description="The terminal's API token.")

#: Code and message of the framework's HTTP errors (``{path}`` is the request's path).
_HTTP_ERRORS: dict[int, tuple[str, str]] = {
    400: ("invalid_body", "The request body could not be read: send one JSON object."),
    404: ("not_found", "There is no {path} here: see /docs?token=... for the endpoints."),
    405: ("method_not_allowed", "{path} does not take this method: see /docs."),
    413: ("too_large", "The request is too large."),
    415: ("unsupported_media_type", "Send the body as application/json."),
}


def _error(status: int, code: str, message: str) -> JSONResponse:
    return JSONResponse(status_code=status, content={"error": {"code": code, "message": message}})


def create_app(kiosk: Kiosk, *, token: str, printed_slips: PrintedSlips | None = None) -> FastAPI:
    """The API over one running :class:`Kiosk`."""
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
                return _error(
                    401, "unauthorised", "Send the terminal's API token as a Bearer token."
                )
            return JSONResponse(app.openapi())

        @app.get("/docs", include_in_schema=False)
        def docs(request: Request) -> Response:
            if not token_ok(request):
                return _error(401, "unauthorised", "Open /docs?token=<the terminal's API token>.")
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

    class _Unauthorised(Exception):
        pass

    @app.exception_handler(_Unauthorised)
    async def _unauthorised(_: Request, __: Exception) -> JSONResponse:
        return _error(401, "unauthorised", "Send the terminal's API token as a Bearer token.")

    @app.exception_handler(StarletteHTTPException)
    async def _http_error(request: Request, exc: StarletteHTTPException) -> Response:
        # The framework's own refusals under the API (no such path, wrong method, a body it
        # cannot parse) in the same shape as ours; they are all the client's doing. The
        # screen's pages keep FastAPI's own answers (redirects, their error pages).
        if not request.url.path.startswith(API_PREFIX + "/"):
            web = getattr(request.app.state, "web", None)
            if web is not None and web.is_screen_path(request.url.path):
                # The screen's own page, in the clerk's language (never FastAPI's JSON).
                return web.error_page(request, exc.status_code, exc.headers)
            return await http_exception_handler(request, exc)
        if exc.status_code in _HTTP_ERRORS:
            code, template = _HTTP_ERRORS[exc.status_code]
            message = template.format(path=request.url.path)
        else:
            code, message = "http_error", str(exc.detail)
        response = _error(exc.status_code, code, message)
        response.headers.update(exc.headers or {})
        return response

    @app.exception_handler(RequestValidationError)
    async def _invalid(_: Request, exc: RequestValidationError) -> JSONResponse:
        first = exc.errors()[0] if exc.errors() else {}
        where = ".".join(str(p) for p in first.get("loc", ()) if p != "body")
        return _error(
            422, "invalid_request", f"{where or 'request'}: {first.get('msg', 'invalid')}"
        )

    @app.exception_handler(UnknownTransaction)
    async def _unknown(_: Request, exc: UnknownTransaction) -> JSONResponse:
        return _error(404, "unknown_transaction", str(exc))

    @app.exception_handler(KioskError)
    async def _kiosk_error(_: Request, exc: KioskError) -> JSONResponse:
        status = _KIOSK_ERROR_STATUS.get(exc.code, 422)
        response = _error(status, exc.code, str(exc))
        txn = getattr(exc, "txn", None)
        if isinstance(exc, _KEYED_ERRORS) and txn is not None:
            # in_progress / interrupted / reused: the transaction the key belongs to
            return JSONResponse(
                status_code=status,
                content={"error": {"code": exc.code, "message": str(exc), "txn": txn}},
            )
        return response

    @app.exception_handler(PrinterError)
    async def _printer_error(_: Request, exc: PrinterError) -> JSONResponse:
        return _error(503, "printer_not_ready", str(exc))

    @app.exception_handler(StoreError)
    async def _store_error(_: Request, exc: StoreError) -> JSONResponse:
        return _error(409, "store_refused", str(exc))

    guard = [Depends(authorised)]

    def status_body() -> dict[str, Any]:
        # The status bar's snapshot (terminal.status), plus the outbox's details and the
        # forwarder's circuit that `kiosk queue drain` and scripts read.
        return {
            **kiosk.status.snapshot().to_dict(),
            "outbox": kiosk.store.outbox_status(),
            "forwarder": kiosk.forwarder.state,
        }

    @app.get(f"{API_PREFIX}/status", dependencies=guard)
    def status() -> dict[str, Any]:
        """Printer, host, queue, dead letters, offline exposure and what needs attention."""
        return status_body()

    @app.post(f"{API_PREFIX}/status/refresh", dependencies=guard)
    def refresh_status() -> dict[str, Any]:
        """Ask the host's health check now (the clerk's "check again"), then the status."""
        kiosk.host_monitor.check_now()
        return status_body()

    @app.get(f"{API_PREFIX}/quote", dependencies=guard)
    def quote(product: str, amount_minor: Annotated[int, Field(gt=0, le=10**12)]) -> dict[str, Any]:
        return kiosk.sales.quote(product, amount_minor).to_dict()

    @app.post(f"{API_PREFIX}/sales", dependencies=guard)
    def sell(body: SellBody, idempotency_key: IdempotencyKey = None) -> JSONResponse:
        """A sale; without ``clerk`` it is recorded as clerk "api" (the till holds the token).

        With ``Idempotency-Key`` the key is recorded with the sale: a repeat answers the first
        sale (``GET /api/v1/idempotency-keys/{key}`` finds it after a crash).
        """
        sent = body.model_dump()
        fields = {**sent, "clerk": kiosk.clerks.sale_clerk(body.clerk)}
        if idempotency_key is not None:
            answer = kiosk.idempotency.sell(SaleRequest(**fields), key=idempotency_key, body=sent)
            return JSONResponse(status_code=answer.status, content=answer.body)
        result = kiosk.sales.sell(SaleRequest(**fields))
        return JSONResponse(status_code=200 if result.ok else 409, content=result.to_dict())

    @app.get(f"{API_PREFIX}/transactions/{{txn}}", dependencies=guard)
    def transaction(txn: Annotated[str, Field(pattern=r"^[0-9]{14}$")]) -> dict[str, Any]:
        record = kiosk.store.get(txn)
        return {
            "transaction": record.to_dict(),
            "outbox": [m.to_dict() for m in kiosk.store.outbox_for(txn)],
        }

    @app.post(f"{API_PREFIX}/queue/drain", dependencies=guard)
    def drain(timeout_s: Annotated[float, Field(gt=0, le=300)] = 10.0) -> dict[str, Any]:
        return kiosk.forwarder.drain(timeout_s).to_dict()

    for name in ROUTE_MODULES:
        try:
            module = importlib.import_module(f"terminal.routes.{name}")
        except ModuleNotFoundError as exc:
            if exc.name == f"terminal.routes.{name}":
                continue  # that area has no endpoints in this build
            raise
        app.include_router(module.router(kiosk), prefix=API_PREFIX, dependencies=guard)
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
    ) -> None:
        import secrets

        import uvicorn

        self.kiosk = kiosk
        # kiosk.toml's [api] token, so the shop's till can be configured with it once; else
        # one made up for this run (kiosk commands read it from the lock file either way).
        self.token = kiosk.config.api.token or secrets.token_urlsafe(32)
        add_secret(self.token)
        self.app = create_app(kiosk, token=self.token, printed_slips=printed_slips)
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


__all__ = ["API_PREFIX", "ApiServer", "SellBody", "create_app"]
