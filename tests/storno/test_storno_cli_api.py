"""``kiosk storno|reprint|lookup`` through a running kiosk's local API, and in-process when no
kiosk runs; the API endpoints answer with the services' outcomes and named refusals."""

from __future__ import annotations

import json
from collections.abc import Iterator
from datetime import UTC, datetime
from typing import Any

import pytest
import requests
from click.testing import CliRunner
from helpers.kiosk import Counter

from terminal.api import ApiServer
from terminal.cli import main


@pytest.fixture
def api(rs_counter: Counter) -> Iterator[ApiServer]:
    assert rs_counter.kiosk is not None
    server = ApiServer(rs_counter.kiosk).start()
    yield server
    server.stop()


def _kiosk(counter: Counter, *args: str) -> tuple[int, Any]:
    result = CliRunner().invoke(main, ["--config", str(counter.folder / "kiosk.toml"), *args])
    try:
        return result.exit_code, json.loads(result.stdout.splitlines()[0])
    except (json.JSONDecodeError, IndexError):
        return result.exit_code, result.stdout


def test_commands_go_through_the_running_kiosk(rs_counter: Counter, api: ApiServer) -> None:
    counter = rs_counter
    sale = counter.sell("mobile-topup")
    assert sale.ok

    code, done = _kiosk(
        counter, "storno", f"TXN:{sale.txn}", "--reason", "wrong_number", "--clerk", "7", "--json"
    )
    assert code == 0, done
    assert (done["state"], done["clerk"], done["refund_minor"]) == ("stornoed", "7", 50_000)

    code, again = _kiosk(counter, "storno", sale.txn, "--reason", "wrong_number", "--json")
    assert code == 1 and again["error"]["code"] == "already_stornoed"

    code, copy = _kiosk(counter, "reprint", "--json")
    assert code == 0 and (copy["txn"], copy["slip"], copy["copy_number"]) == (
        sale.txn,
        "storno",
        1,
    )
    assert "KOPIJA 1" in counter.printer.slips[-1].text

    code, found = _kiosk(counter, "lookup", "--txn", sale.txn, "--json")
    assert code == 0
    entry = found["entries"][0]
    assert entry["local"]["state"] == "stornoed" and found["host_reachable"] is True
    assert [m["kind"] for m in entry["outbox"]] == ["confirm", "storno"]

    code, text = _kiosk(counter, "lookup", "--phone", "064 1234567")
    assert code == 0 and sale.txn in text and "here: stornoed" in text

    # the endpoints themselves: token required, named refusals
    url = api.url + "/api/v1/stornos"
    body = {"txn": "54321000000001", "reason": "wrong_number", "clerk": "7"}
    assert requests.post(url, json=body, timeout=5).status_code == 401
    refused = requests.post(
        url, json=body, headers={"Authorization": f"Bearer {api.token}"}, timeout=5
    )
    assert refused.status_code == 422
    assert refused.json()["error"]["code"] == "wrong_terminal"


def test_commands_open_the_kiosk_in_process_when_none_runs(rs_counter: Counter) -> None:
    counter = rs_counter
    # the in-process kiosk uses the real clock: keep the host's clock next to it (signatures)
    counter.clock.set_wall(datetime.now(UTC))
    sale = counter.sell("mobile-topup")
    assert sale.ok
    counter.close()

    code, found = _kiosk(counter, "lookup", "--phone", "+381641234567", "--json")
    assert code == 0 and found["host_reachable"] is True
    assert [e["txn"] for e in found["entries"]] == [sale.txn]

    code, copy = _kiosk(counter, "reprint", sale.txn, "--json")
    assert code == 0 and copy["copy_number"] == 1

    code, done = _kiosk(counter, "storno", sale.txn, "--reason", "wrong_amount", "--json")
    assert code == 0 and done["state"] == "stornoed"
    counter.open()
    view = counter.host_view(sale.txn)
    assert view is not None and view["state"] == "stornoed"  # forwarded before the command ended
