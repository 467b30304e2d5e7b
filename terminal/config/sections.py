"""The terminal-wide tables of kiosk.toml, each a pydantic model that builds its config object.

``[printer]``, ``[reader]`` and ``[scanner]`` hold device settings: their checks are the
drivers' own (:mod:`drivers.printer.settings`, :mod:`drivers.settings`,
:mod:`drivers.card_reader.settings`); this module only places them in the file and names
the key when a driver refuses one.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from pathlib import Path
from typing import Annotated, Any, Literal

from babel import Locale, UnknownLocaleError
from pydantic import BeforeValidator, field_validator, model_validator
from pydantic.functional_validators import ModelWrapValidatorHandler

from drivers.card_reader.framing import FramingName
from drivers.card_reader.settings import (
    FRAMING_HINT,
    ReaderSettings,
    SerialDeviceSettings,
    check_framing,
)
from drivers.settings import (
    BAUDRATE_HINT,
    BYTESIZE_HINT,
    PARITY_HINT,
    PORT_HINT,
    STOPBITS_HINT,
    Parity,
    SettingRefused,
    check_baudrate,
    check_bytesize,
    check_parity,
    check_serial_port,
    check_stopbits,
)
from terminal.config.models import (
    DEFAULT_ALLOWED_HOSTS,
    LANGUAGES,
    MARKETS,
    ApiConfig,
    ClerksConfig,
    ForwarderConfig,
    HostConfig,
    Language,
    MarketId,
    PrinterConfig,
    StoreConfig,
    TerminalConfig,
)
from terminal.config.schema import (
    Amount,
    Duration,
    Refusal,
    Table,
    Timeout,
    ValidationInfo,
    setting,
)

_TEXT = "write it as a string in quotes"


def _choices(values: tuple[str, ...]) -> str:
    return "use one of " + ", ".join(f'"{v}"' for v in values)


def _whole(low: int, high: int) -> str:
    return f"write a whole number from {low} to {high}"


def by_driver(check: Callable[[Any], Any]) -> BeforeValidator:
    """Run a driver's own check on the value; its refusal becomes one naming this key."""

    def run(value: Any) -> Any:
        try:
            return check(value)
        except SettingRefused as exc:
            raise Refusal(exc.allowed) from None

    return BeforeValidator(run)


# --- [terminal] -------------------------------------------------------------------------------

_ID_HINT = 'write exactly 5 digits in quotes, such as "12345"'
_KEY_HINT = "write the hex key `kiosk init` generated (at least 32 hex digits)"


def _secret_key(value: Any) -> str:
    if not isinstance(value, str) or not re.fullmatch(r"(?:[0-9a-fA-F]{2}){16,}", value):
        raise Refusal(_KEY_HINT, hidden=True)
    return value


def _language_list(value: Any) -> tuple[str, ...]:
    if not isinstance(value, list) or not all(isinstance(x, str) and x in LANGUAGES for x in value):
        raise Refusal(f"list languages from {', '.join(LANGUAGES)}")
    return tuple(value)


class TerminalTable(Table):
    id: str = setting(hint=_ID_HINT, pattern=r"^[0-9]{5}$")
    key: Annotated[str, BeforeValidator(_secret_key)] = setting(hint=_KEY_HINT)
    market: MarketId = setting(hint=_choices(tuple(MARKETS)))
    language: Language | None = setting(None, hint=_choices(LANGUAGES))
    languages: Annotated[tuple[str, ...] | None, BeforeValidator(_language_list)] = setting(
        None, hint=f"list languages from {', '.join(LANGUAGES)}"
    )
    locale: str | None = setting(None, hint='use a Babel locale such as "sl_SI"')
    timezone: str | None = setting(None, hint='use an IANA time zone such as "Europe/Ljubljana"')
    merchant_name: str = setting(hint="write the shop's name")
    merchant_address: str = setting(hint="write the shop's address")
    #: in the market's currency (the market above says which)
    id_check_above: Amount | None = setting(None, hint='write an amount such as "250.00"')

    @field_validator("market")
    @classmethod
    def _amounts_in_market_currency(cls, market: str, info: ValidationInfo) -> str:
        if isinstance(info.context, dict):
            info.context["currency"] = MARKETS[market].currency
        return market

    @field_validator("locale")
    @classmethod
    def _babel_locale(cls, locale: str | None) -> str | None:
        if locale is not None:
            try:
                Locale.parse(locale)
            except (UnknownLocaleError, ValueError):
                raise Refusal('use a Babel locale such as "sl_SI"') from None
        return locale

    @field_validator("timezone")
    @classmethod
    def _iana_zone(cls, timezone: str | None) -> str | None:
        from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

        if timezone is not None:
            try:
                ZoneInfo(timezone)
            except (ZoneInfoNotFoundError, ValueError):
                raise Refusal('use an IANA time zone such as "Europe/Ljubljana"') from None
        return timezone

    @field_validator("merchant_name", "merchant_address")
    @classmethod
    def _filled_in(cls, value: str) -> str:
        if not value.strip():
            raise Refusal("it is printed on every slip: fill it in")
        return value

    @model_validator(mode="wrap")
    @classmethod
    def _language_is_listed(cls, data: Any, handler: ModelWrapValidatorHandler[Any]) -> Any:
        table = handler(data)
        if table.language_id not in table.language_ids:
            raise Refusal(
                f"include the language {table.language_id!r}",
                at=("languages",),
                value=data.get("languages") if isinstance(data, dict) else None,
            )
        return table

    @property
    def language_id(self) -> str:
        return self.language or MARKETS[self.market].language

    @property
    def language_ids(self) -> tuple[str, ...]:
        listed = self.languages if self.languages is not None else (self.language_id, "en")
        return tuple(dict.fromkeys([*listed, "en"]))

    def build(self) -> TerminalConfig:
        market = MARKETS[self.market]
        return TerminalConfig(
            id=self.id,
            key=self.key,
            market=self.market,
            language=self.language_id,
            languages=self.language_ids,
            locale=self.locale or market.locale,
            timezone=self.timezone or market.timezone,
            merchant_name=self.merchant_name.strip(),
            merchant_address=self.merchant_address.strip(),
            region=market.region,
            currency=market.currency,
            id_check_above_minor=self.id_check_above,
        )


# --- [store] ----------------------------------------------------------------------------------


class StoreTable(Table):
    path: str = setting("kiosk.sqlite", hint="write a file path in quotes")

    @field_validator("path")
    @classmethod
    def _not_empty(cls, path: str) -> str:
        if not path.strip():
            raise Refusal('write a file path such as "kiosk.sqlite"')
        return path

    def build(self, config_path: Path) -> StoreConfig:
        """A relative path is relative to kiosk.toml's folder, not to wherever we started."""
        path = Path(self.path).expanduser()
        if not path.is_absolute():
            path = config_path.parent.resolve() / path
        return StoreConfig(path=path)


# --- [printer] --------------------------------------------------------------------------------


def _printer_url(value: Any) -> str:
    from drivers.printer.settings import PrinterSettingRefused, parse_printer_url

    try:
        parse_printer_url(value)
    except PrinterSettingRefused as exc:
        raise Refusal(exc.allowed) from None
    return str(value)


def _printer_profile(value: Any) -> str:
    from drivers.printer.settings import PrinterSettingRefused, check_profile

    try:
        return check_profile(value)
    except PrinterSettingRefused as exc:
        raise Refusal(exc.allowed) from None


class PrinterTable(Table):
    url: Annotated[str, BeforeValidator(_printer_url)] = setting("tcp://127.0.0.1:9100", hint=_TEXT)
    profile: Annotated[str, BeforeValidator(_printer_profile)] = setting("TM-T88V", hint=_TEXT)
    width: int = setting(42, hint=_whole(16, 80), ge=16, le=80)
    language: str | None = setting(None, hint=_TEXT)
    timeout: Timeout = setting(5.0, hint=_TEXT)
    print_speed: int = setting(40, hint=_whole(5, 1000), ge=5, le=1000)
    max_job_time: Duration = setting(120.0, hint=_TEXT)

    @model_validator(mode="wrap")
    @classmethod
    def _consistent(
        cls, data: Any, handler: ModelWrapValidatorHandler[Any], info: ValidationInfo
    ) -> Any:
        table = handler(data)
        raw = data if isinstance(data, dict) else {}
        terminal = (info.context or {}).get("terminal")
        if (
            table.language is not None
            and terminal is not None
            and table.language not in terminal.languages
        ):
            raise Refusal(_choices(terminal.languages), at=("language",), value=table.language)
        if table.max_job_time < table.timeout:
            raise Refusal(
                "write at least the timeout", at=("max_job_time",), value=raw.get("max_job_time")
            )
        return table

    def build(self, terminal: TerminalConfig) -> PrinterConfig:
        return PrinterConfig(
            url=self.url,
            profile=self.profile,
            width=self.width,
            language=self.language or terminal.language,
            timeout_s=self.timeout,
            print_speed_mm_s=self.print_speed,
            max_job_time_s=self.max_job_time,
        )


# --- [host] and [forwarder] -------------------------------------------------------------------

_HOST_URL_HINT = 'write http://HOST:PORT or https://HOST, such as "http://127.0.0.1:8700"'


class HostTable(Table):
    url: str = setting("http://127.0.0.1:8700", hint=_TEXT)
    connect_timeout: Timeout = setting(3.0, hint=_TEXT)
    read_timeout: Timeout = setting(10.0, hint=_TEXT)
    health_interval: Duration = setting(5.0, hint=_TEXT)
    advice_horizon: Duration = setting(24 * 3600.0, hint=_TEXT)
    advice_margin: Duration = setting(4 * 3600.0, hint=_TEXT)

    @field_validator("url")
    @classmethod
    def _http_url(cls, url: str) -> str:
        from urllib.parse import urlsplit

        parts = urlsplit(url)
        try:
            port_ok = parts.port is None or 0 < parts.port < 65536
        except ValueError:  # a port that is not a number
            port_ok = False
        if parts.scheme not in ("http", "https") or not parts.hostname or not port_ok:
            raise Refusal(_HOST_URL_HINT)
        return url

    @model_validator(mode="wrap")
    @classmethod
    def _margin_inside_horizon(cls, data: Any, handler: ModelWrapValidatorHandler[Any]) -> Any:
        table = handler(data)
        if table.advice_margin >= table.advice_horizon:
            raw = data.get("advice_margin", "4h") if isinstance(data, dict) else None
            raise Refusal(
                "make it shorter than host.advice_horizon", at=("advice_margin",), value=raw
            )
        return table

    def build(self) -> HostConfig:
        return HostConfig(
            url=self.url.rstrip("/"),
            connect_timeout_s=self.connect_timeout,
            read_timeout_s=self.read_timeout,
            health_interval_s=self.health_interval,
            advice_horizon_s=self.advice_horizon,
            advice_margin_s=self.advice_margin,
        )


class ForwarderTable(Table):
    batch_size: int = setting(100, hint=_whole(1, 1000), ge=1, le=1000)
    lease: Duration = setting(30.0, hint=_TEXT)
    backoff_base: Duration = setting(1.0, hint=_TEXT)
    backoff_cap: Duration = setting(300.0, hint=_TEXT)
    circuit_failures: int = setting(5, hint=_whole(1, 1000), ge=1, le=1000)
    circuit_cooldown: Duration = setting(30.0, hint=_TEXT)

    @model_validator(mode="wrap")
    @classmethod
    def _cap_above_base(cls, data: Any, handler: ModelWrapValidatorHandler[Any]) -> Any:
        table = handler(data)
        if table.backoff_cap < table.backoff_base:
            raw = data.get("backoff_cap", "300s") if isinstance(data, dict) else None
            raise Refusal("make it at least backoff_base", at=("backoff_cap",), value=raw)
        return table

    def build(self) -> ForwarderConfig:
        return ForwarderConfig(
            batch_size=self.batch_size,
            lease_s=self.lease,
            backoff_base_s=self.backoff_base,
            backoff_cap_s=self.backoff_cap,
            circuit_failures=self.circuit_failures,
            circuit_cooldown_s=self.circuit_cooldown,
        )


# --- [clerks] and [api] -----------------------------------------------------------------------


class ClerksTable(Table):
    max_failures: int = setting(5, hint=_whole(1, 100), ge=1, le=100)
    lockout: Duration = setting(15 * 60.0, hint=_TEXT)
    auto_lock: Duration = setting(2 * 60.0, hint=_TEXT)

    def build(self) -> ClerksConfig:
        return ClerksConfig(self.max_failures, self.lockout, self.auto_lock)


#: What ``kiosk init`` writes in place of the token placeholder: 43 URL-safe characters.
_API_TOKEN = re.compile(r"[A-Za-z0-9_.~+/=-]{32,256}")
_TOKEN_HINT = (
    "write at least 32 letters, digits or -_ (`kiosk init` writes a random one), or "
    "leave it out for a token made up per run"
)
_HOSTS_HINT = (
    'write a list of host names or addresses, such as ["localhost", "127.0.0.1", '
    '"counter-1.shop.lan"]'
)
_HOST_NAME = re.compile(
    r"\A(?:[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?\.?)+\Z|\A[0-9a-fA-F:]+\Z"
)


def _api_token(value: Any) -> str:
    if not isinstance(value, str) or not _API_TOKEN.fullmatch(value):
        raise Refusal(_TOKEN_HINT, hidden=True)
    return value


def _host_names(value: Any) -> tuple[str, ...]:
    if not isinstance(value, list) or not value:
        raise Refusal(_HOSTS_HINT)
    for index, host in enumerate(value):
        if not isinstance(host, str) or not _HOST_NAME.match(host) or len(host) > 253:
            raise Refusal(_HOSTS_HINT, at=(index,), value=host)
    return tuple(h.lower().rstrip(".") for h in value)


class ApiTable(Table):
    token: Annotated[str | None, BeforeValidator(_api_token)] = setting(None, hint=_TOKEN_HINT)
    allowed_hosts: Annotated[tuple[str, ...], BeforeValidator(_host_names)] = setting(
        DEFAULT_ALLOWED_HOSTS, hint=_HOSTS_HINT
    )
    docs: Literal["token", "off"] = setting("token", hint=_choices(("token", "off")))
    max_body: int = setting(65536, hint=_whole(1024, 10 * 1024 * 1024), ge=1024, le=10 << 20)

    def build(self) -> ApiConfig:
        return ApiConfig(self.token, self.allowed_hosts, self.docs, self.max_body)


# --- [reader] and [scanner] -------------------------------------------------------------------


class ScannerTable(Table):
    """A serial input device; ``url`` left out means there is none."""

    url: Annotated[str | None, by_driver(check_serial_port)] = setting(None, hint=PORT_HINT)
    baudrate: Annotated[int, by_driver(check_baudrate)] = setting(9600, hint=BAUDRATE_HINT)
    bytesize: Annotated[int, by_driver(check_bytesize)] = setting(8, hint=BYTESIZE_HINT)
    parity: Annotated[Parity, by_driver(check_parity)] = setting("N", hint=PARITY_HINT)
    stopbits: Annotated[float, by_driver(check_stopbits)] = setting(1.0, hint=STOPBITS_HINT)

    def build(self) -> SerialDeviceSettings | None:
        if self.url is None:
            return None
        return SerialDeviceSettings(
            self.url, self.baudrate, self.bytesize, self.parity, self.stopbits
        )


class ReaderTable(ScannerTable):
    framing: Annotated[FramingName, by_driver(check_framing)] = setting("auto", hint=FRAMING_HINT)

    def build(self) -> ReaderSettings | None:
        if self.url is None:
            return None
        return ReaderSettings(
            self.url,
            self.baudrate,
            self.bytesize,
            self.parity,
            self.stopbits,
            framing=self.framing,
        )


__all__ = [
    "ApiTable",
    "ClerksTable",
    "ForwarderTable",
    "HostTable",
    "PrinterTable",
    "ReaderTable",
    "ScannerTable",
    "StoreTable",
    "TerminalTable",
]
