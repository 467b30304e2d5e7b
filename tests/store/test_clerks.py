"""Clerks in the real SQLite store: salted slow PIN hashes, sign-in, lockout measured by the
clock, supervisor unlock, refusals that do not reveal which numbers exist, journalled."""

from __future__ import annotations

import functools
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest
from helpers.carddata import store_files

import offline_queue.store as store_module
import offline_queue.store_transactions as transactions_module
from foundation.clock import ManualClock
from offline_queue.schema import MIGRATIONS, SCHEMA_VERSION, migrate
from offline_queue.store import Store, TxnRecord
from terminal.clerks import (
    LOCKED_OUT,
    SCRYPT_N,
    SIGN_IN_REFUSED,
    SIGNED_IN,
    UNLOCKED,
    ClerkBook,
    ClerkExists,
    ClerkLockedOut,
    InvalidClerkName,
    InvalidClerkNumber,
    InvalidPin,
    InvalidRole,
    LastSupervisor,
    Role,
    SignInRefused,
    SupervisorRequired,
    UnknownClerk,
    hash_pin,
    verify_pin,
)

#: Digits that appear nowhere else in a store file (no timestamp or number contains them).
SECRET_PIN = "73519264"


@pytest.fixture
def book(store: Store, clock: ManualClock) -> ClerkBook:
    return ClerkBook(store, clock, max_failures=3, lockout_s=900, timezone="Europe/Ljubljana")


def record_sale(store: Store) -> TxnRecord:
    return store.record(
        product="card-topup",
        currency="EUR",
        amount_minor=5000,
        fees=[("pos_surcharge", 100)],
        total_minor=5100,
        cash_minor=6000,
        change_minor=900,
        target={"kind": "card", "value": "4111111111111111"},
        details={},
    )


def _events(store: Store, prefix: str = "clerk_") -> list[tuple[str, dict[str, Any]]]:
    return [(e.event, e.data) for e in store.journal() if e.event.startswith(prefix)]


def test_pins_are_salted_slow_hashes_never_kept_in_clear(
    tmp_path: Path, store: Store, book: ClerkBook
) -> None:
    ana = book.add("1", "Ana", SECRET_PIN, Role.SUPERVISOR)
    bor = book.add("2", "Bor", SECRET_PIN, "clerk")
    assert (ana.role, bor.role) == (Role.SUPERVISOR, Role.CLERK)
    first, second = store.get_clerk("1"), store.get_clerk("2")
    assert first is not None and second is not None
    assert first.pin_hash != second.pin_hash  # same PIN, different salt
    assert first.pin_hash.startswith(f"scrypt$n={SCRYPT_N},r=8,p=1$")
    assert verify_pin(SECRET_PIN, first.pin_hash) and not verify_pin("73519265", first.pin_hash)
    assert SECRET_PIN not in repr(first) and "pin" not in ana.to_dict()

    store.close()  # every byte on disk: the database, its WAL and shared memory
    files = store_files(tmp_path / "kiosk.sqlite")
    assert files
    for path in files:
        assert SECRET_PIN.encode() not in path.read_bytes(), path.name


def test_sign_in_lockout_after_max_failures_and_it_expires_by_the_clock(
    store: Store, book: ClerkBook, clock: ManualClock
) -> None:
    book.add("7", "Vesna", "4321", Role.CLERK)
    assert book.sign_in("7", "4321").name == "Vesna"

    with pytest.raises(SignInRefused, match="2 attempts left"):
        book.sign_in("7", "0000")
    assert book.sign_in("7", "4321").number == "7"  # a right PIN resets the count
    with pytest.raises(SignInRefused, match="2 attempts left"):
        book.sign_in("7", "0000")
    with pytest.raises(SignInRefused, match="1 attempt left"):
        book.sign_in("7", "1111")
    with pytest.raises(ClerkLockedOut) as locked:
        book.sign_in("7", "2222")
    until = clock.now() + timedelta(minutes=15)
    assert locked.value.locked_until == until
    assert "13:15" in str(locked.value) and "supervisor" in str(locked.value)  # Ljubljana time
    assert locked.value.code == "clerk_locked_out"

    clock.advance(899)
    with pytest.raises(ClerkLockedOut):  # the right PIN too, while locked
        book.sign_in("7", "4321")
    listed = book.get("7")
    assert listed is not None and listed.locked_until == until

    clock.advance(1)
    assert book.sign_in("7", "4321").locked_until is None
    with pytest.raises(SignInRefused, match="2 attempts left"):  # a fresh count
        book.sign_in("7", "0000")

    events = [name for name, _ in _events(store)]
    assert events.count(LOCKED_OUT) == 1 and events.count(SIGNED_IN) == 3
    assert store.verify_journal().ok


def test_a_lockout_survives_a_restart(store: Store, clock: ManualClock) -> None:
    book = ClerkBook(store, clock, max_failures=2, lockout_s=60)
    book.add("3", "Mira", "5555", Role.CLERK)
    for pin in ("1234", "4321"):
        with pytest.raises((SignInRefused, ClerkLockedOut)):
            book.sign_in("3", pin)
    again = ClerkBook(store, clock, max_failures=2, lockout_s=60)
    with pytest.raises(ClerkLockedOut):
        again.sign_in("3", "5555")


def test_a_supervisor_unlocks_a_clerk_a_clerk_cannot(store: Store, book: ClerkBook) -> None:
    book.add("1", "Ana", "1111", Role.SUPERVISOR)
    book.add("2", "Bor", "2222", Role.CLERK)
    for _ in range(3):
        with pytest.raises((SignInRefused, ClerkLockedOut)):
            book.sign_in("2", "9999")
    with pytest.raises(SupervisorRequired):
        book.unlock("2", by="2")
    book.unlock("2", by="1")
    assert book.sign_in("2", "2222").number == "2"
    unlocked = [data for name, data in _events(store) if name == UNLOCKED]
    assert len(unlocked) == 1
    assert (unlocked[0]["by"], unlocked[0]["was_locked"]) == ("1", True)
    assert unlocked[0]["changes"] == {"failures": 0, "locked_until": None}
    with pytest.raises(UnknownClerk):
        book.unlock("99")


def test_unknown_deactivated_and_wrong_pin_are_refused_alike(
    store: Store, book: ClerkBook, clock: ManualClock
) -> None:
    book.add("1", "Ana", "1111", Role.SUPERVISOR)
    book.add("2", "Bor", "2222", Role.CLERK)
    book.add("3", "Cene", "3333", Role.CLERK)
    book.deactivate("3", by="1")
    cene = book.get("3")
    assert cene is not None and not cene.active

    messages = []
    for number, pin in (("2", "0000"), ("42", "0000"), ("3", "3333")):
        with pytest.raises(SignInRefused) as refused:
            book.sign_in(number, pin)
        messages.append(str(refused.value))
    assert len(set(messages)) == 1 and "2 attempts left" in messages[0]

    # the unknown number goes on exactly like a real one: attempts left, then a lockout
    with pytest.raises(SignInRefused, match="1 attempt left"):
        book.sign_in("42", "0000")
    with pytest.raises(ClerkLockedOut) as locked:
        book.sign_in("42", "0000")
    assert locked.value.locked_until == clock.now() + timedelta(seconds=900)

    # only the journal tells them apart
    refusals = [data for name, data in _events(store) if name == SIGN_IN_REFUSED]
    assert [(d["clerk"], d["reason"]) for d in refusals[:3]] == [
        ("2", "wrong_pin"),
        ("42", "unknown_clerk"),
        ("3", "inactive"),
    ]
    with pytest.raises(InvalidClerkNumber):
        book.sign_in("12a", "0000")


def test_managing_clerks_refuses_bad_input_and_reused_numbers(book: ClerkBook) -> None:
    book.add("1", "Ana", "1111", Role.SUPERVISOR)
    with pytest.raises(ClerkExists):
        book.add("1", "Other", "1234", Role.CLERK)
    with pytest.raises(InvalidPin):
        book.add("5", "Eva", "12", Role.CLERK)
    with pytest.raises(InvalidPin):
        book.add("5", "Eva", "12345678901", Role.CLERK)
    with pytest.raises(InvalidClerkNumber):
        book.add("1234567", "Eva", "1234", Role.CLERK)
    with pytest.raises(InvalidRole):
        book.add("5", "Eva", "1234", "boss")
    with pytest.raises(InvalidClerkName):
        book.add("5", "  ", "1234", Role.CLERK)
    with pytest.raises(SupervisorRequired):
        book.add("5", "Eva", "1234", Role.CLERK, by="5")
    with pytest.raises(LastSupervisor):
        book.deactivate("1")
    assert [c.number for c in book.list()] == ["1"]


def test_set_pin_replaces_the_hash_and_clears_a_lockout(store: Store, book: ClerkBook) -> None:
    book.add("10", "Jure", "1010", Role.CLERK)
    book.add("2", "Bor", "2222", Role.SUPERVISOR)
    for _ in range(3):
        with pytest.raises((SignInRefused, ClerkLockedOut)):
            book.sign_in("10", "0000")
    book.set_pin("10", "246810", by="2")
    assert book.sign_in("10", "246810").number == "10"
    with pytest.raises(SignInRefused):
        book.sign_in("10", "1010")
    assert [c.number for c in book.list()] == ["2", "10"]  # number order, not text order
    changed = [d for name, d in _events(store) if name == "clerk_pin_changed"]
    assert changed == [
        {
            "clerk": "10",
            "by": "2",
            "changes": {"pin": "changed", "failures": 0, "locked_until": None},
        }
    ]
    assert "246810" not in str(store.journal())

    book.add("11", "Tina", "1111", Role.CLERK)
    book.set_pin("10", "135790", by="10")  # a clerk may change their own PIN ...
    with pytest.raises(SupervisorRequired):
        book.set_pin("10", "864200", by="11")  # ... not another clerk's
    assert book.sign_in("10", "135790").number == "10"


def test_an_older_hash_is_raised_to_todays_cost_at_sign_in(store: Store, book: ClerkBook) -> None:
    store.add_clerk(number="4", name="Old", role="clerk", pin_hash=hash_pin("4444", n=2**10))
    assert book.sign_in("4", "4444").number == "4"
    record = store.get_clerk("4")
    assert record is not None and record.pin_hash.startswith(f"scrypt$n={SCRYPT_N},")
    assert verify_pin("4444", record.pin_hash)


def test_the_store_refuses_a_pin_in_clear(store: Store) -> None:
    from offline_queue.errors import InvalidRecord

    with pytest.raises(InvalidRecord, match="never the PIN"):
        store.add_clerk(number="9", name="Eve", role="clerk", pin_hash="1234")


def test_a_v3_store_is_upgraded_and_keeps_its_sales(
    tmp_path: Path, clock: ManualClock, monkeypatch: pytest.MonkeyPatch
) -> None:
    path = tmp_path / "v3.sqlite"
    # The store as the previous release wrote it: the same code, migrations 1 to 3 only.
    monkeypatch.setattr(
        store_module, "migrate", functools.partial(migrate, migrations=MIGRATIONS[:3])
    )
    # ...and the lookup keys as that release wrote them (no digest column yet)
    monkeypatch.setattr(
        transactions_module,
        "INSERT_TARGET_KEYS_SQL",
        "INSERT INTO target_keys (txn, field, digits, last4) "
        "SELECT :txn, j.fullkey, digits(j.atom), substr(digits(j.atom), -4) "
        "FROM json_tree(:target) AS j WHERE j.type = 'text' AND length(digits(j.atom)) >= 4",
    )
    with Store(path, terminal_id="12345", clock=clock) as old:
        assert old.schema_version == 3
        sale = record_sale(old)
        old.journal_event(None, "printer_test", {"ok": True})
    monkeypatch.undo()

    with Store(path, terminal_id="12345", clock=clock) as store:
        assert store.schema_version == SCHEMA_VERSION == len(MIGRATIONS)
        assert store.get(sale.txn).total_minor == sale.total_minor
        assert [e.event for e in store.journal()] == ["recorded", "printer_test"]
        book = ClerkBook(store, clock, max_failures=5, lockout_s=60)
        book.add("1", "Ana", "1111", Role.SUPERVISOR)
        assert store.period_figures().z_number == 1
        assert store.verify_journal().ok
        assert record_sale(store).txn == "12345000000002"
