"""Fault injection: make the host misbehave the way real networks and switches do.

Each fault kind reproduces one thing the terminal must survive without losing or doubling money:

- ``down``: refuse service — close the connection without an answer (``mode=close``) or answer
  503 with ``Retry-After`` (``mode=503``);
- ``latency``: answer, but ``ms`` milliseconds late;
- ``error_rate``: answer a fraction ``rate`` of requests with ``status`` (500 by default; 429 and
  503 carry ``Retry-After``), decided by a seeded RNG so a test run is reproducible;
- ``timeout``: accept the request and say nothing for ``hold_s`` seconds (at most 30, released
  early by clearing the fault), then close: the client's read timeout is what fires;
- ``reset``: close with a TCP RST (``SO_LINGER`` 0), as a crashed middlebox would;
- ``malformed``: 200 with a truncated, non-JSON body.

Every fault may be limited to the next ``count`` matching requests and to a ``path_prefix``
(default ``/v1/``; admin endpoints are never faulted). With ``phase=after`` the request is
processed first and only the answer is lost: the host *did* authorise, the terminal cannot know.
"""

from __future__ import annotations

import random
import threading
from collections.abc import Mapping
from dataclasses import asdict, dataclass, field
from typing import Any

FAULT_KINDS = ("down", "latency", "error_rate", "timeout", "reset", "malformed")
#: Order in which a request meets the faults; latency combines with any of the others.
_PRECEDENCE = ("down", "reset", "timeout", "malformed", "error_rate")
MAX_HOLD_S = 30.0
MAX_LATENCY_MS = 30_000


class FaultError(ValueError):
    """A fault description that cannot be used; the message names the parameter."""


@dataclass
class Fault:
    """One active fault."""

    kind: str
    path_prefix: str = "/v1/"
    #: How many more matching requests get the fault; ``None`` until cleared.
    count: int | None = None
    phase: str = "before"
    ms: int = 0
    rate: float = 1.0
    seed: int = 0
    status: int = 500
    mode: str = "close"
    hold_s: float = MAX_HOLD_S
    retry_after_s: int = 2
    hits: int = 0
    _rng: random.Random = field(default_factory=random.Random, repr=False)

    def to_json(self) -> dict[str, Any]:
        """JSON without floats (the protocol's JSON has none): fractions as decimal strings."""
        data = asdict(self)
        data.pop("_rng")
        data["rate"] = format(self.rate, "g")
        data["hold_s"] = format(self.hold_s, "g")
        return data


def _number(params: Mapping[str, Any], name: str, kind: type, default: Any) -> Any:
    value = params.get(name, default)
    if value is None:
        return None
    if isinstance(value, bool):
        raise FaultError(f"{name} must be a number, not {value!r}")
    try:
        return kind(value)
    except (TypeError, ValueError):
        raise FaultError(f"{name} must be a number, not {value!r}") from None


def parse_fault(params: Mapping[str, Any]) -> Fault:
    """Build a fault from the admin endpoint's JSON (or the CLI's options)."""
    kind = params.get("kind")
    if kind not in FAULT_KINDS:
        raise FaultError(f"kind must be one of {', '.join(FAULT_KINDS)}, not {kind!r}")
    known = {
        "kind",
        "path_prefix",
        "count",
        "phase",
        "ms",
        "rate",
        "seed",
        "status",
        "mode",
        "hold_s",
        "retry_after_s",
    }
    unknown = sorted(set(params) - known)
    if unknown:
        raise FaultError(f"unknown fault parameter(s): {', '.join(unknown)}")
    fault = Fault(
        kind=str(kind),
        path_prefix=str(params.get("path_prefix") or "/v1/"),
        count=_number(params, "count", int, None),
        phase=str(params.get("phase", "before")),
        ms=_number(params, "ms", int, 0),
        rate=_number(params, "rate", float, 1.0),
        seed=_number(params, "seed", int, 0),
        status=_number(params, "status", int, 500),
        mode=str(params.get("mode", "close")),
        hold_s=_number(params, "hold_s", float, MAX_HOLD_S),
        retry_after_s=_number(params, "retry_after_s", int, 2),
    )
    if fault.count is not None and fault.count < 1:
        raise FaultError("count must be at least 1 (or left out: until cleared)")
    if fault.phase not in ("before", "after"):
        raise FaultError("phase must be 'before' or 'after'")
    if not 0.0 <= fault.rate <= 1.0:
        raise FaultError("rate must be a fraction from 0 to 1")
    if not 0 <= fault.ms <= MAX_LATENCY_MS:
        raise FaultError(f"ms must be from 0 to {MAX_LATENCY_MS}")
    if not 0 < fault.hold_s <= MAX_HOLD_S:
        raise FaultError(f"hold_s must be more than 0 and at most {MAX_HOLD_S}")
    if not 400 <= fault.status <= 599:
        raise FaultError("status must be an HTTP error status (400-599)")
    if fault.mode not in ("close", "503"):
        raise FaultError("mode must be 'close' or '503'")
    if fault.kind == "latency" and fault.ms == 0:
        raise FaultError("a latency fault needs ms > 0")
    fault._rng = random.Random(fault.seed)
    return fault


@dataclass(frozen=True)
class Plan:
    """What to do to one request: sleep ``latency_ms`` then apply ``fault`` (if any)."""

    latency_ms: int = 0
    fault: Fault | None = None
    released: threading.Event = field(default_factory=threading.Event)


class FaultInjector:
    """The active faults of one server, shared by all request threads."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._faults: dict[str, Fault] = {}
        self._released = threading.Event()

    def set(self, fault: Fault) -> None:
        """Activate ``fault``, replacing an earlier fault of the same kind."""
        with self._lock:
            self._faults[fault.kind] = fault

    def clear(self, kind: str | None = None) -> list[str]:
        """Remove one kind (or all) and release every request held by a timeout or latency."""
        if kind is not None and kind not in FAULT_KINDS:
            raise FaultError(f"kind must be one of {', '.join(FAULT_KINDS)}, not {kind!r}")
        with self._lock:
            if kind is None:
                cleared = sorted(self._faults)
                self._faults.clear()
            else:
                cleared = [kind] if self._faults.pop(kind, None) is not None else []
            self._released.set()
            self._released = threading.Event()
        return cleared

    def active(self) -> list[dict[str, Any]]:
        with self._lock:
            return [f.to_json() for f in self._faults.values()]

    def plan(self, path: str) -> Plan:
        """Decide, once per request, which faults it meets (and use up their counts)."""
        with self._lock:
            latency = 0
            chosen: Fault | None = None
            lat = self._faults.get("latency")
            if lat is not None and self._take(lat, path):
                latency = lat.ms
            for kind in _PRECEDENCE:
                fault = self._faults.get(kind)
                if fault is None or chosen is not None or not self._take(fault, path):
                    continue
                if kind == "error_rate" and fault._rng.random() >= fault.rate:
                    continue
                chosen = fault
            return Plan(latency_ms=latency, fault=chosen, released=self._released)

    def _take(self, fault: Fault, path: str) -> bool:
        if not path.startswith(fault.path_prefix):
            return False
        fault.hits += 1
        if fault.count is not None:
            fault.count -= 1
            if fault.count <= 0:
                del self._faults[fault.kind]
        return True


__all__ = ["FAULT_KINDS", "Fault", "FaultError", "FaultInjector", "Plan", "parse_fault"]
