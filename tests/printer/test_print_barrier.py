"""The print barrier: a slip is PRINTED only when the printer's in-order GS r reply proves it.

python-escpos talks real TCP to the virtual printer; every fault ends in its named error and
never in PRINTED, and the next job after a failure prints on a fresh connection.
"""

from __future__ import annotations

import json
import socket
from collections.abc import Callable
from pathlib import Path

import pytest
from click.testing import CliRunner
from helpers.printer import connect, kiosk_config, numbered_slip

from drivers.errors import (
    CoverOpen,
    PaperOut,
    PrinterError,
    PrinterOffline,
    PrinterStatusUnknown,
    PrinterUnreachable,
    PrintNotConfirmed,
    SlipNotPrintable,
)
from drivers.printer import PrintOutcome, open_printer
from drivers.printer.escpos_output import INIT
from drivers.virtual_printer import VirtualPrinter
from printer_templates.document import Barcode, SlipDocument, TextLine
from terminal.cli import main


def test_normal_slip_is_printed_and_kept_as_text_and_png(vprinter: VirtualPrinter) -> None:
    printer = connect(vprinter)
    assert printer.can_prove_print
    assert printer.print_slip(numbered_slip(5)) is PrintOutcome.PRINTED
    # the proof came after the cut was processed, so the slip is already there
    assert len(vprinter.slips) == 1
    slip = vprinter.slips[0]
    for i in range(1, 6):
        assert f"SLIP line {i:02d}" in slip.text
    assert "SLIP footer" in slip.text
    assert slip.qr_codes == ["00001000000042"]
    assert slip.barcodes == ["00001000000042"]
    assert slip.png_path is not None and slip.png_path.exists()
    assert slip.png_path.with_suffix(".txt").read_text(encoding="utf-8") == slip.text
    # ASB off and status first, then who the printer is ...
    assert vprinter.received.startswith(b"\x1da\x00\x10\x04\x01")
    assert b"\x1dIB\x1dIC\x1dIA" in vprinter.received
    assert INIT in vprinter.received  # ... then a job that starts with ESC @


def _nothing_printed(vp: VirtualPrinter) -> None:
    assert vp.wait_idle(2.0)
    assert vp.slips == []
    assert INIT not in vp.received, "no job may be sent when the status forbids printing"


@pytest.mark.parametrize(
    ("fault", "error"),
    [
        (VirtualPrinter.paper_out, PaperOut),
        (VirtualPrinter.open_cover, CoverOpen),
        (VirtualPrinter.go_offline, PrinterOffline),
    ],
    ids=["paper-out", "cover-open", "offline"],
)
def test_status_fault_before_the_job_prints_nothing(
    vprinter: VirtualPrinter, fault: Callable[[VirtualPrinter], None], error: type[PrinterError]
) -> None:
    fault(vprinter)
    with pytest.raises(error):
        connect(vprinter).print_slip(numbered_slip())
    vprinter.go_online()  # an offline printer would hold the queue; release it to check
    _nothing_printed(vprinter)


def test_silent_printer_is_unknown_and_gets_no_job(vprinter: VirtualPrinter) -> None:
    vprinter.silent(True)
    with pytest.raises(PrinterStatusUnknown, match="does not answer"):
        connect(vprinter, timeout_s=0.3).print_slip(numbered_slip())
    _nothing_printed(vprinter)


def test_paper_out_mid_slip_is_not_confirmed_and_later_lines_are_lost(
    vprinter: VirtualPrinter,
) -> None:
    vprinter.paper_out_after(5)  # header, rule, line 01..03
    with pytest.raises(PrintNotConfirmed, match="paper ran out"):
        connect(vprinter).print_slip(numbered_slip(20))
    assert vprinter.wait_idle(2.0)
    assert vprinter.slips == [], "a slip torn by paper end is never complete"
    head = vprinter.interrupted[0]
    assert "SLIP line 03" in head
    assert "SLIP line 04" not in head and "SLIP footer" not in head


def test_gs_r_held_while_paper_out_means_not_confirmed_in_time(vprinter: VirtualPrinter) -> None:
    """Even with polling off, a held GS r can only ever end as 'not confirmed'."""
    printer = connect(vprinter, timeout_s=0.4)
    printer.poll_interval_s = 10.0  # type: ignore[attr-defined]
    vprinter.paper_out_after(3)
    with pytest.raises(PrintNotConfirmed):
        printer.print_slip(numbered_slip(10))
    assert vprinter.slips == []


def test_connection_dropped_mid_job_is_not_confirmed(vprinter: VirtualPrinter) -> None:
    printer = connect(vprinter)
    job = printer.render(numbered_slip(20))
    status_bytes = 3 + 4 * 3 + 3 * 3  # GS a 0, DLE EOT 1-4, GS I 66/67/65
    vprinter.drop_connection_after(status_bytes + len(job) // 2)
    with pytest.raises(PrintNotConfirmed, match="connection dropped"):
        printer.print_slip(numbered_slip(20))
    assert vprinter.wait_idle(2.0)
    assert vprinter.slips == []
    assert len(vprinter.received) == status_bytes + len(job) // 2


def test_slow_printer_within_timeout_is_printed(vprinter: VirtualPrinter) -> None:
    vprinter.slow(0.005)
    assert connect(vprinter, timeout_s=5.0).print_slip(numbered_slip(10)) is PrintOutcome.PRINTED
    assert len(vprinter.slips) == 1


def test_slow_printer_beyond_timeout_is_not_confirmed(vprinter: VirtualPrinter) -> None:
    vprinter.slow(0.1)  # ~40 rows: 4 s, against a barrier planned for a 1 m/s mechanism
    printer = connect(vprinter, timeout_s=0.5)
    printer.print_speed_mm_s = 1000.0  # type: ignore[attr-defined]
    with pytest.raises(PrintNotConfirmed, match="did not confirm within"):
        printer.print_slip(numbered_slip(20))
    assert vprinter.slips == []


def _recover(vp: VirtualPrinter) -> None:
    vp.clear_faults()


FAULTS: dict[str, tuple[Callable[[VirtualPrinter], None], type[PrinterError], float]] = {
    "paper-out": (lambda vp: vp.paper_out(), PaperOut, 2.0),
    "paper-out-mid-slip": (lambda vp: vp.paper_out_after(4), PrintNotConfirmed, 2.0),
    "cover-open": (lambda vp: vp.open_cover(), CoverOpen, 2.0),
    "offline": (lambda vp: vp.go_offline(), PrinterOffline, 2.0),
    "silent": (lambda vp: vp.silent(True), PrinterStatusUnknown, 0.3),
    "drop": (lambda vp: vp.drop_connection_after(200), PrintNotConfirmed, 2.0),
    "slow": (lambda vp: vp.slow(0.05), PrintNotConfirmed, 0.3),
}


@pytest.mark.parametrize("name", list(FAULTS))
def test_next_job_after_a_failure_prints_on_a_fresh_connection(
    vprinter: VirtualPrinter, name: str
) -> None:
    inject, error, timeout_s = FAULTS[name]
    printer = connect(vprinter, timeout_s=timeout_s)
    printer.print_speed_mm_s = 1000.0  # type: ignore[attr-defined]  # "slow" is slower than this
    inject(vprinter)
    with pytest.raises(error):
        printer.print_slip(numbered_slip(15, tag="FIRST"))
    _recover(vprinter)
    printer.timeout_s = 3.0
    assert printer.print_slip(numbered_slip(3, tag="AGAIN")) is PrintOutcome.PRINTED
    assert vprinter.wait_for_slips(1, 3.0)
    last = vprinter.slips[-1].text
    assert "AGAIN footer" in last
    assert "FIRST footer" not in last, "the failed slip must not have completed"


def test_unreachable_printer(tmp_path: Path) -> None:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    # nothing listens on that port any more
    printer = open_printer(f"tcp://127.0.0.1:{port}", timeout_s=0.5)
    with pytest.raises(PrinterUnreachable, match="Cannot reach the printer"):
        printer.print_slip(numbered_slip(1))
    with pytest.raises(PrinterUnreachable):
        printer.status()


def test_paper_near_end_still_prints(vprinter: VirtualPrinter) -> None:
    vprinter.paper_near_end(True)
    printer = connect(vprinter)
    assert printer.status().state == "paper_near_end"
    assert printer.print_slip(numbered_slip(2)) is PrintOutcome.PRINTED


def test_file_connection_needs_clerk_confirmation(tmp_path: Path) -> None:
    target = tmp_path / "lp0"
    target.write_bytes(b"")
    printer = open_printer(f"file://{target}")
    assert not printer.can_prove_print
    assert printer.status().state == "unknown"
    doc = numbered_slip(2)
    assert printer.print_slip(doc) is PrintOutcome.NEEDS_CLERK_CONFIRMATION
    data = target.read_bytes()
    assert data == printer.render(doc)
    assert data.startswith(INIT) and data.endswith(b"\x1dV\x00")


def test_drawer_kick_reaches_the_printer(vprinter: VirtualPrinter) -> None:
    printer = connect(vprinter)
    printer.kick_drawer(2)
    assert vprinter.wait_for(lambda: vprinter.drawer_open, 2.0)
    assert printer.status().drawer_open
    vprinter.close_drawer()
    assert not printer.status().drawer_open


def test_unknown_url_scheme_is_a_clear_error() -> None:
    from drivers.errors import PrinterConfigError

    with pytest.raises(PrinterConfigError, match="unknown connection type 'lpt'"):
        open_printer("lpt://1")


@pytest.mark.parametrize("market", ["si", "rs", "az", "fi"])
def test_kiosk_printer_test_page(vprinter: VirtualPrinter, tmp_path: Path, market: str) -> None:
    config = kiosk_config(tmp_path, vprinter.url, market)
    result = CliRunner().invoke(main, ["--config", str(config), "printer", "test", "--json"])
    assert result.exit_code == 0, result.output
    assert json.loads(result.stdout)["result"] == "printed"
    assert len(vprinter.slips) == 1
    assert "?" not in vprinter.slips[0].text.replace("[QR:", "")


def test_kiosk_printer_test_page_paper_out(vprinter: VirtualPrinter, tmp_path: Path) -> None:
    vprinter.paper_out()
    config = kiosk_config(tmp_path, vprinter.url)
    result = CliRunner().invoke(main, ["--config", str(config), "printer", "test", "--json"])
    assert result.exit_code == 1
    assert json.loads(result.stdout)["error"] == "PaperOut"
    assert "load a new roll" in result.stderr


# -- the same barrier over a serial line (pyserial on a pseudo-terminal) ----------------------


def test_serial_barrier_over_a_pty(vprinter: VirtualPrinter) -> None:
    path = vprinter.serve_pty()
    printer = open_printer(f"serial://{path}?baudrate=19200", timeout_s=2.0)
    assert printer.status().state == "ready"
    assert printer.print_slip(numbered_slip(3, tag="SERIAL")) is PrintOutcome.PRINTED
    assert "SERIAL footer" in vprinter.slips[0].text

    vprinter.paper_out_after(3)
    with pytest.raises(PrintNotConfirmed, match="paper ran out"):
        printer.print_slip(numbered_slip(10, tag="TORN"))
    # the held GS r reply is released into the line now: the next job must not take it as proof
    vprinter.load_paper()
    vprinter.slow(0.01)
    assert printer.print_slip(numbered_slip(3, tag="AFTER")) is PrintOutcome.PRINTED
    assert "AFTER footer" in vprinter.slips[-1].text


def test_serial_silent_printer_is_unknown(vprinter: VirtualPrinter) -> None:
    path = vprinter.serve_pty()
    vprinter.silent(True)
    printer = open_printer(f"serial://{path}", timeout_s=0.3)
    with pytest.raises(PrinterStatusUnknown):
        printer.print_slip(numbered_slip(1))
    assert vprinter.slips == []


def test_slip_that_cannot_be_rendered_sends_nothing(vprinter: VirtualPrinter) -> None:
    doc = SlipDocument(elements=[TextLine("Total 10,00"), Barcode("12AB", symbology="EAN13")])
    with pytest.raises(SlipNotPrintable, match="call support"):
        connect(vprinter).print_slip(doc)
    assert bytes(vprinter.received) == b"", "a slip that fails to render never opens the link"


def test_status_from_another_thread_waits_for_the_print(vprinter: VirtualPrinter) -> None:
    """The web UI may ask for status while a sale prints: one conversation at a time."""
    import threading

    printer = connect(vprinter, timeout_s=5.0)
    vprinter.slow(0.01)
    outcomes: list[PrintOutcome | BaseException] = []

    def sell() -> None:
        try:
            outcomes.append(printer.print_slip(numbered_slip(20)))
        except BaseException as exc:  # surfaced by the assert below
            outcomes.append(exc)

    seller = threading.Thread(target=sell)
    seller.start()
    assert vprinter.wait_for(lambda: INIT in vprinter.received, 5.0)  # the job is on its way
    states = [printer.status().state for _ in range(3)]
    seller.join(10)
    assert outcomes == [PrintOutcome.PRINTED]
    assert states == ["ready"] * 3
