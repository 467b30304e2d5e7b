"""The one thing the input drivers ask of a clock: monotonic seconds.

Kept as a structural protocol so ``offline_queue.clock.ManualClock`` (or any clock with
``monotonic()``) drives the timeouts in tests without ``drivers`` importing another package.
"""

from __future__ import annotations

import time
from typing import Protocol


class MonotonicClock(Protocol):
    """Seconds on a clock that never goes back; what inter-key and frame timeouts measure."""

    def monotonic(self) -> float: ...


class SystemMonotonic:
    """The machine's monotonic clock."""

    def monotonic(self) -> float:
        return time.monotonic()


__all__ = ["MonotonicClock", "SystemMonotonic"]
