"""Magnetic-stripe card reader: ISO/IEC 7813 tracks, reader framings, serial and wedge input.

Layout (one boundary, one module per piece, like pyserial):

* :mod:`.tracks` -- track 1 / track 2 parsing, LRC and Luhn checks, :class:`CardSwipe`;
* :mod:`.framing` -- MagTek/ID TECH (CR lines) and MSR605 (ESC frames) stream assemblers;
* :mod:`.serial_reader` -- the pyserial reader thread that survives unplugging;
* :mod:`.wedge` -- keystroke input from keyboard-wedge readers and scanners;
* :mod:`.events` -- what the drivers report; :mod:`.errors` -- named failures;
* :mod:`.fake` -- a reader without hardware for the demo, through the same decoder.

A card number leaves this package only after sentinels, LRC, Luhn and the track 1 / track 2
cross-check passed; anything doubtful is "swipe again".
"""

from drivers.card_reader.errors import SWIPE_AGAIN, CardReaderError, ReaderUnavailable, SwipeError
from drivers.card_reader.events import (
    CardSwiped,
    EventHub,
    ReaderConnected,
    ReaderDisconnected,
    ReaderEvent,
    ScannedCard,
    ScannedTransaction,
    SignOn,
    SwipeFailed,
    UnrecognisedScan,
)
from drivers.card_reader.fake import FakeCardReader
from drivers.card_reader.framing import CardStreamDecoder
from drivers.card_reader.serial_reader import SerialCardReader, SerialInputDevice
from drivers.card_reader.tracks import CardSwipe, mask_pan, swipe_from_tracks
from drivers.card_reader.wedge import WedgeAssembler

__all__ = [
    "SWIPE_AGAIN",
    "CardReaderError",
    "CardStreamDecoder",
    "CardSwipe",
    "CardSwiped",
    "EventHub",
    "FakeCardReader",
    "ReaderConnected",
    "ReaderDisconnected",
    "ReaderEvent",
    "ReaderUnavailable",
    "ScannedCard",
    "ScannedTransaction",
    "SerialCardReader",
    "SerialInputDevice",
    "SignOn",
    "SwipeError",
    "SwipeFailed",
    "UnrecognisedScan",
    "WedgeAssembler",
    "mask_pan",
    "swipe_from_tracks",
]
