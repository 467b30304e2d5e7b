"""The pyserial reader thread against a real pseudo-terminal: swipes, arming, unplug/replug.

No sleeps: every wait is a queue get or a select with a bounded timeout.
"""

from __future__ import annotations

import queue
import threading
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
from helpers import reader_frames as F
from helpers.pty_peer import TIMEOUT_S, PtyPeer, expect

from drivers.card_reader.errors import ReaderUnavailable
from drivers.card_reader.events import (
    CardSwiped,
    EventHub,
    ReaderConnected,
    ReaderDisconnected,
    ReaderEvent,
    SignOn,
    SwipeFailed,
)
from drivers.card_reader.framing import CardStreamDecoder, FramingName
from drivers.card_reader.serial_reader import SerialCardReader, SerialInputDevice
from foundation.clock import ManualClock


class Running:
    def __init__(self, peer: PtyPeer, framing: FramingName, **kwargs: object) -> None:
        self.events: queue.Queue[ReaderEvent] = queue.Queue()
        self.reader = SerialCardReader(
            str(peer.link),
            on_event=self.events.put,
            framing=framing,
            reopen_interval_s=0.05,
            **kwargs,  # type: ignore[arg-type]
        )


@pytest.fixture
def run(peer: PtyPeer) -> Iterator[list[Running]]:
    started: list[Running] = []
    yield started
    for r in started:
        r.reader.stop()


def _start(run: list[Running], peer: PtyPeer, framing: FramingName, **kw: object) -> Running:
    r = Running(peer, framing, **kw)
    run.append(r)
    r.reader.start()
    connected = expect(r.events, ReaderConnected)
    assert connected.port == str(peer.link)
    return r


def test_magtek_sign_on_and_swipes_in_chunks(peer: PtyPeer, run: list[Running]) -> None:
    r = _start(run, peer, "magtek")
    r.reader.require_connected()
    peer.write(F.IDTECH_SIGN_ON)
    assert expect(r.events, SignOn).text.startswith("ID TECH MiniMag II")
    frame = F.MAGTEK_VISA_LRC
    for piece in (frame[:7], frame[7:50], frame[50:]):
        peer.write(piece)
    swipe = expect(r.events, CardSwiped).swipe
    assert (swipe.pan, swipe.expiry, swipe.name) == (F.VISA_PAN, "2812", "DOE/JOHN")
    peer.write(F.MAGTEK_PAN_MISMATCH + b"\x00\x00junk" + F.MAGTEK_MC_LRC_T3_ERROR)
    assert expect(r.events, SwipeFailed).reason == "pan_mismatch"
    assert expect(r.events, CardSwiped).swipe.pan == F.MC_PAN
    assert r.reader.connected


def test_msr605_is_armed_and_rearmed_over_the_wire(peer: PtyPeer, run: list[Running]) -> None:
    r = _start(run, peer, "msr605")
    assert peer.read_exactly(2) == b"\x1br"
    peer.write(F.MSR605_VISA)
    assert expect(r.events, CardSwiped).swipe.pan == F.VISA_PAN
    assert peer.read_exactly(2) == b"\x1br"
    peer.write(F.MSR605_READ_ERROR)
    assert expect(r.events, SwipeFailed).reason == "reader_status_1"
    assert peer.read_exactly(2) == b"\x1br"


def test_auto_framing_detects_each_reader(peer: PtyPeer, run: list[Running]) -> None:
    r = _start(run, peer, "auto")
    assert peer.read_exactly(2) == b"\x1br"
    peer.write(F.MSR605_MC_T2_ONLY)
    assert expect(r.events, CardSwiped).swipe.pan == F.MC_PAN


def test_unplug_and_replug_reconnects_and_reads_the_next_swipe(
    peer: PtyPeer, run: list[Running]
) -> None:
    r = _start(run, peer, "magtek")
    peer.write(F.MAGTEK_VISA)
    assert expect(r.events, CardSwiped).swipe.pan == F.VISA_PAN

    peer.unplug()
    down = expect(r.events, ReaderDisconnected)
    assert down.port == str(peer.link)
    assert "reconnects" in down.message

    peer.replug()
    expect(r.events, ReaderConnected)
    peer.write(F.MAGTEK_MC_LRC_T3_ERROR)
    assert expect(r.events, CardSwiped).swipe.pan == F.MC_PAN


class _NotifyingDecoder(CardStreamDecoder):
    """The real decoder, plus an Event set when bytes reached it (so the test need not poll)."""

    def __init__(self) -> None:
        super().__init__("magtek")
        self.got_bytes = threading.Event()

    def feed(self, data: bytes) -> list[ReaderEvent]:
        events = super().feed(data)
        self.got_bytes.set()
        return events


def test_unplugged_mid_swipe_is_swipe_again_then_disconnected(peer: PtyPeer) -> None:
    events: queue.Queue[ReaderEvent] = queue.Queue()
    decoder = _NotifyingDecoder()
    reader = SerialInputDevice(
        str(peer.link), decoder=decoder, on_event=events.put, reopen_interval_s=0.05
    )
    reader.start()
    try:
        expect(events, ReaderConnected)
        peer.write(F.MAGTEK_VISA[:25])
        assert decoder.got_bytes.wait(TIMEOUT_S), "reader never received the partial swipe"
        assert events.empty()
        peer.unplug()
        assert expect(events, SwipeFailed).reason == "partial"
        expect(events, ReaderDisconnected)
    finally:
        reader.stop()


def test_a_stale_partial_frame_times_out_on_the_injected_clock(
    peer: PtyPeer, run: list[Running]
) -> None:
    clock = ManualClock()
    r = _start(run, peer, "magtek", clock=clock, frame_timeout_s=2.0)
    peer.write(F.MAGTEK_VISA[:25])
    deadline = time.monotonic() + TIMEOUT_S
    event: ReaderEvent | None = None
    while event is None:
        assert time.monotonic() < deadline, "the partial swipe never timed out"
        clock.advance(1.0)
        try:
            event = r.events.get(timeout=0.05)
        except queue.Empty:
            continue
    assert isinstance(event, SwipeFailed) and event.reason == "partial"
    peer.write(F.MAGTEK_VISA)  # the next swipe is not glued to the remains of the last one
    assert expect(r.events, CardSwiped).swipe.pan == F.VISA_PAN


def test_missing_port_is_reported_once_and_stop_is_immediate(tmp_path: Path) -> None:
    events: queue.Queue[ReaderEvent] = queue.Queue()
    reader = SerialCardReader(
        str(tmp_path / "no-such-tty"), on_event=events.put, reopen_interval_s=3600.0
    )
    reader.start()
    down = expect(events, ReaderDisconnected)
    assert "cannot open port" in down.reason
    with pytest.raises(ReaderUnavailable, match="card reader is not connected: check its cable"):
        reader.require_connected()
    started = time.monotonic()
    reader.stop()
    assert time.monotonic() - started < 1.0, "stop() waited for the reopen interval"
    assert events.empty()


def test_stop_while_connected_returns_at_once(peer: PtyPeer) -> None:
    events: queue.Queue[ReaderEvent] = queue.Queue()
    reader = SerialCardReader(str(peer.link), on_event=events.put, read_timeout_s=30.0)
    reader.start()
    expect(events, ReaderConnected)
    started = time.monotonic()
    reader.stop()
    assert time.monotonic() - started < 1.0, "stop() waited for the read timeout"
    assert not reader.connected


def test_a_failing_subscriber_does_not_stop_the_reader(peer: PtyPeer) -> None:
    hub = EventHub()
    events: queue.Queue[ReaderEvent] = queue.Queue()

    def broken(event: ReaderEvent) -> None:
        raise RuntimeError("screen crashed")

    hub.subscribe(broken)
    hub.subscribe(events.put)
    reader = SerialCardReader(str(peer.link), on_event=hub, framing="magtek")
    reader.start()
    try:
        expect(events, ReaderConnected)
        peer.write(F.MAGTEK_VISA + F.MAGTEK_BARE_E)
        assert expect(events, CardSwiped).swipe.last4 == "1111"
        assert expect(events, SwipeFailed).reason == "unreadable"
    finally:
        reader.stop()


def test_id_tech_track_per_line_swipe_is_released_after_the_frame_timeout(
    peer: PtyPeer, run: list[Running]
) -> None:
    r = _start(run, peer, "magtek", frame_timeout_s=0.2)
    peer.write(F.IDTECH_LINES_T1_T2)
    swipe = expect(r.events, CardSwiped).swipe
    assert (swipe.pan, swipe.tracks_present) == (F.MC_PAN, (1, 2))
    assert r.events.empty()


def test_event_hub_fans_out_until_unsubscribed() -> None:
    hub = EventHub()
    first: list[ReaderEvent] = []
    second: list[ReaderEvent] = []
    stop_first = hub.subscribe(first.append)
    hub.subscribe(second.append)
    hub(SignOn("MagTek"))
    stop_first()
    stop_first()  # twice is harmless: a screen may close twice
    hub.publish(SwipeFailed("partial"))
    assert first == [SignOn("MagTek")]
    assert second == [SignOn("MagTek"), SwipeFailed("partial")]


@pytest.mark.parametrize("frame", [F.MAGTEK_VISA_NO_CR, F.IDTECH_UIC_LRC_DUAL[:-1]])
def test_a_reader_without_a_terminator_is_read_when_the_line_goes_quiet(
    peer: PtyPeer, run: list[Running], frame: bytes
) -> None:
    """CR turned off (or a UIC swipe cut before its DLE): the injected clock ends the swipe."""
    clock = ManualClock()
    r = _start(run, peer, "auto", clock=clock, frame_timeout_s=0.5)
    peer.write(frame)
    deadline = time.monotonic() + TIMEOUT_S
    event: ReaderEvent | None = None
    while event is None:
        assert time.monotonic() < deadline, "the quiet line never ended the swipe"
        try:
            event = r.events.get(timeout=0.05)
        except queue.Empty:
            clock.advance(0.2)  # time passes only when the test says so
    assert isinstance(event, CardSwiped), event
    assert event.swipe.pan in (F.VISA_PAN, F.MC_PAN)
    assert clock.monotonic() - 1000.0 >= 0.5, "not before the inter-character timeout"
