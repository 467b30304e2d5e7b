"""The settings of a serial card reader or scanner, checked by the driver that opens it.

kiosk.toml's ``[reader]`` and ``[scanner]`` only place these (see :mod:`drivers.settings` for
why the drivers own them); ``kiosk reader listen`` and the tests build the same objects.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any, ClassVar, cast

from drivers.card_reader.framing import FRAMINGS, FramingName
from drivers.settings import (
    Parity,
    SerialLine,
    SettingRefused,
    check_serial_port,
    serial_line,
)

FRAMING_HINT = "use one of " + ", ".join(f'"{name}"' for name in FRAMINGS)


@dataclass(frozen=True)
class SerialDeviceSettings:
    """A serial input device: the port (or pyserial URL) and its line settings."""

    url: str
    baudrate: int = 9600
    bytesize: int = 8
    parity: Parity = "N"
    stopbits: float = 1

    #: The option names, as kiosk.toml and ``kiosk reader listen`` spell them.
    OPTIONS: ClassVar[tuple[str, ...]] = ("url", "baudrate", "bytesize", "parity", "stopbits")

    @property
    def line(self) -> SerialLine:
        return SerialLine(self.baudrate, self.bytesize, self.parity, self.stopbits)

    @classmethod
    def from_options(cls, options: Mapping[str, Any]) -> SerialDeviceSettings:
        """Checked settings from named options; :class:`SettingRefused` names the bad one."""
        return cls(check_serial_port(options.get("url")), **_line(options))


@dataclass(frozen=True)
class ReaderSettings(SerialDeviceSettings):
    """The magnetic-stripe reader: a serial input device that also has a framing."""

    framing: FramingName = "auto"

    OPTIONS: ClassVar[tuple[str, ...]] = (*SerialDeviceSettings.OPTIONS, "framing")

    @classmethod
    def from_options(cls, options: Mapping[str, Any]) -> ReaderSettings:
        return cls(
            check_serial_port(options.get("url")),
            **_line(options),
            framing=check_framing(options.get("framing", "auto")),
        )


def check_framing(value: Any) -> FramingName:
    if value not in FRAMINGS:
        raise SettingRefused("framing", value, FRAMING_HINT)
    return cast(FramingName, value)


def _line(options: Mapping[str, Any]) -> dict[str, Any]:
    line = serial_line(options)
    return {
        "baudrate": line.baudrate,
        "bytesize": line.bytesize,
        "parity": line.parity,
        "stopbits": line.stopbits,
    }


__all__ = ["FRAMING_HINT", "ReaderSettings", "SerialDeviceSettings", "check_framing"]
