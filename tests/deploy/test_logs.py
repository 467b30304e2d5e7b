"""The kiosk's log: one key=value line per state change, and nothing secret in it.

The end-to-end test reads what a real ``kiosk serve`` wrote to stderr (the journal on a
counter) while it sold, printed, forwarded, stornoed, lost its paper and its host: every state
change has its line with its stable event name, and neither the card number (with or without
spaces), the API token nor the terminal key appears anywhere.
"""

from __future__ import annotations

import io
import logging
import os
import re
import subprocess
import sys
import tomllib
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner
from helpers.browser import ServedCounter, serve_counter
from helpers.carddata import grouped
from helpers.kiosk import register, write_config

from drivers.virtual_printer import VirtualPrinter
from hostsim import testnumbers as T
from hostsim.faults import Fault
from hostsim.server import HostServer
from offline_queue.eventlog import emit
from offline_queue.store import transition_event
from terminal.cli import main
from terminal.logs import KeyValueFormatter, add_secret, configure_logging, mask_card_numbers

CARD = T.ONLINE_CARD  # 4000000000000010, Luhn-valid
CARD_SPACED = grouped(CARD)
KIOSK = Path(sys.executable).with_name("kiosk")
SELL = ("sell", "card-topup", "--target", CARD, "--amount", "50", "--cash", "60", "--json")

#: One line: optional ``<N>`` priority, then key=value pairs (values bare or JSON-quoted).
LINE = re.compile(r'^(<\d>)?(?:[a-z_]+=(?:"(?:[^"\\]|\\.)*"|[A-Za-z0-9_.:/@+,\-]+)( |$))+$')


def _record(event: str | None = None, msg: str = "", **fields: Any) -> logging.LogRecord:
    record = logging.LogRecord("kiosk.test", logging.INFO, __file__, 1, msg or event, (), None)
    if event is not None:
        record.event = event
        record.fields = fields
    return record


def test_an_event_is_one_key_value_line() -> None:
    line = KeyValueFormatter(journald=False).format(
        _record("sale.confirmed", txn="12345000000001", total_minor=5200, offline=False)
    )
    assert re.match(
        r"^ts=\S+Z event=sale\.confirmed level=info txn=12345000000001 total_minor=5200 "
        r"offline=false$",
        line,
    ), line


def test_under_journald_the_priority_leads_and_the_time_is_journald_s() -> None:
    record = _record("printer.down", state="paper_out")
    record.levelno, record.levelname = logging.WARNING, "WARNING"
    line = KeyValueFormatter(journald=True).format(record)
    assert line == "<4>event=printer.down level=warning state=paper_out"


def test_free_text_is_quoted_and_card_numbers_in_it_masked() -> None:
    line = KeyValueFormatter(journald=False).format(
        _record(None, msg=f"card {CARD_SPACED} refused\nby host")
    )
    assert "\n" not in line and CARD not in line and CARD_SPACED not in line
    assert 'msg="card ****0010 refused\\nby host"' in line
    # a transaction number is an identifier even when it happens to pass Luhn
    assert mask_card_numbers("12345000000013") == "****0013"
    kept = KeyValueFormatter(journald=False).format(_record("sale.voided", txn="12345000000013"))
    assert "txn=12345000000013" in kept


def test_a_traceback_stays_on_one_line() -> None:
    try:
        raise RuntimeError(f"bad card {CARD}")
    except RuntimeError:
        record = logging.LogRecord(
            "kiosk.test",
            logging.ERROR,
            __file__,
            1,
            "tick failed",
            (),
            __import__("sys").exc_info(),
        )
    line = KeyValueFormatter(journald=False).format(record)
    assert "\n" not in line and CARD not in line
    assert 'error="RuntimeError: bad card ****0010"' in line and "traceback=" in line
    assert LINE.match(line.split(" ", 1)[1]), line


def test_registered_secrets_never_appear() -> None:
    secret = "tok-" + "x7" * 20
    add_secret(secret)
    add_secret("short")  # too short to redact safely: ignored
    line = KeyValueFormatter(journald=False).format(_record(None, msg=f"Bearer {secret} short"))
    assert secret not in line and "Bearer [redacted] short" in line


def test_configure_logging_and_emit_write_to_the_stream() -> None:
    stream = io.StringIO()
    configure_logging("info", stream=stream)
    try:
        emit(logging.getLogger("offline_queue.store"), "advice.delivered", kind="confirm", n=None)
        emit(logging.getLogger("x"), "hidden", level=logging.DEBUG)
    finally:
        configure_logging("warning")
    lines = stream.getvalue().splitlines()
    assert len(lines) == 1 and "event=advice.delivered level=info kind=confirm" in lines[0]
    with pytest.raises(ValueError, match="log level"):
        configure_logging("loud")


def test_transition_events_name_the_storno_fallback() -> None:
    assert transition_event("printing", "confirmed") == "sale.confirmed"
    assert transition_event("storno_requested", "confirmed") == "storno.not_done"
    assert transition_event("storno_printing", "stornoed") == "storno.done"
    assert transition_event("print_failed", "voided") == "sale.voided"


# -- the real kiosk ---------------------------------------------------------------------------


@pytest.fixture
def counter(tmp_path: Path) -> Iterator[ServedCounter]:
    with serve_counter(tmp_path, "si") as served:
        yield served


def _events(log: str) -> list[dict[str, str]]:
    found = []
    for line in log.splitlines():
        pairs = dict(re.findall(r'([a-z_]+)=("(?:[^"\\]|\\.)*"|\S+)', line))
        found.append({k: v.strip('"') for k, v in pairs.items()})
    return found


def _has(events: list[dict[str, str]], event: str, **fields: str) -> bool:
    return any(
        e.get("event") == event and all(e.get(k) == v for k, v in fields.items()) for e in events
    )


def _sell(counter: ServedCounter, amount_minor: int = 5000, status: int = 200) -> dict[str, Any]:
    answer = counter.api(
        "POST",
        "/sales",
        json={
            "product": "card-topup",
            "target": CARD_SPACED,
            "amount_minor": amount_minor,
            "cash_minor": 10000,
        },
    )
    assert answer.status_code == status, answer.text
    result: dict[str, Any] = answer.json()
    return result


def _drain(counter: ServedCounter) -> None:
    assert counter.api("POST", "/queue/drain", params={"timeout_s": 20}).status_code == 200


def test_a_day_at_the_counter_has_a_line_per_state_change_and_no_secret(
    counter: ServedCounter,
) -> None:
    sold = _sell(counter)
    assert sold["state"] == "confirmed", sold
    _drain(counter)

    storno = counter.api(
        "POST",
        "/stornos",
        json={"txn": sold["txn"], "reason": "customer_request", "clerk": "1"},
    )
    assert storno.status_code == 200, storno.text
    _drain(counter)

    # the host refuses the next batch of advices for good: a dead letter
    counter.host.faults.set(
        Fault("error_rate", path_prefix="/v1/advices", count=1, status=400, rate=1.0)
    )
    parked = _sell(counter, 3000)
    assert parked["state"] == "confirmed", parked
    _drain(counter)

    # the paper runs out in the middle of the slip: the sale is voided
    counter.printer.paper_out_after(3)
    voided = _sell(counter, 2000, status=409)
    assert voided["state"] == "print_failed", voided
    assert counter.api("GET", "/status").status_code == 200
    counter.printer.load_paper()
    assert counter.api("GET", "/status").status_code == 200
    _drain(counter)

    counter.stop_host()
    assert counter.api("POST", "/status/refresh").json()["host"]["online"] is False
    counter.start_host()
    assert counter.api("POST", "/status/refresh").json()["host"]["online"] is True

    counter.stop()
    log = counter.log()
    events = _events(log)

    for line in log.splitlines():
        assert LINE.match(line), line
    a, b, c = sold["txn"], parked["txn"], voided["txn"]
    expected = [
        ("kiosk.ready", {}),
        ("sale.recorded", {"txn": a, "product": "card-topup"}),
        ("sale.authorized", {"txn": a, "from": "recorded"}),
        ("sale.printing", {"txn": a}),
        ("sale.confirmed", {"txn": a, "advices": "confirm"}),
        ("advice.delivered", {"txn": a, "kind": "confirm"}),
        ("storno.requested", {"txn": a}),
        ("storno.printing", {"txn": a}),
        ("storno.done", {"txn": a, "advices": "storno"}),
        ("advice.delivered", {"txn": a, "kind": "storno"}),
        ("sale.confirmed", {"txn": b}),
        ("advice.dead", {"txn": b, "kind": "confirm", "level": "warning"}),
        ("sale.print_failed", {"txn": c}),
        ("sale.voided", {"txn": c, "advices": "void"}),
        ("advice.delivered", {"txn": c, "kind": "void"}),
        ("printer.up", {"state": "ready"}),
        ("printer.down", {"state": "paper_out"}),
        ("host.up", {}),
        ("host.down", {}),
        ("kiosk.stopping", {}),
    ]
    missing = [(name, fields) for name, fields in expected if not _has(events, name, **fields)]
    assert not missing, f"{missing}\n{log}"
    # the printer came back after the paper was loaded, the host after it started again
    names = [e.get("event") for e in events]
    down = names.index("printer.down")
    assert "printer.up" in names[down:], log
    assert "host.up" in names[names.index("host.down") :], log

    token = tomllib.loads(counter.config_path.read_text())["api"]["token"]
    key = tomllib.loads(counter.config_path.read_text())["terminal"]["key"]
    for secret in (CARD, CARD_SPACED, CARD[-12:], token, key):
        assert secret not in log, f"{secret!r} is in the log"


# -- the --log-level options ------------------------------------------------------------------


def _kiosk_sell(config: Path, *options: str, env: dict[str, str] | None = None) -> str:
    done = subprocess.run(
        [str(KIOSK), "--config", str(config), *options, *SELL],
        capture_output=True,
        text=True,
        timeout=60,
        env={**os.environ, **(env or {})},
    )
    assert done.returncode == 0, done.stdout + done.stderr
    assert CARD not in done.stderr
    return done.stderr


def test_the_global_log_level_shows_a_one_shot_command_s_state_changes(tmp_path: Path) -> None:

    with HostServer(tmp_path / "host.sqlite") as host:
        printer = VirtualPrinter(out_dir=tmp_path / "slips").start()
        try:
            config = write_config(
                tmp_path, "si", host_url=host.url, printer_url=f"tcp://127.0.0.1:{printer.port}"
            )
            register(tmp_path / "host.sqlite", config)
            path = tmp_path / "kiosk.toml"
            quiet = _kiosk_sell(path)
            assert "event=sale." not in quiet, quiet  # warning and up by default
            loud = _kiosk_sell(path, "--log-level", "info")
            assert "event=sale.recorded" in loud and "event=sale.confirmed" in loud, loud
            from_env = _kiosk_sell(path, env={"KIOSK_LOG_LEVEL": "info"})
            assert "event=sale.confirmed" in from_env, from_env
        finally:
            printer.stop()


def test_log_level_choices_are_checked() -> None:
    runner = CliRunner()
    refused = runner.invoke(main, ["--log-level", "loud", "config", "check"])
    assert refused.exit_code == 2 and "loud" in refused.output
    refused = runner.invoke(main, ["serve", "--log-level", "chatty"])
    assert refused.exit_code == 2 and "chatty" in refused.output
