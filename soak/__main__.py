"""``python -m soak``: both harnesses, side by side, then one table; exit 1 on any violation.

    python -m soak --size full   # make soak: >= 200 power cuts, >= 1,000 kills, <= 30 min
    python -m soak --size small  # a few cuts and a few dozen kills (tests/reliability/test_soak.py)
    python -m soak --only storm --seed 7 --out var/soak   # one harness, reproducible

The two harnesses run as two processes at once (they share nothing but the machine), each
bounded by ``--deadline`` seconds. Evidence of any violation is kept under ``OUT/evidence``;
the table is printed and written to ``OUT/table.md``.
"""

from __future__ import annotations

import argparse
import json
import signal
import subprocess
import sys
import time
from dataclasses import dataclass
from pathlib import Path

from soak import powercut, storm
from soak.figures import Figures, from_json, machine_load, table, to_json


@dataclass(frozen=True)
class Size:
    cuts: int
    torn: int
    kills: int
    deadline_s: float


SIZES = {
    "small": Size(cuts=3, torn=2, kills=30, deadline_s=240),
    "full": Size(cuts=200, torn=20, kills=1000, deadline_s=27 * 60),
}


def run_one(name: str, out: Path, size: Size, seed: int) -> Figures:
    if name == "powercut":
        return powercut.run(
            out, cuts=size.cuts, torn=size.torn, seed=seed, deadline_s=size.deadline_s
        )
    return storm.run(out, kills=size.kills, seed=seed, deadline_s=size.deadline_s)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m soak", description=__doc__)
    parser.add_argument("--size", choices=sorted(SIZES), default="small")
    parser.add_argument("--out", type=Path, default=Path("var/soak"))
    parser.add_argument("--seed", type=int, default=20261128)
    parser.add_argument("--only", choices=("powercut", "storm"))
    parser.add_argument("--json", type=Path, help="write this harness's figures here (--only)")
    args = parser.parse_args(argv)
    size = SIZES[args.size]
    args.out = args.out.resolve()
    args.out.mkdir(parents=True, exist_ok=True)
    if args.only:
        # stopped by the parent (or make): leave through the finally blocks, which stop the
        # host, the printer and LazyFS, and unmount what was mounted
        signal.signal(signal.SIGTERM, lambda signum, frame: sys.exit(3))
        figures = run_one(args.only, args.out, size, args.seed)
        if args.json:
            args.json.write_text(json.dumps(to_json(figures), indent=1), encoding="utf-8")
        print(table([figures]))
        return 1 if figures.violations else 0

    load_before = machine_load()
    started = time.monotonic()
    children = {
        name: subprocess.Popen(
            [
                sys.executable,
                "-m",
                "soak",
                "--size",
                args.size,
                "--out",
                str(args.out),
                "--seed",
                str(args.seed),
                "--only",
                name,
                "--json",
                str(args.out / f"{name}.json"),
            ],
            stdout=subprocess.DEVNULL,
        )
        for name in ("powercut", "storm")
    }
    runs: list[Figures] = []
    for name, child in children.items():
        child.wait(timeout=size.deadline_s + 600)
        result = args.out / f"{name}.json"
        if not result.exists():
            print(f"{name}: the harness died without figures (exit {child.returncode})")
            for other in children.values():
                if other.poll() is None:
                    other.terminate()  # its finally blocks stop host, printer and mounts
                    other.wait(timeout=120)
            return 2
        runs.append(from_json(json.loads(result.read_text(encoding="utf-8"))))
    report = "\n".join(
        [
            f"soak --size {args.size}, seed {args.seed}, {time.monotonic() - started:.0f} s wall",
            f"machine before: {load_before}",
            f"machine after:  {machine_load()}",
            "",
            table(runs),
        ]
    )
    violations = [v for r in runs for v in r.violations]
    if violations:
        report += "\n\nViolations (evidence under " + str(args.out / "evidence") + "):\n"
        report += "\n".join(f"- {v.kind}: {v.detail[:300]}" for v in violations[:50])
    (args.out / "table.md").write_text(report + "\n", encoding="utf-8")
    print(report)
    return 1 if violations else 0


if __name__ == "__main__":
    sys.exit(main())
