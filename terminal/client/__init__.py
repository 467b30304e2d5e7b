"""One way for the outer tools to act on the terminal, whether or not a kiosk process runs it.

Two processes must never drive the same printer or settle the same sales, so a ``kiosk``
command that acts on the terminal goes through the kiosk process that owns it (its local API)
when one runs, and opens the terminal in its own process only when none does. Both ways
answer the same JSON bodies and raise the same :class:`~terminal.errors.KioskError`, so each
command is written once against :class:`KioskClient` (the anchor is python-escpos: one
interface, one class per transport).
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from typing import TYPE_CHECKING, Any, Protocol

if TYPE_CHECKING:
    from terminal.client.remote import RemoteKioskClient
    from terminal.config import KioskConfig

#: The body of a sale as ``POST /api/v1/sales`` takes it (``terminal.sale.SaleRequest``'s fields).
SaleBody = Mapping[str, Any]


class KioskClient(Protocol):
    """What a command may ask of the terminal; every answer is the API's JSON body."""

    def sell(self, body: SaleBody, *, idempotency_key: str | None = None) -> dict[str, Any]:
        """A sale; with a key, a repeat answers the first sale instead of selling again."""
        ...

    def storno(self, txn: str, *, reason: str, clerk: str) -> dict[str, Any]:
        """Reverse sale ``txn`` inside its window (the outcome, also when the slip failed)."""
        ...

    def reprint(self, txn: str | None, *, slip: str | None = None) -> dict[str, Any]:
        """A numbered copy of ``txn``'s slip (its latest, or ``slip``), or of the last slip."""
        ...

    def lookup(self, query: Mapping[str, str]) -> dict[str, Any]:
        """Local state, outbox and the host's view; ``query`` as ``GET /api/v1/lookup`` takes
        it (``since``/``until`` as ISO date-times with an offset)."""
        ...

    def clerks(self) -> dict[str, Any]:
        """``{"clerks": [...]}``: every clerk, deactivated ones too."""
        ...

    def add_clerk(self, number: str, *, name: str, pin: str, role: str) -> dict[str, Any]:
        """``{"clerk": {...}}`` of the clerk added."""
        ...

    def unlock_clerk(self, number: str) -> dict[str, Any]:
        """End the clerk's lockout; ``{"clerk": {...}}``."""
        ...

    def set_clerk_pin(self, number: str, pin: str) -> dict[str, Any]:
        """A new PIN (it also ends a lockout); ``{"clerk": {...}}``."""
        ...

    def deactivate_clerk(self, number: str) -> dict[str, Any]:
        """The clerk may no longer sign in; ``{"clerk": {...}}``."""
        ...

    def report_preview(self, kind: str) -> dict[str, Any]:
        """The X (or Z) report's figures and slip text, printed nowhere."""
        ...

    def x_report(self, *, clerk: str | None = None) -> dict[str, Any]:
        """Print the running totals; the outcome, also when the slip did not print."""
        ...

    def z_report(self, *, clerk: str, pin: str) -> dict[str, Any]:
        """Print the Z report and close the period (only once its slip printed)."""
        ...

    def cash_summary(self) -> dict[str, Any]:
        """The cash the drawer should hold from this period."""
        ...

    def drain(self, timeout_s: float) -> dict[str, Any]:
        """Forward what is due to the host now; what was sent, delivered, failed."""
        ...

    def outbox_status(self) -> dict[str, Any]:
        """The outbox's counts per state, oldest age and dead letters."""
        ...


@contextmanager
def kiosk_client(config: KioskConfig) -> Iterator[KioskClient]:
    """The running kiosk's API when a kiosk process owns this terminal, else a kiosk opened
    here (its lock taken and crash recovery run) for as long as the block lasts.

    Raises :class:`~terminal.errors.KioskError` (e.g. the terminal is busy) like the calls do.
    """
    remote = running_client(config)
    if remote is not None:
        yield remote
        return
    from terminal.client.local import LocalKioskClient
    from terminal.kiosk import Kiosk

    with Kiosk(config) as kiosk:
        yield LocalKioskClient(kiosk)


def running_client(config: KioskConfig) -> RemoteKioskClient | None:
    """A client of the kiosk process that owns this terminal, or None when none runs."""
    from terminal.client.remote import RemoteKioskClient
    from terminal.kiosk import running_kiosk

    running = running_kiosk(config)
    return None if running is None else RemoteKioskClient(running)


__all__ = ["KioskClient", "SaleBody", "kiosk_client", "running_client"]
