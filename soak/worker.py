"""The kiosk process the soak freezes, cuts and kills: ``python -m soak.worker CONFIG SEED OPS``.

It starts like the kiosk does (lock, crash recovery, owed notices), then runs a seeded mix of
sales, stornos, X and Z reports, forwarding after each. Every line it prints is flushed, so the
harness reads them as they happen:

- ``ready <n>``: recovery completed (``n`` transactions settled);
- ``at <step> <txn>``: the worker is about to provision, print, forward, storno or close a Z
  (the harness picks one of these moments to cut the power or kill);
- ``told sale <txn> <state>`` / ``told storno <txn>`` / ``told z <number>``: what the till
  or clerk was told was done (after the store committed it);
- ``refused <what> <error class>: <message>``: a refusal the clerk would read;
- ``end``: all operations done.
"""

from __future__ import annotations

import logging
import os
import random
import sys
from pathlib import Path
from typing import Any

from drivers.printer.base import PrintOutcome
from hostsim import testnumbers as T
from offline_queue import states
from offline_queue.errors import StoreError
from printer_templates.document import SlipDocument
from terminal.clerks import Role
from terminal.config import load_config
from terminal.errors import KioskError
from terminal.kiosk import Kiosk
from terminal.sale import SaleRequest

SUPERVISOR = "9"
SUPERVISOR_PIN = "2468"


def say(line: str) -> None:
    sys.stdout.write(line + "\n")
    sys.stdout.flush()


def instrument(kiosk: Kiosk) -> None:
    """Announce each risky step just before it runs; the steps themselves are the real ones.

    Also the crash test's worker (tests/sale/kiosk_crash_worker.py) kills at these lines."""
    host, printer, forwarder = kiosk.host, kiosk.printer, kiosk.forwarder
    real_provision, real_print, real_send = host.provision, printer.print_slip, forwarder.send

    def provision(request: Any) -> Any:
        say(f"at provision {request.txn}")
        return real_provision(request)

    def print_slip(doc: SlipDocument) -> PrintOutcome:
        say(f"at print {doc.txn or doc.kind}")
        return real_print(doc)

    def send(records: Any) -> Any:
        say("at forward -")
        return real_send(records)

    kiosk.sales.host = type("Host", (), {"provision": staticmethod(provision)})()
    printer.print_slip = print_slip  # type: ignore[method-assign]
    forwarder.send = send


def _ensure_supervisor(kiosk: Kiosk) -> None:
    if kiosk.clerks.get(SUPERVISOR) is None:
        kiosk.clerks.add(SUPERVISOR, "Soak Supervisor", SUPERVISOR_PIN, Role.SUPERVISOR)


def _sale(kiosk: Kiosk, rng: random.Random) -> None:
    amount = rng.randrange(10, 200) * 100
    result = kiosk.sales.sell(
        SaleRequest(
            product="card-topup",
            target=T.ONLINE_CARD,
            amount_minor=amount,
            cash_minor=amount + 2000,
        )
    )
    if result.ok:
        say(f"told sale {result.txn} {result.state}")
    else:
        say(f"sale {result.txn} {result.state}")


def _storno(kiosk: Kiosk, rng: random.Random) -> None:
    confirmed = [r for r in kiosk.store.list_transactions(limit=30) if r.state == states.CONFIRMED]
    if not confirmed:
        return
    record = rng.choice(confirmed)
    say(f"at storno {record.txn}")
    outcome = kiosk.stornos.storno(record.txn, reason="customer_request", clerk=SUPERVISOR)
    if outcome.ok:
        say(f"told storno {outcome.txn}")
    else:
        say(f"storno {outcome.txn} {outcome.state}")


def _report(kiosk: Kiosk, rng: random.Random) -> None:
    if rng.random() < 0.5:
        kiosk.reports.x_report(clerk=SUPERVISOR)
        return
    say("at z -")
    outcome = kiosk.reports.z_report(clerk=SUPERVISOR, pin=SUPERVISOR_PIN)
    if outcome.printed:
        say(f"told z {outcome.z_number}")


def _log_to_file() -> None:
    """The kiosk's log (handled errors, with their tracebacks) goes to ``SOAK_WORKER_LOG``,
    outside the faulted disk; stderr then shows only what nothing handled."""
    path = os.environ.get("SOAK_WORKER_LOG")
    if path:
        logging.basicConfig(
            filename=path,
            level=logging.INFO,
            format="%(asctime)s %(process)d %(levelname)s %(name)s %(message)s",
            force=True,  # the fork server's logging may already be set up
        )


def main(config_path: str, seed: int, operations: int) -> int:
    _log_to_file()
    try:
        kiosk = Kiosk(load_config(Path(config_path)))
    except (KioskError, StoreError) as exc:
        say(f"refused start {type(exc).__name__}: {exc}")
        return 3
    try:
        say(f"ready {len(kiosk.recovery.settled)}")
        instrument(kiosk)
        try:
            _ensure_supervisor(kiosk)
            kiosk.counter.print_owed_notices()
        except (KioskError, StoreError) as exc:
            say(f"refused setup {type(exc).__name__}: {exc}")
        rng = random.Random(seed)
        for _ in range(operations):
            roll = rng.random()
            try:
                if roll < 0.78:
                    _sale(kiosk, rng)
                elif roll < 0.92:
                    _storno(kiosk, rng)
                else:
                    _report(kiosk, rng)
            except (KioskError, StoreError) as exc:
                say(f"refused op {type(exc).__name__}: {exc}")
            try:
                kiosk.forwarder.run_once()
            except StoreError as exc:
                say(f"refused forward {type(exc).__name__}: {exc}")
        say("end")
    finally:
        kiosk.close()
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1], int(sys.argv[2]), int(sys.argv[3])))
