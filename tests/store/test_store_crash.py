"""SIGKILL at random points never loses a committed sale, reuses a number or splits a step.

A writer process (store_crash_writer.py) records and settles sales as fast as it can and
prints each committed step; the test kills it with a real SIGKILL at a random moment, reopens
the store and checks it against everything the writer said was committed, many times over.
"""

from __future__ import annotations

import os
import random
import selectors
import signal
import subprocess
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path

import pytest

from offline_queue.states import implied_outbox_kinds
from offline_queue.store import Store, state_event

WRITER = Path(__file__).with_name("store_crash_writer.py")
REPO = WRITER.parents[2]
TERMINAL_ID = "24680"
CYCLES = 45
OVERALL_DEADLINE_S = 75.0
SEED = 20261122


@dataclass
class Reported:
    """What the writers said they committed, in the order they said it."""

    numbers: list[str] = field(default_factory=list)
    states: dict[str, list[str]] = field(default_factory=dict)

    def take(self, line: str) -> None:
        parts = line.split()
        if parts[0] == "recorded":
            self.numbers.append(parts[1])
            self.states[parts[1]] = ["recorded"]
        elif parts[0] == "state":
            self.states.setdefault(parts[1], []).append(parts[2])


def run_writer_and_kill(
    path: Path, seed: int, rng: random.Random, deadline: float, reported: Reported
) -> int:
    """Start a writer, let it commit a random amount of work, SIGKILL it; returns lines read."""
    env = {**os.environ, "PYTHONPATH": str(REPO)}
    proc = subprocess.Popen(
        [sys.executable, str(WRITER), str(path), TERMINAL_ID, str(seed)],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        env=env,
    )
    assert proc.stdout is not None and proc.stderr is not None
    early_kill = rng.random() < 0.2  # some kills land while the store is still opening
    lines_wanted = 0 if early_kill else rng.randint(1, 60)
    extra_s = rng.uniform(0.0, 0.05)
    kill_at: float | None = time.monotonic() + extra_s if early_kill else None
    buffer = b""
    lines: list[str] = []
    selector = selectors.DefaultSelector()
    selector.register(proc.stdout, selectors.EVENT_READ)
    fd = proc.stdout.fileno()
    try:
        while True:
            now = time.monotonic()
            if kill_at is not None and now >= kill_at:
                break
            if now > deadline:
                pytest.fail("crash test ran past its deadline")
            if proc.poll() is not None:
                pytest.fail(
                    f"writer exited by itself ({proc.returncode}): "
                    f"{proc.stderr.read().decode(errors='replace')}"
                )
            timeout = 0.5 if kill_at is None else max(0.0, kill_at - now)
            if selector.select(timeout):
                chunk = os.read(fd, 65536)
                buffer += chunk
                *complete, buffer = buffer.split(b"\n")
                lines.extend(part.decode() for part in complete)
            if kill_at is None and len(lines) >= lines_wanted:
                # Keep reading (never idle) for a random extra moment, then kill mid-work.
                kill_at = time.monotonic() + extra_s
        proc.send_signal(signal.SIGKILL)
        proc.wait(timeout=10)
        if proc.returncode != -signal.SIGKILL:
            pytest.fail(
                f"writer ended with {proc.returncode} before the kill: "
                f"{proc.stderr.read().decode(errors='replace')}"
            )
        buffer += proc.stdout.read()  # lines written before death are committed work too
        *complete, _partial = buffer.split(b"\n")
        lines.extend(part.decode() for part in complete)
    finally:
        selector.close()
        if proc.poll() is None:
            proc.kill()
            proc.wait(timeout=10)
        proc.stdout.close()
        proc.stderr.close()
    for line in lines:
        if line != "open":
            reported.take(line)
    return len(lines)


def is_subsequence(part: list[str], whole: list[str]) -> bool:
    remaining = iter(whole)
    return all(item in remaining for item in part)


def check_store(path: Path, reported: Reported) -> int:
    """Assert every invariant; returns how many sales the kill left half-way."""
    with Store(path, terminal_id=TERMINAL_ID) as store:
        verdict = store.verify_journal()
        assert verdict.ok, verdict.reason

        sales = {t.txn: t for t in store.list_transactions(limit=1_000_000)}
        numbers = sorted(sales)
        # Numbers are allocated with their row: consecutive from 1, never a gap or a repeat.
        assert numbers == [f"{TERMINAL_ID}{n:09d}" for n in range(1, len(numbers) + 1)]
        assert reported.numbers == sorted(set(reported.numbers)), "a number was handed out twice"
        missing = set(reported.numbers) - set(sales)
        assert not missing, f"committed sales lost: {sorted(missing)[:5]}"

        journal = store.journal()
        state_walk: dict[str, list[str]] = {}
        for event in journal:
            if event.event == "recorded":
                assert event.txn is not None
                assert event.txn not in state_walk, f"{event.txn} recorded twice"
                state_walk[event.txn] = ["recorded"]
            elif event.event.startswith("state:"):
                assert event.txn is not None
                assert event.event == state_event(event.data["to"])
                assert state_walk[event.txn][-1] == event.data["from"]
                state_walk[event.txn].append(event.data["to"])
        assert set(state_walk) == set(sales), "a sale without its journal event, or vice versa"

        outbox_by_txn: dict[str, list[str]] = {}
        for message in store.list_outbox(limit=10_000_000):
            outbox_by_txn.setdefault(message.txn, []).append(message.kind)

        for txn, sale in sales.items():
            walk = state_walk[txn]
            assert sale.state == walk[-1], f"{txn}: state {sale.state} but journal says {walk[-1]}"
            said = reported.states.get(txn, [])
            # A kill between commit and print hides a step from the parent, never the reverse.
            assert is_subsequence(said, walk), f"{txn}: committed steps {said} lost, have {walk}"
            kinds = tuple(outbox_by_txn.get(txn, []))
            assert kinds == implied_outbox_kinds(sale.state, offline=sale.offline), (
                f"{txn} in {sale.state} (offline={sale.offline}) has outbox {kinds}"
            )
        return len(store.in_between_transactions())


@pytest.mark.slow
def test_sigkill_at_random_points_keeps_the_store_whole(tmp_path: Path) -> None:
    path = tmp_path / "crash.sqlite"
    rng = random.Random(SEED)
    deadline = time.monotonic() + OVERALL_DEADLINE_S
    reported = Reported()
    total_lines = 0
    left_half_way = 0
    for cycle in range(CYCLES):
        total_lines += run_writer_and_kill(path, SEED + cycle, rng, deadline, reported)
        if path.exists():
            left_half_way += check_store(path, reported)
    # The test must have exercised something: many sales, and kills in the middle of sales.
    assert len(reported.numbers) > 100, f"only {len(reported.numbers)} sales in {total_lines} lines"
    print(f"{len(reported.numbers)} sales, {left_half_way} left half-way, {total_lines} lines")
    assert left_half_way > 5, "the kills never landed in the middle of a sale"
