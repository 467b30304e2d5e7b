"""One field codec: a sale's ``updates`` and a clerk's ``changes`` are read by the same table."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import datetime
from pathlib import Path

import pytest
from test_store import record_sale

from foundation.clock import ManualClock
from offline_queue.errors import InvalidRecord
from offline_queue.store import CLERK_UPDATABLE, UPDATABLE_FIELDS, Store
from offline_queue.store_clerks import CLERK_FIELDS
from offline_queue.store_fields import FieldCodec
from offline_queue.store_transactions import TRANSITION_FIELDS

PIN_HASH = "scrypt$16384$8$1$" + "ab" * 16 + "$" + "cd" * 32


@pytest.fixture
def clock() -> ManualClock:
    return ManualClock()


@pytest.fixture
def store(tmp_path: Path, clock: ManualClock) -> Iterator[Store]:
    with Store(tmp_path / "kiosk.sqlite", terminal_id="12345", clock=clock) as opened:
        yield opened


def test_both_areas_use_the_one_codec_and_keep_their_column_lists() -> None:
    assert isinstance(TRANSITION_FIELDS, FieldCodec) and isinstance(CLERK_FIELDS, FieldCodec)
    assert {"auth_code", "reason", "printed_at", "offline", "details"} == UPDATABLE_FIELDS
    assert {"pin_hash", "active", "failures", "locked_until"} == CLERK_UPDATABLE


def test_a_time_and_a_flag_are_encoded_the_same_way_in_both_areas(clock: ManualClock) -> None:
    moment = clock.now()
    sale_cols, sale_journal = TRANSITION_FIELDS.encode({"printed_at": moment, "offline": True})
    clerk_cols, clerk_journal = CLERK_FIELDS.encode({"locked_until": moment, "active": True})
    assert sale_cols["printed_at"] == clerk_cols["locked_until"] == sale_journal["printed_at"]
    assert sale_cols["offline"] == clerk_cols["active"] == 1
    assert sale_journal["offline"] is clerk_journal["active"] is True


@pytest.mark.parametrize(
    ("codec", "changes", "message"),
    [
        (TRANSITION_FIELDS, {"amount_minor": 1}, "cannot update amount_minor; updatable"),
        (CLERK_FIELDS, {"name": "Eve"}, "cannot change name of a clerk; changeable"),
        (TRANSITION_FIELDS, {"printed_at": datetime(2026, 1, 1)}, "no timezone"),
        (CLERK_FIELDS, {"locked_until": "tomorrow"}, "locked_until must be an aware datetime"),
        (TRANSITION_FIELDS, {"offline": 1}, "offline must be True or False"),
        (CLERK_FIELDS, {"active": "yes"}, "active must be True or False"),
        (CLERK_FIELDS, {"failures": -1}, "failures must be a count"),
        (TRANSITION_FIELDS, {"reason": 5}, "reason must be text or None"),
        (CLERK_FIELDS, {"pin_hash": "1234"}, "never the PIN"),
    ],
)
def test_bad_changes_are_refused_with_a_message_naming_the_field(
    codec: FieldCodec, changes: dict[str, object], message: str
) -> None:
    with pytest.raises(InvalidRecord, match=message):
        codec.encode(changes)


def test_the_journal_shows_that_a_pin_changed_never_its_hash(store: Store) -> None:
    store.add_clerk(number="7", name="Ana", role="clerk", pin_hash=PIN_HASH)
    store.update_clerk("7", "clerk_pin_changed", changes={"pin_hash": PIN_HASH.replace("ab", "ef")})
    event = store.journal()[-1]
    assert event.data["changes"]["pin"] == "changed"
    assert "pin_hash" not in event.data["changes"] and PIN_HASH[:20] not in str(event.data)


def test_updated_details_are_scrubbed_of_card_numbers(store: Store) -> None:
    sale = record_sale(store)
    moved = store.transition(
        sale.txn, "authorized", updates={"details": {"pan": "4111 1111 1111 1111", "cvv": "123"}}
    )
    journaled = store.journal(sale.txn)[-1].data["updates"]["details"]
    assert moved.details["operator"] == "mts"
    for kept in (moved.details, journaled):
        assert "4111 1111 1111 1111" not in str(kept) and "cvv" not in kept


def test_the_transaction_columns_are_the_records_fields() -> None:
    """One list of a transaction row's columns (replay and export read it): the stored
    record has a field for each, in the same order."""
    import dataclasses

    from offline_queue.schema import TRANSACTION_COLUMNS
    from offline_queue.store_transactions import TxnRecord

    assert tuple(f.name for f in dataclasses.fields(TxnRecord)) == ("txn", *TRANSACTION_COLUMNS)
