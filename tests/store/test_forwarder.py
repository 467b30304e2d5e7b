"""The forwarder delivers, retries with full-jitter backoff, parks refusals and keeps order.

A scripted ``send`` stands in for the host client (the HTTP integration is tested with hostsim);
the store is a real SQLite file and time is a ManualClock, so nothing here sleeps.
"""

from __future__ import annotations

import random
import tempfile
import threading
from collections.abc import Callable, Mapping, Sequence
from pathlib import Path

from hypothesis import given, settings
from hypothesis import strategies as st

from foundation.clock import ManualClock
from offline_queue.delivery import DeliveryOutcome, TransientSendError
from offline_queue.forwarder import Forwarder
from offline_queue.store import OutboxMessage, OutboxRecord, Store

Script = Callable[[OutboxRecord], DeliveryOutcome]


class ScriptedHost:
    """Answers each message with ``script(message)``; records every batch it was sent."""

    def __init__(self, script: Script | None = None) -> None:
        self.script: Script = script or (lambda message: DeliveryOutcome("delivered"))
        self.batches: list[list[tuple[str, str]]] = []
        self.failures_left = 0
        self.failure: Exception = TransientSendError("connection refused")
        self.sent = threading.Event()

    def __call__(self, batch: Sequence[OutboxRecord]) -> Mapping[str, DeliveryOutcome]:
        self.batches.append([(m.txn, m.kind) for m in batch])
        self.sent.set()
        if self.failures_left:
            self.failures_left -= 1
            raise self.failure
        return {m.message_id: self.script(m) for m in batch}

    @property
    def sent_messages(self) -> list[tuple[str, str]]:
        return [item for batch in self.batches for item in batch]


class CeilingRandom(random.Random):
    """Always draws the top of the range, so a test can read the backoff ceiling."""

    def uniform(self, a: float, b: float) -> float:
        return b


def confirmed_sale(store: Store, *, storno: bool = False) -> str:
    txn = store.record(
        product="mts_topup",
        currency="RSD",
        amount_minor=50_000,
        fees=[],
        total_minor=50_000,
        cash_minor=0,
        change_minor=0,
        target={"phone": "+381641234567"},
        details={},
    ).txn
    store.transition(txn, "authorized")
    store.transition(txn, "printing")
    store.transition(txn, "confirmed", outbox=[OutboxMessage("confirm", {"txn": txn})])
    if storno:
        store.transition(txn, "storno_requested")
        store.transition(txn, "storno_printing")
        store.transition(txn, "stornoed", outbox=[OutboxMessage("storno", {"txn": txn})])
    return txn


def forwarder(store: Store, host: ScriptedHost, clock: ManualClock, **options: object) -> Forwarder:
    settings: dict[str, object] = {"rng": random.Random(7), "lease_s": 30.0}
    settings.update(options)
    return Forwarder(store, host, clock=clock, **settings)  # type: ignore[arg-type]


def states_of(store: Store, txn: str) -> list[tuple[str, str]]:
    return [(m.kind, m.state) for m in store.outbox_for(txn)]


def test_delivered_and_duplicate_are_both_done(store: Store, clock: ManualClock) -> None:
    first, second = confirmed_sale(store), confirmed_sale(store)
    answers = {
        first: DeliveryOutcome("delivered", response={"ok": 1}),
        second: DeliveryOutcome("duplicate"),
    }
    host = ScriptedHost(lambda m: answers[m.txn])
    report = forwarder(store, host, clock).run_once()
    assert (report.claimed, report.delivered, report.duplicates) == (2, 1, 1)
    assert states_of(store, first) == [("confirm", "delivered")]
    assert states_of(store, second) == [("confirm", "delivered")]
    assert store.outbox_for(first)[0].response == {"ok": 1}
    assert forwarder(store, host, clock).run_once().claimed == 0  # never sent twice


def test_retry_backoff_doubles_up_to_the_cap(store: Store, clock: ManualClock) -> None:
    txn = confirmed_sale(store)
    host = ScriptedHost(lambda m: DeliveryOutcome("retry", error="503"))
    fwd = forwarder(
        store,
        host,
        clock,
        rng=CeilingRandom(),
        circuit_failures=100,
        backoff_base_s=1.0,
        backoff_cap_s=20.0,
    )
    delays = []
    for _ in range(7):
        assert fwd.run_once().retried == 1
        (message,) = store.outbox_for(txn)
        delay = message.next_attempt_mono - clock.monotonic()
        delays.append(delay)
        assert message.last_error == "503"
        clock.advance(delay)
    assert delays == [1.0, 2.0, 4.0, 8.0, 16.0, 20.0, 20.0]


def test_full_jitter_stays_within_zero_and_the_ceiling(store: Store, clock: ManualClock) -> None:
    fwd = forwarder(store, ScriptedHost(), clock, backoff_base_s=1.0, backoff_cap_s=300.0)
    for attempts in range(1, 15):
        ceiling = min(300.0, 2.0 ** (attempts - 1))
        draws = [fwd.backoff_delay(attempts) for _ in range(50)]
        assert all(0.0 <= d <= ceiling for d in draws)
        assert len(set(draws)) > 1  # jittered, not a fixed schedule
    assert fwd.backoff_delay(10_000) <= 300.0  # no overflow for very old messages


def test_same_seed_gives_the_same_schedule(store: Store, clock: ManualClock) -> None:
    one = forwarder(store, ScriptedHost(), clock, rng=random.Random(3))
    two = forwarder(store, ScriptedHost(), clock, rng=random.Random(3))
    assert [one.backoff_delay(n) for n in range(1, 9)] == [
        two.backoff_delay(n) for n in range(1, 9)
    ]


def test_retry_after_is_a_floor(store: Store, clock: ManualClock) -> None:
    txn = confirmed_sale(store)
    host = ScriptedHost(lambda m: DeliveryOutcome("retry", error="429", retry_after_s=120.0))
    fwd = forwarder(store, host, clock)
    fwd.run_once()
    (message,) = store.outbox_for(txn)
    assert message.next_attempt_mono - clock.monotonic() >= 120.0
    clock.advance(119.0)
    assert fwd.run_once().claimed == 0
    clock.advance(1.0 + 300.0)
    assert fwd.run_once().claimed == 1


def test_transient_batch_failure_reschedules_every_message_with_retry_after(
    store: Store, clock: ManualClock
) -> None:
    txns = [confirmed_sale(store) for _ in range(3)]
    host = ScriptedHost()
    host.failures_left = 1
    host.failure = TransientSendError("503 from the host", retry_after_s=60.0)
    report = forwarder(store, host, clock).run_once()
    assert (report.retried, report.transient_failures) == (3, 1)
    for txn in txns:
        (message,) = store.outbox_for(txn)
        assert message.state == "pending"
        assert message.next_attempt_mono >= clock.monotonic() + 60.0
        assert message.last_error == "503 from the host"


def test_unexpected_send_errors_and_missing_answers_are_retried(
    store: Store, clock: ManualClock
) -> None:
    first, second = confirmed_sale(store), confirmed_sale(store)
    host = ScriptedHost()
    host.failures_left = 1
    host.failure = RuntimeError("bug in the host client")
    fwd = forwarder(store, host, clock)
    report = fwd.run_once()
    assert report.retried == 2 and "RuntimeError" in (report.last_error or "")
    clock.advance(300)

    def only_first(batch: Sequence[OutboxRecord]) -> Mapping[str, DeliveryOutcome]:
        return {m.message_id: DeliveryOutcome("delivered") for m in batch if m.txn == first}

    fwd.send = only_first
    report = fwd.run_once()
    assert (report.delivered, report.retried) == (1, 1)
    assert store.outbox_for(second)[0].last_error == "the host gave no answer for it"


def test_refused_message_is_dead_and_other_transactions_still_flow(
    store: Store, clock: ManualClock
) -> None:
    refused = confirmed_sale(store, storno=True)
    other = confirmed_sale(store)

    def script(message: OutboxRecord) -> DeliveryOutcome:
        if message.txn == refused:
            return DeliveryOutcome("dead", error="400 unknown subscriber")
        return DeliveryOutcome("delivered")

    host = ScriptedHost(script)
    fwd = forwarder(store, host, clock)
    report = fwd.run_once()
    assert (report.dead, report.delivered) == (1, 1)
    later = confirmed_sale(store)
    assert fwd.run_once().delivered == 1
    assert states_of(store, refused) == [("confirm", "dead"), ("storno", "pending")]
    assert states_of(store, other) == [("confirm", "delivered")]
    assert states_of(store, later) == [("confirm", "delivered")]
    assert (refused, "storno") not in host.sent_messages  # never overtakes the dead confirm
    assert store.outbox_status()["dead_letters"][0]["last_error"] == "400 unknown subscriber"
    assert fwd.state == "closed"  # a refusal is an answer: the host is up


def test_an_advice_never_overtakes_a_failing_earlier_message(
    store: Store, clock: ManualClock
) -> None:
    txn = confirmed_sale(store, storno=True)
    tries = {"confirm": 0}

    def script(message: OutboxRecord) -> DeliveryOutcome:
        if message.kind == "confirm":
            tries["confirm"] += 1
            if tries["confirm"] < 4:
                return DeliveryOutcome("retry", error="timeout")
        return DeliveryOutcome("delivered")

    host = ScriptedHost(script)
    fwd = forwarder(store, host, clock, circuit_failures=100)
    for _ in range(8):
        fwd.run_once()
        clock.advance(300)
    assert host.sent_messages == [(txn, "confirm")] * 4 + [(txn, "storno")]
    assert states_of(store, txn) == [("confirm", "delivered"), ("storno", "delivered")]


def test_circuit_opens_probes_half_open_and_closes(store: Store, clock: ManualClock) -> None:
    for _ in range(4):
        confirmed_sale(store)
    host = ScriptedHost()
    host.failures_left = 3
    fwd = forwarder(
        store,
        host,
        clock,
        circuit_failures=3,
        circuit_cooldown_s=30.0,
        backoff_base_s=1.0,
        backoff_cap_s=1.0,
    )
    for _ in range(3):
        assert fwd.state == "closed"
        fwd.run_once()
        clock.advance(1.0)
    assert fwd.state == "open"
    sends = len(host.batches)
    assert fwd.run_once().circuit == "open"
    assert len(host.batches) == sends  # nothing is sent while open
    clock.advance(29.0)
    assert fwd.state == "half_open"

    host.failures_left = 1  # the probe fails: open again for a whole cooldown
    report = fwd.run_once()
    assert len(host.batches[-1]) == 1 and report.circuit == "open"
    clock.advance(29.0)
    assert fwd.state == "open" and fwd.run_once().claimed == 0
    clock.advance(1.0)

    report = fwd.run_once()  # the probe succeeds: closed, and the rest flows in a batch
    assert (len(host.batches[-1]), report.delivered, report.circuit) == (1, 1, "closed")
    assert fwd.run_once().delivered == 3
    assert store.outbox_status()["counts"]["delivered"] == 4


def test_an_expired_lease_is_claimed_again(store: Store, clock: ManualClock) -> None:
    txn = confirmed_sale(store)
    (leased,) = store.claim_due(limit=10, lease_s=30)  # a sender that then vanished
    host = ScriptedHost()
    fwd = forwarder(store, host, clock)
    assert fwd.run_once().claimed == 0
    clock.advance(30)
    report = fwd.run_once()
    assert report.delivered == 1
    assert store.outbox_for(txn)[0].attempts == 2
    assert store.outbox_for(txn)[0].message_id == leased.message_id


def test_drain_forwards_everything_due_and_stops(store: Store, clock: ManualClock) -> None:
    txns = [confirmed_sale(store, storno=True) for _ in range(5)]
    host = ScriptedHost()
    report = forwarder(store, host, clock, batch_size=2).drain(timeout_s=60)
    assert report.delivered == 10
    for txn in txns:
        assert states_of(store, txn) == [("confirm", "delivered"), ("storno", "delivered")]
    assert forwarder(store, host, clock).drain(timeout_s=60).claimed == 0


def test_drain_keeps_two_batches_on_their_way_and_commits_once_per_answer(
    store: Store, clock: ManualClock
) -> None:
    """The second batch is held by the host until the third has been sent: only a pipeline
    two deep gets past it. Every acknowledged batch costs one durable commit."""
    for _ in range(5):
        confirmed_sale(store)
    third_sent = threading.Event()
    batches: list[int] = []

    def send(batch: Sequence[OutboxRecord]) -> Mapping[str, DeliveryOutcome]:
        batches.append(len(batch))
        if len(batches) == 3:
            third_sent.set()
        if len(batches) == 2:
            assert third_sent.wait(timeout=10), "the third batch was not sent meanwhile"
        return {m.message_id: DeliveryOutcome("delivered") for m in batch}

    before = dict(store.commits)
    fwd = Forwarder(store, send, clock=clock, batch_size=2, rng=random.Random(7))
    report = fwd.drain(timeout_s=60)
    assert report.delivered == 5
    assert batches == [2, 2, 1]
    assert store.commits["durable"] - before["durable"] == 3  # one per acknowledged batch
    assert store.outbox_status()["counts"]["delivered"] == 5


def test_a_failed_batch_stops_the_pipeline(store: Store, clock: ManualClock) -> None:
    """After a transient failure nothing more is sent until the failure is recorded."""
    for _ in range(4):
        confirmed_sale(store)
    host = ScriptedHost()
    host.failures_left = 1
    report = forwarder(store, host, clock, batch_size=2, circuit_failures=1).drain(timeout_s=60)
    assert report.transient_failures == 1
    assert report.circuit == "open"
    assert len(host.batches) == 1
    assert store.outbox_status()["counts"]["pending"] == 4


def test_background_thread_sends_wakes_on_notify_and_stops(
    store: Store, clock: ManualClock
) -> None:
    host = ScriptedHost()
    fwd = forwarder(store, host, clock, idle_wait_s=3600.0)
    fwd.start()
    try:
        assert fwd.wait_for_cycles(1, timeout_s=10)  # found nothing; now idles for an hour
        assert host.batches == []
        txn = confirmed_sale(store)
        fwd.notify()
        assert host.sent.wait(timeout=10), "notify() did not wake the forwarder"
        assert fwd.wait_for_cycles(2, timeout_s=10)
        assert states_of(store, txn) == [("confirm", "delivered")]
    finally:
        assert fwd.stop(timeout_s=10)
    assert not fwd.running


def test_background_thread_survives_a_crashing_send(store: Store, clock: ManualClock) -> None:
    txn = confirmed_sale(store)
    host = ScriptedHost()
    host.failures_left = 1
    host.failure = ValueError("malformed answer")
    fwd = forwarder(store, host, clock, idle_wait_s=3600.0)
    fwd.start()
    try:
        assert fwd.wait_for_cycles(1, timeout_s=10)
        assert fwd.running
        assert states_of(store, txn) == [("confirm", "pending")]
        host.sent.clear()
        clock.advance(300)
        fwd.notify()
        assert host.sent.wait(timeout=10)
        assert fwd.wait_for_cycles(2, timeout_s=10)
        assert states_of(store, txn) == [("confirm", "delivered")]
    finally:
        assert fwd.stop(timeout_s=10)


@settings(max_examples=30, deadline=None)
@given(
    outcomes=st.lists(
        st.sampled_from(["delivered", "duplicate", "retry", "dead", "raise", "missing"]),
        min_size=1,
        max_size=60,
    ),
    sales=st.integers(1, 4),
    batch_size=st.integers(1, 5),
)
def test_whatever_the_host_answers_no_advice_overtakes_its_predecessor(
    outcomes: list[str], sales: int, batch_size: int
) -> None:
    clock = ManualClock()
    answers = iter(outcomes)
    with (
        tempfile.TemporaryDirectory() as tmp,
        Store(Path(tmp) / "k.sqlite", terminal_id="12345", clock=clock) as store,
    ):
        txns = [confirmed_sale(store, storno=True) for _ in range(sales)]

        def send(batch: Sequence[OutboxRecord]) -> Mapping[str, DeliveryOutcome]:
            for message in batch:
                earlier = [m for m in store.outbox_for(message.txn) if m.seq < message.seq]
                assert all(m.state == "delivered" for m in earlier), (message.kind, earlier)
            answer = next(answers, "delivered")
            if answer == "raise":
                raise TransientSendError("reset")
            if answer == "missing":
                return {}
            return {m.message_id: DeliveryOutcome(answer) for m in batch}  # type: ignore[arg-type]

        fwd = Forwarder(
            store, send, clock=clock, batch_size=batch_size, rng=random.Random(1), lease_s=30
        )
        for _ in range(len(outcomes) + 4 * sales + 10):
            fwd.run_once()
            clock.advance(400)  # past any backoff, lease and circuit cooldown
        for txn in txns:
            kinds = states_of(store, txn)
            assert [k for k, _ in kinds] == ["confirm", "storno"]
            if kinds[0][1] != "delivered":
                assert kinds[1][1] == "pending"  # held behind its undelivered confirm
            else:
                assert kinds[1][1] in ("delivered", "dead")
        assert store.outbox_status()["counts"]["in_flight"] == 0
