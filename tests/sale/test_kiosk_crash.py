"""The kiosk process killed with SIGKILL at random points of many sales (provisioning, printing,
forwarding), restarted each time: afterwards the host's promises still hold."""

from __future__ import annotations

import collections
import os
import random
import signal
import subprocess
import sys
from pathlib import Path

import pytest
from helpers.invariants import check_invariants
from helpers.kiosk import register, write_config

from drivers.virtual_printer import VirtualPrinter
from hostsim import testnumbers as T
from hostsim.server import HostServer
from terminal.config import KioskConfig
from terminal.kiosk import Kiosk
from terminal.recovery import RECOVERED_EVENT

WORKER = Path(__file__).with_name("kiosk_crash_worker.py")
CYCLES = 14
KILL_AT = ("at provision", "at print", "at forward", "sold")


def _spawn(config: KioskConfig, sales: int) -> subprocess.Popen[str]:
    env = {**os.environ, "PYTHONPATH": os.pathsep.join([str(WORKER.parents[2])])}
    return subprocess.Popen(
        [sys.executable, str(WORKER), str(config.path), str(sales), T.ONLINE_CARD],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env=env,
    )


@pytest.mark.slow
def test_sigkill_at_random_points_keeps_every_promise(tmp_path: Path) -> None:
    rng = random.Random(20261122)
    host = HostServer(tmp_path / "host.sqlite").start()  # real clocks: separate processes
    printer = VirtualPrinter(out_dir=tmp_path / "slips").start()
    printer.slow(0.002)  # a slip takes long enough to be killed halfway through
    try:
        config = write_config(
            tmp_path, "si", host_url=host.url, printer_url=f"tcp://127.0.0.1:{printer.port}"
        )
        register(tmp_path / "host.sqlite", config)
        kills = 0
        for _ in range(CYCLES):
            target = rng.choice(KILL_AT)
            skip = rng.randrange(0, 3)  # let a few of those steps pass first
            worker = _spawn(config, sales=6)
            assert worker.stdout is not None
            try:
                for line in worker.stdout:
                    if line.startswith(target):
                        if skip == 0:
                            worker.send_signal(signal.SIGKILL)
                            kills += 1
                            break
                        skip -= 1
            finally:
                worker.kill()
                worker.wait(timeout=30)
        assert kills >= CYCLES // 2

        # a last clean start: recovery settles what the last kill left, then all is forwarded
        with Kiosk(config) as kiosk:
            kiosk.counter.print_owed_notices()
            report = kiosk.forwarder.drain(timeout_s=20)
            assert report.claimed >= 0
            counts = kiosk.store.outbox_status()["counts"]
            assert counts["pending"] == 0 and counts["in_flight"] == 0, counts
            records = kiosk.store.list_transactions(limit=1000)
            ended = collections.Counter(r.state for r in records)
            assert ended["confirmed"] > 0, ended
            # kills landed inside sales: recovery had to void or reverse some of them
            assert ended["voided"] + ended["failed"] > 0, ended
            recovered = [e for e in kiosk.store.journal() if e.event == RECOVERED_EVENT]
            assert {e.data["from"] for e in recovered} >= {"recorded", "printing"}, recovered
            check_invariants(kiosk.store, kiosk.host.transaction, (s.text for s in printer.slips))
    finally:
        printer.stop()
        host.stop()
