"""How many durable commits a sale and an acknowledged advice batch cost (docs/internals.md).

The slip-first protocol needs three fsynced commits per sale: the record (before the host hears
of it), printing (before the first byte reaches the printer) and confirmed with its advice
(the proof). The authorisation and the drawer note ride on the next fsync; a batch of advices
costs one fsynced commit when the host acknowledges it.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from helpers.kiosk import Counter, start_counter, stop_counter

from offline_queue import states


@pytest.fixture
def si_counter(tmp_path: Path) -> Iterator[Counter]:
    counter = start_counter(tmp_path, "si")
    counter.open()
    try:
        yield counter
    finally:
        stop_counter(counter)


def test_a_sale_costs_three_durable_commits_and_keeps_every_step(si_counter: Counter) -> None:
    kiosk = si_counter.kiosk
    assert kiosk is not None
    store = kiosk.store
    si_counter.sell("card-topup")  # the first sale may pay for one-off work (notices owed)
    before = dict(store.commits)
    result = si_counter.sell("card-topup")
    assert result.state == "confirmed"
    assert store.commits["durable"] - before["durable"] == 3
    assert store.commits["deferred"] - before["deferred"] == 2
    # a deferred commit puts the connection back to fsync-at-commit
    assert store.connection_pragmas()["synchronous"] == 2
    events = [event.event for event in store.journal(result.txn)]
    assert events == [
        "recorded",
        f"state:{states.AUTHORIZED}",
        f"state:{states.PRINTING}",
        f"state:{states.CONFIRMED}",
        "drawer_opened",
    ]
    assert store.verify_journal().ok


def test_an_acknowledged_batch_of_advices_costs_one_durable_commit(si_counter: Counter) -> None:
    kiosk = si_counter.kiosk
    assert kiosk is not None
    store = kiosk.store
    txns = [si_counter.sell("card-topup").txn for _ in range(3)]
    before = dict(store.commits)
    report = kiosk.forwarder.drain(timeout_s=5)
    assert report.delivered == 3
    assert report.cycles == 2  # one batch of three, then nothing due
    assert store.commits["durable"] - before["durable"] == 1
    assert store.commits["deferred"] - before["deferred"] == 1  # the lease
    for txn in txns:
        assert [m.state for m in store.outbox_for(txn)] == ["delivered"]
        assert si_counter.host_view(txn)["state"] == "confirmed"  # type: ignore[index]


def test_a_sale_uses_one_printer_connection(si_counter: Counter) -> None:
    """Status, slip and drawer go over one TCP connection, closed after the sale."""
    si_counter.sell("card-topup")
    before = si_counter.printer.connections
    result = si_counter.sell("card-topup")
    assert result.state == "confirmed"
    assert si_counter.printer.connections - before == 1
    # released after the sale: the next operation (another process's status) connects anew
    assert si_counter.kiosk is not None
    si_counter.kiosk.printer.status()
    assert si_counter.printer.connections - before == 2
