"""The shift's cash besides sales: the opening float, cash in and out, opening the drawer.

Each is one journal event (no new table): the journal is the terminal's one ordered record of
what happened, and the X/Z period is a range of it (``Store.period_figures``), so a period's
float and movements are the ``cash_movement`` events in that range -- a Z closes them with the
sales, and nothing can be edited afterwards. A movement opens the drawer (the money goes in or
out); opening it for anything else takes a supervisor and a reason, journalled as well.

Reasons are codes (the screen and the slips translate them), with an optional short note.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from offline_queue.store import PeriodFigures
from terminal.clerks import SupervisorRequired
from terminal.counter import Counter
from terminal.errors import InvalidAmount, InvalidInput, KioskError

#: The journal event of a float, cash in or cash out (txn: none).
CASH_EVENT = "cash_movement"
#: A supervisor opened the drawer with no money moving (txn: none).
DRAWER_EVENT = "drawer_opened_by_supervisor"

#: kind -> the reason codes a clerk picks from (the screen's and the slip's words for them
#: are in the catalogs).
REASONS: dict[str, tuple[str, ...]] = {
    "float": ("opening_float",),
    "in": ("change_from_safe", "float_top_up", "correction", "other"),
    "out": ("to_safe", "bank_deposit", "supplier_payment", "correction", "other"),
}
DRAWER_REASONS: tuple[str, ...] = ("give_change", "check_contents", "stuck_note", "other")
#: A note is one short line on the journal and the slip.
NOTE_MAX = 60


class InvalidCashMovement(InvalidInput):
    code = "invalid_cash_movement"


class FloatAlreadyCounted(KioskError):
    """One opening float per period: a later change is a cash in or out with its reason."""

    code = "float_already_counted"


class DrawerNotOpened(KioskError):
    """The printer did not kick the drawer (no money moved; the event says so)."""

    code = "drawer_not_opened"


@dataclass(frozen=True)
class CashMovement:
    seq: int
    at: datetime
    kind: str
    currency: str
    amount_minor: int
    reason: str
    note: str
    clerk: str | None

    @property
    def signed_minor(self) -> int:
        """What it does to the drawer: a float and cash in add, cash out takes."""
        return -self.amount_minor if self.kind == "out" else self.amount_minor

    def to_dict(self) -> dict[str, Any]:
        return {
            "seq": self.seq,
            "at": self.at.isoformat(),
            "kind": self.kind,
            "currency": self.currency,
            "amount_minor": self.amount_minor,
            "reason": self.reason,
            "note": self.note,
            "clerk": self.clerk,
        }


class ShiftService:
    """Records the shift's cash movements and drawer openings; reads them back per period."""

    def __init__(self, counter: Counter, clerks: Any) -> None:
        self.counter = counter
        self.clerks = clerks
        self.store = counter.store
        self.config = counter.config

    def currencies(self) -> list[str]:
        return sorted({p.currency for p in self.config.products.values()})

    def movements(self, figures: PeriodFigures | None = None) -> list[CashMovement]:
        """The cash movements of ``figures``' period (default: the open one)."""
        return period_movements(self.store, figures or self.store.period_figures())

    def drawer_openings(self, figures: PeriodFigures | None = None) -> list[dict[str, Any]]:
        figures = figures or self.store.period_figures()
        return [
            {"at": e.at.isoformat(), **e.data}
            for e in self.store.journal_between(
                figures.after_seq, figures.through_seq, [DRAWER_EVENT]
            )
        ]

    def record(
        self,
        kind: str,
        *,
        currency: str,
        amount_minor: int,
        reason: str,
        clerk: str,
        note: str = "",
    ) -> CashMovement:
        """Journal a float, cash in or cash out, then open the drawer for the money."""
        if kind not in REASONS:
            raise InvalidCashMovement(f"A cash movement is float, in or out, not {kind!r}.")
        if reason not in REASONS[kind]:
            raise InvalidCashMovement(
                f"Choose a reason for this cash movement: {', '.join(REASONS[kind])}.",
                params={"reason": reason},
            )
        if currency not in self.currencies():
            raise InvalidCashMovement(f"This terminal takes no {currency!r}.")
        if not isinstance(amount_minor, int) or amount_minor <= 0:
            raise InvalidAmount("Type an amount above zero.")
        note = _note(note)
        self.clerks.get(clerk)
        with self.counter.lock:
            if kind == "float" and any(m.kind == "float" for m in self.movements()):
                raise FloatAlreadyCounted(
                    "The opening float of this period is already counted: record a change as "
                    "cash in or cash out with its reason."
                )
            data = {
                "kind": kind,
                "currency": currency,
                "amount_minor": amount_minor,
                "reason": reason,
                "note": note,
                "clerk": clerk,
            }
            self.store.journal_event(None, CASH_EVENT, data)
            self.counter.open_drawer(None, {"for": CASH_EVENT, "kind": kind, "clerk": clerk})
        return self.movements()[-1]

    def open_drawer(self, *, clerk: str, reason: str, note: str = "") -> None:
        """A supervisor opens the drawer with no sale: journalled with the reason first."""
        try:
            supervisor = self.clerks.require_supervisor(clerk, to="open the drawer")
        except SupervisorRequired:
            raise SupervisorRequired(
                "Only a supervisor may open the drawer without a sale: ask a supervisor."
            ) from None
        if reason not in DRAWER_REASONS:
            raise InvalidCashMovement(
                f"Choose why the drawer opens: {', '.join(DRAWER_REASONS)}.",
                params={"reason": reason},
            )
        with self.counter.lock:
            data = {"clerk": supervisor.number, "reason": reason, "note": _note(note)}
            self.store.journal_event(None, DRAWER_EVENT, data)
            if not self.counter.open_drawer(
                None, {"for": DRAWER_EVENT, "clerk": supervisor.number}
            ):
                raise DrawerNotOpened(
                    "The printer did not open the drawer: check the printer and its cable."
                )


def period_movements(store: Any, figures: PeriodFigures) -> list[CashMovement]:
    """The cash movements journalled in ``figures``' period (reports and the screen)."""
    return [
        CashMovement(
            seq=event.seq,
            at=event.at,
            kind=str(event.data.get("kind")),
            currency=str(event.data.get("currency")),
            amount_minor=int(event.data.get("amount_minor", 0)),
            reason=str(event.data.get("reason")),
            note=str(event.data.get("note") or ""),
            clerk=event.data.get("clerk"),
        )
        for event in store.journal_between(figures.after_seq, figures.through_seq, [CASH_EVENT])
    ]


def totals(movements: Sequence[CashMovement]) -> dict[str, dict[str, int]]:
    """Per currency: ``float``, ``in`` and ``out`` totals (minor units, all positive)."""
    out: dict[str, dict[str, int]] = {}
    for move in movements:
        line = out.setdefault(move.currency, {"float": 0, "in": 0, "out": 0})
        line[move.kind] = line.get(move.kind, 0) + move.amount_minor
    return out


def _note(text: str) -> str:
    note = " ".join(str(text or "").split())
    if len(note) > NOTE_MAX:
        raise InvalidCashMovement(
            f"The note has {len(note)} characters; keep it to {NOTE_MAX}.",
            params={"length": len(note), "max": NOTE_MAX},
        )
    return note


__all__ = [
    "CASH_EVENT",
    "DRAWER_EVENT",
    "DRAWER_REASONS",
    "REASONS",
    "CashMovement",
    "DrawerNotOpened",
    "FloatAlreadyCounted",
    "InvalidCashMovement",
    "ShiftService",
    "period_movements",
    "totals",
]
