"""X and Z reports over real sales (reference host, virtual printer, SQLite store): counts per
product, stornos, failures and voids, cash in the drawer; a Z is numbered only once its slip
printed, and a Z whose slip failed leaves the period open."""

from __future__ import annotations

from datetime import timedelta

import pytest
from helpers.kiosk import Counter

from hostsim.faults import Fault
from offline_queue.store import Z_REPORT_EVENT
from terminal.clerks import Role
from terminal.kiosk import Kiosk
from terminal.reports import (
    X_REPORT_EVENT,
    Z_NOT_PRINTED_EVENT,
    InvalidReportKind,
    ReportNotAllowed,
    ReportOutcome,
)


def _kiosk(counter: Counter) -> Kiosk:
    assert counter.kiosk is not None
    return counter.kiosk


def _staff(kiosk: Kiosk) -> None:
    kiosk.clerks.add("1", "Ana", "1111", Role.SUPERVISOR)
    kiosk.clerks.add("2", "Bor", "2222", Role.CLERK)


def _lines(outcome: ReportOutcome) -> list[tuple[str, str, int, int]]:
    return [(x.product, x.currency, x.count, x.total_minor) for x in outcome.lines]


def _cash(outcome: ReportOutcome) -> list[tuple[str, int]]:
    return [(c.currency, c.total_minor) for c in outcome.cash_in_drawer]


def test_x_report_counts_sales_stornos_failures_voids_and_cash(si_counter: Counter) -> None:
    counter = si_counter
    kiosk = _kiosk(counter)
    big = counter.sell("card-topup")  # 150.00 + 3.00 fees
    card = counter.sell("card-sale")  # 50.00 + 5.00 fees
    small = counter.sell("card-topup", amount_minor=10_000, cash_minor=11_000)  # 100 + 2
    assert (big.total_minor, card.total_minor, small.total_minor) == (15_300, 5_500, 10_200)
    assert all(s.state == "confirmed" for s in (big, card, small))
    counter.clock.advance(60)
    assert kiosk.stornos.storno(small.txn, reason="wrong_amount", clerk="2").ok

    counter.printer.paper_out_after(5)  # the slip stops half-way: the sale is voided
    assert counter.sell("card-topup").state == "print_failed"
    counter.printer.load_paper()
    counter.host.faults.set(Fault("reset", path_prefix="/v1/provision", phase="after", count=1))
    assert counter.sell("card-topup").state == "failed"  # outcome unknown: reversed
    declined_before = len(counter.printer.slips)

    report = kiosk.reports.x_report(clerk="2")

    assert (report.kind, report.printed, report.code, report.z_number) == (
        "X",
        True,
        "printed",
        None,
    )
    # the stornoed sale still counts as sold in its period; its storno is listed apart
    assert _lines(report) == [("card-topup", "EUR", 2, 25_500), ("card-sale", "EUR", 1, 5_500)]
    assert [(s.currency, s.count, s.total_minor) for s in report.stornos] == [("EUR", 1, 10_200)]
    assert (report.failed_count, report.voided_count) == (1, 1)
    assert _cash(report) == [("EUR", 25_500 + 5_500 - 10_200)]
    assert kiosk.reports.cash_in_drawer() == {"EUR": 20_800}
    assert report.period_from <= kiosk.store.get(big.txn).created_at
    assert report.period_to == counter.clock.now()

    printed = counter.printer.slips[-1].text
    assert len(counter.printer.slips) > declined_before
    assert "X POROČILO" in printed and "208,00" in printed
    assert "X POROČILO" in report.slip_text and "208,00" in report.slip_text
    assert "stays open" in report.message
    events = [e for e in kiosk.store.journal() if e.event == X_REPORT_EVENT]
    assert [(e.data["clerk"], e.data["printed"]) for e in events] == [("2", True)]
    assert kiosk.store.last_z() is None  # an X closes nothing


def test_z_closes_the_period_and_numbers_run_from_one(si_counter: Counter) -> None:
    counter = si_counter
    kiosk = _kiosk(counter)
    _staff(kiosk)
    first = counter.sell("card-topup")
    counter.clock.advance(30)

    z1 = kiosk.reports.z_report(clerk="1", signed_in=True)
    assert (z1.kind, z1.printed, z1.code, z1.z_number) == ("Z", True, "printed", 1)
    assert _lines(z1) == [("card-topup", "EUR", 1, first.total_minor)]
    assert "Z POROČILO" in counter.printer.slips[-1].text
    assert "Št. 1" in counter.printer.slips[-1].text
    assert "No. 1" in z1.message and "closed" in z1.message

    counter.clock.advance(30)
    after = kiosk.reports.preview("X")
    assert after.period_from == z1.period_to and after.lines == ()
    assert _cash(after) == [("EUR", 0)]

    second = counter.sell("card-sale")
    z2 = kiosk.reports.z_report(clerk="1", signed_in=True)
    assert z2.z_number == 2 and _lines(z2) == [("card-sale", "EUR", 1, second.total_minor)]
    assert z2.period_from == z1.period_to

    kept = kiosk.store.z_reports()
    assert [(z.z_number, z.clerk) for z in kept] == [(2, "1"), (1, "1")]
    assert kept[1].figures["sales"] == [
        {"product": "card-topup", "currency": "EUR", "count": 1, "total_minor": 15_300}
    ]
    assert [e.data["z_number"] for e in kiosk.store.journal() if e.event == Z_REPORT_EVENT] == [
        1,
        2,
    ]
    assert kiosk.store.verify_journal().ok


def test_only_an_active_supervisor_may_print_a_z(si_counter: Counter) -> None:
    kiosk = _kiosk(si_counter)
    _staff(kiosk)
    slips = len(si_counter.printer.slips)
    for who in ("2", "99", "api", ""):
        with pytest.raises(ReportNotAllowed) as refused:
            kiosk.reports.z_report(clerk=who, signed_in=True)
        assert refused.value.code == "supervisor_required"
    kiosk.clerks.add("3", "Cvetka", "3333", Role.SUPERVISOR)
    kiosk.clerks.deactivate("1")
    with pytest.raises(ReportNotAllowed):
        kiosk.reports.z_report(clerk="1", signed_in=True)
    assert len(si_counter.printer.slips) == slips and kiosk.store.last_z() is None
    assert kiosk.reports.z_report(clerk="3", signed_in=True).z_number == 1


def test_a_z_whose_slip_failed_prints_the_same_z_again_never_another(
    si_counter: Counter,
) -> None:
    """Slip first (issue 14): the Z's number and figures are kept before its slip prints; a
    failed print leaves it pending and the next Z prints exactly that slip again."""
    counter = si_counter
    kiosk = _kiosk(counter)
    _staff(kiosk)
    sale = counter.sell("card-topup")

    counter.printer.paper_out_after(3)  # half a Z slip, then no paper
    failed = kiosk.reports.z_report(clerk="1", signed_in=True)
    assert (failed.printed, failed.code, failed.z_number) == (False, "not_printed", None)
    assert "No. 1 did not print" in failed.message and "same Z prints again" in failed.message
    assert failed.error is not None and "paper ran out" in failed.error
    assert failed.to_dict()["error"] == failed.error
    assert _lines(failed) == [("card-topup", "EUR", 1, sale.total_minor)]
    assert kiosk.store.last_z() is None
    assert kiosk.store.pending_z() is not None
    not_printed = [e.data for e in kiosk.store.journal() if e.event == Z_NOT_PRINTED_EVENT]
    assert [(d["clerk"], d["z_number"]) for d in not_printed] == [("1", 1)]

    counter.printer.load_paper()
    counter.clock.advance(60)
    later = counter.sell("card-topup")  # after the Z's figures were fixed: the next period
    again = kiosk.reports.z_report(clerk="1", signed_in=True)
    assert (again.printed, again.z_number) == (True, 1)
    assert again.slip_text == failed.slip_text  # the same slip, not a new one under No. 1
    assert kiosk.store.pending_z() is None
    doc = kiosk.reports.z_from_journal(1)
    assert doc is not None
    next_period = kiosk.reports.preview("Z")
    assert next_period.z_number is None or next_period.z_number == 2
    assert _lines(next_period) == [("card-topup", "EUR", 1, later.total_minor)]


def test_a_storno_after_the_z_counts_in_the_next_period(si_counter: Counter) -> None:
    counter = si_counter
    kiosk = _kiosk(counter)
    _staff(kiosk)
    sale = counter.sell("card-topup")
    assert kiosk.reports.z_report(clerk="1", signed_in=True).z_number == 1
    counter.clock.advance(120)  # still inside the 5-minute storno window
    assert kiosk.stornos.storno(sale.txn, reason="wrong_number", clerk="2").ok

    now = kiosk.reports.preview()
    assert now.lines == ()
    assert [(s.count, s.total_minor) for s in now.stornos] == [(1, sale.total_minor)]
    # the money went back out of this period's drawer
    assert kiosk.reports.cash_in_drawer() == {"EUR": -sale.total_minor}


def test_preview_prints_nothing_and_names_the_next_z(si_counter: Counter) -> None:
    counter = si_counter
    kiosk = _kiosk(counter)
    _staff(kiosk)
    counter.sell("card-sale")
    slips = len(counter.printer.slips)
    counter.clock.advance(timedelta(minutes=5).total_seconds())

    x = kiosk.reports.preview()
    z = kiosk.reports.preview("z")
    assert (x.code, x.printed, z.kind, z.z_number) == ("preview", False, "Z", 1)
    assert "Št. 1" in z.slip_text and "X POROČILO" in x.slip_text
    assert len(counter.printer.slips) == slips and kiosk.store.last_z() is None
    assert x.to_dict()["lines"][0]["product_name"] == "Nakup kartice Simple"
    with pytest.raises(InvalidReportKind):
        kiosk.reports.preview("Q")
