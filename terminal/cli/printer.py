"""``kiosk printer status|test`` and ``kiosk printer-emulator``: thin over ``drivers``.

``status`` exits non-zero unless the printer can print, so a shell script or a monitoring
check can gate on it; ``printer-emulator`` runs the virtual printer the demo and tests use.
"""

from __future__ import annotations

import json
import signal
import threading
from pathlib import Path
from types import FrameType
from typing import Any, NoReturn

import click

from drivers.errors import PrinterError
from drivers.printer import (
    PrinterIdentity,
    PrintOutcome,
    ReadBackPrinter,
    ReceiptPrinter,
    open_printer,
    profile_mismatch,
)
from drivers.virtual_printer import VirtualPrinter
from foundation.clock import Clock, SystemClock
from foundation.errors import ClerkFacingError
from printer_templates.context import TestPageSlip
from terminal.cli.options import JSON_OPTION
from terminal.config import KioskConfig, load_config


def _fail(message: str, payload: dict[str, Any] | None, as_json: bool) -> NoReturn:
    if as_json and payload is not None:
        click.echo(json.dumps(payload, ensure_ascii=False))
    click.echo(message, err=True)
    raise click.exceptions.Exit(1)


def _printer(obj: Any, as_json: bool) -> tuple[KioskConfig, ReceiptPrinter]:
    try:
        cfg = load_config(obj.config_path)
        p = cfg.printer
        return cfg, open_printer(
            p.url,
            profile=p.profile,
            width=p.width,
            timeout_s=p.timeout_s,
            print_speed_mm_s=p.print_speed_mm_s,
            job_ceiling_s=p.max_job_time_s,
        )
    except ClerkFacingError as exc:
        _fail(str(exc), {"state": "unknown", "can_print": False, "error": str(exc)}, as_json)


@click.group("printer")
def printer_group() -> None:
    """The receipt printer: status and test page."""


@printer_group.command("status")
@JSON_OPTION
@click.pass_obj
def status_command(obj: Any, as_json: bool) -> None:
    """Ask the printer how it is (DLE EOT) and who it is (GS I); exit 1 unless it can print.

    A printer whose model is not the configured profile gets a warning naming the code pages
    the slips are encoded in: that mismatch is what prints € as a box.
    """
    cfg, printer = _printer(obj, as_json)
    try:
        data = printer.status().as_dict()
    except PrinterError as exc:
        data = {"state": "unknown", "can_print": False, "error": type(exc).__name__}
        data["detail"] = str(exc)
    identity = _identity(printer) if data["can_print"] else None
    warning = profile_mismatch(identity, cfg.printer.profile) if identity else None
    data["profile"] = cfg.printer.profile
    data["identity"] = identity.as_dict() if identity else None
    data["profile_warning"] = warning
    if as_json:
        click.echo(json.dumps(data, ensure_ascii=False))
    else:
        click.echo(f"{data['state']}: {data['detail']}")
        if identity is not None and identity.known:
            click.echo(
                f"printer: {identity.maker} {identity.model} (firmware {identity.firmware or '?'})"
                f", profile {cfg.printer.profile}"
            )
    if warning:
        click.echo(f"Warning: {warning}", err=True)
    if not data["can_print"]:
        raise click.exceptions.Exit(1)


def _identity(printer: ReceiptPrinter) -> PrinterIdentity | None:
    """GS I on connections that read back; None when it cannot be asked."""
    if not isinstance(printer, ReadBackPrinter):
        return None
    try:
        return printer.identify()
    except PrinterError:
        return None


def printer_test_page(
    cfg: KioskConfig, printer: ReceiptPrinter, clock: Clock | None = None
) -> TestPageSlip:
    """The test page for this terminal and printer: its profile, the printer's model, now."""
    from terminal.slips import header

    identity = _identity(printer)
    shown = cfg.printer.profile
    if identity is not None and identity.model:
        shown = f"{cfg.printer.profile} / {identity.model}"
    now = (clock or SystemClock()).now()
    return TestPageSlip(header=header(cfg, now), printer_profile=shown)


@printer_group.command("test")
@JSON_OPTION
@click.pass_obj
def test_command(obj: Any, as_json: bool) -> None:
    """Print the test page and report whether the printer proved it printed."""
    from printer_templates.render import render_slip

    cfg, printer = _printer(obj, as_json)
    language = cfg.printer.language
    doc = render_slip(
        "test_page", printer_test_page(cfg, printer), language=language, money=cfg.money
    )
    try:
        outcome = printer.print_slip(doc)
    except PrinterError as exc:
        _fail(
            str(exc), {"result": "failed", "error": type(exc).__name__, "detail": str(exc)}, as_json
        )
    if outcome is PrintOutcome.PRINTED:
        message = "Test page printed (confirmed by the printer)."
    else:
        message = "Test page sent; this connection cannot confirm it: check that it came out."
    if as_json:
        click.echo(json.dumps({"result": outcome.value, "detail": message}))
    else:
        click.echo(message)


@click.command("printer-emulator")
@click.option("--host", default="127.0.0.1", show_default=True, help="Address to listen on.")
@click.option(
    "--port",
    type=click.IntRange(0, 65535),
    default=9100,
    show_default=True,
    help="ESC/POS port (0: pick a free one and print it).",
)
@click.option(
    "--out",
    "out_dir",
    type=click.Path(file_okay=False, path_type=Path),
    default=Path("slips"),
    show_default=True,
    help="Where slips go (NNNN.txt/.png).",
)
@click.option(
    "--control-port",
    type=click.IntRange(0, 65535),
    default=None,
    help="JSON-lines control port for faults (0: pick a free one).",
)
@click.option("--profile", default="TM-T88V", show_default=True, help="Code page table to use.")
@click.option("--model", default=None, help="Model name GS I reports (default: the profile).")
@click.option(
    "--pty",
    "use_pty",
    is_flag=True,
    help="Also listen on a pseudo-terminal, like a serial printer (prints its serial:// URL).",
)
@click.option(
    "--baud",
    type=click.IntRange(50, 4_000_000),
    default=None,
    help="Take bytes no faster than this many baud (10 bits a byte).",
)
@click.option(
    "--print-speed",
    type=click.FloatRange(min=1.0),
    default=None,
    help="Print no faster than this many mm per second (a slow mechanism).",
)
@click.option(
    "--asb",
    is_flag=True,
    help="Automatic Status Back on at power-on (as a DIP switch sets it); GS a 0 turns it off.",
)
def emulator_command(
    host: str,
    port: int,
    out_dir: Path,
    control_port: int | None,
    profile: str,
    model: str | None,
    use_pty: bool,
    baud: int | None,
    print_speed: float | None,
    asb: bool,
) -> None:
    """Run the virtual ESC/POS printer in the foreground until Ctrl-C."""
    stop = threading.Event()

    def on_signal(signum: int, frame: FrameType | None) -> None:
        stop.set()

    signal.signal(signal.SIGINT, on_signal)
    signal.signal(signal.SIGTERM, on_signal)
    try:
        vp = VirtualPrinter(
            host, port, out_dir, profile=profile, control_port=control_port, asb=asb, model=model
        )
        vp.start()
        vp.baud(baud)
        vp.print_speed(print_speed)
        serial_url = f"serial://{vp.serve_pty()}" if use_pty else None
    except OSError as exc:
        _fail(f"Cannot start the printer emulator on {host}:{port}: {exc}", None, False)
    try:
        line = f"printer tcp://{host}:{vp.port} slips {out_dir}"
        if serial_url is not None:
            line += f" serial {serial_url}"
        if vp.control_port is not None:
            line += f" control tcp://{host}:{vp.control_port}"
        click.echo(line)
        stop.wait()
    finally:
        vp.stop()
    click.echo(f"printer emulator stopped after {len(vp.slips)} slip(s)")


def register(main: click.Group) -> None:
    main.add_command(printer_group)
    main.add_command(emulator_command)


__all__ = ["emulator_command", "printer_group", "printer_test_page", "register"]
