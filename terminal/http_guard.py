"""What every request to the kiosk's HTTP server passes before any route: the host name it was
sent to, and the size of its body.

Pure ASGI middleware, so a refused request never reaches FastAPI's body parsing:

* **Host allow-list.** A page on another site can point its own DNS name at 127.0.0.1 (DNS
  rebinding) and then read the screen as "same origin". The browser still sends that name in
  the ``Host`` header, so only the names in ``[api] allowed_hosts`` (loopback by default) are
  answered; others get 421 Misdirected Request.
* **Body limit.** ``Content-Length`` above ``[api] max_body`` is refused before reading; a
  chunked body is counted as it arrives and cut off at the limit. 413 either way, in the API's
  error shape.
"""

from __future__ import annotations

import json
from collections.abc import Awaitable, Callable, Iterable, MutableMapping
from typing import Any

Scope = MutableMapping[str, Any]
Message = MutableMapping[str, Any]
Receive = Callable[[], Awaitable[Message]]
Send = Callable[[Message], Awaitable[None]]
ASGIApp = Callable[[Scope, Receive, Send], Awaitable[None]]


def host_name(header: str) -> str:
    """``"[::1]:8080"`` -> ``"::1"``, ``"Kiosk.local.:80"`` -> ``"kiosk.local"``."""
    value = header.strip().lower()
    if value.startswith("["):
        end = value.find("]")
        return value[1:end] if end > 0 else value
    if value.count(":") == 1:
        value = value.split(":", 1)[0]
    return value.rstrip(".")


def _replay(first: list[Message], receive: Receive) -> Receive:
    pending = list(first)

    async def replayed() -> Message:
        if pending:
            return pending.pop(0)
        return await receive()

    return replayed


class HttpGuard:
    """Host allow-list and body size limit in front of ``app``."""

    def __init__(self, app: ASGIApp, *, allowed_hosts: Iterable[str], max_body_bytes: int) -> None:
        self.app = app
        self.allowed = frozenset(h.lower().rstrip(".") for h in allowed_hosts)
        self.max_body = max_body_bytes

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        headers = {k.decode("latin-1").lower(): v.decode("latin-1") for k, v in scope["headers"]}
        name = host_name(headers.get("host", ""))
        if name not in self.allowed:
            await _refuse(
                send,
                421,
                "host_not_allowed",
                f"This kiosk does not answer to the host name {name or '(none)'!r}: open it as "
                "http://localhost:<port>, or add the name to [api] allowed_hosts in kiosk.toml.",
            )
            return
        declared = headers.get("content-length")
        if declared is not None and declared.strip().isdigit() and int(declared) > self.max_body:
            await _refuse(send, 413, "too_large", self._too_large())
            return
        # Read the body up to the limit before the app sees it (bodies here are small JSON or
        # form posts), then hand it over in one piece; later receives (a client hanging up
        # on an event stream) go straight through.
        chunks: list[bytes] = []
        received = 0
        while True:
            message = await receive()
            if message["type"] != "http.request":
                await self.app(scope, _replay([message], receive), send)
                return
            chunk = message.get("body", b"")
            received += len(chunk)
            if received > self.max_body:
                await _refuse(send, 413, "too_large", self._too_large())
                return
            chunks.append(chunk)
            if not message.get("more_body", False):
                break
        whole = {"type": "http.request", "body": b"".join(chunks), "more_body": False}
        await self.app(scope, _replay([whole], receive), send)

    def _too_large(self) -> str:
        return (
            f"The request is too large: at most {self.max_body} bytes are read "
            "([api] max_body in kiosk.toml)."
        )


async def _refuse(send: Send, status: int, code: str, message: str) -> None:
    body = json.dumps({"error": {"code": code, "message": message}}).encode("utf-8")
    await send(
        {
            "type": "http.response.start",
            "status": status,
            "headers": [
                (b"content-type", b"application/json"),
                (b"content-length", str(len(body)).encode("ascii")),
                (b"connection", b"close"),
            ],
        }
    )
    await send({"type": "http.response.body", "body": body})


__all__ = ["HttpGuard", "host_name"]
