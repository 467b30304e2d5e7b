"""The benchmark suite: every figure measured beside its reference in the same run.

``python bench/run.py --json`` prints one JSON object; each key is
``{"value", "reference", "ratio", "goal", "unit"}`` (plus ``"note"`` where a figure needs one).
``ratio`` is how the value compares with the reference in the direction the goal states
(``"x faster"``: reference time / our time; otherwise value / reference). ``--smoke`` runs tiny
sizes (CI: it proves the suite runs, not how fast). bench/README.md keeps the last figures.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import tempfile
import time
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

BENCH = Path(__file__).resolve().parent
ROOT = BENCH.parent
sys.path.insert(0, str(BENCH))

from common import FULL, SMOKE, Sizes  # noqa: E402
from measure_drain import bench_drain  # noqa: E402
from measure_sale import bench_outbox, bench_sale  # noqa: E402
from measure_serve import bench_serve  # noqa: E402
from measure_slips import bench_render, bench_startup, bench_status  # noqa: E402

#: --status-store, when given
STATUS_STORE: list[Path] = []

BENCHES: dict[str, Callable[[Path, Sizes, Path], dict[str, dict[str, Any]]]] = {
    "sale": lambda f, s, c: bench_sale(f, s.sales),
    "outbox": lambda f, s, c: bench_outbox(f, s.outbox_items),
    "drain": lambda f, s, c: bench_drain(f, s.drain_advices),
    "render": lambda f, s, c: bench_render(f, s.render_repeats),
    "status": lambda f, s, c: bench_status(f, s, c, STATUS_STORE[0] if STATUS_STORE else None),
    "startup": lambda f, s, c: bench_startup(3 if s is SMOKE else 7),
    "serve": lambda f, s, c: bench_serve(f, smoke=s is SMOKE, cache=c),
}


def main(argv: Sequence[str] | None = None) -> dict[str, Any]:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--json", action="store_true", help="print one JSON object")
    parser.add_argument("--smoke", action="store_true", help="tiny sizes (CI)")
    parser.add_argument("--only", action="append", choices=sorted(BENCHES), default=None)
    parser.add_argument(
        "--dir", type=Path, default=ROOT / "var" / "bench", help="scratch folder (the disk tested)"
    )
    parser.add_argument(
        "--cache", type=Path, default=ROOT / "var" / "bench-cache", help="generated histories"
    )
    parser.add_argument("--status-transactions", type=int, default=None)
    parser.add_argument(
        "--status-store",
        type=Path,
        default=None,
        help="measure status on a snapshot of this store (e.g. a history still generating)",
    )
    args = parser.parse_args(argv)
    if args.status_store is not None:
        STATUS_STORE[:] = [args.status_store]
    sizes = SMOKE if args.smoke else FULL
    if args.status_transactions:
        sizes = Sizes(**{**sizes.__dict__, "status_transactions": args.status_transactions})
    args.dir.mkdir(parents=True, exist_ok=True)
    results: dict[str, Any] = {}
    with tempfile.TemporaryDirectory(dir=args.dir) as tmp:
        for name in args.only or list(BENCHES):
            folder = Path(tmp) / name
            folder.mkdir()
            began = time.perf_counter()
            results.update(BENCHES[name](folder, sizes, args.cache))
            print(f"{name}: {time.perf_counter() - began:.1f} s", file=sys.stderr)
    results["machine"] = {
        "cpus": os.cpu_count(),
        "load_1m_5m_15m": [round(x, 2) for x in os.getloadavg()],
        "python": sys.version.split()[0],
        "smoke": args.smoke,
    }
    if args.json:
        print(json.dumps(results, indent=1, sort_keys=True))
    else:
        for key, value in results.items():
            print(key, value)
    return results


if __name__ == "__main__":
    main()
