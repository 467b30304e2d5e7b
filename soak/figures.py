"""The soak's figures: what was tried, what was injected, what broke; and the printed table."""

from __future__ import annotations

import collections
import os
from dataclasses import dataclass, field

from soak.invariants import VIOLATION_KINDS, Violation


@dataclass
class Figures:
    """One harness run's counts; ``violations`` must stay empty."""

    name: str
    seed: int
    attempts: int = 0
    faults: collections.Counter[str] = field(default_factory=collections.Counter)
    outcomes: collections.Counter[str] = field(default_factory=collections.Counter)
    sales_told: int = 0
    stornos_told: int = 0
    z_told: int = 0
    host_sales: int = 0
    violations: list[Violation] = field(default_factory=list)
    seconds: float = 0.0
    evidence: list[str] = field(default_factory=list)

    def by_kind(self) -> dict[str, int]:
        counts = collections.Counter(v.kind for v in self.violations)
        return {kind: counts.get(kind, 0) for kind in VIOLATION_KINDS}

    @property
    def ok(self) -> bool:
        return not self.violations


def machine_load() -> str:
    """Cores and the 1/5/15-minute load averages: the soak shares the machine."""
    one, five, fifteen = os.getloadavg()
    return f"{os.cpu_count()} cores, load {one:.2f} / {five:.2f} / {fifteen:.2f} (1/5/15 min)"


def table(runs: list[Figures]) -> str:
    """A Markdown table, one column per harness, for the console and docs/reliability.md."""
    names = [r.name for r in runs]
    rows: list[tuple[str, list[str]]] = [
        ("seed", [str(r.seed) for r in runs]),
        ("attempts (kiosk lives)", [str(r.attempts) for r in runs]),
        ("seconds", [f"{r.seconds:.0f}" for r in runs]),
        ("sales told confirmed", [str(r.sales_told) for r in runs]),
        ("stornos told done", [str(r.stornos_told) for r in runs]),
        ("Z reports told printed", [str(r.z_told) for r in runs]),
        ("transactions at the host", [str(r.host_sales) for r in runs]),
    ]
    fault_kinds = sorted({k for r in runs for k in r.faults})
    rows += [(f"fault: {k}", [str(r.faults.get(k, 0)) for r in runs]) for k in fault_kinds]
    outcome_kinds = sorted({k for r in runs for k in r.outcomes})
    rows += [(f"outcome: {k}", [str(r.outcomes.get(k, 0)) for r in runs]) for k in outcome_kinds]
    rows += [(f"VIOLATION {k}", [str(r.by_kind()[k]) for r in runs]) for k in VIOLATION_KINDS]
    head = "| figure | " + " | ".join(names) + " |"
    rule = "|---|" + "---:|" * len(names)
    body = ["| " + label + " | " + " | ".join(values) + " |" for label, values in rows]
    return "\n".join([head, rule, *body])
