"""The cash drawer opens for a confirmed sale only, and the clerk sees its state.

Evidence comes from the virtual printer, not from the kiosk's own word: the drawer kick (ESC p)
of a sale arrives after that sale's cut, so the virtual printer marks it on the *next* slip.
Every slip before the last confirmed sale's kick must therefore be unmarked -- a failed sale
or its failure notice never kicked. The drawer state is read back through DLE EOT 1 over TCP.
"""

from __future__ import annotations

from collections.abc import Iterator

import pytest
import requests
from helpers.kiosk import Counter

from hostsim import testnumbers as T
from terminal.api import ApiServer
from terminal.devices import printer_status


@pytest.fixture
def api(si_counter: Counter) -> Iterator[ApiServer]:
    assert si_counter.kiosk is not None
    server = ApiServer(si_counter.kiosk, port=0).start()
    yield server
    server.stop()


def _drawer_seen_by_clerk(api: ApiServer) -> object:
    response = requests.get(
        f"{api.url}/api/v1/devices", headers={"Authorization": f"Bearer {api.token}"}, timeout=10
    )
    assert response.status_code == 200
    return response.json()["printer"]["drawer_open"]


def _journal(counter: Counter, txn: str) -> list[str]:
    assert counter.kiosk is not None
    return [e.event for e in counter.kiosk.store.journal(txn)]


def _two_confirmed_sales(counter: Counter) -> list[str]:
    txns = []
    for _ in range(2):
        result = counter.sell("card-topup")
        assert result.state == "confirmed"
        txns.append(result.txn)
    return txns


def _only_the_last_slip_shows_a_kick(counter: Counter) -> None:
    printer = counter.printer
    assert printer.wait_idle(5.0)
    kicked = [slip.drawer_kicked for slip in printer.slips]
    assert kicked[-1] is True  # the first confirmed sale's kick, before the second slip
    assert not any(kicked[:-1]), kicked  # nothing before it kicked


def test_declined_sale_keeps_the_drawer_shut_and_a_confirmed_one_opens_it(
    si_counter: Counter, api: ApiServer
) -> None:
    declined = si_counter.sell("card-topup", target=T.KYC_REQUIRED_CARD)
    assert declined.state == "declined"
    assert si_counter.printer.wait_idle(5.0)
    assert not si_counter.printer.drawer_open
    assert _drawer_seen_by_clerk(api) is False
    assert "drawer_opened" not in _journal(si_counter, declined.txn)

    first, second = _two_confirmed_sales(si_counter)
    _only_the_last_slip_shows_a_kick(si_counter)
    assert si_counter.printer.wait_for(lambda: si_counter.printer.drawer_open, 5.0)
    assert "drawer_opened" in _journal(si_counter, first)
    assert "drawer_opened" in _journal(si_counter, second)

    # DLE EOT 1 over TCP, through the kiosk's own printer connection and the local API
    assert _drawer_seen_by_clerk(api) is True
    si_counter.printer.close_drawer()
    assert _drawer_seen_by_clerk(api) is False


def test_paper_out_mid_slip_never_kicks_the_drawer(si_counter: Counter) -> None:
    si_counter.printer.paper_out_after(5)
    failed = si_counter.sell("card-topup")
    assert failed.state == "print_failed"
    assert "drawer_opened" not in _journal(si_counter, failed.txn)
    assert si_counter.printer.wait_idle(5.0)
    assert not si_counter.printer.drawer_open
    kiosk = si_counter.kiosk
    assert kiosk is not None
    status = printer_status(kiosk.printer)
    assert status["state"] == "paper_out" and status["drawer_open"] is False

    si_counter.printer.load_paper()
    _two_confirmed_sales(si_counter)  # the first also prints the owed failure notice
    _only_the_last_slip_shows_a_kick(si_counter)
    assert len(si_counter.printer.slips) >= 3  # notice, sale, sale: all but the last unmarked


def test_a_silent_printer_leaves_the_drawer_state_unknown(si_counter: Counter) -> None:
    kiosk = si_counter.kiosk
    assert kiosk is not None
    si_counter.printer.silent()
    status = printer_status(kiosk.printer)
    assert status["state"] == "unknown"
    assert status["drawer_open"] is None  # not "closed": nobody measured it
