"""`kiosk demo` starts everything in one command; `kiosk sell` against it goes through the
running kiosk's API, prints a slip, and the reference host shows the sale confirmed. What the
demo prints works as printed: the sale example of every market, running the printer out of
paper, and taking the host down for real (a refused connection: the sale is accepted offline)
and back up."""

from __future__ import annotations

import json
import os
import shlex
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


def _printed(banner: list[str], start: str) -> list[str]:
    """The argument lists of the `.venv/bin/kiosk ...` lines the banner printed under ``start``
    (up to the next line that is not a command)."""
    at = next(i for i, line in enumerate(banner) if line.startswith(start))
    commands = []
    for line in banner[at + 1 :]:
        text = line.strip()
        if not text.startswith(".venv/bin/"):
            if text.startswith(("a card top-up", "this market")):
                continue  # the explanation between two commands
            break
        args = shlex.split(text)
        commands.append([str(BIN / Path(args[0]).name), *args[1:]])
    return commands


def _connect(port: int) -> None:
    with socket.create_connection(("127.0.0.1", port), timeout=5):
        pass


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
        folder = folder / "si"  # each market in its own folder

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

        # the printer runs out of paper as the banner says: the sale is refused before anything
        # is recorded, and after loading paper the counter sells again
        paper_out, paper_in = _printed(banner, "Make the printer run out of paper")
        assert paper_out[-1] == "paper-out" and paper_in[-1] == "paper-in"
        out = subprocess.run(paper_out, capture_output=True, text=True, timeout=60)
        assert out.returncode == 0 and "paper_end" in out.stdout, out.stdout + out.stderr
        sell = shlex.split(next(line for line in banner if " sell " in line).strip())
        sell = [str(BIN / "kiosk"), *sell[1:]]
        no_paper = subprocess.run(sell, capture_output=True, text=True, timeout=60)
        assert no_paper.returncode != 0 and "paper" in no_paper.stderr.lower(), no_paper.stderr
        assert len(sorted((folder / "slips").glob("*.txt"))) == len(slips)
        assert subprocess.run(paper_in, capture_output=True, timeout=60).returncode == 0

        # the host goes down for real: its port refuses connections, a card top-up is accepted
        # offline; back up, the offline sale reaches it
        down, up = _printed(banner, "Take the host down for real")
        assert down[-1] == "down" and up[-1] == "up"
        gone = subprocess.run(down, capture_output=True, text=True, timeout=60)
        assert gone.returncode == 0, gone.stdout + gone.stderr
        with pytest.raises(ConnectionRefusedError):
            _connect(int(ports[0]))
        offline = subprocess.run(sell, capture_output=True, text=True, timeout=60)
        assert offline.returncode == 0, offline.stdout + offline.stderr
        offline_sale = json.loads(offline.stdout)
        assert offline_sale["state"] == "offline_confirmed"
        back = subprocess.run(up, capture_output=True, text=True, timeout=60)
        assert back.returncode == 0 and "is up" in back.stdout, back.stdout + back.stderr
        _connect(int(ports[0]))
        # the advice may still be in its retry backoff (about a second per failed attempt):
        # `queue drain` sends what is due and says whether anything is left; a bounded number
        # of tries, each a whole command, covers the backoff without a sleep
        for _ in range(30):
            drained = subprocess.run(
                [str(BIN / "kiosk"), "--config", str(folder / "kiosk.toml"), "queue", "drain"],
                capture_output=True,
                text=True,
                timeout=60,
            )
            if drained.returncode == 0:
                break
        assert drained.returncode == 0, drained.stdout + drained.stderr
        host = subprocess.run(
            [
                str(BIN / "kiosk-host"),
                "txn",
                "show",
                "--db",
                str(folder / "host.sqlite"),
                offline_sale["txn"],
                "--json",
            ],
            capture_output=True,
            text=True,
            timeout=60,
        )
        assert host.returncode == 0 and json.loads(host.stdout)["offline"] is True, host.stdout
    finally:
        demo.send_signal(signal.SIGINT)
        try:
            demo.wait(timeout=20)
        except subprocess.TimeoutExpired:
            demo.kill()
            demo.wait()
    assert demo.returncode == 0, demo.stderr.read() if demo.stderr else ""
    assert os.path.exists(folder / "kiosk.toml")
    assert not (folder.parent / "kiosk.toml").exists()
