"""A served counter with a card reader and a scanner on real pseudo-terminals, for device tests.

The kiosk runs its real local API (uvicorn on a free loopback port), the reader and the scanner
are pyserial on ``os.openpty()`` pairs configured in kiosk.toml like real ports, and events are
read by an HTTP client as server-sent events, as the counter screen reads them.
"""

from __future__ import annotations

import json
import queue
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import requests

from drivers.card_reader.events import ReaderConnected, ReaderEvent
from helpers.kiosk import Counter, start_counter, stop_counter
from helpers.pty_peer import PtyPeer, next_event
from terminal.api import ApiServer
from terminal.config import load_config

#: Connect and per-read timeout of the event stream: an awaited event that does not come within
#: the read timeout fails the test instead of hanging it.
STREAM_TIMEOUT = (2.0, 5.0)


@dataclass
class SseEvent:
    kind: str
    data: dict[str, Any]
    raw: str


@dataclass
class EventStream:
    """One ``GET /api/v1/events`` read line by line with a bounded read timeout."""

    response: requests.Response
    raw_text: list[str] = field(default_factory=list)

    def __post_init__(self) -> None:
        self._lines: Iterator[str] = self.response.iter_lines(chunk_size=1, decode_unicode=True)

    def next(self) -> SseEvent | None:
        """The next event, or ``None`` when the server ended the stream."""
        kind, data, raw = "message", "", []
        for line in self._lines:
            self.raw_text.append(line)
            raw.append(line)
            if line == "":
                if data:
                    return SseEvent(kind, json.loads(data), "\n".join(raw))
                kind, data, raw = "message", "", []
                continue
            if line.startswith(":"):
                continue
            name, _, value = line.partition(":")
            value = value.removeprefix(" ")
            if name == "event":
                kind = value
            elif name == "data":
                data = value
        return None

    def expect(self, kind: str, *, skip: tuple[str, ...] = ()) -> SseEvent:
        """The next event that is not one of ``skip``; it must be of ``kind``."""
        while True:
            event = self.next()
            assert event is not None, f"the stream ended before a {kind} event"
            if event.kind in skip:
                continue
            assert event.kind == kind, f"expected {kind}, got {event.kind}: {event.data}"
            return event

    def close(self) -> None:
        self.response.close()


@dataclass
class ServedCounter:
    counter: Counter
    api: ApiServer
    reader: PtyPeer
    scanner: PtyPeer
    streams: list[EventStream] = field(default_factory=list)

    @property
    def headers(self) -> dict[str, str]:
        return {"Authorization": f"Bearer {self.api.token}"}

    def get(self, path: str, **kwargs: Any) -> requests.Response:
        return requests.get(f"{self.api.url}{path}", headers=self.headers, timeout=10, **kwargs)

    def post(self, path: str, body: dict[str, Any]) -> requests.Response:
        return requests.post(f"{self.api.url}{path}", headers=self.headers, json=body, timeout=10)

    def events(self) -> EventStream:
        """Open the event stream and wait for its ``ready`` event: nothing is missed after it."""
        response = requests.get(
            f"{self.api.url}/api/v1/events",
            headers=self.headers,
            stream=True,
            timeout=STREAM_TIMEOUT,
        )
        assert response.status_code == 200, response.text
        assert response.headers["content-type"].startswith("text/event-stream")
        stream = EventStream(response)
        self.streams.append(stream)
        stream.expect("ready")
        return stream


def serve_counter(tmp_path: Path, *, demo: bool = False) -> ServedCounter:
    """An ``si`` counter whose kiosk.toml names a pty reader and a pty scanner, served."""
    counter = start_counter(tmp_path, "si")
    (tmp_path / "reader").mkdir()
    (tmp_path / "scanner").mkdir()
    reader, scanner = PtyPeer(tmp_path / "reader"), PtyPeer(tmp_path / "scanner")
    with counter.config.path.open("a", encoding="utf-8") as handle:
        handle.write(
            f'\n[reader]\nurl = "{reader.link}"\nbaudrate = 9600\nframing = "magtek"\n'
            f'\n[scanner]\nurl = "{scanner.link}"\n'
        )
    counter.config = load_config(counter.config.path)
    kiosk = counter.open()
    connected: queue.Queue[ReaderEvent] = queue.Queue()
    unsubscribe = kiosk.devices.hub.subscribe(connected.put)
    kiosk.start_devices(demo=demo)
    ports: set[str] = set()
    want = {str(reader.link), str(scanner.link)}
    while not want <= ports:  # bytes written before the port opens would be flushed by pyserial
        event = next_event(connected)
        if isinstance(event, ReaderConnected):
            ports.add(event.port)
    unsubscribe()
    api = ApiServer(kiosk, port=0).start()
    return ServedCounter(counter, api, reader, scanner)


def stop_served(served: ServedCounter) -> None:
    for stream in served.streams:
        stream.close()
    kiosk = served.counter.kiosk
    if kiosk is not None:
        kiosk.devices.stop()
    served.api.stop()
    stop_counter(served.counter)
    served.reader.close()
    served.scanner.close()
