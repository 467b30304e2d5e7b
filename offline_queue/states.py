"""The transaction state machine (docs/internals.md), in one table the store enforces.

Kept as data, not code, so the store, crash recovery and the tests all derive from the same
table: a legal move is one listed here, everything else is :class:`IllegalTransition`.
"""

from __future__ import annotations

from collections.abc import Mapping

RECORDED = "recorded"
AUTHORIZED = "authorized"
OFFLINE_ACCEPTED = "offline_accepted"
DECLINED = "declined"
FAILED = "failed"
PRINTING = "printing"
PRINT_FAILED = "print_failed"
CONFIRMED = "confirmed"
VOIDED = "voided"
STORNO_REQUESTED = "storno_requested"
STORNO_PRINTING = "storno_printing"
STORNOED = "stornoed"

#: Every legal move: state -> the states it may become.
TRANSITIONS: Mapping[str, frozenset[str]] = {
    RECORDED: frozenset({AUTHORIZED, OFFLINE_ACCEPTED, DECLINED, FAILED}),
    AUTHORIZED: frozenset({PRINTING, VOIDED}),
    OFFLINE_ACCEPTED: frozenset({PRINTING, VOIDED}),
    PRINTING: frozenset({CONFIRMED, PRINT_FAILED}),
    PRINT_FAILED: frozenset({VOIDED}),
    CONFIRMED: frozenset({STORNO_REQUESTED}),
    STORNO_REQUESTED: frozenset({STORNO_PRINTING, CONFIRMED}),
    STORNO_PRINTING: frozenset({STORNOED, CONFIRMED}),
    DECLINED: frozenset(),
    FAILED: frozenset(),
    VOIDED: frozenset(),
    STORNOED: frozenset(),
}

ALL_STATES: frozenset[str] = frozenset(TRANSITIONS)

#: Nothing ever happens to these again.
FINAL_STATES: frozenset[str] = frozenset({DECLINED, FAILED, VOIDED, STORNOED})

#: States a sale rests in between requests; everything else is "in between" and must be
#: settled by crash recovery when the process starts.
RESTING_STATES: frozenset[str] = FINAL_STATES | {CONFIRMED}
IN_BETWEEN_STATES: frozenset[str] = ALL_STATES - RESTING_STATES

#: States of a sale the customer holds a valid slip for (or is about to): the money is out.
SALE_STANDING_STATES: frozenset[str] = frozenset(
    {OFFLINE_ACCEPTED, PRINTING, CONFIRMED, STORNO_REQUESTED, STORNO_PRINTING}
)

#: Outbox message kinds.
CONFIRM = "confirm"
OFFLINE_SALE = "offline_sale"
VOID = "void"
REVERSAL = "reversal"
STORNO = "storno"
MESSAGE_KINDS: frozenset[str] = frozenset({CONFIRM, OFFLINE_SALE, VOID, REVERSAL, STORNO})


def allowed_targets(state: str) -> frozenset[str]:
    """The states ``state`` may become (empty for final states)."""
    try:
        return TRANSITIONS[state]
    except KeyError:
        known = ", ".join(sorted(ALL_STATES))
        raise ValueError(f"unknown transaction state {state!r}; known states: {known}") from None


def is_legal(from_state: str, to_state: str) -> bool:
    """Whether the table lists ``from_state -> to_state``."""
    return to_state in allowed_targets(from_state)


def implied_outbox_kinds(state: str, *, offline: bool) -> tuple[str, ...]:
    """The outbox kinds a transaction in ``state`` must have, in the order they were written.

    The table of docs/internals.md: an online confirmed sale has ``confirm``, an offline one
    ``offline_sale``; an online void ``void`` (the host authorised it), an offline void nothing
    (the host never heard of it); ``failed`` a ``reversal``; ``stornoed`` the sale's advice
    then ``storno``. A sale in a storno attempt still has its sale's advice.
    """
    allowed_targets(state)
    sale_advice = OFFLINE_SALE if offline else CONFIRM
    if state in (CONFIRMED, STORNO_REQUESTED, STORNO_PRINTING):
        return (sale_advice,)
    if state == STORNOED:
        return (sale_advice, STORNO)
    if state == VOIDED:
        return () if offline else (VOID,)
    if state == FAILED:
        return (REVERSAL,)
    return ()


__all__ = [
    "ALL_STATES",
    "AUTHORIZED",
    "CONFIRM",
    "CONFIRMED",
    "DECLINED",
    "FAILED",
    "FINAL_STATES",
    "IN_BETWEEN_STATES",
    "MESSAGE_KINDS",
    "OFFLINE_ACCEPTED",
    "OFFLINE_SALE",
    "PRINTING",
    "PRINT_FAILED",
    "RECORDED",
    "RESTING_STATES",
    "REVERSAL",
    "SALE_STANDING_STATES",
    "STORNO",
    "STORNOED",
    "STORNO_PRINTING",
    "STORNO_REQUESTED",
    "TRANSITIONS",
    "VOID",
    "VOIDED",
    "allowed_targets",
    "implied_outbox_kinds",
    "is_legal",
]
