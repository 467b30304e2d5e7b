"""Reader framings: each recorded frame, split and concatenated frames, garbage, bounded buffers."""

from __future__ import annotations

import pytest
from helpers import reader_frames as F

from drivers.card_reader.events import CardSwiped, ReaderEvent, SignOn, SwipeFailed
from drivers.card_reader.framing import (
    MAX_FRAME,
    MSR605_READ,
    AutoFraming,
    CardStreamDecoder,
    FramingName,
    LineAssembler,
    MagtekFraming,
    Msr605Framing,
)


def _decode(data: bytes, framing: FramingName) -> list[ReaderEvent]:
    decoder = CardStreamDecoder(framing)
    return decoder.feed(data) + decoder.flush()


def _summary(events: list[ReaderEvent]) -> list[tuple[str, str]]:
    out = []
    for event in events:
        if isinstance(event, CardSwiped):
            out.append(("swiped", event.swipe.pan))
        elif isinstance(event, SwipeFailed):
            out.append(("failed", event.reason))
        elif isinstance(event, SignOn):
            out.append(("sign_on", event.text))
        else:
            out.append((event.kind, ""))
    return out


MAGTEK_CASES = [
    (F.IDTECH_SIGN_ON, ("sign_on", "ID TECH MiniMag II Serial V3.10 Copyright 2009")),
    (F.MAGTEK_SIGN_ON, ("sign_on", "MagTek Mini Swipe Reader 21040110 Rev. C")),
    (F.MAGTEK_VISA, ("swiped", F.VISA_PAN)),
    (F.MAGTEK_VISA_LRC, ("swiped", F.VISA_PAN)),
    (F.MAGTEK_MC_LRC_T3_ERROR, ("swiped", F.MC_PAN)),
    (F.MAGTEK_T2_ONLY_T1_ERROR, ("swiped", F.MC_PAN)),
    (F.MAGTEK_LRC_IS_SENTINEL, ("swiped", F.VISA_PAN)),
    (F.MAGTEK_ALL_ERRORS, ("failed", "no_valid_track")),
    (F.MAGTEK_BARE_E, ("failed", "unreadable")),
    (F.MAGTEK_LRC_WRONG, ("failed", "lrc_mismatch")),
    (F.MAGTEK_LUHN_WRONG, ("failed", "luhn")),
    (F.MAGTEK_PAN_MISMATCH, ("failed", "pan_mismatch")),
    (F.MAGTEK_PARTIAL, ("failed", "malformed")),
]

MSR605_CASES = [
    (F.MSR605_VISA, ("swiped", F.VISA_PAN)),
    (F.MSR605_MC_T2_ONLY, ("swiped", F.MC_PAN)),
    (F.MSR605_READ_ERROR, ("failed", "reader_status_1")),
    (F.MSR605_PAN_MISMATCH, ("failed", "pan_mismatch")),
    (F.MSR605_MC_T2_NO_T3_MARKER, ("swiped", F.MC_PAN)),
    (F.MSR605_VISA_ASCII_MARKERS, ("swiped", F.VISA_PAN)),
    (F.MSR605_NO_FIELD_END, ("failed", "bad_track2")),
    (b"\x1bs\x1b\x02" + F.MC_T2.encode() + b"\x1b\x01?\x1c\x1b0", ("failed", "malformed")),
    (b"\x1bs?\x1c\x1b0", ("failed", "no_valid_track")),
    (b"\x1bs\x1b\x01%E?\x1b\x02;E??\x1c\x1b0", ("failed", "no_valid_track")),
]


@pytest.mark.parametrize(("frame", "expected"), MAGTEK_CASES)
@pytest.mark.parametrize("framing", ["magtek", "auto"])
def test_magtek_frames(frame: bytes, expected: tuple[str, str], framing: FramingName) -> None:
    assert _summary(_decode(frame, framing)) == [expected]


@pytest.mark.parametrize(("frame", "expected"), MSR605_CASES)
@pytest.mark.parametrize("framing", ["msr605", "auto"])
def test_msr605_frames(frame: bytes, expected: tuple[str, str], framing: FramingName) -> None:
    assert _summary(_decode(frame, framing)) == [expected]


def test_msr605_status_only_error_is_swipe_again() -> None:
    assert _summary(_decode(F.MSR605_STATUS_ONLY_ERROR, "msr605")) == [
        ("failed", "reader_status_9")
    ]


def test_auto_is_not_fooled_by_magtek_escape_prefixes_and_sensor_messages() -> None:
    framing = AutoFraming()
    assert framing.feed(F.MAGTEK_INSERT_SENSOR) == []
    assert framing.chosen is None
    decoder = CardStreamDecoder("auto")
    stream = F.MAGTEK_INSERT_SENSOR + F.MAGTEK_STX_ESC_SENSOR_SWIPE
    assert _summary(decoder.feed(stream)) == [("swiped", F.MC_PAN)]
    assert decoder.greeting() == b""  # settled on MagTek: no arm command is sent


def test_id_tech_one_line_per_track_is_one_swipe() -> None:
    decoder = CardStreamDecoder("magtek")
    # Track 3 is the last a swipe can have: the swipe is complete without waiting.
    assert _summary(decoder.feed(F.IDTECH_LINES_T1_T2_T3)) == [("swiped", F.VISA_PAN)]
    assert not decoder.pending()
    events = _decode(F.IDTECH_LINES_T1_T2_T3 + F.IDTECH_LINES_T1_T2, "magtek")
    assert _summary(events) == [("swiped", F.VISA_PAN), ("swiped", F.MC_PAN)]
    assert events[0].swipe.tracks_present == (1, 2, 3)  # type: ignore[attr-defined]
    assert events[1].swipe.tracks_present == (1, 2)  # type: ignore[attr-defined]


def test_a_held_single_track_is_released_by_the_next_unrelated_line() -> None:
    decoder = CardStreamDecoder("magtek")
    assert decoder.feed(F.MC_T2.encode() + b"\r") == []
    assert decoder.pending()
    events = decoder.feed(F.MAGTEK_VISA)
    assert _summary(events) == [("swiped", F.MC_PAN), ("swiped", F.VISA_PAN)]
    assert not decoder.pending()


def test_msr605_reader_acks_carry_no_swipe() -> None:
    assert _decode(b"\x1b0\x1by", "msr605") == []


MAGTEK_STREAM = (
    F.IDTECH_SIGN_ON
    + F.MAGTEK_VISA
    + b"\x00\xff\x07 noise"  # line noise before the next frame start, same line
    + F.MAGTEK_MC_LRC_T3_ERROR
    + b"\x01\x02\r\n"  # a junk line
    + F.MAGTEK_LRC_WRONG
    + F.MAGTEK_VISA_LRC
)
MAGTEK_STREAM_EXPECTED = [
    ("sign_on", "ID TECH MiniMag II Serial V3.10 Copyright 2009"),
    ("swiped", F.VISA_PAN),
    ("swiped", F.MC_PAN),
    ("failed", "lrc_mismatch"),
    ("swiped", F.VISA_PAN),
]
MSR605_STREAM = (
    b"\x00junk" + F.MSR605_VISA + b"\xfe\xfe" + F.MSR605_READ_ERROR + F.MSR605_MC_T2_ONLY
)
MSR605_STREAM_EXPECTED = [
    ("swiped", F.VISA_PAN),
    ("failed", "reader_status_1"),
    ("swiped", F.MC_PAN),
]


@pytest.mark.parametrize(
    ("stream", "framing", "expected"),
    [
        (MAGTEK_STREAM, "magtek", MAGTEK_STREAM_EXPECTED),
        (MAGTEK_STREAM, "auto", MAGTEK_STREAM_EXPECTED),
        (MSR605_STREAM, "msr605", MSR605_STREAM_EXPECTED),
        (MSR605_STREAM, "auto", MSR605_STREAM_EXPECTED),
    ],
)
def test_concatenated_frames_with_garbage_split_at_every_byte(
    stream: bytes, framing: FramingName, expected: list[tuple[str, str]]
) -> None:
    assert _summary(_decode(stream, framing)) == expected
    for cut in range(1, len(stream)):
        decoder = CardStreamDecoder(framing)
        events = decoder.feed(stream[:cut]) + decoder.feed(stream[cut:]) + decoder.flush()
        assert _summary(events) == expected, f"split at {cut}"
    decoder = CardStreamDecoder(framing)
    one_by_one = [e for i in range(len(stream)) for e in decoder.feed(stream[i : i + 1])]
    assert _summary(one_by_one) == expected


def test_magtek_junk_beyond_the_buffer_is_dropped_and_reported_once() -> None:
    framing = MagtekFraming()
    events = framing.feed(b"%" + b"A" * (3 * MAX_FRAME))
    assert not framing.pending()  # nothing kept: the buffer is bounded
    events += framing.feed(b"more junk\r" + F.MAGTEK_VISA)
    decoder_events = [e.reason if hasattr(e, "reason") else type(e).__name__ for e in events]
    assert decoder_events == ["overflow", "SwipeFrame"]


def test_msr605_unterminated_block_is_bounded_then_resyncs() -> None:
    framing = Msr605Framing()
    frames = framing.feed(b"\x1bs\x1b1%B" + b"1" * (2 * MAX_FRAME))
    assert [type(f).__name__ for f in frames] == ["BadFrame"]
    assert not framing.pending()
    decoder = CardStreamDecoder("msr605")
    decoder.feed(b"\x1bs\x1b1%B" + b"1" * (2 * MAX_FRAME))
    assert _summary(decoder.feed(F.MSR605_VISA)) == [("swiped", F.VISA_PAN)]


def test_msr605_noise_without_escape_is_not_kept() -> None:
    framing = Msr605Framing()
    assert framing.feed(bytes(range(0x20, 0x7F)) * 20) == []
    assert not framing.pending()


def test_msr605_new_block_before_the_end_is_a_partial_swipe() -> None:
    cut_short = F.MSR605_VISA[:20]
    events = _decode(cut_short + F.MSR605_MC_T2_ONLY, "msr605")
    assert _summary(events) == [("failed", "partial"), ("swiped", F.MC_PAN)]


@pytest.mark.parametrize(
    ("framing", "partial"),
    [("magtek", F.MAGTEK_VISA[:30]), ("msr605", F.MSR605_VISA[:30]), ("auto", F.MAGTEK_VISA[:9])],
)
def test_flush_turns_a_stale_partial_frame_into_swipe_again(
    framing: FramingName, partial: bytes
) -> None:
    decoder = CardStreamDecoder(framing)
    assert decoder.feed(partial) == []
    assert decoder.pending()
    assert _summary(decoder.flush()) == [("failed", "partial")]
    assert not decoder.pending()
    assert _summary(_decode(F.MAGTEK_VISA if framing != "msr605" else F.MSR605_VISA, framing)) == [
        ("swiped", F.VISA_PAN)
    ]


def test_noise_lines_are_not_sign_ons() -> None:
    assert _decode(b"\x00\x01\x02\r\n\r\n12\r4111111111111111 X\r", "magtek") == []


def test_auto_sticks_to_the_framing_that_spoke_first_until_reset() -> None:
    framing = AutoFraming()
    framing.feed(F.MSR605_VISA)
    assert framing.chosen == "msr605"
    framing.reset()
    assert framing.chosen is None
    framing.feed(F.MAGTEK_SIGN_ON)
    assert framing.chosen == "magtek"


def test_msr605_is_armed_on_connect_and_rearmed_after_every_swipe() -> None:
    decoder = CardStreamDecoder("msr605")
    assert decoder.greeting() == MSR605_READ == b"\x1br"
    for event in decoder.feed(F.MSR605_VISA + F.MSR605_READ_ERROR):
        assert decoder.rearm(event) == MSR605_READ
    magtek = CardStreamDecoder("magtek")
    assert magtek.greeting() == b""
    assert all(magtek.rearm(e) == b"" for e in magtek.feed(F.MAGTEK_VISA))
    auto = CardStreamDecoder("auto")
    assert auto.greeting() == MSR605_READ  # unknown reader: arm it, ASCII readers ignore it
    auto.feed(F.MAGTEK_VISA)
    assert auto.greeting() == b""


def test_line_assembler_handles_cr_lf_and_crlf_alike() -> None:
    lines = LineAssembler()
    assert lines.feed(b"a\rb\nc\r\nd") == [b"a", b"b", b"c"]
    assert lines.pending()
    assert lines.flush() == b"d"


@pytest.mark.parametrize("framing", ["magtek", "auto"])
def test_id_tech_uic_format_is_one_swipe(framing: FramingName) -> None:
    decoder = CardStreamDecoder(framing)
    events = decoder.feed(F.IDTECH_UIC_T1_T2_T3)
    assert _summary(events) == [("swiped", F.VISA_PAN)]
    assert events[0].swipe.tracks_present == (1, 2, 3)  # type: ignore[attr-defined]
    # dual track with LRCs: track 2 ends with DLE like track 1; the quiet line ends the swipe
    assert decoder.feed(F.IDTECH_UIC_LRC_DUAL) == []
    events = decoder.flush()
    assert _summary(events) == [("swiped", F.MC_PAN)]
    assert events[0].swipe.tracks_present == (1, 2)  # type: ignore[attr-defined]


@pytest.mark.parametrize("framing", ["magtek", "auto"])
@pytest.mark.parametrize(
    ("frame", "pan", "tracks"),
    [(F.MAGTEK_VISA_NO_CR, F.VISA_PAN, (1, 2)), (F.IDTECH_LINES_NO_TERMINATOR, F.MC_PAN, (1, 2))],
    ids=["all-tracks-one-line", "track-per-line"],
)
def test_a_reader_without_cr_is_ended_by_the_quiet_line(
    framing: FramingName, frame: bytes, pan: str, tracks: tuple[int, ...]
) -> None:
    decoder = CardStreamDecoder(framing)
    assert decoder.feed(frame) == []  # nothing says the swipe is over ...
    events = decoder.flush()  # ... until the line is quiet for the frame timeout
    assert _summary(events) == [("swiped", pan)]
    assert events[0].swipe.tracks_present == tracks  # type: ignore[attr-defined]
    assert not decoder.pending()
