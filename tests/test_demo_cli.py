"""`kiosk demo` starts everything in one command; `kiosk sell` against it goes through the
running kiosk's API, prints a slip, and the reference host shows the sale confirmed."""

from __future__ import annotations

import json
import os
import signal
import socket
import subprocess
import sys
from pathlib import Path

import pytest

BIN = Path(sys.executable).parent


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@pytest.mark.slow
def test_demo_then_sell_from_another_process(tmp_path: Path) -> None:
    folder = tmp_path / "demo"
    ports = [str(_free_port()) for _ in range(3)]
    demo = subprocess.Popen(
        [
            str(BIN / "kiosk"),
            "demo",
            "--dir",
            str(folder),
            "--host-port",
            ports[0],
            "--printer-port",
            ports[1],
            "--api-port",
            ports[2],
        ],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        assert demo.stdout is not None
        banner = []
        for line in demo.stdout:  # the banner ends with how to stop it
            banner.append(line)
            if line.startswith("Stop with Ctrl-C"):
                break
        assert any("sell card-topup" in line for line in banner), banner

        sale = subprocess.run(
            [
                str(BIN / "kiosk"),
                "--config",
                str(folder / "kiosk.toml"),
                "sell",
                "card-topup",
                "--target",
                "4111 1111 1111 1111",
                "--amount",
                "50",
                "--cash",
                "60",
                "--json",
            ],
            capture_output=True,
            text=True,
            timeout=60,
        )
        assert sale.returncode == 0, sale.stderr
        result = json.loads(sale.stdout)
        assert result["state"] == "confirmed"
        assert result["total_minor"] == 5200 and result["change_minor"] == 800

        slips = sorted((folder / "slips").glob("*.txt"))
        assert slips and result["txn"] in slips[-1].read_text(encoding="utf-8")
        assert slips[-1].with_suffix(".png").exists()

        # the running kiosk forwards the confirm advice by itself
        drained = subprocess.run(
            [
                str(BIN / "kiosk"),
                "--config",
                str(folder / "kiosk.toml"),
                "queue",
                "drain",
                "--timeout",
                "10",
                "--json",
            ],
            capture_output=True,
            text=True,
            timeout=60,
        )
        assert drained.returncode == 0, drained.stdout + drained.stderr
        host = subprocess.run(
            [
                str(BIN / "kiosk-host"),
                "txn",
                "show",
                "--db",
                str(folder / "host.sqlite"),
                result["txn"],
                "--json",
            ],
            capture_output=True,
            text=True,
            timeout=60,
        )
        assert host.returncode == 0, host.stderr
        assert json.loads(host.stdout)["state"] == "confirmed"

        # a refused sale exits non-zero with the reason, and nothing prints for it
        refused = subprocess.run(
            [
                str(BIN / "kiosk"),
                "--config",
                str(folder / "kiosk.toml"),
                "sell",
                "card-topup",
                "--target",
                "+386 31 891 888",
                "--amount",
                "50",
                "--cash",
                "60",
                "--json",
            ],
            capture_output=True,
            text=True,
            timeout=60,
        )
        assert refused.returncode != 0
        assert "phone number" in refused.stderr
        assert len(sorted((folder / "slips").glob("*.txt"))) == len(slips)
    finally:
        demo.send_signal(signal.SIGINT)
        try:
            demo.wait(timeout=20)
        except subprocess.TimeoutExpired:
            demo.kill()
            demo.wait()
    assert demo.returncode == 0, demo.stderr.read() if demo.stderr else ""
    assert os.path.exists(folder / "kiosk.toml")
