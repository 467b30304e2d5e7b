"""``kiosk sell``, ``kiosk serve``, ``kiosk demo`` and ``kiosk queue drain``.

When a kiosk process already runs this terminal, ``sell`` and ``queue drain`` go through its
local API (:class:`terminal.client.KioskClient`): two processes must never drive the same
printer or settle the same sales.
"""

from __future__ import annotations

import json
import logging
import signal
import sys
import threading
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

import click

from foundation.money import MoneyError
from offline_queue.eventlog import emit
from terminal.cli import CliContext
from terminal.cli.common import act
from terminal.cli.common import fail as _fail
from terminal.cli.common import load as _config
from terminal.cli.options import JSON_OPTION, subgroup
from terminal.client import KioskClient
from terminal.config import KioskConfig
from terminal.errors import KioskError
from terminal.kiosk import Kiosk
from terminal.logs import LEVELS, configure_logging
from terminal.sd_notify import Notifier, Watchdog, watchdog_interval

if TYPE_CHECKING:
    from terminal.api import ApiServer
    from terminal.devices import DemoControls
    from terminal.web.slips import PrintedSlips

log = logging.getLogger(__name__)

#: Exit code of a sale that ended without a printed slip (declined, failed, not printed).
EXIT_NOT_SOLD = 3


def _minor(config: KioskConfig, text: str, currency: str, what: str, as_json: bool) -> int:
    # As the clerk types it at this terminal's screen: its locale's separators (foundation.money).
    try:
        return config.money.parse(text, currency, config.terminal.locale).minor
    except MoneyError as exc:
        _fail(f"--{what}: {exc}", as_json=as_json, code="invalid_amount")


def _print_sale(result: dict[str, Any], as_json: bool) -> None:
    if as_json:
        click.echo(json.dumps(result))
        return
    click.echo(f"{result['state'].upper()}  txn {result['txn']}")
    if result.get("reason"):
        click.echo(f"reason: {result['reason']}")
    click.echo(result.get("instruction", ""))


def register(main: click.Group) -> None:
    @main.command()
    @click.argument("product")
    @click.option("--target", default="", help="Card number, phone number, IMEI or account.")
    @click.option("--target2", default=None, help="Second IMEI of a dual-SIM (duos) phone.")
    @click.option(
        "--amount",
        default=None,
        help="Face value as the screen takes it in this terminal's locale (sl: 50, 50,5, "
        "1.000,00). Leave out for an IMEI fee (the host quotes).",
    )
    @click.option(
        "--cash",
        default=None,
        help="Cash the customer handed over (left out for a benefit payment: it takes no cash).",
    )
    @click.option("--benefit-type", default=None, help="Benefit type (benefit payments).")
    @click.option("--message", default=None, help="Free text sent with a benefit payment.")
    @click.option("--biller", "biller_id", default=None, help="Biller id (bill payments).")
    @click.option("--clerk", default=None, help="Clerk number recorded with the sale.")
    @click.option("--id-checked", is_flag=True, help="The customer's ID document was checked.")
    @click.option(
        "--idempotency-key",
        default=None,
        help="A unique key (a UUID) for this sale: repeating the command with the same key "
        "answers the first sale instead of selling again.",
    )
    @JSON_OPTION
    @click.pass_obj
    def sell(
        obj: CliContext,
        product: str,
        target: str,
        target2: str | None,
        amount: str | None,
        cash: str | None,
        benefit_type: str | None,
        message: str | None,
        biller_id: str | None,
        clerk: str | None,
        id_checked: bool,
        idempotency_key: str | None,
        as_json: bool,
    ) -> None:
        """Sell PRODUCT: record, ask the host, print the slip, confirm.

        Exits 0 only when the slip printed (state confirmed or offline_confirmed).
        """
        config = _config(obj, as_json)
        try:
            sold = config.product(product)
        except KioskError as exc:
            _fail(str(exc), as_json=as_json, code=exc.code)
        currency = sold.currency
        if cash is None and not sold.pays_from_benefit:
            _fail(
                "--cash: give the cash the customer handed over (a benefit payment takes none)",
                as_json=as_json,
                code="invalid_amount",
            )
        body = {
            "product": product,
            "target": target,
            "target2": target2,
            "amount_minor": (
                None if amount is None else _minor(config, amount, currency, "amount", as_json)
            ),
            "cash_minor": 0 if cash is None else _minor(config, cash, currency, "cash", as_json),
            "benefit_type": benefit_type,
            "message": message,
            "biller_id": biller_id,
            "clerk": clerk,
            "id_checked": id_checked,
        }
        result = act(config, as_json, lambda c: c.sell(body, idempotency_key=idempotency_key))
        _print_sale(result, as_json)
        if result.get("state") not in ("confirmed", "offline_confirmed"):
            sys.exit(EXIT_NOT_SOLD)

    @main.command()
    @click.option("--port", default=8780, show_default=True, help="Port of the local API.")
    @click.option("--bind", default="127.0.0.1", show_default=True, help="Address to bind.")
    @click.option(
        "--log-level",
        type=click.Choice(LEVELS),
        default=None,
        help="Log on stderr from this level on (default: the global --log-level, else info).",
    )
    @click.pass_obj
    def serve(obj: CliContext, port: int, bind: str, log_level: str | None) -> None:
        """Run the kiosk process (forwarder, drivers, local API) until stopped.

        Under systemd (Type=notify) it says READY once crash recovery ran and the API listens,
        and pings the watchdog while healthy; see deploy/README.md.
        """
        configure_logging(log_level or obj.log_level or "info")
        config = _config(obj, False)
        run_kiosk(
            config,
            bind=bind,
            port=port,
            banner=lambda url: f"kiosk serving on {url}\ncounter screen: {url}/",
            demo=False,
        )

    queue = subgroup(main, "queue")

    @queue.command("drain")
    @click.option(
        "--timeout",
        "timeout_s",
        default=30.0,
        show_default=True,
        help="Give up after this many seconds.",
    )
    @JSON_OPTION
    @click.pass_obj
    def drain(obj: CliContext, timeout_s: float, as_json: bool) -> None:
        """Forward what is due to the host now, then exit (for scripts and cron)."""
        config = _config(obj, as_json)
        report = act(config, as_json, lambda c: _drain(c, timeout_s))
        if as_json:
            click.echo(json.dumps(report))
        else:
            click.echo(", ".join(f"{k}: {v}" for k, v in report.items()))
        if report.get("pending", 0) or report.get("in_flight", 0):
            sys.exit(1)


def _drain(client: KioskClient, timeout_s: float) -> dict[str, Any]:
    """The forwarder's report, and what is still waiting (so a script can tell it is done)."""
    report = client.drain(timeout_s)
    status = client.outbox_status()
    counts = status.get("counts", status)
    return {
        **report,
        "pending": int(counts.get("pending", 0)),
        "in_flight": int(counts.get("in_flight", 0)),
        "dead": int(counts.get("dead", 0)),
    }


def run_kiosk(
    config: KioskConfig,
    *,
    bind: str,
    port: int,
    banner: Callable[[str], str],
    demo: bool,
    printed_slips: PrintedSlips | None = None,
    demo_peers: DemoControls | None = None,
) -> None:
    """Run one kiosk process until SIGINT/SIGTERM (``kiosk serve``, and ``kiosk demo`` with its
    peers): lock and crash recovery, forwarder, devices, the local API, READY and the watchdog."""
    from terminal.api import ApiServer  # FastAPI loads only for the commands that serve

    stop = threading.Event()
    signal.signal(signal.SIGINT, lambda *_: stop.set())
    signal.signal(signal.SIGTERM, lambda *_: stop.set())
    try:
        notifier = Notifier.from_environment()
    except ValueError as exc:
        _fail(str(exc), as_json=False, code="bad_notify_socket")
    try:
        # Takes the lock and runs crash recovery before anything else; the printer's identity
        # check (a connection to a printer that may be off) waits until the API answers.
        kiosk = Kiosk(config, defer_printer_check=True)
    except KioskError as exc:
        _fail(str(exc), as_json=False, code=exc.code)
    with kiosk:
        kiosk.demo = demo_peers
        for backup in kiosk.store.migration_backups:
            click.echo(f"store upgraded; the previous version is kept in {backup}")
        for txn, outcome in kiosk.recovery.settled.items():
            click.echo(f"recovered {txn}: {outcome}")
        kiosk.start_forwarding()
        kiosk.start_monitoring()
        kiosk.start_housekeeping()
        kiosk.start_devices(demo=demo)
        api = ApiServer(kiosk, host=bind, port=port, printed_slips=printed_slips).start()
        watchdog: Watchdog | None = None
        try:
            click.echo(banner(api.url))
            sys.stdout.flush()
            emit(
                log,
                "kiosk.ready",
                terminal=config.terminal.id,
                url=api.url,
                recovered=len(kiosk.recovery.settled),
            )
            # Recovery is done and the API listens: now the counter screen may start.
            notifier.ready(status=f"serving on {api.url}")
            # What a sale needs but the first answer does not, after it (docs/internals.md).
            threading.Thread(
                target=_after_ready, args=(kiosk,), name="kiosk-after-ready", daemon=True
            ).start()
            interval = watchdog_interval()
            if interval is not None:
                watchdog = Watchdog(notifier, interval, lambda: _healthy(kiosk, api)).start()
            stop.wait()
        finally:
            emit(log, "kiosk.stopping", terminal=config.terminal.id)
            notifier.stopping()
            if watchdog is not None:
                watchdog.stop()
            kiosk.devices.stop()  # ends the screens' event streams, which the API waits for
            api.stop()
    click.echo("kiosk stopped")


def _after_ready(kiosk: Kiosk) -> None:
    """Start-up work that must not delay the first answer: the printer's identity (GS I, and
    a connect timeout when the printer is off). Crash recovery is not here: it finished
    before the API listened. The slip's rendering stack is not warmed here either: it would
    hold python-escpos, Pillow and the templates in memory from the start (bench/README.md)."""
    try:
        kiosk.check_printer_identity()
    except Exception:  # never fatal: the first status check or sale finds a bad printer
        log.exception("printer identity check failed")


def _healthy(kiosk: Kiosk, api: ApiServer) -> bool:
    """What the watchdog asks before each ping: the API serves, the forwarder runs, and the
    store answers (a store stuck behind a hung write blocks this, so the pings stop too)."""
    return api.alive and kiosk.forwarder.running and kiosk.store.schema_version > 0
