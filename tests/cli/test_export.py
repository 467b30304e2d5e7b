"""``kiosk export``: transactions and the journal out of a real store file through sqlite-utils,
read-only, card numbers masked as everywhere else, never a full number or a security code."""

from __future__ import annotations

import csv
import hashlib
import io
import json
import sqlite3
import stat
from pathlib import Path

import pytest
from click.testing import CliRunner, Result
from helpers.kiosk import Counter

from hostsim import testnumbers as T
from hostsim.store import HostStore
from offline_queue.export import EXPORTS, read_only
from offline_queue.store import Store
from terminal.cli import main

OLD_CARD = T.PREMIUM_CARD


def _export(counter: Counter, *args: str) -> Result:
    return CliRunner().invoke(
        main, ["--config", str(counter.folder / "kiosk.toml"), "export", *args]
    )


def _grouped(number: str) -> str:
    return " ".join(number[i : i + 4] for i in range(0, len(number), 4))


def _leaks(text: str, numbers: list[str], codes: list[str]) -> list[str]:
    """Full card numbers (plain, grouped, or all but the last four) or security codes in text."""
    found = [
        spelling
        for number in numbers
        for spelling in (number, _grouped(number), number[:-4])
        if spelling in text
    ]
    found += [f"cvc {code}" for code in codes if f'"cvc": "{code}"' in text]
    found += [key for key in ("cvc", "security_code") if f'"{key}"' in text]
    return found


def _fingerprint(store: Path) -> dict[str, str]:
    return {
        p.name: hashlib.sha256(p.read_bytes()).hexdigest()
        for p in store.parent.iterdir()
        if p.name in (store.name, store.name + "-wal")
    }


def _issued_voucher(counter: Counter, txn: str) -> tuple[str, str]:
    host = HostStore(counter.folder / "host.sqlite")
    try:
        row = host.one("SELECT card_number, cvc FROM cards WHERE issued_txn = ?", (txn,))
    finally:
        host.close()
    assert row is not None
    return str(row["card_number"]), str(row["cvc"])


def test_a_selling_counter_exports_masked_rows_and_its_store_is_not_touched(
    si_counter: Counter, tmp_path: Path
) -> None:
    counter = si_counter
    topup = counter.sell("card-topup")
    counter.clock.advance(3600)
    voucher_sale = counter.sell("card-sale")
    assert (topup.state, voucher_sale.state) == ("confirmed", "confirmed")
    number, cvc = _issued_voucher(counter, voucher_sale.txn)
    store = counter.config.store.path
    before = _fingerprint(store)
    secrets = [T.ONLINE_CARD, number]

    # JSON: oldest first, the card top-up's number and the voucher's masked, no security code
    done = _export(counter, "transactions", "--format", "json")
    assert done.exit_code == 0, done.output
    assert done.stderr == "2 transactions rows exported.\n"
    rows = json.loads(done.stdout)
    assert [r["txn"] for r in rows] == [topup.txn, voucher_sale.txn]
    assert list(rows[0]) == list(EXPORTS["transactions"].columns)
    assert rows[0]["target"]["masked"] == "**** **** **** " + T.ONLINE_CARD[-4:]
    voucher = rows[1]["details"]["product_data"]["voucher"]
    assert voucher["card_number"] == "**** **** **** " + number[-4:]
    assert rows[0]["total_minor"] == 15300 and rows[0]["offline"] is False
    assert _leaks(done.stdout, secrets, [cvc]) == []

    # NDJSON of the journal: every event, in order, the same the store holds
    done = _export(counter, "journal", "--format", "ndjson")
    assert done.exit_code == 0, done.output
    events = [json.loads(line) for line in done.stdout.splitlines()]
    assert counter.kiosk is not None
    held = counter.kiosk.store.journal()
    assert [(e["seq"], e["event"], e["hash"]) for e in events] == [
        (e.seq, e.event, e.hash) for e in held
    ]
    assert _leaks(done.stdout, secrets, [cvc]) == []

    # both tables as CSV into a new folder: private files, nested values as JSON text
    folder = tmp_path / "out"
    done = _export(counter, "--format", "csv", "--output", str(folder))
    assert done.exit_code == 0, done.output
    for name, count in (("transactions", 2), ("journal", len(held))):
        path = folder / f"{name}.csv"
        assert stat.S_IMODE(path.stat().st_mode) == 0o600
        assert f"{count} {name} rows exported to {path}." in done.stderr
        text = path.read_text(encoding="utf-8")
        table = list(csv.DictReader(io.StringIO(text)))
        assert len(table) == count
        assert tuple(table[0]) == EXPORTS[name].columns
        assert _leaks(text, secrets, [cvc]) == []
    first = next(csv.DictReader(io.StringIO((folder / "transactions.csv").read_text())))
    assert json.loads(first["target"])["last4"] == T.ONLINE_CARD[-4:] and first["offline"] == "0"

    # a time range in the terminal's local time (Ljubljana, UTC+1): only the later sale
    done = _export(counter, "transactions", "--format", "ndjson", "--since", "2026-11-22T13:30")
    assert done.exit_code == 0, done.output
    assert [json.loads(line)["txn"] for line in done.stdout.splitlines()] == [voucher_sale.txn]
    done = _export(counter, "transactions", "--until", "2026-11-22T12:30+00:00")
    assert done.exit_code == 0, done.output
    assert [r["txn"] for r in csv.DictReader(io.StringIO(done.stdout))] == [topup.txn]

    assert _fingerprint(store) == before  # read-only: not a byte written, kiosk still selling


def _unsealed_store(path: Path) -> str:
    """A store an older version left: the card number in clear in its row and its journal, a
    voucher's security code kept, and never opened with the key (so never sealed)."""
    with Store(path, terminal_id="12345") as store:
        record = store.record(
            product="card-topup",
            currency="EUR",
            amount_minor=5000,
            fees=[],
            total_minor=5000,
            cash_minor=5000,
            change_minor=0,
            target={"kind": "phone", "value": "+38631891888"},
            details={},
        )
    card = {"kind": "card", "value": OLD_CARD, "display": _grouped(OLD_CARD), "last4": "0051"}
    conn = sqlite3.connect(path, isolation_level=None)
    conn.execute("DROP TRIGGER journal_no_update")
    conn.execute(
        "UPDATE transactions SET target = ?, details = ? WHERE txn = ?",
        (
            json.dumps(card),
            json.dumps({"product_data": {"voucher": {"card_number": OLD_CARD, "cvc": "987"}}}),
            record.txn,
        ),
    )
    conn.execute(
        "UPDATE journal SET data = ? WHERE event = 'recorded'", (json.dumps({"target": card}),)
    )
    conn.close()
    return record.txn


def test_an_unsealed_older_store_is_exported_masked_and_left_as_it_was(
    si_counter: Counter, tmp_path: Path
) -> None:
    old = tmp_path / "old" / "kiosk.sqlite"
    old.parent.mkdir()
    txn = _unsealed_store(old)
    before = old.read_bytes()
    assert OLD_CARD.encode() in before and b'"cvc": "987"' in before

    done = _export(si_counter, "transactions", "--store", str(old), "--format", "ndjson")
    assert done.exit_code == 0, done.output
    [row] = [json.loads(line) for line in done.stdout.splitlines()]
    assert row["txn"] == txn
    assert row["target"]["masked"] == "**** **** **** 0051" and "value" not in row["target"]
    assert row["target"]["display"] == "**** **** **** 0051"
    assert row["details"]["product_data"]["voucher"] == {"card_number": "**** **** **** 0051"}
    journal = _export(si_counter, "journal", "--store", str(old), "--format", "json")
    assert journal.exit_code == 0, journal.output
    assert "**** **** **** 0051" in journal.stdout
    assert _leaks(done.stdout + journal.stdout, [OLD_CARD], ["987"]) == []
    # opened with the key the store would have been sealed and rewritten; read-only it is not
    assert old.read_bytes() == before


def test_refusals_say_what_to_do(si_counter: Counter, tmp_path: Path) -> None:
    both = _export(si_counter)
    assert both.exit_code == 2 and "give --output FOLDER, or name one table" in both.output

    taken = tmp_path / "taken.csv"
    taken.write_text("keep me")
    done = _export(si_counter, "journal", "--output", str(taken))
    assert done.exit_code == 1 and f"{taken} exists: choose a new name" in done.stderr
    assert taken.read_text() == "keep me"

    not_a_store = tmp_path / "notes.sqlite"
    sqlite3.connect(not_a_store).close()
    done = _export(si_counter, "journal", "--store", str(not_a_store))
    assert done.exit_code == 1
    assert "is not a kiosk store (no table journal, transactions)" in done.stderr

    done = _export(si_counter, "journal", "--store", str(tmp_path / "missing.sqlite"))
    assert done.exit_code == 1 and "No store at" in done.stderr

    done = _export(si_counter, "transactions", "--since", "yesterday")
    assert done.exit_code == 1 and "--since: 'yesterday' is not a date/time" in done.stderr
    for result in (both, done):
        assert "Traceback" not in result.output


def test_the_export_connection_cannot_write(tmp_path: Path) -> None:
    path = tmp_path / "kiosk.sqlite"
    _unsealed_store(path)
    with read_only(path) as db:
        assert db["transactions"].count == 1
        for statement in (
            "DELETE FROM transactions",
            "INSERT INTO sequence (terminal_id, last_value) VALUES ('54321', 0)",
        ):
            with pytest.raises(sqlite3.OperationalError, match=r"readonly|read-only|query_only"):
                db.execute(statement)
