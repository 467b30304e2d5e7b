"""A backlog of advices drained to a reference host in its own process, against one request
per advice."""

from __future__ import annotations

import os
import subprocess
import sys
import time
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from common import ROOT, figure, si_config


@dataclass(frozen=True)
class _RunningHost:
    url: str
    pid: int

    def cpu_s(self) -> float:
        """The host process's CPU time so far (user + system), from /proc."""
        fields = Path(f"/proc/{self.pid}/stat").read_text().rsplit(")", 1)[1].split()
        return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


@contextmanager
def _host(folder: Path, name: str, config: Any) -> Iterator[_RunningHost]:
    """A fresh reference host in a process of its own (``kiosk-host serve``), as a real host
    is: in-process, its threads would share the terminal's interpreter lock and the figure
    would measure the two taking turns, not the terminal."""
    from hostsim.store import HostStore

    db = folder / f"{name}.sqlite"
    store = HostStore(db)
    store.add_terminal(config.terminal.id, config.terminal.key, "2026-01-01T00:00:00+00:00")
    store.close()
    process = subprocess.Popen(
        [sys.executable, "-m", "hostsim.cli", "serve", "--db", str(db), "--port", "0"],
        cwd=ROOT,
        stdout=subprocess.PIPE,
        text=True,
    )
    try:
        assert process.stdout is not None
        line = process.stdout.readline()  # "kiosk-host listening on http://127.0.0.1:PORT"
        if "listening on " not in line:
            raise RuntimeError(f"the reference host did not start: {line!r}")
        yield _RunningHost(line.rsplit(" ", 1)[1].strip(), process.pid)
    finally:
        process.terminate()
        process.wait(timeout=30)


def _offline_backlog(store: Any, config: Any, advices: int) -> list[dict[str, Any]]:
    """``advices`` offline card top-ups confirmed in ``store``; the bodies one request each
    would send (same advices, their own message ids)."""
    from offline_queue import states
    from offline_queue.store import OutboxMessage
    from terminal.advices import advice_payload
    from terminal.sale import _target_dict
    from terminal.validation import validate_target

    product = config.product("card-topup")
    bodies: list[dict[str, Any]] = []
    with store.bulk():
        for n in range(advices):
            card = _luhn(f"400000{n:09d}")
            target = validate_target(product, card, region=config.terminal.region)
            record = store.record(
                product="card-topup",
                currency="EUR",
                amount_minor=5000,
                fees=[],
                total_minor=5000,
                cash_minor=0,
                change_minor=0,
                target=_target_dict(target),
                details={"provision_message_id": uuid.uuid4().hex},
            )
            store.transition(record.txn, states.OFFLINE_ACCEPTED)
            record = store.transition(record.txn, states.PRINTING)
            printed = store.clock.now()
            payload = advice_payload(record, states.OFFLINE_SALE, printed_at=printed, target=card)
            store.transition(
                record.txn,
                states.CONFIRMED,
                updates={"printed_at": printed},
                outbox=[
                    OutboxMessage(
                        states.OFFLINE_SALE,
                        payload,
                        after_delivery=advice_payload(
                            record, states.OFFLINE_SALE, printed_at=printed
                        ),
                    )
                ],
            )
            bodies.append(
                {
                    "message_id": uuid.uuid4().hex,
                    "txn": record.txn,
                    "kind": states.OFFLINE_SALE,
                    "payload": payload,
                }
            )
    return bodies


def _luhn(stem: str) -> str:
    total = 0
    for index, char in enumerate(reversed(stem)):
        digit = int(char)
        if index % 2 == 0:
            digit *= 2
            digit -= 9 if digit > 9 else 0
        total += digit
    return stem + str((10 - total % 10) % 10)


def _client(config: Any, url: str, clock: Any) -> Any:
    """The terminal's host client (its signing key), pointed at ``url``."""
    from terminal.host_client import HostClient

    return HostClient(
        url,
        terminal_id=config.terminal.id,
        key=config.terminal.key,
        connect_timeout_s=config.host.connect_timeout_s,
        read_timeout_s=config.host.read_timeout_s,
        clock=clock,
    )


def bench_drain(folder: Path, advices: int) -> dict[str, dict[str, Any]]:
    from foundation.clock import SystemClock
    from offline_queue.forwarder import Forwarder
    from offline_queue.store import Store

    config = si_config(folder)
    clock = SystemClock()
    store = Store(
        folder / "drain.sqlite", terminal_id="12345", clock=clock, key=config.terminal.key
    )
    try:
        bodies = _offline_backlog(store, config, advices)
        with _host(folder, "host-reference", config) as reference_host:
            client = _client(config, reference_host.url, clock)
            began = time.perf_counter()
            accepted = 0
            for body in bodies:
                response = client._request("POST", "/v1/advice", body)
                accepted += response.status_code == 200
            one_by_one = time.perf_counter() - began
        assert accepted == advices, accepted
        with _host(folder, "host-batched", config) as batched_host:
            sender = _client(config, batched_host.url, clock)
            sender.journal_head = store.journal_head
            forwarder = Forwarder(store, sender.send_advices, clock=clock)
            host_cpu, our_cpu = batched_host.cpu_s(), time.process_time()
            began = time.perf_counter()
            report = forwarder.drain(timeout_s=600, max_cycles=1_000_000)
            drained = time.perf_counter() - began
            host_cpu, our_cpu = batched_host.cpu_s() - host_cpu, time.process_time() - our_cpu
        # the host answers every advice (a few generated cards are the host's KYC test cases,
        # refused for good: answered all the same, one request each in the reference too)
        assert report.delivered + report.dead == advices, report
    finally:
        store.close()
    ours_rate = advices / drained
    reference_rate = advices / one_by_one
    return {
        "drain_vs_one_request_per_advice": figure(
            drained * 1000,
            one_by_one * 1000,
            goal="ratio >= 10 (times faster)",
            unit="ms for all advices",
            faster=True,
            advices=advices,
            batch=forwarder.batch_size,
            pipeline_depth=forwarder.pipeline_depth,
        ),
        "drain_advices_per_s": figure(
            ours_rate,
            reference_rate,
            goal="value >= 2000 /s",
            unit="advices/s",
            note="reference: one POST /v1/advice per advice, same host, same advices; the "
            "host runs in a process of its own (kiosk-host serve)",
            terminal_cpu_ms_per_advice=round(our_cpu * 1000 / advices, 4),
            host_cpu_ms_per_advice=round(host_cpu * 1000 / advices, 4),
            # what the CPU alone allows, whatever else the machine runs: the slower side
            cpu_bound_advices_per_s=round(advices / max(our_cpu, host_cpu, 1e-9), 1),
        ),
    }


# -- slip render -----------------------------------------------------------------------------
