"""``kiosk clerk|report|cash`` through a running kiosk's API and in-process when none runs; the
clerk and report endpoints (real uvicorn, real requests), and who is recorded on API sales."""

from __future__ import annotations

import json
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path
from types import SimpleNamespace
from typing import Any

import pytest
import requests
from click.testing import CliRunner
from helpers.kiosk import SALES, Counter

from foundation.clock import ManualClock
from kiosk_demo.peers import how_to_sell, seed_demo_clerks
from offline_queue.store import Store
from terminal.api import ApiServer
from terminal.clerks import ClerkBook, Role
from terminal.cli import main
from terminal.config import load_config, write_preset
from terminal.kiosk import lock_path


@pytest.fixture
def api(si_counter: Counter) -> Iterator[ApiServer]:
    assert si_counter.kiosk is not None
    server = ApiServer(si_counter.kiosk).start()
    yield server
    server.stop()


def _kiosk(counter: Counter, *args: str, stdin: str | None = None) -> tuple[int, Any]:
    result = CliRunner().invoke(
        main, ["--config", str(counter.folder / "kiosk.toml"), *args], input=stdin
    )
    lines = result.stdout.splitlines()
    try:
        return result.exit_code, json.loads(lines[-1])
    except (json.JSONDecodeError, IndexError):
        return result.exit_code, result.stdout


class Api:
    """Requests to the local API with the terminal's token."""

    def __init__(self, server: ApiServer) -> None:
        self.base = server.url + "/api/v1"
        self.headers = {"Authorization": f"Bearer {server.token}"}

    def post(self, path: str, body: Any = None) -> requests.Response:
        return requests.post(self.base + path, json=body, headers=self.headers, timeout=10)

    def get(self, path: str) -> requests.Response:
        return requests.get(self.base + path, headers=self.headers, timeout=10)


def test_clerk_commands_and_sign_in_through_the_running_kiosk(
    si_counter: Counter, api: ApiServer
) -> None:
    counter = si_counter
    # The kiosk holds the terminal's lock: these can only have gone through its API.
    code, added = _kiosk(
        counter, "clerk", "add", "1", "--name", "Ana", "--role", "supervisor", "--pin", "1111",
        "--json",
    )  # fmt: skip
    assert code == 0, added
    assert added["clerk"] == {
        "number": "1",
        "name": "Ana",
        "role": "supervisor",
        "active": True,
        "locked": False,
        "locked_until": None,
    }
    # without --pin the PIN is asked for, hidden, twice
    code, text = _kiosk(counter, "clerk", "add", "2", "--name", "Bor", stdin="2222\n2222\n")
    assert code == 0 and "Clerk 2 added" in text and "2222" not in text

    code, taken = _kiosk(counter, "clerk", "add", "2", "--name", "X", "--pin", "1234", "--json")
    assert code == 1 and taken["error"]["code"] == "clerk_exists"

    code, listed = _kiosk(counter, "clerk", "list", "--json")
    assert code == 0
    assert [(c["number"], c["role"]) for c in listed["clerks"]] == [
        ("1", "supervisor"),
        ("2", "clerk"),
    ]
    assert "pin" not in json.dumps(listed)

    client = Api(api)
    refusals = []
    for _ in range(4):
        refused = client.post("/clerks/sign-in", {"number": "2", "pin": "9999"})
        assert refused.status_code == 422
        refusals.append(refused.json()["error"])
    assert [r["code"] for r in refusals] == ["sign_in_refused"] * 4
    assert "4 attempts left" in refusals[0]["message"]
    assert "1 attempt left" in refusals[3]["message"]
    fifth = client.post("/clerks/sign-in", {"number": "2", "pin": "9999"})
    assert fifth.json()["error"]["code"] == "clerk_locked_out"
    locked = client.post("/clerks/sign-in", {"number": "2", "pin": "2222"})
    assert locked.json()["error"]["code"] == "clerk_locked_out"  # the right PIN too
    # a number nobody has is refused word for word like a real clerk's wrong PIN
    unknown = client.post("/clerks/sign-in", {"number": "77", "pin": "9999"})
    assert unknown.status_code == 422 and unknown.json()["error"] == refusals[0]

    code, shown = _kiosk(counter, "clerk", "list")
    assert code == 0 and "locked until" in shown
    code, unlocked = _kiosk(counter, "clerk", "unlock", "2", "--json")
    assert code == 0 and unlocked["clerk"]["locked"] is False
    signed = client.post("/clerks/sign-in", {"number": "2", "pin": "2222"})
    assert signed.status_code == 200 and signed.json()["clerk"]["name"] == "Bor"
    assert client.post("/clerks/2/sign-out", {"reason": "auto_lock"}).status_code == 200

    code, _ = _kiosk(counter, "clerk", "pin", "2", "--pin", "246810", "--json")
    assert code == 0
    assert client.post("/clerks/sign-in", {"number": "2", "pin": "246810"}).status_code == 200

    # a signed-in clerk (not a supervisor) named as "by" may not manage clerks
    body = {"number": "3", "name": "Cene", "pin": "3333", "role": "clerk", "by": "2"}
    assert client.post("/clerks", body).json()["error"]["code"] == "supervisor_required"
    body["by"] = "1"
    assert client.post("/clerks", body).status_code == 200
    code, gone = _kiosk(counter, "clerk", "deactivate", "3", "--json")
    assert code == 0 and gone["clerk"]["active"] is False
    code, last = _kiosk(counter, "clerk", "deactivate", "1", "--json")
    assert code == 1 and last["error"]["code"] == "last_supervisor"

    assert counter.kiosk is not None
    events = [e.event for e in counter.kiosk.store.journal() if e.event.startswith("clerk_")]
    for expected in (
        "clerk_added",
        "clerk_sign_in_refused",
        "clerk_locked_out",
        "clerk_unlocked",
        "clerk_signed_in",
        "clerk_signed_out",
        "clerk_pin_changed",
        "clerk_deactivated",
    ):
        assert expected in events
    assert counter.kiosk.store.verify_journal().ok


def test_clerk_endpoints_refuse_bad_bodies(si_counter: Counter, api: ApiServer) -> None:
    client = Api(api)
    good = {"number": "5", "name": "Eva", "pin": "5555", "role": "clerk"}
    assert requests.get(client.base + "/clerks", timeout=5).status_code == 401
    for bad in (
        {**good, "admin": True},  # unknown field
        {**good, "pin": "12"},  # too short
        {**good, "pin": 5555},  # not text
        {**good, "number": "1234567"},
        {**good, "role": "boss"},
        {**good, "name": "x" * 41},
    ):
        answer = client.post("/clerks", bad)
        assert answer.status_code == 422, bad
        assert answer.json()["error"]["code"] == "invalid_request"
    assert client.post("/clerks/abc/unlock").status_code == 422
    missing = client.post("/clerks/42/unlock")
    assert missing.status_code == 422 and missing.json()["error"]["code"] == "unknown_clerk"
    assert client.get("/clerks").json() == {"clerks": []}


def test_reports_and_cash_through_the_running_kiosk(si_counter: Counter, api: ApiServer) -> None:
    counter = si_counter
    assert counter.kiosk is not None
    counter.kiosk.clerks.add("1", "Ana", "1111", "supervisor")
    counter.kiosk.clerks.add("2", "Bor", "2222", "clerk")
    client = Api(api)

    by_till = client.post("/sales", {"product": "card-topup", **SALES["card-topup"]})
    by_clerk = client.post("/sales", {"product": "card-sale", **SALES["card-sale"], "clerk": "2"})
    assert by_till.status_code == by_clerk.status_code == 200
    recorded = [counter.kiosk.store.get(r.json()["txn"]).clerk for r in (by_till, by_clerk)]
    assert recorded == ["api", "2"]  # the till is known by its token; a clerk by number

    code, cash = _kiosk(counter, "cash", "--json")
    assert code == 0 and cash["cash_in_drawer"] == {"EUR": 15_300 + 5_500}
    assert client.get("/cash").json()["cash_in_drawer"] == {"EUR": 20_800}

    code, preview = _kiosk(counter, "report", "x", "--preview", "--json")
    slips = len(counter.printer.slips)
    assert code == 0 and preview["code"] == "preview" and not preview["printed"]
    code, x = _kiosk(counter, "report", "x", "--clerk", "2", "--json")
    assert code == 0 and (x["kind"], x["printed"], x["code"]) == ("X", True, "printed")
    assert [(line["product"], line["count"]) for line in x["lines"]] == [
        ("card-topup", 1),
        ("card-sale", 1),
    ]
    assert len(counter.printer.slips) == slips + 1

    code, refused = _kiosk(counter, "report", "z", "--clerk", "2", "--pin", "2222", "--json")
    assert code == 1 and refused["error"]["code"] == "supervisor_required"
    assert client.post("/reports/z", {}).status_code == 422  # no clerk: invalid request
    # a supervisor's number alone closes nothing: the PIN is checked like a sign-in
    assert client.post("/reports/z", {"clerk": "1"}).status_code == 422  # no PIN
    wrong = client.post("/reports/z", {"clerk": "1", "pin": "9999"})
    assert wrong.status_code == 422 and wrong.json()["error"]["code"] == "sign_in_refused"
    code, wrong_cli = _kiosk(counter, "report", "z", "--clerk", "1", "--pin", "9999", "--json")
    assert code == 1 and wrong_cli["error"]["code"] == "sign_in_refused"
    assert client.get("/reports/z").json()["z_number"] == 1  # nothing closed

    counter.printer.paper_out()
    not_printed = client.post("/reports/z", {"clerk": "1", "pin": "1111"})
    assert not_printed.status_code == 409
    assert not_printed.json()["code"] == "not_printed" and not_printed.json()["z_number"] is None
    code, _ = _kiosk(counter, "report", "z", "--clerk", "1", "--pin", "1111", "--json")
    assert code == 3  # still no paper: the period stays open
    counter.printer.load_paper()

    code, text = _kiosk(counter, "report", "z", "--clerk", "1", "--pin", "1111")
    assert code == 0 and "Z POROČILO" in text and "No. 1 printed" in text
    assert client.get("/reports/x").json()["lines"] == []
    assert client.get("/reports/z").json()["z_number"] == 2
    assert client.post("/reports/x").status_code == 200


def test_commands_open_the_kiosk_in_process_when_none_runs(si_counter: Counter) -> None:
    counter = si_counter
    counter.clock.set_wall(datetime.now(UTC))  # the in-process kiosk uses the real clock
    sale = counter.sell("card-topup")
    assert sale.ok
    counter.close()
    assert not lock_path(counter.config).exists() or lock_path(counter.config).read_text() == ""

    code, added = _kiosk(
        counter, "clerk", "add", "1", "--name", "Ana", "--role", "supervisor", "--pin", "1111",
        "--json",
    )  # fmt: skip
    assert code == 0 and added["clerk"]["number"] == "1"
    code, listed = _kiosk(counter, "clerk", "list", "--json")
    assert code == 0 and [c["name"] for c in listed["clerks"]] == ["Ana"]

    code, x = _kiosk(counter, "report", "x", "--json")
    assert code == 0 and x["printed"] and x["lines"][0]["total_minor"] == sale.total_minor
    code, z = _kiosk(counter, "report", "z", "--clerk", "1", "--pin", "1111", "--json")
    assert code == 0 and z["z_number"] == 1
    code, cash = _kiosk(counter, "cash")
    assert code == 0 and "EUR" in cash and "0,00" in cash

    kiosk = counter.open()
    assert kiosk.store.last_z() is not None and kiosk.clerks.get("1") is not None


def test_the_demo_has_clerks_to_sign_in_with_at_once(tmp_path: Path) -> None:
    config = load_config(write_preset(tmp_path / "kiosk.toml", "rs"))
    seeded = seed_demo_clerks(config)
    assert seeded == [("1", "Ana", "1111", "supervisor"), ("2", "Bor", "2222", "clerk")]
    assert seed_demo_clerks(config) == seeded  # a second start adds nothing
    with Store(config.store.path, terminal_id=config.terminal.id, clock=ManualClock()) as store:
        book = ClerkBook(store, ManualClock(), max_failures=5, lockout_s=60)
        assert [c.number for c in book.list()] == ["1", "2"]
        assert book.sign_in("1", "1111").role is Role.SUPERVISOR
        assert book.sign_in("2", "2222").role is Role.CLERK
        assert [e.event for e in store.journal()].count("clerk_added") == 2
    peers = SimpleNamespace(
        host=SimpleNamespace(url="http://127.0.0.1:1"),
        printer=SimpleNamespace(port=2),
        slips_dir=tmp_path,
        folder=tmp_path,
    )
    banner = how_to_sell(config, peers, "http://127.0.0.1:3")  # type: ignore[arg-type]
    assert "clerk 1 PIN 1111" in banner and "clerk 2 PIN 2222" in banner
