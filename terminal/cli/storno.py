"""``kiosk storno``, ``kiosk reprint`` and ``kiosk lookup``: the customer's five minutes.

Like ``kiosk sell`` they go through the running kiosk process's local API when one owns this
terminal (two processes must never drive one printer and drawer), else they open the kiosk in
this process: each is written once against :class:`terminal.client.KioskClient`.
"""

from __future__ import annotations

import getpass
import json
import os
import sys
from datetime import datetime
from typing import Any

import click

from terminal.cli import CliContext
from terminal.cli.common import act, moment
from terminal.cli.common import load as _config
from terminal.cli.options import JSON_OPTION, SINCE_OPTION, UNTIL_OPTION
from terminal.cli.sale import EXIT_NOT_SOLD
from terminal.storno import REASONS


def _default_clerk() -> str:
    """Who is at the counter when --clerk is not given: $KIOSK_CLERK, else the login name."""
    return os.environ.get("KIOSK_CLERK") or getpass.getuser()


def _iso(when: datetime | None) -> str | None:
    return None if when is None else when.isoformat()


def register(main: click.Group) -> None:
    @main.command()
    @click.argument("txn")
    @click.option(
        "--reason", required=True, type=click.Choice(REASONS), help="Why the sale is reversed."
    )
    @click.option("--clerk", default=None, help="Clerk number (default $KIOSK_CLERK or login).")
    @JSON_OPTION
    @click.pass_obj
    def storno(obj: CliContext, txn: str, reason: str, clerk: str | None, as_json: bool) -> None:
        """Reverse sale TXN (typed, or TXN:... from the slip's QR code) inside its window.

        Exits 0 only when the storno slip printed (pay the money back then); 3 when the slip
        did not print (the sale stands); 1 when refused.
        """
        config = _config(obj, as_json)
        who = clerk or _default_clerk()
        result = act(config, as_json, lambda c: c.storno(txn, reason=reason, clerk=who))
        if as_json:
            click.echo(json.dumps(result, ensure_ascii=False))
        else:
            click.echo(f"{result['state'].upper()}  txn {result['txn']}")
            if result.get("error"):
                click.echo(f"error: {result['error']}")
            click.echo(result["instruction"])
        if result.get("state") != "stornoed":
            sys.exit(EXIT_NOT_SOLD)

    @main.command()
    @click.argument("txn", required=False)
    @click.option(
        "--slip",
        type=click.Choice(["sale", "storno"]),
        default=None,
        help="Which slip of TXN to copy (default: its latest).",
    )
    @JSON_OPTION
    @click.pass_obj
    def reprint(obj: CliContext, txn: str | None, slip: str | None, as_json: bool) -> None:
        """Print a numbered copy of slip TXN, or of the last slip printed here."""
        config = _config(obj, as_json)
        result = act(config, as_json, lambda c: c.reprint(txn, slip=slip))
        if as_json:
            click.echo(json.dumps(result, ensure_ascii=False))
        else:
            click.echo(
                f"COPY {result['copy_number']} of the {result['slip']} slip of {result['txn']}"
            )
            click.echo(result["instruction"])

    @main.command()
    @click.option("--txn", default=None, help="Transaction number (or TXN:... scanned).")
    @click.option("--phone", default=None, help="Phone number topped up.")
    @click.option("--card-last4", default=None, help="Last 4 digits of the card.")
    @click.option("--imei", default=None, help="IMEI (15 digits).")
    @SINCE_OPTION
    @UNTIL_OPTION
    @JSON_OPTION
    @click.pass_obj
    def lookup(
        obj: CliContext,
        txn: str | None,
        phone: str | None,
        card_last4: str | None,
        imei: str | None,
        since: str | None,
        until: str | None,
        as_json: bool,
    ) -> None:
        """Did the customer's payment arrive? Local state, outbox and the host's view."""
        config = _config(obj, as_json)
        params = {
            "txn": txn,
            "phone": phone,
            "card_last4": card_last4,
            "imei": imei,
            "since": _iso(moment(since, config, "since", as_json)),
            "until": _iso(moment(until, config, "until", as_json)),
        }
        given = {k: v for k, v in params.items() if v is not None}
        report = act(config, as_json, lambda c: c.lookup(given))
        if as_json:
            click.echo(json.dumps(report, ensure_ascii=False))
            return
        _print_lookup(report)


def _print_lookup(report: dict[str, Any]) -> None:
    if report.get("host_note"):
        click.echo(f"NOTE: {report['host_note']}")
    if not report["entries"]:
        click.echo("nothing found")
    for entry in report["entries"]:
        local = entry["local"] or {}
        host = entry["host"] or {}
        click.echo(
            f"{entry['txn']}  {local.get('created_at', '?')}  {local.get('product', '?')}  "
            f"here: {local.get('state', 'unknown')}  host: {host.get('state', '-')}"
        )
        for message in entry["outbox"]:
            error = f" ({message['last_error']})" if message["last_error"] else ""
            click.echo(f"    {message['kind']:<13} {message['state']}{error}")
        if entry.get("host_note") and entry["host_note"] != report.get("host_note"):
            click.echo(f"    {entry['host_note']}")
        click.echo(f"    {entry['verdict']}")
