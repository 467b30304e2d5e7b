"""The sd_notify client against a real unix datagram socket, and ``kiosk serve`` under it.

The socket plays systemd's part: it is bound where ``$NOTIFY_SOCKET`` points (a path or an
``@abstract`` name) and reads what the process sends. Watchdog ticks are driven by the test
(an injected ``wait``), never by sleeping.
"""

from __future__ import annotations

import os
import queue
import secrets
import signal
import socket
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest
from helpers.kiosk import register, write_config

from drivers.virtual_printer import VirtualPrinter
from hostsim.server import HostServer
from offline_queue.store import Store
from terminal.sd_notify import Notifier, Watchdog, socket_address, watchdog_interval

KIOSK = Path(sys.executable).with_name("kiosk")


def _datagram_socket(address: str) -> socket.socket:
    sock = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
    sock.bind(socket_address(address))
    sock.settimeout(10)  # a bound on a wait that normally ends at once, not a sleep
    return sock


@pytest.fixture
def path_socket(tmp_path: Path) -> Iterator[tuple[str, socket.socket]]:
    address = str(tmp_path / "notify.sock")
    with _datagram_socket(address) as sock:
        yield address, sock


@pytest.fixture
def abstract_socket() -> Iterator[tuple[str, socket.socket]]:
    address = f"@kiosk-test-{secrets.token_hex(8)}"
    with _datagram_socket(address) as sock:
        yield address, sock


def test_ready_with_status_reaches_a_path_socket(path_socket: tuple[str, socket.socket]) -> None:
    address, sock = path_socket
    assert Notifier(address).ready(status="serving on http://127.0.0.1:8780")
    assert sock.recv(4096) == b"READY=1\nSTATUS=serving on http://127.0.0.1:8780"


def test_abstract_namespace_address(abstract_socket: tuple[str, socket.socket]) -> None:
    address, sock = abstract_socket
    notifier = Notifier.from_environment({"NOTIFY_SOCKET": address})
    assert notifier.enabled and notifier.watchdog() and notifier.stopping()
    assert sock.recv(4096) == b"WATCHDOG=1"
    assert sock.recv(4096) == b"STOPPING=1"


def test_without_systemd_nothing_is_sent() -> None:
    notifier = Notifier.from_environment({})
    assert not notifier.enabled and not notifier.ready() and not notifier.watchdog()


def test_a_socket_nobody_listens_on_is_reported_not_raised(tmp_path: Path) -> None:
    assert Notifier(str(tmp_path / "gone.sock")).ready() is False


def test_a_bad_address_is_refused() -> None:
    for bad in ("relative.sock", "@", ""):
        with pytest.raises(ValueError, match="NOTIFY_SOCKET"):
            Notifier(bad)


def test_watchdog_interval_is_half_of_watchdog_usec() -> None:
    assert watchdog_interval({"WATCHDOG_USEC": "30000000"}) == 15.0
    assert watchdog_interval({"WATCHDOG_USEC": "30000000", "WATCHDOG_PID": str(os.getpid())})
    assert watchdog_interval({"WATCHDOG_USEC": "30000000", "WATCHDOG_PID": "1"}) is None
    assert watchdog_interval({}) is None
    assert watchdog_interval({"WATCHDOG_USEC": "soon"}) is None
    assert watchdog_interval({"WATCHDOG_USEC": "0"}) is None


def test_pings_only_while_healthy(path_socket: tuple[str, socket.socket]) -> None:
    address, sock = path_socket
    health = {"ok": True}
    dog = Watchdog(Notifier(address), 15.0, lambda: health["ok"])
    assert dog.tick()
    assert sock.recv(4096) == b"WATCHDOG=1"
    health["ok"] = False
    assert not dog.tick()
    sock.setblocking(False)
    with pytest.raises(BlockingIOError):  # tick() returned: a ping would be there already
        sock.recv(4096)
    health["ok"] = True
    assert dog.tick()
    sock.setblocking(True)
    assert sock.recv(4096) == b"WATCHDOG=1"


def test_a_failing_health_check_withholds_the_ping(path_socket: tuple[str, socket.socket]) -> None:
    address, _ = path_socket

    def broken() -> bool:
        raise RuntimeError("store closed")

    assert Watchdog(Notifier(address), 1.0, broken).tick() is False


def test_the_thread_pings_once_per_tick_at_the_interval(
    path_socket: tuple[str, socket.socket],
) -> None:
    address, sock = path_socket
    ticks: queue.Queue[bool] = queue.Queue()
    waited: list[float] = []

    def wait(seconds: float) -> bool:
        waited.append(seconds)
        return ticks.get(timeout=10)  # False: tick again; True: stop

    interval = watchdog_interval({"WATCHDOG_USEC": "4000000"})
    assert interval == 2.0
    dog = Watchdog(Notifier(address), interval, lambda: True, wait=wait).start()
    try:
        assert sock.recv(4096) == b"WATCHDOG=1"  # at once
        ticks.put(False)
        assert sock.recv(4096) == b"WATCHDOG=1"  # after one interval
        ticks.put(True)
    finally:
        dog.stop()
    assert waited == [2.0, 2.0]


# -- kiosk serve under a notify socket --------------------------------------------------------


def _record_unfinished_sale(store_path: Path, terminal_id: str) -> str:
    """What a process killed between recording and provisioning leaves behind."""
    with Store(store_path, terminal_id=terminal_id) as store:
        record = store.record(
            product="card-topup",
            currency="EUR",
            amount_minor=5000,
            fees=[("fee", 200)],
            total_minor=5200,
            cash_minor=0,
            change_minor=0,
            target={"kind": "card", "last4": "1111"},
            details={},
        )
        return record.txn


def test_kiosk_serve_says_ready_after_recovery_then_pings_and_stops(
    tmp_path: Path, abstract_socket: tuple[str, socket.socket]
) -> None:
    address, sock = abstract_socket
    host = HostServer(tmp_path / "host.sqlite").start()
    printer = VirtualPrinter(out_dir=tmp_path / "slips").start()
    process: subprocess.Popen[str] | None = None
    try:
        config = write_config(
            tmp_path, "si", host_url=host.url, printer_url=f"tcp://127.0.0.1:{printer.port}"
        )
        register(tmp_path / "host.sqlite", config)
        txn = _record_unfinished_sale(config.store.path, config.terminal.id)
        env = {**os.environ, "NOTIFY_SOCKET": address, "WATCHDOG_USEC": "1000000"}
        process = subprocess.Popen(
            [
                str(KIOSK),
                "--config",
                str(config.store.path.parent / "kiosk.toml"),
                "serve",
                "--port",
                "0",
            ],
            env=env,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.PIPE,
            text=True,
        )
        ready = sock.recv(4096)
        assert ready.startswith(b"READY=1\nSTATUS=serving on http://127.0.0.1:"), ready
        # READY came after crash recovery: the unfinished sale is settled already.
        with Store(config.store.path, terminal_id=config.terminal.id) as store:
            assert store.get(txn).state == "failed"
            assert [m.kind for m in store.outbox_for(txn)] == ["reversal"]
        assert sock.recv(4096) == b"WATCHDOG=1"
        assert sock.recv(4096) == b"WATCHDOG=1"
        process.send_signal(signal.SIGTERM)
        messages = []
        while (message := sock.recv(4096)) != b"STOPPING=1":
            messages.append(message)
        assert set(messages) <= {b"WATCHDOG=1"}
        assert process.wait(timeout=30) == 0
        assert process.stderr is not None
        log = process.stderr.read()
        assert "event=kiosk.ready" in log and "recovered=1" in log, log
    finally:
        if process is not None and process.poll() is None:
            process.kill()
            process.wait(10)
        if process is not None and process.stderr is not None:
            process.stderr.close()
        printer.stop()
        host.stop()
