"""Named device failures, each carrying a message a shop clerk can act on.

The sale service catches these by class to decide what happens to the transaction (a
``PaperOut`` before the job means nothing printed and the sale can be retried; a
``PrintNotConfirmed`` means the slip cannot be proven and the sale must be voided), and shows
``str(exc)`` to the clerk as is.
"""

from __future__ import annotations

from foundation.errors import ClerkFacingError


class DeviceError(ClerkFacingError):
    """Base of every device failure; ``str()`` is the clerk-facing message."""


class PrinterError(DeviceError):
    """The receipt printer could not do what was asked."""


class PrinterConfigError(PrinterError):
    """The printer address in the configuration cannot be used."""


class PrinterUnreachable(PrinterError):
    """No connection could be opened to the printer (cable, power, network, address)."""

    def __init__(self, detail: str = "") -> None:
        msg = (
            "Cannot reach the printer: check that it is switched on and its cable "
            "(or network) is connected, then press Retry."
        )
        super().__init__(f"{msg} ({detail})" if detail else msg)


class PrinterStatusUnknown(PrinterError):
    """The printer did not answer the status query, so we cannot know it is able to print."""

    def __init__(self, detail: str = "") -> None:
        msg = (
            "The printer does not answer: switch it off and on again, wait until its "
            "light is steady, then press Retry."
        )
        super().__init__(f"{msg} ({detail})" if detail else msg)


class PaperOut(PrinterError):
    """The roll is empty; nothing was printed."""

    def __init__(self, detail: str = "") -> None:
        msg = "Printer is out of paper: load a new roll and close the cover, then press Retry."
        super().__init__(f"{msg} ({detail})" if detail else msg)


class CoverOpen(PrinterError):
    """The cover is open; nothing was printed."""

    def __init__(self, detail: str = "") -> None:
        msg = "The printer cover is open: close it firmly until it clicks, then press Retry."
        super().__init__(f"{msg} ({detail})" if detail else msg)


class PrinterOffline(PrinterError):
    """The printer reports it is offline (error, feed button held, or waiting to recover)."""

    def __init__(self, detail: str = "") -> None:
        msg = (
            "The printer is offline: check its error light, clear any paper jam, then press Retry."
        )
        super().__init__(f"{msg} ({detail})" if detail else msg)


class SlipNotPrintable(PrinterError):
    """The slip itself cannot be expressed on this printer; nothing was sent."""

    def __init__(self, detail: str) -> None:
        super().__init__(
            f"This slip cannot be printed ({detail}). Nothing was printed: call support."
        )


class PrintNotConfirmed(PrinterError):
    """The job was sent but never proven printed; the slip must be treated as lost."""

    def __init__(self, reason: str) -> None:
        self.reason = reason
        super().__init__(
            "The slip could not be confirmed as printed "
            f"({reason}). Do not hand out the slip: it is not valid."
        )


__all__ = [
    "CoverOpen",
    "DeviceError",
    "PaperOut",
    "PrintNotConfirmed",
    "PrinterConfigError",
    "PrinterError",
    "PrinterOffline",
    "PrinterStatusUnknown",
    "PrinterUnreachable",
    "SlipNotPrintable",
]
