"""The print mechanism's state: the modes ESC @ resets and the slip being printed."""

from __future__ import annotations

from dataclasses import dataclass, field

from drivers.virtual_printer.render import Row


@dataclass
class Machine:
    """Print-mode state of the mechanism (what ESC @ resets) and the slip being printed."""

    code_page: int = 0
    bold: bool = False
    underline: bool = False
    wscale: int = 1
    hscale: int = 1
    align: str = "left"
    line: str = ""
    line_started: bool = False
    line_style: tuple[bool, bool, int, int] = (False, False, 1, 1)
    rows: list[Row] = field(default_factory=list)
    torn: bool = False
    drawer_kicked: bool = False
    qr_data: str = ""
    qr_module: int = 3
    #: user-defined characters (ESC &): code -> the character its bitmap shows
    udc: dict[int, str] = field(default_factory=dict)
    udc_on: bool = False

    def reset_modes(self) -> None:
        self.udc_on = False
        self.code_page, self.bold, self.underline = 0, False, False
        self.wscale, self.hscale, self.align = 1, 1, "left"


__all__ = ["Machine"]
