"""Local API of ``kiosk demo`` only: break the demo's peers on purpose, for real.

* ``POST /demo/host`` -- ``{"up": false}`` stops the reference host's listener (a sale's
  connection is then refused, the one case a sale may be accepted offline); ``{"up": true}``
  starts it again on the same port with the same database.
* ``POST /demo/printer`` -- ``{"fault": "paper-out"}`` (or ``paper-in``, ``paper-low``,
  ``cover-open``, ``cover-close``, ``offline``, ``online``, ``clear``) on the virtual printer.

Outside ``kiosk demo`` both refuse with ``not_demo``: a real counter's host and printer are not
the kiosk's to switch off. ``kiosk demo-host`` and ``kiosk demo-printer`` call them.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any, Literal

from fastapi import APIRouter
from pydantic import BaseModel, ConfigDict

from terminal.devices import NotDemo
from terminal.kiosk import Kiosk

if TYPE_CHECKING:  # terminal.demo loads the virtual printer (Pillow, qrcode): `kiosk serve` never
    from terminal.demo import DemoPeers

PrinterFault = Literal[
    "paper-out", "paper-in", "paper-low", "cover-open", "cover-close", "offline", "online", "clear"
]


class HostBody(BaseModel):
    model_config = ConfigDict(extra="forbid")

    up: bool


class PrinterBody(BaseModel):
    model_config = ConfigDict(extra="forbid")

    fault: PrinterFault


def router(kiosk: Kiosk) -> APIRouter:
    api = APIRouter()

    def peers() -> DemoPeers:
        if kiosk.demo is None:
            raise NotDemo(
                "Only `kiosk demo` can switch its host and printer off and on; this kiosk "
                "talks to a real host and printer."
            )
        return kiosk.demo

    @api.post("/demo/host")
    def demo_host(body: HostBody) -> dict[str, Any]:
        """Stop or start the demo's reference host (``kiosk demo`` only)."""
        state = peers().set_host(body.up)
        kiosk.host_monitor.check_now()  # the status bar shows it at once
        return {"host": state}

    @api.post("/demo/printer")
    def demo_printer(body: PrinterBody) -> dict[str, Any]:
        """Cause or clear a fault of the demo's virtual printer (``kiosk demo`` only)."""
        return {"printer": peers().printer_fault(body.fault)}

    return api


__all__ = ["HostBody", "PrinterBody", "router"]
