"""Sales per second end to end: store, reference host over HTTP, virtual printer over TCP.

Prints one JSON object: how long a whole sale takes at the counter (record, provision, print
through the barrier, confirm) and how long the forwarder takes to deliver the advices.
Run: .venv/bin/python bench/bench_sale.py [SALES]
"""

from __future__ import annotations

import json
import statistics
import sys
import tempfile
import time
from pathlib import Path

from drivers.virtual_printer import VirtualPrinter
from hostsim.server import HostServer
from hostsim.store import HostStore
from terminal.config import load_config, write_preset
from terminal.kiosk import Kiosk
from terminal.sale import SaleRequest


def main(sales: int = 50) -> dict[str, object]:
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp)
        host = HostServer(folder / "host.sqlite").start()
        printer = VirtualPrinter(out_dir=None).start()
        try:
            path = folder / "kiosk.toml"
            write_preset(path, "si", terminal_id="12345")
            text = path.read_text(encoding="utf-8")
            text = text.replace("tcp://127.0.0.1:9100", f"tcp://127.0.0.1:{printer.port}")
            text = text.replace("http://127.0.0.1:8700", host.url)
            path.write_text(text, encoding="utf-8")
            config = load_config(path)
            store = HostStore(folder / "host.sqlite")
            store.add_terminal(config.terminal.id, config.terminal.key, "2026-01-01T00:00:00+00:00")
            store.close()
            with Kiosk(config) as kiosk:
                durations = []
                for _ in range(sales):
                    started = time.perf_counter()
                    result = kiosk.sales.sell(
                        SaleRequest(
                            product="card-topup",
                            target="4000000000000010",
                            amount_minor=5000,
                            cash_minor=5200,
                        )
                    )
                    durations.append(time.perf_counter() - started)
                    assert result.ok, result
                started = time.perf_counter()
                kiosk.forwarder.drain(timeout_s=60)
                drain_s = time.perf_counter() - started
        finally:
            printer.stop()
            host.stop()
    ordered = sorted(durations)
    return {
        "sales": sales,
        "sale_ms_p50": round(statistics.median(ordered) * 1000, 1),
        "sale_ms_p95": round(ordered[int(len(ordered) * 0.95) - 1] * 1000, 1),
        "sales_per_s": round(sales / sum(durations), 1),
        "drain_ms_total": round(drain_s * 1000, 1),
    }


if __name__ == "__main__":
    print(json.dumps(main(int(sys.argv[1]) if len(sys.argv) > 1 else 50)))
