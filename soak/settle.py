"""The last clean start after a soak: recovery, owed notices, every advice delivered, checks."""

from __future__ import annotations

import time
from datetime import datetime, timedelta
from pathlib import Path

from drivers.virtual_printer import VirtualPrinter
from foundation.clock import SystemClock
from soak.figures import Figures
from soak.invariants import Told, Violation, final_state, slips_agree
from terminal.config import load_config
from terminal.host_client import HostUnavailable
from terminal.kiosk import Kiosk

#: How far the settling kiosk may run ahead of the host's clock (the host allows 300 s skew).
MAX_AHEAD_S = 240.0


class AheadClock(SystemClock):
    """The system clock plus an offset the settle step moves forward past retry backoffs.

    Only the kiosk's own scheduling moves; the host keeps real time, so its signatures and its
    auto-reversal are unaffected while the offset stays inside the host's allowed skew.
    """

    def __init__(self) -> None:
        self.offset = 0.0

    def now(self) -> datetime:
        return super().now() + timedelta(seconds=self.offset)

    def monotonic(self) -> float:
        return time.monotonic() + self.offset


def settle_and_check(
    config_path: Path, printer: VirtualPrinter, told: Told, figures: Figures
) -> list[Violation]:
    """Start the kiosk once more, deliver everything, and compare store, host and slips."""
    clock = AheadClock()
    found: list[Violation] = []
    try:
        kiosk = Kiosk(load_config(config_path), clock=clock)
    except Exception as exc:
        return [Violation("recovery_incomplete", f"final start refused: {exc}")]
    try:
        kiosk.counter.print_owed_notices()
        kiosk.forwarder.circuit_cooldown_s = 0
        while True:
            kiosk.forwarder.drain(timeout_s=30)
            counts = kiosk.store.outbox_status()["counts"]
            if counts["pending"] == 0 and counts["in_flight"] == 0:
                break
            if clock.offset >= MAX_AHEAD_S:
                found.append(Violation("advice_lost_or_duplicated", f"not delivered: {counts}"))
                break
            clock.offset += 10.0  # past the next retry's backoff, on the kiosk's clock only
        if kiosk.store.outbox_status()["counts"].get("dead", 0):
            found.append(Violation("advice_lost_or_duplicated", "dead letters in the outbox"))

        def host_view(txn: str) -> dict[str, object] | None:
            try:
                return kiosk.host.transaction(txn)
            except HostUnavailable as exc:
                return {"state": f"unreachable ({exc})", "events": []}

        found += final_state(kiosk.store, host_view, told)
        found += slips_agree(kiosk.store, [(s.qr_codes, s.text) for s in printer.slips])
        figures.host_sales = len(kiosk.store.list_transactions(limit=1_000_000))
    finally:
        kiosk.close()
    return found
