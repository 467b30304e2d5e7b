"""Scanner: slip QR transaction numbers and voucher card numbers, via a real pty and the wedge."""

from __future__ import annotations

import json
import queue

import pytest
from helpers import reader_frames as F
from helpers.pty_peer import PtyPeer, expect

from drivers.card_reader.events import (
    CardSwiped,
    ReaderConnected,
    ReaderDisconnected,
    ReaderEvent,
    ScannedCard,
    ScannedTransaction,
    SwipeFailed,
    UnrecognisedScan,
)
from drivers.card_reader.framing import MAX_FRAME
from drivers.card_reader.wedge import WedgeAssembler
from drivers.scanner.codes import parse_scan, slip_qr_payload
from drivers.scanner.serial_scanner import ScanStreamDecoder, SerialScanner
from foundation.clock import ManualClock


@pytest.mark.parametrize(
    ("text", "txn"),
    [
        ("TXN:12345000000001", "12345000000001"),
        ("txn:12345000000001\r\n", "12345000000001"),
        ("12345000000042", "12345000000042"),
        ("]Q1TXN:99999123456789", "99999123456789"),
    ],
)
def test_slip_qr_codes_give_the_transaction_number(text: str, txn: str) -> None:
    assert parse_scan(text) == ScannedTransaction(txn)


def test_the_slip_payload_round_trips() -> None:
    assert slip_qr_payload("12345000000001") == "TXN:12345000000001"
    assert parse_scan(slip_qr_payload("12345000000001")) == ScannedTransaction("12345000000001")
    with pytest.raises(ValueError):
        slip_qr_payload("1234500000001")


@pytest.mark.parametrize(
    ("text", "pan"),
    [
        ("4111111111111111", F.VISA_PAN),
        ("]C04111111111111111", F.VISA_PAN),
        ("CARD:5555555555554444", F.MC_PAN),
        ("pan:4000056655665556", F.VISA_DEBIT_PAN),
        ("CARD:30569309025904", "30569309025904"),  # 14 digits: only with the prefix
    ],
)
def test_voucher_barcodes_give_the_card_number(text: str, pan: str) -> None:
    event = parse_scan(text)
    assert isinstance(event, ScannedCard)
    assert (event.pan, event.last4) == (pan, pan[-4:])
    assert pan not in repr(event) and pan not in str(event) and pan not in event.to_json()
    assert json.loads(event.to_json())["masked"].endswith(pan[-4:])


@pytest.mark.parametrize(
    ("text", "hint"),
    [
        ("5555555555554445", "check digit"),
        ("TXN:1234500000001", "14 digits"),
        ("https://example.com/promo", "neither"),
        ("12345", "neither"),
        ("", "neither"),
    ],
)
def test_other_codes_are_unrecognised_with_a_clear_message(text: str, hint: str) -> None:
    event = parse_scan(text)
    assert isinstance(event, UnrecognisedScan)
    assert hint in event.message


def test_unrecognised_text_masks_card_like_numbers() -> None:
    event = parse_scan("5555555555554445")
    assert "5555555555554445" not in event.to_json()
    assert isinstance(event, UnrecognisedScan) and event.text.endswith("4445")


def test_stream_decoder_cuts_crlf_and_cr_lines_in_any_chunking() -> None:
    stream = F.SCAN_TXN_QR + F.SCAN_VOUCHER_CODE128 + F.SCAN_OTHER + F.SCAN_TXN_BARE
    expected = [
        ScannedTransaction("12345000000001"),
        ScannedCard(F.VISA_PAN, "1111"),
        UnrecognisedScan("https://example.com/promo"),
        ScannedTransaction("12345000000042"),
    ]
    for cut in range(len(stream) + 1):
        decoder = ScanStreamDecoder()
        assert decoder.feed(stream[:cut]) + decoder.feed(stream[cut:]) == expected


def test_an_endless_line_is_bounded_and_reported() -> None:
    decoder = ScanStreamDecoder()
    events = decoder.feed(b"9" * (MAX_FRAME * 3))
    assert not decoder.pending()
    events += decoder.feed(b"\r" + F.SCAN_TXN_BARE)
    assert [type(e) for e in events] == [UnrecognisedScan, ScannedTransaction]
    assert "Enter/CR" in events[0].message  # type: ignore[attr-defined]


def test_serial_scanner_on_a_pty_reads_codes_and_survives_replug(peer: PtyPeer) -> None:
    events: queue.Queue[ReaderEvent] = queue.Queue()
    scanner = SerialScanner(str(peer.link), on_event=events.put, reopen_interval_s=0.05)
    scanner.start()
    try:
        expect(events, ReaderConnected)
        peer.write(F.SCAN_TXN_QR + F.SCAN_VOUCHER_PREFIXED[:9])
        assert expect(events, ScannedTransaction).txn == "12345000000001"
        peer.write(F.SCAN_VOUCHER_PREFIXED[9:] + F.SCAN_VOUCHER_LUHN_WRONG)
        assert expect(events, ScannedCard).pan == F.MC_PAN
        assert "check digit" in expect(events, UnrecognisedScan).message
        peer.unplug()
        expect(events, ReaderDisconnected)
        peer.replug()
        expect(events, ReaderConnected)
        peer.write(F.SCAN_TXN_BARE)
        assert expect(events, ScannedTransaction).txn == "12345000000042"
    finally:
        scanner.stop()


def test_wedge_keystrokes_one_at_a_time() -> None:
    wedge = WedgeAssembler(clock=ManualClock())
    events: list[ReaderEvent] = []
    for key in "TXN:12345000000001\r" + "]C04111111111111111\n":
        events += wedge.feed(key)
    assert events == [ScannedTransaction("12345000000001"), ScannedCard(F.VISA_PAN, "1111")]


def test_wedge_tells_a_swipe_from_a_scan() -> None:
    wedge = WedgeAssembler(clock=ManualClock())
    swipe_text = F.MAGTEK_VISA_LRC.decode()
    events = (
        wedge.feed(swipe_text[:10]) + wedge.feed(swipe_text[10:]) + wedge.feed("12345000000042\r")
    )
    assert isinstance(events[0], CardSwiped) and events[0].swipe.pan == F.VISA_PAN
    assert events[1] == ScannedTransaction("12345000000042")
    assert wedge.feed(F.MAGTEK_PAN_MISMATCH.decode()) == [SwipeFailed("pan_mismatch")]


def test_wedge_discards_a_stale_partial_after_the_inter_key_timeout() -> None:
    clock = ManualClock()
    wedge = WedgeAssembler(clock=clock, inter_key_timeout_s=0.5)
    assert wedge.feed(F.MAGTEK_VISA.decode()[:30]) == []
    clock.advance(0.4)
    assert wedge.poll() == []  # still within the timeout: keep waiting for the rest
    clock.advance(0.2)
    assert wedge.poll() == [SwipeFailed("partial")]
    assert not wedge.pending()
    assert wedge.feed("TXN:1234") == []
    clock.advance(5.0)
    assert wedge.feed("12345000000001\r") == [ScannedTransaction("12345000000001")]


def test_wedge_slow_typing_within_the_timeout_is_kept() -> None:
    clock = ManualClock()
    wedge = WedgeAssembler(clock=clock, inter_key_timeout_s=0.5)
    events: list[ReaderEvent] = []
    for key in "TXN:12345000000001\r":
        clock.advance(0.45)
        events += wedge.feed(key)
    assert events == [ScannedTransaction("12345000000001")]


def test_wedge_refuses_non_ascii_in_track_data() -> None:
    wedge = WedgeAssembler(clock=ManualClock())
    text = F.MAGTEK_VISA.decode().replace("DOE", "DÖE")
    assert wedge.feed(text) == [SwipeFailed("bad_character")]


def test_wedge_input_is_bounded() -> None:
    wedge = WedgeAssembler(clock=ManualClock(), max_input=128)
    assert wedge.feed("%" + "1" * 500) == []
    assert wedge.feed("\r") == [SwipeFailed("overflow")]
    assert wedge.feed(F.MAGTEK_VISA.decode())[0].kind == "card_swiped"


def test_wedge_id_tech_track_per_line_is_one_swipe_released_by_poll() -> None:
    clock = ManualClock()
    wedge = WedgeAssembler(clock=clock, inter_key_timeout_s=0.5)
    assert wedge.feed(F.IDTECH_LINES_T1_T2.decode()) == []  # track 3 may still follow
    assert wedge.pending()
    clock.advance(0.6)
    (event,) = wedge.poll()
    assert isinstance(event, CardSwiped)
    assert (event.swipe.pan, event.swipe.tracks_present) == (F.MC_PAN, (1, 2))
    assert not wedge.pending()


def test_wedge_scan_after_a_single_track_line_releases_the_swipe_first() -> None:
    wedge = WedgeAssembler(clock=ManualClock())
    events = wedge.feed(F.VISA_T2 + "\r" + "TXN:12345000000001\r")
    assert [e.kind for e in events] == ["card_swiped", "scanned_transaction"]
