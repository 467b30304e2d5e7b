"""Reader, scanner and wedge events reach the counter screen of a running kiosk over HTTP.

The reader and the scanner are pyserial on real pseudo-terminals, configured in kiosk.toml;
the screen is a ``requests`` client reading ``GET /api/v1/events`` as server-sent events. A
card number shows up masked and with a ``swipe_id``; the sale uses the id, never the number.
"""

from __future__ import annotations

import threading
from collections.abc import Iterator
from pathlib import Path

import pytest
import requests
from helpers import reader_frames as F
from helpers.device import ServedCounter, serve_counter, stop_served

from drivers.card_reader.errors import SWIPE_AGAIN
from drivers.card_reader.fake import reader_bytes
from hostsim import testnumbers as T
from offline_queue import states
from terminal.devices import SWIPE_TTL_S

CARD = T.ONLINE_CARD  # a card the reference host tops up
CARD_LINE = reader_bytes(CARD, "2812", name="NOVAK/ANA", with_lrc=True).decode("latin-1")


@pytest.fixture
def served(tmp_path: Path) -> Iterator[ServedCounter]:
    s = serve_counter(tmp_path)
    yield s
    stop_served(s)


def _sell_by_swipe(served: ServedCounter, swipe_id: str) -> requests.Response:
    return served.post(
        "/api/v1/sales/by-swipe",
        {
            "product": "card-topup",
            "card_swipe_id": swipe_id,
            "amount_minor": 15000,
            "cash_minor": 16000,
        },
    )


def test_pty_swipe_arrives_masked_and_sells_by_swipe_id(served: ServedCounter) -> None:
    stream = served.events()
    served.reader.write(CARD_LINE.encode("latin-1"))
    event = stream.expect("card_swiped")
    assert event.data["last4"] == CARD[-4:]
    assert event.data["masked"] == "*" * 12 + CARD[-4:]
    assert event.data["name"] and event.data["expiry"] == "2812"
    swipe_id = event.data["swipe_id"]
    assert CARD not in event.raw and CARD[:12] not in "".join(stream.raw_text)

    response = _sell_by_swipe(served, swipe_id)
    assert response.status_code == 200, response.text
    sale = response.json()
    assert sale["state"] == "confirmed"
    assert CARD not in response.text
    kiosk = served.counter.kiosk
    assert kiosk is not None
    record = kiosk.store.get(sale["txn"])
    # the full number reached the sale in the process (the host topped up that card); the
    # store keeps its last 4 and keyed digest, and finds the sale by the whole number
    assert "value" not in record.target and record.target["last4"] == CARD[-4:]
    assert [r.txn for r in kiosk.store.find_transactions(target_value=CARD)] == [record.txn]
    assert served.counter.host_view(record.txn)["target"] == CARD  # type: ignore[index]
    assert record.state == states.CONFIRMED

    again = _sell_by_swipe(served, swipe_id)  # a swipe pays once
    assert again.status_code == 422
    assert again.json()["error"]["code"] == "swipe_expired"
    assert "swipe the card again" in again.json()["error"]["message"]


def test_bad_swipe_on_the_reader_is_swipe_failed_with_swipe_again(served: ServedCounter) -> None:
    stream = served.events()
    served.reader.write(F.MAGTEK_LRC_WRONG)
    event = stream.expect("swipe_failed")
    assert event.data["message"] == SWIPE_AGAIN
    assert "swipe_id" not in event.data
    assert F.VISA_PAN not in "".join(stream.raw_text)


def test_scanned_slip_qr_arrives_as_scanned_transaction(served: ServedCounter) -> None:
    stream = served.events()
    served.scanner.write(F.SCAN_TXN_QR)
    event = stream.expect("scanned_transaction")
    assert event.data["txn"] == "12345000000001"


def test_scanned_card_voucher_is_masked_and_held_like_a_swipe(served: ServedCounter) -> None:
    stream = served.events()
    served.scanner.write(f"CARD:{CARD}\r\n".encode())
    event = stream.expect("scanned_card")
    assert CARD not in "".join(stream.raw_text)
    assert _sell_by_swipe(served, event.data["swipe_id"]).json()["state"] == "confirmed"


def test_wedge_keystrokes_give_the_same_events(served: ServedCounter) -> None:
    stream = served.events()
    half = len(CARD_LINE) // 2
    first = served.post("/api/v1/devices/wedge", {"keys": CARD_LINE[:half]})
    assert first.status_code == 200 and first.json() == {"events": []}
    second = served.post("/api/v1/devices/wedge", {"keys": CARD_LINE[half:]})
    produced = second.json()["events"]
    assert [e["kind"] for e in produced] == ["card_swiped"]
    assert CARD not in second.text
    event = stream.expect("card_swiped")
    assert event.data["swipe_id"] == produced[0]["swipe_id"]
    assert event.data["last4"] == CARD[-4:]

    bad = served.post("/api/v1/devices/wedge", {"keys": F.MAGTEK_LRC_WRONG.decode()})
    assert bad.json()["events"][0]["kind"] == "swipe_failed"
    assert stream.expect("swipe_failed").data["message"] == SWIPE_AGAIN

    served.post("/api/v1/devices/wedge", {"keys": "TXN:12345000000042\n"})
    assert stream.expect("scanned_transaction").data["txn"] == "12345000000042"

    # a half-typed swipe when the field loses focus: swipe again, not a guessed number
    cut = served.post("/api/v1/devices/wedge", {"keys": CARD_LINE[:20], "end": True})
    assert [e["kind"] for e in cut.json()["events"]] == ["swipe_failed"]
    stream.expect("swipe_failed")

    # the newest card replaced the wedge swipe, which was never used
    assert _sell_by_swipe(served, produced[0]["swipe_id"]).status_code == 200
    assert CARD not in "".join(stream.raw_text)


def test_a_newer_swipe_or_an_old_one_cannot_pay(served: ServedCounter) -> None:
    stream = served.events()
    served.reader.write(CARD_LINE.encode("latin-1"))
    older = stream.expect("card_swiped").data["swipe_id"]
    served.reader.write(F.MAGTEK_VISA_LRC)
    newer = stream.expect("card_swiped").data["swipe_id"]
    assert _sell_by_swipe(served, older).json()["error"]["code"] == "swipe_expired"

    served.counter.clock.advance(SWIPE_TTL_S + 1)
    response = _sell_by_swipe(served, newer)
    assert response.status_code == 422
    assert response.json()["error"]["code"] == "swipe_expired"


def test_a_refused_form_keeps_the_swipe_for_the_corrected_form(served: ServedCounter) -> None:
    stream = served.events()
    served.reader.write(CARD_LINE.encode("latin-1"))
    swipe_id = stream.expect("card_swiped").data["swipe_id"]
    too_small = served.post(
        "/api/v1/sales/by-swipe",
        {"product": "card-topup", "card_swipe_id": swipe_id, "amount_minor": 1, "cash_minor": 1},
    )
    assert too_small.status_code == 422
    assert _sell_by_swipe(served, swipe_id).json()["state"] == "confirmed"


def test_sale_by_swipe_refuses_a_product_not_sold_to_a_card(served: ServedCounter) -> None:
    stream = served.events()
    served.reader.write(CARD_LINE.encode("latin-1"))
    swipe_id = stream.expect("card_swiped").data["swipe_id"]
    response = served.post(
        "/api/v1/sales/by-swipe",
        {
            "product": "card-sale",
            "card_swipe_id": swipe_id,
            "amount_minor": 5000,
            "cash_minor": 5500,
        },
    )
    assert response.status_code == 422
    assert response.json()["error"]["code"] == "wrong_target_kind"
    target = served.post(
        "/api/v1/sales/by-swipe",
        {"product": "card-topup", "card_swipe_id": swipe_id, "target": CARD, "cash_minor": 1},
    )
    assert target.status_code == 422  # the number itself is never accepted here


def test_events_and_devices_need_the_token(served: ServedCounter) -> None:
    for path in ("/api/v1/events", "/api/v1/devices"):
        response = requests.get(f"{served.api.url}{path}", timeout=5)
        assert response.status_code == 401


def test_devices_report_reader_and_scanner(served: ServedCounter) -> None:
    data = served.get("/api/v1/devices").json()
    assert data["reader"] == {
        "configured": True,
        "connected": True,
        "port": str(served.reader.link),
    }
    assert data["scanner"]["connected"] is True
    assert data["fake_reader"] is False
    assert data["printer"]["state"] == "ready" and data["printer"]["drawer_open"] is False


def test_unplugged_reader_is_reported_on_the_stream(served: ServedCounter) -> None:
    stream = served.events()
    served.reader.unplug()
    event = stream.expect("reader_disconnected")
    assert event.data["port"] == str(served.reader.link)
    served.reader.replug()
    stream.expect("reader_connected")


def test_fake_swipe_exists_only_in_the_demo(served: ServedCounter) -> None:
    response = served.post("/api/v1/devices/fake-swipe", {"pan": CARD})
    assert response.status_code == 422
    assert response.json()["error"]["code"] == "not_demo"


def test_demo_fake_swipe_goes_to_the_stream(tmp_path: Path) -> None:
    served = serve_counter(tmp_path, demo=True)
    try:
        stream = served.events()
        ok = served.post("/api/v1/devices/fake-swipe", {"pan": CARD})
        assert [e["kind"] for e in ok.json()["events"]] == ["card_swiped"]
        swipe_id = stream.expect("card_swiped").data["swipe_id"]
        bad = served.post("/api/v1/devices/fake-swipe", {"pan": CARD, "corrupt_lrc": True})
        assert bad.json()["events"][0]["message"] == SWIPE_AGAIN
        stream.expect("swipe_failed")
        # a failed read does not replace the good card held for the sale
        assert _sell_by_swipe(served, swipe_id).json()["state"] == "confirmed"
    finally:
        stop_served(served)


def test_stopping_the_devices_ends_the_streams_so_the_api_can_stop(served: ServedCounter) -> None:
    stream = served.events()
    kiosk = served.counter.kiosk
    assert kiosk is not None
    kiosk.devices.stop()
    assert stream.next() is None  # the server ended the stream (within the read timeout)
    done = threading.Event()
    threading.Thread(target=lambda: (served.api.stop(), done.set()), daemon=True).start()
    assert done.wait(5.0)
