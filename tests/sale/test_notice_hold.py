"""One failure notice per failed transaction, even when the printer holds a job through a
fault and prints it when the fault clears (issue 14, item 6).

The virtual printer in hold-and-print-later mode keeps a job cut off by paper out and prints
it when paper is loaded, as real printers do. The terminal clears the printer's buffer (ESC/POS
real-time ``DLE DC4 8``) when it gives up on a job, so the held job never prints beside the one
sent again.
"""

from __future__ import annotations

import pytest
from helpers.kiosk import Counter

from drivers.errors import PrinterError
from offline_queue import states
from printer_templates.render import render_slip
from printer_templates.samples import sample_context
from terminal.counter import NOTICE_OWED, NOTICE_PRINTED


def _slips_of(counter: Counter, txn: str) -> list[str]:
    return [s.text for s in counter.printer.slips if txn in s.text]


def test_a_fault_during_a_notice_gives_exactly_one_notice(si_counter: Counter) -> None:
    counter = si_counter
    kiosk = counter.kiosk
    assert kiosk is not None
    printer = counter.printer
    printer.hold_jobs(True)

    # the sale slip runs out of paper: the printer holds it; the terminal gives up, clears it
    printer.paper_out_after(4)
    result = counter.sell("card-topup")
    assert result.state == "print_failed"
    record = kiosk.store.get(result.txn)
    assert record.state == states.VOIDED
    events = [e.event for e in kiosk.store.journal(result.txn)]
    assert "printer_buffer_cleared" in events
    assert events.count(NOTICE_OWED) == 1  # no paper: the notice is owed

    # paper in, and it runs out again halfway through the owed notice: held, then cleared
    printer.load_paper()
    assert printer.wait_idle(timeout=10)
    assert _slips_of(counter, result.txn) == []  # the held sale slip was thrown away
    printer.paper_out_after(3)
    assert kiosk.counter.print_owed_notices() == 0
    assert [e.event for e in kiosk.store.journal(result.txn)].count(NOTICE_OWED) == 2
    assert printer.cleared_jobs >= 2

    # the fault clears: the held notice does not print by itself ...
    printer.load_paper()
    assert printer.wait_idle(timeout=10)
    assert _slips_of(counter, result.txn) == []
    # ... and the owed one prints once
    assert kiosk.counter.print_owed_notices() == 1
    assert printer.wait_idle(timeout=10)
    notices = _slips_of(counter, result.txn)
    assert len(notices) == 1, notices
    assert [e.event for e in kiosk.store.journal(result.txn)].count(NOTICE_PRINTED) == 1
    assert kiosk.counter.print_owed_notices() == 0  # nothing more is owed
    assert len(_slips_of(counter, result.txn)) == 1


def test_without_the_clear_the_held_job_would_print_later(si_counter: Counter) -> None:
    """The virtual printer really holds and prints: the mode the test above relies on."""
    counter = si_counter
    kiosk = counter.kiosk
    assert kiosk is not None
    printer = counter.printer
    printer.hold_jobs(True)
    printer.paper_out_after(4)
    page = render_slip("test_page", sample_context("test_page"), language="en")
    before = len(printer.slips)
    with pytest.raises(PrinterError):  # the job is held: no proof within its deadline
        kiosk.printer.print_slip(page)
    printer.load_paper()
    assert printer.wait_for_slips(before + 1, timeout=10)  # the held job printed after all
