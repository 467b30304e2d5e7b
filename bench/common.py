"""What every measurement of the suite shares: the sizes, one figure's shape, the fsync floor,
and a kiosk config with a host that approves at once and a printer that takes the job at once."""

from __future__ import annotations

import os
import subprocess
import sys
import time
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

BENCH = Path(__file__).resolve().parent
ROOT = BENCH.parent
sys.path.insert(0, str(BENCH))

import history  # noqa: E402, F401  (bench/ is not a package)


@dataclass(frozen=True)
class Sizes:
    sales: int
    outbox_items: int
    drain_advices: int
    render_repeats: int
    status_transactions: int
    status_reference_transactions: int
    status_repeats: int


FULL = Sizes(
    sales=300,
    outbox_items=10_000,
    drain_advices=10_000,
    render_repeats=100,
    status_transactions=1_000_000,
    status_reference_transactions=100,
    status_repeats=50,
)
SMOKE = Sizes(
    sales=8,
    outbox_items=60,
    drain_advices=150,
    render_repeats=5,
    status_transactions=300,
    status_reference_transactions=100,
    status_repeats=5,
)


def figure(
    value: float, reference: float, *, goal: str, unit: str, faster: bool = False, **extra: Any
) -> dict[str, Any]:
    """One result. ``faster``: ratio = reference / value (how many times faster we are)."""
    ratio = (
        (reference / value if value else float("inf"))
        if faster
        else (value / reference if reference else float("inf"))
    )
    return {
        "value": round(value, 4),
        "reference": round(reference, 4),
        "ratio": round(ratio, 3),
        "goal": goal,
        "unit": unit,
        **extra,
    }


def pct(samples: Sequence[float], fraction: float) -> float:
    ordered = sorted(samples)
    return ordered[min(len(ordered) - 1, int(fraction * len(ordered)))]


# -- sale overhead against the fsync floor ---------------------------------------------------


def si_config(folder: Path, *, host_url: str = "http://127.0.0.1:9", printer_port: int = 9) -> Any:
    from terminal.config import load_config, write_preset

    folder.mkdir(parents=True, exist_ok=True)
    path = folder / "kiosk.toml"
    write_preset(path, "si", terminal_id="12345")
    text = path.read_text(encoding="utf-8")
    text = text.replace("tcp://127.0.0.1:9100", f"tcp://127.0.0.1:{printer_port}")
    text = text.replace("http://127.0.0.1:8700", host_url)
    path.write_text(text, encoding="utf-8")
    return load_config(path)


def instant_printer(profile: str, width: int) -> Any:
    """Renders every slip to ESC/POS (terminal work) and reports it printed at once (no
    printer mechanics, no link)."""
    from drivers.printer.base import PrintOutcome, ReceiptPrinter
    from drivers.printer.status import PrinterStatus

    class InstantPrinter(ReceiptPrinter):
        can_prove_print = True

        def status(self) -> PrinterStatus:
            return PrinterStatus(state="ready", online=True)

        def print_slip(self, doc: Any) -> PrintOutcome:
            self.render(doc)
            return PrintOutcome.PRINTED

        def kick_drawer(self, pin: int = 2) -> None:
            self.drawer_pulse(pin)

        def close(self) -> None:
            pass

    return InstantPrinter(profile=profile, width=width)


def fsync_floor(folder: Path, commits: int, samples: int) -> list[float]:
    """``commits`` x (write 4 KiB + fsync) on the store's disk, in ms, ``samples`` times."""
    path = folder / "floor.bin"
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_APPEND, 0o600)
    block = os.urandom(4096)
    out: list[float] = []
    try:
        for _ in range(samples):
            began = time.perf_counter()
            for _ in range(commits):
                os.write(fd, block)
                os.fsync(fd)
            out.append((time.perf_counter() - began) * 1000)
    finally:
        os.close(fd)
    return out


class InstantHost:
    """Approves at once: the sale's own cost without a host round trip."""

    def provision(self, request: Any) -> Any:
        from terminal.host_client import ProvisionResult

        return ProvisionResult(
            status="approved", txn=request.txn, message_id=request.message_id, auth_code="A1"
        )

    def imei_quote(self, imeis: Sequence[str], model: str | None = None) -> Any:
        raise NotImplementedError("the benchmark sells card top-ups only")


def best_of(command: Sequence[str], runs: int) -> float:
    best = float("inf")
    for _ in range(runs):
        began = time.perf_counter()
        subprocess.run(command, check=True, capture_output=True, timeout=60)
        best = min(best, time.perf_counter() - began)
    return best
