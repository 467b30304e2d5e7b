"""How the local API answers a refusal: always ``{"error": {"code", "message"}}`` (the model is
``terminal.routes.schemas.Error``), with a message a clerk can act on, never a 500 for bad input.

The services raise named exceptions; the handlers here give each its status, so every area
answers alike without a try/except per endpoint.
"""

from __future__ import annotations

from fastapi import FastAPI, Request
from fastapi.exception_handlers import http_exception_handler
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse, Response
from starlette.exceptions import HTTPException as StarletteHTTPException

from drivers.errors import PrinterError
from offline_queue.errors import StoreError, UnknownTransaction
from terminal.errors import KioskError
from terminal.idempotency import (
    IdempotencyInProgress,
    IdempotencyInterrupted,
    IdempotencyKeyReused,
)

#: HTTP status of the refusals that are not "invalid input" (422).
KIOSK_ERROR_STATUS: dict[str, int] = {
    "in_progress": 409,
    "interrupted": 409,
    "unknown_idempotency_key": 404,
}
_KEYED_ERRORS = (IdempotencyInProgress, IdempotencyInterrupted, IdempotencyKeyReused)

#: Code and message of the framework's HTTP errors (``{path}`` is the request's path).
HTTP_ERRORS: dict[int, tuple[str, str]] = {
    400: ("invalid_body", "The request body could not be read: send one JSON object."),
    404: ("not_found", "There is no {path} here: see /docs?token=... for the endpoints."),
    405: ("method_not_allowed", "{path} does not take this method: see /docs."),
    413: ("too_large", "The request is too large."),
    415: ("unsupported_media_type", "Send the body as application/json."),
}


def error(status: int, code: str, message: str) -> JSONResponse:
    return JSONResponse(status_code=status, content={"error": {"code": code, "message": message}})


def install(app: FastAPI, *, api_prefix: str) -> None:
    """The error handlers of the API (paths under ``api_prefix``) on ``app``."""

    @app.exception_handler(StarletteHTTPException)
    async def _http_error(request: Request, exc: StarletteHTTPException) -> Response:
        # The framework's own refusals under the API (no such path, wrong method, a body it
        # cannot parse) in the same shape as ours; they are all the client's doing. The
        # screen's pages keep FastAPI's own answers (redirects, their error pages).
        if not request.url.path.startswith(api_prefix + "/"):
            web = getattr(request.app.state, "web", None)
            if web is not None and web.is_screen_path(request.url.path):
                # The screen's own page, in the clerk's language (never FastAPI's JSON).
                return web.error_page(request, exc.status_code, exc.headers)
            return await http_exception_handler(request, exc)
        if exc.status_code in HTTP_ERRORS:
            code, template = HTTP_ERRORS[exc.status_code]
            message = template.format(path=request.url.path)
        else:
            code, message = "http_error", str(exc.detail)
        response = error(exc.status_code, code, message)
        response.headers.update(exc.headers or {})
        return response

    @app.exception_handler(RequestValidationError)
    async def _invalid(_: Request, exc: RequestValidationError) -> JSONResponse:
        first = exc.errors()[0] if exc.errors() else {}
        where = ".".join(str(p) for p in first.get("loc", ()) if p != "body")
        return error(422, "invalid_request", f"{where or 'request'}: {first.get('msg', 'invalid')}")

    @app.exception_handler(UnknownTransaction)
    async def _unknown(_: Request, exc: UnknownTransaction) -> JSONResponse:
        return error(404, "unknown_transaction", str(exc))

    @app.exception_handler(KioskError)
    async def _kiosk_error(_: Request, exc: KioskError) -> JSONResponse:
        status = KIOSK_ERROR_STATUS.get(exc.code, 422)
        txn = getattr(exc, "txn", None)
        if isinstance(exc, _KEYED_ERRORS) and txn is not None:
            # in_progress / interrupted / reused: the transaction the key belongs to
            return JSONResponse(
                status_code=status,
                content={"error": {"code": exc.code, "message": str(exc), "txn": txn}},
            )
        return error(status, exc.code, str(exc))

    @app.exception_handler(PrinterError)
    async def _printer_error(_: Request, exc: PrinterError) -> JSONResponse:
        return error(503, "printer_not_ready", str(exc))

    @app.exception_handler(StoreError)
    async def _store_error(_: Request, exc: StoreError) -> JSONResponse:
        return error(409, "store_refused", str(exc))


__all__ = ["HTTP_ERRORS", "KIOSK_ERROR_STATUS", "error", "install"]
