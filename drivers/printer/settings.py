"""The printer's settings: its URL with every option, and its python-escpos profile.

One parser for everyone (see :mod:`drivers.settings`): :func:`~drivers.printer.open_printer`
opens what :func:`parse_printer_url` returns, and kiosk.toml's ``[printer] url`` is checked by
the same function, so whatever a connection can be told (USB endpoints, serial line settings,
``dsrdtr``) can be written in the file::

    tcp://192.168.1.50:9100                     network; the port is required
    usb://04b8:0202?in_ep=0x82&out_ep=0x01      USB vendor:product in hex, endpoints optional
    serial:///dev/ttyUSB0?baudrate=19200&bytesize=8&parity=N&stopbits=1&dsrdtr=1
    file:///dev/usb/lp0                         write-only: prints need the clerk's confirmation
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import parse_qsl, urlsplit

from drivers.errors import PrinterConfigError
from drivers.settings import SerialLine, SettingRefused, serial_line

SCHEMES: tuple[str, ...] = ("tcp", "usb", "serial", "file")
URL_HINT = (
    "use tcp://HOST:PORT, usb://VID:PID, serial:///dev/ttyUSB0?baudrate=19200 "
    "or file:///dev/usb/lp0"
)
PROFILE_HINT = 'use a python-escpos profile such as "TM-T88V"'
USB_OPTIONS = ("in_ep", "out_ep")
SERIAL_OPTIONS = ("baudrate", "bytesize", "parity", "stopbits", "dsrdtr")
_FLAGS = {"1": True, "true": True, "yes": True, "on": True}
_FLAGS.update({"0": False, "false": False, "no": False, "off": False})


class PrinterSettingRefused(SettingRefused, PrinterConfigError):
    """A printer URL or profile the driver cannot use (a :class:`PrinterConfigError`)."""


@dataclass(frozen=True)
class TcpPrinterUrl:
    host: str
    port: int


@dataclass(frozen=True)
class UsbPrinterUrl:
    vendor_id: int
    product_id: int
    #: the bulk endpoints; most ESC/POS printers use these, some (clones) others
    in_ep: int = 0x82
    out_ep: int = 0x01


@dataclass(frozen=True)
class SerialPrinterUrl:
    devfile: str
    line: SerialLine = field(default_factory=lambda: SerialLine(baudrate=19200))
    #: hardware flow control: the printer stops the terminal while its buffer is full
    dsrdtr: bool = True


@dataclass(frozen=True)
class FilePrinterUrl:
    path: str


PrinterUrl = TcpPrinterUrl | UsbPrinterUrl | SerialPrinterUrl | FilePrinterUrl


def parse_printer_url(url: Any) -> PrinterUrl:
    """The connection ``url`` names, every option checked; :class:`PrinterSettingRefused`
    says what is wrong and what to write instead."""
    if not isinstance(url, str):
        raise PrinterSettingRefused("printer url", url, URL_HINT)
    try:
        parts = urlsplit(url)
    except ValueError:  # such as an unclosed [IPv6 address
        raise _refused(url, URL_HINT) from None
    if parts.scheme not in SCHEMES:
        scheme = parts.scheme or url
        raise _refused(url, f"unknown connection type {scheme!r}; {URL_HINT}")
    options = dict(parse_qsl(parts.query, keep_blank_values=True))
    if parts.scheme == "tcp":
        try:
            port = parts.port
        except ValueError:
            port = None
        if not parts.hostname or port is None or not 0 < port < 65536 or parts.path:
            raise _refused(url, "write tcp://HOST:PORT, such as tcp://127.0.0.1:9100")
        _only(url, options, ())
        return TcpPrinterUrl(parts.hostname, port)
    if parts.scheme == "usb":
        ids = re.fullmatch(r"([0-9a-fA-F]{1,4}):([0-9a-fA-F]{1,4})", parts.netloc)
        if ids is None or parts.path:
            raise _refused(url, "write usb://VID:PID in hex, such as usb://04b8:0202")
        _only(url, options, USB_OPTIONS)
        return UsbPrinterUrl(
            int(ids.group(1), 16),
            int(ids.group(2), 16),
            in_ep=_endpoint(url, options, "in_ep", 0x82, inward=True),
            out_ep=_endpoint(url, options, "out_ep", 0x01, inward=False),
        )
    if parts.netloc or not parts.path:
        raise _refused(url, f"write {parts.scheme}:///path/to/device (three slashes)")
    if parts.scheme == "file":
        _only(url, options, ())
        return FilePrinterUrl(parts.path)
    _only(url, options, SERIAL_OPTIONS)
    return SerialPrinterUrl(parts.path, _serial_line(url, options), _dsrdtr(url, options))


def check_profile(name: Any) -> str:
    """A python-escpos capabilities profile (``TM-T88V``, ``TM-T20II``, ...)."""
    from drivers.escpos_cache import capabilities  # loads a database: only when checking

    if not isinstance(name, str) or name not in capabilities()["profiles"]:
        raise PrinterSettingRefused("printer profile", name, PROFILE_HINT)
    return name


def _refused(url: str, allowed: str) -> PrinterSettingRefused:
    return PrinterSettingRefused("printer url", url, allowed)


def _only(url: str, options: dict[str, str], known: tuple[str, ...]) -> None:
    for name in options:
        if name not in known:
            scheme = urlsplit(url).scheme
            allowed = (
                f"{scheme}:// takes the options {', '.join(known)}"
                if known
                else f"{scheme}:// takes no options"
            )
            raise _refused(url, f"there is no option {name!r}: {allowed}")


def _endpoint(url: str, options: dict[str, str], name: str, default: int, *, inward: bool) -> int:
    if name not in options:
        return default
    direction = "an IN endpoint (0x81 to 0x8f)" if inward else "an OUT endpoint (0x01 to 0x0f)"
    try:
        value = int(options[name], 0)
    except ValueError:
        value = -1
    if not 0 < value & 0x7F <= 0x0F or value > 0xFF or bool(value & 0x80) != inward:
        raise _refused(url, f"{name} must be {direction}, such as {default:#04x}")
    return value


def _serial_line(url: str, options: dict[str, str]) -> SerialLine:
    values: dict[str, Any] = {"baudrate": 19200}
    for name in ("baudrate", "bytesize"):
        if name in options:
            values[name] = int(options[name]) if options[name].isdigit() else options[name]
    if "stopbits" in options:
        try:
            values["stopbits"] = float(options["stopbits"])
        except ValueError:
            values["stopbits"] = options["stopbits"]
    if "parity" in options:
        values["parity"] = (
            options["parity"].upper() if len(options["parity"]) == 1 else options["parity"]
        )
    try:
        return serial_line(values)
    except SettingRefused as exc:
        raise _refused(url, f"{exc.option}: {exc.allowed}") from None


def _dsrdtr(url: str, options: dict[str, str]) -> bool:
    value = options.get("dsrdtr", "1").lower()
    if value not in _FLAGS:
        raise _refused(url, "dsrdtr: write 1 (hardware flow control, the default) or 0")
    return _FLAGS[value]


__all__ = [
    "SCHEMES",
    "FilePrinterUrl",
    "PrinterSettingRefused",
    "PrinterUrl",
    "SerialPrinterUrl",
    "TcpPrinterUrl",
    "UsbPrinterUrl",
    "check_profile",
    "parse_printer_url",
]
