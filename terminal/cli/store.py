"""``kiosk queue status|list``, ``kiosk journal verify|show`` and ``kiosk txn show|list|find``.

Read-only looks into the store, safe while a kiosk process runs (WAL lets readers in beside
the writer). Each command opens the store named by kiosk.toml and calls one store method.
"""

from __future__ import annotations

import json
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

import click

from foundation.money import Money, MoneyError
from offline_queue.errors import StoreError
from offline_queue.states import ALL_STATES
from offline_queue.store import OUTBOX_STATES, OutboxRecord, Store, TxnRecord
from terminal.cli import CliContext
from terminal.cli.common import fail as _fail
from terminal.cli.common import load
from terminal.cli.options import JSON_OPTION, TXN_FILTER_OPTION, limit_option, subgroup


@contextmanager
def _open_store(obj: CliContext, as_json: bool) -> Iterator[Store]:
    """The store of the configured terminal; refuses to create one where none exists."""
    config = load(obj, as_json)
    path = config.store.path
    if not path.exists():
        _fail(
            f"No store at {path}: the kiosk has not run here yet, or store.path in "
            f"{obj.config_path} points elsewhere.",
            as_json=as_json,
            code="no_store",
        )
    try:
        store = Store(path, terminal_id=config.terminal.id, key=config.terminal.key)
    except StoreError as exc:
        _fail(str(exc), as_json=as_json, code=exc.code)
    try:
        yield store
    except StoreError as exc:
        _fail(str(exc), as_json=as_json, code=exc.code)
    finally:
        store.close()


def _echo_json(value: Any) -> None:
    click.echo(json.dumps(value, ensure_ascii=False, indent=None))


def _money(minor: int, currency: str) -> str:
    try:
        return str(Money(minor, currency))
    except MoneyError:
        return f"{minor} {currency} (minor units)"


def _when(record: TxnRecord) -> str:
    return record.created_at.strftime("%Y-%m-%d %H:%M:%S")


def _txn_line(record: TxnRecord) -> str:
    flags = " offline" if record.offline else ""
    return (
        f"{record.txn}  {_when(record)}Z  {record.product:<16} {record.state:<16} "
        f"{_money(record.total_minor, record.currency):>14}{flags}"
    )


def _message_line(message: OutboxRecord) -> str:
    error = f"  last error: {message.last_error}" if message.last_error else ""
    return (
        f"#{message.seq:<6} {message.txn}  {message.kind:<12} {message.state:<9} "
        f"attempts {message.attempts}  id {message.message_id}{error}"
    )


def _txn_text(record: TxnRecord, outbox: list[OutboxRecord]) -> str:
    lines = [
        f"Transaction {record.txn} ({record.product})",
        f"  state       {record.state}{'  (accepted offline)' if record.offline else ''}",
        f"  amount      {_money(record.amount_minor, record.currency)}",
    ]
    lines += [
        f"  fee         {_money(amount, record.currency)}  {name}" for name, amount in record.fees
    ]
    lines += [
        f"  total       {_money(record.total_minor, record.currency)}",
        f"  cash        {_money(record.cash_minor, record.currency)}",
        f"  change      {_money(record.change_minor, record.currency)}",
        f"  target      {json.dumps(record.target, ensure_ascii=False)}",
        f"  created     {record.created_at.isoformat()}",
        f"  updated     {record.updated_at.isoformat()}",
        f"  printed     {record.printed_at.isoformat() if record.printed_at else '-'}",
        f"  copies      {record.copies}",
    ]
    for label, value in (
        ("clerk", record.clerk),
        ("auth code", record.auth_code),
        ("reason", record.reason),
    ):
        if value:
            lines.append(f"  {label:<11} {value}")
    if record.details:
        lines.append(f"  details     {json.dumps(record.details, ensure_ascii=False)}")
    lines.append("  advices to the host:" if outbox else "  advices to the host: none")
    lines += [
        f"    {message.kind:<12} {message.state:<9} attempts {message.attempts}"
        + (f"  last error: {message.last_error}" if message.last_error else "")
        for message in outbox
    ]
    return "\n".join(lines)


def register(main: click.Group) -> None:
    """Add the store's commands to the ``kiosk`` group."""
    queue = subgroup(main, "queue")

    @queue.command("status")
    @JSON_OPTION
    @click.pass_obj
    def queue_status(obj: CliContext, as_json: bool) -> None:
        """Counts per state, age of the oldest undelivered advice, and the dead letters."""
        with _open_store(obj, as_json) as store:
            status = store.outbox_status()
        if as_json:
            _echo_json(status)
            return
        counts = status["counts"]
        click.echo(
            f"pending {counts['pending']}, in flight {counts['in_flight']}, "
            f"delivered {counts['delivered']}, dead {counts['dead']}"
        )
        age = status["oldest_pending_age_s"]
        click.echo(
            "nothing waiting for the host"
            if age is None
            else f"oldest undelivered advice: {age:.0f} s old"
        )
        for dead in status["dead_letters"]:
            click.echo(
                f"DEAD {dead['txn']} {dead['kind']} (id {dead['message_id']}, "
                f"{dead['attempts']} attempts): {dead['last_error']}"
            )

    @queue.command("list")
    @click.option(
        "--state",
        "states",
        multiple=True,
        type=click.Choice(OUTBOX_STATES),
        help="Only messages in this state (repeat for several).",
    )
    @TXN_FILTER_OPTION
    @limit_option(100)
    @JSON_OPTION
    @click.pass_obj
    def queue_list(
        obj: CliContext, states: tuple[str, ...], txn: str | None, limit: int, as_json: bool
    ) -> None:
        """Outbox messages in the order they will be sent."""
        with _open_store(obj, as_json) as store:
            messages = store.list_outbox(states=states or None, txn=txn, limit=limit)
        if as_json:
            _echo_json([message.to_dict() for message in messages])
            return
        for message in messages:
            click.echo(_message_line(message))
        if not messages:
            click.echo("no messages")

    journal_group = subgroup(main, "journal")

    @journal_group.command("verify")
    @click.option(
        "--incremental",
        is_flag=True,
        help="Check only what is new since the last point a verification found intact (the "
        "sealed checkpoint): the chain from there and the sales, clerks and periods it touched; "
        "without it, everything from the first event.",
    )
    @JSON_OPTION
    @click.pass_obj
    def journal_verify(obj: CliContext, incremental: bool, as_json: bool) -> None:
        """Check the keyed hash chain and that the transactions, clerks and periods tables are
        exactly what the journal implies; exit 1 naming the first bad event or row."""
        with _open_store(obj, as_json) as store:
            verdict = store.verify_journal(full=not incremental)
        if as_json:
            _echo_json(verdict.to_dict())
        elif verdict.ok:
            click.echo(f"journal OK: {verdict.checked} events")
            click.echo(f"head: event {verdict.head_seq} {verdict.head_hash}")
        elif verdict.first_bad_row is not None:
            where = f" (event {verdict.first_bad_seq})" if verdict.first_bad_seq is not None else ""
            click.echo(
                f"books BROKEN at {verdict.first_bad_row}{where}: {verdict.reason}", err=True
            )
        else:
            click.echo(
                f"journal BROKEN at event {verdict.first_bad_seq}: {verdict.reason} "
                f"({verdict.checked} events before it are intact)",
                err=True,
            )
        if not verdict.ok:
            sys.exit(1)

    @journal_group.command("export")
    @click.argument("output", type=click.File("w", encoding="utf-8"), default="-")
    @click.pass_obj
    def journal_export(obj: CliContext, output: Any) -> None:
        """Write every journal row as stored, one JSON object per line, to OUTPUT (default
        stdout): what `kiosk-host terminal verify` checks against the head the host holds."""
        with _open_store(obj, False) as store:
            for row in store.export_journal():
                output.write(json.dumps(row, ensure_ascii=False) + "\n")

    @journal_group.command("show")
    @TXN_FILTER_OPTION
    @limit_option(50)
    @JSON_OPTION
    @click.pass_obj
    def journal_show(obj: CliContext, txn: str | None, limit: int, as_json: bool) -> None:
        """The newest journal events, oldest of them first."""
        with _open_store(obj, as_json) as store:
            events = store.journal(txn, limit=limit)
        if as_json:
            _echo_json([event.to_dict() for event in events])
            return
        for event in events:
            data = json.dumps(event.data, ensure_ascii=False, sort_keys=True)
            click.echo(
                f"{event.seq:>7} {event.at.isoformat()} {event.txn or '-':<14} {event.event} {data}"
            )

    txn_group = subgroup(main, "txn")

    @txn_group.command("show")
    @click.argument("txn")
    @JSON_OPTION
    @click.pass_obj
    def txn_show(obj: CliContext, txn: str, as_json: bool) -> None:
        """One transaction with its advices to the host."""
        with _open_store(obj, as_json) as store:
            record = store.get(txn)
            outbox = store.outbox_for(txn)
        if as_json:
            _echo_json({**record.to_dict(), "outbox": [m.to_dict() for m in outbox]})
        else:
            click.echo(_txn_text(record, outbox))

    @txn_group.command("list")
    @click.option(
        "--state",
        "states",
        multiple=True,
        type=click.Choice(sorted(ALL_STATES)),
        help="Only transactions in this state (repeat for several).",
    )
    @click.option("--product", default=None, help="Only this product.")
    @limit_option(20)
    @JSON_OPTION
    @click.pass_obj
    def txn_list(
        obj: CliContext, states: tuple[str, ...], product: str | None, limit: int, as_json: bool
    ) -> None:
        """Transactions, newest first: number, time, product, state, total."""
        with _open_store(obj, as_json) as store:
            records = store.list_transactions(states=states or None, product=product, limit=limit)
        _print_txns(records, as_json)

    @txn_group.command("find")
    @click.option("--target", "target_value", default=None, help="Phone, card number or IMEI.")
    @click.option("--last4", default=None, metavar="NNNN", help="Last 4 digits of the target.")
    @limit_option(20)
    @JSON_OPTION
    @click.pass_obj
    def txn_find(
        obj: CliContext, target_value: str | None, last4: str | None, limit: int, as_json: bool
    ) -> None:
        """Find sales by what the customer remembers: the phone, the card's last 4, the IMEI."""
        with _open_store(obj, as_json) as store:
            records = store.find_transactions(target_value=target_value, last4=last4, limit=limit)
        _print_txns(records, as_json)


def _print_txns(records: list[TxnRecord], as_json: bool) -> None:
    if as_json:
        _echo_json([record.to_dict() for record in records])
        return
    for record in records:
        click.echo(_txn_line(record))
    if not records:
        click.echo("no transactions")


__all__ = ["register"]
