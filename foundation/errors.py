"""The one root of every error the terminal expects, so a screen catches one class.

Each area derives its own vocabulary from :class:`ClerkFacingError`: the terminal's refusals
(``terminal.errors.KioskError``), the devices' failures (``drivers.errors.DeviceError``), the
card reader's (``drivers.card_reader.errors.CardReaderError``) and the store's
(``offline_queue.errors.StoreError``). ``str(error)`` is a sentence the clerk can act on and
``error.code`` a snake_case name scripts and screens switch on; an area that has no finer name
keeps the root's ``"error"``.
"""

from __future__ import annotations


class ClerkFacingError(Exception):
    """Base of every expected failure; ``str()`` tells the clerk what to do next."""

    #: Short machine-readable name (snake_case); each area and refusal sets its own.
    code: str = "error"

    def __init__(
        self, message: str = "", *, code: str | None = None, params: dict[str, object] | None = None
    ) -> None:
        super().__init__(message)
        self.message = message
        #: the numbers and names in ``message``, for a screen that says it in another language
        #: (amounts as ``*_minor`` with ``currency``)
        self.params: dict[str, object] = dict(params or {})
        if code is not None:
            self.code = code

    def __str__(self) -> str:
        return self.message


__all__ = ["ClerkFacingError"]
