"""What kiosk.toml becomes: the typed, validated configuration every area reads.

Amounts are already in minor units and durations in seconds; the checks that make them so are
in :mod:`.sections`, :mod:`.products`, :mod:`.fees` and :mod:`.money`, and device settings are
the drivers' own types (:mod:`drivers.printer.settings`, :mod:`drivers.card_reader.settings`).
"""

from __future__ import annotations

import typing
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from types import MappingProxyType
from typing import Any, Literal

from drivers.card_reader.settings import ReaderSettings, SerialDeviceSettings
from foundation.money import DEFAULT_MONEY_STYLES, MoneyStyles
from printer_templates.i18n import LANGUAGES as _LANGUAGES
from terminal.catalog import ProductConfig
from terminal.errors import UnknownProduct

#: The languages slips and screens can be shown in (Babel locale ids of the message catalogs):
#: the one list is ``printer_templates.i18n.LANGUAGE_TABLE``; kiosk.toml's ``language`` keys are
#: checked against it (a ``Literal`` of its values for pydantic, ``str`` for the type checker).
LANGUAGES: tuple[str, ...] = _LANGUAGES
if typing.TYPE_CHECKING:
    Language = str
else:
    Language = Literal[_LANGUAGES]
#: The markets this terminal knows; see :data:`MARKETS`.
MarketId = Literal["si", "rs", "az", "fi"]


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
    #: as written in kiosk.toml, checked by :func:`drivers.printer.settings.parse_printer_url`
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


#: A serial input device (``[scanner]``): the driver's own settings, placed by kiosk.toml.
SerialDeviceConfig = SerialDeviceSettings
#: The magnetic-stripe reader (``[reader]``); ``framing`` as in ``drivers.card_reader``.
ReaderConfig = ReaderSettings


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
