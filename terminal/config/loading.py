"""``load_config``: kiosk.toml read as a whole and refused as a whole.

A terminal that starts selling with a typo in a tariff charges customers the wrong amount, so
the whole file is checked at start-up and its :class:`ConfigError` names the dotted key
(``products.card-topup.fees[1].per``; array positions count from 0), the bad value and what is
allowed. Amounts are strings in major units (``"247.00"``) or whole integers; floats are refused
because they cannot hold every cent. Durations carry their unit (``"5s"``, ``"500ms"``, ``"5m"``,
``"24h"``).

Top-level tables this package does not know (say ``[ui]``) are kept, unchecked, in
:attr:`KioskConfig.sections` for the area that owns them; unknown keys inside known tables are
refused, since there they can only be typos.
"""

from __future__ import annotations

import tomllib
from pathlib import Path
from types import MappingProxyType
from typing import Any

from foundation.money import MoneyStyles
from terminal.catalog import PRODUCT_IDS, ProductConfig
from terminal.config.models import KioskConfig, TerminalConfig
from terminal.config.money import MoneyTable, money_styles
from terminal.config.products import ProductTable
from terminal.config.schema import bad, missing, read_table
from terminal.config.sections import (
    ApiTable,
    ClerksTable,
    ForwarderTable,
    HostTable,
    PrinterTable,
    ReaderTable,
    ScannerTable,
    StoreTable,
    TerminalTable,
)
from terminal.errors import ConfigError

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


def _read_file(path: Path) -> dict[str, Any]:
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
        return tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        raise ConfigError(f"{path} is not valid TOML ({exc}): fix that line.") from None


def _products(
    path: Path, data: Any, terminal: TerminalConfig, money: MoneyStyles
) -> dict[str, ProductConfig]:
    if not isinstance(data, dict):
        raise bad(path, "products", data, "make [products] a table")
    if not data:
        raise missing(
            path, "products", f"add at least one [products.<id>] table ({', '.join(PRODUCT_IDS)})"
        )
    products = {}
    for product_id, table in data.items():
        key = f"products.{product_id}"
        if product_id not in PRODUCT_IDS:
            raise bad(path, key, table, f"products are {', '.join(PRODUCT_IDS)}")
        context = {"product_id": product_id, "terminal": terminal, "currency": terminal.currency}
        read = read_table(ProductTable, table, path=path, key=key, context=context)
        products[product_id] = read.build(product_id, terminal, money)
    return products


def load_config(path: Path) -> KioskConfig:
    """Read and check kiosk.toml; :class:`ConfigError` tells what to fix and where."""
    path = Path(path)
    data = _read_file(path)

    def table(name: str) -> Any:
        return data.get(name, {})

    if not table("terminal"):
        raise missing(path, "terminal", "add a [terminal] table with id, key, market and merchant")
    terminal = read_table(TerminalTable, table("terminal"), path=path, key="terminal").build()
    context = {"terminal": terminal, "currency": terminal.currency}
    store = read_table(StoreTable, table("store"), path=path, key="store").build(path)
    printer = read_table(PrinterTable, table("printer"), path=path, key="printer", context=context)
    host = read_table(HostTable, table("host"), path=path, key="host").build()
    forwarder = read_table(ForwarderTable, table("forwarder"), path=path, key="forwarder")
    money_table = read_table(MoneyTable, table("money"), path=path, key="money", context=context)
    money = money_styles(money_table, terminal)
    products = _products(path, table("products"), terminal, money)
    reader = read_table(ReaderTable, table("reader"), path=path, key="reader").build()
    scanner = read_table(ScannerTable, table("scanner"), path=path, key="scanner").build()
    clerks = read_table(ClerksTable, table("clerks"), path=path, key="clerks").build()
    api = read_table(ApiTable, table("api"), path=path, key="api").build()
    sections = {name: value for name, value in data.items() if name not in _KNOWN_SECTIONS}
    return KioskConfig(
        path=path,
        terminal=terminal,
        store=store,
        printer=printer.build(terminal),
        host=host,
        forwarder=forwarder.build(),
        products=products,
        sections=MappingProxyType(sections),
        reader=reader,
        scanner=scanner,
        clerks=clerks,
        api=api,
        money=money,
    )


__all__ = ["load_config"]
