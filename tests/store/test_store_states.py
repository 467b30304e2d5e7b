"""Only the moves of the state table happen; any other leaves row, journal and outbox untouched."""

from __future__ import annotations

import tempfile
from collections import deque
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from foundation.clock import ManualClock
from offline_queue.errors import IllegalTransition
from offline_queue.states import (
    ALL_STATES,
    FINAL_STATES,
    IN_BETWEEN_STATES,
    RECORDED,
    TRANSITIONS,
    implied_outbox_kinds,
)
from offline_queue.store import OutboxMessage, Store, state_event

ALL_PAIRS = sorted((a, b) for a in ALL_STATES for b in ALL_STATES)
LEGAL_PAIRS = [(a, b) for a, b in ALL_PAIRS if b in TRANSITIONS[a]]
ILLEGAL_PAIRS = [(a, b) for a, b in ALL_PAIRS if b not in TRANSITIONS[a]]


def path_to(state: str) -> list[str]:
    """The shortest walk from ``recorded`` to ``state`` through the table."""
    parents: dict[str, str | None] = {RECORDED: None}
    queue = deque([RECORDED])
    while queue:
        current = queue.popleft()
        for nxt in sorted(TRANSITIONS[current]):
            if nxt not in parents:
                parents[nxt] = current
                queue.append(nxt)
    walk: list[str] = []
    node: str | None = state
    while node is not None and node != RECORDED:
        walk.append(node)
        node = parents[node]
    return list(reversed(walk))


@pytest.fixture
def store(tmp_path: Path) -> Iterator[Store]:
    with Store(tmp_path / "kiosk.sqlite", terminal_id="54321", clock=ManualClock()) as opened:
        yield opened


def new_sale(store: Store) -> str:
    return store.record(
        product="card_topup",
        currency="EUR",
        amount_minor=10_000,
        fees=[("topup_fee", 100), ("pos_surcharge", 100)],
        total_minor=10_200,
        cash_minor=10_200,
        change_minor=0,
        target={"card": "5355123456789012"},
        details={},
    ).txn


def snapshot(store: Store, txn: str) -> tuple[Any, ...]:
    return (
        store.get(txn),
        store.journal(),
        store.list_outbox(limit=10_000),
        store.verify_journal(),
    )


def test_every_state_is_reachable_from_recorded() -> None:
    for state in ALL_STATES - {RECORDED}:
        assert path_to(state), state
    assert FINAL_STATES.isdisjoint(IN_BETWEEN_STATES)


@pytest.mark.parametrize(("from_state", "to_state"), LEGAL_PAIRS)
def test_every_legal_move_is_made_with_its_journal_event(
    store: Store, from_state: str, to_state: str
) -> None:
    txn = new_sale(store)
    for step in path_to(from_state):
        store.transition(txn, step)
    moved = store.transition(txn, to_state, data={"why": "test"})
    assert moved.state == to_state
    last = store.journal(txn)[-1]
    assert last.event == state_event(to_state)
    assert (last.data["from"], last.data["to"], last.data["data"]) == (
        from_state,
        to_state,
        {"why": "test"},
    )


@pytest.mark.parametrize(("from_state", "to_state"), ILLEGAL_PAIRS)
def test_every_illegal_move_is_refused_and_changes_nothing(
    store: Store, from_state: str, to_state: str
) -> None:
    txn = new_sale(store)
    for step in path_to(from_state):
        store.transition(txn, step)
    before = snapshot(store, txn)
    with pytest.raises(IllegalTransition) as refused:
        store.transition(
            txn,
            to_state,
            data={"why": "test"},
            updates={"reason": "should not stick", "details": {"x": 1}},
            outbox=[OutboxMessage("void", {"txn": txn})],
        )
    assert (refused.value.from_state, refused.value.to_state) == (from_state, to_state)
    assert from_state in str(refused.value) and to_state in str(refused.value)
    assert snapshot(store, txn) == before


def test_an_unknown_state_is_refused_before_anything_is_written(store: Store) -> None:
    txn = new_sale(store)
    before = snapshot(store, txn)
    with pytest.raises(ValueError, match="unknown transaction state 'done'"):
        store.transition(txn, "done")
    assert snapshot(store, txn) == before


def test_implied_outbox_table_matches_internals() -> None:
    assert implied_outbox_kinds("confirmed", offline=False) == ("confirm",)
    assert implied_outbox_kinds("confirmed", offline=True) == ("offline_sale",)
    assert implied_outbox_kinds("voided", offline=False) == ("void",)
    assert implied_outbox_kinds("voided", offline=True) == ()
    assert implied_outbox_kinds("failed", offline=False) == ("reversal",)
    assert implied_outbox_kinds("declined", offline=False) == ()
    assert implied_outbox_kinds("stornoed", offline=False) == ("confirm", "storno")
    assert implied_outbox_kinds("stornoed", offline=True) == ("offline_sale", "storno")


@settings(max_examples=40, deadline=None)
@given(
    st.lists(
        st.tuples(st.booleans(), st.integers(0, 11), st.sampled_from(sorted(ALL_STATES))),
        min_size=1,
        max_size=14,
    )
)
def test_random_move_sequences_follow_the_table(moves: list[tuple[bool, int, str]]) -> None:
    with (
        tempfile.TemporaryDirectory() as tmp,
        Store(Path(tmp) / "k.sqlite", terminal_id="54321", clock=ManualClock()) as store,
    ):
        txn = new_sale(store)
        expected = RECORDED
        for prefer_legal, pick, anything in moves:
            # Half the moves follow the table (else walks would rarely get past "recorded").
            legal = sorted(TRANSITIONS[expected])
            target = legal[pick % len(legal)] if prefer_legal and legal else anything
            before = snapshot(store, txn)
            if target in TRANSITIONS[expected]:
                assert store.transition(txn, target).state == target
                expected = target
            else:
                with pytest.raises(IllegalTransition):
                    store.transition(txn, target, updates={"reason": "no"})
                assert snapshot(store, txn) == before
        assert store.get(txn).state == expected
        state_events = [e for e in store.journal(txn) if e.event.startswith("state:")]
        replayed = state_events[-1].data["to"] if state_events else RECORDED
        assert replayed == expected
        assert store.verify_journal().ok
