"""Named failures of the card reader and scanner boundary.

Every message is written for the clerk at the counter: it says what to do next, never what a
parser thought. ``reason`` is the short machine name scripts and the web UI switch on. These
live here, not in ``drivers.errors`` (the printer's), so each device owns its own vocabulary.
"""

from __future__ import annotations

from foundation.errors import ClerkFacingError

#: What the clerk is told for any swipe that cannot be trusted, whatever went wrong inside.
SWIPE_AGAIN = "Card could not be read: swipe again, steadily, stripe facing the reader."


class CardReaderError(ClerkFacingError):
    """Base of every card reader / scanner failure; ``str()`` is the clerk's instruction."""

    reason: str = "card_reader_error"

    def __init__(self, message: str, *, reason: str | None = None) -> None:
        super().__init__(message)
        if reason is not None:
            self.reason = reason


class SwipeError(CardReaderError):
    """A swipe that must not reach a sale: no valid track, LRC or Luhn failure, mismatch...

    The clerk message is always "swipe again"; ``reason`` says which check refused it (for logs
    and tests). It never carries the card number it could not trust.
    """

    reason = "bad_swipe"

    def __init__(self, reason: str, detail: str = "") -> None:
        super().__init__(SWIPE_AGAIN, reason=reason)
        self.detail = detail

    def __repr__(self) -> str:
        return f"SwipeError(reason={self.reason!r}, detail={self.detail!r})"


class ReaderUnavailable(CardReaderError):
    """The reader's port cannot be opened or stopped answering (unplugged, wrong port)."""

    reason = "reader_unavailable"


__all__ = ["SWIPE_AGAIN", "CardReaderError", "ReaderUnavailable", "SwipeError"]
