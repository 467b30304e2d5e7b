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


def test_sales_reuse_the_one_printer_connection_the_kiosk_keeps(si_counter: Counter) -> None:
    """Status, slip and drawer go over one TCP connection, kept across sales: the next sale
    and a status read open none."""
    si_counter.sell("card-topup")
    before = si_counter.printer.connections
    for _ in range(3):
        assert si_counter.sell("card-topup").state == "confirmed"
    assert si_counter.kiosk is not None
    assert si_counter.kiosk.printer.status().can_print
    assert si_counter.printer.connections - before == 0


def test_a_kept_connection_the_printer_dropped_is_replaced_once(si_counter: Counter) -> None:
    """A kept link that died unseen (the printer restarted) costs a fresh connection, not a
    refused sale: the status read that finds it dead asks again on a new one."""
    si_counter.sell("card-topup")
    before = si_counter.printer.connections
    si_counter.printer.drop_connection_after(0)  # the next bytes the printer gets end the link
    assert si_counter.sell("card-topup").state == "confirmed"
    assert si_counter.printer.connections - before == 1
