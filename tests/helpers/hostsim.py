"""Run the reference host in-process on a free loopback port, with a ManualClock and a tmp db.

Tests talk to it over real HTTP (``requests``), exactly as the terminal does; only time is
simulated, so auto-reversal and storno windows are crossed by ``harness.advance(...)``.
"""

from __future__ import annotations

import itertools
import uuid
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import requests

from foundation.clock import ManualClock
from foundation.host_wire import dumps, signed_headers
from hostsim import testnumbers as tn
from hostsim.products import HostSettings
from hostsim.server import HostServer
from terminal.host_client import HostClient

TERMINAL_ID = "12345"
TERMINAL_KEY = "k3y-of-terminal-12345"
OTHER_TERMINAL_ID = "54321"
OTHER_TERMINAL_KEY = "k3y-of-terminal-54321"
HTTP_TIMEOUT = (2.0, 5.0)

#: A valid provision for each product (amounts in minor units), overridable per test.
SALES: dict[str, dict[str, Any]] = {
    "mobile-topup": {
        "product": "mobile-topup",
        "amount_minor": 50_000,
        "fees_minor": 0,
        "currency": "RSD",
        "target": tn.SUBSCRIBER,
        "fields": {},
    },
    "card-topup": {
        "product": "card-topup",
        "amount_minor": 5_000,
        "fees_minor": 200,
        "currency": "EUR",
        "target": tn.ONLINE_CARD,
        "fields": {},
    },
    "card-sale": {
        "product": "card-sale",
        "amount_minor": 2_500,
        "fees_minor": 300,
        "currency": "EUR",
        "target": "",
        "fields": {"card_type": "simple"},
    },
    "imei-fee": {
        "product": "imei-fee",
        "amount_minor": 2_500,
        "fees_minor": 0,
        "currency": "AZN",
        "target": tn.IMEI_DUOS_1,
        "fields": {"second_imei": tn.IMEI_DUOS_2},
    },
    "bill-payment": {
        "product": "bill-payment",
        "amount_minor": 1_000,
        "fees_minor": 30,
        "currency": "AZN",
        "target": "0501234567",
        "fields": {"biller_id": "azercell"},
    },
    "benefit-payment": {
        "product": "benefit-payment",
        "amount_minor": 2_500,
        "fees_minor": 0,
        "currency": "EUR",
        "target": tn.BENEFIT_ACCOUNT,
        "fields": {"benefit_type": "sport", "message": "Yoga course"},
    },
}


@dataclass
class HostHarness:
    server: HostServer
    clock: ManualClock
    terminal_id: str = TERMINAL_ID
    key: str = TERMINAL_KEY
    _seq: Iterator[int] = field(default_factory=lambda: itertools.count(1))

    @property
    def url(self) -> str:
        return self.server.url

    def advance(self, seconds: float) -> None:
        self.clock.advance(seconds)

    def next_txn(self, terminal_id: str | None = None) -> str:
        prefix = (terminal_id or self.terminal_id)[:5].rjust(5, "0")
        return f"{prefix}{next(self._seq):09d}"

    @staticmethod
    def message_id() -> str:
        return uuid.uuid4().hex

    def client(self, **kwargs: Any) -> HostClient:
        options: dict[str, Any] = {
            "terminal_id": self.terminal_id,
            "key": self.key,
            "clock": self.clock,
            "connect_timeout_s": 2.0,
            "read_timeout_s": 5.0,
        }
        options.update(kwargs)
        return HostClient(self.url, **options)

    def signed(
        self,
        method: str,
        path: str,
        body: Any = None,
        *,
        raw: bytes | None = None,
        terminal_id: str | None = None,
        key: str | None = None,
        timestamp: int | None = None,
        nonce: str | None = None,
        timeout: tuple[float, float] = HTTP_TIMEOUT,
    ) -> requests.Response:
        """A request signed like the terminal signs it (any part overridable to test auth)."""
        data = raw if raw is not None else (dumps(body) if body is not None else b"")
        headers = signed_headers(
            terminal_id or self.terminal_id,
            key or self.key,
            method,
            path,
            data,
            timestamp=int(self.clock.now().timestamp()) if timestamp is None else timestamp,
            nonce=nonce,
        )
        return requests.request(
            method, self.url + path, data=data or None, headers=headers, timeout=timeout
        )

    def admin(self, method: str, path: str, body: Any = None) -> requests.Response:
        return requests.request(method, self.url + path, json=body, timeout=HTTP_TIMEOUT)

    def sale(self, product: str, **overrides: Any) -> dict[str, Any]:
        """A provision body for ``product`` with a fresh txn and message id."""
        body = {**SALES[product], "txn": self.next_txn(), "message_id": self.message_id()}
        body.update(overrides)
        if "total_minor" not in overrides:
            body["total_minor"] = body["amount_minor"] + body["fees_minor"]
        return body

    def provision(self, product: str, **overrides: Any) -> dict[str, Any]:
        """Provision over HTTP and return the parsed answer (asserting HTTP 200)."""
        response = self.signed("POST", "/v1/provision", self.sale(product, **overrides))
        assert response.status_code == 200, response.text
        answer: dict[str, Any] = response.json()
        return answer

    def advise(
        self, txn: str, kind: str, payload: Mapping[str, Any] | None = None, **kw: Any
    ) -> dict[str, Any]:
        """Send one advice through the batch endpoint and return its result."""
        advice = {
            "message_id": self.message_id(),
            "txn": txn,
            "kind": kind,
            "payload": dict(payload or {}),
        }
        response = self.signed("POST", "/v1/advices", {"advices": [advice]}, **kw)
        assert response.status_code == 200, response.text
        result: dict[str, Any] = response.json()["results"][0]
        return result

    def confirm(self, txn: str, printed_at: str | None = None) -> dict[str, Any]:
        payload = {"printed_at": printed_at or self.clock.now().isoformat()}
        return self.advise(txn, "confirm", payload)

    def state(self, txn: str) -> str | None:
        row = self.server.store.txn(txn)
        return None if row is None else str(row["state"])

    def view(self, txn: str) -> dict[str, Any]:
        response = self.signed("GET", f"/v1/transactions/{txn}")
        assert response.status_code == 200, response.text
        data: dict[str, Any] = response.json()
        return data

    def set_fault(self, kind: str, **params: Any) -> None:
        response = self.admin("POST", "/admin/faults", {"kind": kind, **params})
        assert response.status_code == 200, response.text

    def clear_faults(self) -> None:
        response = self.admin("DELETE", "/admin/faults")
        assert response.status_code == 200, response.text


@contextmanager
def run_host(tmp_path: Path, *, settings: HostSettings | None = None) -> Iterator[HostHarness]:
    """A started host with two registered terminals; stopped (and faults released) on exit."""
    clock = ManualClock()
    server = HostServer(tmp_path / "host.sqlite", port=0, clock=clock, settings=settings)
    server.store.add_terminal(TERMINAL_ID, TERMINAL_KEY, clock.now().isoformat())
    server.store.add_terminal(OTHER_TERMINAL_ID, OTHER_TERMINAL_KEY, clock.now().isoformat())
    server.start()
    try:
        yield HostHarness(server=server, clock=clock)
    finally:
        server.stop()


__all__ = [
    "OTHER_TERMINAL_ID",
    "OTHER_TERMINAL_KEY",
    "SALES",
    "TERMINAL_ID",
    "TERMINAL_KEY",
    "HostHarness",
    "run_host",
]
