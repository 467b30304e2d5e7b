"""Drive a virtual printer running in another process (``kiosk printer-emulator``).

The emulator's control port speaks one JSON object per line, ``{"op": ..., "args": [...]}``,
answered by ``{"ok": true, "result": ...}``; this client offers the same fault methods as
:class:`VirtualPrinter`, so a test reads the same in-process or out-of-process.
"""

from __future__ import annotations

import json
import socket
from typing import Any
from urllib.parse import urlsplit


class ControlError(RuntimeError):
    """The emulator refused or could not answer a control request."""


class VirtualPrinterControl:
    """Client for ``tcp://127.0.0.1:CONTROL_PORT``; one short connection per request."""

    def __init__(self, url: str, timeout_s: float = 5.0) -> None:
        parts = urlsplit(url if "://" in url else f"tcp://{url}")
        if not parts.hostname or not parts.port:
            raise ValueError(f"control url {url!r}: use tcp://HOST:PORT")
        self.host, self.port = parts.hostname, parts.port
        self.timeout_s = timeout_s

    def call(self, op: str, *args: Any, timeout_s: float | None = None) -> Any:
        with socket.create_connection((self.host, self.port), timeout=self.timeout_s) as sock:
            sock.settimeout(timeout_s or self.timeout_s)
            sock.sendall(json.dumps({"op": op, "args": list(args)}).encode() + b"\n")
            with sock.makefile("rb") as stream:
                line = stream.readline()
        if not line:
            raise ControlError(f"the printer emulator closed the control connection ({op})")
        answer = json.loads(line)
        if not answer.get("ok"):
            raise ControlError(str(answer.get("error")))
        return answer.get("result")

    def paper_out(self) -> None:
        self.call("paper_out")

    def paper_out_after(self, lines: int) -> None:
        self.call("paper_out_after", lines)

    def hold_jobs(self, on: bool = True) -> None:
        self.call("hold_jobs", on)

    def load_paper(self) -> None:
        self.call("load_paper")

    def paper_near_end(self, near: bool = True) -> None:
        self.call("paper_near_end", near)

    def open_cover(self) -> None:
        self.call("open_cover")

    def close_cover(self) -> None:
        self.call("close_cover")

    def go_offline(self) -> None:
        self.call("go_offline")

    def go_online(self) -> None:
        self.call("go_online")

    def silent(self, on: bool = True) -> None:
        self.call("silent", on)

    def drop_connection_after(self, nbytes: int) -> None:
        self.call("drop_connection_after", nbytes)

    def slow(self, seconds_per_line: float) -> None:
        self.call("slow", seconds_per_line)

    def close_drawer(self) -> None:
        self.call("close_drawer")

    def asb(self, on: bool = True) -> None:
        self.call("asb", on)

    def baud(self, rate: int | None) -> None:
        self.call("baud", rate)

    def print_speed(self, mm_per_s: float | None) -> None:
        self.call("print_speed", mm_per_s)

    def noise(self, hex_bytes: str) -> None:
        """Bytes (as hex) sent to the connected host now."""
        self.call("noise", hex_bytes)

    def noise_on_gs_r(self, hex_bytes: str) -> None:
        """Bytes (as hex) sent whenever a GS r arrives, before it is answered."""
        self.call("noise_on_gs_r", hex_bytes)

    def noise_on_init(self, hex_bytes: str) -> None:
        """Bytes (as hex) sent whenever a job starts (ESC @ arrives)."""
        self.call("noise_on_init", hex_bytes)

    def clear_faults(self) -> None:
        self.call("clear_faults")

    def state(self) -> dict[str, Any]:
        result: dict[str, Any] = self.call("state")
        return result

    def slips(self) -> list[dict[str, Any]]:
        result: list[dict[str, Any]] = self.call("slips")
        return result

    def wait_for_slips(self, n: int, timeout: float = 5.0) -> bool:
        return bool(self.call("wait_for_slips", n, timeout, timeout_s=timeout + 5.0))


__all__ = ["ControlError", "VirtualPrinterControl"]
