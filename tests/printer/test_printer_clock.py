"""The printer's waits run on the one injectable clock (``foundation.clock``), not on its own.

A clock that has already run past every deadline makes a status query give up before reading,
even from a printer that answers at once: proof that the deadline is measured on the clock the
printer was given. With the machine's clock the same printer answers and is ready.
"""

from __future__ import annotations

import threading

from drivers.printer.network import NetworkPrinter
from drivers.virtual_printer import VirtualPrinter
from foundation.clock import SystemClock


class LeapingClock:
    """Monotonic seconds that leap an hour at every reading: every deadline is already past."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._now = 1000.0
        self.readings = 0

    def monotonic(self) -> float:
        with self._lock:
            self.readings += 1
            self._now += 3600.0
            return self._now


def test_status_deadlines_are_measured_on_the_printers_clock(vprinter: VirtualPrinter) -> None:
    clock = LeapingClock()
    printer = NetworkPrinter("127.0.0.1", vprinter.port, clock=clock)
    try:
        status = printer.status()
    finally:
        printer.close()
    assert clock.readings > 0
    assert not status.can_print
    assert "no answer to status query 1" in status.detail


def test_the_same_printer_answers_on_the_machines_clock(vprinter: VirtualPrinter) -> None:
    printer = NetworkPrinter("127.0.0.1", vprinter.port, clock=SystemClock())
    try:
        status = printer.status()
    finally:
        printer.close()
    assert status.can_print, status.detail
