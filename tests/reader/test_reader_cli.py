"""kiosk reader parse / listen: the same decoders from a shell, masked output, JSON lines."""

from __future__ import annotations

import json
import os
import queue
import signal
import subprocess
import sys
import threading
from pathlib import Path
from typing import IO

from click.testing import CliRunner
from helpers import reader_frames as F
from helpers.pty_peer import TIMEOUT_S, PtyPeer

from terminal.cli import main
from terminal.cli.reader import LineSettings, line_settings

KIOSK = Path(sys.executable).parent / "kiosk"
#: A cold ``kiosk`` process imports every command module; on a loaded CI box that is slow.
STARTUP_TIMEOUT_S = 60.0


def _parse(stdin: bytes, *args: str) -> tuple[int, str]:
    result = CliRunner().invoke(main, ["reader", "parse", *args], input=stdin)
    return result.exit_code, result.stdout


def test_parse_card_capture_prints_masked_events() -> None:
    code, out = _parse(F.IDTECH_SIGN_ON + F.MAGTEK_VISA + F.MAGTEK_LUHN_WRONG)
    assert code == 0
    assert out.splitlines() == [
        "reader says: ID TECH MiniMag II Serial V3.10 Copyright 2009",
        "card swiped: ************1111 expires 12/28 DOE/JOHN (tracks 1+2)",
        "swipe failed (luhn): Card could not be read: swipe again, steadily, "
        "stripe facing the reader.",
    ]
    assert F.VISA_PAN not in out


def test_parse_json_lines_from_a_hex_msr605_capture() -> None:
    code, out = _parse(F.MSR605_VISA.hex(" ").encode(), "--hex", "--json", "--framing", "msr605")
    assert code == 0
    (line,) = out.splitlines()
    assert json.loads(line) == {
        "kind": "card_swiped",
        "last4": "1111",
        "masked": "************1111",
        "expiry": "2812",
        "service_code": "101",
        "name": "DOE/JOHN",
        "tracks_present": [1, 2],
    }


def test_parse_refuses_bad_hex() -> None:
    code, _ = _parse(b"zz", "--hex")
    assert code == 2


def test_parse_scanner_and_wedge() -> None:
    code, out = _parse(F.SCAN_TXN_QR + F.SCAN_VOUCHER_PREFIXED, "--kind", "scanner", "--json")
    assert code == 0
    kinds = [json.loads(line)["kind"] for line in out.splitlines()]
    assert kinds == ["scanned_transaction", "scanned_card"]
    assert F.MC_PAN not in out
    code, out = _parse(F.MAGTEK_VISA + b"\r12345000000001\r", "--kind", "wedge")
    assert code == 0
    assert out.splitlines()[1] == "scanned transaction: 12345000000001"
    code, out = _parse(F.IDTECH_LINES_T1_T2, "--kind", "wedge")
    assert out.splitlines() == [
        "card swiped: ************4444 expires 06/27 MUSTERMANN/ERIKA (tracks 1+2)"
    ]


def _lines(stream: IO[str]) -> queue.Queue[str]:
    lines: queue.Queue[str] = queue.Queue()

    def pump() -> None:
        for line in stream:
            lines.put(line)

    threading.Thread(target=pump, daemon=True).start()
    return lines


def _next_json(lines: queue.Queue[str], timeout: float = TIMEOUT_S) -> dict[str, object]:
    try:
        return dict(json.loads(lines.get(timeout=timeout)))
    except queue.Empty:
        raise AssertionError("kiosk reader listen printed nothing in time") from None


def _listen(peer: PtyPeer, *args: str) -> subprocess.Popen[str]:
    return subprocess.Popen(
        [str(KIOSK), "reader", "listen", "--port", str(peer.link), "--json", *args],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )


def test_listen_streams_json_lines_and_stops_after_count(peer: PtyPeer) -> None:
    proc = _listen(peer, "--framing", "magtek", "--count", "2")
    try:
        assert proc.stdout is not None
        lines = _lines(proc.stdout)
        assert _next_json(lines, STARTUP_TIMEOUT_S)["kind"] == "reader_connected"
        peer.write(F.MAGTEK_VISA + F.MAGTEK_ALL_ERRORS)
        swiped = _next_json(lines)
        assert (swiped["kind"], swiped["last4"]) == ("card_swiped", "1111")
        assert _next_json(lines) == {
            "kind": "swipe_failed",
            "reason": "no_valid_track",
            "message": "Card could not be read: swipe again, steadily, stripe facing the reader.",
        }
        assert proc.wait(timeout=TIMEOUT_S) == 0
    finally:
        proc.kill()
        proc.wait(timeout=TIMEOUT_S)


def test_listen_until_ctrl_c(peer: PtyPeer) -> None:
    proc = _listen(peer, "--kind", "scanner")
    try:
        assert proc.stdout is not None
        lines = _lines(proc.stdout)
        assert _next_json(lines, STARTUP_TIMEOUT_S)["kind"] == "reader_connected"
        peer.write(F.SCAN_TXN_BARE)
        assert _next_json(lines) == {"kind": "scanned_transaction", "txn": "12345000000042"}
        proc.send_signal(signal.SIGINT)
        assert proc.wait(timeout=TIMEOUT_S) == 0
        assert proc.stderr is not None and "Traceback" not in proc.stderr.read()
    finally:
        proc.kill()
        proc.wait(timeout=TIMEOUT_S)


def test_listen_opens_the_reader_from_kiosk_toml_with_all_line_settings(
    peer: PtyPeer, tmp_path: Path
) -> None:
    """No --port: URL, baud rate, byte size, parity, stop bits and framing come from the file."""
    import termios

    from helpers.printer import kiosk_config

    config = kiosk_config(tmp_path, "tcp://127.0.0.1:9")
    with config.open("a", encoding="utf-8") as f:
        f.write(
            f'\n[reader]\nurl = "{peer.link}"\nbaudrate = 19200\nbytesize = 7\n'
            'parity = "E"\nstopbits = 2\nframing = "magtek"\n'
        )
    proc = subprocess.Popen(
        [str(KIOSK), "--config", str(config), "reader", "listen", "--json", "--count", "1"],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        assert proc.stdout is not None
        lines = _lines(proc.stdout)
        connected = _next_json(lines, STARTUP_TIMEOUT_S)
        assert connected == {"kind": "reader_connected", "port": str(peer.link)}
        fd = os.open(peer.link, os.O_RDONLY | os.O_NOCTTY | os.O_NONBLOCK)
        try:  # the line settings live on the device side, where the kiosk set them
            attrs = termios.tcgetattr(fd)
        finally:
            os.close(fd)
        cflag, speed = attrs[2], attrs[4]
        # a pty keeps what it can: speed and stop bits (Linux forces CS8 and no parity on ptys,
        # so those two are checked on the settings the command resolved, below)
        assert cflag & termios.CSTOPB  # two stop bits
        assert speed == termios.B19200
        peer.write(F.IDTECH_UIC_T1_T2_T3)  # ID TECH's UIC format, through the magtek framing
        swiped = _next_json(lines)
        assert (swiped["kind"], swiped["last4"]) == ("card_swiped", "1111")
        assert proc.wait(timeout=TIMEOUT_S) == 0
    finally:
        proc.kill()
        proc.wait(timeout=TIMEOUT_S)
    assert line_settings(config, "card", {}) == LineSettings(
        url=str(peer.link), baudrate=19200, bytesize=7, parity="E", stopbits=2, framing="magtek"
    )
    overridden = line_settings(config, "card", {"baudrate": 9600, "parity": "O", "url": None})
    assert (overridden.baudrate, overridden.parity, overridden.bytesize) == (9600, "O", 7)


def test_listen_without_port_or_reader_section_says_what_to_do(tmp_path: Path) -> None:
    from helpers.printer import kiosk_config

    config = kiosk_config(tmp_path, "tcp://127.0.0.1:9")
    result = CliRunner().invoke(main, ["--config", str(config), "reader", "listen"])
    assert result.exit_code == 2
    assert "no [reader] section" in result.output and "--port" in result.output
    assert "Traceback" not in result.output
