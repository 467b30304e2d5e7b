"""A whole counter served as on a shop's machine, for browser and API tests.

``serve_counter`` runs ``kiosk serve`` as a real subprocess (its own SystemClock, its own
signals) against an in-process reference host on a fixed loopback port, the in-process virtual
ESC/POS printer and a card reader on a pseudo-terminal, so a browser test drives exactly what a
clerk would: the screen at ``/`` and the local API at ``/api/v1``. The browser is Debian's
``/usr/bin/chromium`` driven by Playwright (``playwright install`` is never run: its download
does not work here).

Every wait is bounded: the kiosk's start is the banner it prints once its API listens (read
with a deadline), the reader being open is an event on the kiosk's event stream, and stopping
waits a bounded time before killing.
"""

from __future__ import annotations

import os
import selectors
import signal
import socket
import subprocess
import sys
import time
import tomllib
import tty
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from types import TracebackType
from typing import Any

import requests

from drivers.virtual_printer import VirtualPrinter
from helpers.device import EventStream
from hostsim.server import HostServer
from terminal.config import write_preset
from terminal.kiosk import running_kiosk

CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
ARTIFACTS = Path(__file__).resolve().parents[2] / "test-artifacts" / "screenshots"
KIOSK = Path(sys.executable).parent / "kiosk"

#: Bounds of the waits (seconds): the kiosk's start, one HTTP call, the kiosk's stop.
START_TIMEOUT = 30.0
HTTP_TIMEOUT = 10.0
STOP_TIMEOUT = 20.0
#: Connect and per-read timeout of an event stream read by a test.
STREAM_TIMEOUT = (2.0, 5.0)

DEFAULT_CLERKS: tuple[tuple[str, str, str, str], ...] = (
    ("1", "Ana", "1111", "supervisor"),
    ("2", "Bor", "2222", "clerk"),
)


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


class PtyReader:
    """The far end of the pseudo-terminal the kiosk's ``[reader]`` opens, as a serial port.

    ``link`` is a symlink to the slave (like ``/dev/serial/by-id/...``); writing to ``master``
    is the reader sending a swipe.
    """

    def __init__(self, folder: Path) -> None:
        folder.mkdir(parents=True, exist_ok=True)
        self.link = folder / "ttyREADER"
        master, slave = os.openpty()
        tty.setraw(slave)  # no echo, no CR->LF: the line is raw before the kiosk opens it
        target = os.ttyname(slave)
        os.close(slave)
        self.link.unlink(missing_ok=True)
        self.link.symlink_to(target)
        self.master = master

    def close(self) -> None:
        if self.master >= 0:
            os.close(self.master)
            self.master = -1


@dataclass
class ServedCounter:
    """One running ``kiosk serve`` and the peers it talks to; stop it with :meth:`stop` (or
    use it as a context manager)."""

    url: str
    token: str
    config_path: Path
    host: HostServer
    printer: VirtualPrinter
    reader_pty: PtyReader
    process: subprocess.Popen[str]
    host_port: int
    folder: Path
    log_path: Path
    streams: list[EventStream] = field(default_factory=list)
    _stopped: bool = False

    # -- the kiosk's local API ------------------------------------------------------------------

    @property
    def reader(self) -> int:
        """Master fd of the reader's pseudo-terminal: ``os.write(counter.reader, frame)``."""
        return self.reader_pty.master

    @property
    def headers(self) -> dict[str, str]:
        return {"Authorization": f"Bearer {self.token}"}

    def api(self, method: str, path: str, **kw: Any) -> requests.Response:
        """A call to the local API with the terminal's token; ``path`` is under ``/api/v1``
        (``"/status"``) or absolute (``"/api/v1/status"``)."""
        if not path.startswith("/api/"):
            path = "/api/v1" + path
        headers = {**kw.pop("headers", {}), **self.headers}
        kw.setdefault("timeout", HTTP_TIMEOUT)
        return requests.request(method, self.url + path, headers=headers, **kw)

    def events(self) -> EventStream:
        """Open ``GET /api/v1/events`` and wait for its ``ready`` event (bounded reads):
        nothing that happens after this returns is missed."""
        return self.open_events()[0]

    def open_events(self) -> tuple[EventStream, dict[str, Any]]:
        """:meth:`events`, with the ``ready`` event's device status."""
        response = requests.get(
            f"{self.url}/api/v1/events", headers=self.headers, stream=True, timeout=STREAM_TIMEOUT
        )
        assert response.status_code == 200, response.text
        stream = EventStream(response)
        self.streams.append(stream)
        return stream, stream.expect("ready").data

    def swipe(self, frame: bytes) -> None:
        """The reader sends ``frame`` (see ``reader_frames``)."""
        os.write(self.reader, frame)

    # -- the host -------------------------------------------------------------------------------

    def stop_host(self) -> None:
        """Nothing listens on the host's port any more: connections are refused."""
        self.host.stop()

    def start_host(self) -> None:
        """The host comes back on the same port with the same database."""
        self.host = HostServer(self.folder / "host.sqlite", port=self.host_port).start()

    # -- life cycle -----------------------------------------------------------------------------

    def stop(self) -> None:
        """SIGTERM the kiosk (it stops its API, forwarder and devices), then the peers."""
        if self._stopped:
            return
        self._stopped = True
        for stream in self.streams:
            stream.close()
        if self.process.poll() is None:
            self.process.send_signal(signal.SIGTERM)
            try:
                self.process.wait(timeout=STOP_TIMEOUT)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait(timeout=STOP_TIMEOUT)
        if self.process.stdout is not None:
            self.process.stdout.close()
        self.printer.stop()
        self.host.stop()
        self.reader_pty.close()

    def log(self) -> str:
        """What the kiosk wrote to stderr (its log), for assertion messages."""
        return self.log_path.read_text(encoding="utf-8", errors="replace")

    def __enter__(self) -> ServedCounter:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.stop()


def _kiosk(config: Path, *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [str(KIOSK), "--config", str(config), *args],
        capture_output=True,
        text=True,
        timeout=60,
    )


def add_clerks(config: Path, clerks: Sequence[tuple[str, str, str, str]]) -> None:
    """``kiosk clerk add NUMBER --name N --role R --pin P`` for each (number, name, pin, role)."""
    for number, name, pin, role in clerks:
        done = _kiosk(config, "clerk", "add", number, "--name", name, "--role", role, "--pin", pin)
        assert done.returncode == 0, f"clerk add {number}: {done.stdout}{done.stderr}"


def _wait_for_banner(process: subprocess.Popen[str], log_path: Path) -> str:
    """The URL from ``kiosk serving on URL``: printed once the API listens."""
    assert process.stdout is not None
    deadline = time.monotonic() + START_TIMEOUT
    seen: list[str] = []
    with selectors.DefaultSelector() as selector:
        selector.register(process.stdout, selectors.EVENT_READ)
        while True:
            left = deadline - time.monotonic()
            if left <= 0:
                raise AssertionError(
                    f"kiosk serve did not start within {START_TIMEOUT} s: {seen}\n"
                    + log_path.read_text(errors="replace")
                )
            if not selector.select(left):
                continue
            line = process.stdout.readline()
            if not line:
                raise AssertionError(
                    f"kiosk serve exited ({process.wait(5)}): {seen}\n"
                    + log_path.read_text(errors="replace")
                )
            seen.append(line)
            if line.startswith("kiosk serving on "):
                return line.removeprefix("kiosk serving on ").strip()


def _token(config_path: Path) -> str:
    """The terminal's ``[api] token`` from kiosk.toml; a kiosk.toml without one (a test's
    ``config_edits`` may drop it) serves with the per-run token it publishes in its lock file."""
    data = tomllib.loads(config_path.read_text(encoding="utf-8"))
    token = data.get("api", {}).get("token")
    if isinstance(token, str) and token:
        return token
    from terminal.config import load_config

    running = running_kiosk(load_config(config_path))
    assert running is not None and running.token, "the kiosk published no API token"
    return running.token


def serve_counter(
    tmp_path: Path,
    market: str = "si",
    *,
    clerks: Sequence[tuple[str, str, str, str]] = DEFAULT_CLERKS,
    config_edits: Callable[[str], str] | None = None,
) -> ServedCounter:
    """``kiosk serve`` on a free port for ``market``'s preset, with host, printer and reader.

    ``clerks`` are (number, name, pin, role); ``config_edits`` may change kiosk.toml's text
    before the kiosk starts.
    """
    folder = tmp_path / "counter"
    folder.mkdir(parents=True, exist_ok=True)
    host_port = free_port()
    host = HostServer(folder / "host.sqlite", port=host_port)
    printer = VirtualPrinter(out_dir=folder / "slips")
    reader = PtyReader(folder / "reader")
    started: list[Any] = []
    try:
        host.start()
        started.append(host)
        printer.start()
        started.append(printer)

        config_path = folder / "kiosk.toml"
        write_preset(config_path, market, force=True)
        text = config_path.read_text(encoding="utf-8")
        text = text.replace("tcp://127.0.0.1:9100", f"tcp://127.0.0.1:{printer.port}")
        text = text.replace("http://127.0.0.1:8700", host.url)
        text = text.replace('read_timeout = "10s"', 'read_timeout = "2s"')
        text = text.replace('connect_timeout = "3s"', 'connect_timeout = "1s"')
        text = text.replace('timeout = "5s"', 'timeout = "2s"')
        text += f'\n[reader]\nurl = "{reader.link}"\nbaudrate = 9600\nframing = "magtek"\n'
        if config_edits is not None:
            text = config_edits(text)
        config_path.write_text(text, encoding="utf-8")

        data = tomllib.loads(text)
        host.store.add_terminal(
            data["terminal"]["id"], data["terminal"]["key"], "2026-01-01T00:00:00+00:00"
        )
        add_clerks(config_path, clerks)

        port = free_port()
        log_path = folder / "kiosk.log"
        with log_path.open("w", encoding="utf-8") as log:
            process = subprocess.Popen(
                [str(KIOSK), "--config", str(config_path), "serve", "--port", str(port)],
                stdout=subprocess.PIPE,
                stderr=log,
                text=True,
                cwd=folder,
            )
    except BaseException:
        for peer in reversed(started):
            peer.stop()
        reader.close()
        raise
    counter = ServedCounter(
        url=f"http://127.0.0.1:{port}",
        token="",
        config_path=config_path,
        host=host,
        printer=printer,
        reader_pty=reader,
        process=process,
        host_port=host_port,
        folder=folder,
        log_path=log_path,
    )
    try:
        url = _wait_for_banner(process, log_path)
        assert url == counter.url, url
        counter.token = _token(config_path)
        # Bytes written before the kiosk opens the port would be flushed: wait until it has.
        stream, ready = counter.open_events()
        if not ready["reader"]["connected"]:
            stream.expect("reader_connected", skip=("reader_disconnected",))
        stream.close()
        counter.streams.remove(stream)
    except BaseException:
        counter.stop()
        raise
    return counter


# -- the browser ----------------------------------------------------------------------------------


def launch_chromium(playwright: Any) -> Any:
    """Debian's chromium through Playwright, headless."""
    return playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS, headless=True)


def screenshot(page: Any, name: str) -> Path:
    """A full-page PNG of ``page`` in ``test-artifacts/screenshots/<name>.png``."""
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    path = ARTIFACTS / f"{name}.png"
    page.screenshot(path=str(path), full_page=True)
    return path


__all__ = [
    "ARTIFACTS",
    "CHROMIUM",
    "CHROMIUM_ARGS",
    "DEFAULT_CLERKS",
    "PtyReader",
    "ServedCounter",
    "add_clerks",
    "free_port",
    "launch_chromium",
    "screenshot",
    "serve_counter",
]
