"""A whole terminal on loopback for end-to-end tests: reference host, virtual printer, store.

The kiosk and the host share one ManualClock, so signatures stay fresh and windows, leases and
attempt timeouts move only when a test says so. The printer's socket timeouts are real (short):
a silent printer is a real silence.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

from drivers.virtual_printer import VirtualPrinter
from foundation.clock import ManualClock
from hostsim import testnumbers as T
from hostsim.server import HostServer
from hostsim.store import HostStore
from terminal.config import KioskConfig, load_config, write_preset
from terminal.kiosk import Kiosk
from terminal.sale import SaleRequest, SaleResult

#: One sellable request per product, valid at the reference host in test mode.
SALES: dict[str, dict[str, Any]] = {
    "card-topup": {"target": T.ONLINE_CARD, "amount_minor": 15000, "cash_minor": 16000},
    "card-sale": {"target": "", "amount_minor": 5000, "cash_minor": 5500},
    "mobile-topup": {"target": "064 1234567", "amount_minor": 50000, "cash_minor": 50000},
    "imei-fee": {"target": T.IMEI_SINGLE, "amount_minor": None, "cash_minor": 10000},
    "bill-payment": {
        "target": "0501234567",
        "amount_minor": 2000,
        "cash_minor": 3000,
        "biller_id": "azercell",
    },
    "benefit-payment": {
        "target": T.BENEFIT_ACCOUNT,
        "amount_minor": 2500,
        "cash_minor": 0,  # paid from the benefit balance: the counter takes no cash
        "benefit_type": "sport",
        "message": "Kuntosali, marraskuu",
    },
}

MARKET_PRODUCTS: dict[str, tuple[str, ...]] = {
    "si": ("card-topup", "card-sale"),
    "rs": ("mobile-topup",),
    "az": ("imei-fee", "bill-payment"),
    "fi": ("benefit-payment",),
}


def write_config(
    folder: Path, market: str, *, host_url: str, printer_url: str, terminal_id: str = "12345"
) -> KioskConfig:
    """The market's preset, pointed at this test's peers, with short timeouts."""
    path = folder / "kiosk.toml"
    write_preset(path, market, terminal_id=terminal_id, force=True)
    text = path.read_text(encoding="utf-8")
    text = text.replace("tcp://127.0.0.1:9100", printer_url)
    text = text.replace("http://127.0.0.1:8700", host_url)
    text = text.replace('read_timeout = "10s"', 'read_timeout = "2s"')
    text = text.replace('connect_timeout = "3s"', 'connect_timeout = "1s"')
    text = text.replace('timeout = "5s"', 'timeout = "2s"')
    path.write_text(text, encoding="utf-8")
    return load_config(path)


@dataclass
class Counter:
    """Everything at one shop counter, plus the host it talks to."""

    clock: ManualClock
    host: HostServer
    printer: VirtualPrinter
    config: KioskConfig
    folder: Path
    kiosk: Kiosk | None = None

    def open(self) -> Kiosk:
        """Start the kiosk (runs crash recovery), like a process start."""
        self.kiosk = Kiosk(self.config, clock=self.clock)
        return self.kiosk

    def close(self) -> None:
        if self.kiosk is not None:
            self.kiosk.close()
            self.kiosk = None

    def sell(self, product: str, **overrides: Any) -> SaleResult:
        assert self.kiosk is not None
        fields = {**SALES[product], **overrides}
        return self.kiosk.sales.sell(SaleRequest(product=product, **fields))

    def host_view(self, txn: str) -> dict[str, Any] | None:
        """The host's own view of ``txn``, fetched over signed HTTP like a lookup would."""
        assert self.kiosk is not None
        return self.kiosk.host.transaction(txn)


def register(host_db: Path, config: KioskConfig) -> None:
    store = HostStore(host_db)
    try:
        store.add_terminal(config.terminal.id, config.terminal.key, "2026-11-22T00:00:00+00:00")
    finally:
        store.close()


def start_counter(tmp_path: Path, market: str) -> Counter:
    clock = ManualClock()
    host = HostServer(tmp_path / "host.sqlite", clock=clock).start()
    printer = VirtualPrinter(out_dir=tmp_path / "slips").start()
    config = write_config(
        tmp_path, market, host_url=host.url, printer_url=f"tcp://127.0.0.1:{printer.port}"
    )
    register(tmp_path / "host.sqlite", config)
    return Counter(clock=clock, host=host, printer=printer, config=config, folder=tmp_path)


def stop_counter(counter: Counter) -> None:
    counter.close()
    counter.printer.stop()
    counter.host.stop()
