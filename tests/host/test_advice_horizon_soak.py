"""The advice endpoint failing past the old 120 s in real time (issue 14, item 1).

A real-time variant of ``test_advice_horizon.py``: real clocks, a ``kiosk-host serve`` style
host with its default horizon and its own sweeper thread, the advice endpoint down for
``SOAK_ADVICE_DOWN_S`` (default 150 s). Every sale whose slip printed ends ``confirmed`` at the
host. Minutes long, so only ``make soak`` runs it (``SOAK=1``).
"""

from __future__ import annotations

import os
import threading
import time
from pathlib import Path

import pytest
from helpers.kiosk import SALES, register, write_config

from drivers.virtual_printer import VirtualPrinter
from hostsim.faults import Fault
from hostsim.server import HostServer
from terminal.kiosk import Kiosk
from terminal.sale import SaleRequest

pytestmark = [
    pytest.mark.soak,
    pytest.mark.skipif(not os.environ.get("SOAK"), reason="real-time soak: run `make soak`"),
]

DOWN_S = float(os.environ.get("SOAK_ADVICE_DOWN_S", "150"))


def test_confirms_outlive_an_advice_outage_longer_than_120_s(tmp_path: Path) -> None:
    host = HostServer(tmp_path / "host.sqlite", sweep_interval_s=1.0).start()
    printer = VirtualPrinter(out_dir=None).start()
    try:
        config = write_config(
            tmp_path, "si", host_url=host.url, printer_url=f"tcp://127.0.0.1:{printer.port}"
        )
        register(tmp_path / "host.sqlite", config)
        host.faults.set(Fault("down", path_prefix="/v1/advice"))
        with Kiosk(config) as kiosk:
            kiosk.start_forwarding()
            sold = []
            for _ in range(3):
                result = kiosk.sales.sell(SaleRequest(product="card-topup", **SALES["card-topup"]))
                assert result.state == "confirmed", result.reason
                sold.append(result.txn)
            # the outage, in real time, with the host's sweeper running every second
            threading.Event().wait(DOWN_S)
            for txn in sold:
                assert kiosk.host.transaction(txn)["state"] == "provisioned"  # type: ignore[index]
            host.faults.clear()
            # the forwarder's own thread delivers them once its circuit and backoff allow
            budget = config.forwarder.circuit_cooldown_s + config.forwarder.backoff_cap_s + 60
            deadline = time.monotonic() + budget
            while kiosk.store.outbox_status()["counts"]["pending"]:
                assert time.monotonic() < deadline, kiosk.store.outbox_status()
                kiosk.forwarder.notify()
                kiosk.forwarder.wait_for_cycles(kiosk.forwarder.cycles_done + 1, timeout_s=5)
            assert kiosk.store.outbox_status()["counts"]["dead"] == 0
            for txn in sold:
                assert kiosk.host.transaction(txn)["state"] == "confirmed"  # type: ignore[index]
    finally:
        printer.stop()
        host.stop()
