"""``kiosk report x|z`` and ``kiosk cash``: the period's totals, closing it, the drawer's cash.

Through the running kiosk's API when one runs (it owns the printer), else in this process.
``report x|z`` exit 0 only when the slip printed, 3 when it did not (a Z then closed nothing),
1 when refused (a Z needs a supervisor's number).
"""

from __future__ import annotations

import json
import sys
from collections.abc import Callable
from typing import Any

import click

from foundation.money import Money
from terminal.cli import CliContext
from terminal.cli.common import act, load
from terminal.cli.options import JSON_OPTION, subgroup
from terminal.cli.sale import EXIT_NOT_SOLD
from terminal.client import KioskClient
from terminal.config import KioskConfig


def _report(
    config: KioskConfig, as_json: bool, action: Callable[[KioskClient], dict[str, Any]]
) -> None:
    outcome = act(config, as_json, action)
    if as_json:
        click.echo(json.dumps(outcome, ensure_ascii=False))
    else:
        click.echo(outcome["slip_text"], nl=False)
        if outcome.get("error"):
            click.echo(f"error: {outcome['error']}")
        click.echo(outcome["message"])
    if outcome.get("code") == "not_printed":
        sys.exit(EXIT_NOT_SOLD)


def register(main: click.Group) -> None:
    report = subgroup(main, "report")

    @report.command("x")
    @click.option("--clerk", default=None, help="Clerk number asking for it (journalled).")
    @click.option("--preview", is_flag=True, help="Show the report here; print nothing.")
    @JSON_OPTION
    @click.pass_obj
    def x_report(obj: CliContext, clerk: str | None, preview: bool, as_json: bool) -> None:
        """Print the running totals since the last Z report; the period stays open."""
        config = load(obj, as_json)
        if preview:
            _report(config, as_json, lambda c: c.report_preview("X"))
        else:
            _report(config, as_json, lambda c: c.x_report(clerk=clerk))

    @report.command("z")
    @click.option("--clerk", required=True, help="Number of the supervisor closing the period.")
    @click.option(
        "--pin",
        prompt="Supervisor's PIN",
        hide_input=True,
        help="The supervisor's PIN (asked when left out); checked like a sign-in.",
    )
    @JSON_OPTION
    @click.pass_obj
    def z_report(obj: CliContext, clerk: str, pin: str, as_json: bool) -> None:
        """Print the Z report and close the period (only once its slip printed)."""
        config = load(obj, as_json)
        _report(config, as_json, lambda c: c.z_report(clerk=clerk, pin=pin))

    @main.command("cash")
    @JSON_OPTION
    @click.pass_obj
    def cash(obj: CliContext, as_json: bool) -> None:
        """Cash the drawer should hold from this period: the float, sales kept, cash in, less
        stornos paid back and cash out; then each float and cash in / out with its reason."""
        config = load(obj, as_json)
        summary = act(config, as_json, lambda c: c.cash_summary())
        if as_json:
            click.echo(json.dumps(summary, ensure_ascii=False))
            return
        click.echo(f"Cash in the drawer since {summary['period_from']} (the last Z report):")
        for currency, minor in summary["cash_in_drawer"].items():
            shown = Money(minor, currency).format(config.terminal.locale, styles=config.money)
            click.echo(f"  {currency}  {shown}")
        moves = summary.get("movements") or []
        if moves:
            click.echo("Float and cash in / out (included above):")
        for move in moves:
            amount = Money(move["amount_minor"], move["currency"]).format(
                config.terminal.locale, styles=config.money
            )
            sign = "-" if move["kind"] == "out" else "+"
            note = f" ({move['note']})" if move.get("note") else ""
            click.echo(
                f"  {move['at']}  {move['kind']:<5} {sign}{amount}  {move['reason']}{note}"
                f"  clerk {move.get('clerk') or '-'}"
            )
        for line in summary.get("by_clerk") or []:
            shown = Money(int(line["cash_minor"]), line["currency"]).format(
                config.terminal.locale, styles=config.money
            )
            click.echo(
                f"  clerk {line['clerk']}: {shown} ({line['sales_count']} sales, "
                f"{line['stornos_count']} stornos)"
            )
        paid = summary.get("benefit_paid") or {}
        if paid:
            click.echo("Paid from benefit (no cash):")
        for currency, minor in paid.items():
            shown = Money(minor, currency).format(config.terminal.locale, styles=config.money)
            click.echo(f"  {currency}  {shown}")


__all__ = ["register"]
