"""Clerk controls (issue 14, item 8): sales through the API and CLI name an active clerk or
``api``; a Z from the API or CLI needs the supervisor's PIN; X, Z and ``kiosk cash`` break
the figures down per clerk."""

from __future__ import annotations

import pytest
from helpers.kiosk import Counter

from terminal.clerks import Role, UnknownClerk
from terminal.reports import PinRequired


def test_sales_name_an_active_clerk_or_api(si_counter: Counter) -> None:
    kiosk = si_counter.kiosk
    assert kiosk is not None
    kiosk.clerks.add("1", "Ana", "1111", Role.SUPERVISOR)
    kiosk.clerks.add("2", "Bor", "2222", Role.CLERK)
    kiosk.clerks.deactivate("2", by="1")
    assert kiosk.clerks.sale_clerk(None) == "api"
    assert kiosk.clerks.sale_clerk(" ") == "api"
    assert kiosk.clerks.sale_clerk("1") == "1"
    for nobody in ("71", "2", "abc"):
        with pytest.raises(UnknownClerk, match="No active clerk"):
            kiosk.clerks.sale_clerk(nobody)


def test_a_z_without_the_pin_closes_nothing(si_counter: Counter) -> None:
    kiosk = si_counter.kiosk
    assert kiosk is not None
    kiosk.clerks.add("71", "Ana", "1111", Role.SUPERVISOR)
    with pytest.raises(PinRequired):
        kiosk.reports.z_report(clerk="71")
    assert kiosk.store.last_z() is None and kiosk.store.pending_z() is None
    assert kiosk.reports.z_report(clerk="71", pin="1111").z_number == 1


def test_x_z_and_cash_break_the_figures_down_per_clerk(si_counter: Counter) -> None:
    counter = si_counter
    kiosk = counter.kiosk
    assert kiosk is not None
    kiosk.clerks.add("1", "Ana", "1111", Role.SUPERVISOR)
    kiosk.clerks.add("2", "Bor", "2222", Role.CLERK)
    by_ana = counter.sell("card-topup", clerk="1")
    by_bor = counter.sell("card-sale", clerk="2")
    by_till = counter.sell("card-sale", clerk="api")  # the till, as the API records it
    kiosk.stornos.storno(by_bor.txn, reason="wrong_amount", clerk="1")  # Ana paid it back

    cash = kiosk.reports.cash_summary()
    rows = {(c["clerk"], c["currency"]): c for c in cash["by_clerk"]}
    assert rows[("1", "EUR")]["sales_minor"] == by_ana.total_minor
    assert rows[("1", "EUR")]["stornos_minor"] == by_bor.total_minor
    assert rows[("1", "EUR")]["cash_minor"] == by_ana.total_minor - by_bor.total_minor
    assert rows[("2", "EUR")]["cash_minor"] == by_bor.total_minor
    assert rows[("api", "EUR")]["sales_count"] == 1
    assert sum(r["cash_minor"] for r in rows.values()) == cash["cash_in_drawer"]["EUR"]
    del by_till

    x = kiosk.reports.x_report(clerk="2")
    assert {c.clerk for c in x.by_clerk} == {"1", "2", "api"}
    assert "Blagajnik 1" in x.slip_text and "Blagajnik api" in x.slip_text
    z = kiosk.reports.z_report(clerk="1", pin="1111")
    assert z.printed and [vars(c) for c in z.by_clerk] == [vars(c) for c in x.by_clerk]
    closed = kiosk.store.last_z()
    assert closed is not None and closed.figures["by_clerk"] == [vars(c) for c in z.by_clerk]
