"""``kiosk-host``: run the reference host and look into it. Each command calls one library function.

Commands that change a *running* host (faults, subscriber spending) go through its loopback
admin endpoint (``--url``); commands that read or seed state open the SQLite file (``--db``).
"""

from __future__ import annotations

import json
import re
import signal
import sys
import threading
from datetime import UTC, datetime
from typing import Any
from urllib.parse import quote

import click
import requests

from hostsim.anchor import read_export, verify_export
from hostsim.ledger import transaction_view
from hostsim.messages import list_messages
from hostsim.products import MIN_ADVICE_HORIZON_S, Ctx, HostSettings
from hostsim.server import HostServer
from hostsim.store import HostStore, HostStoreError

#: ``--db FILE``: the host's SQLite file, which must exist (the commands that read it).
DB_OPTION = click.option(
    "--db",
    "db",
    required=True,
    type=click.Path(exists=True, dir_okay=False),
    help="The host's SQLite file.",
)
#: ``--db FILE`` for the commands that may create it (``serve``, ``terminal add``).
NEW_DB_OPTION = click.option(
    "--db",
    "db",
    required=True,
    type=click.Path(dir_okay=False),
    help="The host's SQLite file (created if missing).",
)
#: ``--url URL``: the running host, for the commands that change it through its admin endpoint.
URL_OPTION = click.option("--url", required=True, help="Base URL of the running host.")
#: ``--json``: what a script reads instead of the text for people.
JSON_OPTION = click.option("--json", "as_json", is_flag=True, help="Print JSON for scripts.")

_DURATION = re.compile(r"^\s*(\d+)\s*(s|m|h)?\s*$")
ADMIN_TIMEOUT_S = (3.0, 10.0)


def parse_duration(text: str) -> int:
    """``"120s"``, ``"2m"``, ``"1h"`` or ``"120"`` -> seconds."""
    match = _DURATION.match(text)
    if not match:
        raise click.BadParameter(f"{text!r} is not a duration; write e.g. 120s, 5m or 1h")
    value = int(match.group(1))
    return value * {"s": 1, "m": 60, "h": 3600}[match.group(2) or "s"]


class Duration(click.ParamType):
    name = "duration"

    def convert(self, value: Any, param: click.Parameter | None, ctx: click.Context | None) -> int:
        if isinstance(value, int):
            return value
        try:
            return parse_duration(str(value))
        except click.BadParameter as exc:
            self.fail(str(exc), param, ctx)


def _admin(method: str, url: str, path: str, body: dict[str, Any] | None = None) -> Any:
    try:
        response = requests.request(
            method, url.rstrip("/") + path, json=body, timeout=ADMIN_TIMEOUT_S
        )
    except requests.RequestException as exc:
        raise click.ClickException(f"cannot reach the host admin endpoint at {url}: {exc}") from exc
    try:
        data = response.json()
    except ValueError:
        raise click.ClickException(f"host answered {response.status_code} without JSON") from None
    if response.status_code >= 400:
        message = data.get("error", {}).get("message", response.text)
        raise click.ClickException(f"host refused: {message}")
    return data


@click.group()
def main() -> None:
    """The reference host of the counter terminal (protocol v1, docs/host-protocol.md)."""


@main.command()
@NEW_DB_OPTION
@click.option("--port", default=8700, show_default=True, help="TCP port (0: any free port).")
@click.option("--host", "bind", default="127.0.0.1", show_default=True, help="Address to bind.")
@click.option(
    "--advice-horizon",
    type=Duration(),
    default="48h",
    show_default=True,
    help="Honour confirm/storno advices this late; release unconfirmed provisions only after "
    "it (at least 24h, docs/host-protocol.md#advice-horizon).",
)
@click.option(
    "--storno-window",
    type=Duration(),
    default="5m",
    show_default=True,
    help="How long after the slip printed a storno is allowed.",
)
@click.option(
    "--max-skew",
    type=Duration(),
    default="300s",
    show_default=True,
    help="Allowed distance of a request's timestamp from the host clock.",
)
@click.option("--verbose", is_flag=True, help="Log every request to stderr.")
def serve(
    db: str,
    port: int,
    bind: str,
    advice_horizon: int,
    storno_window: int,
    max_skew: int,
    verbose: bool,
) -> None:
    """Serve the host until SIGINT/SIGTERM, then stop gracefully."""
    if advice_horizon < MIN_ADVICE_HORIZON_S:
        raise click.BadParameter(
            f"must be at least {MIN_ADVICE_HORIZON_S // 3600}h: terminals count on a late "
            "confirm being honoured that long (docs/host-protocol.md#advice-horizon)",
            param_hint="--advice-horizon",
        )
    settings = HostSettings(
        max_skew_s=max_skew, advice_horizon_s=advice_horizon, storno_window_s=storno_window
    )
    try:
        server = HostServer(
            db, host=bind, port=port, settings=settings, sweep_interval_s=1.0, verbose=verbose
        )
    except HostStoreError as exc:
        raise click.ClickException(str(exc)) from exc
    except OSError as exc:
        raise click.ClickException(
            f"cannot listen on {bind}:{port} ({exc.strerror or exc}); choose another --port"
        ) from exc
    stop = threading.Event()

    def _on_signal(signum: int, frame: object) -> None:
        stop.set()

    signal.signal(signal.SIGINT, _on_signal)
    signal.signal(signal.SIGTERM, _on_signal)
    server.start()
    click.echo(f"kiosk-host listening on {server.url}", nl=True)
    sys.stdout.flush()
    stop.wait()
    server.stop()
    click.echo("kiosk-host stopped")


@main.group()
def terminal() -> None:
    """Terminals allowed to call the host."""


@terminal.command("add")
@NEW_DB_OPTION
@click.argument("terminal_id")
@click.argument("key")
def terminal_add(db: str, terminal_id: str, key: str) -> None:
    """Register TERMINAL_ID with its signing KEY (re-keys it if it exists)."""
    try:
        store = HostStore(db)
        try:
            store.add_terminal(terminal_id, key, datetime.now(UTC).isoformat())
        finally:
            store.close()
    except HostStoreError as exc:
        raise click.ClickException(str(exc)) from exc
    click.echo(f"terminal {terminal_id} registered")


@terminal.command("verify")
@DB_OPTION
@click.argument("terminal_id")
@click.argument("export", type=click.File("r", encoding="utf-8"))
@JSON_OPTION
def terminal_verify(db: str, terminal_id: str, export: Any, as_json: bool) -> None:
    """Check EXPORT (`kiosk journal export`, - for stdin) of TERMINAL_ID: its keyed chain, and
    that it holds the journal head the host kept from the terminal's advice batches."""
    try:
        rows = read_export(export)
    except ValueError as exc:
        raise click.ClickException(str(exc)) from None
    store = HostStore(db)
    try:
        verdict = verify_export(store, terminal_id, rows)
    finally:
        store.close()
    if as_json:
        click.echo(json.dumps(verdict.to_dict()))
    else:
        click.echo(("OK: " if verdict.ok else "BROKEN: ") + verdict.reason, err=not verdict.ok)
    if not verdict.ok:
        sys.exit(1)


@main.group()
def txn() -> None:
    """Transactions as the host sees them."""


@txn.command("show")
@DB_OPTION
@click.argument("number")
@JSON_OPTION
def txn_show(db: str, number: str, as_json: bool) -> None:
    """Show the host's view of transaction NUMBER (state, amounts, events, messages)."""
    store = HostStore(db)
    try:
        row = store.txn(number)
        if row is None:
            raise click.ClickException(f"the host has no transaction {number}")
        view = transaction_view(Ctx(store, datetime.now(UTC), "", HostSettings()), row)
    finally:
        store.close()
    if as_json:
        click.echo(json.dumps(view, indent=2, ensure_ascii=False))
        return
    click.echo(f"{view['txn']}  {view['state']}  {view['product'] or '-'}")
    if view["amount_minor"] is not None:
        click.echo(
            f"  amount {view['amount_minor']} + fees {view['fees_minor']} = "
            f"{view['total_minor']} {view['currency']} (minor units)"
        )
    for event in view["events"]:
        click.echo(f"  {event['at']}  {event['event']}  {event['detail']}")


@main.group()
def fault() -> None:
    """Fault injection on a running host (admin endpoint, loopback only)."""


@fault.command("set")
@click.argument(
    "kind", type=click.Choice(["down", "latency", "error_rate", "timeout", "reset", "malformed"])
)
@URL_OPTION
@click.option("--count", type=int, help="Only the next N matching requests.")
@click.option("--path", "path_prefix", help="Only requests whose path starts with this.")
@click.option(
    "--phase",
    type=click.Choice(["before", "after"]),
    help="after: process the request, then lose the answer.",
)
@click.option("--ms", type=int, help="latency: delay in milliseconds.")
@click.option("--rate", type=str, help="error_rate: fraction of requests, e.g. 0.25.")
@click.option("--seed", type=int, help="error_rate: RNG seed.")
@click.option("--status", type=int, help="error_rate: HTTP status (default 500).")
@click.option("--mode", type=click.Choice(["close", "503"]), help="down: close or answer 503.")
@click.option("--hold", "hold_s", type=str, help="timeout: seconds to hold (max 30).")
@click.option("--retry-after", "retry_after_s", type=int, help="Retry-After for 429/503.")
def fault_set(kind: str, url: str, **options: Any) -> None:
    """Activate fault KIND (replacing an earlier one of the same kind)."""
    body = {"kind": kind, **{k: v for k, v in options.items() if v is not None}}
    data = _admin("POST", url, "/admin/faults", body)
    click.echo(json.dumps(data["faults"], indent=2))


@fault.command("clear")
@click.argument("kind", required=False)
@URL_OPTION
def fault_clear(kind: str | None, url: str) -> None:
    """Clear fault KIND, or every fault."""
    path = "/admin/faults" + (f"?kind={quote(kind)}" if kind else "")
    data = _admin("DELETE", url, path)
    click.echo(f"cleared: {', '.join(data['cleared']) or 'nothing'}")


@fault.command("list")
@URL_OPTION
def fault_list(url: str) -> None:
    """Print the active faults as JSON."""
    click.echo(json.dumps(_admin("GET", url, "/admin/faults")["faults"], indent=2))


@main.command("customer-messages")
@DB_OPTION
@click.option("--target", help="Only messages to this phone number / account.")
@click.option("--txn", "txn_number", help="Only messages about this transaction.")
@JSON_OPTION
def customer_messages(db: str, target: str | None, txn_number: str | None, as_json: bool) -> None:
    """Show what operators and issuers told customers (SMS / e-mail log)."""
    store = HostStore(db)
    try:
        messages = list_messages(store, target=target, txn=txn_number)
    finally:
        store.close()
    if as_json:
        click.echo(json.dumps([m.to_json() for m in messages], indent=2, ensure_ascii=False))
        return
    for m in messages:
        click.echo(f"{m.at}  {m.target}  [{m.language}] {m.text}")


@main.group()
def subscriber() -> None:
    """Simulated MTS subscribers on a running host."""


@subscriber.command("spend")
@URL_OPTION
@click.argument("msisdn")
@click.argument("amount_minor", type=int)
def subscriber_spend(url: str, msisdn: str, amount_minor: int) -> None:
    """Let MSISDN use AMOUNT_MINOR para of credit (to reproduce storno debt)."""
    data = _admin(
        "POST", url, f"/admin/subscribers/{quote(msisdn)}/spend", {"amount_minor": amount_minor}
    )
    click.echo(json.dumps(data, indent=2))


__all__ = ["main", "parse_duration"]

if __name__ == "__main__":
    main()
