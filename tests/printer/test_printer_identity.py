"""Know the printer: GS I identity in ``kiosk printer status``, at start, and on the test page.

A TM-T20III behind a TM-T88V profile prints € wrong, so the status names the printer and warns,
with the code pages the slips are encoded in, when it is not the configured profile.
"""

from __future__ import annotations

import json
import logging
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path

import pytest
from click.testing import CliRunner
from helpers.printer import kiosk_config

from drivers.printer import PrinterIdentity, open_printer, profile_mismatch
from drivers.printer.base import ReadBackPrinter
from drivers.printer.identity import code_pages
from drivers.virtual_printer import VirtualPrinter
from foundation.clock import ManualClock
from printer_templates.render import render_slip
from terminal.cli import main
from terminal.cli.printer import printer_test_page
from terminal.config import load_config


@pytest.fixture
def t20(tmp_path: Path) -> Iterator[VirtualPrinter]:
    """A TM-T20III (by its GS I answer) for a terminal configured with the TM-T88V profile."""
    with VirtualPrinter(port=0, out_dir=tmp_path / "slips", model="TM-T20III") as vp:
        yield vp


def test_identity_is_read_with_gs_i(t20: VirtualPrinter) -> None:
    printer = open_printer(t20.url, timeout_s=1.0)
    assert isinstance(printer, ReadBackPrinter)
    identity = printer.identify()
    assert identity == PrinterIdentity(maker="EPSON", model="TM-T20III", firmware="1.00 ESC/POS")
    assert b"\x1dIB\x1dIC\x1dIA" in t20.received


def test_a_printer_that_cannot_print_is_not_asked_who_it_is(t20: VirtualPrinter) -> None:
    t20.paper_out()  # GS I is answered in order: a stopped printer would hold it
    printer = open_printer(t20.url, timeout_s=1.0)
    assert isinstance(printer, ReadBackPrinter)
    assert printer.identify() is None
    assert b"\x1dI" not in t20.received


def test_mismatch_warning_names_the_code_pages() -> None:
    warning = profile_mismatch(PrinterIdentity("EPSON", "TM-T20III"), "TM-T88V")
    assert warning is not None
    assert "TM-T20III" in warning and "TM-T88V" in warning
    assert all(page in warning for page in code_pages("TM-T88V"))
    assert profile_mismatch(PrinterIdentity("EPSON", "TM-T88V"), "TM-T88V") is None
    assert profile_mismatch(PrinterIdentity(), "TM-T88V") is None


def test_status_shows_the_printer_and_warns_on_a_mismatch(
    t20: VirtualPrinter, tmp_path: Path
) -> None:
    config = kiosk_config(tmp_path, t20.url, "si")
    result = CliRunner().invoke(main, ["--config", str(config), "printer", "status", "--json"])
    assert result.exit_code == 0, result.output
    data = json.loads(result.stdout)
    assert data["identity"] == {"maker": "EPSON", "model": "TM-T20III", "firmware": "1.00 ESC/POS"}
    assert data["profile"] == "TM-T88V"
    assert "TM-T20III" in data["profile_warning"] and "CP858" in data["profile_warning"]
    assert "Warning:" in result.stderr

    text = CliRunner().invoke(main, ["--config", str(config), "printer", "status"])
    assert "printer: EPSON TM-T20III (firmware 1.00 ESC/POS), profile TM-T88V" in text.stdout


def test_status_of_a_matching_printer_has_no_warning(tmp_path: Path) -> None:
    with VirtualPrinter(port=0) as vp:
        config = kiosk_config(tmp_path, vp.url, "si")
        result = CliRunner().invoke(main, ["--config", str(config), "printer", "status", "--json"])
    data = json.loads(result.stdout)
    assert data["identity"]["model"] == "TM-T88V" and data["profile_warning"] is None
    assert "Warning" not in result.stderr


def test_test_page_prints_the_real_profile_model_and_time(
    t20: VirtualPrinter, tmp_path: Path
) -> None:
    config = kiosk_config(tmp_path, t20.url, "si")
    result = CliRunner().invoke(main, ["--config", str(config), "printer", "test", "--json"])
    assert result.exit_code == 0, result.output
    text = t20.slips[0].text
    assert "TM-T88V / TM-T20III" in text
    assert "TM-T20II\n" not in text, "not the sample's profile"

    cfg = load_config(config)
    clock = ManualClock(datetime(2031, 7, 9, 17, 45, 12, tzinfo=UTC))
    printer = open_printer(t20.url, timeout_s=1.0)
    doc = render_slip("test_page", printer_test_page(cfg, printer, clock), language="sl")
    rendered = "\n".join(str(e) for e in doc.elements)
    assert "19:45:12" in rendered  # Ljubljana's summer time, the clock's moment
    assert "2031" in rendered and "TM-T88V / TM-T20III" in rendered


def test_kiosk_start_warns_about_the_mismatch(
    t20: VirtualPrinter, tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    from terminal.kiosk import Kiosk

    cfg = load_config(kiosk_config(tmp_path, t20.url, "si"))
    with caplog.at_level(logging.WARNING, logger="terminal.kiosk"):
        kiosk = Kiosk(cfg, clock=ManualClock())
    try:
        assert kiosk.printer_warning is not None and "TM-T20III" in kiosk.printer_warning
        assert any("TM-T20III" in r.getMessage() for r in caplog.records)
    finally:
        kiosk.close()
