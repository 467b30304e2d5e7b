"""The demo as a new user meets it: the sale example printed for each market works as printed
(the fi one included), each market keeps its own folder, slips are never overwritten by a later
run, and the demo's switches for host and printer refuse outside the demo."""

from __future__ import annotations

import json
import shlex
import subprocess
import sys
from datetime import UTC, datetime
from pathlib import Path

import pytest
import requests
from helpers.browser import free_port
from helpers.kiosk import start_counter, stop_counter
from helpers.printer import connect, numbered_slip

from drivers.printer import PrintOutcome
from drivers.virtual_printer import VirtualPrinter
from kiosk_demo.peers import (
    DEMO_SALES,
    DemoPeers,
    DemoPorts,
    how_to_sell,
    market_folder,
    prepare_config,
    register_terminal,
)
from terminal.api import ApiServer

KIOSK = Path(sys.executable).parent / "kiosk"


@pytest.mark.parametrize("market", sorted(DEMO_SALES))
def test_the_printed_sale_example_works(tmp_path: Path, market: str) -> None:
    ports = DemoPorts(host=free_port(), printer=free_port())
    folder = market_folder(tmp_path / "demo", market)
    config = prepare_config(folder, market, ports)
    register_terminal(folder / "host.sqlite", config, datetime.now(UTC).isoformat())
    peers = DemoPeers(folder, ports).start()
    try:
        banner = how_to_sell(config, peers, "http://127.0.0.1:8780")
        [line] = [x.strip() for x in banner.splitlines() if " sell " in x]
        args = shlex.split(line)
        assert args[0] == ".venv/bin/kiosk"
        done = subprocess.run(
            [str(KIOSK), *args[1:]], capture_output=True, text=True, timeout=120, cwd=tmp_path
        )
        assert done.returncode == 0, done.stdout + done.stderr
        assert json.loads(done.stdout)["state"] == "confirmed"
        assert len(list((folder / "slips").glob("*.txt"))) == 1
    finally:
        peers.stop()
    assert config.path == folder / "kiosk.toml" and folder.name == market


def test_slips_are_numbered_on_across_runs_never_overwritten(tmp_path: Path) -> None:
    out = tmp_path / "slips"
    texts = []
    for run in ("FIRST", "SECOND"):
        with VirtualPrinter(out_dir=out) as printer:
            handle = connect(printer)
            try:
                assert handle.print_slip(numbered_slip(3, tag=run)) is PrintOutcome.PRINTED
            finally:
                handle.close()
            assert printer.wait_for_slips(1)
        texts.append(sorted(p.name for p in out.glob("*.txt")))
    assert texts == [["0001.txt"], ["0001.txt", "0002.txt"]]
    assert "FIRST line 01" in (out / "0001.txt").read_text(encoding="utf-8")
    assert "SECOND line 01" in (out / "0002.txt").read_text(encoding="utf-8")
    assert (out / "0002.png").exists()


def test_the_demo_switches_refuse_outside_the_demo(tmp_path: Path) -> None:
    counter = start_counter(tmp_path, "si")
    kiosk = counter.open()
    api = ApiServer(kiosk, port=0).start()
    try:
        headers = {"Authorization": f"Bearer {api.token}"}
        for path, body in (
            ("/demo/host", {"up": False}),
            ("/demo/printer", {"fault": "paper-out"}),
        ):
            answer = requests.post(
                f"{api.url}/api/v1{path}", json=body, headers=headers, timeout=10
            )
            assert answer.status_code == 422
            assert answer.json()["error"]["code"] == "not_demo"
        cli = subprocess.run(
            [str(KIOSK), "--config", str(counter.config.path), "demo-host", "down"],
            capture_output=True,
            text=True,
            timeout=60,
        )
        assert cli.returncode == 1 and "Only `kiosk demo`" in cli.stderr
        assert counter.printer.state_dict()["paper_end"] is False
        assert requests.get(f"{counter.host.url}/v1/health", timeout=5).status_code == 200
    finally:
        api.stop()
        stop_counter(counter)
