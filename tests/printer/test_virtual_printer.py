"""The virtual printer behaves like a TM-T88 for what we use, in-process and out-of-process.

Tricky streams (unknown commands, payloads holding LF or ESC, writes split anywhere) must not
desync it; DLE EOT is answered at once even while paper is out, and GS r only in order and
only once the printer can print again.
"""

from __future__ import annotations

import queue
import signal
import socket
import subprocess
import sys
import threading
from collections.abc import Iterator
from pathlib import Path

import pytest
from helpers.printer import numbered_slip

from drivers.errors import PaperOut, PrintNotConfirmed
from drivers.printer import PrintOutcome, open_printer
from drivers.virtual_printer import VirtualPrinter, VirtualPrinterControl
from drivers.virtual_printer.parser import Token, Tokenizer, decode_text

ESC, GS = b"\x1b", b"\x1d"

#: Commands we do not interpret, each with a payload that would print garbage if mis-measured.
TRICKY = b"".join(
    [
        ESC + b"@",
        b"Start\n",
        GS + b"(L" + bytes([10, 0]) + b"0p\nZZ\x1bZZ\n\x1d",  # graphics data: 10 bytes
        ESC + b"*" + bytes([0, 3, 0]) + b"\n\x1bZ",  # column image, 3 columns of 1 byte
        ESC + b"D" + bytes([8, 16, 24, 0]),  # tab stops, NUL-terminated
        ESC + b"(A" + bytes([4, 0]) + b"0\nZZ",  # beeper block
        GS + b"8L" + bytes([5, 0, 0, 0]) + b"ZZ\nZZ",  # large graphics, 4-byte length
        GS + b"k" + bytes([4]) + b"CODE39\x00",  # barcode function A, NUL-terminated
        ESC + b"x",  # unknown: skipped as a pair
        b"Middle\n",
        b"\x10\x14\x01\x00\x01",  # DLE DC4 1 m t: real-time pulse
        ESC + b"c5" + b"\x00",  # panel buttons
        ESC + b"?\n\x00",  # python-escpos HW_RESET
        b"End\n",
        GS + b"V\x00",
    ]
)


def merged(tokens: list[Token]) -> list[Token]:
    """Adjacent text tokens joined: a split write may cut a text run, nothing else."""
    out: list[Token] = []
    for t in tokens:
        if out and t.kind == "text" and out[-1].kind == "text":
            out[-1] = Token("text", out[-1].raw + t.raw)
        else:
            out.append(t)
    return out


def test_tokenizer_measures_every_command() -> None:
    tokens = Tokenizer().feed(TRICKY)
    texts = [t.raw for t in tokens if t.kind == "text"]
    assert texts == [b"Start", b"Middle", b"End"]
    names = [t.name for t in tokens if t.kind != "text"]
    assert names == [
        "ESC @", "LF", "GS (", "ESC *", "ESC D", "ESC (", "GS 8", "GS k", "ESC x", "LF",
        "DLE 14", "ESC c", "ESC ?", "LF", "GS V",
    ]  # fmt: skip
    assert [t.kind for t in tokens if t.name == "DLE 14"] == ["realtime"]


@pytest.mark.parametrize("chunk", [1, 2, 3, 5, 7, 64])
def test_split_writes_give_the_same_commands(chunk: int) -> None:
    whole = merged(Tokenizer().feed(TRICKY))
    tok = Tokenizer()
    pieces: list[Token] = []
    for i in range(0, len(TRICKY), chunk):
        pieces += tok.feed(TRICKY[i : i + chunk])
    assert tok.pending == 0
    assert merged(pieces) == whole


def test_incomplete_command_waits_for_the_rest() -> None:
    tok = Tokenizer()
    raster = GS + b"v0\x00" + bytes([1, 0, 2, 0]) + b"\x0a\x1b"
    assert tok.feed(raster[:9]) == []
    assert tok.pending == 9
    [token] = tok.feed(raster[9:])
    assert token.name == "GS v" and token.raw == raster


def test_code_page_decoding_follows_esc_t() -> None:
    assert decode_text("čšž".encode("cp852"), 18) == "čšž"
    assert decode_text("ğış".encode("cp857"), 13) == "ğış"
    assert decode_text("äö".encode("cp437"), 0) == "äö"
    assert decode_text(b"\xe7", 99) == "\ufffd"  # a page the profile lacks is visibly wrong


@pytest.fixture
def raw_link(vprinter: VirtualPrinter) -> Iterator[socket.socket]:
    with socket.create_connection(("127.0.0.1", vprinter.port), timeout=2.0) as sock:
        yield sock


def test_tricky_stream_prints_only_the_text(
    vprinter: VirtualPrinter, raw_link: socket.socket
) -> None:
    for i in range(0, len(TRICKY), 3):  # as many small writes as possible
        raw_link.sendall(TRICKY[i : i + 3])
    assert vprinter.wait_for_slips(1, 3.0)
    assert vprinter.slips[0].text == "Start\n[BARCODE: CODE39]\nMiddle\nEnd\n"


def test_code_page_and_styles_over_tcp(vprinter: VirtualPrinter, raw_link: socket.socket) -> None:
    raw_link.sendall(
        ESC + b"@" + ESC + b"t\x12" + "Plačilo".encode("cp852") + b"\n"
        + ESC + b"a\x01" + ESC + b"E\x01" + ESC + b"t\x0d" + "Ağ".encode("cp857") + b"\n"
        + ESC + b"a\x02" + GS + b"!\x11" + b"BIG\n"
        + ESC + b"p\x00\x32\x32" + GS + b"V\x00"
    )  # fmt: skip
    assert vprinter.wait_for_slips(1, 3.0)
    slip = vprinter.slips[0]
    assert slip.text.splitlines() == ["Plačilo", "Ağ".center(42).rstrip(), "BIG".rjust(21)]
    assert slip.rows[1].bold and slip.rows[1].align == "center"
    assert (slip.rows[2].wscale, slip.rows[2].hscale) == (2, 2)
    assert slip.drawer_kicked and vprinter.drawer_open
    assert slip.png_path is not None and slip.png_path.read_bytes().startswith(b"\x89PNG")


def _recv_byte(sock: socket.socket, timeout: float) -> int | None:
    sock.settimeout(timeout)
    try:
        data = sock.recv(1)
    except TimeoutError:
        return None
    return data[0] if data else None


def test_gs_r_held_while_paper_out_dle_eot_still_answered(
    vprinter: VirtualPrinter, raw_link: socket.socket
) -> None:
    vprinter.paper_out()
    raw_link.sendall(ESC + b"@" + b"lost line\n" + GS + b"V\x00" + GS + b"r\x01")
    # the printer is stopped: GS r must not be answered (the short wait IS the behaviour)
    assert _recv_byte(raw_link, 0.3) is None
    raw_link.sendall(b"\x10\x04\x04")  # DLE EOT 4: real-time, answered at once
    assert _recv_byte(raw_link, 2.0) == 0x12 | 0x60  # paper end bits 5, 6
    vprinter.load_paper()
    assert _recv_byte(raw_link, 2.0) == 0x00  # GS r 1 released: paper present
    assert vprinter.slips == [], "what was sent while paper was out did not print"


def test_gs_r_held_while_cover_open(vprinter: VirtualPrinter, raw_link: socket.socket) -> None:
    vprinter.open_cover()
    raw_link.sendall(GS + b"r\x01")
    assert _recv_byte(raw_link, 0.3) is None
    raw_link.sendall(b"\x10\x04\x02")
    assert _recv_byte(raw_link, 2.0) == 0x12 | 0x04
    vprinter.close_cover()
    assert _recv_byte(raw_link, 2.0) == 0x00


def test_gs_r_answers_after_everything_before_it(
    vprinter: VirtualPrinter, raw_link: socket.socket
) -> None:
    vprinter.slow(0.02)
    raw_link.sendall(ESC + b"@" + b"".join(b"line %d\n" % i for i in range(10)) + GS + b"V\x00")
    raw_link.sendall(GS + b"r\x01")
    assert _recv_byte(raw_link, 5.0) == 0x00
    # the reply is the proof: the slip must already be complete when it arrives
    assert len(vprinter.slips) == 1 and "line 9" in vprinter.slips[0].text


def test_silent_printer_answers_nothing(vprinter: VirtualPrinter, raw_link: socket.socket) -> None:
    vprinter.silent(True)
    raw_link.sendall(b"\x10\x04\x01" + GS + b"r\x01")
    assert _recv_byte(raw_link, 0.3) is None


def test_drop_connection_after_n_bytes(vprinter: VirtualPrinter, raw_link: socket.socket) -> None:
    vprinter.drop_connection_after(10)
    raw_link.sendall(ESC + b"@" + b"0123456789abcdef\n")
    raw_link.settimeout(2.0)
    assert raw_link.recv(1) == b""  # closed by the printer
    assert bytes(vprinter.received) == (ESC + b"@" + b"0123456789abcdef\n")[:10]


def test_offline_holds_processing_until_online(
    vprinter: VirtualPrinter, raw_link: socket.socket
) -> None:
    vprinter.go_offline()
    raw_link.sendall(ESC + b"@" + b"later\n" + GS + b"V\x00" + GS + b"r\x01")
    assert _recv_byte(raw_link, 0.3) is None
    raw_link.sendall(b"\x10\x04\x01")
    assert _recv_byte(raw_link, 2.0) == 0x12 | 0x08
    assert vprinter.slips == []
    vprinter.go_online()
    assert _recv_byte(raw_link, 2.0) == 0x00
    assert vprinter.slips[0].text == "later\n"


# -- out of process --------------------------------------------------------------------------


@pytest.fixture
def emulator(
    tmp_path: Path,
) -> Iterator[tuple[str, VirtualPrinterControl, Path, subprocess.Popen[str]]]:
    out = tmp_path / "out"
    proc = subprocess.Popen(
        [
            sys.executable,
            "-c",
            "from terminal.cli import main; main()",
            "printer-emulator",
            "--port",
            "0",
            "--control-port",
            "0",
            "--out",
            str(out),
        ],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    lines: queue.Queue[str] = queue.Queue()

    def read() -> None:
        assert proc.stdout is not None
        for line in proc.stdout:
            lines.put(line)

    threading.Thread(target=read, daemon=True).start()
    try:
        first = lines.get(timeout=20)
        words = first.split()
        printer_url = words[words.index("printer") + 1]
        control_url = words[words.index("control") + 1]
        yield printer_url, VirtualPrinterControl(control_url), out, proc
    finally:
        if proc.poll() is None:
            proc.send_signal(signal.SIGINT)
            try:
                proc.wait(timeout=10)
            except subprocess.TimeoutExpired:
                proc.kill()
                proc.wait(timeout=5)


def test_emulator_out_of_process_with_control_port(
    emulator: tuple[str, VirtualPrinterControl, Path, subprocess.Popen[str]],
) -> None:
    url, control, out, proc = emulator
    printer = open_printer(url, timeout_s=3.0)
    assert printer.status().state == "ready"

    control.paper_out()
    assert control.state()["paper_end"] is True
    assert printer.status().state == "paper_out"
    with pytest.raises(PaperOut):
        printer.print_slip(numbered_slip(2))
    control.load_paper()

    assert printer.print_slip(numbered_slip(3, tag="REMOTE")) is PrintOutcome.PRINTED
    assert control.wait_for_slips(1, 5.0)
    [slip] = control.slips()
    assert "REMOTE line 03" in str(slip["text"])
    assert (out / "0001.txt").read_text(encoding="utf-8") == slip["text"]
    assert (out / "0001.png").exists()

    control.paper_out_after(2)
    with pytest.raises(PrintNotConfirmed):
        printer.print_slip(numbered_slip(10))
    control.clear_faults()
    assert len(control.slips()) == 1

    proc.send_signal(signal.SIGINT)
    assert proc.wait(timeout=10) == 0


def test_emulator_on_a_pseudo_terminal_with_baud_rate_and_asb(tmp_path: Path) -> None:
    """``kiosk printer-emulator --pty``: a serial printer for pyserial, from the command line."""
    proc = subprocess.Popen(
        [
            sys.executable,
            "-c",
            "from terminal.cli import main; main()",
            "printer-emulator",
            "--port",
            "0",
            "--out",
            str(tmp_path / "out"),
            "--pty",
            "--baud",
            "115200",
            "--asb",
            "--model",
            "TM-T20III",
        ],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        assert proc.stdout is not None
        first = proc.stdout.readline()
        words = first.split()
        serial_url = words[words.index("serial") + 1]
        assert serial_url.startswith("serial:///dev/pts/")
        printer = open_printer(f"{serial_url}?baudrate=115200", timeout_s=3.0)
        assert printer.status().state == "ready"
        assert printer.print_slip(numbered_slip(3, tag="PTY")) is PrintOutcome.PRINTED
        assert printer.identity is not None and printer.identity.model == "TM-T20III"  # type: ignore[attr-defined]
        proc.send_signal(signal.SIGINT)
        assert proc.wait(timeout=10) == 0
        assert "PTY footer" in (tmp_path / "out" / "0001.txt").read_text(encoding="utf-8")
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait(timeout=5)
