"""What the counter screen's status bar always shows: printer, host, queue and offline exposure.

The clerk must see that the host is down *before* the next customer's sale is refused, and the
forwarder may be idle for minutes, so :class:`HostMonitor` asks the host's health check on its
own thread every ``[host] health_interval``. Real traffic counts too: every call the host client
makes reports whether the host answered (``HostMonitor.report``), so a failed provision or
forward shows at once instead of at the next probe. The latest word wins, whoever said it.

:class:`StatusBoard` puts the monitor, the printer (asked now, through DLE EOT), the outbox and
the unforwarded offline sales against their limits into one :class:`StatusSnapshot`, with the
lines that need the clerk's attention spelled out; ``GET /api/v1/status`` serves it.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import TYPE_CHECKING, Any

from foundation.clock import Clock
from foundation.money import DEFAULT_MONEY_STYLES, Money, MoneyStyles
from offline_queue.eventlog import emit
from offline_queue.store import OfflineExposure
from terminal.config import KioskConfig
from terminal.devices import printer_status

if TYPE_CHECKING:
    from terminal.kiosk import Kiosk

log = logging.getLogger(__name__)

#: Share of an offline limit (total not yet forwarded, age of the oldest) from which the status
#: bar warns: the next offline sales will be refused soon after.
EXPOSURE_WARN_SHARE = 0.8


class HostMonitor:
    """Knows whether the host answers, even when no sale runs.

    ``probe`` is a health check that never raises (``HostClient.health`` of a client of its own:
    a ``requests`` session is not shared across threads). The thread waits in real seconds; the
    recorded times come from ``clock``, so tests call :meth:`check_now` under a ManualClock.
    """

    def __init__(self, probe: Callable[[], bool], clock: Clock, *, interval_s: float = 5.0) -> None:
        if interval_s <= 0:
            raise ValueError("interval_s must be above zero")
        self.probe = probe
        self.clock = clock
        self.interval_s = interval_s
        self._state_lock = threading.Lock()
        self._probe_lock = threading.Lock()  # one probe at a time: the probe's session is shared
        self._online: bool | None = None
        self._checked_at: datetime | None = None
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None

    @property
    def online(self) -> bool | None:
        """The latest word: True (answered), False (did not), None (not asked yet)."""
        with self._state_lock:
            return self._online

    @property
    def checked_at(self) -> datetime | None:
        """When the latest word was heard (the monitor's clock)."""
        with self._state_lock:
            return self._checked_at

    def report(self, ok: bool) -> None:
        """Record what a real call just learnt (the host answered, or could not be reached)."""
        with self._state_lock:
            # The first word is logged too: the log then says how the host was at start.
            # Inside the lock, so two reports racing cannot log up/down out of order.
            if self._online != ok:
                level = logging.INFO if ok else logging.WARNING
                emit(log, "host.up" if ok else "host.down", level=level)
            self._online = ok
            self._checked_at = self.clock.now()

    def check_now(self) -> bool:
        """Ask the host's health check once and record the answer."""
        with self._probe_lock:
            try:
                ok = bool(self.probe())
            except Exception:  # a probe must never stop the monitor; say why in the log
                log.exception("host health probe failed")
                ok = False
        self.report(ok)
        return ok

    def start(self) -> None:
        """Probe at once, then every ``interval_s``, on a daemon thread until :meth:`stop`."""
        if self._thread is not None and self._thread.is_alive():
            return
        self._stop.clear()
        self._thread = threading.Thread(target=self._loop, name="host-monitor", daemon=True)
        self._thread.start()

    def _loop(self) -> None:
        while not self._stop.is_set():
            self.check_now()
            if self._stop.wait(self.interval_s):
                return

    def stop(self, timeout_s: float = 15.0) -> None:
        """Stop the thread; waits at most for one probe (bounded by the host timeouts)."""
        self._stop.set()
        thread = self._thread
        if thread is not None:
            thread.join(timeout_s)
        self._thread = None


@dataclass(frozen=True)
class HostStatus:
    online: bool | None
    checked_at: datetime | None
    circuit: str

    def to_dict(self) -> dict[str, Any]:
        return {
            "online": self.online,
            "checked_at": None if self.checked_at is None else self.checked_at.isoformat(),
            "circuit": self.circuit,
        }


@dataclass(frozen=True)
class ExposureStatus:
    """Offline sales of one currency not yet acknowledged by the host, against the limits.

    ``total_minor`` is what customers paid (fees included); ``amount_minor`` is the face value,
    which is what counts against ``limit_minor`` (``max_unforwarded_total``), as the sale
    service checks it. The limits are the strictest of the currency's offline-allowed products.
    """

    currency: str
    count: int
    total_minor: int
    amount_minor: int
    limit_minor: int | None
    per_sale_limit_minor: int | None
    max_age_s: float | None
    oldest_created_at: datetime | None

    def to_dict(self) -> dict[str, Any]:
        return {
            "currency": self.currency,
            "count": self.count,
            "total_minor": self.total_minor,
            "amount_minor": self.amount_minor,
            "limit_minor": self.limit_minor,
            "per_sale_limit_minor": self.per_sale_limit_minor,
            "max_age_s": self.max_age_s,
            "oldest_created_at": (
                None if self.oldest_created_at is None else self.oldest_created_at.isoformat()
            ),
        }


@dataclass(frozen=True)
class AdviceHorizonStatus:
    """The oldest confirm the host has not acknowledged, against the host's advice horizon.

    Sales stop at ``refuse_after_s`` (docs/host-protocol.md#advice-horizon); the status bar
    warns from :data:`EXPOSURE_WARN_SHARE` of it, so the clerk sees it coming.
    """

    oldest_age_s: float | None
    horizon_s: float
    refuse_after_s: float

    @property
    def sales_refused(self) -> bool:
        return self.oldest_age_s is not None and self.oldest_age_s >= self.refuse_after_s

    @property
    def near(self) -> bool:
        return (
            self.oldest_age_s is not None
            and self.oldest_age_s >= EXPOSURE_WARN_SHARE * self.refuse_after_s
        )

    def to_dict(self) -> dict[str, Any]:
        return {
            "oldest_undelivered_confirm_age_s": self.oldest_age_s,
            "horizon_s": self.horizon_s,
            "refuse_sales_after_s": self.refuse_after_s,
            "near": self.near,
            "sales_refused": self.sales_refused,
        }


@dataclass(frozen=True)
class StatusSnapshot:
    """One reading of everything the status bar shows; ``to_dict()`` is the API's JSON."""

    terminal: str
    market: str
    printer: Mapping[str, Any]
    host: HostStatus
    queue: Mapping[str, int]
    dead_letters: int
    offline_exposure: tuple[ExposureStatus, ...]
    attention: tuple[str, ...]
    advice_horizon: AdviceHorizonStatus | None = None

    def to_dict(self) -> dict[str, Any]:
        return {
            "terminal": self.terminal,
            "market": self.market,
            "printer": dict(self.printer),
            "host": self.host.to_dict(),
            "queue": dict(self.queue),
            "dead_letters": self.dead_letters,
            "offline_exposure": [e.to_dict() for e in self.offline_exposure],
            "attention": list(self.attention),
            "advice_horizon": (
                None if self.advice_horizon is None else self.advice_horizon.to_dict()
            ),
        }


def _min(values: list[int | None]) -> int | None:
    known = [v for v in values if v is not None]
    return min(known) if known else None


def _min_float(values: list[float | None]) -> float | None:
    known = [v for v in values if v is not None]
    return min(known) if known else None


def offline_exposure(
    config: KioskConfig, unforwarded: Mapping[str, OfflineExposure]
) -> tuple[ExposureStatus, ...]:
    """One entry per currency with an offline-allowed product (and any currency holding
    unforwarded offline sales, in case the policy changed since they were made)."""
    policies: dict[str, list[Any]] = {}
    for product in config.products.values():
        if product.offline.allowed:
            policies.setdefault(product.currency, []).append(product.offline)
    currencies = sorted(set(policies) | set(unforwarded))
    lines = []
    for currency in currencies:
        found = unforwarded.get(currency)
        allowed = policies.get(currency, [])
        lines.append(
            ExposureStatus(
                currency=currency,
                count=found.count if found else 0,
                total_minor=found.total_minor if found else 0,
                amount_minor=found.amount_minor if found else 0,
                limit_minor=_min([p.max_unforwarded_total_minor for p in allowed]),
                per_sale_limit_minor=_min([p.max_amount_minor for p in allowed]),
                max_age_s=_min_float([p.max_age_s for p in allowed]),
                oldest_created_at=found.oldest_created_at if found else None,
            )
        )
    return tuple(lines)


def _money(minor: int, currency: str, styles: MoneyStyles) -> str:
    return Money(minor, currency).format("en", styles=styles)


def attention_lines(
    *,
    printer: Mapping[str, Any],
    host: HostStatus,
    dead_letters: int,
    exposure: tuple[ExposureStatus, ...],
    now: datetime,
    money: MoneyStyles = DEFAULT_MONEY_STYLES,
    advice: AdviceHorizonStatus | None = None,
) -> tuple[str, ...]:
    """Plain-English lines for what the clerk must look at; empty when all is well."""
    lines: list[str] = []
    if advice is not None and advice.near and advice.oldest_age_s is not None:
        hours = int(advice.oldest_age_s // 3600)
        horizon = int(advice.horizon_s // 3600)
        if advice.sales_refused:
            lines.append(
                f"No new sales: a printed sale has waited {hours} h for the host, which honours "
                f"it for {horizon} h. Restore the connection to the host or call support."
            )
        else:
            stop = int(advice.refuse_after_s // 3600)
            lines.append(
                f"A printed sale has waited {hours} h for the host (it honours it for "
                f"{horizon} h): new sales stop at {stop} h. Restore the connection to the host."
            )
    if not printer.get("can_print"):
        detail = str(printer.get("detail") or "").strip()
        state = str(printer.get("state") or "unknown").replace("_", " ")
        lines.append(
            f"Printer not ready ({state}){': ' + detail if detail else ''}. "
            "No sale can be made until it prints."
        )
    elif printer.get("state") == "paper_near_end":
        lines.append(str(printer.get("detail") or "The paper roll is nearly finished."))
    if host.online is False:
        lines.append(
            "The host is not answering: sales that may be accepted offline are, within their "
            "limits; all others are refused until it answers."
        )
    if dead_letters:
        what = "advice" if dead_letters == 1 else "advices"
        lines.append(
            f"{dead_letters} {what} to the host could not be delivered and need attention: "
            "see `kiosk queue list` and call support."
        )
    for line in exposure:
        if not line.count:
            continue
        if line.limit_minor and line.amount_minor >= EXPOSURE_WARN_SHARE * line.limit_minor:
            sent = _money(line.amount_minor, line.currency, money)
            limit = _money(line.limit_minor, line.currency, money)
            lines.append(
                f"Offline sales not yet sent to the host: {sent} of the {limit} allowed. "
                "Further offline sales will be refused at the limit."
            )
        if line.max_age_s and line.oldest_created_at is not None:
            age = (now - line.oldest_created_at).total_seconds()
            if age >= EXPOSURE_WARN_SHARE * line.max_age_s:
                lines.append(
                    f"The oldest offline sale in {line.currency} is {int(age // 3600)} h old "
                    f"(limit {int(line.max_age_s // 3600)} h): no more offline sales once it "
                    "reaches the limit."
                )
    return tuple(lines)


class StatusBoard:
    """Reads the status bar's snapshot from a running :class:`~terminal.kiosk.Kiosk`."""

    def __init__(self, kiosk: Kiosk) -> None:
        self.kiosk = kiosk

    def snapshot(self) -> StatusSnapshot:
        """Everything now; the printer is asked through DLE EOT (waits for a running print)."""
        kiosk = self.kiosk
        config = kiosk.config
        outbox = kiosk.store.outbox_status()
        counts = outbox["counts"]
        dead = len(outbox["dead_letters"])
        printer = printer_status(kiosk.printer)
        monitor = kiosk.host_monitor
        host = HostStatus(
            online=monitor.online, checked_at=monitor.checked_at, circuit=kiosk.forwarder.state
        )
        exposure = offline_exposure(config, kiosk.store.unforwarded_offline_exposure())
        advice = AdviceHorizonStatus(
            oldest_age_s=kiosk.sales.oldest_undelivered_confirm_age_s(),
            horizon_s=config.host.advice_horizon_s,
            refuse_after_s=config.host.advice_refuse_after_s,
        )
        return StatusSnapshot(
            terminal=config.terminal.id,
            market=config.terminal.market,
            printer=printer,
            host=host,
            queue={
                "pending": int(counts.get("pending", 0)),
                "in_flight": int(counts.get("in_flight", 0)),
                "dead": int(counts.get("dead", 0)),
            },
            dead_letters=dead,
            offline_exposure=exposure,
            attention=attention_lines(
                printer=printer,
                host=host,
                dead_letters=dead,
                exposure=exposure,
                now=kiosk.clock.now(),
                money=config.money,
                advice=advice,
            ),
            advice_horizon=advice,
        )


__all__ = [
    "EXPOSURE_WARN_SHARE",
    "AdviceHorizonStatus",
    "ExposureStatus",
    "HostMonitor",
    "HostStatus",
    "StatusBoard",
    "StatusSnapshot",
    "attention_lines",
    "offline_exposure",
]
