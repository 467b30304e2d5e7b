"""Named errors of the store, each with a message that says what to do next.

``offline_queue`` never imports ``terminal``, so these derive from :class:`StoreError`, whose
root is ``foundation.errors.ClerkFacingError`` like every other area's; each carries a snake_case
``code`` so the screen, the CLI and scripts can switch on it.
"""

from __future__ import annotations

from foundation.errors import ClerkFacingError


class StoreError(ClerkFacingError):
    """Base of everything the store refuses or cannot do."""

    code: str = "store_error"


class InvalidRecord(StoreError, ValueError):
    """A value handed to the store cannot be kept as it is (float money, bad total, ...)."""

    code = "invalid_record"


class UnknownTransaction(StoreError, LookupError):
    """No transaction with that number exists in this store."""

    code = "unknown_transaction"

    def __init__(self, txn: str) -> None:
        super().__init__(
            f"no transaction {txn!r} in this store; check the 14-digit number on the slip"
        )
        self.txn = txn


class UnknownMessage(StoreError, LookupError):
    """No outbox message with that id exists."""

    code = "unknown_message"

    def __init__(self, message_id: str) -> None:
        super().__init__(f"no outbox message {message_id!r}; list them with `kiosk queue list`")
        self.message_id = message_id


class IllegalTransition(StoreError):
    """The transaction's current state does not allow the requested one; nothing was changed."""

    code = "illegal_transition"

    def __init__(self, txn: str, from_state: str, to_state: str, allowed: frozenset[str]) -> None:
        allowed_text = ", ".join(sorted(allowed)) or "nothing (final state)"
        super().__init__(
            f"transaction {txn} is {from_state!r} and cannot become {to_state!r}; "
            f"from {from_state!r} it may only become: {allowed_text}"
        )
        self.txn = txn
        self.from_state = from_state
        self.to_state = to_state
        self.allowed = allowed


class DuplicateMessage(StoreError):
    """A transaction may carry one outbox message per kind; a second one was refused."""

    code = "duplicate_message"

    def __init__(self, txn: str, kind: str) -> None:
        super().__init__(
            f"transaction {txn} already has a {kind!r} message in the outbox; "
            "an advice is written once and forwarded until the host answers"
        )
        self.txn = txn
        self.kind = kind


class UnknownClerkNumber(StoreError, LookupError):
    """No clerk with that number is kept in this store."""

    code = "unknown_clerk"

    def __init__(self, number: str) -> None:
        super().__init__(f"no clerk number {number!r} at this terminal; list them first")
        self.number = number


class DuplicateClerk(StoreError):
    """A clerk number is given once: it stays on every sale the clerk made."""

    code = "clerk_exists"

    def __init__(self, number: str) -> None:
        super().__init__(
            f"clerk number {number!r} is already taken (perhaps by a deactivated clerk); "
            "choose another number"
        )
        self.number = number


class PeriodChanged(StoreError):
    """The period a Z report was about to close was closed meanwhile by another Z."""

    code = "period_changed"


class SchemaTooNew(StoreError):
    """The store file was written by a newer version of the terminal software."""

    code = "schema_too_new"

    def __init__(self, path: str, found: int, known: int) -> None:
        super().__init__(
            f"store {path} has schema version {found}, but this software knows only up to "
            f"{known}; install the newer terminal software (never downgrade a store)"
        )
        self.found = found
        self.known = known


class JournalTampered(StoreError):
    """The hash chain of the journal does not hold: a row was edited, removed or forged."""

    code = "journal_tampered"


class StoreBusy(StoreError):
    """Another process held the store's write lock for longer than the busy timeout."""

    code = "store_busy"


class StoreClosed(StoreError):
    """The store was closed; open a new one."""

    code = "store_closed"


class IdempotencyKeyTaken(StoreError):
    """Another request already stored this idempotency key (its twin runs or ran)."""

    def __init__(self, key: str) -> None:
        super().__init__(f"idempotency key {key!r} is already in use")
        self.key = key


__all__ = [
    "DuplicateClerk",
    "DuplicateMessage",
    "IdempotencyKeyTaken",
    "IllegalTransition",
    "InvalidRecord",
    "JournalTampered",
    "PeriodChanged",
    "SchemaTooNew",
    "StoreBusy",
    "StoreClosed",
    "StoreError",
    "UnknownClerkNumber",
    "UnknownMessage",
    "UnknownTransaction",
]
