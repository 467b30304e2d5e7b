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

from typing import Literal

from fastapi import APIRouter
from fastapi.responses import JSONResponse
from pydantic import BaseModel, ConfigDict, Field

from terminal.devices import DemoControls, NotDemo
from terminal.kiosk import Kiosk
from terminal.routes.schemas import Model, answer, errors

PrinterFault = Literal[
    "paper-out", "paper-in", "paper-low", "cover-open", "cover-close", "offline", "online", "clear"
]


class HostBody(BaseModel):
    model_config = ConfigDict(extra="forbid")

    up: bool


class PrinterBody(BaseModel):
    model_config = ConfigDict(extra="forbid")

    fault: PrinterFault


class DemoHostState(Model):
    up: bool = Field(description="Whether the demo's reference host listens on its port.")
    url: str = Field(description="Where it listens (loopback).")


class DemoHost(Model):
    """The demo's reference host after the change."""

    host: DemoHostState


class DemoPrinter(Model):
    """The demo's virtual printer after the change: its faults and mechanism, by name
    (``paper_end``, ``cover_open``, ``offline``, ...), as the virtual printer reports them."""

    printer: dict[str, bool | int | float | str | None]


def router(kiosk: Kiosk) -> APIRouter:
    api = APIRouter()

    def peers() -> DemoControls:
        if kiosk.demo is None:
            raise NotDemo(
                "Only `kiosk demo` can switch its host and printer off and on; this kiosk "
                "talks to a real host and printer."
            )
        return kiosk.demo

    @api.post("/demo/host", response_model=DemoHost, responses=errors())
    def demo_host(body: HostBody) -> JSONResponse:
        """Stop or start the demo's reference host (``kiosk demo`` only)."""
        state = peers().set_host(body.up)
        kiosk.host_monitor.check_now()  # the status bar shows it at once
        return answer({"host": state})

    @api.post("/demo/printer", response_model=DemoPrinter, responses=errors())
    def demo_printer(body: PrinterBody) -> JSONResponse:
        """Cause or clear a fault of the demo's virtual printer (``kiosk demo`` only)."""
        return answer({"printer": peers().printer_fault(body.fault)})

    return api


__all__ = ["DemoHost", "DemoHostState", "DemoPrinter", "HostBody", "PrinterBody", "router"]
