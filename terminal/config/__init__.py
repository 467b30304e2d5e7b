"""kiosk.toml: one file, checked completely when it is loaded (see :mod:`.loading`).

One job per module:

* :mod:`.models` -- what the file becomes: the typed configuration every area reads;
* :mod:`.schema` -- how a table is read (strict pydantic models) and a refusal names its key;
* :mod:`.sections` -- the terminal-wide tables; device settings are the drivers' own checks;
* :mod:`.products` and :mod:`.fees` -- products, and each fee rule reading its own table;
* :mod:`.money` -- how the market writes amounts;
* :mod:`.loading` -- the file as a whole; :mod:`.presets` -- ``kiosk init``'s presets.

Callers import from here, as they always have.
"""

from terminal.config.loading import load_config
from terminal.config.models import (
    DEFAULT_ALLOWED_HOSTS,
    LANGUAGES,
    MARKETS,
    ApiConfig,
    ClerksConfig,
    ForwarderConfig,
    HostConfig,
    KioskConfig,
    Market,
    PrinterConfig,
    ReaderConfig,
    SerialDeviceConfig,
    StoreConfig,
    TerminalConfig,
)
from terminal.config.presets import (
    API_TOKEN_PLACEHOLDER,
    DEFAULT_TERMINAL_ID,
    preset_text,
    write_preset,
)
from terminal.config.schema import MAX_DURATION_S, MAX_TIMEOUT_S, parse_duration

__all__ = [
    "API_TOKEN_PLACEHOLDER",
    "DEFAULT_ALLOWED_HOSTS",
    "DEFAULT_TERMINAL_ID",
    "LANGUAGES",
    "MARKETS",
    "MAX_DURATION_S",
    "MAX_TIMEOUT_S",
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
