"""The terminal uses the store's clock so every layer agrees on what time it is."""

from offline_queue.clock import Clock, ManualClock, SystemClock

__all__ = ["Clock", "ManualClock", "SystemClock"]
