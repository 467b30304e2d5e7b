"""The newest few results of a screen, kept in memory by key.

A result page is shown again after a redirect, a reload or a second Enter on the same form, so
the screen keeps what it showed; keeping everything forever would grow without end, so only
the newest ``keep`` stay. One class for every screen that does this (sales, stornos, reprints,
reports, rendered slips).
"""

from __future__ import annotations

import threading
from collections import OrderedDict
from typing import Generic, TypeVar

T = TypeVar("T")


class Recent(Generic[T]):
    """A thread-safe map that forgets its oldest entries beyond ``keep``."""

    def __init__(self, keep: int) -> None:
        if keep < 1:
            raise ValueError("keep must be at least 1")
        self.keep = keep
        self._lock = threading.Lock()
        self._items: OrderedDict[str, T] = OrderedDict()

    def put(self, key: str, value: T) -> None:
        """Keep ``value`` as the newest entry (an existing key becomes the newest again)."""
        with self._lock:
            self._items[key] = value
            self._items.move_to_end(key)
            while len(self._items) > self.keep:
                self._items.popitem(last=False)

    def get(self, key: str) -> T | None:
        with self._lock:
            return self._items.get(key)


__all__ = ["Recent"]
