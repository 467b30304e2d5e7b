"""The demo: the reference host, the virtual printer and the kiosk in one process, no hardware.

Each market lives in a folder of its own (``var/demo/<market>``): the kiosk's ``kiosk.toml``
and store, the host's database, and the slips the virtual printer produced (``slips/NNNN.txt``
and ``.png``, numbered on from the last run's, never overwritten). Running it again keeps the
same terminal, its key and its history; another market never touches this one's files.

What a person trying it wants to break on purpose can be broken for real from another shell
(:class:`DemoPeers` behind the demo-only ``/api/v1/demo/...`` endpoints): the printer runs out
of paper, and the host stops listening, so a sale's connection is refused and offline
acceptance can be tried.
"""

from __future__ import annotations

import threading
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from drivers.virtual_printer import VirtualPrinter
from foundation.clock import SystemClock
from hostsim.server import HostServer
from hostsim.store import HostStore
from offline_queue.store import Store
from terminal.clerks import ClerkBook, Role
from terminal.config import KioskConfig, load_config, write_preset

DEFAULT_DIR = Path("var/demo")

#: The demo's clerks, so the counter screen can be used at once: (number, name, PIN, role).
DEMO_CLERKS: tuple[tuple[str, str, str, str], ...] = (
    ("1", "Ana", "1111", Role.SUPERVISOR.value),
    ("2", "Bor", "2222", Role.CLERK.value),
)


@dataclass(frozen=True)
class DemoPorts:
    host: int = 8700
    printer: int = 9100


def prepare_config(folder: Path, market: str, ports: DemoPorts) -> KioskConfig:
    """The demo's kiosk.toml: the market's preset pointed at the demo's host and printer."""
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / "kiosk.toml"
    if path.exists():
        config = load_config(path)
        if config.terminal.market == market:
            return config
    write_preset(path, market, force=True)
    text = path.read_text(encoding="utf-8")
    text = text.replace("tcp://127.0.0.1:9100", f"tcp://127.0.0.1:{ports.printer}")
    text = text.replace("http://127.0.0.1:8700", f"http://127.0.0.1:{ports.host}")
    path.write_text(text, encoding="utf-8")
    return load_config(path)


def register_terminal(host_db: Path, config: KioskConfig, at: str) -> None:
    store = HostStore(host_db)
    try:
        store.add_terminal(config.terminal.id, config.terminal.key, at)
    finally:
        store.close()


def seed_demo_clerks(config: KioskConfig) -> list[tuple[str, str, str, str]]:
    """Add the demo's clerks that are missing (before the kiosk starts); returns them all.

    Opens the store directly: the kiosk process is not running yet, so nothing else writes it.
    A clerk whose number exists is left as it is (its PIN may have been changed on purpose).
    """
    clock = SystemClock()
    with Store(config.store.path, terminal_id=config.terminal.id, clock=clock) as store:
        c = config.clerks
        book = ClerkBook(store, clock, max_failures=c.max_failures, lockout_s=c.lockout_s)
        for number, name, pin, role in DEMO_CLERKS:
            if book.get(number) is None:
                book.add(number, name, pin, role)
    return list(DEMO_CLERKS)


def market_folder(base: Path, market: str) -> Path:
    """``<base>/<market>``: one folder per market, so markets never share a terminal."""
    return base / market


#: The printer faults a demo user can cause (``kiosk demo-printer NAME``) -> VirtualPrinter call.
PRINTER_FAULTS: dict[str, str] = {
    "paper-out": "paper_out",
    "paper-in": "load_paper",
    "paper-low": "paper_near_end",
    "cover-open": "open_cover",
    "cover-close": "close_cover",
    "offline": "go_offline",
    "online": "go_online",
    "clear": "clear_faults",
}


class DemoPeers:
    """The reference host and the virtual printer of a demo, started and stopped together.

    The host can be taken down and brought back while the demo runs: down means nothing
    listens on its port any more (a refused connection, which is what lets a sale be accepted
    offline), not an error answer.
    """

    def __init__(self, folder: Path, ports: DemoPorts) -> None:
        self.folder = folder
        self.ports = ports
        self.slips_dir = folder / "slips"
        self.host = self._new_host()
        self.host_up = False
        self.printer = VirtualPrinter(port=ports.printer, out_dir=self.slips_dir)
        self._lock = threading.Lock()

    def _new_host(self) -> HostServer:
        return HostServer(self.folder / "host.sqlite", port=self.ports.host, sweep_interval_s=1.0)

    def start(self) -> DemoPeers:
        self.host.start()
        self.host_up = True
        self.printer.start()
        return self

    def stop(self) -> None:
        self.printer.stop()
        with self._lock:
            if self.host_up:
                self.host.stop()
                self.host_up = False

    # -- what the demo user breaks on purpose --------------------------------------------------

    def set_host(self, up: bool) -> dict[str, Any]:
        """Stop the host's listener (connections refused) or start it again on its port."""
        with self._lock:
            if up and not self.host_up:
                self.host = self._new_host().start()
                self.host_up = True
            elif not up and self.host_up:
                self.host.stop()
                self.host_up = False
        return self.host_state()

    def host_state(self) -> dict[str, Any]:
        return {"up": self.host_up, "url": f"http://127.0.0.1:{self.ports.host}"}

    def printer_fault(self, name: str) -> dict[str, Any]:
        """Apply one of :data:`PRINTER_FAULTS` to the virtual printer; its state after."""
        getattr(self.printer, PRINTER_FAULTS[name])()
        return self.printer.state_dict()


#: The sale each market's demo offers to try from another shell (``kiosk sell`` arguments);
#: the targets are test numbers the reference host accepts (``hostsim.testnumbers``).
DEMO_SALES: dict[str, str] = {
    "si": "card-topup --target 4111111111111111 --amount 50 --cash 60",
    "rs": "mobile-topup --target 0641234567 --amount 500 --cash 500",
    "az": "imei-fee --target 356741080000010 --cash 30",
    "fi": "benefit-payment --target BEN00000001 --amount 20 --benefit-type sport",
}


def how_to_sell(config: KioskConfig, peers: DemoPeers, api_url: str) -> str:
    """What the demo prints for the person at the keyboard."""
    market = config.terminal.market
    kiosk = f".venv/bin/kiosk --config {config.path}"
    example = DEMO_SALES.get(market, DEMO_SALES["si"])
    offline = (
        "  a card top-up is then accepted offline (up to 100 EUR) and forwarded once it is up"
        if market == "si"
        else "  this market's products are online only: the sale is refused, nothing is charged"
        " (kiosk demo --market si shows offline acceptance)"
    )
    return "\n".join(
        [
            f"Counter screen: {api_url}/  (sign in: "
            + ", ".join(f"clerk {n} PIN {pin} {name}" for n, name, pin, _ in DEMO_CLERKS)
            + ")",
            f"Terminal {config.terminal.id} ({market}) is ready.",
            f"  reference host : {peers.host.url}",
            f"  virtual printer: tcp://127.0.0.1:{peers.printer.port}",
            f"  local API      : {api_url}",
            f"  slips appear in: {peers.slips_dir}/",
            "",
            "Sign in on the counter screen: "
            + ", ".join(
                f"clerk {n} PIN {pin} ({name}, {role})" for n, name, pin, role in DEMO_CLERKS
            )
            + ".",
            "",
            "Sell from another shell:",
            f"  {kiosk} sell {example} --json",
            "See what the host holds:",
            f"  .venv/bin/kiosk-host txn show --db {peers.folder / 'host.sqlite'} TXN --json",
            "Make the printer run out of paper, and load it again:",
            f"  {kiosk} demo-printer paper-out",
            f"  {kiosk} demo-printer paper-in",
            "Take the host down for real (connections refused), and bring it back:",
            f"  {kiosk} demo-host down",
            offline,
            f"  {kiosk} demo-host up",
            "Stop with Ctrl-C.",
        ]
    )


__all__ = [
    "DEFAULT_DIR",
    "DEMO_CLERKS",
    "DEMO_SALES",
    "PRINTER_FAULTS",
    "DemoPeers",
    "DemoPorts",
    "how_to_sell",
    "market_folder",
    "prepare_config",
    "register_terminal",
    "seed_demo_clerks",
]
