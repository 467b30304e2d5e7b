"""Request routing of the reference host, independent of the HTTP server that carries it.

``HostApp.handle`` takes a method, a request target, headers and a body and returns a
:class:`Response`; the server (server.py) adds fault injection around it. Keeping routing free
of sockets lets the CLI and tests drive the same logic, and keeps faults a transport concern.

Terminal endpoints (``/v1/...``) are signed (auth.py) except ``GET /v1/health``. Admin
endpoints (``/admin/...``) are not signed and answer loopback clients only.
"""

from __future__ import annotations

import json
import logging
import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import parse_qs, unquote, urlsplit

from foundation.clock import Clock
from foundation.host_wire import (
    PROTOCOL_VERSION,
    TXN_PATTERN,
    ErrorCode,
    ProtocolViolation,
    dumps,
    error_body,
    loads,
)
from hostsim import imei, subscribers
from hostsim.auth import authenticate
from hostsim.benefits import BENEFIT_TYPES
from hostsim.billers import BILLERS
from hostsim.errors import Decline, HttpError
from hostsim.faults import FaultError, FaultInjector, parse_fault
from hostsim.ledger import HANDLERS, Ledger
from hostsim.messages import list_messages
from hostsim.products import Ctx, HostSettings
from hostsim.store import HostStore

JSON = "application/json"
_log = logging.getLogger(__name__)


@dataclass
class Response:
    status: int
    body: bytes
    headers: dict[str, str] = field(default_factory=dict)

    @classmethod
    def json(cls, status: int, obj: Any, headers: Mapping[str, str] | None = None) -> Response:
        return cls(status, dumps(obj), dict(headers or {}))


def _error(exc: HttpError) -> Response:
    headers = {}
    if exc.retry_after_s is not None:
        headers["Retry-After"] = str(exc.retry_after_s)
    return Response.json(exc.status, error_body(exc.code, exc.message), headers)


def _object(body: bytes) -> dict[str, Any]:
    try:
        data = loads(body)
    except ProtocolViolation as exc:
        raise HttpError(400, exc.code, str(exc)) from None
    if not isinstance(data, dict):
        raise HttpError(400, ErrorCode.INVALID_REQUEST, "the body must be a JSON object")
    return data


def _journal_head(value: Any) -> tuple[int, str] | None:
    """The terminal's journal head sent with an advice batch (optional), checked."""
    if value is None:
        return None
    seq = value.get("seq") if isinstance(value, dict) else None
    digest = value.get("hash") if isinstance(value, dict) else None
    if (
        isinstance(seq, bool)
        or not isinstance(seq, int)
        or seq < 0
        or not isinstance(digest, str)
        or not re.fullmatch(r"[0-9a-f]{64}", digest)
    ):
        raise HttpError(
            400,
            ErrorCode.INVALID_REQUEST,
            "journal_head must be {seq: a whole number >= 0, hash: 64 lowercase hex digits}",
        )
    return seq, digest


def _is_loopback(address: str) -> bool:
    return address in ("127.0.0.1", "::1", "::ffff:127.0.0.1") or address.startswith("127.")


class HostApp:
    """The host: store, clock, settings, ledger and faults, behind one request entry point."""

    def __init__(
        self,
        store: HostStore,
        clock: Clock,
        settings: HostSettings | None = None,
        faults: FaultInjector | None = None,
    ) -> None:
        self.store = store
        self.clock = clock
        self.settings = settings or HostSettings()
        self.faults = faults or FaultInjector()
        self.ledger = Ledger()

    def ctx(self, terminal_id: str = "") -> Ctx:
        return Ctx(self.store, self.clock.now(), terminal_id, self.settings)

    def sweep(self) -> dict[str, int]:
        """Run auto-reversal now (also run before every request)."""
        return self.ledger.sweep(self.ctx())

    def handle(
        self,
        method: str,
        target: str,
        headers: Mapping[str, str],
        body: bytes,
        client_address: str = "127.0.0.1",
    ) -> Response:
        path = urlsplit(target).path
        try:
            with self.store.lock:
                if path != "/admin/sweep":  # that one reports what *it* swept
                    self.sweep()
                if path.startswith("/admin/"):
                    if not _is_loopback(client_address):
                        raise HttpError(
                            403, ErrorCode.FORBIDDEN, "admin endpoints answer loopback only"
                        )
                    return self._admin(method, target, body)
                if method == "GET" and path == "/v1/health":
                    return Response.json(
                        200,
                        {
                            "status": "ok",
                            "protocol": PROTOCOL_VERSION,
                            "host_time": self.clock.now().isoformat(),
                        },
                    )
                if not path.startswith("/v1/"):
                    raise HttpError(404, ErrorCode.NOT_FOUND, f"no endpoint {path}")
                terminal_id = authenticate(
                    self.store,
                    now=self.clock.now(),
                    max_skew_s=self.settings.max_skew_s,
                    method=method,
                    target=target,
                    headers=headers,
                    body=body,
                )
                return self._terminal(method, path, body, self.ctx(terminal_id))
        except HttpError as exc:
            return _error(exc)
        except Exception as exc:  # a simulator bug must still answer like a host: 500
            _log.exception("internal error on %s %s", method, target)
            return _error(HttpError(500, ErrorCode.INTERNAL_ERROR, f"{type(exc).__name__}: {exc}"))

    # -- terminal endpoints ----------------------------------------------------------------

    def _terminal(self, method: str, path: str, body: bytes, ctx: Ctx) -> Response:
        routes: dict[tuple[str, str], Callable[[], Response]] = {
            ("POST", "/v1/provision"): lambda: Response(
                200, self.ledger.provision(ctx, _object(body))
            ),
            ("POST", "/v1/advices"): lambda: self._advices(ctx, body),
            ("POST", "/v1/advice"): lambda: Response(200, self.ledger.advice(ctx, _object(body))),
            ("POST", "/v1/storno"): lambda: Response(200, self.ledger.storno(ctx, _object(body))),
            ("GET", "/v1/catalog"): lambda: Response.json(200, catalog()),
            ("POST", "/v1/imei/quote"): lambda: Response.json(200, _imei_quote(_object(body))),
        }
        route = routes.get((method, path))
        if route is not None:
            return route()
        if path.startswith("/v1/transactions/") and method == "GET":
            return self._transaction(ctx, unquote(path.removeprefix("/v1/transactions/")))
        if any(p == path for _, p in routes):
            raise HttpError(405, ErrorCode.METHOD_NOT_ALLOWED, f"{method} is not allowed on {path}")
        raise HttpError(404, ErrorCode.NOT_FOUND, f"no endpoint {path}")

    def _advices(self, ctx: Ctx, body: bytes) -> Response:
        batch = _object(body)
        head = _journal_head(batch.get("journal_head"))
        results = self.ledger.advices(ctx, batch)
        if head is not None:
            ctx.store.anchor_journal(ctx.terminal_id, head[0], head[1], ctx.now_iso)
        return Response(200, b'{"results":[' + b",".join(results) + b"]}")

    def _transaction(self, ctx: Ctx, txn: str) -> Response:
        if not TXN_PATTERN.fullmatch(txn):
            raise HttpError(400, ErrorCode.INVALID_REQUEST, "txn must be 14 digits")
        view = self.ledger.view(ctx, txn)
        if view is None:
            raise HttpError(404, ErrorCode.NOT_FOUND, f"the host has no transaction {txn}")
        if view["terminal_id"] != ctx.terminal_id:
            raise HttpError(
                403, ErrorCode.FORBIDDEN, f"transaction {txn} belongs to another terminal"
            )
        return Response.json(200, view)

    # -- admin endpoints -------------------------------------------------------------------

    def _admin(self, method: str, target: str, body: bytes) -> Response:
        parts = urlsplit(target)
        path = parts.path
        query = {k: v[-1] for k, v in parse_qs(parts.query).items()}
        if path == "/admin/faults":
            if method == "GET":
                return Response.json(200, {"faults": self.faults.active()})
            if method == "POST":
                try:
                    params = json.loads(body or b"{}")
                    if not isinstance(params, dict):
                        raise FaultError("the body must be a JSON object")
                    fault = parse_fault(params)
                except (FaultError, json.JSONDecodeError) as exc:
                    raise HttpError(400, ErrorCode.INVALID_REQUEST, str(exc)) from None
                self.faults.set(fault)
                return Response.json(200, {"faults": self.faults.active()})
            if method == "DELETE":
                try:
                    cleared = self.faults.clear(query.get("kind"))
                except FaultError as exc:
                    raise HttpError(400, ErrorCode.INVALID_REQUEST, str(exc)) from None
                return Response.json(200, {"cleared": cleared, "faults": self.faults.active()})
        if path == "/admin/sweep" and method == "POST":
            return Response.json(200, self.sweep())
        if path == "/admin/terminals" and method == "POST":
            data = _object(body)
            terminal_id, key = data.get("terminal_id"), data.get("key")
            if not isinstance(terminal_id, str) or not isinstance(key, str):
                raise HttpError(400, ErrorCode.INVALID_REQUEST, "terminal_id and key are text")
            self.store.add_terminal(terminal_id, key, self.clock.now().isoformat())
            return Response.json(200, {"terminal_id": terminal_id})
        if path == "/admin/customer-messages" and method == "GET":
            messages = list_messages(self.store, target=query.get("target"), txn=query.get("txn"))
            return Response.json(200, {"messages": [m.to_json() for m in messages]})
        if path.startswith("/admin/transactions/") and method == "GET":
            view = self.ledger.view(self.ctx(), unquote(path.removeprefix("/admin/transactions/")))
            if view is None:
                raise HttpError(404, ErrorCode.NOT_FOUND, "no such transaction")
            return Response.json(200, view)
        if path.startswith("/admin/subscribers/"):
            return self._admin_subscriber(method, path, body)
        raise HttpError(404, ErrorCode.NOT_FOUND, f"no admin endpoint {method} {path}")

    def _admin_subscriber(self, method: str, path: str, body: bytes) -> Response:
        rest = path.removeprefix("/admin/subscribers/")
        msisdn, _, action = rest.partition("/")
        msisdn = unquote(msisdn)
        if method == "POST" and action == "spend":
            amount = _object(body).get("amount_minor")
            try:
                row = subscribers.spend(self.store, msisdn, amount)
            except subscribers.SubscriberError as exc:
                raise HttpError(400, ErrorCode.INVALID_REQUEST, str(exc)) from None
            return Response.json(200, subscribers.subscriber_json(row))
        if method == "GET" and action == "":
            found = subscribers.subscriber(self.store, msisdn)
            if found is None:
                raise HttpError(404, ErrorCode.NOT_FOUND, f"no subscriber {msisdn}")
            return Response.json(200, subscribers.subscriber_json(found))
        raise HttpError(404, ErrorCode.NOT_FOUND, f"no admin endpoint {method} {path}")


def catalog() -> dict[str, Any]:
    """Billers, benefit types, IMEI models and products, for ``GET /v1/catalog``."""
    return {
        "protocol": PROTOCOL_VERSION,
        "billers": [b.to_json() for b in BILLERS],
        "benefit_types": [{"id": k, "name": v} for k, v in BENEFIT_TYPES.items()],
        "imei_models": [
            {
                "tac": m.tac,
                "model": m.name,
                "device_type": m.device_type,
                "fee_minor": m.fee_minor,
                "currency": "AZN",
            }
            for m in imei.MODELS.values()
        ],
        "products": [
            {"id": h.product, "currency": h.currency, "storno_window": h.storno_window}
            for h in HANDLERS.values()
        ],
    }


def _imei_quote(body: Mapping[str, Any]) -> dict[str, Any]:
    imeis = body.get("imeis")
    model = body.get("model")
    if not isinstance(imeis, list) or not all(isinstance(i, str) for i in imeis):
        raise HttpError(400, ErrorCode.INVALID_REQUEST, "imeis must be a list of IMEI strings")
    if model is not None and not isinstance(model, str):
        raise HttpError(400, ErrorCode.INVALID_REQUEST, "model must be text")
    try:
        return imei.quote(imeis, model).to_json()
    except Decline as decline:
        return {"status": "declined", "reason_code": decline.code, "reason": decline.reason}


__all__ = ["JSON", "HostApp", "Response", "catalog"]
