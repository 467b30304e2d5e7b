"""Status snapshots pushed to every open screen when they change.

Why one watcher for all screens: each snapshot asks the printer through DLE EOT, and one printer
conversation runs at a time, so N screens polling on their own would queue N status requests
behind every print. The watcher reads ``kiosk.status.snapshot()`` about once a second, only
while at least one screen listens, and hands a snapshot to the listeners only when something
they show changed (the time of the last host check alone is not a change).
"""

from __future__ import annotations

import json
import logging
import threading
import time
from collections.abc import Callable
from typing import Any

log = logging.getLogger(__name__)

#: Seconds between two readings while a screen listens.
INTERVAL_S = 1.0

Snapshot = Any  # terminal.status.StatusSnapshot (``to_dict()``)
Listener = Callable[[Snapshot], None]


def fingerprint(snapshot: Snapshot) -> str:
    """What the status bar shows, without the volatile time of the last host check."""
    data = snapshot.to_dict()
    host = dict(data.get("host", {}))
    host.pop("checked_at", None)
    data["host"] = host
    return json.dumps(data, sort_keys=True, default=str)


class StatusFeed:
    """Reads snapshots on its own thread while anyone listens; pushes the ones that changed."""

    def __init__(self, read: Callable[[], Snapshot], *, interval_s: float = INTERVAL_S) -> None:
        self._read = read
        self._interval_s = interval_s
        self._lock = threading.Lock()
        self._listeners: list[Listener] = []
        self._latest: Snapshot | None = None
        self._latest_print: str | None = None
        self._read_at = 0.0
        self._wake = threading.Event()
        self._stopped = threading.Event()
        self._thread: threading.Thread | None = None

    def latest(self) -> Snapshot:
        """The newest snapshot; read now when none is fresh (no screen listens, so the
        watcher is not reading)."""
        with self._lock:
            latest, read_at = self._latest, self._read_at
        if latest is None or time.monotonic() - read_at > self._interval_s:
            return self.refresh()
        return latest

    def refresh(self) -> Snapshot:
        """Read a snapshot now and push it if it changed (a clerk asked, or a sale ended)."""
        snapshot = self._read()
        self._publish(snapshot)
        return snapshot

    def subscribe(self, listener: Listener) -> Callable[[], None]:
        with self._lock:
            self._listeners.append(listener)
            if self._thread is None or not self._thread.is_alive():
                self._stopped.clear()
                self._thread = threading.Thread(target=self._loop, name="status-feed", daemon=True)
                self._thread.start()

        def unsubscribe() -> None:
            with self._lock:
                if listener in self._listeners:
                    self._listeners.remove(listener)

        return unsubscribe

    def poke(self) -> None:
        """Read again now instead of at the next tick."""
        self._wake.set()

    def stop(self) -> None:
        self._stopped.set()
        self._wake.set()
        thread = self._thread
        if thread is not None:
            thread.join(10)

    def _loop(self) -> None:
        while not self._stopped.is_set():
            with self._lock:
                if not self._listeners:
                    self._thread = None
                    return
            try:
                self.refresh()
            except Exception:  # the next tick tries again; a bad reading must not end the feed
                log.exception("status snapshot failed")
            self._wake.wait(self._interval_s)
            self._wake.clear()

    def _publish(self, snapshot: Snapshot) -> None:
        mark = fingerprint(snapshot)
        with self._lock:
            self._read_at = time.monotonic()
            changed = mark != self._latest_print
            self._latest, self._latest_print = snapshot, mark
            listeners = list(self._listeners) if changed else []
        for listener in listeners:
            try:
                listener(snapshot)
            except Exception:
                log.exception("a status listener failed")


__all__ = ["INTERVAL_S", "StatusFeed", "fingerprint"]
