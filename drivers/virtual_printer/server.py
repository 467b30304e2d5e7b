"""The virtual printer's TCP side: a receive thread per connection and one print mechanism.

Bytes are tokenized as they arrive; real-time commands (DLE EOT) are answered right there,
like a real printer does from its receive buffer, while everything else queues for the one
print thread that executes in order. That thread is what holds ``GS r`` while paper is out,
and what makes a slow printer slow.
"""

from __future__ import annotations

import contextlib
import json
import os
import queue
import socket
import threading
import time
from collections.abc import Callable
from pathlib import Path
from types import TracebackType
from typing import Any

from PIL import Image

from drivers.virtual_printer.faults import FaultState
from drivers.virtual_printer.glyphs import read_user_characters
from drivers.virtual_printer.link import Link
from drivers.virtual_printer.machine import Machine
from drivers.virtual_printer.parser import Token, Tokenizer, decode_text
from drivers.virtual_printer.render import (
    DEFAULT_FONT_PATH,
    PrintedSlip,
    Row,
    row_mm,
    slip_png,
    slip_text,
)

_ALIGN = {0: "left", 1: "center", 2: "right", 48: "left", 49: "center", 50: "right"}


class VirtualPrinter(FaultState):
    """An ESC/POS printer on ``host:port``; ``port=0`` picks a free one (read ``.port``)."""

    def __init__(
        self,
        host: str = "127.0.0.1",
        port: int = 0,
        out_dir: Path | None = None,
        *,
        profile: str = "TM-T88V",
        columns: int = 42,
        dots: int = 512,
        font_path: str = DEFAULT_FONT_PATH,
        control_port: int | None = None,
        asb: bool = False,
        asb_ignores_gs_a: bool = False,
        model: str | None = None,
        maker: str = "EPSON",
        firmware: str = "1.00 ESC/POS",
    ) -> None:
        super().__init__()
        #: ASB on at power-on, as a DIP switch sets it on several Epson models
        self._asb = asb
        #: firmware that keeps ASB on whatever GS a says (the worst case for the barrier)
        self.asb_ignores_gs_a = asb_ignores_gs_a
        #: what GS I 66 / 67 / 65 answer (the model defaults to the profile's name)
        self.maker = maker
        self.model = model if model is not None else profile
        self.firmware = firmware
        self.host = host
        self._requested_port = port
        self._requested_control_port = control_port
        self.out_dir = Path(out_dir) if out_dir is not None else None
        self.profile = profile
        self.columns = columns
        self.dots = dots
        self.font_path = font_path
        self.slips: list[PrintedSlip] = []
        #: text of slips that never completed (paper ran out, cover opened mid-slip)
        self.interrupted: list[str] = []
        #: every byte received, in order, across connections (for encoding checks)
        self.received = bytearray()
        #: print connections accepted so far (a sale should need one)
        self.connections = 0
        #: seconds the print side spent executing what it received (its own time: parsing,
        #: rows, pacing, replies), not the time it sat waiting for bytes; bench/run.py
        #: subtracts it from a sale's time to get what the terminal adds
        self.busy_s = 0.0
        self._queue: queue.Queue[tuple[Link, Token] | None] = queue.Queue()
        self._listener: socket.socket | None = None
        self._control: socket.socket | None = None
        self._conns: set[Link] = set()
        self._threads: list[threading.Thread] = []
        self._machine = Machine()
        self._slow_wait = threading.Event()
        self._pty_fds: list[int] = []
        self._pty_wakers: list[int] = []
        self._held = 0  # GS r commands waiting for the printer to be able to print
        #: hold-and-print-later: a job cut off by a fault waits and prints when it clears
        self._hold_jobs = False
        #: bumped by a real-time buffer clear (DLE DC4 8, DLE ENQ 2): a held job is dropped
        self._clear_gen = 0
        #: how many held jobs a buffer clear threw away
        self.cleared_jobs = 0
        self.port = 0
        self.control_port: int | None = None
        #: Slips already in ``out_dir`` from earlier runs: numbering continues after them, so a
        #: restarted emulator (the demo run again) never overwrites a slip.
        self._numbered_before = 0

    # -- lifecycle -------------------------------------------------------------------------
    def start(self) -> VirtualPrinter:
        if self.out_dir is not None:
            self.out_dir.mkdir(parents=True, exist_ok=True)
            numbers = [int(p.stem) for p in self.out_dir.glob("*.txt") if p.stem.isdigit()]
            self._numbered_before = max(numbers, default=0)
        self._listener = self._listen(self._requested_port)
        self.port = self._listener.getsockname()[1]
        self._spawn(self._accept_loop, self._listener, self._serve, name="vp-accept")
        self._spawn(self._print_loop, name="vp-print")
        if self._requested_control_port is not None:
            self._control = self._listen(self._requested_control_port)
            self.control_port = self._control.getsockname()[1]
            self._spawn(self._accept_loop, self._control, self._serve_control, name="vp-control")
        return self

    def stop(self) -> None:
        with self._cond:
            self._stopping = True
            self._cond.notify_all()
        self._slow_wait.set()
        for listener in (self._listener, self._control):
            if listener is not None:
                with contextlib.suppress(OSError):
                    listener.shutdown(socket.SHUT_RDWR)
                with contextlib.suppress(OSError):
                    listener.close()
        with self._cond:
            conns = list(self._conns)
        for conn in conns:
            conn.close()
        for waker in self._pty_wakers:
            with contextlib.suppress(OSError):
                os.write(waker, b"x")
        self._queue.put(None)
        for t in self._threads:
            t.join(timeout=5)
        for fd in self._pty_fds:
            with contextlib.suppress(OSError):
                os.close(fd)
        self._pty_fds.clear()

    def __enter__(self) -> VirtualPrinter:
        return self.start()

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.stop()

    @property
    def url(self) -> str:
        """What to put in ``[printer] url``."""
        return f"tcp://{self.host}:{self.port}"

    def _listen(self, port: int) -> socket.socket:
        sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        sock.bind((self.host, port))
        sock.listen(8)
        return sock

    def _spawn(self, target: Any, *args: Any, name: str) -> None:
        t = threading.Thread(target=target, args=args, name=name, daemon=True)
        self._threads.append(t)
        t.start()

    def _accept_loop(self, listener: socket.socket, handler: Any) -> None:
        while True:
            try:
                sock, _ = listener.accept()
            except OSError:
                return
            with self._cond:
                if self._stopping:
                    sock.close()
                    return
                if listener is self._listener:
                    self.connections += 1
            threading.Thread(target=handler, args=(sock,), daemon=True).start()

    # -- waiting ---------------------------------------------------------------------------
    def wait_for_slips(self, n: int, timeout: float = 5.0) -> bool:
        """True once at least ``n`` slips were cut; False after ``timeout`` seconds."""
        with self._cond:
            return self._cond.wait_for(lambda: len(self.slips) >= n, timeout=timeout)

    def wait_for(self, predicate: Callable[[], bool], timeout: float = 5.0) -> bool:
        """Wait until ``predicate()`` holds; it is re-checked whenever the printer's state moves."""
        with self._cond:
            return self._cond.wait_for(predicate, timeout=timeout)

    def wait_for_interrupted(self, n: int, timeout: float = 5.0) -> bool:
        with self._cond:
            return self._cond.wait_for(lambda: len(self.interrupted) >= n, timeout=timeout)

    def wait_idle(self, timeout: float = 5.0) -> bool:
        """True once everything received so far was executed (or waits behind a held reply)."""
        deadline = time.monotonic() + timeout
        with self._cond:
            while self._queue.unfinished_tasks and not self._held:
                left = deadline - time.monotonic()
                if left <= 0:
                    return False
                self._cond.wait(left)
            return True

    # -- receive side ----------------------------------------------------------------------
    def _serve(self, sock: socket.socket) -> None:
        with contextlib.suppress(OSError):
            sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        self._serve_link(Link(sock=sock), lambda: sock.recv(self._recv_size()))

    def _recv_size(self) -> int:
        """Small reads in baud-rate mode, so the pace is smooth and a UART-sized buffer fills."""
        with self._cond:
            return 64 if self._baud else 4096

    def serve_pty(self) -> str:
        """Also listen on a pseudo-terminal, like a serial printer; returns the device path.

        ``serial://<path>`` then reaches this printer through pyserial, as a real RS-232 one.
        """
        import pty
        import select
        import tty

        master, slave = pty.openpty()
        tty.setraw(slave)
        tty.setraw(master)
        self._pty_fds += [master, slave]  # holding the slave open keeps reads from failing
        wake_r, wake_w = os.pipe()
        self._pty_fds += [wake_r, wake_w]
        self._pty_wakers.append(wake_w)

        def recv() -> bytes:
            ready, _, _ = select.select([master, wake_r], [], [])
            if wake_r in ready:
                return b""
            try:
                return os.read(master, self._recv_size())
            except OSError:
                return b""

        self._spawn(self._serve_link, Link(fd=master), recv, name="vp-pty")
        return os.ttyname(slave)

    def _broadcast(self, data: bytes) -> None:
        for conn in list(self._conns):
            conn.send(data)

    def _serve_link(self, conn: Link, recv: Callable[[], bytes]) -> None:
        with self._cond:
            self._conns.add(conn)
            if self._asb:  # a printer with ASB on reports its status to a new host at once
                conn.send(self.asb_frame_locked())
        tokenizer = Tokenizer()
        try:
            while True:
                try:
                    data = recv()
                except OSError:
                    return
                if not data:
                    return
                self._pace_line(len(data))
                drop = False
                with self._cond:
                    if self._drop_after is not None:
                        if len(data) >= self._drop_after:
                            data, drop, self._drop_after = data[: self._drop_after], True, None
                        else:
                            self._drop_after -= len(data)
                    self.received.extend(data)
                for token in tokenizer.feed(data):
                    if token.kind == "realtime":
                        self._realtime(conn, token)
                    else:
                        if token.name in ("GS r", "ESC @"):
                            with self._cond:
                                noise = (
                                    self._noise_on_gs_r
                                    if token.name == "GS r"
                                    else self._noise_on_init
                                )
                            conn.send(noise)
                        self._queue.put((conn, token))
                if drop:
                    return
        finally:
            conn.close()
            with self._cond:
                self._conns.discard(conn)

    def _pace_line(self, nbytes: int) -> None:
        """In baud-rate mode, hold the receive side as long as the bytes took on the wire."""
        with self._cond:
            rate = self._baud
        if rate:
            self._slow_wait.wait(nbytes * 10 / rate)

    def _realtime(self, conn: Link, token: Token) -> None:
        if token.raw[1] == 0x04:
            reply = self.dle_eot_reply(token.raw[2])
            if reply is not None:
                conn.reply(reply)
        elif (token.raw[1] == 0x05 and token.raw[2:3] == b"\x02") or (
            token.raw[1] == 0x14 and token.raw[2:3] == b"\x08"
        ):
            self._clear_buffers()

    def hold_jobs(self, on: bool = True) -> None:
        """Hold-and-print-later, as real printers do: a job cut off by paper out or an open
        cover is kept, and printed when the fault clears, unless the host clears the buffer
        first (real-time ``DLE DC4 8`` or ``DLE ENQ 2``)."""
        with self._cond:
            self._hold_jobs = on
            self._cond.notify_all()

    def _clear_buffers(self) -> None:
        """Real-time buffer clear: what is queued and the job held at a fault are dropped."""
        with self._cond:
            self._clear_gen += 1
            dropped = 0
            while True:
                try:
                    item = self._queue.get_nowait()
                except queue.Empty:
                    break
                self._queue.task_done()
                if item is None:  # the stop marker stays
                    self._queue.put(None)
                    break
                dropped += 1
            if dropped or self._machine.rows:
                self.cleared_jobs += 1
            self._cond.notify_all()

    # -- print side ------------------------------------------------------------------------
    def _print_loop(self) -> None:
        while True:
            item = self._queue.get()
            try:
                if item is None:
                    return
                conn, token = item
                with self._cond:
                    self._cond.wait_for(lambda: self._stopping or not self._offline)
                    if self._stopping:
                        return
                began = time.perf_counter()
                self._execute(conn, token)
                spent = time.perf_counter() - began
                with self._cond:
                    self.busy_s += spent
            finally:
                self._queue.task_done()
                with self._cond:
                    self._cond.notify_all()

    def _execute(self, conn: Link, token: Token) -> None:
        m = self._machine
        raw = token.raw
        name = token.name
        if token.kind == "text":
            if not m.line_started:
                m.line_started = True
                m.line_style = (m.bold, m.underline, m.wscale, m.hscale)
            if m.udc_on and m.udc:
                for b in raw:
                    ch = m.udc.get(b)
                    m.line += ch if ch is not None else decode_text(bytes([b]), m.code_page)
            else:
                m.line += decode_text(raw, m.code_page, self.profile)
        elif name == "LF":
            self._flush_line(force=True)
        elif name == "HT":
            m.line += " " * (8 - len(m.line) % 8)
        elif name == "ESC @":
            m.reset_modes()
            m.line, m.line_started = "", False
        elif name == "ESC &":
            m.udc.update(read_user_characters(raw, self.font_path))
        elif name == "ESC %":
            m.udc_on = bool(raw[2] & 1)
        elif name == "ESC t":
            m.code_page = raw[2]
        elif name == "ESC E":
            m.bold = bool(raw[2] & 1)
        elif name == "ESC -":
            m.underline = raw[2] in (1, 2, 49, 50)
        elif name == "ESC !":
            n = raw[2]
            m.bold, m.underline = bool(n & 0x08), bool(n & 0x80)
            m.hscale, m.wscale = (2 if n & 0x10 else 1), (2 if n & 0x20 else 1)
        elif name == "GS !":
            m.wscale, m.hscale = (raw[2] >> 4) + 1, (raw[2] & 0x0F) + 1
        elif name == "ESC a":
            m.align = _ALIGN.get(raw[2], m.align)
        elif name == "ESC d":
            self._flush_line(force=False)
            for _ in range(raw[2]):
                self._print_row(Row("text", ""))
        elif name == "ESC p":
            self._flush_line(force=False)
            with self._cond:
                self._drawer_open = True
                m.drawer_kicked = True
                self._cond.notify_all()
                self._status_moved()
        elif name == "GS v":
            self._flush_line(force=False)
            self._print_row(Row("image", image=self._raster(raw), align=m.align))
        elif name == "GS (" and len(raw) >= 7 and raw[2] == ord("k"):
            self._qr(raw)
        elif name == "GS k":
            self._flush_line(force=False)
            self._print_row(Row("barcode", self._barcode_data(raw), m.align))
        elif name == "GS V":
            self._flush_line(force=False)
            self._cut()
        elif name == "GS r":
            self._flush_line(force=False)
            self._answer_in_order(conn, raw[2])
        elif name == "GS I":
            self._identify(conn, raw[2])
        elif name == "GS a" and not self.asb_ignores_gs_a:
            self.asb(raw[2] != 0)

    def _flush_line(self, *, force: bool) -> None:
        m = self._machine
        if not (force or m.line_started):
            return
        if m.line_started:  # a line takes the style its first character was printed in
            bold, underline, wscale, hscale = m.line_style
        else:
            bold, underline, wscale, hscale = m.bold, m.underline, m.wscale, m.hscale
        text = m.line
        cols = max(1, self.columns // wscale)
        pieces = [text[i : i + cols] for i in range(0, len(text), cols)] or [""]
        m.line, m.line_started = "", False
        for piece in pieces:
            self._print_row(Row("text", piece, m.align, bold, underline, wscale, hscale))

    def _print_row(self, row: Row) -> None:
        """Put one row on paper, unless the paper ran out or the cover is open."""
        m = self._machine
        with self._cond:
            if self._stopping:
                return
            if self._lines_left is not None:
                if self._lines_left == 0:
                    self._paper_end, self._lines_left = True, None
                    self._status_moved()
                else:
                    self._lines_left -= 1
            if (self._paper_end or self._cover_open) and self._hold_jobs and not m.torn:
                # the job waits in the buffer until the fault clears, or is cleared
                gen = self._clear_gen
                self._cond.notify_all()
                self._cond.wait_for(
                    lambda: (
                        self._stopping
                        or gen != self._clear_gen
                        or not (self._paper_end or self._cover_open)
                    )
                )
                if self._stopping:
                    return
                if gen != self._clear_gen:  # cleared: what printed stays a torn remainder
                    if m.rows:
                        self.interrupted.append(slip_text(m.rows, self.columns))
                    m.rows = []
                    self._cond.notify_all()
                    return
            if self._paper_end or self._cover_open:
                if not m.torn:
                    m.torn = True
                    self.interrupted.append(slip_text(m.rows, self.columns))
                    m.rows = []
                self._cond.notify_all()
                return
            m.rows.append(row)
            delay = self._seconds_per_line
            if self._mm_per_s:
                delay += row_mm(row) / self._mm_per_s
        if delay > 0:
            self._slow_wait.wait(delay)

    def _raster(self, raw: bytes) -> Image.Image:
        width_bytes = raw[4] + 256 * raw[5]
        height = raw[6] + 256 * raw[7]
        data = raw[8 : 8 + width_bytes * height]
        return Image.frombytes("1", (width_bytes * 8, height), data, "raw", "1;I")

    def _qr(self, raw: bytes) -> None:
        m = self._machine
        cn, fn = raw[5], raw[6]
        if cn != 49:
            return
        if fn == 67 and len(raw) > 7:
            m.qr_module = raw[7]
        elif fn == 80:
            m.qr_data = raw[8:].decode("utf-8", "replace")
        elif fn == 81:
            self._flush_line(force=False)
            self._print_row(Row("qr", m.qr_data, m.align, module=m.qr_module))

    @staticmethod
    def _barcode_data(raw: bytes) -> str:
        data = raw[4:] if raw[2] >= 65 else raw[3:-1]
        text = data.decode("ascii", "replace")
        if raw[2] in (73, 74) and text.startswith("{") and len(text) >= 2:
            text = text[2:].replace("{{", "{")
        return text

    def _cut(self) -> None:
        m = self._machine
        with self._cond:
            rows, torn, kicked = m.rows, m.torn, m.drawer_kicked
            m.rows, m.torn, m.drawer_kicked = [], False, False
            if torn:
                if rows:  # printed on the fresh roll after a reload: still only a remainder
                    self.interrupted.append(slip_text(rows, self.columns))
                self._cond.notify_all()
                return
            if not rows:
                return
            number = self._numbered_before + len(self.slips) + 1
        text = slip_text(rows, self.columns)
        png_path: Path | None = None
        if self.out_dir is not None:
            (self.out_dir / f"{number:04d}.txt").write_text(text, encoding="utf-8")
            png_path = self.out_dir / f"{number:04d}.png"
            slip_png(rows, dots=self.dots, columns=self.columns, font_path=self.font_path).save(
                png_path
            )
        slip = PrintedSlip(
            number=number,
            text=text,
            png_path=png_path,
            images=[r.image for r in rows if r.kind == "image" and r.image is not None],
            qr_codes=[r.text for r in rows if r.kind == "qr"],
            barcodes=[r.text for r in rows if r.kind == "barcode"],
            drawer_kicked=kicked,
            rows=rows,
        )
        with self._cond:
            self.slips.append(slip)
            self._cond.notify_all()

    def _identify(self, conn: Link, n: int) -> None:
        """GS I: in order like GS r; 65-67 answer a ``_text NUL`` block, 1-3 one byte."""
        if not self._hold_until_printable():
            return
        blocks = {65: self.firmware, 66: self.maker, 67: self.model}
        if n in blocks:
            conn.send(b"_" + blocks[n].encode("ascii", "replace")[:80] + b"\x00")
        elif n in (1, 49):
            conn.reply(0x20)  # model id
        elif n in (2, 50):
            conn.reply(0x02)  # type id: autocutter fitted
        elif n in (3, 51):
            conn.reply(0x01)  # ROM version id

    def _answer_in_order(self, conn: Link, n: int) -> None:
        """GS r: processed only now, after everything before it; held while it cannot print."""
        if self._hold_until_printable():
            conn.reply(self.gs_r_reply(n))

    def _hold_until_printable(self) -> bool:
        """An in-order reply waits while the printer cannot print; False if none is to be sent."""
        with self._cond:
            self._held += 1
            self._cond.notify_all()
            try:
                self._cond.wait_for(lambda: self._stopping or self._can_print())
            finally:
                self._held -= 1
            return not (self._stopping or self._silent)

    # -- control port (JSON lines) ---------------------------------------------------------
    _CONTROL_OPS = (
        "paper_out",
        "paper_out_after",
        "hold_jobs",
        "load_paper",
        "paper_near_end",
        "open_cover",
        "close_cover",
        "go_offline",
        "go_online",
        "silent",
        "drop_connection_after",
        "slow",
        "close_drawer",
        "clear_faults",
        "asb",
        "baud",
        "print_speed",
        "noise",
        "noise_on_gs_r",
        "noise_on_init",
    )

    def control(self, op: str, args: list[Any]) -> object:
        """One control request; the same vocabulary as the Python methods."""
        if op in self._CONTROL_OPS:
            getattr(self, op)(*args)
            return None
        if op == "state":
            return {**self.state_dict(), "slips": len(self.slips), "port": self.port}
        if op == "slips":
            with self._cond:
                return [s.as_dict() for s in self.slips]
        if op == "interrupted":
            with self._cond:
                return list(self.interrupted)
        if op == "wait_for_slips":
            n, timeout = int(args[0]), min(float(args[1]) if len(args) > 1 else 5.0, 60.0)
            return self.wait_for_slips(n, timeout)
        raise ValueError(f"unknown control operation {op!r}")

    def _serve_control(self, sock: socket.socket) -> None:
        with sock, sock.makefile("rwb") as stream:
            for line in stream:
                try:
                    request = json.loads(line)
                    result = self.control(str(request["op"]), list(request.get("args", [])))
                    answer: dict[str, object] = {"ok": True, "result": result}
                except Exception as exc:  # a bad request must not kill the printer
                    answer = {"ok": False, "error": f"{type(exc).__name__}: {exc}"}
                stream.write(json.dumps(answer).encode() + b"\n")
                stream.flush()


__all__ = ["VirtualPrinter"]
