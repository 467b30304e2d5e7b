"""Every host fault combined with every printer fault, over real HTTP and TCP; after recovery
the host holds every printed sale exactly once and nothing that did not print."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
from helpers.invariants import check_invariants
from helpers.kiosk import Counter, start_counter, stop_counter

from hostsim.faults import Fault
from terminal.counter import PrinterNotReady

#: Host faults, each for the one sale it is set for (count-limited so the advices get through).
HOST_FAULTS: dict[str, Callable[[Counter], None]] = {
    "none": lambda c: None,
    "slow": lambda c: c.host.faults.set(Fault("latency", ms=300, count=2)),
    "5xx": lambda c: c.host.faults.set(Fault("error_rate", path_prefix="/v1/provision", count=1)),
    "reset_after_provision": lambda c: c.host.faults.set(
        Fault("reset", path_prefix="/v1/provision", phase="after", count=1)
    ),
    "malformed": lambda c: c.host.faults.set(
        Fault("malformed", path_prefix="/v1/provision", count=1)
    ),
    "down": lambda c: c.host.faults.set(Fault("down", count=1)),
    # the advice reaches the host but its answer is lost: the forwarder sends it again
    "duplicate_delivery": lambda c: c.host.faults.set(
        Fault("reset", path_prefix="/v1/advices", phase="after", count=1)
    ),
    "advice_5xx": lambda c: c.host.faults.set(
        Fault("error_rate", path_prefix="/v1/advices", status=503, count=2)
    ),
}


def _silence_after_provision(counter: Counter) -> None:
    assert counter.kiosk is not None
    real = counter.kiosk.host.provision

    def provision(request: Any) -> Any:
        answer = real(request)
        counter.printer.silent(True)
        return answer

    counter.kiosk.sales.host = type("Host", (), {"provision": staticmethod(provision)})()


PRINTER_FAULTS: dict[str, Callable[[Counter], None]] = {
    "none": lambda c: None,
    "paper_out_mid_slip": lambda c: c.printer.paper_out_after(6),
    "silent_mid_sale": _silence_after_provision,
    "connection_dropped": lambda c: c.printer.drop_connection_after(300),
    "cover_open": lambda c: c.printer.open_cover(),
}


def _heal(counter: Counter) -> None:
    assert counter.kiosk is not None
    counter.kiosk.sales.host = counter.kiosk.host
    counter.printer.silent(False)
    counter.printer.clear_faults()
    counter.printer.load_paper()
    counter.printer.close_cover()
    counter.host.faults.clear()
    # a notice owed by the last failure prints now, so it cannot absorb the next fault
    counter.kiosk.counter.print_owed_notices()


@pytest.fixture
def counter(tmp_path: Path) -> Iterator[Counter]:
    c = start_counter(tmp_path, "si")
    c.open()
    yield c
    stop_counter(c)


@pytest.mark.slow
def test_fault_matrix_keeps_every_promise(counter: Counter) -> None:
    assert counter.kiosk is not None
    kiosk = counter.kiosk
    outcomes: dict[tuple[str, str], str] = {}
    for host_fault, break_host in HOST_FAULTS.items():
        for printer_fault, break_printer in PRINTER_FAULTS.items():
            break_host(counter)
            break_printer(counter)
            try:
                result = counter.sell("card-topup", amount_minor=5000, cash_minor=6000)
                outcomes[(host_fault, printer_fault)] = result.state
                kiosk.forwarder.run_once()  # advices go out while faults may still bite
            except PrinterNotReady:
                outcomes[(host_fault, printer_fault)] = "refused"
            _heal(counter)

    # what each combination must have come to
    for (host_fault, printer_fault), state in outcomes.items():
        if printer_fault == "cover_open":
            assert state == "refused", (host_fault, printer_fault, state)
        elif host_fault in ("5xx", "reset_after_provision", "malformed", "down"):
            assert state == "failed", (host_fault, printer_fault, state)
        elif printer_fault == "none":
            assert state == "confirmed", (host_fault, printer_fault, state)
        else:
            assert state == "print_failed", (host_fault, printer_fault, state)

    # recovery: everything gets through once the faults are gone, within the backoff bounds
    kiosk.forwarder.circuit_cooldown_s = 0
    for _ in range(40):
        kiosk.forwarder.drain(timeout_s=5)
        counts = kiosk.store.outbox_status()["counts"]
        if counts["pending"] == 0 and counts["in_flight"] == 0:
            break
        counter.clock.advance(2)  # well below the host's auto-reversal of unconfirmed sales
    counts = kiosk.store.outbox_status()["counts"]
    assert counts["pending"] == 0 and counts["in_flight"] == 0 and counts["dead"] == 0

    check_invariants(kiosk.store, counter.host_view, (s.text for s in counter.printer.slips))
