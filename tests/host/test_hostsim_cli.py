"""``kiosk-host`` as a user runs it: real subprocesses, a free port, bounded waits."""

from __future__ import annotations

import json
import select
import signal
import subprocess
import sys
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

from hostsim import testnumbers as tn
from terminal.host_client import HostClient, ProvisionRequest


@dataclass(frozen=True)
class Advice:
    message_id: str
    txn: str
    kind: str
    payload: dict[str, Any]


KIOSK_HOST = str(Path(sys.executable).parent / "kiosk-host")
TERMINAL_ID, KEY = "12345", "cli-test-key"


def run(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [KIOSK_HOST, *args], capture_output=True, text=True, timeout=30, check=False
    )


@pytest.fixture
def served(tmp_path: Path) -> Iterator[tuple[str, Path]]:
    db = tmp_path / "host.sqlite"
    added = run("terminal", "add", "--db", str(db), TERMINAL_ID, KEY)
    assert added.returncode == 0, added.stderr
    process = subprocess.Popen(
        [KIOSK_HOST, "serve", "--db", str(db), "--port", "0", "--advice-horizon", "30h"],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        assert process.stdout is not None
        ready, _, _ = select.select([process.stdout], [], [], 15)
        assert ready, "kiosk-host serve did not start within 15 s"
        line = process.stdout.readline().strip()
        assert line.startswith("kiosk-host listening on http://127.0.0.1:"), line
        yield line.rsplit(" ", 1)[1], db
        process.send_signal(signal.SIGTERM)
        out, _ = process.communicate(timeout=15)
        assert process.returncode == 0
        assert "stopped" in out
    finally:
        if process.poll() is None:
            process.kill()
            process.wait(timeout=5)


def test_serve_txn_show_fault_and_messages(served: tuple[str, Path]) -> None:
    url, db = served
    client = HostClient(url, terminal_id=TERMINAL_ID, key=KEY, read_timeout_s=5)
    assert client.health()
    txn = "12345000000001"
    sale = ProvisionRequest(
        message_id=uuid.uuid4().hex,
        txn=txn,
        product="mobile-topup",
        amount_minor=50_000,
        currency="RSD",
        target=tn.SUBSCRIBER,
    )
    assert client.provision(sale).approved

    shown = run("txn", "show", "--db", str(db), txn, "--json")
    assert shown.returncode == 0, shown.stderr
    view = json.loads(shown.stdout)
    assert (view["state"], view["amount_minor"], view["currency"]) == (
        "provisioned",
        50_000,
        "RSD",
    )

    confirm = Advice(uuid.uuid4().hex, txn, "confirm", {})
    assert client.send_advices([confirm])[confirm.message_id].kind == "delivered"
    assert json.loads(run("txn", "show", "--db", str(db), txn, "--json").stdout)["state"] == (
        "confirmed"
    )
    human = run("txn", "show", "--db", str(db), txn)
    assert "confirmed" in human.stdout and "mobile-topup" in human.stdout

    assert run("fault", "set", "down", "--url", url).returncode == 0
    assert client.health() is False
    listed = json.loads(run("fault", "list", "--url", url).stdout)
    assert [f["kind"] for f in listed] == ["down"]
    cleared = run("fault", "clear", "--url", url)
    assert "down" in cleared.stdout
    assert client.health() is True

    spent = run("subscriber", "spend", "--url", url, tn.SUBSCRIBER, "10000")
    assert json.loads(spent.stdout)["balance_minor"] == 40_000

    messages = json.loads(run("customer-messages", "--db", str(db), "--json").stdout)
    assert {m["language"] for m in messages} == {"sr-Latn", "en"}
    assert all(m["txn"] == txn for m in messages)


def test_cli_refuses_clearly(tmp_path: Path) -> None:
    missing = run("txn", "show", "--db", str(tmp_path / "nope.sqlite"), "12345000000001")
    assert missing.returncode != 0
    db = tmp_path / "host.sqlite"
    run("terminal", "add", "--db", str(db), TERMINAL_ID, KEY)
    unknown = run("txn", "show", "--db", str(db), "12345000000009")
    assert unknown.returncode == 1 and "no transaction 12345000000009" in unknown.stderr
    no_host = run("fault", "set", "down", "--url", "http://127.0.0.1:9")
    assert no_host.returncode == 1 and "cannot reach" in no_host.stderr
    in_use = run("serve", "--db", str(db), "--port", "9", "--host", "192.0.2.1")
    assert in_use.returncode == 1 and "cannot listen" in in_use.stderr
    bad_duration = run("serve", "--db", str(db), "--advice-horizon", "soon")
    assert bad_duration.returncode == 2 and "duration" in bad_duration.stderr
    too_short = run("serve", "--db", str(db), "--advice-horizon", "120s")
    assert too_short.returncode == 2 and "at least 24h" in too_short.stderr
