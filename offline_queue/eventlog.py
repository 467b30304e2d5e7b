"""One log record per state change, with a stable event name and chosen fields.

Why a helper in ``offline_queue``: the store, the forwarder and the terminal all change state,
and each logs at the one place the change happens; ``offline_queue`` never imports
``terminal``, so the helper lives here and ``terminal.logs`` renders the records (one
``key=value`` line each on stderr, for journald). Callers pass only fields that are safe to
log: transaction numbers, states, kinds, amounts, never a target (card number) or a secret.
"""

from __future__ import annotations

import logging
from typing import Any

#: Attribute names the formatter reads from a record made by :func:`emit`.
EVENT_ATTR = "event"
FIELDS_ATTR = "fields"


def emit(logger: logging.Logger, event: str, *, level: int = logging.INFO, **fields: Any) -> None:
    """Log ``event`` (e.g. ``sale.confirmed``) with ``fields``; ``None`` values are left out."""
    if not logger.isEnabledFor(level):
        return
    kept = {name: value for name, value in fields.items() if value is not None}
    logger.log(level, event, extra={EVENT_ATTR: event, FIELDS_ATTR: kept})


__all__ = ["EVENT_ATTR", "FIELDS_ATTR", "emit"]
