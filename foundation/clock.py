"""One injectable source of time: wall clock for what people read, monotonic for what we wait on.

Tests drive a :class:`ManualClock` so reversal windows, leases and backoff can be crossed
without sleeping.
"""

from __future__ import annotations

import threading
import time
from datetime import UTC, datetime, timedelta
from typing import Protocol


class Clock(Protocol):
    """What every component asks for the time."""

    def now(self) -> datetime:
        """Aware wall-clock time in UTC (slips, journal, windows)."""
        ...

    def monotonic(self) -> float:
        """Seconds on a clock that never goes back (leases, backoff, timeouts)."""
        ...


class MonotonicClock(Protocol):
    """The part of :class:`Clock` a device's timeouts need (inter-key and frame timeouts,
    the printer's waits): any :class:`Clock` is one."""

    def monotonic(self) -> float:
        """Seconds on a clock that never goes back."""
        ...


class SystemClock:
    """The real clocks of the machine."""

    def now(self) -> datetime:
        return datetime.now(UTC)

    def monotonic(self) -> float:
        return time.monotonic()


class ManualClock:
    """A clock that moves only when told; thread-safe so a forwarder thread can read it."""

    def __init__(self, start: datetime | None = None, monotonic_start: float = 1000.0) -> None:
        self._lock = threading.Lock()
        self._now = start or datetime(2026, 11, 22, 12, 0, 0, tzinfo=UTC)
        if self._now.tzinfo is None:
            raise ValueError("ManualClock needs an aware datetime")
        self._mono = monotonic_start

    def now(self) -> datetime:
        with self._lock:
            return self._now

    def monotonic(self) -> float:
        with self._lock:
            return self._mono

    def advance(self, seconds: float) -> None:
        """Move both clocks forward together."""
        if seconds < 0:
            raise ValueError("time does not go back")
        with self._lock:
            self._now += timedelta(seconds=seconds)
            self._mono += seconds

    def set_wall(self, when: datetime) -> None:
        """Jump the wall clock (an NTP correction) without touching the monotonic clock."""
        if when.tzinfo is None:
            raise ValueError("set_wall needs an aware datetime")
        with self._lock:
            self._now = when


__all__ = ["Clock", "ManualClock", "MonotonicClock", "SystemClock"]
