"""`kiosk doctor` against a real reference host, the virtual printer and a real store file: it
passes a healthy counter, and for each thing that stops a counter from selling it fails naming
the thing and saying what to do."""

from __future__ import annotations

import json
import os
import sqlite3
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from click.testing import CliRunner
from helpers.kiosk import write_config

from drivers.virtual_printer import VirtualPrinter
from foundation.clock import ManualClock
from hostsim.server import HostServer
from offline_queue.store import Store
from terminal.cli import main
from terminal.config import KioskConfig
from terminal.doctor import DoctorReport, diagnose


@dataclass
class Peers:
    host: HostServer
    printer: VirtualPrinter
    config: KioskConfig
    folder: Path

    def register(self, key: str | None = None) -> None:
        self.host.store.add_terminal(
            self.config.terminal.id, key or self.config.terminal.key, "2026-01-01T00:00:00+00:00"
        )


def _start(folder: Path, *, host_clock: ManualClock | None = None) -> Peers:
    folder.mkdir(mode=0o700, parents=True, exist_ok=True)
    host = HostServer(folder / "host.sqlite", clock=host_clock).start()
    printer = VirtualPrinter(out_dir=folder / "slips").start()
    config = write_config(
        folder, "si", host_url=host.url, printer_url=f"tcp://127.0.0.1:{printer.port}"
    )
    return Peers(host, printer, config, folder)


@pytest.fixture
def peers(tmp_path: Path) -> Iterator[Peers]:
    p = _start(tmp_path / "counter")
    yield p
    p.printer.stop()
    p.host.stop()


def _by_check(report: DoctorReport, check: str) -> list[tuple[str, str, str | None]]:
    return [(f.status, f.message, f.fix) for f in report.findings if f.check == check]


def _failed(report: DoctorReport) -> dict[str, list[tuple[str, str | None]]]:
    out: dict[str, list[tuple[str, str | None]]] = {}
    for f in report.findings:
        if f.status == "fail":
            out.setdefault(f.check, []).append((f.message, f.fix))
    return out


def test_a_healthy_counter_passes_every_check(peers: Peers) -> None:
    peers.register()
    old = os.umask(0o077)  # as the service runs (deploy/: UMask=0077): store files mode 600
    try:
        with Store(peers.config.store.path, terminal_id="12345") as store:
            store.journal_event(None, "note", {"text": "a day's work"})
    finally:
        os.umask(old)
    report = diagnose(peers.config.path)
    assert report.can_sell, report.to_dict()
    assert {f.check for f in report.findings} == {
        "config",
        "permissions",
        "printer",
        "store",
        "host",
        "clock",
    }
    assert all(f.status == "ok" for f in report.findings), report.to_dict()["checks"]
    assert not report.kiosk_running
    store = _by_check(report, "store")[0][1]
    assert "journal intact (1 events)" in store

    os.chmod(peers.config.store.path, 0o644)
    report = diagnose(peers.config.path)
    assert report.can_sell
    [(status, message, fix)] = _by_check(report, "permissions")
    assert status == "warn" and "open to other users (mode 644)" in message
    assert fix == f"chmod 600 {peers.config.store.path}"


def test_the_cli_exits_zero_only_when_the_counter_can_sell(peers: Peers) -> None:
    peers.register()
    runner = CliRunner()
    ok = runner.invoke(main, ["--config", str(peers.config.path), "doctor", "--json"])
    assert ok.exit_code == 0, ok.output
    assert json.loads(ok.stdout)["can_sell"] is True

    peers.printer.paper_out()
    bad = runner.invoke(main, ["--config", str(peers.config.path), "doctor"])
    assert bad.exit_code == 1
    assert f"Printer tcp://127.0.0.1:{peers.printer.port} cannot print" in bad.stdout
    assert "-> Load a new paper roll" in bad.stdout
    assert bad.stdout.rstrip().endswith("The counter cannot sell: 1 problem(s) to fix first.")


def test_printer_faults_name_the_printer_and_the_fix(peers: Peers) -> None:
    peers.register()
    url = peers.config.printer.url
    peers.printer.open_cover()
    [(message, fix)] = _failed(diagnose(peers.config.path))["printer"]
    assert message.startswith(f"Printer {url} cannot print") and fix == "Close the printer's cover."

    peers.printer.close_cover()
    peers.printer.paper_near_end()
    report = diagnose(peers.config.path)
    assert report.can_sell
    assert _by_check(report, "printer")[0][0] == "warn"

    peers.printer.stop()
    [(message, fix)] = _failed(diagnose(peers.config.path))["printer"]
    assert message.startswith(f"Printer {url} cannot print")
    assert fix is not None and "switched on" in fix


def test_a_terminal_the_host_does_not_know_or_a_wrong_key(peers: Peers) -> None:
    [(message, fix)] = _failed(diagnose(peers.config.path))["host"]
    assert "unknown_terminal" in message
    assert fix is not None and "register this terminal" in fix

    peers.register(key="not-the-terminal's-key")
    [(message, fix)] = _failed(diagnose(peers.config.path))["host"]
    assert "bad_signature" in message
    assert fix is not None and "[terminal] key" in fix


def test_a_host_that_is_down(peers: Peers) -> None:
    peers.register()
    peers.host.stop()
    failed = _failed(diagnose(peers.config.path))
    [(message, fix)] = failed["host"]
    assert message.startswith(f"Host {peers.config.host.url}: it does not answer")
    assert fix is not None and "[host] url" in fix
    assert set(failed) == {"host"}


def test_a_clock_far_from_the_hosts(tmp_path: Path) -> None:
    ahead = ManualClock(start=datetime.now(UTC) + timedelta(minutes=10))
    p = _start(tmp_path / "counter", host_clock=ahead)
    try:
        p.register()
        failed = _failed(diagnose(p.config.path))
    finally:
        p.printer.stop()
        p.host.stop()
    [(clock, clock_fix)] = failed["clock"]
    assert "behind the host's" in clock and clock_fix is not None and "timedatectl" in clock_fix
    [(host, host_fix)] = failed["host"]
    assert "stale_timestamp" in host and host_fix is not None and "clock" in host_fix


def test_a_config_others_can_read_and_a_broken_config(peers: Peers) -> None:
    peers.register()
    os.chmod(peers.config.path, 0o644)
    [(message, fix)] = _failed(diagnose(peers.config.path))["permissions"]
    assert "signing key and API token" in message and fix == f"chmod 600 {peers.config.path}"
    # deploy/'s layout: owner root (may change it), group the kiosk's own (may only read it)
    os.chmod(peers.config.path, 0o640)
    assert os.stat(peers.config.path).st_gid == os.getegid()
    assert "permissions" not in _failed(diagnose(peers.config.path))

    os.chmod(peers.config.path, 0o600)
    text = peers.config.path.read_text(encoding="utf-8")
    peers.config.path.write_text(text.replace("width = 42", "widht = 42"), encoding="utf-8")
    report = diagnose(peers.config.path)
    assert [f.check for f in report.findings] == ["config"]
    assert not report.can_sell and "widht" in report.findings[0].message


def test_a_store_with_a_broken_journal_or_no_free_disk(peers: Peers) -> None:
    peers.register()
    path = peers.config.store.path
    with Store(path, terminal_id="12345") as store:
        store.journal_event(None, "note", {"text": "first"})
        store.journal_event(None, "note", {"text": "second"})
    report = diagnose(peers.config.path, min_free_mb=1 << 40)
    [(disk, disk_fix)] = _failed(report)["store"]
    assert "MB free on the disk" in disk and disk_fix is not None and "Free disk" in disk_fix

    conn = sqlite3.connect(path)
    conn.execute("DROP TRIGGER journal_no_update")
    conn.execute("UPDATE journal SET data = '{}' WHERE seq = 2")
    conn.commit()
    conn.close()
    [(message, fix)] = _failed(diagnose(peers.config.path))["store"]
    assert "journal" in message and "broken at event 2" in message
    assert fix is not None and "evidence" in fix


def test_a_store_of_another_terminal(peers: Peers) -> None:
    peers.register()
    Store(peers.config.store.path, terminal_id="54321").close()
    [(message, _)] = _failed(diagnose(peers.config.path))["store"]
    assert "belongs to terminal 54321" in message
