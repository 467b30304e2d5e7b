"""What a sale does when the printer or the host fails: never confirm what did not print, never
keep what the host may have half-done, and tell the clerk what to do with the cash."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from helpers.kiosk import Counter, start_counter, stop_counter

from hostsim import testnumbers as T
from hostsim.faults import Fault
from hostsim.server import HostServer
from offline_queue import states
from terminal.counter import NOTICE_OWED, NOTICE_PRINTED, PrinterNotReady


def _outbox_kinds(counter: Counter, txn: str) -> list[str]:
    assert counter.kiosk is not None
    return [m.kind for m in counter.kiosk.store.outbox_for(txn)]


def _host_state(counter: Counter, txn: str) -> str | None:
    view = counter.host_view(txn)
    return None if view is None else str(view["state"])


def test_paper_out_before_the_sale_refuses_it_and_records_nothing(si_counter: Counter) -> None:
    si_counter.printer.paper_out()
    with pytest.raises(PrinterNotReady, match="Nothing was charged"):
        si_counter.sell("card-topup")
    assert si_counter.kiosk is not None
    assert si_counter.kiosk.store.list_transactions() == []


@pytest.mark.parametrize("fault", ["paper_out_mid_slip", "silent", "drop_connection"])
def test_slip_not_proven_voids_the_sale_and_tells_the_host(si_counter: Counter, fault: str) -> None:
    printer = si_counter.printer
    assert si_counter.kiosk is not None
    if fault == "paper_out_mid_slip":
        printer.paper_out_after(5)
    elif fault == "silent":
        # the printer answered the status check, then falls silent while the host works
        real_provision = si_counter.kiosk.sales.host.provision

        def provision_then_silence(request):  # type: ignore[no-untyped-def]
            answer = real_provision(request)
            printer.silent(True)
            return answer

        si_counter.kiosk.sales.host = type(
            "Host", (), {"provision": staticmethod(provision_then_silence)}
        )()
    else:
        printer.drop_connection_after(200)

    result = si_counter.sell("card-topup")

    assert result.state == "print_failed"
    assert "do not take money" in result.instruction.lower()
    assert si_counter.kiosk is not None
    record = si_counter.kiosk.store.get(result.txn)
    assert record.state == states.VOIDED
    assert _outbox_kinds(si_counter, result.txn) == [states.VOID]
    # no complete sale slip (it would carry the authorisation); a failure notice may follow
    assert record.auth_code and not any(record.auth_code in slip.text for slip in printer.slips)
    printer.silent(False)

    # the host reserved it, then the void advice releases it; it is never confirmed
    assert _host_state(si_counter, result.txn) == "provisioned"
    si_counter.kiosk.forwarder.drain(timeout_s=5)
    assert _host_state(si_counter, result.txn) == "voided"


def test_failure_notice_is_owed_until_the_printer_can_print_it(si_counter: Counter) -> None:
    printer = si_counter.printer
    printer.paper_out_after(5)
    failed = si_counter.sell("card-topup")
    assert failed.state == "print_failed"
    assert si_counter.kiosk is not None
    events = [e.event for e in si_counter.kiosk.store.journal(failed.txn)]
    assert events[-1] == NOTICE_OWED

    printer.load_paper()
    printer.clear_faults()
    ok = si_counter.sell("card-topup")  # the next sale first pays what is owed
    assert ok.state == "confirmed"
    events = [e.event for e in si_counter.kiosk.store.journal(failed.txn)]
    assert events[-1] == NOTICE_PRINTED
    notices = [s for s in printer.slips if failed.txn in s.text]
    assert len(notices) == 1
    assert si_counter.kiosk.store.verify_journal().ok


def test_lost_answer_after_the_host_provisioned_is_reversed(si_counter: Counter) -> None:
    # the host does the provision, then the connection is reset before the answer arrives
    si_counter.host.faults.set(Fault("reset", path_prefix="/v1/provision", phase="after", count=1))
    result = si_counter.sell("card-topup")
    assert result.state == "failed"
    assert "do not take money" in result.instruction.lower()
    assert _outbox_kinds(si_counter, result.txn) == [states.REVERSAL]
    assert si_counter.printer.slips == []
    assert si_counter.kiosk is not None
    si_counter.kiosk.forwarder.drain(timeout_s=5)
    assert _host_state(si_counter, result.txn) == "reversed"


def test_payment_attempt_that_outlives_its_time_limit_is_voided(si_counter: Counter) -> None:
    assert si_counter.kiosk is not None
    kiosk = si_counter.kiosk
    real_provision = kiosk.host.provision
    limit = si_counter.config.product("card-topup").attempt_timeout_s

    def slow_provision(request):  # type: ignore[no-untyped-def]
        answer = real_provision(request)
        si_counter.clock.advance(limit + 1)  # the host took longer than the attempt may last
        return answer

    kiosk.sales.host = type("SlowHost", (), {"provision": staticmethod(slow_provision)})()
    result = si_counter.sell("card-topup")
    assert result.state == "failed"
    assert kiosk.store.get(result.txn).state == states.VOIDED
    assert _outbox_kinds(si_counter, result.txn) == [states.VOID]
    assert si_counter.printer.slips == []


@pytest.fixture
def si_counter_host_down(tmp_path: Path) -> Iterator[Counter]:
    counter = start_counter(tmp_path, "si")
    counter.host.stop()  # nothing listens: connections are refused
    counter.open()
    yield counter
    stop_counter(counter)


def test_offline_card_topups_up_to_the_limits_then_the_backlog_drains(
    si_counter_host_down: Counter,
) -> None:
    counter = si_counter_host_down
    assert counter.kiosk is not None
    policy = counter.config.product("card-topup").offline
    assert policy.allowed
    assert policy.max_amount_minor == 10000 and policy.max_unforwarded_total_minor == 30000

    too_big = counter.sell("card-topup", amount_minor=15000, cash_minor=20000)
    assert too_big.state == "declined"
    assert "per sale" in (too_big.reason or "")

    accepted = [counter.sell("card-topup", amount_minor=10000, cash_minor=10200) for _ in range(3)]
    assert [r.state for r in accepted] == ["offline_confirmed"] * 3
    for result in accepted:
        # the Slovenian slip carries the offline mark ("OFFLINE — to be confirmed by the host")
        slip = next(s for s in counter.printer.slips if result.txn in s.text)
        assert "BREZ POVEZAVE" in slip.text
        assert _outbox_kinds(counter, result.txn) == [states.OFFLINE_SALE]

    over_total = counter.sell("card-topup", amount_minor=500, cash_minor=1000)
    assert over_total.state == "declined"
    assert "limit" in (over_total.reason or "")

    # card-sale is offline-forbidden: refused at once, nothing printed for it
    refused = counter.sell("card-sale")
    assert refused.state == "declined"
    assert "cannot be sold offline" in (refused.reason or "")

    # the host comes back on the same address; the backlog drains by itself (forwarder thread)
    port = int(counter.config.host.url.rsplit(":", 1)[1])
    counter.host = HostServer(
        counter.folder / "host.sqlite", port=port, clock=counter.clock
    ).start()
    counter.kiosk.forwarder.circuit_cooldown_s = 0
    counter.kiosk.start_forwarding()
    counter.kiosk.forwarder.notify()
    done = counter.kiosk.forwarder.wait_for_cycles(counter.kiosk.forwarder.cycles_done + 3, 10)
    assert done
    for result in accepted:
        assert _host_state(counter, result.txn) == "confirmed"
        assert [m.state for m in counter.kiosk.store.outbox_for(result.txn)] == ["delivered"]
    assert counter.kiosk.store.unforwarded_offline_exposure() == {}


def test_mobile_topup_is_refused_at_once_while_the_host_is_down(tmp_path: Path) -> None:
    counter = start_counter(tmp_path, "rs")
    counter.host.stop()
    counter.open()
    try:
        result = counter.sell("mobile-topup")
        assert result.state == "declined"
        assert "cannot be sold offline" in (result.reason or "")
        assert counter.printer.slips == []
        assert _outbox_kinds(counter, result.txn) == []
    finally:
        stop_counter(counter)


def test_blocked_card_is_declined_with_the_hosts_reason(si_counter: Counter) -> None:
    result = si_counter.sell("card-topup", target=T.BLOCKED_CARD)
    assert result.state == "declined"
    assert result.reason and "block" in result.reason.lower()


def test_owed_notice_prints_on_the_idle_tick_without_a_next_sale(si_counter: Counter) -> None:
    printer = si_counter.printer
    printer.paper_out_after(5)
    failed = si_counter.sell("card-topup")
    assert failed.state == "print_failed"
    assert si_counter.kiosk is not None
    counter = si_counter.kiosk.counter

    # still no paper: the tick leaves the notice owed
    assert counter.print_owed_notices_when_idle() == 0
    printer.load_paper()
    printer.clear_faults()

    # a sale (or storno, reprint, report) has the counter: the tick never cuts into its slip
    with counter.lock:
        assert counter.print_owed_notices_when_idle() == 0

    assert counter.print_owed_notices_when_idle() == 1
    events = [e.event for e in si_counter.kiosk.store.journal(failed.txn)]
    assert events[-1] == NOTICE_PRINTED
    assert len([s for s in printer.slips if failed.txn in s.text]) == 1
    assert counter.print_owed_notices_when_idle() == 0  # paid once, never twice
