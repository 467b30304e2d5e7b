"""Reprint (a numbered copy through the print barrier, journalled, with the original print time)
and lookup (local state, outbox and the host's live view side by side, also with the host down),
over the real reference host, virtual printer and SQLite store."""

from __future__ import annotations

from datetime import timedelta

import pytest
from helpers.kiosk import Counter

from hostsim import testnumbers as T
from hostsim.faults import Fault
from offline_queue.store import REPRINT_EVENT
from terminal.lookup import InvalidLookup, LookupQuery
from terminal.reprint import REPRINT_FAILED, NothingToReprint, ReprintNotPrinted


def _reprints(counter: Counter, txn: str) -> list[int]:
    assert counter.kiosk is not None
    return [e.data["copies"] for e in counter.kiosk.store.journal(txn) if e.event == REPRINT_EVENT]


def test_every_reprint_is_a_numbered_copy_with_the_original_time(rs_counter: Counter) -> None:
    counter = rs_counter
    kiosk = counter.kiosk
    assert kiosk is not None
    sale = counter.sell("mobile-topup")
    assert sale.state == "confirmed"
    original = counter.printer.slips[-1].text
    assert "KOPIJA" not in original
    counter.clock.advance(600)  # 13:10 in Belgrade; the sale printed at 13:00:00

    first = kiosk.reprints.reprint()  # the last slip
    second = kiosk.reprints.reprint(f"TXN:{sale.txn}")

    assert (first.txn, first.slip_kind, first.copy_number) == (sale.txn, "sale", 1)
    assert second.copy_number == 2
    copies = [s.text for s in counter.printer.slips[-2:]]
    assert copies[0].count("KOPIJA 1") == 2 and copies[1].count("KOPIJA 2") == 2
    for text in copies:
        assert "13:00:00" in text and "13:10:00" not in text
        assert sale.txn in text
    assert _reprints(counter, sale.txn) == [1, 2]
    assert kiosk.store.get(sale.txn).copies == 2
    assert kiosk.store.verify_journal().ok


def test_storno_slips_are_reprinted_too_and_last_slip_follows_the_storno(
    rs_counter: Counter,
) -> None:
    counter = rs_counter
    kiosk = counter.kiosk
    assert kiosk is not None
    older = counter.sell("mobile-topup")
    newer = counter.sell("mobile-topup", amount_minor=10_000, cash_minor=10_000)
    counter.clock.advance(60)
    assert kiosk.stornos.storno(older.txn, reason="wrong_number", clerk="1").ok
    storno_time = kiosk.store.get(older.txn).details["storno"]["printed_at"]
    counter.clock.advance(60)

    copy = kiosk.reprints.reprint()  # the last slip printed is the older sale's storno slip

    assert (copy.txn, copy.slip_kind, copy.copy_number) == (older.txn, "storno", 1)
    assert copy.original_printed_at.isoformat() == storno_time
    text = counter.printer.slips[-1].text
    assert "STORNO" in text and text.count("KOPIJA 1") == 2 and "13:01:00" in text
    sale_copy = kiosk.reprints.reprint(older.txn, slip="sale")
    assert (sale_copy.slip_kind, sale_copy.copy_number) == ("sale", 2)
    assert "KOPIJA 2" in counter.printer.slips[-1].text
    assert kiosk.reprints.reprint(newer.txn).slip_kind == "sale"
    with pytest.raises(NothingToReprint):
        kiosk.reprints.reprint(newer.txn, slip="storno")
    assert kiosk.store.verify_journal().ok


def test_a_copy_that_does_not_print_uses_no_number(rs_counter: Counter) -> None:
    counter = rs_counter
    kiosk = counter.kiosk
    assert kiosk is not None
    sale = counter.sell("mobile-topup")
    counter.printer.paper_out_after(4)
    with pytest.raises(ReprintNotPrinted, match="fix the printer"):
        kiosk.reprints.reprint(sale.txn)
    assert kiosk.store.get(sale.txn).copies == 0
    assert [e.event for e in kiosk.store.journal(sale.txn)][-1] == REPRINT_FAILED
    counter.printer.load_paper()
    counter.printer.clear_faults()
    assert kiosk.reprints.reprint(sale.txn).copy_number == 1
    assert kiosk.store.verify_journal().ok


def test_a_voided_sale_has_no_slip_to_copy(si_counter: Counter) -> None:
    si_counter.printer.paper_out_after(5)
    failed = si_counter.sell("card-topup")
    assert failed.state == "print_failed"
    si_counter.printer.load_paper()
    si_counter.printer.clear_faults()
    assert si_counter.kiosk is not None
    with pytest.raises(NothingToReprint, match="voided"):
        si_counter.kiosk.reprints.reprint(failed.txn)


def test_lookup_shows_paid_but_not_delivered_side_by_side(rs_counter: Counter) -> None:
    counter = rs_counter
    kiosk = counter.kiosk
    assert kiosk is not None
    delivered = counter.sell("mobile-topup")
    kiosk.forwarder.drain(timeout_s=5)
    waiting = counter.sell("mobile-topup", amount_minor=10_000, cash_minor=10_000)

    report = kiosk.lookups.lookup(LookupQuery(phone="064 123 4567"))

    assert report.host_reachable is True
    by_txn = {e.txn: e for e in report.entries}
    assert [e.txn for e in report.entries] == [waiting.txn, delivered.txn]
    ok, late = by_txn[delivered.txn].to_dict(), by_txn[waiting.txn].to_dict()
    assert ok["local"]["state"] == "confirmed" and ok["host"]["state"] == "confirmed"
    assert [(m["kind"], m["state"]) for m in ok["outbox"]] == [("confirm", "delivered")]
    assert "everything was delivered" in ok["verdict"]
    assert late["local"]["state"] == "confirmed" and late["host"]["state"] == "provisioned"
    assert [(m["kind"], m["state"]) for m in late["outbox"]] == [("confirm", "pending")]
    assert "NOT yet delivered" in late["verdict"]

    by_number = kiosk.lookups.lookup(LookupQuery(txn=f"TXN:{waiting.txn}"))
    assert [e.txn for e in by_number.entries] == [waiting.txn]


def test_lookup_while_the_host_is_down_answers_from_the_terminal(rs_counter: Counter) -> None:
    counter = rs_counter
    kiosk = counter.kiosk
    assert kiosk is not None
    first = counter.sell("mobile-topup")
    second = counter.sell("mobile-topup", amount_minor=10_000, cash_minor=10_000)
    counter.host.faults.set(Fault("down"))

    report = kiosk.lookups.lookup(LookupQuery(phone="+381641234567"))

    assert report.host_reachable is False
    assert report.host_note and "cannot be reached" in report.host_note
    assert {e.txn for e in report.entries} == {first.txn, second.txn}
    for entry in report.entries:
        data = entry.to_dict()
        assert data["host"] is None and data["host_note"] == report.host_note
        assert data["local"]["state"] == "confirmed"
        assert [m["state"] for m in data["outbox"]] == ["pending"]


def test_lookup_by_card_last4_and_time_range(si_counter: Counter) -> None:
    counter = si_counter
    kiosk = counter.kiosk
    assert kiosk is not None
    start = counter.clock.now()
    early = counter.sell("card-topup")
    counter.clock.advance(3600)
    late = counter.sell("card-topup", target=T.PREMIUM_CARD)
    later = counter.sell("card-topup")
    last4 = T.ONLINE_CARD[-4:]

    every = kiosk.lookups.lookup(LookupQuery(card_last4=last4))
    assert [e.txn for e in every.entries] == [later.txn, early.txn]
    since = start + timedelta(minutes=30)
    recent = kiosk.lookups.lookup(LookupQuery(card_last4=last4, since=since))
    assert [e.txn for e in recent.entries] == [later.txn]
    before = kiosk.lookups.lookup(LookupQuery(card_last4=last4, until=since))
    assert [e.txn for e in before.entries] == [early.txn]
    window = kiosk.lookups.lookup(LookupQuery(since=since))
    assert [e.txn for e in window.entries] == [later.txn, late.txn]
    with pytest.raises(InvalidLookup, match="one thing at a time"):
        kiosk.lookups.lookup(LookupQuery(card_last4=last4, phone="+381641234567"))
    with pytest.raises(InvalidLookup):
        kiosk.lookups.lookup(LookupQuery())
