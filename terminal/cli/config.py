"""``kiosk init``, ``kiosk config check`` and ``kiosk quote``: each calls one library function.

Refusals are :class:`~terminal.errors.KioskError`; their message goes to stderr as is (no
traceback) and the exit status is 1, so a clerk reads what to do and a script sees the failure.
"""

from __future__ import annotations

import json
from typing import Any, NoReturn

import click

from foundation.money import Money, MoneyError
from terminal.cli import CliContext
from terminal.cli.options import JSON_OPTION
from terminal.config import MARKETS, KioskConfig, load_config, write_preset
from terminal.errors import InvalidAmount, KioskError
from terminal.tariffs import Quote, quote


def _fail(error: KioskError, *, as_json: bool = False) -> NoReturn:
    if as_json:
        payload: dict[str, Any] = {"ok": False, "error": error.code, "message": str(error)}
        key = getattr(error, "key", None)
        if key:
            payload["key"] = key
        click.echo(json.dumps(payload, ensure_ascii=False))
    click.echo(str(error), err=True)
    raise click.exceptions.Exit(1)


def _summary_text(cfg: KioskConfig) -> str:
    t = cfg.terminal
    lines = [
        f"{cfg.path}: OK",
        f"Terminal {t.id}, market {t.market}, {t.merchant_name}",
        f"Language {t.language} (also {', '.join(x for x in t.languages if x != t.language)}), "
        f"locale {t.locale}, time zone {t.timezone}",
        f"Store {cfg.store.path}",
        f"Printer {cfg.printer.url} ({cfg.printer.profile}, {cfg.printer.width} columns)",
        f"Host {cfg.host.url}",
        "Products:",
    ]
    for p in cfg.products.values():
        low = Money(p.min_minor, p.currency).format(t.locale, styles=cfg.money)
        high = Money(p.max_minor, p.currency).format(t.locale, styles=cfg.money)
        fees = ", ".join(rule.name for rule in p.fees) or "no fees"
        offline = "offline allowed" if p.offline.allowed else "online only"
        lines.append(
            f"  {p.id}: {low} to {high}; {fees}; storno {p.reversal_window.describe()}; {offline}"
        )
    return "\n".join(lines)


def _quote_text(cfg: KioskConfig, product_id: str, result: Quote) -> str:
    locale = cfg.terminal.locale

    def show(minor: int) -> str:
        return Money(minor, result.currency).format(locale, styles=cfg.money)

    name = cfg.product(product_id).display_name(cfg.terminal.language)
    rows = [(name, show(result.amount_minor))]
    rows += [(line.name, show(line.amount_minor)) for line in result.fees]
    total = ("Total", show(result.total_minor))
    width = max(len(label) + len(amount) for label, amount in [*rows, total]) + 2
    out = [f"{label}{amount.rjust(width - len(label))}" for label, amount in rows]
    out.append("-" * width)
    out.append(f"{total[0]}{total[1].rjust(width - len(total[0]))}")
    return "\n".join(out)


def _obj(ctx: click.Context) -> CliContext:
    obj = ctx.find_object(CliContext)
    assert obj is not None, "the kiosk group sets the context"
    return obj


def register(main: click.Group) -> None:
    """Add this area's commands to the ``kiosk`` group."""

    @main.command("init")
    @click.option(
        "--market",
        type=click.Choice(sorted(MARKETS)),
        required=True,
        help="Market preset: si (cards, EUR), rs (MTS top-ups, RSD), az (IMEI, bills, AZN), "
        "fi (benefits, EUR).",
    )
    @click.option(
        "--terminal-id",
        default=None,
        metavar="NNNNN",
        help="5-digit terminal number (default 12345).",
    )
    @click.option("--force", is_flag=True, help="Replace an existing file (and its key).")
    @click.pass_context
    def init_command(ctx: click.Context, market: str, terminal_id: str | None, force: bool) -> None:
        """Write a working kiosk.toml for a market, with a fresh signing key."""
        path = _obj(ctx).config_path
        try:
            written = write_preset(path, market, terminal_id=terminal_id, force=force)
        except KioskError as error:
            _fail(error)
        click.echo(f"Wrote {written} for market {market}. Check it with `kiosk config check`.")

    @main.group("config")
    def config_group() -> None:
        """Look at the terminal's configuration (kiosk.toml)."""

    @config_group.command("check")
    @JSON_OPTION
    @click.pass_context
    def check_command(ctx: click.Context, as_json: bool) -> None:
        """Load and check kiosk.toml; exit 1 and say what to fix if it is wrong."""
        try:
            cfg = load_config(_obj(ctx).config_path)
        except KioskError as error:
            _fail(error, as_json=as_json)
        if as_json:
            click.echo(json.dumps(cfg.summary(), ensure_ascii=False))
        else:
            click.echo(_summary_text(cfg))

    @main.command("quote")
    @click.argument("product_id", metavar="PRODUCT")
    @click.option(
        "--amount",
        required=True,
        help='Face value as the clerk types it in the terminal\'s locale (sl: "150", "150,50", '
        '"1.150,00").',
    )
    @JSON_OPTION
    @click.pass_context
    def quote_command(ctx: click.Context, product_id: str, amount: str, as_json: bool) -> None:
        """Show the fees and the total the customer pays for PRODUCT at an amount."""
        try:
            cfg = load_config(_obj(ctx).config_path)
            product = cfg.product(product_id)
            try:
                amount_minor = cfg.money.parse(amount, product.currency, cfg.terminal.locale).minor
            except MoneyError as exc:
                raise InvalidAmount(f"{exc}.") from None
            result = quote(product, amount_minor)
        except KioskError as error:
            _fail(error, as_json=as_json)
        if as_json:
            payload = result.to_dict()
            payload["product"] = product_id
            payload["total_display"] = Money(result.total_minor, result.currency).format(
                cfg.terminal.locale, styles=cfg.money
            )
            click.echo(json.dumps(payload, ensure_ascii=False))
        else:
            click.echo(_quote_text(cfg, product_id, result))


__all__ = ["register"]
