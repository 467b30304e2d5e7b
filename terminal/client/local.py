"""The terminal opened in this process: each call is the library call the API's endpoint
makes, so an answer here is the body the running kiosk would have sent."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime
from typing import Any

from terminal.client import SaleBody
from terminal.kiosk import Kiosk
from terminal.lookup import LookupQuery
from terminal.sale import SaleRequest

#: How long a sale or storno made here waits to hand its advice to the host: no forwarder
#: runs in this process after the command ends, so it is handed over at once, briefly.
FORWARD_TIMEOUT_S = 5.0


class LocalKioskClient:
    """:class:`~terminal.client.KioskClient` over a :class:`~terminal.kiosk.Kiosk` the caller
    opened (and closes)."""

    def __init__(self, kiosk: Kiosk) -> None:
        self.kiosk = kiosk

    def _forward(self) -> None:
        # Nobody else will forward it: hand the advice to the host right away, briefly.
        self.kiosk.forwarder.drain(timeout_s=FORWARD_TIMEOUT_S)

    def sell(self, body: SaleBody, *, idempotency_key: str | None = None) -> dict[str, Any]:
        # Without a clerk the sale is recorded as clerk "api", here as through the API.
        fields = {**body, "clerk": self.kiosk.clerks.sale_clerk(body.get("clerk"))}
        if idempotency_key is None:
            answer = self.kiosk.sales.sell(SaleRequest(**fields)).to_dict()
        else:
            # The API's semantics here too: the same key answers the first sale.
            answer = self.kiosk.idempotency.sell(
                SaleRequest(**fields), key=idempotency_key, body=dict(body)
            ).body
        self._forward()
        return answer

    def storno(self, txn: str, *, reason: str, clerk: str) -> dict[str, Any]:
        answer = self.kiosk.stornos.storno(txn, reason=reason, clerk=clerk).to_dict()
        self._forward()
        return answer

    def reprint(self, txn: str | None, *, slip: str | None = None) -> dict[str, Any]:
        return self.kiosk.reprints.reprint(txn, slip=slip).to_dict()

    def lookup(self, query: Mapping[str, str]) -> dict[str, Any]:
        since, until = query.get("since"), query.get("until")
        return self.kiosk.lookups.lookup(
            LookupQuery(
                txn=query.get("txn"),
                phone=query.get("phone"),
                card_last4=query.get("card_last4"),
                imei=query.get("imei"),
                since=datetime.fromisoformat(since) if since else None,
                until=datetime.fromisoformat(until) if until else None,
            )
        ).to_dict()

    def _clerk(self, number: str) -> dict[str, Any]:
        clerk = self.kiosk.clerks.get(number)
        return {"clerk": None if clerk is None else clerk.to_dict()}

    def clerks(self) -> dict[str, Any]:
        return {"clerks": [clerk.to_dict() for clerk in self.kiosk.clerks.list()]}

    def add_clerk(self, number: str, *, name: str, pin: str, role: str) -> dict[str, Any]:
        return {"clerk": self.kiosk.clerks.add(number, name, pin, role).to_dict()}

    def unlock_clerk(self, number: str) -> dict[str, Any]:
        self.kiosk.clerks.unlock(number)
        return self._clerk(number)

    def set_clerk_pin(self, number: str, pin: str) -> dict[str, Any]:
        self.kiosk.clerks.set_pin(number, pin)
        return self._clerk(number)

    def deactivate_clerk(self, number: str) -> dict[str, Any]:
        self.kiosk.clerks.deactivate(number)
        return self._clerk(number)

    def report_preview(self, kind: str) -> dict[str, Any]:
        return self.kiosk.reports.preview(kind).to_dict()

    def x_report(self, *, clerk: str | None = None) -> dict[str, Any]:
        return self.kiosk.reports.x_report(clerk=clerk).to_dict()

    def z_report(self, *, clerk: str, pin: str) -> dict[str, Any]:
        return self.kiosk.reports.z_report(clerk=clerk, pin=pin).to_dict()

    def cash_summary(self) -> dict[str, Any]:
        return self.kiosk.reports.cash_summary()

    def drain(self, timeout_s: float) -> dict[str, Any]:
        return self.kiosk.forwarder.drain(timeout_s).to_dict()

    def outbox_status(self) -> dict[str, Any]:
        return self.kiosk.store.outbox_status()


__all__ = ["FORWARD_TIMEOUT_S", "LocalKioskClient"]
