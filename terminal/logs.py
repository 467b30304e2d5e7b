"""The kiosk's log: one ``key=value`` line per record on stderr, for journald.

Why key=value and not free text: a shop's support reads ``journalctl -u kiosk`` and greps for
a stable event name (``event=sale.voided``, ``event=advice.dead``); every line is one record,
so a traceback is folded into one quoted value instead of spilling over many journal entries.
Under systemd (``$JOURNAL_STREAM`` set) each line starts with the syslog priority (``<3>``) so
journald files it at the right level, and the time is left to journald.

What never reaches the log: the emitters pass only safe fields (no target, no PIN), and this
formatter is the last guard: it masks any card-number-like digit run in free-text values
(``****1234``) and replaces every registered secret (the API token, the terminal key) with
``[redacted]`` wherever it appears in the line.
"""

from __future__ import annotations

import json
import logging
import os
import re
import sys
import threading
import traceback
from datetime import UTC, datetime
from typing import IO, Any

from offline_queue.eventlog import EVENT_ATTR, FIELDS_ATTR

#: The choices of ``--log-level``.
LEVELS = ("debug", "info", "warning", "error")

#: syslog priorities journald understands as a ``<N>`` line prefix.
_PRIORITY = {
    logging.DEBUG: 7,
    logging.INFO: 6,
    logging.WARNING: 4,
    logging.ERROR: 3,
    logging.CRITICAL: 2,
}

#: Values written without quotes; anything else is JSON-quoted (spaces, quotes, newlines).
_BARE = re.compile(r"^[A-Za-z0-9_.:/@+,\-]+$")
#: 12 to 19 digits, optionally grouped by single spaces or dashes: a card number's shape.
_DIGIT_RUN = re.compile(r"(?<![\d])\d(?:[ \-]?\d){11,18}(?![\d])")
#: Fields that are identifiers by construction (a transaction number may pass Luhn).
_IDENTIFIER_FIELDS = frozenset({"txn", "message_id", "seq"})
#: Shorter secrets would redact ordinary words; real tokens and keys are far longer.
_MIN_SECRET_LEN = 8

_secrets: set[str] = set()
_secrets_lock = threading.Lock()


def add_secret(secret: str | None) -> None:
    """Never write ``secret`` (an API token, a terminal key) in a log line from now on."""
    if secret and len(secret) >= _MIN_SECRET_LEN:
        with _secrets_lock:
            _secrets.add(secret)


def _luhn_ok(digits: str) -> bool:
    total = 0
    for position, char in enumerate(reversed(digits)):
        value = int(char)
        if position % 2:
            value *= 2
            if value > 9:
                value -= 9
        total += value
    return total % 10 == 0


def mask_card_numbers(text: str) -> str:
    """``4111 1111 1111 1111`` -> ``****1111``: any Luhn-valid run of 12-19 digits."""

    def mask(match: re.Match[str]) -> str:
        digits = re.sub(r"\D", "", match.group(0))
        return f"****{digits[-4:]}" if _luhn_ok(digits) else match.group(0)

    return _DIGIT_RUN.sub(mask, text)


def _value(name: str, value: Any) -> str:
    if isinstance(value, bool):
        text = "true" if value else "false"
    elif isinstance(value, int | float):
        text = str(value)
    elif isinstance(value, list | tuple | set | frozenset):
        text = ",".join(str(item) for item in value)
    else:
        text = str(value)
    if name not in _IDENTIFIER_FIELDS:
        text = mask_card_numbers(text)
    if text and _BARE.match(text):
        return text
    return json.dumps(text, ensure_ascii=False)


class KeyValueFormatter(logging.Formatter):
    """``event=NAME level=LEVEL key=value ...`` on one line; see the module's docstring."""

    def __init__(self, *, journald: bool | None = None) -> None:
        super().__init__()
        self.journald = bool(os.environ.get("JOURNAL_STREAM")) if journald is None else journald

    def format(self, record: logging.LogRecord) -> str:
        event = getattr(record, EVENT_ATTR, None)
        fields: dict[str, Any] = dict(getattr(record, FIELDS_ATTR, None) or {})
        pairs: list[tuple[str, Any]] = []
        if not self.journald:
            moment = datetime.fromtimestamp(record.created, UTC)
            pairs.append(("ts", moment.isoformat(timespec="milliseconds").replace("+00:00", "Z")))
        pairs.append(("event", event or "log"))
        pairs.append(("level", record.levelname.lower()))
        if event is None:
            pairs.append(("logger", record.name))
            pairs.append(("msg", record.getMessage()))
        pairs.extend(fields.items())
        if record.exc_info and record.exc_info[1] is not None:
            exc = record.exc_info[1]
            pairs.append(("error", f"{type(exc).__name__}: {exc}"))
            pairs.append(("traceback", "".join(traceback.format_exception(exc)).rstrip()))
        line = " ".join(f"{name}={_value(name, value)}" for name, value in pairs)
        with _secrets_lock:
            for secret in _secrets:
                line = line.replace(secret, "[redacted]")
        if self.journald:
            line = f"<{_PRIORITY.get(record.levelno, 6)}>{line}"
        return line


_handler: logging.Handler | None = None


def configure_logging(level: str, *, stream: IO[str] | None = None) -> None:
    """Send every log record, ours and the libraries', to stderr as key=value lines.

    Called once per command by the CLI; calling again replaces the handler (tests).
    """
    global _handler
    if level not in LEVELS:
        raise ValueError(f"log level must be one of {', '.join(LEVELS)}, not {level!r}")
    root = logging.getLogger()
    # Ours replaces logging's default handler, which a library calling logging.info() before
    # this installs (python-escpos does, at import); other handlers (a test runner's) stay.
    for old in list(root.handlers):
        if old is _handler or _is_default_handler(old):
            root.removeHandler(old)
    handler: logging.Handler = (
        logging.StreamHandler(stream) if stream is not None else _StderrHandler()
    )
    handler.setFormatter(KeyValueFormatter())
    if level != "debug":
        handler.addFilter(_quiet_root_chatter)
    root.addHandler(handler)
    root.setLevel(level.upper())
    _handler = handler


class _StderrHandler(logging.StreamHandler):
    """Writes to whatever ``sys.stderr`` is now: a test runner swaps it per command."""

    def __init__(self) -> None:
        super().__init__(sys.stderr)

    @property
    def stream(self) -> IO[str]:
        return sys.stderr

    @stream.setter
    def stream(self, value: IO[str]) -> None:
        pass


def _is_default_handler(handler: logging.Handler) -> bool:
    """What ``logging.basicConfig()`` installs: a plain StreamHandler on stderr."""
    return type(handler) is logging.StreamHandler and handler.stream in (
        sys.stderr,
        sys.__stderr__,
    )


def _quiet_root_chatter(record: logging.LogRecord) -> bool:
    """Drop a library's info lines on the root logger ("Network printer enabled" at every
    status read, from python-escpos); the kiosk's own records always have a named logger."""
    return not (record.name == "root" and record.levelno < logging.WARNING)


__all__ = [
    "LEVELS",
    "KeyValueFormatter",
    "add_secret",
    "configure_logging",
    "mask_card_numbers",
]
