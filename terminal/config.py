"""kiosk.toml: one file, checked completely when it is loaded.

A terminal that starts selling with a typo in a tariff charges customers the wrong amount, so
:func:`load_config` refuses the whole file at start-up and its :class:`ConfigError` names the
dotted key (``products.card-topup.fees[1].per``; array positions count from 0), the bad value
and what is allowed. Amounts are strings in major units (``"247.00"``) or whole integers;
floats are refused because they cannot hold every cent. Durations carry their unit (``"5s"``,
``"500ms"``, ``"5m"``, ``"24h"``).

Top-level tables this module does not know (say ``[ui]``) are kept, unchecked, in
:attr:`KioskConfig.sections` for the area that owns them; unknown keys inside known tables are
refused, since there they can only be typos.
"""

from __future__ import annotations

import json
import math
import os
import re
import secrets
import tempfile
import tomllib
from collections.abc import Mapping
from dataclasses import dataclass, field
from importlib import resources
from pathlib import Path
from types import MappingProxyType
from typing import Any
from urllib.parse import parse_qsl, urlsplit
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from babel import Locale, UnknownLocaleError

from foundation.money import (
    CURRENCY_EXPONENTS,
    DEFAULT_MONEY_STYLES,
    CurrencyStyle,
    Money,
    MoneyError,
    MoneyStyles,
    Writing,
)
from offline_queue.private import make_private_folder
from terminal.catalog import (
    DEFAULT_REVERSAL_WINDOWS,
    PRODUCT_IDS,
    PRODUCT_TARGETS,
    TENDERS,
    OfflinePolicy,
    ProductConfig,
    ReversalWindow,
)
from terminal.errors import ConfigError, ConfigExists, InvalidDuration, UnknownProduct
from terminal.tariffs import Band, BandFee, FeeRule, FlatFee, PerStartedFee

#: Languages slips and screens can be shown in (Babel locale ids of the message catalogs).
LANGUAGES: tuple[str, ...] = ("sl", "sr_Latn", "az", "fi", "en")

PRINTER_SCHEMES: tuple[str, ...] = ("tcp", "usb", "serial", "file")

DEFAULT_TERMINAL_ID = "12345"


@dataclass(frozen=True)
class Market:
    """What a market fixes: country (for phone numbers), currency, language, locale, time zone."""

    id: str
    region: str
    currency: str
    language: str
    locale: str
    timezone: str


MARKETS: dict[str, Market] = {
    "si": Market("si", "SI", "EUR", "sl", "sl_SI", "Europe/Ljubljana"),
    "rs": Market("rs", "RS", "RSD", "sr_Latn", "sr_Latn_RS", "Europe/Belgrade"),
    "az": Market("az", "AZ", "AZN", "az", "az_Latn_AZ", "Asia/Baku"),
    "fi": Market("fi", "FI", "EUR", "fi", "fi_FI", "Europe/Helsinki"),
}


@dataclass(frozen=True)
class TerminalConfig:
    id: str
    key: str
    market: str
    language: str
    languages: tuple[str, ...]
    locale: str
    timezone: str
    merchant_name: str
    merchant_address: str
    #: ISO 3166 country whose mobile numbers this market tops up (``SI``, ``RS``, ...).
    region: str
    #: The market's own currency; terminal-wide amounts (``id_check_above``) are in it.
    currency: str
    id_check_above_minor: int | None = None

    def __repr__(self) -> str:  # the key signs host requests: keep it out of logs
        return f"TerminalConfig(id={self.id!r}, market={self.market!r}, key=<hidden>)"


@dataclass(frozen=True)
class StoreConfig:
    path: Path


@dataclass(frozen=True)
class PrinterConfig:
    url: str
    profile: str
    width: int
    language: str
    timeout_s: float
    #: slowest mechanism a job's deadline allows for (mm/s); deadlines follow the job's size
    print_speed_mm_s: int = 40
    #: no job may take longer than this to send and prove
    max_job_time_s: float = 120.0


@dataclass(frozen=True)
class HostConfig:
    url: str
    connect_timeout_s: float
    read_timeout_s: float
    #: How often the kiosk process asks the host's health check for the status bar.
    health_interval_s: float = 5.0
    #: How late the host still honours a confirm advice (docs/host-protocol.md#advice-horizon):
    #: the protocol promises at least 24 h.
    advice_horizon_s: float = 24 * 3600.0
    #: New sales are refused while the oldest undelivered confirm is within this of the horizon.
    advice_margin_s: float = 4 * 3600.0

    @property
    def advice_refuse_after_s(self) -> float:
        """Age of the oldest undelivered confirm from which no new sale starts."""
        return self.advice_horizon_s - self.advice_margin_s


@dataclass(frozen=True)
class ForwarderConfig:
    batch_size: int
    lease_s: float
    backoff_base_s: float
    backoff_cap_s: float
    circuit_failures: int
    circuit_cooldown_s: float


@dataclass(frozen=True)
class ClerksConfig:
    """Sign-in at the counter (``[clerks]``): lockout after wrong PINs, screen auto-lock."""

    #: wrong PINs in a row before the clerk's sign-in is locked
    max_failures: int = 5
    #: how long that lock lasts (a supervisor can unlock sooner)
    lockout_s: float = 15 * 60.0
    #: inactivity after which the counter screen locks (the web UI enforces it)
    auto_lock_s: float = 2 * 60.0


#: Loopback names: the screen on the counter's own machine.
DEFAULT_ALLOWED_HOSTS: tuple[str, ...] = ("localhost", "127.0.0.1", "::1")
_HOST_NAME = re.compile(
    r"\A(?:[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?\.?)+\Z|\A[0-9a-fA-F:]+\Z"
)


@dataclass(frozen=True)
class ApiConfig:
    """The local API (``[api]``); ``token`` is what the shop's till sends as a Bearer token.

    ``None``: the kiosk process makes up a token per run and publishes it in its lock file
    (enough for ``kiosk`` commands on this machine, not for a till).
    """

    token: str | None = None
    #: Host names the screen and the API answer to (the ``Host`` header); anything else is
    #: refused, so a page on another site cannot reach them by DNS rebinding.
    allowed_hosts: tuple[str, ...] = DEFAULT_ALLOWED_HOSTS
    #: ``"token"``: /docs and /openapi.json need the API token; ``"off"``: they are not served.
    docs: str = "token"
    #: The largest request body read, in bytes; a larger one is refused with 413.
    max_body_bytes: int = 65536

    def __repr__(self) -> str:  # a Bearer token opens the till's API: keep it out of logs
        return (
            f"ApiConfig(token={'<hidden>' if self.token else None}, "
            f"allowed_hosts={self.allowed_hosts!r}, docs={self.docs!r}, "
            f"max_body_bytes={self.max_body_bytes})"
        )


@dataclass(frozen=True)
class SerialDeviceConfig:
    """A serial input device (``[scanner]``): pyserial port or URL and line settings."""

    url: str
    baudrate: int = 9600
    bytesize: int = 8
    parity: str = "N"
    stopbits: float = 1


@dataclass(frozen=True)
class ReaderConfig(SerialDeviceConfig):
    """The magnetic-stripe reader (``[reader]``); ``framing`` as in ``drivers.card_reader``."""

    framing: str = "auto"


@dataclass(frozen=True)
class KioskConfig:
    """The whole validated configuration; amounts already in minor units."""

    path: Path
    terminal: TerminalConfig
    store: StoreConfig
    printer: PrinterConfig
    host: HostConfig
    forwarder: ForwarderConfig
    products: dict[str, ProductConfig]
    #: Top-level tables owned by other areas, as read (unchecked here).
    sections: Mapping[str, Any] = field(default_factory=lambda: MappingProxyType({}))
    #: Serial card reader and scanner; ``None`` when the table or its ``url`` is left out.
    reader: ReaderConfig | None = None
    scanner: SerialDeviceConfig | None = None
    clerks: ClerksConfig = field(default_factory=ClerksConfig)
    api: ApiConfig = field(default_factory=ApiConfig)
    #: How slips and screens write money: the built-in table with this market's ``[money]``.
    money: MoneyStyles = DEFAULT_MONEY_STYLES

    def product(self, product_id: str) -> ProductConfig:
        """The product, or :class:`UnknownProduct` naming the ones this terminal sells."""
        try:
            return self.products[product_id]
        except KeyError:
            sold = ", ".join(self.products)
            raise UnknownProduct(
                f"This terminal does not sell {product_id!r}: choose one of {sold}."
            ) from None

    def summary(self) -> dict[str, Any]:
        """What ``kiosk config check`` shows; never the key."""
        t = self.terminal
        return {
            "ok": True,
            "path": str(self.path),
            "terminal": {
                "id": t.id,
                "market": t.market,
                "language": t.language,
                "languages": list(t.languages),
                "locale": t.locale,
                "timezone": t.timezone,
                "merchant_name": t.merchant_name,
            },
            "store": str(self.store.path),
            "printer": self.printer.url,
            "host": self.host.url,
            "reader": self.reader.url if self.reader else None,
            "scanner": self.scanner.url if self.scanner else None,
            "clerks": {
                "max_failures": self.clerks.max_failures,
                "lockout_s": self.clerks.lockout_s,
                "auto_lock_s": self.clerks.auto_lock_s,
            },
            "api_token": "set" if self.api.token else "per run",
            "products": [
                {
                    "id": p.id,
                    "currency": p.currency,
                    "min_minor": p.min_minor,
                    "max_minor": p.max_minor,
                    "step_minor": p.step_minor,
                    "fees": [rule.name for rule in p.fees],
                    "reversal_window": p.reversal_window.describe(),
                    "offline": "allowed" if p.offline.allowed else "forbidden",
                }
                for p in self.products.values()
            ],
        }


# --- durations ------------------------------------------------------------------------------

_DURATION_PART = re.compile(r"(\d+(?:\.\d+)?)(ms|s|m|h|d)")
#: The longest duration any setting takes; a longer one is a typo (and would overflow timers).
MAX_DURATION_S = 366 * 86400.0
#: The longest a single wait on a peer (printer, host, a sale attempt) may be.
MAX_TIMEOUT_S = 600.0
_UNIT_SECONDS = {"ms": 0.001, "s": 1.0, "m": 60.0, "h": 3600.0, "d": 86400.0}


def parse_duration(text: str) -> float:
    """Seconds in ``"5s"``, ``"500ms"``, ``"5m"``, ``"24h"``, ``"1d"`` or ``"1h30m"``.

    The unit is mandatory: a bare ``5`` in a config file is a guess about seconds vs minutes.
    """
    if not isinstance(text, str):
        raise InvalidDuration(
            f'{text!r} is not a duration: write it with its unit, such as "5s", "500ms" or "5m".'
        )
    cleaned = text.strip().replace(" ", "")
    position = 0
    total = 0.0
    while position < len(cleaned):
        match = _DURATION_PART.match(cleaned, position)
        if match is None:
            break
        total += float(match.group(1)) * _UNIT_SECONDS[match.group(2)]
        position = match.end()
    if not cleaned or position != len(cleaned) or not math.isfinite(total):
        raise InvalidDuration(
            f'{text!r} is not a duration: write it with its unit, such as "5s", "500ms" or "5m".'
        )
    return total


# --- reading helpers ------------------------------------------------------------------------


def _show(value: Any) -> str:
    if isinstance(value, str):
        return json.dumps(value, ensure_ascii=False)
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, (dict, list)):
        text = json.dumps(value, ensure_ascii=False, default=str)
        return text if len(text) <= 60 else text[:57] + "..."
    return repr(value)


class _Reader:
    """Reads one file's tables, building errors that name the dotted key."""

    def __init__(self, path: Path) -> None:
        self.path = path

    def bad(self, key: str, value: Any, allowed: str) -> ConfigError:
        return ConfigError(
            f"{self.path}: {key} = {_show(value)} is not allowed: {allowed}.", key=key
        )

    def missing(self, key: str, allowed: str) -> ConfigError:
        return ConfigError(f"{self.path}: {key} is missing: {allowed}.", key=key)

    def table(self, data: Mapping[str, Any], key: str, name: str) -> dict[str, Any]:
        full = _join(key, name)
        value = data.get(name, {})
        if not isinstance(value, dict):
            raise self.bad(full, value, f"make [{full}] a table")
        return value

    def only(self, data: Mapping[str, Any], key: str, allowed: tuple[str, ...]) -> None:
        for name in data:
            if name not in allowed:
                raise self.bad(
                    _join(key, name),
                    data[name],
                    f"[{key}] has no such setting; it knows {', '.join(allowed)}",
                )

    def string(
        self,
        data: Mapping[str, Any],
        key: str,
        name: str,
        default: str | None = None,
        *,
        allowed: str = "write it as a string in quotes",
    ) -> str:
        full = _join(key, name)
        if name not in data:
            if default is None:
                raise self.missing(full, allowed)
            return default
        value = data[name]
        if not isinstance(value, str):
            raise self.bad(full, value, allowed)
        return value

    def choice(
        self, data: Mapping[str, Any], key: str, name: str, choices: tuple[str, ...], default: str
    ) -> str:
        allowed = f"use one of {', '.join(_show(c) for c in choices)}"
        value = self.string(data, key, name, default or None, allowed=allowed)
        if value not in choices:
            raise self.bad(_join(key, name), value, allowed)
        return value

    def integer(
        self, data: Mapping[str, Any], key: str, name: str, default: int, low: int, high: int
    ) -> int:
        full = _join(key, name)
        value = data.get(name, default)
        if isinstance(value, bool) or not isinstance(value, int) or not low <= value <= high:
            raise self.bad(full, value, f"write a whole number from {low} to {high}")
        return value

    def duration(
        self,
        data: Mapping[str, Any],
        key: str,
        name: str,
        default: str,
        *,
        positive: bool = True,
    ) -> float:
        full = _join(key, name)
        value = data.get(name, default)
        allowed = 'write a duration with its unit, such as "5s", "500ms", "5m" or "24h"'
        try:
            seconds = parse_duration(value)
        except InvalidDuration:
            raise self.bad(full, value, allowed) from None
        if positive and seconds <= 0:
            raise self.bad(full, value, "write a duration longer than zero")
        longest = MAX_TIMEOUT_S if name.endswith("timeout") else MAX_DURATION_S
        if seconds > longest:
            raise self.bad(full, value, f"write a duration up to {_longest(longest)}")
        return seconds

    def amount(
        self,
        data: Mapping[str, Any],
        key: str,
        name: str,
        currency: str,
        *,
        positive: bool = False,
        required: bool = True,
    ) -> int | None:
        full = _join(key, name)
        if name not in data:
            if required:
                raise self.missing(full, f'write an amount in {currency}, such as "1.00"')
            return None
        return self.money(data[name], full, currency, positive=positive)

    def money(self, value: Any, key: str, currency: str, *, positive: bool = False) -> int:
        if isinstance(value, float):
            raise self.bad(
                key,
                value,
                f'write the amount as a string such as "{value:.2f}", not a float '
                "(a float cannot hold every cent)",
            )
        if isinstance(value, bool) or not isinstance(value, (str, int)):
            raise self.bad(key, value, f'write an amount in {currency}, such as "1.00"')
        try:
            minor = Money.parse(value, currency).minor
        except MoneyError as exc:
            raise self.bad(key, value, str(exc)) from None
        if minor < 0 or (positive and minor == 0):
            raise self.bad(
                key, value, "write an amount above zero" if positive else "write 0 or more"
            )
        return minor


def _longest(seconds: float) -> str:
    return f"{seconds / 86400:g}d" if seconds >= 86400 else f"{seconds / 60:g}m"


def _join(key: str, name: str) -> str:
    return f"{key}.{name}" if key else name


# --- sections -------------------------------------------------------------------------------


def _terminal(r: _Reader, data: Mapping[str, Any]) -> TerminalConfig:
    key = "terminal"
    r.only(
        data,
        key,
        (
            "id",
            "key",
            "market",
            "language",
            "languages",
            "locale",
            "timezone",
            "merchant_name",
            "merchant_address",
            "id_check_above",
        ),
    )
    id_allowed = 'write exactly 5 digits in quotes, such as "12345"'
    terminal_id = r.string(data, key, "id", allowed=id_allowed)
    if not re.fullmatch(r"[0-9]{5}", terminal_id):
        raise r.bad("terminal.id", terminal_id, id_allowed)

    secret = data.get("key")
    key_allowed = "write the hex key `kiosk init` generated (at least 32 hex digits)"
    if secret is None:
        raise r.missing("terminal.key", key_allowed)
    if not isinstance(secret, str) or not re.fullmatch(r"(?:[0-9a-fA-F]{2}){16,}", secret):
        # Never echo the secret: the message may end up in a log or on a screen.
        length = len(secret) if isinstance(secret, str) else 0
        raise ConfigError(
            f"{r.path}: terminal.key (a value of {length} characters, not shown) is not "
            f"allowed: {key_allowed}.",
            key="terminal.key",
        )

    market_id = r.choice(data, key, "market", tuple(MARKETS), "")
    market = MARKETS[market_id]
    language = r.choice(data, key, "language", LANGUAGES, market.language)

    raw_languages = data.get("languages", [language, "en"])
    lang_allowed = f"list languages from {', '.join(LANGUAGES)}"
    if not isinstance(raw_languages, list) or not all(
        isinstance(x, str) and x in LANGUAGES for x in raw_languages
    ):
        raise r.bad("terminal.languages", raw_languages, lang_allowed)
    languages = tuple(dict.fromkeys([*raw_languages, "en"]))
    if language not in languages:
        raise r.bad("terminal.languages", raw_languages, f"include the language {language!r}")

    locale = r.string(data, key, "locale", market.locale)
    try:
        Locale.parse(locale)
    except (UnknownLocaleError, ValueError):
        raise r.bad("terminal.locale", locale, 'use a Babel locale such as "sl_SI"') from None

    timezone = r.string(data, key, "timezone", market.timezone)
    try:
        ZoneInfo(timezone)
    except (ZoneInfoNotFoundError, ValueError):
        raise r.bad(
            "terminal.timezone", timezone, 'use an IANA time zone such as "Europe/Ljubljana"'
        ) from None

    merchant_name = r.string(data, key, "merchant_name", allowed="write the shop's name")
    merchant_address = r.string(data, key, "merchant_address", allowed="write the shop's address")
    for name, value in (("merchant_name", merchant_name), ("merchant_address", merchant_address)):
        if not value.strip():
            raise r.bad(f"terminal.{name}", value, "it is printed on every slip: fill it in")

    id_check = r.amount(data, key, "id_check_above", market.currency, required=False)
    return TerminalConfig(
        id=terminal_id,
        key=secret,
        market=market_id,
        language=language,
        languages=languages,
        locale=locale,
        timezone=timezone,
        merchant_name=merchant_name.strip(),
        merchant_address=merchant_address.strip(),
        region=market.region,
        currency=market.currency,
        id_check_above_minor=id_check,
    )


def _store(r: _Reader, data: Mapping[str, Any]) -> StoreConfig:
    r.only(data, "store", ("path",))
    raw = r.string(data, "store", "path", "kiosk.sqlite", allowed="write a file path in quotes")
    if not raw.strip():
        raise r.bad("store.path", raw, 'write a file path such as "kiosk.sqlite"')
    path = Path(raw).expanduser()
    if not path.is_absolute():
        path = r.path.parent.resolve() / path
    return StoreConfig(path=path)


def _check_printer_url(r: _Reader, url: str) -> None:
    allowed = (
        "use tcp://HOST:PORT, usb://VID:PID, serial:///dev/ttyUSB0?baudrate=19200 "
        "or file:///dev/usb/lp0"
    )
    parts = urlsplit(url)
    if parts.scheme not in PRINTER_SCHEMES:
        raise r.bad("printer.url", url, allowed)
    if parts.scheme == "tcp":
        try:
            port = parts.port
        except ValueError:
            port = None
        if not parts.hostname or port is None or not 0 < port < 65536 or parts.path:
            raise r.bad("printer.url", url, "write tcp://HOST:PORT, such as tcp://127.0.0.1:9100")
    elif parts.scheme == "usb":
        if not re.fullmatch(r"[0-9a-fA-F]{1,4}:[0-9a-fA-F]{1,4}", parts.netloc) or parts.path:
            raise r.bad("printer.url", url, "write usb://VID:PID in hex, such as usb://04b8:0202")
    else:
        if parts.netloc or not parts.path:
            raise r.bad(
                "printer.url", url, f"write {parts.scheme}:///path/to/device (three slashes)"
            )
        query = parse_qsl(parts.query, keep_blank_values=True)
        for name, value in query:
            if parts.scheme != "serial" or name != "baudrate" or not value.isdigit():
                raise r.bad(
                    "printer.url", url, "the only option is ?baudrate=N, and only for serial://"
                )


def _printer(r: _Reader, data: Mapping[str, Any], terminal: TerminalConfig) -> PrinterConfig:
    key = "printer"
    r.only(
        data,
        key,
        ("url", "profile", "width", "language", "timeout", "print_speed", "max_job_time"),
    )
    url = r.string(data, key, "url", "tcp://127.0.0.1:9100")
    _check_printer_url(r, url)
    profile = r.string(data, key, "profile", "TM-T88V")
    from drivers.escpos_cache import capabilities  # loads a database: only when checking

    known = tuple(capabilities()["profiles"])
    if profile not in known:
        raise r.bad("printer.profile", profile, 'use a python-escpos profile such as "TM-T88V"')
    width = r.integer(data, key, "width", 42, 16, 80)
    language = r.choice(data, key, "language", terminal.languages, terminal.language)
    timeout = r.duration(data, key, "timeout", "5s")
    print_speed = r.integer(data, key, "print_speed", 40, 5, 1000)
    max_job_time = r.duration(data, key, "max_job_time", "120s")
    if max_job_time < timeout:
        raise r.bad("printer.max_job_time", data.get("max_job_time"), "write at least the timeout")
    return PrinterConfig(
        url=url,
        profile=profile,
        width=width,
        language=language,
        timeout_s=timeout,
        print_speed_mm_s=print_speed,
        max_job_time_s=max_job_time,
    )


def _host(r: _Reader, data: Mapping[str, Any]) -> HostConfig:
    key = "host"
    r.only(
        data,
        key,
        (
            "url",
            "connect_timeout",
            "read_timeout",
            "health_interval",
            "advice_horizon",
            "advice_margin",
        ),
    )
    url = r.string(data, key, "url", "http://127.0.0.1:8700")
    parts = urlsplit(url)
    try:
        port_ok = parts.port is None or 0 < parts.port < 65536
    except ValueError:  # a port that is not a number
        port_ok = False
    if parts.scheme not in ("http", "https") or not parts.hostname or not port_ok:
        raise r.bad(
            "host.url",
            url,
            'write http://HOST:PORT or https://HOST, such as "http://127.0.0.1:8700"',
        )
    horizon = r.duration(data, key, "advice_horizon", "24h")
    margin = r.duration(data, key, "advice_margin", "4h")
    if margin >= horizon:
        raise r.bad(
            "host.advice_margin",
            data.get("advice_margin", "4h"),
            "make it shorter than host.advice_horizon",
        )
    return HostConfig(
        url=url.rstrip("/"),
        connect_timeout_s=r.duration(data, key, "connect_timeout", "3s"),
        read_timeout_s=r.duration(data, key, "read_timeout", "10s"),
        health_interval_s=r.duration(data, key, "health_interval", "5s"),
        advice_horizon_s=horizon,
        advice_margin_s=margin,
    )


def _forwarder(r: _Reader, data: Mapping[str, Any]) -> ForwarderConfig:
    key = "forwarder"
    r.only(
        data,
        key,
        (
            "batch_size",
            "lease",
            "backoff_base",
            "backoff_cap",
            "circuit_failures",
            "circuit_cooldown",
        ),
    )
    base = r.duration(data, key, "backoff_base", "1s")
    cap = r.duration(data, key, "backoff_cap", "300s")
    if cap < base:
        raise r.bad(
            "forwarder.backoff_cap",
            data.get("backoff_cap", "300s"),
            "make it at least backoff_base",
        )
    return ForwarderConfig(
        batch_size=r.integer(data, key, "batch_size", 100, 1, 1000),
        lease_s=r.duration(data, key, "lease", "30s"),
        backoff_base_s=base,
        backoff_cap_s=cap,
        circuit_failures=r.integer(data, key, "circuit_failures", 5, 1, 1000),
        circuit_cooldown_s=r.duration(data, key, "circuit_cooldown", "30s"),
    )


# --- products -------------------------------------------------------------------------------

_PRODUCT_KEYS = (
    "name",
    "currency",
    "min",
    "max",
    "step",
    "tender",
    "reversal_window",
    "offline",
    "fees",
    "target",
    "id_check_above",
    "attempt_timeout",
    "phone_prefixes",
    "benefit_types",
    "message_max_length",
)


def _reversal_window(r: _Reader, key: str, value: Any) -> ReversalWindow:
    allowed = 'use a duration such as "5m" or "90s", "same_day" or "none"'
    if value == "none":
        return ReversalWindow("none")
    if value == "same_day":
        return ReversalWindow("same_day")
    try:
        seconds = parse_duration(value)
    except InvalidDuration:
        raise r.bad(key, value, allowed) from None
    if seconds <= 0 or seconds != int(seconds):
        raise r.bad(key, value, "use whole seconds above zero, " + allowed)
    if seconds > MAX_DURATION_S:
        raise r.bad(key, value, f"use at most {_longest(MAX_DURATION_S)}, " + allowed)
    return ReversalWindow("duration", int(seconds))


def _offline(r: _Reader, key: str, value: Any, currency: str) -> OfflinePolicy:
    table_hint = (
        'write "forbidden", or a table with policy = "allowed", max_amount, '
        "max_unforwarded_total and max_age"
    )
    if value == "forbidden":
        return OfflinePolicy(False)
    if not isinstance(value, dict):
        raise r.bad(key, value, table_hint)
    r.only(value, key, ("policy", "max_amount", "max_unforwarded_total", "max_age"))
    policy = r.choice(value, key, "policy", ("allowed", "forbidden"), "")
    if policy == "forbidden":
        return OfflinePolicy(False)
    max_amount = r.amount(value, key, "max_amount", currency, positive=True)
    total = r.amount(value, key, "max_unforwarded_total", currency, positive=True)
    assert max_amount is not None and total is not None
    if total < max_amount:
        raise r.bad(
            f"{key}.max_unforwarded_total",
            value["max_unforwarded_total"],
            "make it at least max_amount",
        )
    if "max_age" not in value:
        raise r.missing(
            f"{key}.max_age", 'write how old the oldest unforwarded sale may get, e.g. "24h"'
        )
    max_age = r.duration(value, key, "max_age", "")
    return OfflinePolicy(True, max_amount, total, max_age)


def _fee(r: _Reader, key: str, data: Any, currency: str, max_minor: int) -> FeeRule:
    if not isinstance(data, dict):
        raise r.bad(key, data, "write each fee as a [[...fees]] table")
    name = r.string(data, key, "name", allowed='give the fee a message id such as "topup_fee"')
    if not re.fullmatch(r"[a-z][a-z0-9_]*", name):
        raise r.bad(f"{key}.name", name, 'use a snake_case message id such as "topup_fee"')
    rule = r.choice(data, key, "rule", ("flat", "per_started", "bands"), "")
    if rule == "bands":
        r.only(data, key, ("name", "rule", "bands"))
        raw = data.get("bands")
        if not isinstance(raw, list) or not raw:
            raise r.bad(
                f"{key}.bands", raw, 'list bands such as [{upto = "25.00", amount = "2.00"}]'
            )
        bands = []
        previous = -1
        for index, item in enumerate(raw):
            band_key = f"{key}.bands[{index}]"
            if not isinstance(item, dict):
                raise r.bad(band_key, item, 'write a band as {upto = "25.00", amount = "2.00"}')
            r.only(item, band_key, ("upto", "amount"))
            upto = r.amount(item, band_key, "upto", currency, positive=True)
            amount = r.amount(item, band_key, "amount", currency)
            assert upto is not None and amount is not None
            if upto <= previous:
                raise r.bad(
                    f"{band_key}.upto", item["upto"], "make each band end above the previous one"
                )
            previous = upto
            bands.append(Band(upto, amount))
        if bands[-1].upto_minor < max_minor:
            raise r.bad(
                f"{key}.bands[{len(bands) - 1}].upto",
                raw[-1]["upto"],
                "the last band must reach the product's max "
                f"({Money(max_minor, currency).plain()})",
            )
        return BandFee(name, tuple(bands))
    allowed_keys: tuple[str, ...] = ("name", "rule", "amount", "from", "to")
    if rule == "per_started":
        allowed_keys = (*allowed_keys, "per")
    r.only(data, key, allowed_keys)
    amount = r.amount(data, key, "amount", currency)
    low = r.amount(data, key, "from", currency, required=False)
    high = r.amount(data, key, "to", currency, required=False)
    assert amount is not None
    if low is not None and high is not None and high < low:
        raise r.bad(f"{key}.to", data["to"], "make it at least `from`")
    if rule == "flat":
        return FlatFee(name, amount, low, high)
    per = r.amount(data, key, "per", currency, positive=True)
    assert per is not None
    return PerStartedFee(name, amount, per, low, high)


def _product(
    r: _Reader, product_id: str, data: Any, terminal: TerminalConfig, money: MoneyStyles
) -> ProductConfig:
    key = f"products.{product_id}"
    if product_id not in PRODUCT_IDS:
        raise r.bad(key, data, f"products are {', '.join(PRODUCT_IDS)}")
    if not isinstance(data, dict):
        raise r.bad(key, data, f"make [{key}] a table")
    r.only(data, key, _PRODUCT_KEYS)
    target = PRODUCT_TARGETS[product_id]

    currency = r.choice(data, key, "currency", tuple(CURRENCY_EXPONENTS), terminal.currency)
    min_minor = r.amount(data, key, "min", currency, positive=True)
    max_minor = r.amount(data, key, "max", currency, positive=True)
    assert min_minor is not None and max_minor is not None
    step = 1  # one minor unit unless the file says otherwise
    if "step" in data:
        step = r.money(data["step"], f"{key}.step", currency, positive=True)
    if max_minor < min_minor:
        raise r.bad(f"{key}.max", data["max"], "make it at least min")
    for name, value in (("min", min_minor), ("max", max_minor)):
        if value % step:
            raise r.bad(f"{key}.{name}", data[name], "make it a whole number of steps")

    tender = data.get("tender", ["cash"])
    if (
        not isinstance(tender, list)
        or not tender
        or not all(isinstance(t, str) and t in TENDERS for t in tender)
    ):
        raise r.bad(f"{key}.tender", tender, f"list tenders from {', '.join(TENDERS)}")
    if "benefit" in tender and (tender != ["benefit"] or target != "benefit_account"):
        raise r.bad(
            f"{key}.tender",
            tender,
            'only a benefit payment (target = "benefit_account") is paid from the benefit, '
            'and then only from it: write tender = ["benefit"]',
        )

    window = _reversal_window(
        r,
        f"{key}.reversal_window",
        data.get("reversal_window", DEFAULT_REVERSAL_WINDOWS[product_id]),
    )
    offline = _offline(r, f"{key}.offline", data.get("offline", "forbidden"), currency)

    raw_fees = data.get("fees", [])
    if not isinstance(raw_fees, list):
        raise r.bad(f"{key}.fees", raw_fees, f"write each fee as a [[{key}.fees]] table")
    fees = tuple(
        _fee(r, f"{key}.fees[{i}]", item, currency, max_minor) for i, item in enumerate(raw_fees)
    )
    names = [fee.name for fee in fees]
    for index, name in enumerate(names):
        if name in names[:index]:
            raise r.bad(f"{key}.fees[{index}].name", name, "give each fee its own name")

    if "target" in data and data["target"] != target:
        raise r.bad(f"{key}.target", data["target"], f"{product_id} always identifies a {target!r}")

    id_check: int | None
    if data.get("id_check_above") == "none":
        id_check = None
    elif "id_check_above" in data:
        id_check = r.money(data["id_check_above"], f"{key}.id_check_above", currency)
    elif terminal.id_check_above_minor is not None and currency != terminal.currency:
        raise r.missing(
            f"{key}.id_check_above",
            f"terminal.id_check_above is in {terminal.currency}; "
            f"give this {currency} product its own",
        )
    else:
        id_check = terminal.id_check_above_minor

    attempt_timeout = r.duration(data, key, "attempt_timeout", "120s")

    prefixes: tuple[str, ...] = ()
    if "phone_prefixes" in data:
        raw = data["phone_prefixes"]
        if target != "phone":
            raise r.bad(f"{key}.phone_prefixes", raw, "only a mobile top-up has phone prefixes")
        if (
            not isinstance(raw, list)
            or not raw
            or not all(isinstance(p, str) and re.fullmatch(r"0?[1-9][0-9]*", p) for p in raw)
        ):
            raise r.bad(
                f"{key}.phone_prefixes", raw, 'list national prefixes such as ["064", "065"]'
            )
        prefixes = tuple(p.removeprefix("0") for p in raw)

    benefit_types: tuple[str, ...] = ()
    message_max_length = 60
    if target == "benefit_account":
        raw = data.get("benefit_types")
        if (
            not isinstance(raw, list)
            or not raw
            or not all(isinstance(b, str) and re.fullmatch(r"[a-z][a-z0-9_-]*", b) for b in raw)
            or len(set(raw)) != len(raw)
        ):
            raise r.bad(
                f"{key}.benefit_types",
                raw,
                'list distinct benefit ids such as ["sport", "culture"]',
            )
        benefit_types = tuple(raw)
        message_max_length = r.integer(data, key, "message_max_length", 60, 1, 500)
    else:
        for name in ("benefit_types", "message_max_length"):
            if name in data:
                raise r.bad(f"{key}.{name}", data[name], "only a benefit payment has this setting")

    names_table = data.get("name", {})
    if not isinstance(names_table, dict) or not all(
        lang in LANGUAGES and isinstance(text, str) and text.strip()
        for lang, text in names_table.items()
    ):
        raise r.bad(
            f"{key}.name",
            names_table,
            f"write a table of names by language ({', '.join(LANGUAGES)})",
        )

    return ProductConfig(
        id=product_id,
        currency=currency,
        min_minor=min_minor,
        max_minor=max_minor,
        step_minor=step,
        tender=tuple(tender),
        reversal_window=window,
        offline=offline,
        fees=fees,
        target=target,
        id_check_above_minor=id_check,
        attempt_timeout_s=attempt_timeout,
        phone_prefixes=prefixes,
        benefit_types=benefit_types,
        message_max_length=message_max_length,
        name=MappingProxyType(dict(names_table)),
        locale=terminal.locale,
        money=money,
    )


# --- card reader and scanner ------------------------------------------------------------------

#: pyserial URL schemes that reach a device (``loop://`` is for tests and diagnostics).
SERIAL_URL_SCHEMES: tuple[str, ...] = ("rfc2217", "socket", "loop", "spy", "alt", "hwgrep")
SERIAL_BAUDRATES: tuple[int, ...] = (1200, 2400, 4800, 9600, 19200, 38400, 57600, 115200)
SERIAL_PARITIES: tuple[str, ...] = ("N", "E", "O", "M", "S")
READER_FRAMINGS: tuple[str, ...] = ("auto", "magtek", "msr605")


def _serial_device(
    r: _Reader, data: Mapping[str, Any], key: str, extra: tuple[str, ...] = ()
) -> SerialDeviceConfig | None:
    """The common part of ``[reader]`` and ``[scanner]``; ``None`` when ``url`` is left out.

    The port is only checked for its form here: a USB reader may be unplugged while the
    terminal starts, and the reader thread waits for it rather than refusing to sell.
    """
    r.only(data, key, ("url", "baudrate", "bytesize", "parity", "stopbits", *extra))
    if "url" not in data:
        return None
    allowed = (
        'write a serial port such as "/dev/ttyUSB0" or "/dev/serial/by-id/...", or a pyserial '
        f"URL ({', '.join(s + '://' for s in SERIAL_URL_SCHEMES)}); leave url out for none"
    )
    url = r.string(data, key, "url", allowed=allowed)
    scheme, sep, _ = url.partition("://")
    if sep:
        if scheme not in SERIAL_URL_SCHEMES:
            raise r.bad(f"{key}.url", url, allowed)
    elif not (url.startswith("/") and len(url) > 1) and not re.fullmatch(r"COM[0-9]+", url):
        raise r.bad(f"{key}.url", url, allowed)
    baudrate = data.get("baudrate", 9600)
    if isinstance(baudrate, bool) or baudrate not in SERIAL_BAUDRATES:
        raise r.bad(
            f"{key}.baudrate",
            baudrate,
            f"use one of {', '.join(map(str, SERIAL_BAUDRATES))} (the device's manual says which)",
        )
    stopbits = data.get("stopbits", 1)
    if isinstance(stopbits, bool) or stopbits not in (1, 1.5, 2):
        raise r.bad(f"{key}.stopbits", stopbits, "use 1, 1.5 or 2")
    return SerialDeviceConfig(
        url=url,
        baudrate=int(baudrate),
        bytesize=r.integer(data, key, "bytesize", 8, 5, 8),
        parity=r.choice(data, key, "parity", SERIAL_PARITIES, "N"),
        stopbits=float(stopbits),
    )


def _reader(r: _Reader, data: Mapping[str, Any]) -> ReaderConfig | None:
    device = _serial_device(r, data, "reader", ("framing",))
    framing = r.choice(data, "reader", "framing", READER_FRAMINGS, "auto")
    if device is None:
        return None
    return ReaderConfig(
        url=device.url,
        baudrate=device.baudrate,
        bytesize=device.bytesize,
        parity=device.parity,
        stopbits=device.stopbits,
        framing=framing,
    )


def _clerks(r: _Reader, data: Mapping[str, Any]) -> ClerksConfig:
    key = "clerks"
    r.only(data, key, ("max_failures", "lockout", "auto_lock"))
    return ClerksConfig(
        max_failures=r.integer(data, key, "max_failures", 5, 1, 100),
        lockout_s=r.duration(data, key, "lockout", "15m"),
        auto_lock_s=r.duration(data, key, "auto_lock", "2m"),
    )


#: What ``kiosk init`` writes in place of the token placeholder: 43 URL-safe characters.
API_TOKEN_PLACEHOLDER = "@API_TOKEN@"
_API_TOKEN = re.compile(r"[A-Za-z0-9_.~+/=-]{32,256}")


def _api(r: _Reader, data: Mapping[str, Any]) -> ApiConfig:
    r.only(data, "api", ("token", "allowed_hosts", "docs", "max_body"))
    hosts = data.get("allowed_hosts", list(DEFAULT_ALLOWED_HOSTS))
    hosts_hint = (
        'write a list of host names or addresses, such as ["localhost", "127.0.0.1", '
        '"counter-1.shop.lan"]'
    )
    if not isinstance(hosts, list) or not hosts:
        raise r.bad("api.allowed_hosts", hosts, hosts_hint)
    for index, host in enumerate(hosts):
        if not isinstance(host, str) or not _HOST_NAME.match(host) or len(host) > 253:
            raise r.bad(f"api.allowed_hosts[{index}]", host, hosts_hint)
    docs = r.choice(data, "api", "docs", ("token", "off"), "token")
    max_body = r.integer(data, "api", "max_body", 65536, 1024, 10 * 1024 * 1024)
    settings: dict[str, Any] = {
        "allowed_hosts": tuple(h.lower().rstrip(".") for h in hosts),
        "docs": docs,
        "max_body_bytes": max_body,
    }
    if "token" not in data:
        return ApiConfig(**settings)
    token = data["token"]
    if not isinstance(token, str) or not _API_TOKEN.fullmatch(token):
        # Never echo the token: the message may end up in a log or on a screen.
        length = len(token) if isinstance(token, str) else 0
        raise ConfigError(
            f"{r.path}: api.token (a value of {length} characters, not shown) is not allowed: "
            "write at least 32 letters, digits or -_ (`kiosk init` writes a random one), or "
            "leave it out for a token made up per run.",
            key="api.token",
        )
    return ApiConfig(token=token, **settings)


_WRITING_KEYS = ("decimal_separator", "group_separator", "sign_position", "sign_space")
_CURRENCY_STYLE_KEYS = ("decimals", "sign", "screen_sign", "max_change")


def _money(r: _Reader, data: Mapping[str, Any], terminal: TerminalConfig) -> MoneyStyles:
    """``[money]``: how this market writes amounts (its locale's separators and the sign's
    place) and, in ``[money.<CURRENCY>]``, each currency's decimals and sign. Left out, the
    built-in table of :mod:`foundation.money` applies; never Babel's CLDR currency data.
    """
    key = "money"
    currencies = tuple(CURRENCY_EXPONENTS)
    r.only(data, key, (*_WRITING_KEYS, *currencies))
    base = DEFAULT_MONEY_STYLES.find_writing(terminal.locale)
    writing: Writing | None = base
    if any(name in data for name in _WRITING_KEYS):
        if base is None and not all(name in data for name in _WRITING_KEYS):
            missing = [name for name in _WRITING_KEYS if name not in data]
            raise r.missing(
                f"money.{missing[0]}",
                f"the terminal has no built-in way of writing money for {terminal.locale!r}: "
                f"set {', '.join(_WRITING_KEYS)}",
            )
        separator_allowed = 'write one character that is not a digit, such as "," or "."'
        decimal = r.string(
            data, key, "decimal_separator", base.decimal_separator if base else None,
            allowed=separator_allowed,
        )  # fmt: skip
        if len(decimal) != 1 or decimal.isdigit():
            raise r.bad("money.decimal_separator", decimal, separator_allowed)
        group_allowed = 'write "", " ", ".", "," or "\u2019", and not the decimal separator'
        group = r.string(
            data, key, "group_separator", base.group_separator if base else None,
            allowed=group_allowed,
        )  # fmt: skip
        if group not in ("", " ", ".", ",", "'", "’") or group == decimal:
            raise r.bad("money.group_separator", group, group_allowed)
        position = r.choice(
            data, key, "sign_position", ("before", "after"), base.sign_position if base else ""
        )
        space = data.get("sign_space", base.sign_space if base else None)
        if not isinstance(space, bool):
            raise r.bad("money.sign_space", space, "write true or false")
        writing = Writing(decimal, group, "before" if position == "before" else "after", space)
    if writing is None:
        raise r.missing(
            "money",
            f"the terminal has no built-in way of writing money for locale "
            f"{terminal.locale!r}: add a [money] table with {', '.join(_WRITING_KEYS)}",
        )
    styles: dict[str, CurrencyStyle] = {}
    for currency in currencies:
        if currency not in data:
            continue
        table = r.table(data, key, currency)
        table_key = f"{key}.{currency}"
        r.only(table, table_key, _CURRENCY_STYLE_KEYS)
        default = DEFAULT_MONEY_STYLES.currency(currency)
        iso = CURRENCY_EXPONENTS[currency]
        decimals = r.integer(table, table_key, "decimals", default.decimals, 0, iso)
        sign_allowed = 'write the symbol or ISO code in quotes, such as "€" or "RSD"'
        sign = r.string(table, table_key, "sign", default.sign, allowed=sign_allowed)
        screen_default = sign if "sign" in table else default.screen_sign
        screen_sign = r.string(
            table, table_key, "screen_sign", screen_default, allowed=sign_allowed
        )
        for name, value in (("sign", sign), ("screen_sign", screen_sign)):
            if not value.strip() or any(c.isdigit() for c in value) or value != value.strip():
                raise r.bad(f"{table_key}.{name}", value, sign_allowed)
        # the most change a sale gives back (default: the largest banknote, foundation.money)
        max_change = None
        if "max_change" in table:
            key_name = f"{table_key}.max_change"
            max_change = r.money(table["max_change"], key_name, currency, positive=True)
        styles[currency] = CurrencyStyle(decimals, sign, screen_sign, max_change)
    return DEFAULT_MONEY_STYLES.with_market(terminal.locale, writing, styles)


_KNOWN_SECTIONS = (
    "money",
    "terminal",
    "store",
    "printer",
    "host",
    "forwarder",
    "products",
    "reader",
    "scanner",
    "clerks",
    "api",
)


def load_config(path: Path) -> KioskConfig:
    """Read and check kiosk.toml; :class:`ConfigError` tells what to fix and where."""
    path = Path(path)
    try:
        text = path.read_bytes().decode("utf-8")
    except FileNotFoundError:
        raise ConfigError(
            f"No configuration at {path}: create one with `kiosk init --market si` "
            "(or rs, az, fi), or pass --config FILE.",
            code="config_missing",
        ) from None
    except IsADirectoryError:
        raise ConfigError(f"{path} is a folder: pass the kiosk.toml file inside it.") from None
    except UnicodeDecodeError:
        raise ConfigError(f"{path} is not UTF-8 text: save it as UTF-8.") from None
    try:
        data = tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        raise ConfigError(f"{path} is not valid TOML ({exc}): fix that line.") from None

    r = _Reader(path)
    terminal_data = r.table(data, "", "terminal")
    if not terminal_data:
        raise r.missing("terminal", "add a [terminal] table with id, key, market and merchant")
    terminal = _terminal(r, terminal_data)
    store = _store(r, r.table(data, "", "store"))
    printer = _printer(r, r.table(data, "", "printer"), terminal)
    host = _host(r, r.table(data, "", "host"))
    forwarder = _forwarder(r, r.table(data, "", "forwarder"))
    money = _money(r, r.table(data, "", "money"), terminal)
    products_data = r.table(data, "", "products")
    if not products_data:
        raise r.missing(
            "products", f"add at least one [products.<id>] table ({', '.join(PRODUCT_IDS)})"
        )
    products = {
        product_id: _product(r, product_id, table, terminal, money)
        for product_id, table in products_data.items()
    }
    reader = _reader(r, r.table(data, "", "reader"))
    scanner = _serial_device(r, r.table(data, "", "scanner"), "scanner")
    clerks = _clerks(r, r.table(data, "", "clerks"))
    api = _api(r, r.table(data, "", "api"))
    sections = {name: value for name, value in data.items() if name not in _KNOWN_SECTIONS}
    return KioskConfig(
        path=path,
        terminal=terminal,
        store=store,
        printer=printer,
        host=host,
        forwarder=forwarder,
        products=products,
        sections=MappingProxyType(sections),
        reader=reader,
        scanner=scanner,
        clerks=clerks,
        api=api,
        money=money,
    )


# --- presets --------------------------------------------------------------------------------


def preset_text(market: str) -> str:
    """The shipped kiosk.toml of ``market``, with its placeholders still in it."""
    if market not in MARKETS:
        raise ConfigError(
            f"There is no preset for market {market!r}: use one of {', '.join(MARKETS)}.",
            key="market",
        )
    return resources.files("terminal.presets").joinpath(f"{market}.toml").read_text("utf-8")


def write_preset(
    path: Path, market: str, terminal_id: str | None = None, force: bool = False
) -> Path:
    """Write a working kiosk.toml for ``market`` with a fresh signing key and API token.

    Refuses to replace an existing file unless ``force``: the old key may be registered with
    the host, and a new one would make every request fail.
    """
    path = Path(path)
    terminal_id = DEFAULT_TERMINAL_ID if terminal_id is None else terminal_id
    if not re.fullmatch(r"[0-9]{5}", terminal_id):
        raise ConfigError(
            f"terminal id {terminal_id!r} is not allowed: write exactly 5 digits, such as 12345.",
            key="terminal.id",
        )
    if path.is_dir():
        raise ConfigError(f"{path} is a folder: give the path of the kiosk.toml file to write.")
    if path.exists() and not force:
        raise ConfigExists(
            f"{path} already exists: keep it, or pass --force to replace it "
            "(the terminal then gets a new key, which the host must learn).",
            key="path",
        )
    text = (
        preset_text(market)
        .replace("@TERMINAL_ID@", terminal_id)
        .replace("@TERMINAL_KEY@", secrets.token_hex(32))
        .replace(API_TOKEN_PLACEHOLDER, secrets.token_urlsafe(32))
    )
    folder = path.parent if str(path.parent) else Path(".")
    try:
        make_private_folder(folder)  # a folder made here is 700, whatever the umask
        descriptor, temporary = tempfile.mkstemp(prefix=f".{path.name}.", dir=folder)
    except OSError as exc:
        raise ConfigError(
            f"Cannot write {path} ({exc.strerror}): choose a folder this user may write to."
        ) from None
    try:
        with os.fdopen(descriptor, "w", encoding="utf-8") as handle:
            handle.write(text)
        os.chmod(temporary, 0o600)  # it holds the signing key and the API token
        load_config(Path(temporary))  # a preset that does not load must never be installed
        os.replace(temporary, path)
    except OSError as exc:
        Path(temporary).unlink(missing_ok=True)
        raise ConfigError(
            f"Cannot write {path} ({exc.strerror}): free some space or choose another folder."
        ) from None
    except BaseException:
        Path(temporary).unlink(missing_ok=True)
        raise
    return path


__all__ = [
    "DEFAULT_TERMINAL_ID",
    "LANGUAGES",
    "MARKETS",
    "PRINTER_SCHEMES",
    "ApiConfig",
    "ClerksConfig",
    "ForwarderConfig",
    "HostConfig",
    "KioskConfig",
    "Market",
    "PrinterConfig",
    "ReaderConfig",
    "SerialDeviceConfig",
    "StoreConfig",
    "TerminalConfig",
    "load_config",
    "parse_duration",
    "preset_text",
    "write_preset",
]
