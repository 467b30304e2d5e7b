"""How card readers frame a swipe on the wire, and the streaming assemblers that cut frames.

Bytes from a serial port arrive in arbitrary chunks: a frame may be split over several reads
and several frames may come in one read, with line noise between them. An assembler buffers,
yields complete frames, discards garbage up to the next frame start and never holds more than
``max_frame`` bytes, so a chattering or misconfigured device cannot grow memory without end.

Two framings cover the readers we meet at counters:

* ``magtek`` -- MagTek / ID TECH style ASCII: the tracks of one swipe concatenated on one line
  terminated by CR (or CR LF), e.g. ``%B...?;...?\\r``; optionally an LRC character after each
  end sentinel; ``%E?`` / ``;E?`` / ``+E?`` (or a bare ``E``) for a track the reader could not
  read; and a sign-on line at power-up (``ID TECH MiniMag II USB-HID ...``). The same framing
  reads ID TECH's *UIC RS-232* format (each track ``STX <track> [LRC] DLE``, the last one ended
  by ``ETX``) and MagTek's ``[STX][ESC] ... [CR][ETX]``: STX is dropped, DLE and ETX end a line
  like CR. A reader with its terminator turned off sends no CR at all; its swipe ends when the
  line goes quiet for the frame timeout (the inter-character timeout, on the reader's clock):
  :meth:`MagtekFraming.flush` then takes an unterminated rest that holds whole tracks as the
  swipe, and only a rest cut short as a failed swipe.
* ``msr605`` -- MSR605/MSR206 style replies to the read command ``ESC r`` (MSR605
  Programmer's Manual, sections 6-8): ``ESC s [ESC 01 <track 1>] [ESC 02 <track 2>]
  [ESC 03 <track 3>] ? FS ESC <status>``. The track markers are the bytes 0x01-0x03 (the
  manual's "Char Code" column writes them ``ESC 1``; ASCII ``1``-``3`` are accepted too); each
  track string keeps its sentinels (``%...?``, ``;...?``); a track with no data may be left
  out. Status ``0`` is OK; ``1``-``?`` (0x31-0x3F: read error, command format, invalid
  command, card moving ``9`` ...) and ``A`` are errors.

``auto`` feeds both until one of them recognises a frame and then sticks to it for the
connection. :class:`CardStreamDecoder` turns frames into events (:mod:`.events`).
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Literal

from drivers.card_reader.errors import SwipeError
from drivers.card_reader.events import CardSwiped, ReaderEvent, SignOn, SwipeFailed
from drivers.card_reader.tracks import RawTrack, swipe_from_tracks, track_lrc

#: Largest frame an assembler buffers; beyond it the bytes are junk and are dropped.
MAX_FRAME = 1024

ESC = 0x1B
FS = 0x1C
#: Command that arms an MSR605-style reader to read the next swipe (ISO format).
MSR605_READ = b"\x1br"

FramingName = Literal["magtek", "msr605", "auto"]
FRAMINGS: tuple[FramingName, ...] = ("magtek", "msr605", "auto")


@dataclass(frozen=True)
class SignOnFrame:
    """A reader's power-up banner."""

    text: str


@dataclass(frozen=True)
class SwipeFrame:
    """The tracks of one swipe, cut out but not yet checked."""

    tracks: tuple[RawTrack, ...]


@dataclass(frozen=True)
class BadFrame:
    """Something that was meant to be a swipe but cannot be one (partial, overflow, status)."""

    reason: str


Frame = SignOnFrame | SwipeFrame | BadFrame


class _Overflow:
    """Marker a :class:`LineAssembler` yields where it dropped an over-long line."""

    def __repr__(self) -> str:
        return "OVERFLOW"


OVERFLOW = _Overflow()


class LineAssembler:
    """CR, LF or CR LF terminated lines out of arbitrary chunks, at most ``max_line`` bytes.

    Shared by the MagTek framing and the scanners: one piece of code for every line device.
    A line longer than ``max_line`` is dropped up to its terminator and reported once as
    :data:`OVERFLOW`, so the caller can tell the clerk instead of silently losing a swipe.
    """

    def __init__(self, max_line: int = MAX_FRAME) -> None:
        self._max = max_line
        self._buf = bytearray()
        self._discarding = False

    def feed(self, data: bytes) -> list[bytes | _Overflow]:
        out: list[bytes | _Overflow] = []
        for chunk in re.split(rb"([\r\n])", bytes(data)):
            if chunk in (b"\r", b"\n"):
                if self._discarding:
                    self._discarding = False
                elif self._buf:
                    out.append(bytes(self._buf))
                self._buf.clear()
                continue
            if self._discarding:
                continue
            self._buf += chunk
            if len(self._buf) > self._max:
                self._buf.clear()
                self._discarding = True
                out.append(OVERFLOW)
        return out

    def pending(self) -> bool:
        return bool(self._buf)

    def flush(self) -> bytes:
        """Give up on the unterminated rest (a stale partial line) and return it."""
        rest = bytes(self._buf)
        self._buf.clear()
        self._discarding = False
        return rest

    def reset(self) -> None:
        self.flush()


_SENTINELS = "%;+"
_SENSOR = "01"
_LONG_DIGITS = re.compile(r"[0-9]{12,}")


def _sign_on(line: str) -> SignOnFrame | None:
    """A line without track sentinels is a banner if it reads like one, else noise."""
    text = line.strip()
    if not 3 <= len(text) <= 120:
        return None
    if any(not " " <= ch <= "~" for ch in text):
        return None
    if sum(ch.isalpha() for ch in text) < 2 or _LONG_DIGITS.search(text):
        return None
    return SignOnFrame(text)


def _tokenise(line: str, pos: int, seen: tuple[int, ...]) -> list[RawTrack] | None:
    """Tracks from ``line[pos:]``, trying "LRC" and "next sentinel" where a byte is ambiguous.

    Why the backtracking: a reader that sends LRCs may send one that equals a start sentinel
    (``;`` is a legal LRC), and a reader that does not send LRCs puts the next sentinel right
    after ``?``. We prefer the reading in which the LRC checks out and the rest still parses.
    A ``0``/``1`` that ends the line and is not the LRC is the card-sensor state MagTek insert
    readers append (``%...?;...?0``), not a wrong LRC.
    """
    if pos == len(line):
        return []
    char = line[pos]
    if seen and pos == len(line) - 1 and char in _SENSOR:
        return []  # MagTek insert readers end the line with the card-sensor state
    if len(seen) >= 3:
        return None
    if char == "E":
        number = (max(seen) + 1) if seen else 1
        if number in seen or number > 3:
            return None
        rest = _tokenise(line, pos + 1, (*seen, number))
        return None if rest is None else [RawTrack(number, unreadable=True), *rest]
    if char not in _SENTINELS:
        return None
    if char == "%":
        number = 1
    elif char == "+":
        number = 3
    else:
        number = 3 if 2 in seen else 2
    if number in seen:
        return None
    end = line.find("?", pos + 1)
    if end < 0:
        return None
    text = line[pos : end + 1]
    unreadable = text[1:-1] == "E"
    after = end + 1
    if after == len(line):
        return [RawTrack(number, text, None, unreadable)]
    nxt = line[after]
    try:
        expected: str | None = track_lrc(text, number)
    except SwipeError:
        expected = None  # off-set characters: any LRC is moot, the track check will refuse it
    candidates: list[tuple[str | None, int]] = []
    if nxt == expected:
        candidates.append((nxt, after + 1))
    if nxt in _SENTINELS or nxt == "E" or (after == len(line) - 1 and nxt in _SENSOR):
        candidates.append((None, after))
    elif nxt != expected:
        candidates.append((nxt, after + 1))  # an LRC that does not match: refused later
    for lrc, resume in candidates:
        rest = _tokenise(line, resume, (*seen, number))
        if rest is not None:
            track = RawTrack(number, text, None if unreadable else lrc, unreadable)
            return [track, *rest]
    return None


def parse_magtek_line(raw: bytes) -> Frame | None:
    """One CR-terminated line of a MagTek / ID TECH reader; ``None`` for noise to ignore."""
    line = raw.decode("latin-1")
    if line.strip() == "E":
        return BadFrame("unreadable")
    starts = [i for i in (line.find(s) for s in _SENTINELS) if i >= 0]
    if not starts:
        return _sign_on(line)
    tracks = _tokenise(line, min(starts), ())
    if tracks is None:
        return BadFrame("malformed")
    return SwipeFrame(tuple(tracks))


class MagtekFraming:
    """Streaming assembler for CR-terminated ASCII readers (MagTek, ID TECH).

    Most readers put all tracks of a swipe on one line. ID TECH's own output format sends one
    line per track (``%...?\\r;...?\\r``), so a line holding a single track is held back until
    the next line shows whether a later track of the same swipe follows; :meth:`flush` (the
    reader thread calls it once the line has gone quiet for the frame timeout) releases it.
    A held swipe is never lost and never merged with a track that cannot belong to it.
    """

    def __init__(self, max_frame: int = MAX_FRAME) -> None:
        self._lines = LineAssembler(max_frame)
        self._held: SwipeFrame | None = None
        #: inside an STX-framed track (UIC, MagTek): DLE or ETX ends it like CR
        self._stx = False
        self._prev = 0

    def _unframe(self, data: bytes) -> bytes:
        """Drop STX, turn the DLE / ETX that end an STX-framed track into CR.

        Only an STX not preceded by ESC opens a frame: ``ESC 0x02`` is an MSR605 track marker,
        and the auto framing feeds MSR605 replies through here too.
        """
        out = bytearray()
        for b in data:
            if b == 0x02 and self._prev != ESC:
                self._stx = True
            elif b in (0x10, 0x03) and self._stx:
                out.append(0x0D)
                self._stx = False
            else:
                out.append(b)
            self._prev = b
        return bytes(out)

    def feed(self, data: bytes) -> list[Frame]:
        frames: list[Frame] = []
        for line in self._lines.feed(self._unframe(data)):
            if isinstance(line, _Overflow):
                frames += self._release()
                frames.append(BadFrame("overflow"))
                continue
            frame = parse_magtek_line(line)
            if frame is not None:
                frames += self._merge(frame)
        return frames

    def _release(self) -> list[Frame]:
        held, self._held = self._held, None
        return [held] if held is not None else []

    def _merge(self, frame: Frame) -> list[Frame]:
        if not (isinstance(frame, SwipeFrame) and len(frame.tracks) == 1):
            return [*self._release(), frame]
        track = frame.tracks[0]
        held = self._held
        if held is not None:
            last = held.tracks[-1].number
            if track.number == 2 and last == 2 and track.text.startswith(";"):
                # ISO track 3 also starts with ";": on its own line it reads as a track 2.
                track = RawTrack(3, track.text, track.lrc, track.unreadable)
            if track.number > last:
                merged = SwipeFrame((*held.tracks, track))
                self._held = None
                if track.number == 3:
                    return [merged]
                self._held = merged
                return []
        out = self._release()
        if track.number == 3:
            return [*out, frame]
        self._held = frame
        return out

    def pending(self) -> bool:
        return self._lines.pending() or self._held is not None

    def flush(self) -> list[Frame]:
        """The line went quiet: release a held single-track swipe, and take an unterminated
        rest as a line if it holds whole tracks (a reader without CR); a rest with a sentinel
        but no whole track is a swipe cut short, anything else is noise."""
        rest_raw = self._lines.flush()
        rest = rest_raw.decode("latin-1")
        frame = parse_magtek_line(rest_raw) if rest.rstrip().endswith("?") else None
        if isinstance(frame, SwipeFrame):
            return [*self._merge(frame), *self._release()]
        frames = self._release()
        if any(s in rest for s in _SENTINELS):
            frames.append(BadFrame("partial"))
        return frames

    def reset(self) -> None:
        self._lines.reset()
        self._held = None
        self._stx, self._prev = False, 0


_MSR605_ERRORS = frozenset(range(0x31, 0x40)) | {ord("A")}


class Msr605Framing:
    """Streaming assembler for ESC-framed replies of MSR605/MSR206-style readers."""

    def __init__(self, max_frame: int = MAX_FRAME) -> None:
        self._max = max_frame
        self._buf = bytearray()
        #: True once an ``ESC s`` data block was cut: proof the peer speaks this framing.
        self.saw_block = False

    def feed(self, data: bytes) -> list[Frame]:
        self._buf += data
        frames: list[Frame] = []
        while True:
            start = self._buf.find(ESC)
            if start < 0:
                self._buf.clear()  # no frame start anywhere: all of it is noise
                break
            del self._buf[:start]
            if len(self._buf) < 2:
                break
            code = self._buf[1]
            if code == ord("s"):
                frame, consumed = self._data_block()
                if consumed == 0:
                    break
                del self._buf[:consumed]
                self.saw_block = True
                if frame is not None:
                    frames.append(frame)
                continue
            del self._buf[:2]
            if code in _MSR605_ERRORS:
                frames.append(BadFrame(f"reader_status_{chr(code)}"))
            # ESC 0 (command OK), ESC y (test reply) and unknown pairs carry no swipe.
        return frames

    def _data_block(self) -> tuple[Frame | None, int]:
        """Cut one ``ESC s ... ? FS ESC status`` block; (None, 0) means wait for more bytes."""
        buf = self._buf
        end = buf.find(bytes([FS, ESC]), 2)
        restart = buf.find(b"\x1bs", 2)
        if restart >= 0 and (end < 0 or restart < end):
            return BadFrame("partial"), restart  # a new block began before this one ended
        if end < 0 or end + 2 >= len(buf):
            if len(buf) > self._max:
                return BadFrame("overflow"), len(buf)
            return None, 0
        status = buf[end + 2]
        block = bytes(buf[2:end])
        consumed = end + 3
        if status != ord("0"):
            return BadFrame(f"reader_status_{chr(status)}"), consumed
        tracks = _msr605_tracks(block)
        if tracks is None:
            return BadFrame("malformed"), consumed
        return SwipeFrame(tracks), consumed

    def pending(self) -> bool:
        return bool(self._buf)

    def flush(self) -> list[Frame]:
        partial = b"\x1bs" in self._buf
        self._buf.clear()
        return [BadFrame("partial")] if partial else []

    def reset(self) -> None:
        self._buf.clear()
        self.saw_block = False


_MSR605_MARKER = re.compile(rb"\x1b([\x01-\x03123])")


def _msr605_tracks(block: bytes) -> tuple[RawTrack, ...] | None:
    """Tracks of one ``[ESC n <string>]... ?`` card-data field; None if it is not one.

    The field's closing ``?`` follows the last track's own end sentinel (``;23??``), so it is
    stripped from the last string only; a missing one leaves a track without its sentinel,
    which the track checks refuse.
    """
    parts = _MSR605_MARKER.split(block)
    markers, strings = parts[1::2], parts[2::2]
    if not markers:
        return () if block == b"?" else None
    if parts[0] or not strings[-1].endswith(b"?"):
        return None
    strings[-1] = strings[-1][:-1]
    tracks: list[RawTrack] = []
    last = 0
    for marker, data in zip(markers, strings, strict=True):
        number = marker[0] if marker[0] < 0x10 else marker[0] - 0x30
        if number <= last:
            return None  # out of order or repeated: not a frame this reader sends
        last = number
        text = data.decode("latin-1")
        if not text:
            continue  # the reader found nothing on this track
        if text[1:-1] == "E":
            tracks.append(RawTrack(number, unreadable=True))
        else:
            tracks.append(RawTrack(number, text))
    return tuple(tracks)


class AutoFraming:
    """Feeds both framings until one recognises a frame, then keeps to that one.

    MSR605 frames complete on ``ESC status`` (no line end), MagTek frames on CR, so whichever
    device is attached, its own framing speaks first. MagTek readers may prefix lines with
    ``STX ESC`` and send ``STX ESC 1 CR ETX`` on card insertion, so only a complete ``ESC s``
    data block chooses the MSR605 framing. :meth:`reset` (a new connection) forgets
    the choice: the reader on the port may have been swapped.
    """

    def __init__(self, max_frame: int = MAX_FRAME) -> None:
        self._max = max_frame
        self.magtek = MagtekFraming(max_frame)
        self.msr605 = Msr605Framing(max_frame)
        self.chosen: FramingName | None = None

    def feed(self, data: bytes) -> list[Frame]:
        if self.chosen == "magtek":
            return self.magtek.feed(data)
        if self.chosen == "msr605":
            return self.msr605.feed(data)
        esc_frames = self.msr605.feed(data)
        line_frames = self.magtek.feed(data)
        # A bare "ESC 1" is also MagTek's card-sensor message, so only a data block proves
        # an MSR605; its status-only replies are ignored until then.
        if self.msr605.saw_block:
            self.chosen = "msr605"
            self.magtek.reset()
            return esc_frames
        if any(isinstance(f, SwipeFrame | SignOnFrame) for f in line_frames):
            self.chosen = "magtek"
            self.msr605.reset()
        return line_frames

    def pending(self) -> bool:
        return self.magtek.pending() or self.msr605.pending()

    def flush(self) -> list[Frame]:
        if self.chosen == "msr605":
            return self.msr605.flush()
        if self.chosen == "magtek":
            return self.magtek.flush()
        frames = self.msr605.flush() or self.magtek.flush()
        self.magtek.reset()
        self.msr605.reset()
        return frames

    def reset(self) -> None:
        self.magtek.reset()
        self.msr605.reset()
        self.chosen = None


def make_framing(name: FramingName, max_frame: int = MAX_FRAME) -> Framing:
    if name == "magtek":
        return MagtekFraming(max_frame)
    if name == "msr605":
        return Msr605Framing(max_frame)
    if name == "auto":
        return AutoFraming(max_frame)
    raise ValueError(f"unknown card reader framing {name!r}; use one of {', '.join(FRAMINGS)}")


Framing = MagtekFraming | Msr605Framing | AutoFraming


def decode_frame(frame: Frame) -> ReaderEvent:
    """The event a frame means; a swipe that fails any check becomes :class:`SwipeFailed`."""
    if isinstance(frame, SignOnFrame):
        return SignOn(frame.text)
    if isinstance(frame, BadFrame):
        return SwipeFailed(frame.reason)
    try:
        return CardSwiped(swipe_from_tracks(frame.tracks))
    except SwipeError as exc:
        return SwipeFailed(exc.reason)


class CardStreamDecoder:
    """Bytes in, events out: a framing plus the track checks, plus what to send the reader.

    ``greeting()`` and ``rearm()`` return the bytes the serial thread must write: MSR605-style
    readers read nothing until armed with ``ESC r`` and disarm after every swipe. In ``auto``
    the arm command is sent too, because until the first frame we cannot know the reader, and
    the ASCII readers of the MagTek family ignore it.
    """

    def __init__(self, framing: FramingName = "auto", max_frame: int = MAX_FRAME) -> None:
        self.framing_name = framing
        self._framing = make_framing(framing, max_frame)

    def _arms(self) -> bool:
        if isinstance(self._framing, AutoFraming):
            return self._framing.chosen != "magtek"
        return isinstance(self._framing, Msr605Framing)

    def feed(self, data: bytes) -> list[ReaderEvent]:
        return [decode_frame(frame) for frame in self._framing.feed(data)]

    def pending(self) -> bool:
        return self._framing.pending()

    def flush(self) -> list[ReaderEvent]:
        return [decode_frame(frame) for frame in self._framing.flush()]

    def reset(self) -> None:
        self._framing.reset()

    def greeting(self) -> bytes:
        return MSR605_READ if self._arms() else b""

    def rearm(self, event: ReaderEvent) -> bytes:
        if isinstance(event, CardSwiped | SwipeFailed) and self._arms():
            return MSR605_READ
        return b""


__all__ = [
    "FRAMINGS",
    "MAX_FRAME",
    "MSR605_READ",
    "OVERFLOW",
    "AutoFraming",
    "BadFrame",
    "CardStreamDecoder",
    "Frame",
    "Framing",
    "FramingName",
    "LineAssembler",
    "MagtekFraming",
    "Msr605Framing",
    "SignOnFrame",
    "SwipeFrame",
    "decode_frame",
    "make_framing",
    "parse_magtek_line",
]
