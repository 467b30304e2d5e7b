"""Storno at the counter, over the real reference host, the virtual printer and a SQLite store:
slip first, inside the window, at the selling terminal only, in order after the sale's advice,
and with the operator's MTS semantics (storno debt collected from later top-ups)."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

import pytest
import requests
from helpers.invariants import check_invariants
from helpers.kiosk import Counter

from hostsim import testnumbers as T
from hostsim.faults import Fault
from hostsim.messages import list_messages
from offline_queue import states
from terminal.storno import (
    ClerkRequired,
    InvalidStornoReason,
    InvalidTransactionNumber,
    StornoRefused,
    parse_txn,
)

SUBSCRIBER_URL = "/admin/subscribers/%2B381641234567"


def _admin(counter: Counter, method: str, path: str, body: Any = None) -> Any:
    response = requests.request(method, counter.host.url + path, json=body, timeout=5)
    assert response.status_code == 200, response.text
    return response.json()


def _account(counter: Counter) -> tuple[int, int]:
    data = _admin(counter, "GET", SUBSCRIBER_URL)
    return int(data["balance_minor"]), int(data["debt_minor"])


def _drain(counter: Counter) -> None:
    assert counter.kiosk is not None
    counter.kiosk.forwarder.drain(timeout_s=5)


def _host_state(counter: Counter, txn: str) -> str | None:
    view = counter.host_view(txn)
    return None if view is None else str(view["state"])


def _sold(counter: Counter, product: str = "mobile-topup", **overrides: Any) -> str:
    result = counter.sell(product, **overrides)
    assert result.state == "confirmed", result.reason
    _drain(counter)
    return result.txn


def _messages(counter: Counter, kind: str) -> list[str]:
    return [
        m.text
        for m in list_messages(counter.host.store, target=T.SUBSCRIBER, language="en")
        if m.kind == kind
    ]


def _drawer_openings(counter: Counter, txn: str) -> int:
    """How often the terminal opened the drawer for ``txn`` (its journal)."""
    assert counter.kiosk is not None
    return sum(1 for e in counter.kiosk.store.journal(txn) if e.event == "drawer_opened")


def _shut_drawer(counter: Counter) -> None:
    """Push the drawer shut after the pulse of the sale before it, never before that pulse.

    DLE EOT is answered as soon as it arrives, so its answer proves that every byte sent before
    it (the drawer pulse) has arrived; ``wait_idle`` then waits until those were executed.
    Closing earlier let a late pulse open the drawer again (a flaky test, not a kiosk fault).
    """
    assert counter.kiosk is not None
    counter.kiosk.printer.status()
    assert counter.printer.wait_idle()
    counter.printer.close_drawer()
    assert not counter.kiosk.printer.status().drawer_open


def _drawer_opened(counter: Counter) -> bool:
    """The virtual printer's drawer sensor, once the pulse was executed, read back through a real
    status request (DLE EOT)."""
    assert counter.kiosk is not None
    return counter.printer.wait_for(lambda: counter.printer.drawer_open, 2.0) and bool(
        counter.kiosk.printer.status().drawer_open
    )


def test_transaction_number_is_typed_or_scanned() -> None:
    assert parse_txn("12345000000001") == "12345000000001"
    assert parse_txn("TXN:12345000000001") == "12345000000001"
    assert parse_txn(" txn:12345 000000001 ") == "12345000000001"
    for bad in ("1234500000001", "TXN:", "CARD:4000000000000010", "12345-00000000-1"):
        with pytest.raises(InvalidTransactionNumber):
            parse_txn(bad)


def test_storno_inside_the_window_follows_mts_debt_rules(rs_counter: Counter) -> None:
    """500 DIN topped up, 421 spent, storno: 79 taken back, 421 debt; the next top-up of 300
    pays 300 of it, the one after the remaining 121 (each announced to the subscriber)."""
    counter = rs_counter
    kiosk = counter.kiosk
    assert kiosk is not None
    txn = _sold(counter)
    assert _account(counter) == (50_000, 0)
    _admin(counter, "POST", f"{SUBSCRIBER_URL}/spend", {"amount_minor": 42_100})
    _shut_drawer(counter)
    counter.clock.advance(120)

    outcome = kiosk.stornos.storno(f"TXN:{txn}", reason="wrong_number", clerk="clerk-7")

    assert outcome.ok and outcome.state == "stornoed"
    assert outcome.host_check == "approved"
    assert outcome.refund_minor == 50_000
    record = kiosk.store.get(txn)
    assert record.state == states.STORNOED
    assert record.details["storno"]["clerk"] == "clerk-7"
    # the storno slip printed, in Serbian, naming the original and the reason; drawer opened
    slip = counter.printer.slips[-1]
    assert "STORNO" in slip.text and txn in slip.text
    assert "Pogrešan broj telefona" in slip.text
    assert "odbijen" in slip.text or "deducted" in slip.text or "oduzet" in slip.text
    assert _drawer_opened(counter) and _drawer_openings(counter, txn) == 2
    journal = [e for e in kiosk.store.journal(txn) if e.event == "state:stornoed"]
    assert journal and journal[0].data["data"]["clerk"] == "clerk-7"
    # the host holds it pending until the advice; only the advice undoes the top-up
    assert _host_state(counter, txn) == "storno_pending"
    assert _account(counter) == (7_900, 0)
    _drain(counter)
    assert _host_state(counter, txn) == "stornoed"
    assert _account(counter) == (0, 42_100)
    assert _messages(counter, "storno") == [
        f"Storno of transaction {txn} for 500 DIN started; if you spent part of it, that part "
        "is deducted from your next top-up."
    ]

    _sold(counter, amount_minor=30_000, cash_minor=30_000)
    assert _account(counter) == (0, 12_100)
    _sold(counter, amount_minor=50_000, cash_minor=50_000)
    assert _account(counter) == (37_900, 0)
    debts = _messages(counter, "debt_collected")
    assert len(debts) == 2
    assert "300 DIN" in debts[0] and "121 DIN" in debts[1]
    assert [m.kind for m in kiosk.store.outbox_for(txn)] == [states.CONFIRM, states.STORNO]
    assert kiosk.store.verify_journal().ok


def test_window_end_is_inside_one_second_later_is_refused(rs_counter: Counter) -> None:
    counter = rs_counter
    kiosk = counter.kiosk
    assert kiosk is not None
    at_end = _sold(counter)
    too_late = _sold(counter, amount_minor=10_000, cash_minor=10_000)
    counter.clock.advance(300)
    assert kiosk.stornos.storno(at_end, reason="wrong_amount", clerk="1").ok
    assert _drawer_opened(counter)
    _shut_drawer(counter)
    slips = len(counter.printer.slips)
    counter.clock.advance(1)

    with pytest.raises(StornoRefused) as refused:
        kiosk.stornos.storno(too_late, reason="wrong_amount", clerk="1")

    assert refused.value.code == "storno_window_closed"
    assert "The sale stands" in str(refused.value)
    assert kiosk.store.get(too_late).state == states.CONFIRMED
    assert len(counter.printer.slips) == slips
    assert not kiosk.printer.status().drawer_open and _drawer_openings(counter, too_late) == 1
    _drain(counter)
    assert _host_state(counter, at_end) == "stornoed"
    assert _host_state(counter, too_late) == "confirmed"


def test_storno_of_another_terminal_and_a_second_storno_are_refused(rs_counter: Counter) -> None:
    kiosk = rs_counter.kiosk
    assert kiosk is not None
    txn = _sold(rs_counter)
    with pytest.raises(StornoRefused) as other:
        kiosk.stornos.storno("54321" + txn[5:], reason="wrong_number", clerk="1")
    assert other.value.code == "wrong_terminal"
    assert "only possible at the counter where the sale was made" in str(other.value)

    assert kiosk.stornos.storno(txn, reason="wrong_number", clerk="1").ok
    assert _drawer_opened(rs_counter)
    _shut_drawer(rs_counter)
    with pytest.raises(StornoRefused) as again:
        kiosk.stornos.storno(txn, reason="wrong_number", clerk="1")
    assert again.value.code == "already_stornoed"
    assert not kiosk.printer.status().drawer_open and _drawer_openings(rs_counter, txn) == 2
    assert [m.kind for m in kiosk.store.outbox_for(txn)] == [states.CONFIRM, states.STORNO]


def test_bad_reason_or_missing_clerk_changes_nothing(rs_counter: Counter) -> None:
    kiosk = rs_counter.kiosk
    assert kiosk is not None
    txn = _sold(rs_counter)
    with pytest.raises(InvalidStornoReason):
        kiosk.stornos.storno(txn, reason="changed_mind", clerk="1")
    with pytest.raises(ClerkRequired):
        kiosk.stornos.storno(txn, reason="wrong_number", clerk=" ")
    assert kiosk.store.get(txn).state == states.CONFIRMED
    assert _host_state(rs_counter, txn) == "confirmed"


def test_host_refusal_reaches_the_clerk_and_the_sale_stands(si_counter: Counter) -> None:
    """The card's credit was spent elsewhere: the issuer cannot take it back."""
    counter = si_counter
    kiosk = counter.kiosk
    assert kiosk is not None
    txn = _sold(counter, "card-topup")
    with counter.host.store.transaction():
        counter.host.store.execute(
            "UPDATE cards SET balance_minor = 0 WHERE card_number = ?", (T.ONLINE_CARD,)
        )
    _shut_drawer(counter)
    slips = len(counter.printer.slips)

    with pytest.raises(StornoRefused) as refused:
        kiosk.stornos.storno(txn, reason="customer_request", clerk="4")

    assert refused.value.code == "card_balance_spent"
    assert "spent" in str(refused.value) and "do not pay anything back" in str(refused.value)
    record = kiosk.store.get(txn)
    assert record.state == states.CONFIRMED
    assert record.details["storno"]["outcome"] == "refused"
    assert len(counter.printer.slips) == slips
    assert not kiosk.printer.status().drawer_open and _drawer_openings(counter, txn) == 1
    assert [m.kind for m in kiosk.store.outbox_for(txn)] == [states.CONFIRM]
    assert _host_state(counter, txn) == "confirmed"


def test_storno_slip_that_fails_to_print_is_not_done_and_not_kept_by_the_host(
    rs_counter: Counter,
) -> None:
    counter = rs_counter
    kiosk = counter.kiosk
    assert kiosk is not None
    txn = _sold(counter)
    _shut_drawer(counter)
    counter.printer.paper_out_after(4)

    outcome = kiosk.stornos.storno(txn, reason="wrong_number", clerk="2")

    assert outcome.state == "print_failed" and not outcome.ok
    assert "NOT done" in outcome.instruction and "do not pay anything back" in outcome.instruction
    record = kiosk.store.get(txn)
    assert record.state == states.CONFIRMED
    assert [m.kind for m in kiosk.store.outbox_for(txn)] == [states.CONFIRM]
    assert not counter.printer.drawer_open and _drawer_openings(counter, txn) == 1
    # the host approved the request, but nothing is undone without the advice ...
    assert _host_state(counter, txn) == "storno_pending"
    assert _account(counter) == (50_000, 0)
    # ... and the pending storno lapses: the host does not keep a storno without a slip
    counter.clock.advance(121)
    _admin(counter, "POST", "/admin/sweep")
    assert _host_state(counter, txn) == "confirmed"
    assert _account(counter) == (50_000, 0)
    assert _messages(counter, "storno") == []
    assert kiosk.store.verify_journal().ok


def test_retry_after_a_failed_storno_slip_reuses_the_pending_approval(rs_counter: Counter) -> None:
    counter = rs_counter
    kiosk = counter.kiosk
    assert kiosk is not None
    txn = _sold(counter)
    counter.printer.paper_out_after(4)
    failed = kiosk.stornos.storno(txn, reason="wrong_number", clerk="2")
    assert failed.state == "print_failed"
    counter.printer.load_paper()
    counter.printer.clear_faults()
    assert _host_state(counter, txn) == "storno_pending"

    retried = kiosk.stornos.storno(txn, reason="wrong_number", clerk="2")

    assert retried.ok and retried.host_check == "approved"
    _drain(counter)
    assert _host_state(counter, txn) == "stornoed"
    assert _account(counter) == (0, 0)


def test_storno_while_the_host_is_down_follows_the_confirm_when_it_returns(
    rs_counter: Counter,
) -> None:
    counter = rs_counter
    kiosk = counter.kiosk
    assert kiosk is not None
    sale = counter.sell("mobile-topup")  # online; its confirm is still in the outbox
    assert sale.state == "confirmed"
    counter.host.faults.set(Fault("down"))

    outcome = kiosk.stornos.storno(sale.txn, reason="wrong_amount", clerk="3")

    assert outcome.ok and outcome.host_check == "unchecked"
    assert _drawer_openings(counter, sale.txn) == 2  # the sale's and the storno's
    outbox = kiosk.store.outbox_for(sale.txn)
    assert [(m.kind, m.state) for m in outbox] == [
        (states.CONFIRM, "pending"),
        (states.STORNO, "pending"),
    ]
    # the store never hands out the storno while the confirm is undelivered
    claimed = kiosk.store.claim_due(limit=10, lease_s=30)
    assert [m.kind for m in claimed] == [states.CONFIRM]
    kiosk.store.mark_retry(claimed[0].message_id, error="test", delay_s=0)

    counter.host.faults.clear()
    _drain(counter)
    assert [m.state for m in kiosk.store.outbox_for(sale.txn)] == ["delivered", "delivered"]
    view = counter.host_view(sale.txn)
    assert view is not None and view["state"] == "stornoed"
    events = [e["event"] for e in view["events"]]
    assert events.index("confirmed") < events.index("stornoed")
    confirmed = next(e for e in view["events"] if e["event"] == "confirmed")
    assert confirmed["detail"] == "confirm"  # by the confirm advice, not by a storno request
    assert _account(counter) == (0, 0)
    check_invariants_stornoed(counter)


def check_invariants_stornoed(counter: Counter) -> None:
    assert counter.kiosk is not None
    store = counter.kiosk.store
    for record in store.list_transactions():
        assert record.state == states.STORNOED
        assert [m.state for m in store.outbox_for(record.txn)] == ["delivered", "delivered"]
        assert _host_state(counter, record.txn) == "stornoed"
    assert store.verify_journal().ok


def test_storno_decided_offline_is_applied_when_its_advice_arrives_late(
    rs_counter: Counter,
) -> None:
    """The terminal says when its storno slip printed; the host checks the window against that
    time, so an advice that arrives an hour late is still applied."""
    counter = rs_counter
    kiosk = counter.kiosk
    assert kiosk is not None
    txn = _sold(counter)
    counter.host.faults.set(Fault("down"))
    counter.clock.advance(299)
    assert kiosk.stornos.storno(txn, reason="wrong_amount", clerk="3").ok
    counter.clock.advance(3600)  # the host is back an hour later
    counter.host.faults.clear()
    _drain(counter)
    assert _host_state(counter, txn) == "stornoed"
    check_invariants_stornoed(counter)


def test_benefit_payment_cancels_until_the_end_of_the_local_day(fi_counter: Counter) -> None:
    counter = fi_counter
    kiosk = counter.kiosk
    assert kiosk is not None
    # 23:00 in Helsinki (UTC+2 in November)
    counter.clock.set_wall(datetime(2026, 11, 22, 21, 0, 0, tzinfo=UTC))
    same_day = _sold(counter, "benefit-payment")
    next_day = _sold(counter, "benefit-payment")
    counter.clock.advance(3599)  # 23:59:59 local

    assert kiosk.stornos.storno(same_day, reason="customer_request", clerk="9").ok
    counter.clock.advance(1)  # midnight in Helsinki
    with pytest.raises(StornoRefused) as refused:
        kiosk.stornos.storno(next_day, reason="customer_request", clerk="9")

    assert refused.value.code == "storno_window_closed"
    assert "day it was made" in str(refused.value)
    slip = counter.printer.slips[-1]
    assert "PERUUTUS" in slip.text and same_day in slip.text  # the slip speaks Finnish
    _drain(counter)
    assert _host_state(counter, same_day) == "stornoed"
    assert _host_state(counter, next_day) == "confirmed"
    assert kiosk.store.verify_journal().ok


def test_invariants_hold_after_a_mix_of_sales_and_stornos(rs_counter: Counter) -> None:
    counter = rs_counter
    kiosk = counter.kiosk
    assert kiosk is not None
    kept = _sold(counter)
    gone = _sold(counter, amount_minor=10_000, cash_minor=10_000)
    assert kiosk.stornos.storno(gone, reason="wrong_amount", clerk="5").ok
    _drain(counter)
    assert _host_state(counter, kept) == "confirmed"
    check_invariants(kiosk.store, counter.host_view, [s.text for s in counter.printer.slips])
