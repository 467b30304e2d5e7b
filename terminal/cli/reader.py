"""``kiosk reader listen`` and ``kiosk reader parse``: the card reader and scanner from a shell.

``listen`` opens a real port and prints what the device reports, one event per line, until
Ctrl-C -- the first thing to run when a reader "does nothing" at a counter. Without ``--port``
it opens the device exactly as the kiosk would, from kiosk.toml's ``[reader]`` or
``[scanner]`` (URL, baud rate, byte size, parity, stop bits, framing); any option given on the
command line overrides the file. ``parse`` runs the
very same decoders over bytes from stdin, to replay a capture without the device. Both print
masked card numbers only: the output may end up in a support ticket.
"""

from __future__ import annotations

import queue
import sys
from dataclasses import dataclass
from typing import Any, Literal, cast

import click

from drivers.card_reader.events import (
    CardSwiped,
    ReaderConnected,
    ReaderDisconnected,
    ReaderEvent,
    ScannedCard,
    ScannedTransaction,
    SignOn,
    SwipeFailed,
    UnrecognisedScan,
)
from drivers.card_reader.framing import FRAMINGS, CardStreamDecoder, FramingName
from drivers.card_reader.serial_reader import Parity, SerialCardReader, SerialInputDevice
from drivers.card_reader.wedge import WedgeAssembler
from drivers.scanner.serial_scanner import ScanStreamDecoder, SerialScanner
from terminal.cli.options import JSON_OPTION

Kind = Literal["card", "scanner"]


@dataclass(frozen=True)
class LineSettings:
    """Where and how to open the device: from kiosk.toml, then the command line's overrides."""

    url: str
    baudrate: int = 9600
    bytesize: int = 8
    parity: str = "N"
    stopbits: float = 1
    framing: str = "auto"


def line_settings(config_path: Any, kind: Kind, overrides: dict[str, Any]) -> LineSettings:
    """The device's settings as the kiosk would open it; the file is needed only without
    ``--port``. Raises :class:`click.UsageError` with what to do when neither says where."""
    given = {k: v for k, v in overrides.items() if v is not None}
    if given.get("url") is None:
        from terminal.config import load_config
        from terminal.errors import KioskError

        try:
            cfg = load_config(config_path)
        except KioskError as exc:
            raise click.UsageError(
                f"{exc}\nGive the device with --port, or fix kiosk.toml."
            ) from None
        section = cfg.reader if kind == "card" else cfg.scanner
        name = "reader" if kind == "card" else "scanner"
        if section is None:
            raise click.UsageError(
                f"{config_path} has no [{name}] section: give the device with --port, or add "
                f"[{name}] url = ... to kiosk.toml."
            )
        base = {
            "url": section.url,
            "baudrate": section.baudrate,
            "bytesize": section.bytesize,
            "parity": section.parity,
            "stopbits": section.stopbits,
            "framing": getattr(section, "framing", "auto"),
        }
        given = {**base, **given}
    return LineSettings(**given)


def describe(event: ReaderEvent) -> str:
    """One line a clerk or technician reads; never a full card number."""
    if isinstance(event, CardSwiped):
        s = event.swipe
        name = f" {s.name}" if s.name else ""
        tracks = "+".join(str(t) for t in s.tracks_present)
        return (
            f"card swiped: {s.masked} expires {s.expiry[2:]}/{s.expiry[:2]}{name} (tracks {tracks})"
        )
    if isinstance(event, SwipeFailed):
        return f"swipe failed ({event.reason}): {event.message}"
    if isinstance(event, SignOn):
        return f"reader says: {event.text}"
    if isinstance(event, ReaderConnected):
        return f"connected: {event.port}"
    if isinstance(event, ReaderDisconnected):
        return f"disconnected ({event.reason}): {event.message}"
    if isinstance(event, ScannedTransaction):
        return f"scanned transaction: {event.txn}"
    if isinstance(event, ScannedCard):
        return f"scanned card: {event.masked}"
    if isinstance(event, UnrecognisedScan):
        return f"unrecognised scan {event.text!r}: {event.message}"
    return event.to_json()


def _echo(event: ReaderEvent, as_json: bool) -> None:
    click.echo(event.to_json() if as_json else describe(event))


_KIND = click.Choice(["card", "scanner"])
_FRAMING = click.Choice(list(FRAMINGS))


def register(main: click.Group) -> None:
    @main.group("reader")
    def reader() -> None:
        """Card reader and barcode/QR scanner diagnostics."""

    @reader.command("listen")
    @click.option(
        "--port",
        "url",
        default=None,
        help="Serial port or pyserial URL (default: [reader] / [scanner] url in kiosk.toml).",
    )
    @click.option("--kind", type=_KIND, default="card", show_default=True, help="Device kind.")
    @click.option(
        "--framing", type=_FRAMING, default=None, help="Card reader framing (default: auto)."
    )
    @click.option(
        "--baudrate",
        type=click.IntRange(50, 4_000_000),
        default=None,
        help="Line speed (default: kiosk.toml's, else 9600).",
    )
    @click.option(
        "--bytesize",
        type=click.Choice(["5", "6", "7", "8"]),
        default=None,
        help="Data bits (default: kiosk.toml's, else 8).",
    )
    @click.option(
        "--parity",
        type=click.Choice(["N", "E", "O", "M", "S"]),
        default=None,
        help="None, even, odd, mark or space (default: kiosk.toml's, else N).",
    )
    @click.option(
        "--stopbits",
        type=click.Choice(["1", "1.5", "2"]),
        default=None,
        help="Stop bits (default: kiosk.toml's, else 1).",
    )
    @click.option("--reopen-interval", type=float, default=1.0, show_default=True, help="Seconds.")
    @click.option("--count", type=int, default=None, help="Stop after this many swipes/scans.")
    @JSON_OPTION
    @click.pass_obj
    def listen(
        obj: Any,
        url: str | None,
        kind: Kind,
        framing: FramingName | None,
        baudrate: int | None,
        bytesize: str | None,
        parity: str | None,
        stopbits: str | None,
        reopen_interval: float,
        count: int | None,
        as_json: bool,
    ) -> None:
        """Print what the device reports until Ctrl-C (survives unplugging); one JSON object a
        line with --json."""
        line = line_settings(
            obj.config_path if obj is not None else "kiosk.toml",
            kind,
            {
                "url": url,
                "baudrate": baudrate,
                "bytesize": int(bytesize) if bytesize else None,
                "parity": parity,
                "stopbits": float(stopbits) if stopbits else None,
                "framing": framing,
            },
        )
        events: queue.Queue[ReaderEvent] = queue.Queue()
        serial_options: dict[str, Any] = {
            "baudrate": line.baudrate,
            "bytesize": line.bytesize,
            "parity": cast(Parity, line.parity),
            "stopbits": line.stopbits,
            "reopen_interval_s": reopen_interval,
        }
        device: SerialInputDevice
        if kind == "card":
            device = SerialCardReader(
                line.url,
                on_event=events.put,
                framing=cast(FramingName, line.framing),
                **serial_options,
            )
        else:
            device = SerialScanner(line.url, on_event=events.put, **serial_options)
        device.start()
        seen = 0
        try:
            while count is None or seen < count:
                try:
                    event = events.get(timeout=0.5)
                except queue.Empty:
                    continue
                _echo(event, as_json)
                if not isinstance(event, ReaderConnected | ReaderDisconnected):
                    seen += 1
        except KeyboardInterrupt:
            pass
        finally:
            device.stop()

    @reader.command("parse")
    @click.option(
        "--kind",
        type=click.Choice(["card", "scanner", "wedge"]),
        default="card",
        show_default=True,
        help="card/scanner: stdin is the device's bytes; wedge: stdin is typed text.",
    )
    @click.option(
        "--framing", type=_FRAMING, default="auto", show_default=True, help="Card reader framing."
    )
    @click.option("--hex", "as_hex", is_flag=True, help="stdin is hex (e.g. '1b 73 1b 31 ...').")
    @JSON_OPTION
    def parse(kind: str, framing: FramingName, as_hex: bool, as_json: bool) -> None:
        """Decode a capture from stdin exactly as the live driver would (one JSON object a line
        with --json)."""
        data = sys.stdin.buffer.read()
        if as_hex:
            try:
                data = bytes.fromhex(data.decode("ascii", errors="replace"))
            except ValueError as exc:
                raise click.BadParameter(f"stdin is not hex: {exc}") from None
        events: list[ReaderEvent]
        if kind == "wedge":
            wedge = WedgeAssembler(inter_key_timeout_s=float("inf"))
            events = wedge.feed(data.decode("utf-8", errors="replace")) + wedge.flush()
        elif kind == "scanner":
            scan = ScanStreamDecoder()
            events = scan.feed(data) + scan.flush()
        else:
            card = CardStreamDecoder(framing)
            events = card.feed(data) + card.flush()
        for event in events:
            _echo(event, as_json)


__all__ = ["LineSettings", "describe", "line_settings", "register"]
