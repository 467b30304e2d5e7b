"""DLE EOT 1-4 and GS r 1 decoding, bit by bit, and status read over TCP for every state.

Silence, a dropped connection or a byte without the fixed bit pattern is ``unknown``: it must
never read as "ready".
"""

from __future__ import annotations

import json
import socket
import threading
from collections.abc import Callable
from pathlib import Path

import pytest
from click.testing import CliRunner
from helpers.printer import connect, kiosk_config, numbered_slip

from drivers.errors import PrintNotConfirmed
from drivers.printer import open_printer
from drivers.printer.status import (
    decode_paper_reply,
    decode_status,
    is_realtime_status_byte,
)
from drivers.virtual_printer import VirtualPrinter
from terminal.cli import main

OK = 0x12  # bit 1 and bit 4 set: the fixed pattern, nothing to report


def raw_with(n: int, bits: int) -> dict[int, int | None]:
    raw: dict[int, int | None] = {1: OK, 2: OK, 3: OK, 4: OK}
    raw[n] = OK | bits
    return raw


# (status number, bits set, field expected True, state)
BIT_TABLE = [
    (1, 0x04, "drawer_open", "ready"),
    (1, 0x08, None, "offline"),
    (2, 0x04, "cover_open", "cover_open"),
    (2, 0x08, None, "ready"),  # paper being fed by the button: informational
    (2, 0x20, "paper_end", "paper_out"),
    (2, 0x40, None, "offline"),
    (3, 0x04, "recoverable_error", "offline"),
    (3, 0x08, "unrecoverable_error", "offline"),
    (3, 0x20, "auto_recoverable_error", "offline"),
    (4, 0x04, "paper_near_end", "paper_near_end"),
    (4, 0x08, "paper_near_end", "paper_near_end"),
    (4, 0x0C, "paper_near_end", "paper_near_end"),
    (4, 0x20, "paper_end", "paper_out"),
    (4, 0x40, "paper_end", "paper_out"),
    (4, 0x60, "paper_end", "paper_out"),
]

FLAGS = (
    "drawer_open",
    "cover_open",
    "paper_end",
    "paper_near_end",
    "recoverable_error",
    "unrecoverable_error",
    "auto_recoverable_error",
)


def test_all_clear_is_ready() -> None:
    st = decode_status({1: OK, 2: OK, 3: OK, 4: OK})
    assert st.state == "ready" and st.online and st.can_print
    assert not any(getattr(st, f) for f in FLAGS)


@pytest.mark.parametrize(("n", "bits", "flag", "state"), BIT_TABLE)
def test_each_status_bit(n: int, bits: int, flag: str | None, state: str) -> None:
    st = decode_status(raw_with(n, bits))
    assert st.state == state
    for f in FLAGS:
        assert getattr(st, f) is (f == flag), f
    assert st.online is not (n == 1 and bits & 0x08)
    assert st.can_print is (state in ("ready", "paper_near_end"))
    assert st.raw[n] == OK | bits


def test_priority_cover_over_paper_over_offline() -> None:
    raw: dict[int, int | None] = {1: OK | 0x08, 2: OK | 0x24, 3: OK, 4: OK | 0x60}
    assert decode_status(raw).state == "cover_open"
    raw[2] = OK | 0x20
    assert decode_status(raw).state == "paper_out"
    raw[2], raw[4] = OK, OK
    assert decode_status(raw).state == "offline"


@pytest.mark.parametrize("value", range(256))
def test_every_byte_without_the_fixed_pattern_is_unknown(value: int) -> None:
    fixed_ok = value & 0x93 == 0x12  # bits 1 and 4 set, bits 0 and 7 clear
    assert is_realtime_status_byte(value) is fixed_ok
    for n in (1, 2, 3, 4):
        raw: dict[int, int | None] = {1: OK, 2: OK, 3: OK, 4: OK}
        raw[n] = value
        st = decode_status(raw)
        assert (st.state == "unknown") is not fixed_ok
        if not fixed_ok:
            assert not st.can_print and "invalid reply" in st.detail


@pytest.mark.parametrize("missing", [1, 2, 3, 4])
def test_missing_reply_is_unknown(missing: int) -> None:
    raw: dict[int, int | None] = {1: OK, 2: OK, 3: OK, 4: OK}
    raw[missing] = None
    st = decode_status(raw)
    assert st.state == "unknown" and not st.can_print and not st.online
    assert decode_status({}).state == "unknown"


@pytest.mark.parametrize(
    ("value", "near_end", "paper_end"),
    [(0x00, False, False), (0x03, True, False), (0x0C, False, True), (0x0F, True, True)],
)
def test_gs_r_paper_sensor_reply(value: int, near_end: bool, paper_end: bool) -> None:
    reply = decode_paper_reply(value)
    assert reply is not None
    assert (reply.near_end, reply.paper_end) == (near_end, paper_end)


@pytest.mark.parametrize("value", [0x10, 0x12, 0x1E, 0x72, 0x80, 0x92, 0xFF, 256, -1])
def test_gs_r_reply_with_a_fixed_bit_set_is_not_a_reply(value: int) -> None:
    # bit 4 set is what a DLE EOT reply looks like: it must never count as the proof
    assert decode_paper_reply(value) is None


STATES: list[tuple[str, Callable[[VirtualPrinter], None], str]] = [
    ("ready", lambda vp: None, "ready"),
    ("paper-out", lambda vp: vp.paper_out(), "paper_out"),
    ("near-end", lambda vp: vp.paper_near_end(True), "paper_near_end"),
    ("cover-open", lambda vp: vp.open_cover(), "cover_open"),
    ("offline", lambda vp: vp.go_offline(), "offline"),
]


@pytest.mark.parametrize(("name", "setup", "state"), STATES, ids=[s[0] for s in STATES])
def test_status_over_tcp(
    vprinter: VirtualPrinter, name: str, setup: Callable[[VirtualPrinter], None], state: str
) -> None:
    setup(vprinter)
    st = connect(vprinter).status()
    assert st.state == state, st
    assert st.can_print is (state in ("ready", "paper_near_end"))
    assert set(st.raw) == {1, 2, 3, 4} and all(v is not None for v in st.raw.values())


def test_status_while_paper_out_mid_job_is_answered(vprinter: VirtualPrinter) -> None:
    """DLE EOT is real-time: answered while a GS r waits for paper."""
    vprinter.paper_out_after(0)
    with pytest.raises(PrintNotConfirmed, match="paper ran out"):
        connect(vprinter).print_slip(numbered_slip(2))
    assert connect(vprinter).status().state == "paper_out"


def test_silent_printer_is_unknown_not_ok(vprinter: VirtualPrinter) -> None:
    vprinter.silent(True)
    st = connect(vprinter, timeout_s=0.2).status()
    assert st.state == "unknown" and not st.can_print
    assert st.raw[1] is None and "no answer" in st.detail


def _peer(replies: list[bytes]) -> tuple[int, threading.Thread, socket.socket, threading.Event]:
    server = socket.socket()
    server.bind(("127.0.0.1", 0))
    server.listen(1)
    done = threading.Event()

    def serve() -> None:
        conn, _ = server.accept()
        with conn:
            for reply in replies:
                if len(conn.recv(3)) < 3 or reply == b"":
                    return
                conn.sendall(reply)
            done.wait(5)

    thread = threading.Thread(target=serve, daemon=True)
    thread.start()
    return server.getsockname()[1], thread, server, done


@pytest.mark.parametrize(
    ("replies", "detail"),
    [
        ([b"\x12", b"\x00"], "invalid reply 0x00"),  # garbage on query 2
        ([b"\x12", b"\x12", b"\xff"], "invalid reply 0xff"),
        ([b"\x12", b""], "connection dropped"),  # hangs up mid-query
    ],
    ids=["garbage", "all-bits", "hang-up"],
)
def test_garbage_or_hang_up_over_tcp_is_unknown(replies: list[bytes], detail: str) -> None:
    port, thread, server, done = _peer([*replies, b"\x12", b"\x12", b"\x12"])
    try:
        st = open_printer(f"tcp://127.0.0.1:{port}", timeout_s=0.5).status()
        assert st.state == "unknown" and detail in st.detail
    finally:
        done.set()
        thread.join(2)
        server.close()


@pytest.mark.parametrize(
    ("setup", "state", "code"),
    [
        (lambda vp: None, "ready", 0),
        (lambda vp: vp.paper_near_end(True), "paper_near_end", 0),
        (lambda vp: vp.paper_out(), "paper_out", 1),
        (lambda vp: vp.open_cover(), "cover_open", 1),
    ],
    ids=["ready", "near-end", "paper-out", "cover-open"],
)
def test_kiosk_printer_status_json(
    vprinter: VirtualPrinter,
    tmp_path: Path,
    setup: Callable[[VirtualPrinter], None],
    state: str,
    code: int,
) -> None:
    setup(vprinter)
    config = kiosk_config(tmp_path, vprinter.url)
    result = CliRunner().invoke(main, ["--config", str(config), "printer", "status", "--json"])
    assert result.exit_code == code, result.output
    data = json.loads(result.stdout)
    assert data["state"] == state
    assert data["can_print"] is (code == 0)


def test_kiosk_printer_status_unreachable_is_unknown(tmp_path: Path) -> None:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    config = kiosk_config(tmp_path, f"tcp://127.0.0.1:{port}")
    result = CliRunner().invoke(main, ["--config", str(config), "printer", "status", "--json"])
    assert result.exit_code == 1
    data = json.loads(result.stdout)
    assert data["state"] == "unknown" and data["error"] == "PrinterUnreachable"


def test_late_gs_r_reply_before_the_status_is_skipped() -> None:
    """A GS r reply released late (bit 4 clear) must not be read as the DLE EOT answer."""
    port, thread, server, done = _peer([b"\x00\x12", b"\x12", b"\x12", b"\x0c\x12"])
    try:
        st = open_printer(f"tcp://127.0.0.1:{port}", timeout_s=0.5).status()
        assert st.state == "ready" and st.raw == {1: 0x12, 2: 0x12, 3: 0x12, 4: 0x12}
    finally:
        done.set()
        thread.join(2)
        server.close()
