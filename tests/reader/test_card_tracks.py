"""ISO/IEC 7813 track parsing: fields, LRC, Luhn, cross-check, and that the PAN never leaks."""

from __future__ import annotations

import json
import logging

import pytest
from helpers import reader_frames as F

from drivers.card_reader.errors import SWIPE_AGAIN, SwipeError
from drivers.card_reader.events import CardSwiped
from drivers.card_reader.tracks import (
    RawTrack,
    mask_pan,
    parse_track1,
    parse_track2,
    swipe_from_tracks,
    track_lrc,
)


def _column_parity_even(chars: str, base: int, bits: int) -> bool:
    """ISO 7811 stated the other way round: every data-bit column over SS..ES+LRC is even."""
    codes = [ord(c) - base for c in chars]
    return all(sum((code >> bit) & 1 for code in codes) % 2 == 0 for bit in range(bits))


@pytest.mark.parametrize(
    ("text", "track", "lrc"),
    [
        (F.VISA_T1, 1, F.VISA_T1_LRC),
        (F.VISA_T2, 2, F.VISA_T2_LRC),
        (F.MC_T1, 1, F.MC_T1_LRC),
        (F.MC_T2, 2, F.MC_T2_LRC),
        (F.VISA_T1_SEMICOLON_LRC, 1, ";"),
    ],
)
def test_lrc_makes_every_bit_column_even(text: str, track: int, lrc: str) -> None:
    assert track_lrc(text, track) == lrc
    base, bits = (0x20, 6) if track == 1 else (0x30, 4)
    assert _column_parity_even(text + lrc, base, bits)
    wrong = chr(ord(lrc) ^ 1)
    assert not _column_parity_even(text + wrong, base, bits)


def test_track3_plus_sentinel_counts_as_the_iso_start_sentinel() -> None:
    assert track_lrc("+1234=5678?", 3) == track_lrc(";1234=5678?", 2)


def test_track1_fields() -> None:
    data = parse_track1(RawTrack(1, F.VISA_T1, F.VISA_T1_LRC))
    assert (data.pan, data.expiry, data.service_code, data.name) == (
        F.VISA_PAN,
        "2812",
        "101",
        "DOE/JOHN",
    )


def test_track2_fields() -> None:
    data = parse_track2(RawTrack(2, F.MC_T2))
    assert (data.pan, data.expiry, data.service_code, data.name) == (
        F.MC_PAN,
        "2706",
        "201",
        None,
    )


def test_track1_without_a_name_gives_none() -> None:
    text = "%B4111111111111111^ /^2812101000?"
    assert parse_track1(RawTrack(1, text)).name is None


def test_both_tracks_make_one_swipe() -> None:
    swipe = swipe_from_tracks([RawTrack(1, F.VISA_T1), RawTrack(2, F.VISA_T2)])
    assert swipe.pan == F.VISA_PAN
    assert swipe.last4 == "1111"
    assert swipe.expiry == "2812"
    assert swipe.service_code == "101"
    assert swipe.name == "DOE/JOHN"
    assert swipe.tracks_present == (1, 2)


def test_unreadable_track1_still_reads_track2() -> None:
    swipe = swipe_from_tracks([RawTrack(1, unreadable=True), RawTrack(2, F.MC_T2)])
    assert swipe.pan == F.MC_PAN
    assert swipe.tracks_present == (2,)


@pytest.mark.parametrize(
    ("tracks", "reason"),
    [
        ([RawTrack(1, unreadable=True), RawTrack(2, unreadable=True)], "no_valid_track"),
        ([], "no_valid_track"),
        ([RawTrack(1, F.VISA_T1, "7")], "lrc_mismatch"),
        ([RawTrack(2, F.VISA_T2, "4")], "lrc_mismatch"),
        ([RawTrack(2, ";4111111111111112=28121010000012300000?")], "luhn"),
        ([RawTrack(1, F.VISA_T1), RawTrack(2, F.DEBIT_T2)], "pan_mismatch"),
        (
            [RawTrack(1, F.VISA_T1), RawTrack(2, ";4111111111111111=29121010000012300000?")],
            "data_mismatch",
        ),
        ([RawTrack(2, ";4111111111111111=28131010000012300000?")], "bad_expiry"),
        ([RawTrack(2, ";41111111111=28121010000012300000?")], "bad_track2"),
        ([RawTrack(1, "%B4111111111111111^DOE/JOHN^2812?")], "bad_track1"),
        ([RawTrack(1, "%A4111111111111111^DOE/JOHN^2812101?")], "bad_track1"),
        ([RawTrack(2, ";4111111111111111=2812101" + "0" * 40 + "?")], "too_long"),
        ([RawTrack(2, ";4111111111111111=2812101a?")], "bad_character"),
        ([RawTrack(1, "%B4111111111111111^DOÉ/JOHN^2812101?")], "bad_character"),
        ([RawTrack(2, F.VISA_T2), RawTrack(2, F.VISA_T2)], "malformed"),
        (
            [RawTrack(1, unreadable=True), RawTrack(2, F.VISA_T2), RawTrack(3, "+12=3?", "8")],
            "lrc_mismatch",
        ),
    ],
)
def test_bad_swipes_are_refused_with_swipe_again(tracks: list[RawTrack], reason: str) -> None:
    with pytest.raises(SwipeError) as info:
        swipe_from_tracks(tracks)
    assert info.value.reason == reason
    assert str(info.value) == SWIPE_AGAIN


def test_full_pan_never_in_repr_str_json_or_logs(caplog: pytest.LogCaptureFixture) -> None:
    swipe = swipe_from_tracks([RawTrack(1, F.VISA_T1), RawTrack(2, F.VISA_T2)])
    event = CardSwiped(swipe)
    with caplog.at_level(logging.DEBUG):
        logging.getLogger("test").info("swiped %s %r %s", swipe, swipe, event)
    shown = [repr(swipe), str(swipe), repr(event), str(event), event.to_json(), caplog.text]
    shown += [repr(RawTrack(1, F.VISA_T1)), repr(parse_track2(RawTrack(2, F.VISA_T2)))]
    for text in shown:
        assert F.VISA_PAN not in text
    payload = json.loads(event.to_json())
    assert payload["last4"] == "1111"
    assert payload["masked"] == "************1111"
    assert swipe.masked == mask_pan(F.VISA_PAN)
    assert swipe.pan == F.VISA_PAN  # the sale still gets the number from the object


def test_track3_with_a_good_lrc_does_not_spoil_the_swipe() -> None:
    tracks = [RawTrack(2, F.VISA_T2, F.VISA_T2_LRC), RawTrack(3, "+12=3?", "9")]
    assert swipe_from_tracks(tracks).tracks_present == (2, 3)
