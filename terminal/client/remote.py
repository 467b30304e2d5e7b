"""The kiosk process that owns this terminal, through its local API (``/api/v1``).

The process publishes its API's address and a bearer token in the terminal's lock file
(:func:`terminal.kiosk.running_kiosk`); the token goes in every request's header and never in a
log. A refusal comes back as ``{"error": {"code", "message"}}`` and is raised as the
:class:`~terminal.errors.KioskError` the library would have raised in process.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import requests

from terminal.client import SaleBody
from terminal.errors import KioskError
from terminal.kiosk import RunningKiosk

#: Connect, read: a sale or a report waits for the host and the printer, so reading is long.
TIMEOUT_S = (3, 120)


class RemoteKioskClient:
    """:class:`~terminal.client.KioskClient` over the running kiosk's local API."""

    def __init__(self, running: RunningKiosk) -> None:
        self.running = running

    def request(self, method: str, path: str, **kwargs: Any) -> requests.Response:
        """One authenticated call (``path`` from ``/api/v1`` on); the raw response, for the
        callers that stream it (backup) or read its status code (doctor)."""
        running = self.running
        if not running.api_url or not running.token:
            raise KioskError(
                f"A kiosk process (pid {running.pid}) runs this terminal but serves no API yet: "
                "wait a moment and try again, or stop it first."
            )
        headers = {**kwargs.pop("headers", {}), "Authorization": f"Bearer {running.token}"}
        try:
            return requests.request(
                method, running.api_url + path, headers=headers, timeout=TIMEOUT_S, **kwargs
            )
        except requests.RequestException as exc:
            raise KioskError(
                f"The running kiosk process does not answer ({exc}): check it, then try again."
            ) from None

    def call(self, method: str, path: str, **kwargs: Any) -> dict[str, Any]:
        """The JSON body of one call; a refusal raised as :class:`KioskError` with its code."""
        response = self.request(method, path, **kwargs)
        try:
            data = response.json()
        except ValueError:
            raise KioskError(
                f"The running kiosk process answered {method} {path} with HTTP "
                f"{response.status_code} and no JSON: see its log, then try again.",
                code="bad_answer",
            ) from None
        if not isinstance(data, dict):
            raise KioskError(
                f"The running kiosk process answered {method} {path} with something other "
                "than a JSON object: see its log, then try again.",
                code="bad_answer",
            )
        error = data.get("error")
        if isinstance(error, dict):  # a refusal; an outcome's "error" is a plain text
            raise KioskError(str(error.get("message")), code=str(error.get("code")))
        return data

    def sell(self, body: SaleBody, *, idempotency_key: str | None = None) -> dict[str, Any]:
        headers = {} if idempotency_key is None else {"Idempotency-Key": idempotency_key}
        return self.call("POST", "/api/v1/sales", json=dict(body), headers=headers)

    def storno(self, txn: str, *, reason: str, clerk: str) -> dict[str, Any]:
        body = {"txn": txn, "reason": reason, "clerk": clerk}
        return self.call("POST", "/api/v1/stornos", json=body)

    def reprint(self, txn: str | None, *, slip: str | None = None) -> dict[str, Any]:
        return self.call("POST", "/api/v1/reprints", json={"txn": txn, "slip": slip})

    def lookup(self, query: Mapping[str, str]) -> dict[str, Any]:
        return self.call("GET", "/api/v1/lookup", params=dict(query))

    def clerks(self) -> dict[str, Any]:
        return self.call("GET", "/api/v1/clerks")

    def add_clerk(self, number: str, *, name: str, pin: str, role: str) -> dict[str, Any]:
        body = {"number": number, "name": name, "pin": pin, "role": role}
        return self.call("POST", "/api/v1/clerks", json=body)

    def unlock_clerk(self, number: str) -> dict[str, Any]:
        return self.call("POST", f"/api/v1/clerks/{number}/unlock", json={})

    def set_clerk_pin(self, number: str, pin: str) -> dict[str, Any]:
        return self.call("POST", f"/api/v1/clerks/{number}/pin", json={"pin": pin})

    def deactivate_clerk(self, number: str) -> dict[str, Any]:
        return self.call("POST", f"/api/v1/clerks/{number}/deactivate", json={})

    def report_preview(self, kind: str) -> dict[str, Any]:
        return self.call("GET", f"/api/v1/reports/{kind.lower()}")

    def x_report(self, *, clerk: str | None = None) -> dict[str, Any]:
        return self.call("POST", "/api/v1/reports/x", json={"clerk": clerk} if clerk else {})

    def z_report(self, *, clerk: str, pin: str) -> dict[str, Any]:
        return self.call("POST", "/api/v1/reports/z", json={"clerk": clerk, "pin": pin})

    def cash_summary(self) -> dict[str, Any]:
        return self.call("GET", "/api/v1/cash")

    def drain(self, timeout_s: float) -> dict[str, Any]:
        return self.call("POST", "/api/v1/queue/drain", params={"timeout_s": timeout_s})

    def outbox_status(self) -> dict[str, Any]:
        status: dict[str, Any] = self.call("GET", "/api/v1/status")["outbox"]
        return status

    def demo_host(self, up: bool) -> dict[str, Any]:
        """Stop or start the demo's reference host (only a running ``kiosk demo`` has one)."""
        return self.call("POST", "/api/v1/demo/host", json={"up": up})

    def demo_printer(self, fault: str) -> dict[str, Any]:
        """Cause or clear a fault of the demo's virtual printer (a running ``kiosk demo``)."""
        return self.call("POST", "/api/v1/demo/printer", json={"fault": fault})


__all__ = ["TIMEOUT_S", "RemoteKioskClient"]
