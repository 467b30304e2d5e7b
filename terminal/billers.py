"""The host's biller catalog, cached: bill payments are checked against it before anything is
recorded (issue 14), on the screen, through the API and in ``kiosk sell`` alike."""

from __future__ import annotations

import threading
import time
from collections.abc import Callable

from terminal.errors import InvalidInput
from terminal.host_client import Biller, Catalog

#: How long the host's biller list is reused before it is asked again.
CATALOG_TTL_S = 600.0


class UnknownBiller(InvalidInput):
    """A bill payment to a biller the host's catalog does not list."""

    code = "unknown_biller"


class BillerCatalog:
    """The host's biller list, asked once and reused for a while (it rarely changes)."""

    def __init__(self, host: object, ttl_s: float = CATALOG_TTL_S) -> None:
        self._ask: Callable[[], Catalog] = host.catalog  # type: ignore[attr-defined]
        self.ttl_s = ttl_s
        self._lock = threading.Lock()
        self._catalog: Catalog | None = None
        self._at = 0.0

    def get(self, *, refresh: bool = False) -> Catalog:
        """The catalog; a :class:`KioskError` when the host cannot be asked and none is known."""
        with self._lock:
            fresh = time.monotonic() - self._at < self.ttl_s
            if self._catalog is not None and fresh and not refresh:
                return self._catalog
        catalog = self._ask()
        with self._lock:
            self._catalog, self._at = catalog, time.monotonic()
        return catalog

    def require(self, biller_id: str | None) -> Biller:
        """The biller ``biller_id`` as the host lists it, or :class:`UnknownBiller`.

        An id the cached list lacks is asked again once (a biller the host just added).
        """
        wanted = (biller_id or "").strip()
        if not wanted:
            raise UnknownBiller("Choose the biller the customer pays: nothing was recorded.")
        found = self.get().biller(wanted)
        if found is None:
            found = self.get(refresh=True).biller(wanted)
        if found is None:
            known = ", ".join(b.id for b in self.get().billers) or "none"
            raise UnknownBiller(
                f"The host lists no biller {wanted!r} (it lists: {known}): choose one of "
                "those. Nothing was recorded or sent."
            )
        return found


__all__ = ["CATALOG_TTL_S", "BillerCatalog", "UnknownBiller"]
