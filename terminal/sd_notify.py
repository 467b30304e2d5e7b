"""systemd's notify protocol: READY once the kiosk can serve, WATCHDOG while it is healthy.

Why our own few lines instead of a package: the protocol is one datagram per message on the
unix socket named by ``$NOTIFY_SOCKET`` (a path, or ``@name`` for the abstract namespace), and
the kiosk needs three messages of it (``READY=1``, ``WATCHDOG=1``, ``STOPPING=1``). Outside
systemd ``$NOTIFY_SOCKET`` is unset and every call does nothing.

The watchdog pings at half of ``$WATCHDOG_USEC`` (systemd's advice), and only after the health
check passes: a kiosk whose API thread died, whose forwarder stopped or whose store does not
answer stops pinging, and systemd restarts it (``WatchdogSec=``, ``Restart=on-failure``).
"""

from __future__ import annotations

import logging
import os
import socket
import threading
from collections.abc import Callable, Mapping

from offline_queue.eventlog import emit

log = logging.getLogger(__name__)


def socket_address(value: str) -> str:
    """``$NOTIFY_SOCKET`` as ``socket.sendto`` takes it: ``@name`` is ``\\0name`` (abstract)."""
    if value.startswith("@"):
        return "\0" + value[1:]
    return value


class Notifier:
    """Sends notify messages to systemd; does nothing when no socket was given."""

    def __init__(self, address: str | None) -> None:
        if address is not None and not (address.startswith(("/", "@")) and len(address) > 1):
            raise ValueError(
                f"NOTIFY_SOCKET must be an absolute path or an @abstract name, not {address!r}"
            )
        self.address = address

    @classmethod
    def from_environment(cls, environ: Mapping[str, str] | None = None) -> Notifier:
        env = os.environ if environ is None else environ
        return cls(env.get("NOTIFY_SOCKET") or None)

    @property
    def enabled(self) -> bool:
        return self.address is not None

    def send(self, **fields: str) -> bool:
        """One datagram of ``KEY=value`` lines; False (and a log line) if it could not go."""
        if self.address is None:
            return False
        message = "\n".join(f"{key}={value}" for key, value in fields.items()).encode("utf-8")
        try:
            with socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM | socket.SOCK_CLOEXEC) as sock:
                sock.sendto(message, socket_address(self.address))
        except OSError as exc:
            emit(log, "systemd.notify_failed", level=logging.WARNING, error=str(exc))
            return False
        return True

    def ready(self, status: str | None = None) -> bool:
        fields = {"READY": "1"}
        if status:
            fields["STATUS"] = status
        return self.send(**fields)

    def watchdog(self) -> bool:
        return self.send(WATCHDOG="1")

    def stopping(self) -> bool:
        return self.send(STOPPING="1")


def watchdog_interval(environ: Mapping[str, str] | None = None) -> float | None:
    """Seconds between pings (half of ``$WATCHDOG_USEC``), None when systemd wants none.

    ``$WATCHDOG_PID``, when set, names the process the watchdog is meant for: a child process
    that inherited the environment must not ping on its parent's behalf.
    """
    env = os.environ if environ is None else environ
    usec = env.get("WATCHDOG_USEC")
    if not usec:
        return None
    pid = env.get("WATCHDOG_PID")
    if pid and pid != str(os.getpid()):
        return None
    try:
        value = int(usec)
    except ValueError:
        return None
    if value <= 0:
        return None
    return value / 2 / 1_000_000


class Watchdog:
    """Pings systemd every ``interval_s`` while ``healthy()`` says yes.

    ``wait(seconds)`` is how the thread waits between pings and returns True once it must stop;
    by default it waits on the stop event, and tests pass their own to drive each tick.
    """

    def __init__(
        self,
        notifier: Notifier,
        interval_s: float,
        healthy: Callable[[], bool],
        *,
        wait: Callable[[float], bool] | None = None,
    ) -> None:
        if interval_s <= 0:
            raise ValueError("interval_s must be above zero")
        self.notifier = notifier
        self.interval_s = interval_s
        self.healthy = healthy
        self._stop = threading.Event()
        self._wait = wait or self._stop.wait
        self._thread: threading.Thread | None = None
        self._was_healthy = True

    def tick(self) -> bool:
        """One round: ping if healthy; True when a ping was sent."""
        try:
            ok = bool(self.healthy())
        except Exception:  # a failing check is an unhealthy kiosk, not a dead watchdog
            log.exception("health check failed")
            ok = False
        if ok != self._was_healthy:
            emit(
                log,
                "watchdog.healthy" if ok else "watchdog.unhealthy",
                level=logging.INFO if ok else logging.ERROR,
            )
            self._was_healthy = ok
        return ok and self.notifier.watchdog()

    def start(self) -> Watchdog:
        self._stop.clear()
        self._thread = threading.Thread(target=self._loop, name="kiosk-watchdog", daemon=True)
        self._thread.start()
        return self

    def _loop(self) -> None:
        while not self._stop.is_set():
            self.tick()
            if self._wait(self.interval_s) or self._stop.is_set():
                return

    def stop(self, timeout_s: float = 5.0) -> None:
        self._stop.set()
        thread = self._thread
        if thread is not None:
            thread.join(timeout_s)
        self._thread = None


__all__ = ["Notifier", "Watchdog", "socket_address", "watchdog_interval"]
