"""A kiosk process that sells until it is killed; run by test_kiosk_crash.py.

It prints a marker line, flushed, just before each risky step (provision, print, forward),
so the test can SIGKILL it while that step is under way. The steps themselves are the real
ones: the real host client over HTTP and the real printer over TCP.
"""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Any

from drivers.printer.base import PrintOutcome
from printer_templates.document import SlipDocument
from terminal.config import load_config
from terminal.kiosk import Kiosk
from terminal.sale import SaleRequest


def say(line: str) -> None:
    sys.stdout.write(line + "\n")
    sys.stdout.flush()


def main(config_path: str, sales: int, card: str) -> None:
    kiosk = Kiosk(load_config(Path(config_path)))
    say(f"recovered {len(kiosk.recovery.settled)}")
    host, printer, forwarder = kiosk.host, kiosk.printer, kiosk.forwarder
    real_provision, real_print, real_send = host.provision, printer.print_slip, host.send_advices

    def provision(request: Any) -> Any:
        say(f"provision {request.txn}")
        return real_provision(request)

    def print_slip(doc: SlipDocument) -> PrintOutcome:
        say(f"print {doc.txn}")
        return real_print(doc)

    def send(records: Any) -> Any:
        say("forward")
        return real_send(records)

    kiosk.sales.host = type("Host", (), {"provision": staticmethod(provision)})()
    printer.print_slip = print_slip  # type: ignore[method-assign]
    forwarder.send = send
    for _ in range(sales):
        result = kiosk.sales.sell(
            SaleRequest(product="card-topup", target=card, amount_minor=2000, cash_minor=2500)
        )
        say(f"sold {result.txn} {result.state}")
        forwarder.run_once()
    kiosk.close()
    say("done")


if __name__ == "__main__":
    main(sys.argv[1], int(sys.argv[2]), sys.argv[3])
