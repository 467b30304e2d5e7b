"""`journal verify` proves the books, not only the journal, and the chain needs the key.

Each tamper goes through a raw SQLite connection (triggers dropped, as a hand edit would):
an amount in the transactions table, a clerk's role or PIN hash, a Z report's period, and a
whole chain rewritten as plain SHA-256 by someone without the terminal's key. Each is caught,
naming the first bad event or row.
"""

from __future__ import annotations

import json
import sqlite3
from pathlib import Path

import pytest
from click.testing import CliRunner

from foundation.clock import ManualClock
from offline_queue.journal import GENESIS_HASH, KEYED_EVENT, event_hash
from offline_queue.store import OutboxMessage, Store
from terminal.clerks import ClerkBook, Role, hash_pin
from terminal.cli import main
from terminal.config import load_config

KEY = "the terminal's key"


def fill(path: Path, key: str) -> dict[str, str]:
    """Two sales, a clerk and a supervisor, a printed Z; returns what the tests edit."""
    clock = ManualClock()
    with Store(path, terminal_id="12345", clock=clock, key=key) as store:
        book = ClerkBook(store, clock, max_failures=5, lockout_s=60)
        book.add("1", "Ana", "1111", Role.SUPERVISOR)
        book.add("2", "Bo", "2222", Role.CLERK)
        txns = []
        for amount in (50_000, 20_000):
            clock.advance(5)
            txn = store.record(
                product="mobile-topup",
                currency="RSD",
                amount_minor=amount,
                fees=[],
                total_minor=amount,
                cash_minor=amount,
                change_minor=0,
                target={"kind": "phone", "value": "+381641234567"},
                details={},
                clerk="2",
            ).txn
            store.transition(txn, "authorized", updates={"auth_code": "A1"})
            store.transition(txn, "printing")
            store.transition(
                txn,
                "confirmed",
                updates={"printed_at": clock.now()},
                outbox=[OutboxMessage("confirm", {"txn": txn})],
            )
            txns.append(txn)
        figures = store.period_figures()
        store.close_period(figures, clerk="1", printed_at=clock.now())
        assert store.verify_journal().ok
    return {"txn": txns[0]}


def raw(path: Path) -> sqlite3.Connection:
    conn = sqlite3.connect(path, isolation_level=None)
    for trigger in (
        "journal_no_update",
        "journal_no_delete",
        "periods_no_update",
        "periods_no_delete",
    ):
        conn.execute(f"DROP TRIGGER IF EXISTS {trigger}")
    return conn


def verify(path: Path, key: str | None = KEY) -> tuple[bool, int | None, str | None, str]:
    with Store(path, terminal_id="12345", key=key) as store:
        verdict = store.verify_journal()
    return verdict.ok, verdict.first_bad_seq, verdict.first_bad_row, verdict.reason or ""


def events_of(path: Path, event: str) -> list[int]:
    conn = sqlite3.connect(path)
    try:
        return [r[0] for r in conn.execute("SELECT seq FROM journal WHERE event = ?", (event,))]
    finally:
        conn.close()


def test_an_edited_amount_is_caught_naming_the_row_and_its_event(tmp_path: Path) -> None:
    path = tmp_path / "s.sqlite"
    txn = fill(path, KEY)["txn"]
    recorded = events_of(path, "recorded")[0]
    conn = raw(path)
    conn.execute("UPDATE transactions SET amount_minor = 1 WHERE txn = ?", (txn,))
    conn.close()
    ok, seq, row, reason = verify(path)
    assert not ok
    assert (seq, row) == (recorded, f"transactions/{txn}")
    assert "amount_minor is 1 but the journal" in reason


def test_an_edited_state_or_a_deleted_sale_is_caught(tmp_path: Path) -> None:
    path = tmp_path / "s.sqlite"
    txn = fill(path, KEY)["txn"]
    conn = raw(path)
    conn.execute("UPDATE transactions SET state = 'voided' WHERE txn = ?", (txn,))
    conn.close()
    ok, _, row, reason = verify(path)
    assert not ok and row == f"transactions/{txn}" and "state is" in reason
    conn = raw(path)
    conn.execute("DELETE FROM outbox WHERE txn = ?", (txn,))
    conn.execute("DELETE FROM target_keys WHERE txn = ?", (txn,))
    conn.execute("DELETE FROM transactions WHERE txn = ?", (txn,))
    conn.close()
    ok, _, row, reason = verify(path)
    assert not ok and row == f"transactions/{txn}" and "not in the table" in reason


def test_an_edited_clerk_role_or_pin_hash_is_caught(tmp_path: Path) -> None:
    path = tmp_path / "s.sqlite"
    fill(path, KEY)
    added = events_of(path, "clerk_added")
    conn = raw(path)
    conn.execute("UPDATE clerks SET role = 'supervisor' WHERE number = '2'")
    conn.close()
    ok, seq, row, reason = verify(path)
    assert not ok and (seq, row) == (added[1], "clerks/2")
    assert "role is" in reason
    conn = raw(path)
    conn.execute("UPDATE clerks SET role = 'clerk' WHERE number = '2'")
    conn.execute("UPDATE clerks SET pin_hash = ? WHERE number = '1'", (hash_pin("0000"),))
    conn.close()
    ok, seq, row, reason = verify(path)
    assert not ok and (seq, row) == (added[0], "clerks/1")
    assert "PIN hash" in reason


def test_an_edited_period_is_caught(tmp_path: Path) -> None:
    path = tmp_path / "s.sqlite"
    fill(path, KEY)
    [z_event] = events_of(path, "z_report")
    conn = raw(path)
    figures = json.loads(conn.execute("SELECT figures FROM periods").fetchone()[0])
    figures["sales"][0]["total_minor"] -= 10_000
    conn.execute("UPDATE periods SET figures = ?", (json.dumps(figures),))
    conn.close()
    ok, seq, row, reason = verify(path)
    assert not ok and (seq, row) == (z_event, "periods/1") and "figures is" in reason

    conn = raw(path)
    conn.execute("DELETE FROM periods")
    conn.close()
    ok, seq, row, reason = verify(path)
    assert not ok and (seq, row) == (z_event, "periods/1") and "not in the table" in reason


def _rewrite_without_key(conn: sqlite3.Connection, *, drop_keyed: bool) -> None:
    """A forger without the key: edit an amount in the journal and the table alike, and
    recompute every hash and the head as plain SHA-256 (optionally dropping the keyed event)."""
    rows = conn.execute("SELECT seq, at, txn, event, data FROM journal ORDER BY seq").fetchall()
    conn.execute("DELETE FROM journal")
    prev, seq = GENESIS_HASH, 0
    for _, at, txn, event, data in rows:
        if drop_keyed and event == KEYED_EVENT:
            continue
        body = json.loads(data)
        if event == "recorded" and body.get("amount_minor") == 50_000:
            body["amount_minor"] = body["total_minor"] = body["cash_minor"] = 5_000
        seq += 1
        digest = event_hash(seq=seq, at=at, txn=txn, event=event, data=body, prev_hash=prev)
        conn.execute(
            "INSERT INTO journal VALUES (?, ?, ?, ?, ?, ?, ?)",
            (seq, at, txn, event, json.dumps(body), prev, digest),
        )
        prev = digest
    conn.execute("UPDATE journal_head SET seq = ?, hash = ?", (seq, prev))
    conn.execute(
        "UPDATE transactions SET amount_minor = 5000, total_minor = 5000, cash_minor = 5000 "
        "WHERE amount_minor = 50000"
    )


@pytest.mark.parametrize("drop_keyed", [False, True], ids=["keeping-keyed-event", "dropping-it"])
def test_a_chain_rewritten_without_the_key_is_caught(tmp_path: Path, drop_keyed: bool) -> None:
    path = tmp_path / "s.sqlite"
    fill(path, KEY)
    [keyed] = events_of(path, KEYED_EVENT)
    assert keyed == 1  # a store made with the key is keyed from its first event
    conn = raw(path)
    _rewrite_without_key(conn, drop_keyed=drop_keyed)
    conn.close()
    ok, seq, row, reason = verify(path)
    assert not ok and row is None
    if drop_keyed:
        assert seq == 1 and "no keyed event" in reason
    else:
        assert seq == 1 and "keyed hash does not match" in reason
    # with the wrong key, an untouched store is refused too
    fresh = tmp_path / "fresh.sqlite"
    fill(fresh, KEY)
    assert verify(fresh, key="another key")[:3] == (False, 1, None)


def test_the_cli_names_the_row_and_incremental_verification_resumes(config_path: Path) -> None:
    config = load_config(config_path)
    txn = fill(config.store.path, config.terminal.key)["txn"]

    def cli(*args: str) -> tuple[int, str]:
        result = CliRunner().invoke(
            main, ["--config", str(config_path), "journal", "verify", *args]
        )
        return result.exit_code, result.output

    code, output = cli()
    assert code == 0 and output.startswith("journal OK: ")
    code, output = cli("--incremental")
    assert code == 0 and output.startswith("journal OK: 0 events")  # nothing new since
    conn = raw(config.store.path)
    conn.execute("UPDATE transactions SET amount_minor = 1 WHERE txn = ?", (txn,))
    conn.close()
    # no event touched the sale since the checkpoint: the incremental walk does not reread it
    code, output = cli("--incremental")
    assert code == 0 and output.startswith("journal OK: 0 events")
    code, output = cli()  # the full walk does
    assert code == 1 and f"books BROKEN at transactions/{txn} (event " in output


# --- incremental verification: from the sealed checkpoint ------------------------------------


def _sale(store: Store, amount: int = 10_000) -> str:
    txn = store.record(
        product="mobile-topup",
        currency="RSD",
        amount_minor=amount,
        fees=[],
        total_minor=amount,
        cash_minor=amount,
        change_minor=0,
        target={"kind": "phone", "value": "+381641234567"},
        details={},
        clerk="2",
    ).txn
    store.transition(txn, "authorized", updates={"auth_code": "A1"})
    return txn


def _edit_event_amount(path: Path, seq: int, amount: int) -> None:
    conn = raw(path)
    data = json.loads(conn.execute("SELECT data FROM journal WHERE seq = ?", (seq,)).fetchone()[0])
    data["amount_minor"] = amount
    conn.execute("UPDATE journal SET data = ? WHERE seq = ?", (json.dumps(data), seq))
    conn.close()


def _recorded_seq(path: Path, txn: str) -> int:
    conn = sqlite3.connect(path)
    try:
        row = conn.execute(
            "SELECT seq FROM journal WHERE txn = ? AND event = 'recorded'", (txn,)
        ).fetchone()
        return int(row[0])
    finally:
        conn.close()


def test_tampering_before_the_checkpoint_is_left_to_the_full_walk(tmp_path: Path) -> None:
    path = tmp_path / "s.sqlite"
    old_txn = fill(path, KEY)["txn"]  # fill verifies in full: the checkpoint is at its head
    with Store(path, terminal_id="12345", key=KEY) as store:
        _sale(store)
        head = store.journal_head()
    _edit_event_amount(path, _recorded_seq(path, old_txn), 1)
    with Store(path, terminal_id="12345", key=KEY) as store:
        incremental = store.verify_journal(full=False)
        assert incremental.ok
        assert incremental.checked == 2  # the new sale's two events, nothing before them
        assert incremental.head_seq == head[0]  # type: ignore[index]
        full = store.verify_journal()
    assert not full.ok
    assert full.first_bad_seq == _recorded_seq(path, old_txn)


def test_tampering_after_the_checkpoint_is_caught_by_the_incremental_walk(
    tmp_path: Path,
) -> None:
    path = tmp_path / "s.sqlite"
    fill(path, KEY)
    with Store(path, terminal_id="12345", key=KEY) as store:
        new_txn = _sale(store)
    _edit_event_amount(path, _recorded_seq(path, new_txn), 1)
    with Store(path, terminal_id="12345", key=KEY) as store:
        verdict = store.verify_journal(full=False)
    assert not verdict.ok
    assert verdict.first_bad_seq == _recorded_seq(path, new_txn)


def test_an_edited_row_of_a_sale_touched_since_the_checkpoint_is_caught(tmp_path: Path) -> None:
    """The incremental walk replays every transaction an event after the checkpoint touched,
    from all its events, and compares its row."""
    path = tmp_path / "s.sqlite"
    fill(path, KEY)
    with Store(path, terminal_id="12345", key=KEY) as store:
        txn = _sale(store)
        assert store.verify_journal(full=False).ok  # the checkpoint moves past the sale
        store.transition(txn, "printing")  # a new event of the same sale
    conn = raw(path)
    conn.execute("UPDATE transactions SET amount_minor = 1 WHERE txn = ?", (txn,))
    conn.close()
    with Store(path, terminal_id="12345", key=KEY) as store:
        verdict = store.verify_journal(full=False)
    assert not verdict.ok
    assert verdict.first_bad_row == f"transactions/{txn}"
    assert verdict.first_bad_seq == _recorded_seq(path, txn)  # the amount's own event


def test_a_checkpoint_moved_without_the_key_is_ignored(tmp_path: Path) -> None:
    """Moving the checkpoint past a tampered event (MAC from the wrong key) makes the
    incremental walk start at the genesis, where the tampering is found."""
    from offline_queue.carddata import JOURNAL_CHAIN_PURPOSE, derive_key
    from offline_queue.verify import checkpoint_mac, verify_journal_on

    path = tmp_path / "s.sqlite"
    old_txn = fill(path, KEY)["txn"]
    seq = _recorded_seq(path, old_txn)
    with Store(path, terminal_id="12345", key=KEY) as store:
        assert store.verify_journal(full=False).checked == 0
    _edit_event_amount(path, seq, 1)
    conn = raw(path)
    head_seq, head_hash = conn.execute("SELECT seq, hash FROM journal_head").fetchone()
    forged = checkpoint_mac(derive_key("not the key", JOURNAL_CHAIN_PURPOSE), head_seq, head_hash)
    conn.execute("UPDATE journal_seal SET checked_mac = ?", (forged,))
    conn.close()
    with Store(path, terminal_id="12345", key=KEY) as store:
        verdict = store.verify_journal(full=False)
    assert not verdict.ok and verdict.first_bad_seq == seq
    # a read-only reader (kiosk doctor, a backup's check) resumes the same way
    conn = sqlite3.connect(path, isolation_level=None)
    try:
        assert verify_journal_on(conn, key=KEY, full=False).first_bad_seq == seq
    finally:
        conn.close()


def test_a_read_only_incremental_check_starts_at_the_checkpoint(tmp_path: Path) -> None:
    from offline_queue.verify import verify_journal_on

    path = tmp_path / "s.sqlite"
    fill(path, KEY)
    with Store(path, terminal_id="12345", key=KEY) as store:
        _sale(store)
    conn = sqlite3.connect(path, isolation_level=None)
    try:
        incremental = verify_journal_on(conn, key=KEY, full=False)
        full = verify_journal_on(conn, key=KEY)
    finally:
        conn.close()
    assert incremental.ok and full.ok
    assert incremental.checked == 2
    assert full.checked == full.head_seq
