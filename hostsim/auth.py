"""Who is calling: the terminal signature check (HMAC, timestamp window, nonce replay).

The order matters: the signature is verified before the nonce is remembered, so a forger cannot
burn a real terminal's nonces, and the timestamp is checked before the signature so a replay of
an old captured request fails with a clear "stale" code instead of a confusing one.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime

from foundation.host_wire import (
    HEADER_NONCE,
    HEADER_SIGNATURE,
    HEADER_TERMINAL_ID,
    HEADER_TIMESTAMP,
    NONCE_PATTERN,
    ErrorCode,
    verify_request,
)
from hostsim.errors import HttpError
from hostsim.store import HostStore


def authenticate(
    store: HostStore,
    *,
    now: datetime,
    max_skew_s: int,
    method: str,
    target: str,
    headers: Mapping[str, str],
    body: bytes,
) -> str:
    """The calling terminal's id, or an :class:`HttpError` 401 saying what is wrong."""
    lower = {name.lower(): value for name, value in headers.items()}  # names are case-blind
    terminal_id = lower.get(HEADER_TERMINAL_ID.lower())
    timestamp = lower.get(HEADER_TIMESTAMP.lower())
    nonce = lower.get(HEADER_NONCE.lower())
    signature = lower.get(HEADER_SIGNATURE.lower())
    if not terminal_id or not timestamp or not nonce or not signature:
        missing = [
            name
            for name, value in (
                (HEADER_TERMINAL_ID, terminal_id),
                (HEADER_TIMESTAMP, timestamp),
                (HEADER_NONCE, nonce),
                (HEADER_SIGNATURE, signature),
            )
            if not value
        ]
        raise HttpError(
            401, ErrorCode.MISSING_AUTH, f"request is not signed: missing {', '.join(missing)}"
        )
    key = store.terminal_key(terminal_id)
    if key is None:
        raise HttpError(
            401,
            ErrorCode.UNKNOWN_TERMINAL,
            f"terminal {terminal_id!r} is not registered at this host; register it with "
            "'kiosk-host terminal add' or check terminal.id in kiosk.toml",
        )
    if not timestamp.isdigit():
        raise HttpError(401, ErrorCode.STALE_TIMESTAMP, f"{HEADER_TIMESTAMP} must be unix seconds")
    now_s = int(now.timestamp())
    skew = int(timestamp) - now_s
    if abs(skew) > max_skew_s:
        raise HttpError(
            401,
            ErrorCode.STALE_TIMESTAMP,
            f"request time is {skew:+d} s from the host's clock (allowed ±{max_skew_s} s); "
            "set the terminal's clock right",
        )
    if not NONCE_PATTERN.fullmatch(nonce):
        raise HttpError(
            401, ErrorCode.BAD_SIGNATURE, f"{HEADER_NONCE} must be 16-64 letters, digits, - or _"
        )
    if not verify_request(key, method, target, timestamp, nonce, body, signature):
        raise HttpError(
            401,
            ErrorCode.BAD_SIGNATURE,
            "signature does not match; check the terminal key in kiosk.toml (it must be the one "
            "registered at the host)",
        )
    if not store.remember_nonce(terminal_id, nonce, now_s):
        raise HttpError(
            401, ErrorCode.NONCE_REUSED, "this nonce was already used; each request needs a new one"
        )
    return terminal_id


__all__ = ["authenticate"]
