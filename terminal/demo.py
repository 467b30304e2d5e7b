"""The demo: the reference host, the virtual printer and the kiosk in one process, no hardware.

Everything lives in one folder (default ``var/demo``): the kiosk's ``kiosk.toml`` and store,
the host's database, and the slips the virtual printer produced (``slips/NNNN.txt`` and
``.png``). Running it again keeps the same terminal, its key and its history.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from drivers.virtual_printer import VirtualPrinter
from hostsim.server import HostServer
from hostsim.store import HostStore
from offline_queue.clock import SystemClock
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


class DemoPeers:
    """The reference host and the virtual printer of a demo, started and stopped together."""

    def __init__(self, folder: Path, ports: DemoPorts) -> None:
        self.folder = folder
        self.slips_dir = folder / "slips"
        self.host = HostServer(folder / "host.sqlite", port=ports.host, sweep_interval_s=1.0)
        self.printer = VirtualPrinter(port=ports.printer, out_dir=self.slips_dir)

    def start(self) -> DemoPeers:
        self.host.start()
        self.printer.start()
        return self

    def stop(self) -> None:
        self.printer.stop()
        self.host.stop()


def how_to_sell(config: KioskConfig, peers: DemoPeers, api_url: str) -> str:
    """What the demo prints for the person at the keyboard."""
    cfg = config.path
    examples = {
        "si": "card-topup --target 4111111111111111 --amount 50 --cash 60",
        "rs": "mobile-topup --target 0641234567 --amount 500 --cash 500",
        "az": "imei-fee --target 490154203237518 --amount 20 --cash 25",
        "fi": "benefit-payment --target 358401234567 --amount 20 --cash 20 --benefit-type sport",
    }
    example = examples.get(config.terminal.market, examples["si"])
    return "\n".join(
        [
            f"Counter screen: {api_url}/  (sign in: "
            + ", ".join(f"clerk {n} PIN {pin} {name}" for n, name, pin, _ in DEMO_CLERKS)
            + ")",
            f"Terminal {config.terminal.id} ({config.terminal.market}) is ready.",
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
            f"  .venv/bin/kiosk --config {cfg} sell {example} --json",
            "See what the host holds:",
            f"  .venv/bin/kiosk-host txn show --db {peers.folder / 'host.sqlite'} TXN --json",
            "Stop with Ctrl-C.",
        ]
    )


__all__ = [
    "DEFAULT_DIR",
    "DEMO_CLERKS",
    "DemoPeers",
    "DemoPorts",
    "how_to_sell",
    "prepare_config",
    "register_terminal",
    "seed_demo_clerks",
]
