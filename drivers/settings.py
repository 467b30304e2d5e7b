"""Settings every serial device shares, checked where the driver that uses them lives.

As in pyserial, whose ``serialutil`` owns the port settings, the drivers own theirs: the
terminal's configuration only says where each setting sits in kiosk.toml and turns a
:class:`SettingRefused` into an error naming that key. So a printer URL, a reader's line
settings and a scanner's are checked by the same code whether they come from kiosk.toml, the
command line or a test, and a setting the driver knows can always be set from the file.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any, Literal, cast

import serial

from drivers.errors import DeviceError

Parity = Literal["N", "E", "O", "M", "S"]

#: pyserial's own tables: what a port accepts is what pyserial accepts.
BAUDRATES: tuple[int, ...] = tuple(serial.SerialBase.BAUDRATES)
BYTESIZES: tuple[int, ...] = tuple(serial.SerialBase.BYTESIZES)
PARITIES: tuple[Parity, ...] = cast("tuple[Parity, ...]", tuple(serial.SerialBase.PARITIES))
STOPBITS: tuple[float, ...] = tuple(float(s) for s in serial.SerialBase.STOPBITS)
#: Spelled-out parities pyserial users write in URLs (``parity=even``).
_PARITY_NAMES = {"none": "N", "even": "E", "odd": "O", "mark": "M", "space": "S"}

#: pyserial URL schemes that reach a device (``loop://`` is for tests and diagnostics).
SERIAL_URL_SCHEMES: tuple[str, ...] = ("rfc2217", "socket", "loop", "spy", "alt", "hwgrep")

BAUDRATE_HINT = (
    "use a standard rate such as 9600, 19200, 38400 or 115200 (the device's manual says which)"
)
BYTESIZE_HINT = "write a whole number from 5 to 8"
PARITY_HINT = 'use one of "N", "E", "O", "M", "S"'
STOPBITS_HINT = "use 1, 1.5 or 2"
PORT_HINT = (
    'write a serial port such as "/dev/ttyUSB0" or "/dev/serial/by-id/...", or a pyserial '
    f"URL ({', '.join(s + '://' for s in SERIAL_URL_SCHEMES)}); leave url out for none"
)


class SettingRefused(DeviceError):
    """A device setting the driver cannot use; ``option`` names it, ``allowed`` says what fits.

    ``str()`` reads on its own (a command line, a log); the configuration uses the parts to
    name its own key instead.
    """

    def __init__(self, option: str, value: Any, allowed: str) -> None:
        self.option = option
        self.value = value
        self.allowed = allowed
        super().__init__(f"{option} {value!r} is not allowed: {allowed}")


@dataclass(frozen=True)
class SerialLine:
    """How bytes travel on a serial line (pyserial's names and values)."""

    baudrate: int = 9600
    bytesize: int = 8
    parity: Parity = "N"
    stopbits: float = 1

    def bits_per_byte(self) -> float:
        """Start bit, data bits, parity bit, stop bits: what one byte costs on the line."""
        return 1 + self.bytesize + (0 if self.parity == "N" else 1) + self.stopbits


def check_baudrate(value: Any) -> int:
    if isinstance(value, bool) or not isinstance(value, int) or value not in BAUDRATES:
        raise SettingRefused("baudrate", value, BAUDRATE_HINT)
    return value


def check_bytesize(value: Any) -> int:
    if isinstance(value, bool) or not isinstance(value, int) or value not in BYTESIZES:
        raise SettingRefused("bytesize", value, BYTESIZE_HINT)
    return value


def check_parity(value: Any) -> Parity:
    if isinstance(value, str) and value.lower() in _PARITY_NAMES:
        value = _PARITY_NAMES[value.lower()]
    if not isinstance(value, str) or value not in PARITIES:
        raise SettingRefused("parity", value, PARITY_HINT)
    return value


def check_stopbits(value: Any) -> float:
    if isinstance(value, bool) or not isinstance(value, (int, float)) or value not in STOPBITS:
        raise SettingRefused("stopbits", value, STOPBITS_HINT)
    return float(value)


def serial_line(settings: Mapping[str, Any]) -> SerialLine:
    """A :class:`SerialLine` from named settings; those left out take pyserial's defaults."""
    defaults = SerialLine()
    return SerialLine(
        baudrate=check_baudrate(settings.get("baudrate", defaults.baudrate)),
        bytesize=check_bytesize(settings.get("bytesize", defaults.bytesize)),
        parity=check_parity(settings.get("parity", defaults.parity)),
        stopbits=check_stopbits(settings.get("stopbits", defaults.stopbits)),
    )


def check_serial_port(value: Any) -> str:
    """A device path (``/dev/ttyUSB0``, ``COM3``) or a pyserial URL, checked for its form only.

    A USB device may be unplugged while the terminal starts: its driver waits for it rather
    than the terminal refusing to sell, so the port's existence is not checked here.
    """
    if not isinstance(value, str):
        raise SettingRefused("url", value, PORT_HINT)
    scheme, sep, _ = value.partition("://")
    if sep:
        if scheme not in SERIAL_URL_SCHEMES:
            raise SettingRefused("url", value, PORT_HINT)
    elif not (value.startswith("/") and len(value) > 1) and not re.fullmatch(r"COM[0-9]+", value):
        raise SettingRefused("url", value, PORT_HINT)
    return value


__all__ = [
    "BAUDRATES",
    "SERIAL_URL_SCHEMES",
    "Parity",
    "SerialLine",
    "SettingRefused",
    "check_baudrate",
    "check_bytesize",
    "check_parity",
    "check_serial_port",
    "check_stopbits",
    "serial_line",
]
