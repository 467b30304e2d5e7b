"""ISO/IEC 7813 track 1 and track 2 as card readers deliver them in ASCII.

Why so strict: a card number that reaches a sale is money moved to somebody's card. Every
check a magnetic stripe allows is made here, and any doubt becomes :class:`SwipeError`
("swipe again"), never a guessed number.

Track formats (ISO/IEC 7813)::

    track 1: %B<PAN 12-19>^<NAME 2-26>^<YYMM><service code 3><discretionary>?[LRC]
    track 2: ;<PAN 12-19>=<YYMM><service code 3><discretionary>?[LRC]

LRC rule (ISO/IEC 7811-2 and -6, as seen through an ASCII reader)
------------------------------------------------------------------
On the stripe, track 1 uses a 6-bit character set (ASCII 0x20-0x5F, code = ASCII - 0x20) and
tracks 2 and 3 a 4-bit set (ASCII 0x30-0x3F, code = ASCII - 0x30); each character carries an
odd parity bit. The LRC character is chosen so that, for every data bit position, the number
of ones over *start sentinel, data, end sentinel and LRC* is even, i.e. the LRC's data bits are
the XOR of the codes of every character from the start sentinel through the end sentinel. Its
own parity bit is odd parity over the LRC character (not part of the XOR). Readers strip the
parity bits and send characters as ASCII, so the LRC we can check is::

    track 1: chr(0x20 + XOR(ord(c) - 0x20 for c in "%...?"))
    track 2: chr(0x30 + XOR(ord(c) - 0x30 for c in ";...?"))

Track 3 uses the track 2 set; MagTek readers print its start sentinel (code 0x0B, ASCII ``;``)
as ``+``, so ``+`` counts as code 0x0B. Parity bits themselves are checked by the reader's
hardware; a parity failure reaches us as the reader's error marker (``%E?``) instead of data.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from stdnum import luhn

from drivers.card_reader.errors import SwipeError

#: Longest track texts, sentinels included (ISO/IEC 7811: 79, 40 and 107 characters).
MAX_TRACK_LENGTH = {1: 79, 2: 40, 3: 107}

_TRACK1 = re.compile(
    r"%B(?P<pan>[0-9]{12,19})\^(?P<name>[^%?^]{2,26})\^"
    r"(?P<expiry>[0-9]{4})(?P<service>[0-9]{3})(?P<disc>[^%?^]*)\?"
)
_TRACK2 = re.compile(
    r";(?P<pan>[0-9]{12,19})=(?P<expiry>[0-9]{4})(?P<service>[0-9]{3})(?P<disc>[0-9:<>=]*)\?"
)
_TRACK3 = re.compile(r"[;+][0-9:<>=]*\?")


def mask_pan(pan: str) -> str:
    """Every digit but the last four replaced by ``*``: what screens, JSON and logs show."""
    return "*" * max(len(pan) - 4, 0) + pan[-4:]


def track_lrc(text: str, track: int) -> str:
    """The LRC character a reader appends to ``text`` (start through end sentinel).

    Raises :class:`SwipeError` if ``text`` holds a character outside the track's set: such a
    track cannot have come off a stripe intact.
    """
    base = 0x20 if track == 1 else 0x30
    width = 0x40 if track == 1 else 0x10
    acc = 0
    for i, char in enumerate(text):
        code = ord(char)
        if track == 3 and i == 0 and char == "+":
            code = ord(";")
        code -= base
        if not 0 <= code < width:
            raise SwipeError("bad_character", f"track {track} holds a character off its set")
        acc ^= code
    return chr(base + acc)


@dataclass(frozen=True, repr=False)
class RawTrack:
    """One track as a framing cut it out of the reader's bytes, before any check.

    ``text`` runs from start to end sentinel; ``lrc`` is the character the reader sent after
    the end sentinel, if it sends LRCs; ``unreadable`` is the reader's own "could not read this
    track" marker (``%E?``, ``;E?``, ``+E?``, a bare ``E``).
    """

    number: int
    text: str = ""
    lrc: str | None = None
    unreadable: bool = False

    def __repr__(self) -> str:
        shown = "E" if self.unreadable else _mask_text(self.text)
        return f"RawTrack({self.number}, {shown!r}, lrc={self.lrc!r})"


def _mask_text(text: str) -> str:
    return re.sub(r"[0-9]{12,19}", lambda m: mask_pan(m.group(0)), text)


@dataclass(frozen=True, repr=False)
class TrackData:
    """The fields of one readable track (track 2 has no name)."""

    number: int
    pan: str
    expiry: str
    service_code: str
    name: str | None

    def __repr__(self) -> str:
        return f"TrackData({self.number}, masked={mask_pan(self.pan)!r}, expiry={self.expiry!r})"


@dataclass(frozen=True, repr=False)
class CardSwipe:
    """A card read from its stripe: every check passed; the PAN may go to a sale.

    ``repr()`` and ``str()`` show only the masked number: the object is passed around, logged
    and put in events, and a full PAN in a log file is a breach.
    """

    pan: str
    last4: str
    expiry: str
    service_code: str
    name: str | None
    tracks_present: tuple[int, ...]

    @property
    def masked(self) -> str:
        return mask_pan(self.pan)

    def __repr__(self) -> str:
        return (
            f"CardSwipe(masked={self.masked!r}, expiry={self.expiry!r}, "
            f"service_code={self.service_code!r}, name={self.name!r}, "
            f"tracks_present={self.tracks_present!r})"
        )

    __str__ = __repr__


def _check_length_and_lrc(raw: RawTrack) -> None:
    if len(raw.text) + (1 if raw.lrc is not None else 0) > MAX_TRACK_LENGTH[raw.number]:
        raise SwipeError("too_long", f"track {raw.number} is longer than a stripe holds")
    expected = track_lrc(raw.text, raw.number)
    if raw.lrc is not None and raw.lrc != expected:
        raise SwipeError("lrc_mismatch", f"track {raw.number} LRC does not match")


def _check_expiry(expiry: str, track: int) -> None:
    if not 1 <= int(expiry[2:]) <= 12:
        raise SwipeError("bad_expiry", f"track {track} expiry month is not 01-12")


def parse_track1(raw: RawTrack) -> TrackData:
    """Fields of track 1 (format code B), after length, character set and LRC checks."""
    _check_length_and_lrc(raw)
    match = _TRACK1.fullmatch(raw.text)
    if match is None:
        raise SwipeError("bad_track1", "track 1 is not %B<PAN>^<NAME>^<YYMM><SSS>...?")
    _check_expiry(match["expiry"], 1)
    name = _format_name(match["name"])
    return TrackData(1, match["pan"], match["expiry"], match["service"], name)


def parse_track2(raw: RawTrack) -> TrackData:
    """Fields of track 2, after length, character set and LRC checks."""
    _check_length_and_lrc(raw)
    match = _TRACK2.fullmatch(raw.text)
    if match is None:
        raise SwipeError("bad_track2", "track 2 is not ;<PAN>=<YYMM><SSS>...?")
    _check_expiry(match["expiry"], 2)
    return TrackData(2, match["pan"], match["expiry"], match["service"], None)


def _check_track3(raw: RawTrack) -> None:
    _check_length_and_lrc(raw)
    if _TRACK3.fullmatch(raw.text) is None:
        raise SwipeError("bad_track3", "track 3 is not framed by its sentinels")


def _format_name(field: str) -> str | None:
    """``DOE/JOHN A.MR`` -> ``DOE/JOHN A.MR`` trimmed; ``" /"`` (no name on the card) -> None."""
    name = field.strip()
    if not name or name == "/":
        return None
    return name


def swipe_from_tracks(tracks: list[RawTrack] | tuple[RawTrack, ...]) -> CardSwipe:
    """The card of one swipe, or :class:`SwipeError`.

    Why these rules: a track the reader marked unreadable is skipped (the other track may
    still be good), but a track that arrived *with data* and fails any check condemns the whole
    swipe, because it shows the stripe was read badly. Both readable tracks must agree on PAN
    and expiry. The PAN must pass Luhn before it can leave this function.
    """
    seen: set[int] = set()
    parsed: list[TrackData] = []
    for raw in tracks:
        if raw.number in seen:
            raise SwipeError("malformed", f"track {raw.number} appears twice")
        seen.add(raw.number)
        if raw.unreadable:
            continue
        if raw.number == 1:
            parsed.append(parse_track1(raw))
        elif raw.number == 2:
            parsed.append(parse_track2(raw))
        elif raw.number == 3:
            _check_track3(raw)
        else:
            raise SwipeError("malformed", "unknown track number")
    if not parsed:
        raise SwipeError("no_valid_track", "neither track 1 nor track 2 could be read")
    first = parsed[0]
    for other in parsed[1:]:
        if other.pan != first.pan:
            raise SwipeError("pan_mismatch", "track 1 and track 2 card numbers differ")
        if other.expiry != first.expiry or other.service_code != first.service_code:
            raise SwipeError("data_mismatch", "track 1 and track 2 expiry or service differ")
    if not luhn.is_valid(first.pan):
        raise SwipeError("luhn", "card number fails the Luhn check")
    name = next((t.name for t in parsed if t.name is not None), None)
    present = tuple(sorted(raw.number for raw in tracks if not raw.unreadable))
    return CardSwipe(
        pan=first.pan,
        last4=first.pan[-4:],
        expiry=first.expiry,
        service_code=first.service_code,
        name=name,
        tracks_present=present,
    )


__all__ = [
    "MAX_TRACK_LENGTH",
    "CardSwipe",
    "RawTrack",
    "TrackData",
    "mask_pan",
    "parse_track1",
    "parse_track2",
    "swipe_from_tracks",
    "track_lrc",
]
