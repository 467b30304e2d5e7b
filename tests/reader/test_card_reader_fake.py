"""The shipped fake card reader: real encodings through the real decoder, real lifecycle."""

from __future__ import annotations

import pytest
from helpers import reader_frames as F

from drivers.card_reader.errors import ReaderUnavailable
from drivers.card_reader.events import (
    CardSwiped,
    ReaderConnected,
    ReaderDisconnected,
    ReaderEvent,
    SwipeFailed,
)
from drivers.card_reader.fake import FakeCardReader, reader_bytes
from drivers.card_reader.framing import CardStreamDecoder


def _reader(framing: str = "magtek") -> tuple[FakeCardReader, list[ReaderEvent]]:
    events: list[ReaderEvent] = []
    reader = FakeCardReader(on_event=events.append, framing=framing)  # type: ignore[arg-type]
    reader.start()
    return reader, events


@pytest.mark.parametrize("framing", ["magtek", "msr605"])
def test_a_fake_swipe_passes_every_check_of_a_real_one(framing: str) -> None:
    reader, events = _reader(framing)
    (event,) = reader.swipe(F.MC_PAN, "2706", name="Mustermann/Erika", service_code="201")
    assert isinstance(event, CardSwiped)
    swipe = event.swipe
    assert (swipe.pan, swipe.expiry, swipe.service_code, swipe.name) == (
        F.MC_PAN,
        "2706",
        "201",
        "MUSTERMANN/ERIKA",
    )
    assert events == [ReaderConnected(f"fake://{framing}"), event]


def test_the_encoding_is_what_a_magtek_reader_sends() -> None:
    raw = reader_bytes(F.VISA_PAN, "2812", with_lrc=True)
    assert raw.endswith(b"\r")
    decoder = CardStreamDecoder("magtek")
    (event,) = decoder.feed(raw)
    assert isinstance(event, CardSwiped) and event.swipe.pan == F.VISA_PAN


@pytest.mark.parametrize(
    ("kwargs", "reason"),
    [
        ({"pan": "4111111111111112"}, "luhn"),
        ({"pan": F.VISA_PAN, "corrupt_lrc": True}, "lrc_mismatch"),
        ({"pan": F.VISA_PAN, "expiry": "2813"}, "bad_expiry"),
    ],
)
def test_a_fake_can_be_asked_for_a_bad_swipe(kwargs: dict[str, object], reason: str) -> None:
    reader, _ = _reader()
    assert reader.swipe(**kwargs) == [SwipeFailed(reason)]  # type: ignore[arg-type]


def test_unplug_and_plug() -> None:
    reader, events = _reader()
    reader.unplug()
    assert events[-1] == ReaderDisconnected("fake://magtek", "unplugged")
    with pytest.raises(ReaderUnavailable, match="not connected"):
        reader.swipe(F.VISA_PAN)
    reader.plug()
    assert events[-1] == ReaderConnected("fake://magtek")
    assert reader.feed(F.MAGTEK_PAN_MISMATCH) == [SwipeFailed("pan_mismatch")]
    reader.stop()
    assert not reader.connected


def test_a_fake_plays_one_reader() -> None:
    with pytest.raises(ValueError):
        FakeCardReader(on_event=print, framing="auto")
    with pytest.raises(ValueError):
        reader_bytes(F.VISA_PAN, "2812", framing="msr605", corrupt_lrc=True)
