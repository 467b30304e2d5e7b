"""What a peer said about one forwarded message: the vocabulary between forwarder and host client.

The forwarder decides what to do with a message (done, retry later, park) only from this; the
host client maps HTTP answers onto it. Neither needs to know the other's internals.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Literal

OutcomeKind = Literal["delivered", "duplicate", "retry", "dead"]


@dataclass(frozen=True)
class DeliveryOutcome:
    """The fate of one message after one attempt.

    ``delivered`` and ``duplicate`` are final successes (the host has it, once);
    ``retry`` is a transient failure (network, timeout, 408/429/5xx), optionally with the
    host's ``Retry-After`` in seconds; ``dead`` is a permanent refusal (4xx) that parks the
    message as a dead letter for a person to look at.
    """

    kind: OutcomeKind
    error: str | None = None
    retry_after_s: float | None = None
    response: dict[str, Any] = field(default_factory=dict)

    @property
    def is_success(self) -> bool:
        return self.kind in ("delivered", "duplicate")


class TransientSendError(Exception):
    """The whole batch could not be sent (host unreachable, timeout, 5xx): retry all of it."""

    def __init__(self, message: str, retry_after_s: float | None = None) -> None:
        super().__init__(message)
        self.retry_after_s = retry_after_s


__all__ = ["DeliveryOutcome", "OutcomeKind", "TransientSendError"]
