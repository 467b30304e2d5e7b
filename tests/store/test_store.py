"""The store keeps sales, numbers and advices on a real SQLite file the way the protocol needs."""

from __future__ import annotations

import json
import sqlite3
import threading
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner

from foundation.clock import ManualClock
from offline_queue.errors import (
    DuplicateMessage,
    InvalidRecord,
    SchemaTooNew,
    StoreBusy,
    StoreClosed,
    StoreError,
    UnknownMessage,
    UnknownTransaction,
)
from offline_queue.schema import MIGRATIONS, SCHEMA_VERSION, connect, migrate
from offline_queue.store import OutboxMessage, Store, TxnRecord
from terminal.cli import main
from terminal.config import load_config, write_preset


def record_sale(store: Store, *, amount: int = 50_000, **overrides: Any) -> TxnRecord:
    fields: dict[str, Any] = {
        "product": "mts_topup",
        "currency": "RSD",
        "amount_minor": amount,
        "fees": [("pos_surcharge", 100)],
        "total_minor": amount + 100,
        "cash_minor": 0,
        "change_minor": 0,
        "target": {"phone": "+381 64 123 4567"},
        "details": {"operator": "mts"},
    }
    fields.update(overrides)
    return store.record(**fields)


def confirm_online(store: Store, txn: str) -> None:
    store.transition(txn, "authorized", updates={"auth_code": "A1"})
    store.transition(txn, "printing")
    store.transition(txn, "confirmed", outbox=[OutboxMessage("confirm", {"txn": txn})])


# -- numbers ----------------------------------------------------------------------------------


def test_numbers_are_consecutive_14_digits_starting_with_the_terminal_id(store: Store) -> None:
    numbers = [record_sale(store).txn for _ in range(5)]
    assert numbers == [f"12345{n:09d}" for n in range(1, 6)]


def test_numbers_continue_after_reopening_and_are_never_reused_after_deleting_rows(
    tmp_path: Path, clock: ManualClock
) -> None:
    path = tmp_path / "kiosk.sqlite"
    with Store(path, terminal_id="12345", clock=clock) as store:
        first = record_sale(store).txn
        second = record_sale(store).txn
    raw = sqlite3.connect(path)
    raw.execute("PRAGMA foreign_keys = ON")
    raw.execute("DELETE FROM transactions WHERE txn IN (?, ?)", (first, second))
    raw.commit()
    raw.close()
    with Store(path, terminal_id="12345", clock=clock) as store:
        assert record_sale(store).txn == "12345000000003"


def test_a_sequence_behind_the_rows_still_never_hands_out_a_used_number(
    tmp_path: Path, clock: ManualClock
) -> None:
    path = tmp_path / "kiosk.sqlite"
    with Store(path, terminal_id="12345", clock=clock) as store:
        for _ in range(3):
            record_sale(store)
    raw = sqlite3.connect(path)
    raw.execute("UPDATE sequence SET last_value = 1")  # a restored old backup of the counter
    raw.commit()
    raw.close()
    with Store(path, terminal_id="12345", clock=clock) as store:
        assert record_sale(store).txn == "12345000000004"


def test_terminal_id_must_be_five_digits(tmp_path: Path) -> None:
    with pytest.raises(StoreError, match="5 digits"):
        Store(tmp_path / "x.sqlite", terminal_id="1234")


# -- recording ------------------------------------------------------------------------------


def test_record_keeps_every_field_and_journals_it(store: Store, clock: ManualClock) -> None:
    sale = record_sale(store, cash_minor=60_000, change_minor=9_900, clerk="ana")
    again = store.get(sale.txn)
    assert again == sale
    assert sale.state == "recorded"
    assert sale.fees == (("pos_surcharge", 100),)
    assert sale.total_minor == 50_100
    assert sale.target == {"phone": "+381 64 123 4567"}
    assert sale.created_at == clock.now()
    assert sale.offline is False
    events = store.journal(sale.txn)
    assert [e.event for e in events] == ["recorded"]
    assert events[0].data["total_minor"] == 50_100


@pytest.mark.parametrize(
    ("overrides", "message"),
    [
        ({"amount_minor": 500.0, "total_minor": 600}, "integer number of minor units"),
        ({"amount_minor": True, "total_minor": 101}, "integer number of minor units"),
        ({"fees": [("pos", 1.5)]}, "integer number of minor units"),
        ({"total_minor": 50_000}, "must equal amount_minor plus fees"),
        ({"cash_minor": 60_000, "change_minor": 1}, "must equal total_minor"),
        ({"change_minor": 5}, "change_minor must be 0"),
        ({"currency": "eur"}, "ISO 4217"),
        ({"amount_minor": 0, "total_minor": 100}, "greater than zero"),
        ({"target": {"when": object()}}, "cannot be stored as JSON"),
    ],
)
def test_record_refuses_bad_money_and_stores_nothing(
    store: Store, overrides: dict[str, Any], message: str
) -> None:
    with pytest.raises(InvalidRecord, match=message):
        record_sale(store, **overrides)
    assert store.list_transactions() == []
    assert store.journal() == []
    assert record_sale(store).txn == "12345000000001"  # no number was burnt


def test_unknown_transaction_is_named(store: Store) -> None:
    with pytest.raises(UnknownTransaction, match="12345000000099"):
        store.get("12345000000099")


def test_transition_updates_merge_details_and_refuse_other_columns(store: Store) -> None:
    sale = record_sale(store)
    store.transition(sale.txn, "authorized", updates={"auth_code": "X9", "details": {"v": 1}})
    after = store.get(sale.txn)
    assert after.auth_code == "X9"
    assert after.details == {"operator": "mts", "v": 1}
    with pytest.raises(InvalidRecord, match="cannot update amount_minor"):
        store.transition(sale.txn, "printing", updates={"amount_minor": 1})
    assert store.get(sale.txn).state == "authorized"


def test_offline_accepted_marks_the_sale_offline(store: Store) -> None:
    sale = record_sale(store)
    assert store.transition(sale.txn, "offline_accepted").offline is True


def test_journal_event_and_reprint_count(store: Store) -> None:
    sale = record_sale(store)
    confirm_online(store, sale.txn)
    store.journal_event(sale.txn, "print_attempt", {"ok": True})
    assert store.increment_copies(sale.txn) == 1
    assert store.increment_copies(sale.txn) == 2
    assert store.get(sale.txn).copies == 2
    events = [e.event for e in store.journal(sale.txn)]
    assert events[-3:] == ["print_attempt", "reprint", "reprint"]
    with pytest.raises(InvalidRecord, match="reserved"):
        store.journal_event(sale.txn, "state:confirmed", {})
    with pytest.raises(UnknownTransaction):
        store.journal_event("12345999999999", "print_attempt", {})
    store.journal_event(None, "clerk_sign_in", {"clerk": "ana"})
    assert store.journal()[-1].txn is None


def test_list_find_and_in_between(store: Store, clock: ManualClock) -> None:
    first = record_sale(store)
    clock.advance(60)
    second = record_sale(store, target={"imei": ["356938035643809", "356938035643817"]})
    clock.advance(60)
    third = record_sale(store, product="card_topup", target={"card": "5355 1234 5678 9012"})
    confirm_online(store, first.txn)
    store.transition(second.txn, "declined", updates={"reason": "no such subscriber"})

    assert [t.txn for t in store.list_transactions()] == [third.txn, second.txn, first.txn]
    assert [t.txn for t in store.list_transactions(limit=1)] == [third.txn]
    assert [t.txn for t in store.list_transactions(states=["confirmed"])] == [first.txn]
    assert [t.txn for t in store.list_transactions(product="card_topup")] == [third.txn]
    since = first.created_at + timedelta(seconds=30)
    assert [t.txn for t in store.list_transactions(since=since)] == [third.txn, second.txn]
    assert [t.txn for t in store.list_transactions(until=since)] == [first.txn]

    assert [t.txn for t in store.find_transactions(target_value="064 123 4567")] == [first.txn]
    assert [t.txn for t in store.find_transactions(target_value="356938035643817")] == [second.txn]
    assert [t.txn for t in store.find_transactions(last4="9012")] == [third.txn]
    assert store.find_transactions(last4="0000") == []
    assert [t.txn for t in store.in_between_transactions()] == [third.txn]
    last = store.last_confirmed()
    assert last is not None and last.txn == first.txn


# -- outbox ---------------------------------------------------------------------------------


def walk_to_stornoed(store: Store, txn: str) -> None:
    confirm_online(store, txn)
    store.transition(txn, "storno_requested")
    store.transition(txn, "storno_printing")
    store.transition(txn, "stornoed", outbox=[OutboxMessage("storno", {"txn": txn})])


def test_one_message_per_kind_per_transaction(store: Store) -> None:
    sale = record_sale(store)
    confirm_online(store, sale.txn)
    store.transition(sale.txn, "storno_requested")
    store.transition(sale.txn, "storno_printing")
    with pytest.raises(DuplicateMessage, match="already has a 'confirm'"):
        store.transition(sale.txn, "stornoed", outbox=[OutboxMessage("confirm", {})])
    assert store.get(sale.txn).state == "storno_printing"  # the whole step was rolled back
    assert [m.kind for m in store.outbox_for(sale.txn)] == ["confirm"]


def test_message_ids_are_uuid_hex_and_kept_across_attempts(
    store: Store, clock: ManualClock
) -> None:
    sale = record_sale(store)
    confirm_online(store, sale.txn)
    (written,) = store.outbox_for(sale.txn)
    assert len(written.message_id) == 32 and int(written.message_id, 16) >= 0
    (claimed,) = store.claim_due(limit=10, lease_s=30)
    store.mark_retry(claimed.message_id, error="timeout", delay_s=5)
    clock.advance(5)
    (again,) = store.claim_due(limit=10, lease_s=30)
    assert again.message_id == written.message_id
    assert again.attempts == 2


def test_claim_keeps_the_order_of_each_transaction(store: Store, clock: ManualClock) -> None:
    a = record_sale(store)
    b = record_sale(store)
    walk_to_stornoed(store, a.txn)
    confirm_online(store, b.txn)
    first = store.claim_due(limit=10, lease_s=30)
    # a's storno waits behind a's confirm; b's confirm does not wait for anything of a.
    assert [(m.txn, m.kind) for m in first] == [(a.txn, "confirm"), (b.txn, "confirm")]
    assert store.claim_due(limit=10, lease_s=30) == []
    store.mark_retry(first[0].message_id, error="timeout", delay_s=10)
    store.mark_delivered([first[1].message_id])
    assert store.claim_due(limit=10, lease_s=30) == []  # a's confirm not due yet
    clock.advance(10)
    assert [m.kind for m in store.claim_due(limit=10, lease_s=30)] == ["confirm"]
    store.mark_delivered([first[0].message_id], response={"status": "ok"})
    (storno,) = store.claim_due(limit=10, lease_s=30)
    assert (storno.txn, storno.kind) == (a.txn, "storno")
    assert store.get_message(first[0].message_id).response == {"status": "ok"}


def test_dead_letter_blocks_only_its_own_transaction(store: Store) -> None:
    a = record_sale(store)
    b = record_sale(store)
    walk_to_stornoed(store, a.txn)
    (a_confirm,) = store.claim_due(limit=1, lease_s=30)
    assert store.mark_dead(a_confirm.message_id, error="400 unknown product")
    confirm_online(store, b.txn)
    claimed = store.claim_due(limit=10, lease_s=30)
    assert [(m.txn, m.kind) for m in claimed] == [(b.txn, "confirm")]  # a's storno stays behind
    status = store.outbox_status()
    assert status["counts"] == {"pending": 1, "in_flight": 1, "delivered": 0, "dead": 1}
    assert status["dead_letters"][0]["last_error"] == "400 unknown product"
    requeued = store.requeue_dead(a_confirm.message_id)
    assert (requeued.state, requeued.attempts) == ("pending", 0)
    assert [m.txn for m in store.claim_due(limit=10, lease_s=30)] == [a.txn]
    with pytest.raises(StoreError, match="only dead letters"):
        store.requeue_dead(a_confirm.message_id)
    with pytest.raises(UnknownMessage):
        store.mark_dead("0" * 32, error="x")


def test_claim_respects_limit_and_seq_order(store: Store) -> None:
    sales = [record_sale(store) for _ in range(5)]
    for sale in sales:
        confirm_online(store, sale.txn)
    first = store.claim_due(limit=2, lease_s=30)
    second = store.claim_due(limit=10, lease_s=30)
    assert [m.txn for m in first + second] == [s.txn for s in sales]
    assert [m.seq for m in first + second] == sorted(m.seq for m in first + second)


def test_leases_expire_on_the_monotonic_clock(store: Store, clock: ManualClock) -> None:
    sale = record_sale(store)
    confirm_online(store, sale.txn)
    (claimed,) = store.claim_due(limit=10, lease_s=30)
    assert claimed.lease_until_mono == clock.monotonic() + 30
    clock.advance(29.9)
    assert store.claim_due(limit=10, lease_s=30) == []
    clock.advance(0.1)
    (again,) = store.claim_due(limit=10, lease_s=30)
    assert (again.message_id, again.attempts) == (claimed.message_id, 2)


def test_delivered_messages_never_go_back(store: Store) -> None:
    sale = record_sale(store)
    confirm_online(store, sale.txn)
    (claimed,) = store.claim_due(limit=10, lease_s=30)
    store.mark_delivered([claimed.message_id])
    assert store.mark_retry(claimed.message_id, error="late timeout", delay_s=1) is False
    assert store.mark_dead(claimed.message_id, error="late 400") is False
    assert store.get_message(claimed.message_id).state == "delivered"
    assert [e.event for e in store.journal(sale.txn)][-1] == "outbox:delivered"


def test_recover_after_restart_returns_leases_and_makes_everything_due(
    tmp_path: Path,
) -> None:
    path = tmp_path / "kiosk.sqlite"
    before = ManualClock(monotonic_start=50_000.0)
    with Store(path, terminal_id="12345", clock=before) as store:
        a, b = record_sale(store), record_sale(store)
        confirm_online(store, a.txn)
        confirm_online(store, b.txn)
        leased, waiting = store.claim_due(limit=10, lease_s=30)
        store.mark_retry(waiting.message_id, error="timeout", delay_s=3600)
    # After a reboot the monotonic clock starts near zero: old deadlines lie in the far future.
    after = ManualClock(monotonic_start=10.0)
    with Store(path, terminal_id="12345", clock=after) as store:
        assert store.claim_due(limit=10, lease_s=30) == []
        assert store.recover_after_restart() == 1
        claimed = store.claim_due(limit=10, lease_s=30)
        assert {m.message_id for m in claimed} == {leased.message_id, waiting.message_id}
        assert [e.event for e in store.journal()][-1] == "outbox:recovered"


def test_offline_exposure_counts_until_the_offline_sale_is_delivered(store: Store) -> None:
    online = record_sale(store)
    confirm_online(store, online.txn)
    offline = record_sale(store, amount=10_000)
    store.transition(offline.txn, "offline_accepted")
    second = record_sale(store, amount=20_000)
    store.transition(second.txn, "offline_accepted")
    store.transition(second.txn, "voided")  # never printed: no money out
    exposure = store.unforwarded_offline_exposure()
    assert list(exposure) == ["RSD"]
    assert (exposure["RSD"].count, exposure["RSD"].total_minor) == (1, 10_100)
    assert exposure["RSD"].amount_minor == 10_000
    store.transition(offline.txn, "printing")
    store.transition(
        offline.txn, "confirmed", outbox=[OutboxMessage("offline_sale", {"txn": offline.txn})]
    )
    assert store.unforwarded_offline_exposure()["RSD"].count == 1
    (message,) = store.claim_due(limit=10, lease_s=30)[1:]
    assert message.kind == "offline_sale"
    store.mark_delivered([message.message_id])
    assert store.unforwarded_offline_exposure() == {}


def test_outbox_status_reports_the_wall_age_of_the_oldest_undelivered(
    store: Store, clock: ManualClock
) -> None:
    assert store.outbox_status()["oldest_pending_age_s"] is None
    sale = record_sale(store)
    confirm_online(store, sale.txn)
    clock.advance(90)
    status = store.outbox_status()
    assert status["oldest_pending_age_s"] == pytest.approx(90.0)
    assert status["next_due_in_s"] == 0.0
    assert [m.txn for m in store.list_outbox(states=["pending"], txn=sale.txn)] == [sale.txn]
    with pytest.raises(InvalidRecord, match="unknown outbox state"):
        store.list_outbox(states=["sent"])


# -- connection, schema ---------------------------------------------------------------------


def test_every_connection_is_wal_synchronous_full_with_foreign_keys(
    tmp_path: Path, clock: ManualClock
) -> None:
    path = tmp_path / "kiosk.sqlite"
    with (
        Store(path, terminal_id="12345", clock=clock) as one,
        Store(path, terminal_id="12345", clock=clock) as two,
    ):
        for store in (one, two):
            pragmas = store.connection_pragmas()
            assert pragmas["journal_mode"] == "wal"
            assert pragmas["synchronous"] == 2  # FULL
            assert pragmas["foreign_keys"] == 1
            assert pragmas["busy_timeout"] >= 1000
        sale = record_sale(one)
        assert two.get(sale.txn).txn == sale.txn  # a second process sees committed sales


def test_foreign_keys_are_enforced_on_store_connections(store: Store) -> None:
    conn = connect(store.path)
    try:
        with pytest.raises(sqlite3.IntegrityError, match="FOREIGN KEY"):
            conn.execute(
                "INSERT INTO outbox (message_id, seq, txn, kind, payload, next_attempt_mono, "
                "created_at) VALUES (?, 1, '12345999999999', 'confirm', '{}', 0, 'x')",
                ("a" * 32,),
            )
    finally:
        conn.close()


def test_a_new_file_is_migrated_to_the_current_version(tmp_path: Path) -> None:
    path = tmp_path / "fresh.sqlite"
    with Store(path, terminal_id="12345") as store:
        assert store.schema_version == SCHEMA_VERSION == len(MIGRATIONS)
    raw = sqlite3.connect(path)
    tables = {row[0] for row in raw.execute("SELECT name FROM sqlite_master WHERE type='table'")}
    raw.close()
    assert {
        "transactions",
        "sequence",
        "journal",
        "journal_head",
        "outbox",
        "target_keys",
    } <= tables


def test_an_older_file_is_upgraded_and_its_sales_become_searchable(
    tmp_path: Path, clock: ManualClock
) -> None:
    path = tmp_path / "old.sqlite"
    conn = connect(path)
    assert migrate(conn, migrations=MIGRATIONS[:1]) == 1
    conn.execute(
        "INSERT INTO transactions (txn, terminal_id, product, state, currency, amount_minor, "
        "fees, total_minor, cash_minor, change_minor, target, details, created_at, updated_at) "
        "VALUES ('12345000000007', '12345', 'mts_topup', 'declined', 'RSD', 100, '[]', 100, 0, "
        "0, '{\"phone\":\"+381 64 765 4321\"}', '{}', '2026-01-01T00:00:00.000000+00:00', "
        "'2026-01-01T00:00:00.000000+00:00')"
    )
    conn.close()
    with Store(path, terminal_id="12345", clock=clock) as store:
        assert store.schema_version == SCHEMA_VERSION
        assert [t.txn for t in store.find_transactions(last4="4321")] == ["12345000000007"]
        assert record_sale(store).txn == "12345000000008"


def test_a_file_from_newer_software_is_refused(tmp_path: Path) -> None:
    path = tmp_path / "new.sqlite"
    with Store(path, terminal_id="12345"):
        pass
    raw = sqlite3.connect(path)
    raw.execute(f"PRAGMA user_version = {SCHEMA_VERSION + 1}")
    raw.commit()
    raw.close()
    with pytest.raises(SchemaTooNew, match="newer terminal software"):
        Store(path, terminal_id="12345")


def test_a_write_lock_held_elsewhere_is_a_named_refusal_not_a_half_write(
    tmp_path: Path, clock: ManualClock
) -> None:
    path = tmp_path / "kiosk.sqlite"
    with Store(path, terminal_id="12345", clock=clock, busy_timeout_s=0.05) as store:
        other = sqlite3.connect(path, isolation_level=None)
        other.execute("BEGIN IMMEDIATE")  # another process in the middle of a write
        try:
            with pytest.raises(StoreBusy, match="locked by another process"):
                record_sale(store)
        finally:
            other.execute("ROLLBACK")
            other.close()
        assert record_sale(store).txn == "12345000000001"


def test_a_path_that_cannot_hold_a_store_is_named(tmp_path: Path) -> None:
    with pytest.raises(StoreError, match="check that its folder exists"):
        Store(tmp_path / "no-such-folder" / "kiosk.sqlite", terminal_id="12345")
    not_a_store = tmp_path / "notes.txt"
    not_a_store.write_text("this is not SQLite, just a text file of some length" * 20)
    with pytest.raises(StoreError, match="is not a usable store"):
        Store(not_a_store, terminal_id="12345")


def test_a_closed_store_says_so(tmp_path: Path) -> None:
    store = Store(tmp_path / "k.sqlite", terminal_id="12345")
    store.close()
    with pytest.raises(StoreClosed, match="closed"):
        store.get("12345000000001")


def test_threads_sharing_one_store_never_share_a_number(store: Store) -> None:
    start = threading.Event()
    numbers: list[str] = []
    numbers_lock = threading.Lock()
    errors: list[BaseException] = []

    def sell() -> None:
        start.wait(timeout=10)
        try:
            for _ in range(25):
                txn = record_sale(store).txn
                with numbers_lock:
                    numbers.append(txn)
        except BaseException as exc:
            errors.append(exc)

    workers = [threading.Thread(target=sell) for _ in range(4)]
    for worker in workers:
        worker.start()
    start.set()
    for worker in workers:
        worker.join(timeout=60)
    assert errors == []
    assert sorted(numbers) == [f"12345{n:09d}" for n in range(1, 101)]
    assert store.verify_journal().ok


# -- the clerk's view through `kiosk` ---------------------------------------------------------


def test_kiosk_commands_show_sales_and_the_queue(tmp_path: Path) -> None:
    config_path = tmp_path / "kiosk.toml"
    write_preset(config_path, "rs", terminal_id="12345")
    config = load_config(config_path)
    with Store(config.store.path, terminal_id="12345") as store:
        sold = record_sale(store, cash_minor=60_000, change_minor=9_900)
        confirm_online(store, sold.txn)
        declined = record_sale(store)
        store.transition(declined.txn, "declined", updates={"reason": "no such number"})

    def kiosk(*args: str) -> tuple[int, str]:
        result = CliRunner().invoke(main, ["--config", str(config_path), *args])
        return result.exit_code, result.output

    code, output = kiosk("txn", "list")
    assert code == 0
    assert output.splitlines()[0].startswith(declined.txn)
    assert sold.txn in output and "501.00 RSD" in output and "confirmed" in output
    code, output = kiosk("txn", "list", "--state", "confirmed", "--json")
    assert [t["txn"] for t in json.loads(output)] == [sold.txn]
    code, output = kiosk("txn", "show", sold.txn)
    assert code == 0 and "confirm" in output and "pending" in output and "99.00 RSD" in output
    code, output = kiosk("txn", "show", sold.txn, "--json")
    shown = json.loads(output)
    assert (shown["state"], shown["outbox"][0]["kind"]) == ("confirmed", "confirm")
    code, output = kiosk("txn", "show", "12345000000099")
    assert code == 1 and "no transaction '12345000000099'" in output
    code, output = kiosk("txn", "find", "--target", "064 123 4567", "--json")
    assert sorted(t["txn"] for t in json.loads(output)) == [sold.txn, declined.txn]

    code, output = kiosk("queue", "status", "--json")
    assert code == 0 and json.loads(output)["counts"]["pending"] == 1
    code, output = kiosk("queue", "status")
    assert "pending 1, in flight 0, delivered 0, dead 0" in output
    code, output = kiosk("queue", "list", "--state", "pending", "--json")
    assert [(m["txn"], m["kind"]) for m in json.loads(output)] == [(sold.txn, "confirm")]
    code, output = kiosk("journal", "show", "--txn", sold.txn, "--json")
    assert [e["event"] for e in json.loads(output)] == [
        "recorded",
        "state:authorized",
        "state:printing",
        "state:confirmed",
    ]
