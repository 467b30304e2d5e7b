"""The forwarder: drains the outbox to the host with leases, backoff and a circuit breaker.

It only knows :class:`~offline_queue.delivery.DeliveryOutcome`; whoever builds it passes a
``send`` function (the host client) that turns a batch of outbox records into one outcome per
message id, or raises :class:`~offline_queue.delivery.TransientSendError` when the whole batch
failed. All waiting is on ``clock.monotonic()``, so tests drive it with a ManualClock.

Retries use *full-jitter* exponential backoff: after the n-th failed attempt of a message the
delay is ``rng.uniform(0, min(cap, base * 2 ** (n - 1)))``, never shorter than the host's
``Retry-After``. Jitter spreads the retries of many terminals after an outage, so the host is
not hit by all of them at once.

The circuit breaker stops sending after ``circuit_failures`` consecutive transient failures and
for ``circuit_cooldown_s`` afterwards; then one message goes out as a probe (half open), whose
success closes the circuit and whose failure opens it again. A cycle counts as a transient
failure when the host did not take a single message of it (an exception, or only ``retry``
outcomes); any ``delivered``, ``duplicate`` or ``dead`` answer shows the host is alive.
"""

from __future__ import annotations

import logging
import random
import threading
from collections import deque
from collections.abc import Callable, Mapping, Sequence
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass
from typing import Any, Literal

from foundation.clock import Clock
from offline_queue.delivery import DeliveryOutcome, TransientSendError
from offline_queue.errors import StoreError
from offline_queue.eventlog import emit
from offline_queue.store import OutboxRecord, Store

log = logging.getLogger(__name__)

CircuitState = Literal["closed", "open", "half_open"]
SendFunction = Callable[[Sequence[OutboxRecord]], Mapping[str, DeliveryOutcome]]

#: Exponents above this would only overflow; the cap is reached long before.
_MAX_BACKOFF_EXPONENT = 62


@dataclass(frozen=True)
class _SendFailed:
    """The whole batch failed to send (transient): why, and the host's Retry-After if any."""

    error: str
    retry_after_s: float | None


@dataclass(frozen=True)
class ForwardReport:
    """What one or more forwarding cycles did."""

    cycles: int = 0
    claimed: int = 0
    delivered: int = 0
    duplicates: int = 0
    retried: int = 0
    dead: int = 0
    transient_failures: int = 0
    circuit: CircuitState = "closed"
    last_error: str | None = None

    def __add__(self, later: ForwardReport) -> ForwardReport:
        return ForwardReport(
            cycles=self.cycles + later.cycles,
            claimed=self.claimed + later.claimed,
            delivered=self.delivered + later.delivered,
            duplicates=self.duplicates + later.duplicates,
            retried=self.retried + later.retried,
            dead=self.dead + later.dead,
            transient_failures=self.transient_failures + later.transient_failures,
            circuit=later.circuit,
            last_error=later.last_error or self.last_error,
        )

    def to_dict(self) -> dict[str, object]:
        return {
            "cycles": self.cycles,
            "claimed": self.claimed,
            "delivered": self.delivered,
            "duplicates": self.duplicates,
            "retried": self.retried,
            "dead": self.dead,
            "transient_failures": self.transient_failures,
            "circuit": self.circuit,
            "last_error": self.last_error,
        }


class Forwarder:
    """Sends due outbox messages with ``send`` and records each outcome in the store."""

    def __init__(
        self,
        store: Store,
        send: SendFunction,
        *,
        clock: Clock,
        batch_size: int = 100,
        lease_s: float = 30,
        backoff_base_s: float = 1.0,
        backoff_cap_s: float = 300.0,
        circuit_failures: int = 5,
        circuit_cooldown_s: float = 30.0,
        rng: random.Random | None = None,
        idle_wait_s: float = 60.0,
        retention_s: float | None = 30 * 86400.0,
        prune_every_s: float = 3600.0,
        pipeline_depth: int = 2,
    ) -> None:
        """``retention_s``: delivered advices older than this are pruned by the background
        loop, at most every ``prune_every_s`` (None keeps them all). ``pipeline_depth``: how
        many batches :meth:`drain` keeps on their way at once (1: send the next batch only
        while the previous answer is being recorded)."""
        if batch_size < 1:
            raise ValueError("batch_size must be at least 1")
        if lease_s <= 0 or backoff_base_s <= 0 or backoff_cap_s < backoff_base_s:
            raise ValueError("need lease_s > 0 and 0 < backoff_base_s <= backoff_cap_s")
        if pipeline_depth < 1:
            raise ValueError("pipeline_depth must be at least 1")
        if circuit_failures < 1 or circuit_cooldown_s < 0:
            raise ValueError("need circuit_failures >= 1 and circuit_cooldown_s >= 0")
        self.store = store
        self.send = send
        self.clock = clock
        self.batch_size = batch_size
        self.pipeline_depth = pipeline_depth
        self.lease_s = lease_s
        self.backoff_base_s = backoff_base_s
        self.backoff_cap_s = backoff_cap_s
        self.circuit_failures = circuit_failures
        self.circuit_cooldown_s = circuit_cooldown_s
        self.idle_wait_s = idle_wait_s
        self.rng = rng or random.Random()
        self.retention_s = retention_s
        self.prune_every_s = prune_every_s
        self._next_prune_mono = 0.0
        self._run_lock = threading.Lock()
        self._circuit_lock = threading.Lock()
        self._circuit: CircuitState = "closed"
        self._consecutive_failures = 0
        self._opened_at = 0.0
        self._wake = threading.Event()
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None
        self._cycles_done = 0
        self._cycles_cond = threading.Condition()

    # -- circuit ---------------------------------------------------------------------------

    @property
    def state(self) -> CircuitState:
        """The circuit as a sender would find it now (open turns half open after cooldown)."""
        with self._circuit_lock:
            if self._circuit == "open" and self._cooldown_over():
                return "half_open"
            return self._circuit

    def _cooldown_over(self) -> bool:
        return self.clock.monotonic() >= self._opened_at + self.circuit_cooldown_s

    def _record_cycle(self, *, host_alive: bool, failed: bool) -> None:
        with self._circuit_lock:
            if host_alive:
                if self._circuit != "closed":
                    emit(log, "forwarder.circuit_closed", was=self._circuit)
                self._circuit = "closed"
                self._consecutive_failures = 0
            elif failed:
                self._consecutive_failures += 1
                if (
                    self._circuit == "half_open"
                    or self._consecutive_failures >= self.circuit_failures
                ):
                    if self._circuit != "open":
                        emit(
                            log,
                            "forwarder.circuit_open",
                            level=logging.WARNING,
                            failures=self._consecutive_failures,
                            cooldown_s=self.circuit_cooldown_s,
                        )
                    self._circuit = "open"
                    self._opened_at = self.clock.monotonic()

    def backoff_delay(self, attempts: int, retry_after_s: float | None = None) -> float:
        """Full-jitter delay after the ``attempts``-th failed attempt, floored by Retry-After."""
        exponent = min(max(attempts - 1, 0), _MAX_BACKOFF_EXPONENT)
        ceiling = min(self.backoff_cap_s, self.backoff_base_s * 2**exponent)
        delay = self.rng.uniform(0, ceiling)
        if retry_after_s is not None and retry_after_s > delay:
            delay = float(retry_after_s)
        return delay

    # -- one cycle -------------------------------------------------------------------------

    def run_once(self) -> ForwardReport:
        """Claim what is due, send it, record the outcomes; never raises for a send failure."""
        with self._run_lock:
            batch = self._claim()
            if isinstance(batch, ForwardReport):
                return batch
            return self._send_and_record(batch)

    def _claim(self) -> list[OutboxRecord] | ForwardReport:
        """The next batch (one message while half open), or the report of a cycle without."""
        with self._circuit_lock:
            if self._circuit == "open":
                if not self._cooldown_over():
                    return ForwardReport(cycles=1, circuit="open")
                self._circuit = "half_open"
                emit(log, "forwarder.circuit_half_open")
            limit = 1 if self._circuit == "half_open" else self.batch_size
        batch = self.store.claim_due(limit=limit, lease_s=self.lease_s)
        return batch or ForwardReport(cycles=1, circuit=self.state)

    def _send(self, batch: list[OutboxRecord]) -> dict[str, DeliveryOutcome] | _SendFailed:
        """The host's outcomes, or why the whole batch failed; never raises."""
        try:
            return dict(self.send(batch))
        except TransientSendError as exc:
            return _SendFailed(str(exc), exc.retry_after_s)
        except Exception as exc:
            log.exception("sending %d outbox message(s) failed unexpectedly", len(batch))
            return _SendFailed(f"{type(exc).__name__}: {exc}", None)

    def _send_and_record(self, batch: list[OutboxRecord]) -> ForwardReport:
        return self._record(batch, self._send(batch))

    def _record(
        self, batch: list[OutboxRecord], sent: dict[str, DeliveryOutcome] | _SendFailed
    ) -> ForwardReport:
        if isinstance(sent, _SendFailed):
            return self._whole_batch_failed(batch, sent.error, sent.retry_after_s)
        outcomes = sent

        delivered = duplicates = retried = dead = 0
        last_error: str | None = None
        to_deliver: list[tuple[str, Mapping[str, object] | None]] = []
        to_park: list[tuple[str, str]] = []
        to_retry: list[tuple[str, str, float]] = []
        for message in batch:
            outcome = outcomes.get(message.message_id)
            if outcome is None:
                outcome = DeliveryOutcome("retry", error="the host gave no answer for it")
            if outcome.is_success:
                to_deliver.append((message.message_id, outcome.response or None))
                if outcome.kind == "duplicate":
                    duplicates += 1
                else:
                    delivered += 1
            elif outcome.kind == "dead":
                error = outcome.error or "refused by the host"
                to_park.append((message.message_id, error))
                dead += 1
                last_error = error
            else:
                error = outcome.error or "the host asked to retry"
                delay = self.backoff_delay(message.attempts, outcome.retry_after_s)
                to_retry.append((message.message_id, error, delay))
                retried += 1
                last_error = error
        # One commit for the whole acknowledged batch (its journal events, its erasures).
        try:
            self.store.settle_batch(delivered=to_deliver, dead=to_park, retry=to_retry)
        except StoreError:
            log.exception("could not record the outcomes of %d message(s)", len(batch))
        host_alive = bool(delivered or duplicates or dead)
        self._record_cycle(host_alive=host_alive, failed=not host_alive and retried > 0)
        return ForwardReport(
            cycles=1,
            claimed=len(batch),
            delivered=delivered,
            duplicates=duplicates,
            retried=retried,
            dead=dead,
            transient_failures=0 if host_alive else 1,
            circuit=self.state,
            last_error=last_error,
        )

    def _whole_batch_failed(
        self, batch: list[OutboxRecord], error: str, retry_after_s: float | None
    ) -> ForwardReport:
        retry = [
            (message.message_id, error, self.backoff_delay(message.attempts, retry_after_s))
            for message in batch
        ]
        try:
            self.store.settle_batch(retry=retry)
        except StoreError:
            log.exception("could not reschedule %d message(s)", len(batch))
        self._record_cycle(host_alive=False, failed=True)
        return ForwardReport(
            cycles=1,
            claimed=len(batch),
            retried=len(batch),
            transient_failures=1,
            circuit=self.state,
            last_error=error,
        )

    def drain(self, timeout_s: float, *, max_cycles: int = 10_000) -> ForwardReport:
        """Forward until nothing is due, the circuit opens, or ``timeout_s`` (monotonic) passes.

        Pipelined: after a good answer up to ``pipeline_depth`` batches are on their way
        while the oldest answer is recorded (its one commit), so the host always has the next
        batch and the terminal's encoding and commits overlap the host's work. The first batch
        (and every batch after a failure or with the circuit not closed) goes alone, as a
        probe would. A batch never overtakes an earlier advice of its own transaction (the
        claim skips those while the earlier one is in flight).
        """
        deadline = self.clock.monotonic() + timeout_s
        total = ForwardReport()
        with (
            self._run_lock,
            ThreadPoolExecutor(self.pipeline_depth, thread_name_prefix="advice-send") as pool,
        ):
            claimed = self._claim()
            if isinstance(claimed, ForwardReport):
                return claimed
            flying: deque[tuple[list[OutboxRecord], Future[Any]]] = deque()
            flying.append((claimed, pool.submit(self._send, claimed)))
            sent_batches = 1

            def more() -> bool:
                return sent_batches < max_cycles and self.clock.monotonic() < deadline

            while flying:
                batch, answer = flying.popleft()
                sent = answer.result()
                # only behind a good answer with the circuit closed: a probe goes alone
                if not isinstance(sent, _SendFailed) and self.state == "closed":
                    while len(flying) < self.pipeline_depth and more():
                        following = self._claim()
                        if isinstance(following, ForwardReport):
                            break
                        flying.append((following, pool.submit(self._send, following)))
                        sent_batches += 1
                total = total + self._record(batch, sent)
                if not flying and more():
                    # nothing claimed while this batch was in flight: what it held back (a
                    # later advice of the same sale) may be due now that it is recorded
                    following = self._claim()
                    if isinstance(following, ForwardReport):
                        total = total + following
                    else:
                        flying.append((following, pool.submit(self._send, following)))
                        sent_batches += 1
        return total

    # -- background thread -----------------------------------------------------------------

    def start(self) -> None:
        """Forward on a daemon thread until :meth:`stop`; safe to call twice."""
        if self._thread is not None and self._thread.is_alive():
            return
        self._stop.clear()
        self._thread = threading.Thread(target=self._loop, name="outbox-forwarder", daemon=True)
        self._thread.start()

    def stop(self, timeout_s: float = 10.0) -> bool:
        """Ask the thread to finish its cycle and end; True once it has ended."""
        self._stop.set()
        self._wake.set()
        thread = self._thread
        if thread is None:
            return True
        thread.join(timeout_s)
        return not thread.is_alive()

    @property
    def running(self) -> bool:
        return self._thread is not None and self._thread.is_alive()

    def notify(self) -> None:
        """Something was enqueued: run a cycle now instead of waiting for the next due time."""
        self._wake.set()

    @property
    def cycles_done(self) -> int:
        with self._cycles_cond:
            return self._cycles_done

    def wait_for_cycles(self, count: int, timeout_s: float) -> bool:
        """Block until the thread has completed ``count`` cycles in total (for tests, drains)."""
        with self._cycles_cond:
            return self._cycles_cond.wait_for(lambda: self._cycles_done >= count, timeout_s)

    def _loop(self) -> None:
        while not self._stop.is_set():
            self._wake.clear()
            report: ForwardReport | None = None
            try:
                report = self.run_once()
            except Exception:
                log.exception("outbox forwarding cycle failed; trying again later")
            self._prune_when_due()
            with self._cycles_cond:
                self._cycles_done += 1
                self._cycles_cond.notify_all()
            if self._stop.is_set():
                break
            self._wake.wait(self._seconds_to_wait(report))

    def _prune_when_due(self) -> None:
        """Drop delivered advices past the retention, at most every ``prune_every_s``."""
        if self.retention_s is None or self.clock.monotonic() < self._next_prune_mono:
            return
        self._next_prune_mono = self.clock.monotonic() + self.prune_every_s
        try:
            self.store.prune_delivered(older_than_s=self.retention_s)
        except StoreError:
            log.exception("could not prune delivered advices; trying again later")

    def _seconds_to_wait(self, report: ForwardReport | None) -> float:
        """Until the next message is due (or the circuit may close), at most ``idle_wait_s``."""
        if report is not None and report.claimed >= self.batch_size:
            return 0.0  # a full batch: more may be waiting
        now = self.clock.monotonic()
        try:
            due = self.store.next_due_mono()
        except StoreError:
            log.exception("cannot read the outbox; waiting before trying again")
            return self.idle_wait_s
        with self._circuit_lock:
            if self._circuit == "open":
                reopen = self._opened_at + self.circuit_cooldown_s
                due = reopen if due is None else max(due, reopen)
        if due is None:
            return self.idle_wait_s
        return min(max(due - now, 0.0), self.idle_wait_s)


__all__ = ["CircuitState", "ForwardReport", "Forwarder", "SendFunction"]
