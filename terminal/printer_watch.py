"""The printer as the kiosk sees it, logging each change of its state (``printer.up``/``down``).

Why a wrapper: every conversation with the printer (the sale's readiness check, a print, the
status bar's reading, a notice) passes through one :class:`~drivers.printer.base.ReceiptPrinter`
object, so wrapping that object is the one place where a change of state is seen, whoever
asked. The driver itself stays free of logging policy.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

from drivers.errors import (
    CoverOpen,
    PaperOut,
    PrinterError,
    PrinterOffline,
    PrinterStatusUnknown,
    PrinterUnreachable,
)
from drivers.printer.base import PrintOutcome, ReceiptPrinter
from drivers.printer.status import PrinterStatus
from offline_queue.eventlog import emit
from printer_templates.document import SlipDocument

log = logging.getLogger(__name__)

#: Errors that say how the printer is (the others say something about one job).
_STATE_OF_ERROR: dict[type[PrinterError], str] = {
    PaperOut: "paper_out",
    CoverOpen: "cover_open",
    PrinterOffline: "offline",
    PrinterUnreachable: "unreachable",
    PrinterStatusUnknown: "unknown",
}


class WatchedPrinter(ReceiptPrinter):
    """Delegates everything to ``inner``; logs when the printer's state changes."""

    def __init__(self, inner: ReceiptPrinter) -> None:
        super().__init__(
            profile=inner.profile,
            width=inner.width,
            timeout_s=inner.timeout_s,
            font_path=inner.font_path,
        )
        self.inner = inner
        self.can_prove_print = inner.can_prove_print
        self._lock = threading.Lock()
        self._state: str | None = None

    @property
    def last_state(self) -> str | None:
        """The state last seen (``ready``, ``paper_out``, ...); None before the first word."""
        with self._lock:
            return self._state

    def _seen(self, state: str, can_print: bool, detail: str = "") -> None:
        with self._lock:
            if state == self._state:
                return
            was, self._state = self._state, state
            if can_print:
                emit(log, "printer.up", state=state, was=was)
            else:
                emit(
                    log,
                    "printer.down",
                    level=logging.WARNING,
                    state=state,
                    was=was,
                    detail=detail,
                )

    def _failed(self, exc: PrinterError) -> None:
        for kind, state in _STATE_OF_ERROR.items():
            if isinstance(exc, kind):
                self._seen(state, False, str(exc))
                return

    def render(self, doc: SlipDocument) -> bytes:
        return self.inner.render(doc)

    def status(self) -> PrinterStatus:
        try:
            status = self.inner.status()
        except PrinterError as exc:
            self._failed(exc)
            raise
        self._seen(status.state, status.can_print, status.detail)
        return status

    def print_slip(self, doc: SlipDocument) -> PrintOutcome:
        try:
            outcome = self.inner.print_slip(doc)
        except PrinterError as exc:
            self._failed(exc)
            raise
        if outcome is PrintOutcome.PRINTED and self.last_state not in ("ready", "paper_near_end"):
            self._seen("ready", True)  # the printer just proved it prints
        return outcome

    def kick_drawer(self, pin: int = 2) -> None:
        self.inner.kick_drawer(pin)

    @contextmanager
    def hold(self) -> Iterator[None]:
        """The wrapped printer's: one connection for the operations inside."""
        with self.inner.hold():
            yield

    def keep_link(self, keep: bool = True) -> None:
        self.inner.keep_link(keep)

    def clear_buffer(self) -> bool:
        try:
            return self.inner.clear_buffer()
        except PrinterError:
            return False

    def close(self) -> None:
        self.inner.close()

    def __getattr__(self, name: str) -> Any:
        # Attributes of the concrete driver (host, port, ...) for tools that read them.
        if name == "inner":  # not set yet: never recurse
            raise AttributeError(name)
        return getattr(self.inner, name)


__all__ = ["WatchedPrinter"]
