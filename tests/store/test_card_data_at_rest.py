"""No card number and no security code at rest: every byte of the store, its WAL and SHM, a
backup of it and the captured logs are searched after card top-ups (online and offline) and a
Simple card sale were forwarded; lookup by the whole number and by the last 4 still works.

Also: an older store (full numbers in the transaction, its lookup keys, the journal and a
delivered offline advice) is cleaned when the kiosk opens it, and its journal still verifies.
"""

from __future__ import annotations

import json
import logging
import sqlite3
from collections.abc import Iterator
from pathlib import Path

import pytest
from click.testing import CliRunner
from helpers.carddata import grouped, secrets_in, store_files
from helpers.kiosk import Counter, start_counter, stop_counter

from hostsim import testnumbers as T
from hostsim.server import HostServer
from hostsim.store import HostStore
from offline_queue.journal import event_hash
from offline_queue.store import Store, verify_store_file
from printer_templates.preview import slip_to_text
from terminal.cli import main
from terminal.lookup import LookupQuery

OFFLINE_CARD = T.PREMIUM_CARD


@pytest.fixture
def counter(tmp_path: Path) -> Iterator[Counter]:
    counter = start_counter(tmp_path, "si")
    counter.open()
    yield counter
    stop_counter(counter)


def test_no_card_number_or_security_code_at_rest_after_forwarding(
    counter: Counter, caplog: pytest.LogCaptureFixture, tmp_path: Path
) -> None:
    caplog.set_level(logging.DEBUG)
    kiosk = counter.kiosk
    assert kiosk is not None

    online = counter.sell("card-topup")
    assert online.state == "confirmed"
    card_sale = counter.sell("card-sale")
    assert card_sale.state == "confirmed"
    # the voucher printed in full: the slip is the card
    host = HostStore(counter.folder / "host.sqlite")
    try:
        issued = host.one(
            "SELECT card_number, cvc FROM cards WHERE issued_txn = ?", (card_sale.txn,)
        )
    finally:
        host.close()
    assert issued is not None
    simple_number, cvc = str(issued["card_number"]), str(issued["cvc"])
    voucher = next(s for s in counter.printer.slips if card_sale.txn in s.text)
    assert grouped(simple_number) in voucher.text and cvc in voucher.text
    # what the screen and the API show of that slip is the masked copy
    assert card_sale.slip is not None
    shown_slip = slip_to_text(card_sale.slip)
    assert simple_number[-4:] in shown_slip
    assert secrets_in(shown_slip.encode(), [simple_number], [cvc]) == []
    assert f" {cvc}\n" not in shown_slip

    # the host goes away: a card top-up is accepted offline, its advice must carry the number
    port = int(counter.config.host.url.rsplit(":", 1)[1])
    counter.host.stop()
    offline = counter.sell("card-topup", target=OFFLINE_CARD, amount_minor=5000, cash_minor=5200)
    assert offline.state == "offline_confirmed"
    [advice] = kiosk.store.outbox_for(offline.txn)
    assert advice.payload["target"] == OFFLINE_CARD  # owed to the host in full, until delivered
    shown = json.dumps(advice.to_dict()) + repr(advice)  # what the API, the CLI and logs see
    assert OFFLINE_CARD not in shown and OFFLINE_CARD[-4:] in shown

    counter.host = HostServer(
        counter.folder / "host.sqlite", port=port, clock=counter.clock
    ).start()
    kiosk.forwarder.circuit_cooldown_s = 0
    kiosk.forwarder.drain(timeout_s=10)
    for txn in (online.txn, card_sale.txn, offline.txn):
        assert [m.state for m in kiosk.store.outbox_for(txn)] == ["delivered"], txn
    assert counter.host_view(offline.txn)["state"] == "confirmed"  # type: ignore[index]

    # every reader shows masked numbers; lookup by the whole number and by the last 4 works
    for number, txn in ((T.ONLINE_CARD, online.txn), (OFFLINE_CARD, offline.txn)):
        by_number = kiosk.store.find_transactions(target_value=grouped(number))
        assert [r.txn for r in by_number] == [txn]
        assert txn in [r.txn for r in kiosk.store.find_transactions(last4=number[-4:])]
        report = kiosk.lookups.lookup(LookupQuery(card_last4=number))
        assert [e.txn for e in report.entries] == [txn]
        shown = json.dumps(report.to_dict())
        assert secrets_in(shown.encode(), [number, simple_number], [cvc]) == []
    assert kiosk.store.get(card_sale.txn).details["product_data"]["voucher"]["card_number"] == (
        "**** **** **** " + simple_number[-4:]
    )
    result = CliRunner().invoke(
        main,
        ["--config", str(counter.folder / "kiosk.toml"), "txn", "show", card_sale.txn, "--json"],
    )
    assert result.exit_code == 0, result.output
    result2 = CliRunner().invoke(
        main,
        ["--config", str(counter.folder / "kiosk.toml"), "txn", "find", "--target", OFFLINE_CARD],
    )
    assert offline.txn in result2.output
    cli_text = result.output + result2.output
    assert secrets_in(cli_text.encode(), [T.ONLINE_CARD, OFFLINE_CARD, simple_number], [cvc]) == []

    # a backup made with SQLite's backup API, while the kiosk runs
    store_path = counter.config.store.path
    backup_path = tmp_path / "backup.sqlite"
    source = sqlite3.connect(store_path)
    target = sqlite3.connect(backup_path)
    source.backup(target)
    target.close()
    source.close()
    assert kiosk.store.verify_journal().ok
    # the copy verifies on its own, read-only, with the terminal's key (and only with it)
    assert verify_store_file(backup_path, key=counter.config.terminal.key).ok
    assert not verify_store_file(backup_path).ok

    numbers = [T.ONLINE_CARD, OFFLINE_CARD, simple_number]
    files = [*store_files(store_path), backup_path]
    assert {p.name[len(store_path.name) :] for p in files[:-1]} >= {"", "-wal", "-shm"}
    for path in files:
        assert secrets_in(path.read_bytes(), numbers, [cvc]) == [], path.name
    logs = "\n".join(f"{r.getMessage()} {r.args!r}" for r in caplog.records)
    assert secrets_in(logs.encode(), numbers, [cvc]) == []


def test_the_check_would_see_a_number_left_in_the_file(tmp_path: Path) -> None:
    """The search itself is not blind: a number written in clear is found, grouped or not."""
    path = tmp_path / "plain.sqlite"
    conn = sqlite3.connect(path)
    conn.execute("CREATE TABLE t (v TEXT)")
    conn.execute(
        "INSERT INTO t VALUES (?)", (json.dumps({"cvc": "123", "n": grouped("4000000000000051")}),)
    )
    conn.commit()
    conn.close()
    assert secrets_in(path.read_bytes(), ["4000000000000051"], ["123"]) != []


def _legacy_store(path: Path, key: str) -> None:
    """What an older version left: the number in clear in every table and the journal."""
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
    conn = sqlite3.connect(path, isolation_level=None)
    legacy_target = {
        "kind": "card",
        "value": OFFLINE_CARD,
        "display": grouped(OFFLINE_CARD),
        "masked": "**** **** **** 0051",
        "last4": "0051",
    }
    conn.execute("DROP TRIGGER journal_no_update")
    conn.execute(
        "UPDATE transactions SET target = ?, details = ? WHERE txn = ?",
        (
            json.dumps(legacy_target),
            json.dumps({"product_data": {"voucher": {"card_number": OFFLINE_CARD, "cvc": "987"}}}),
            record.txn,
        ),
    )
    conn.execute("UPDATE target_keys SET digits = ? WHERE txn = ?", (OFFLINE_CARD, record.txn))
    # rewrite the journal as the old version wrote it: the recorded event with the number
    rows = conn.execute("SELECT seq, at, txn, event, data FROM journal ORDER BY seq").fetchall()
    prev = "0" * 64
    for seq, at, txn, event, data in rows:
        body = json.loads(data)
        if event == "recorded":  # the older version journalled no details
            body["target"] = legacy_target
            body.pop("details", None)
        digest = event_hash(seq=seq, at=at, txn=txn, event=event, data=body, prev_hash=prev)
        conn.execute(
            "UPDATE journal SET data = ?, prev_hash = ?, hash = ? WHERE seq = ?",
            (json.dumps(body), prev, digest, seq),
        )
        prev = digest
    conn.execute("UPDATE journal_head SET hash = ?", (prev,))
    conn.close()


def test_an_older_store_is_cleaned_and_its_journal_still_verifies(tmp_path: Path) -> None:
    path = tmp_path / "kiosk.sqlite"
    _legacy_store(path, "k")
    assert OFFLINE_CARD.encode() in b"".join(f.read_bytes() for f in store_files(path))

    with Store(path, terminal_id="12345", key="terminal-key") as store:
        assert store.seal_problem is None
        verdict = store.verify_journal()
        assert verdict.ok, verdict.reason
        [record] = store.find_transactions(target_value=OFFLINE_CARD)
        assert record.target["masked"] == "**** **** **** 0051" and "value" not in record.target
        assert store.find_transactions(last4="0051") == [record]
        events = [e.event for e in store.journal()]
        assert events[-2:] == ["journal_redacted", "journal_keyed"]
    for file in store_files(path):
        assert secrets_in(file.read_bytes(), [OFFLINE_CARD], ["987"]) == [], file.name

    # the redacted row is still pinned: editing it again is caught, naming it
    conn = sqlite3.connect(path, isolation_level=None)
    conn.execute("DROP TRIGGER journal_no_update")
    seq, data = conn.execute("SELECT seq, data FROM journal WHERE event = 'recorded'").fetchone()
    conn.execute("UPDATE journal SET data = ? WHERE seq = ?", (data.replace("5000", "9000"), seq))
    conn.close()
    with Store(path, terminal_id="12345", key="terminal-key") as store:
        verdict = store.verify_journal()
    assert not verdict.ok and verdict.first_bad_seq == seq
    assert "redaction proof" in (verdict.reason or "")


def test_a_voucher_copy_prints_the_masked_number_without_security_code(
    counter: Counter,
) -> None:
    """The voucher is the card: a copy is not a second card (docs/card-data.md)."""
    kiosk = counter.kiosk
    assert kiosk is not None
    sale = counter.sell("card-sale")
    assert sale.state == "confirmed"
    original = counter.printer.slips[-1].text
    copy = kiosk.reprints.reprint(sale.txn)
    assert copy.copy_number == 1
    text = counter.printer.slips[-1].text
    assert text != original
    last4 = kiosk.store.get(sale.txn).details["product_data"]["voucher"]["card_number"][-4:]
    assert f"**** **** **** {last4}" in text
    number_lines = [line for line in original.splitlines() if line.strip().endswith(last4)]
    assert number_lines and all(line not in text for line in number_lines if "*" not in line)
    assert "Varnostna koda" in original and "Varnostna koda" not in text  # no security code
