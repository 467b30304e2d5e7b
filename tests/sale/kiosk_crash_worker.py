"""A kiosk process that sells until it is killed; run by test_kiosk_crash.py.

It announces each risky step just before it runs (``at provision``, ``at print``,
``at forward``: the soak worker's own instrumentation, ``soak.worker.instrument``), so the test
can SIGKILL it while that step is under way. The steps themselves are the real ones: the real
host client over HTTP and the real printer over TCP.
"""

from __future__ import annotations

import sys
from pathlib import Path

from soak.worker import instrument, say
from terminal.config import load_config
from terminal.kiosk import Kiosk
from terminal.sale import SaleRequest


def main(config_path: str, sales: int, card: str) -> None:
    kiosk = Kiosk(load_config(Path(config_path)))
    say(f"recovered {len(kiosk.recovery.settled)}")
    instrument(kiosk)
    forwarder = kiosk.forwarder
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
