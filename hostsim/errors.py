"""The host's two ways of saying no: a business decline, and an HTTP-level error.

A :class:`Decline` is a normal answer (HTTP 200, ``status: declined``) the clerk reads to the
customer, so its reason is in plain words. An :class:`HttpError` is a broken request (4xx) or a
host problem (5xx); the terminal never shows its text to a customer, only to support.
"""

from __future__ import annotations


class Decline(Exception):
    """The issuer or operator refuses this sale; ``reason`` is what the clerk tells the customer."""

    def __init__(self, code: str, reason: str) -> None:
        super().__init__(f"{code}: {reason}")
        self.code = code
        self.reason = reason


class HttpError(Exception):
    """A request the host cannot process; becomes ``{"error": {"code", "message"}}``."""

    def __init__(
        self, status: int, code: str, message: str, *, retry_after_s: int | None = None
    ) -> None:
        super().__init__(f"{status} {code}: {message}")
        self.status = status
        self.code = code
        self.message = message
        self.retry_after_s = retry_after_s


__all__ = ["Decline", "HttpError"]
