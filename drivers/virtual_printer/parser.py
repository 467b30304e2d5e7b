"""Split an ESC/POS byte stream into commands, whatever way the writes were split.

Every command python-escpos can send is measured exactly (fixed lengths, ``pL pH`` blocks,
raster sizes, NUL-terminated forms), so an unknown or unsupported command is skipped as a unit
and never desyncs the stream into printing garbage. The tokenizer knows nothing of the
printer's state: real-time commands (DLE EOT ...) come out as their own tokens so the server
can answer them the moment they arrive.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import lru_cache

from escpos.capabilities import get_profile
from escpos.magicencode import Encoder

ESC, GS, FS, DLE = 0x1B, 0x1D, 0x1C, 0x10
LF, CR, HT = 0x0A, 0x0D, 0x09


@dataclass(frozen=True)
class Token:
    """One command (``kind="cmd"``), a run of text bytes (``"text"``) or a real-time command."""

    kind: str  # "text" | "cmd" | "realtime"
    raw: bytes

    @property
    def name(self) -> str:
        """``"ESC a"``, ``"GS v"``, ``"LF"``: prefix plus command letter, for dispatch and logs."""
        if self.kind == "text":
            return "TEXT"
        first = self.raw[0]
        prefix = {ESC: "ESC", GS: "GS", FS: "FS", DLE: "DLE"}.get(first)
        if prefix is None:
            return {LF: "LF", CR: "CR", HT: "HT"}.get(first, f"CTL {first:02x}")
        if len(self.raw) < 2:
            return prefix
        second = self.raw[1]
        letter = chr(second) if 0x20 < second < 0x7F else f"{second:02x}"
        return f"{prefix} {letter}"


Buffer = bytes | bytearray


def _len_pl_ph(buf: Buffer, i: int, at: int) -> int | None:
    """Length of a ``... pL pH d1..dk`` command whose pL is ``at`` bytes into the command."""
    if len(buf) < i + at + 2:
        return None
    return at + 2 + buf[i + at] + 256 * buf[i + at + 1]


def _until_nul(buf: Buffer, i: int, at: int, limit: int) -> int | None:
    """Length of a NUL-terminated command (bounded: a missing NUL cannot swallow the stream)."""
    end = buf.find(b"\x00", i + at, i + at + limit)
    if end < 0:
        return None if len(buf) < i + at + limit else at + limit
    return end + 1 - i


def _esc_length(buf: Buffer, i: int) -> int | None:
    avail = len(buf) - i
    if avail < 2:
        return None
    ch = chr(buf[i + 1])
    if ch in "@2<imLS\x0c":
        return 2
    if ch == "c":  # ESC c 3/4/5 n (paper sensors, panel buttons)
        return 4
    if ch in "tE-!adJMGV{=3UrRT% eK":
        return 3
    if ch == "p":  # ESC p m t1 t2: drawer kick
        return 5
    if ch in "B?$\\f":  # ESC B n t (buzzer), ESC ? LF NUL (python-escpos HW_RESET), ESC $ nL nH
        return 4
    if ch == "D":  # tab positions, NUL-terminated
        return _until_nul(buf, i, 2, 33)
    if ch == "*":  # ESC * m nL nH d: column bit image
        if avail < 5:
            return None
        columns = buf[i + 3] + 256 * buf[i + 4]
        return 5 + columns * (3 if buf[i + 2] in (32, 33) else 1)
    if ch == "&":  # ESC & y c1 c2 [x d1..d(y*x)]...: user-defined characters
        if avail < 5:
            return None
        y, c1, c2 = buf[i + 2], buf[i + 3], buf[i + 4]
        pos = 5
        for _ in range(max(0, c2 - c1 + 1)):
            if avail <= pos:
                return None
            pos += 1 + y * buf[i + pos]
        return pos
    if ch == "W":
        return 10
    if ch == "(":  # ESC ( A pL pH ...
        return _len_pl_ph(buf, i, 3)
    return 2  # unknown: skip the pair, the least harmful guess


def _gs_length(buf: Buffer, i: int) -> int | None:
    avail = len(buf) - i
    if avail < 2:
        return None
    ch = chr(buf[i + 1])
    if ch in "!hwHfraBbIE/Tz":
        return 3
    if ch == "V":  # GS V m [n]: cut
        if avail < 3:
            return None
        return 3 if buf[i + 2] in (0, 1, 48, 49) else 4
    if ch == "v":  # GS v 0 m xL xH yL yH d: raster bit image
        if avail < 8:
            return None
        return 8 + (buf[i + 4] + 256 * buf[i + 5]) * (buf[i + 6] + 256 * buf[i + 7])
    if ch == "(":  # GS ( k / GS ( L / ... pL pH
        return _len_pl_ph(buf, i, 3)
    if ch == "8":  # GS 8 L p1 p2 p3 p4 ...: large graphics
        if avail < 7:
            return None
        return 7 + int.from_bytes(bytes(buf[i + 3 : i + 7]), "little")
    if ch == "k":  # GS k m ...: barcode
        if avail < 3:
            return None
        if buf[i + 2] <= 6:  # function A: NUL-terminated
            return _until_nul(buf, i, 3, 256)
        if avail < 4:
            return None
        return 4 + buf[i + 3]
    if ch in "LWP\\$":
        return 4
    if ch == "^":
        return 5
    if ch == "*":  # GS * x y d: downloaded bit image
        if avail < 4:
            return None
        return 4 + buf[i + 2] * buf[i + 3] * 8
    return 2


def _fs_length(buf: Buffer, i: int) -> int | None:
    if len(buf) - i < 2:
        return None
    ch = chr(buf[i + 1])
    if ch == "p":
        return 4
    if ch in "!C-W":
        return 3
    if ch == "S":
        return 4
    if ch == "(":
        return _len_pl_ph(buf, i, 3)
    return 2


def _dle_length(buf: Buffer, i: int) -> int | None:
    avail = len(buf) - i
    if avail < 2:
        return None
    if buf[i + 1] in (0x04, 0x05):  # DLE EOT n, DLE ENQ n
        return 3
    if buf[i + 1] == 0x14:  # DLE DC4 fn ...
        if avail < 3:
            return None
        return {1: 5, 2: 5, 7: 4, 8: 10}.get(buf[i + 2], 3)
    return 2


def command_length(buf: Buffer, i: int = 0) -> int | None:
    """Bytes taken by the command at ``buf[i]``; None if more bytes are needed to know."""
    first = buf[i]
    if first == ESC:
        return _esc_length(buf, i)
    if first == GS:
        return _gs_length(buf, i)
    if first == FS:
        return _fs_length(buf, i)
    if first == DLE:
        return _dle_length(buf, i)
    return 1


class Tokenizer:
    """Incremental: ``feed()`` any slice of the stream, get back the commands it completed."""

    def __init__(self) -> None:
        self._buf = bytearray()

    @property
    def pending(self) -> int:
        """Bytes of an incomplete command still waiting for the rest."""
        return len(self._buf)

    def feed(self, data: bytes) -> list[Token]:
        self._buf.extend(data)
        out: list[Token] = []
        buf = self._buf
        i = 0
        while i < len(buf):
            b = buf[i]
            if b >= 0x20:
                j = i
                while j < len(buf) and buf[j] >= 0x20:
                    j += 1
                out.append(Token("text", bytes(buf[i:j])))
                i = j
                continue
            length = command_length(buf, i)
            if length is None or i + length > len(buf):
                break
            raw = bytes(buf[i : i + length])
            kind = "realtime" if b == DLE and len(raw) >= 2 and raw[1] in (4, 5, 0x14) else "cmd"
            out.append(Token(kind, raw))
            i += length
        del buf[:i]
        return out


@lru_cache(maxsize=8)
def code_page_table(profile: str) -> dict[int, str]:
    """ESC t number -> encoding name for ``profile`` (python-escpos's printer database)."""
    return {int(num): name for name, num in get_profile(profile).get_code_pages().items()}


@lru_cache(maxsize=64)
def _high_chars(encoding: str) -> tuple[str, ...]:
    try:
        return tuple(Encoder._get_codepage_char_list(encoding))
    except (LookupError, KeyError):
        return tuple("\ufffd" for _ in range(128))


def decode_text(data: bytes, code_page: int, profile: str = "TM-T88V") -> str:
    """Bytes as the printer would print them in code page ``code_page`` (U+FFFD if unknown)."""
    name = code_page_table(profile).get(code_page)
    high = _high_chars(name) if name else tuple("\ufffd" for _ in range(128))
    return "".join(chr(b) if b < 0x80 else high[b - 0x80] for b in data)


__all__ = ["Token", "Tokenizer", "code_page_table", "command_length", "decode_text"]
