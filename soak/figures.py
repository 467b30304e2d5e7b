"""The soak's figures: what was tried, what was injected, what broke; and the printed table."""

from __future__ import annotations

import collections
import os
from dataclasses import dataclass, field
from typing import Any

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
        ("transactions in the store", [str(r.host_sales) for r in runs]),
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


def to_json(figures: Figures) -> dict[str, object]:
    return {
        "name": figures.name,
        "seed": figures.seed,
        "attempts": figures.attempts,
        "faults": dict(figures.faults),
        "outcomes": dict(figures.outcomes),
        "sales_told": figures.sales_told,
        "stornos_told": figures.stornos_told,
        "z_told": figures.z_told,
        "host_sales": figures.host_sales,
        "violations": [[v.kind, v.detail] for v in figures.violations],
        "seconds": figures.seconds,
        "evidence": figures.evidence,
    }


def from_json(data: dict[str, Any]) -> Figures:
    return Figures(
        name=str(data["name"]),
        seed=int(data["seed"]),
        attempts=int(data["attempts"]),
        faults=collections.Counter(data["faults"]),
        outcomes=collections.Counter(data["outcomes"]),
        sales_told=int(data["sales_told"]),
        stornos_told=int(data["stornos_told"]),
        z_told=int(data["z_told"]),
        host_sales=int(data["host_sales"]),
        violations=[Violation(k, d) for k, d in data["violations"]],
        seconds=float(data["seconds"]),
        evidence=list(data["evidence"]),
    )
