"""Whatever bytes a reader, a scanner or a keyboard sends: no crash, and no PAN that fails Luhn.

The decoders sit on a thread nobody watches; an exception there would silently stop the
reader, and a wrong card number would move money to a stranger. Hypothesis throws arbitrary
bytes, arbitrary chunkings, and mutated copies of real frames at every entry point.
"""

from __future__ import annotations

from typing import TypeVar

from helpers import reader_frames as F
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from stdnum import luhn

from drivers.card_reader.errors import SwipeError
from drivers.card_reader.events import CardSwiped, ReaderEvent, ScannedCard, ScannedTransaction
from drivers.card_reader.framing import CardStreamDecoder, FramingName
from drivers.card_reader.tracks import RawTrack, swipe_from_tracks
from drivers.card_reader.wedge import WedgeAssembler
from drivers.scanner.codes import parse_scan
from drivers.scanner.serial_scanner import ScanStreamDecoder
from foundation.clock import ManualClock

T = TypeVar("T", bytes, str)

FUZZ = settings(max_examples=400, deadline=None, suppress_health_check=[HealthCheck.too_slow])

REAL_FRAMES = [
    F.MAGTEK_VISA,
    F.MAGTEK_VISA_LRC,
    F.MAGTEK_MC_LRC_T3_ERROR,
    F.MAGTEK_LRC_IS_SENTINEL,
    F.MSR605_VISA,
    F.MSR605_MC_T2_ONLY,
    F.IDTECH_SIGN_ON,
]
ALPHABET = b"%;+?^=E\x1b\x1c\x01\x02\x03\r\n0123456789BsA/ "

#: Bytes that look like reader output: real frames, sentinels, digits, noise, interleaved.
readerish = st.lists(
    st.one_of(
        st.sampled_from(REAL_FRAMES),
        st.binary(max_size=40),
        st.lists(st.sampled_from(list(ALPHABET)), max_size=60).map(bytes),
    ),
    max_size=8,
).map(b"".join)


@st.composite
def mutated_frame(draw: st.DrawFn) -> bytes:
    """A real frame with a few bytes flipped, dropped or inserted (a bad swipe)."""
    frame = bytearray(draw(st.sampled_from(REAL_FRAMES)))
    for _ in range(draw(st.integers(1, 4))):
        at = draw(st.integers(0, len(frame) - 1))
        action = draw(st.sampled_from(["flip", "drop", "insert"]))
        if action == "flip":
            frame[at] ^= 1 << draw(st.integers(0, 7))
        elif action == "drop":
            del frame[at]
        else:
            frame.insert(at, draw(st.sampled_from(list(ALPHABET))))
    return bytes(frame)


def chunked(data: T, cuts: list[int]) -> list[T]:
    points = sorted({c % (len(data) + 1) for c in cuts})
    pieces: list[T] = []
    last = 0
    for p in points:
        pieces.append(data[last:p])
        last = p
    pieces.append(data[last:])
    return pieces


def _check(events: list[ReaderEvent]) -> None:
    for event in events:
        if isinstance(event, CardSwiped):
            swipe = event.swipe
            assert luhn.is_valid(swipe.pan)
            assert 12 <= len(swipe.pan) <= 19 and swipe.pan.isdigit()
            assert swipe.last4 == swipe.pan[-4:]
            assert swipe.pan not in repr(event) and swipe.pan not in event.to_json()
        if isinstance(event, ScannedCard):
            assert luhn.is_valid(event.pan)
        if isinstance(event, ScannedTransaction):
            assert len(event.txn) == 14 and event.txn.isdigit()
        event.to_json()  # always serialisable


@FUZZ
@given(
    data=st.one_of(readerish, st.binary(max_size=600), mutated_frame()),
    cuts=st.lists(st.integers(0, 10_000), max_size=12),
    framing=st.sampled_from(["magtek", "msr605", "auto"]),
)
def test_card_decoders_never_raise_and_never_yield_a_bad_pan(
    data: bytes, cuts: list[int], framing: FramingName
) -> None:
    decoder = CardStreamDecoder(framing)
    events: list[ReaderEvent] = []
    for piece in chunked(data, cuts):
        events += decoder.feed(piece)
        assert decoder.greeting() in (b"", b"\x1br")
    events += decoder.flush()
    _check(events)


@FUZZ
@given(data=st.one_of(readerish, mutated_frame()), cuts=st.lists(st.integers(0, 10_000)))
def test_magtek_framing_does_not_depend_on_chunking(data: bytes, cuts: list[int]) -> None:
    whole = CardStreamDecoder("magtek")
    expected = whole.feed(data) + whole.flush()
    split = CardStreamDecoder("magtek")
    got = [e for piece in chunked(data, cuts) for e in split.feed(piece)] + split.flush()
    assert [e.as_dict() for e in got] == [e.as_dict() for e in expected]


@FUZZ
@given(junk=st.binary(max_size=300).filter(lambda b: b"\x1b" not in b))
def test_a_real_swipe_after_garbage_still_reads(junk: bytes) -> None:
    for framing, frame in (("magtek", F.MAGTEK_VISA), ("msr605", F.MSR605_VISA)):
        decoder = CardStreamDecoder(framing)  # type: ignore[arg-type]
        events = decoder.feed(junk + b"\r" + frame)
        _check(events)
        last = events[-1]
        assert isinstance(last, CardSwiped) and last.swipe.pan == F.VISA_PAN


@FUZZ
@given(
    texts=st.lists(st.text(max_size=40), max_size=6),
    frames=st.lists(st.sampled_from(REAL_FRAMES[:4]), max_size=3),
    cuts=st.lists(st.integers(0, 10_000), max_size=12),
    steps=st.lists(st.floats(0, 2), min_size=13, max_size=13),
)
def test_wedge_never_raises(
    texts: list[str], frames: list[bytes], cuts: list[int], steps: list[float]
) -> None:
    clock = ManualClock()
    wedge = WedgeAssembler(clock=clock, inter_key_timeout_s=0.5)
    stream = "".join(texts) + "".join(f.decode("latin-1") for f in frames)
    events: list[ReaderEvent] = []
    for piece, step in zip(chunked(stream, cuts), steps, strict=False):
        clock.advance(step)
        events += wedge.feed(piece)
        events += wedge.poll()
    _check(events)


@FUZZ
@given(frame=st.sampled_from(REAL_FRAMES[:4]), cuts=st.lists(st.integers(0, 10_000)))
def test_wedge_reads_a_swipe_in_any_chunking(frame: bytes, cuts: list[int]) -> None:
    wedge = WedgeAssembler(clock=ManualClock())
    events = [e for piece in chunked(frame.decode(), cuts) for e in wedge.feed(piece)]
    assert len(events) == 1 and isinstance(events[0], CardSwiped)
    _check(events)


@FUZZ
@given(data=st.one_of(readerish, st.binary(max_size=400)), cuts=st.lists(st.integers(0, 9999)))
def test_scanner_decoder_never_raises(data: bytes, cuts: list[int]) -> None:
    decoder = ScanStreamDecoder()
    events = [e for piece in chunked(data, cuts) for e in decoder.feed(piece)] + decoder.flush()
    _check(events)


@FUZZ
@given(text=st.text(max_size=80))
def test_parse_scan_never_raises(text: str) -> None:
    _check([parse_scan(text)])


@FUZZ
@given(
    tracks=st.lists(
        st.builds(
            RawTrack,
            number=st.integers(1, 3),
            text=st.text(max_size=90),
            lrc=st.one_of(st.none(), st.characters()),
            unreadable=st.booleans(),
        ),
        max_size=4,
    )
)
def test_track_checks_only_ever_refuse_with_swipe_error(tracks: list[RawTrack]) -> None:
    try:
        swipe = swipe_from_tracks(tracks)
    except SwipeError:
        return
    assert luhn.is_valid(swipe.pan)
