"""Editing, removing, reordering or forging journal rows is caught at the right event.

Tampering goes through a separate raw SQLite connection that drops the append-only triggers
first, as someone editing the file by hand would.
"""

from __future__ import annotations

import json
import sqlite3
from collections.abc import Callable
from pathlib import Path

import pytest
from click.testing import CliRunner

from foundation.clock import ManualClock
from offline_queue.journal import event_hash
from offline_queue.store import OutboxMessage, Store
from terminal.cli import main
from terminal.config import load_config

Tamper = Callable[[sqlite3.Connection, int], None]


def fill_store(config_path: Path) -> int:
    """A few sales walked through their states; returns the number of journal events."""
    config = load_config(config_path)
    clock = ManualClock()
    with Store(config.store.path, terminal_id=config.terminal.id, clock=clock) as store:
        for amount in (50_000, 20_000, 100_000):
            clock.advance(7)
            txn = store.record(
                product="mts_topup",
                currency="RSD",
                amount_minor=amount,
                fees=[],
                total_minor=amount,
                cash_minor=amount,
                change_minor=0,
                target={"phone": "+381641234567"},
                details={"note": "čšž ə"},
            ).txn
            store.transition(txn, "authorized", updates={"auth_code": "OK1"})
            store.transition(txn, "printing")
            store.transition(txn, "confirmed", outbox=[OutboxMessage("confirm", {"txn": txn})])
        return len(store.journal())


def raw(config_path: Path) -> sqlite3.Connection:
    conn = sqlite3.connect(load_config(config_path).store.path, isolation_level=None)
    conn.execute("DROP TRIGGER journal_no_update")
    conn.execute("DROP TRIGGER journal_no_delete")
    return conn


def verify(config_path: Path) -> tuple[bool, int | None, str | None, int]:
    config = load_config(config_path)
    with Store(config.store.path, terminal_id=config.terminal.id) as store:
        verdict = store.verify_journal()
    return verdict.ok, verdict.first_bad_seq, verdict.reason, verdict.checked


def run_cli(config_path: Path, *args: str) -> tuple[int, str]:
    result = CliRunner().invoke(main, ["--config", str(config_path), "journal", "verify", *args])
    return result.exit_code, result.output


def edit_data(conn: sqlite3.Connection, events: int) -> None:
    data = json.loads(conn.execute("SELECT data FROM journal WHERE seq = 5").fetchone()[0])
    data["to"] = "voided"
    conn.execute("UPDATE journal SET data = ? WHERE seq = 5", (json.dumps(data),))


def edit_time(conn: sqlite3.Connection, events: int) -> None:
    conn.execute("UPDATE journal SET at = '2026-01-01T00:00:00.000000+00:00' WHERE seq = 6")


def delete_middle(conn: sqlite3.Connection, events: int) -> None:
    conn.execute("DELETE FROM journal WHERE seq = 4")


def delete_last(conn: sqlite3.Connection, events: int) -> None:
    conn.execute("DELETE FROM journal WHERE seq = ?", (events,))


def swap_rows(conn: sqlite3.Connection, events: int) -> None:
    columns = "at, txn, event, data, prev_hash, hash"
    three = conn.execute(f"SELECT {columns} FROM journal WHERE seq = 3").fetchone()
    four = conn.execute(f"SELECT {columns} FROM journal WHERE seq = 4").fetchone()
    update = (
        "UPDATE journal SET at = ?, txn = ?, event = ?, data = ?, prev_hash = ?, hash = ? "
        "WHERE seq = ?"
    )
    conn.execute(update, (*four, 3))
    conn.execute(update, (*three, 4))


def insert_forged_at_end(conn: sqlite3.Connection, events: int) -> None:
    """A forger who knows the hash rule appends a well-chained row but cannot move the head."""
    last_hash = conn.execute("SELECT hash FROM journal WHERE seq = ?", (events,)).fetchone()[0]
    seq, at, txn, event = events + 1, "2026-11-22T12:30:00.000000+00:00", None, "clerk_sign_in"
    data = {"clerk": "mallory"}
    digest = event_hash(seq=seq, at=at, txn=txn, event=event, data=data, prev_hash=last_hash)
    conn.execute(
        "INSERT INTO journal VALUES (?, ?, ?, ?, ?, ?, ?)",
        (seq, at, txn, event, json.dumps(data), last_hash, digest),
    )


def insert_forged_in_the_middle(conn: sqlite3.Connection, events: int) -> None:
    """Shift rows 6.. up by one and put a well-chained forged event at 6.

    Its own hash is right, so the break shows at the next row, which no longer follows.
    """
    shift_up_from_six(conn, events)
    prev = conn.execute("SELECT hash FROM journal WHERE seq = 5").fetchone()[0]
    at, data = "2026-11-22T12:00:10.000000+00:00", {"copies": 1}
    digest = event_hash(seq=6, at=at, txn=None, event="reprint", data=data, prev_hash=prev)
    conn.execute(
        "INSERT INTO journal VALUES (6, ?, NULL, 'reprint', ?, ?, ?)",
        (at, json.dumps(data), prev, digest),
    )


def insert_naive_forgery(conn: sqlite3.Connection, events: int) -> None:
    """A forged row at 6 whose hash was made up: caught at the row itself."""
    shift_up_from_six(conn, events)
    prev = conn.execute("SELECT hash FROM journal WHERE seq = 5").fetchone()[0]
    conn.execute(
        "INSERT INTO journal VALUES (6, '2026-11-22T12:00:10.000000+00:00', NULL, 'reprint', "
        "'{\"copies\":1}', ?, ?)",
        (prev, "f" * 64),
    )


def shift_up_from_six(conn: sqlite3.Connection, events: int) -> None:
    for seq in range(events, 5, -1):
        conn.execute("UPDATE journal SET seq = ? WHERE seq = ?", (seq + 1, seq))
    conn.execute("UPDATE journal_head SET seq = seq + 1")


CASES: list[tuple[str, Tamper, Callable[[int], int], str]] = [
    ("edited data", edit_data, lambda n: 5, "event 5: hash does not match its content (edited?)"),
    ("edited time", edit_time, lambda n: 6, "event 6: hash does not match"),
    ("deleted middle", delete_middle, lambda n: 4, "event 4 missing"),
    ("deleted last", delete_last, lambda n: n, "deleted from the end"),
    ("swapped", swap_rows, lambda n: 3, "event 3: does not follow event 2"),
    ("forged at end", insert_forged_at_end, lambda n: n + 1, "inserted"),
    ("forged in middle", insert_forged_in_the_middle, lambda n: 7, "event 7: does not follow"),
    ("naive forgery", insert_naive_forgery, lambda n: 6, "event 6: hash does not match"),
]


def test_an_untouched_journal_verifies(config_path: Path) -> None:
    events = fill_store(config_path)
    assert events == 12
    assert verify(config_path) == (True, None, None, events)
    # the CLI opens the store with the terminal's key: an intact journal is sealed (keyed)
    # by one more event, from which on the chain is an HMAC under the key
    code, output = run_cli(config_path)
    assert (code, output.strip().splitlines()[0]) == (0, f"journal OK: {events + 1} events")
    code, output = run_cli(config_path, "--json")
    assert code == 0
    verdict = json.loads(output)
    assert {k: verdict[k] for k in ("ok", "checked", "first_bad_seq", "reason")} == {
        "ok": True,
        "checked": events + 1,
        "first_bad_seq": None,
        "reason": None,
    }
    assert verdict["head_seq"] == events + 1 and len(verdict["head_hash"]) == 64


@pytest.mark.parametrize(
    ("tamper", "expected_seq", "reason_part"),
    [pytest.param(t, s, r, id=name) for name, t, s, r in CASES],
)
def test_tampering_is_caught_at_the_right_event(
    config_path: Path, tamper: Tamper, expected_seq: Callable[[int], int], reason_part: str
) -> None:
    events = fill_store(config_path)
    conn = raw(config_path)
    tamper(conn, events)
    conn.close()

    ok, first_bad, reason, checked = verify(config_path)
    assert not ok
    assert first_bad == expected_seq(events)
    assert reason is not None and reason_part in reason
    assert checked == first_bad - 1  # everything before it is intact

    code, output = run_cli(config_path)
    assert code == 1
    assert f"journal BROKEN at event {first_bad}: " in output
    code, output = run_cli(config_path, "--json")
    assert code == 1
    assert json.loads(output.splitlines()[0])["first_bad_seq"] == first_bad


def test_the_journal_refuses_edits_while_its_triggers_stand(config_path: Path) -> None:
    fill_store(config_path)
    conn = sqlite3.connect(load_config(config_path).store.path, isolation_level=None)
    try:
        with pytest.raises(sqlite3.IntegrityError, match="append-only"):
            conn.execute("UPDATE journal SET event = 'x' WHERE seq = 1")
        with pytest.raises(sqlite3.IntegrityError, match="append-only"):
            conn.execute("DELETE FROM journal WHERE seq = 1")
    finally:
        conn.close()
    assert verify(config_path)[0]


def test_a_missing_store_is_named_not_created(config_path: Path) -> None:
    code, output = run_cli(config_path)
    assert code == 1 and "No store at" in output
    assert not load_config(config_path).store.path.exists()


def test_verifying_does_not_wait_for_a_writer(config_path: Path) -> None:
    """Verification reads a snapshot beside the writer (WAL), so it never holds up a sale."""
    events = fill_store(config_path)
    writer = sqlite3.connect(load_config(config_path).store.path, isolation_level=None)
    try:
        writer.execute("BEGIN IMMEDIATE")
        writer.execute("UPDATE transactions SET copies = copies + 1")
        config = load_config(config_path)
        with Store(config.store.path, terminal_id="12345", busy_timeout_s=0.05) as store:
            verdict = store.verify_journal()
        assert (verdict.ok, verdict.checked) == (True, events)
    finally:
        writer.execute("ROLLBACK")
        writer.close()
