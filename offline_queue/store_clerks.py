"""The clerks area: who may sign in at this counter, with every change journaled."""

from __future__ import annotations

import logging
import re
import sqlite3
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from offline_queue.errors import (
    DuplicateClerk,
    InvalidRecord,
    UnknownClerkNumber,
)
from offline_queue.eventlog import emit
from offline_queue.replay import pin_digest
from offline_queue.store_fields import (
    Field,
    FieldCodec,
    count,
    flag,
    from_iso,
    json_object,
    moment_or_none,
    opt_from_iso,
    to_iso,
)
from offline_queue.store_journal import JournalArea

log = logging.getLogger(__name__)

#: Journal events of clerks all start with this; ``add_clerk`` writes ``clerk_added``.
CLERK_EVENT_PREFIX = "clerk_"
CLERK_ADDED_EVENT = "clerk_added"

CLERK_ROLES = ("clerk", "supervisor")


#: The clerk columns ``update_clerk(changes=...)`` may change.
def _pin_hash(_name: str, value: Any) -> tuple[Any, Any]:
    """The hash in the row; the journal says only that the PIN changed (a PIN could be guessed
    from its hash)."""
    _check_pin_hash(value)
    return value, "changed"


CLERK_FIELDS = FieldCodec(
    {
        "pin_hash": Field(_pin_hash, shown_as="pin"),
        "active": Field(flag),
        "failures": Field(count),
        "locked_until": Field(moment_or_none),
    },
    refusal="cannot change {unknown} of a clerk; changeable are {allowed}",
)
CLERK_UPDATABLE = CLERK_FIELDS.names
_CLERK_NUMBER = re.compile(r"\A[0-9]{1,6}\Z")


@dataclass(frozen=True)
class ClerkRecord:
    """One clerk as stored; ``pin_hash`` is the encoded slow hash, never the PIN."""

    number: str
    name: str
    role: str
    pin_hash: str = field(repr=False)
    active: bool = True
    failures: int = 0
    locked_until: datetime | None = None
    created_at: datetime | None = None
    updated_at: datetime | None = None


class ClerkArea(JournalArea):
    """Clerks' rows and their journal events, written together."""

    # -- clerks ----------------------------------------------------------------------------

    def add_clerk(
        self,
        *,
        number: str,
        name: str,
        role: str,
        pin_hash: str,
        data: Mapping[str, Any] | None = None,
    ) -> ClerkRecord:
        """Keep a new clerk and journal ``clerk_added`` (without the hash), all or nothing.

        Numbers are never reused (:class:`DuplicateClerk`, deactivated clerks included): past
        sales carry the number, and it must keep naming the same person.
        """
        _check_clerk_number(number)
        if not isinstance(name, str) or not name.strip():
            raise InvalidRecord("a clerk needs a name")
        if role not in CLERK_ROLES:
            raise InvalidRecord(f"clerk role must be one of {', '.join(CLERK_ROLES)}, not {role!r}")
        _check_pin_hash(pin_hash)
        extra = json_object("data", data)
        with self._write() as conn:
            if conn.execute("SELECT 1 FROM clerks WHERE number = ?", (number,)).fetchone():
                raise DuplicateClerk(number)
            now = to_iso(self.clock.now())
            conn.execute(
                "INSERT INTO clerks (number, name, role, pin_hash, active, failures, "
                "locked_until, created_at, updated_at) VALUES (?, ?, ?, ?, 1, 0, NULL, ?, ?)",
                (number, name, role, pin_hash, now, now),
            )
            self._append_journal(
                conn,
                None,
                CLERK_ADDED_EVENT,
                {
                    **extra,
                    "clerk": number,
                    "name": name,
                    "role": role,
                    **self._pin_digest(pin_hash),
                },
                at=now,
            )
            added = self._clerk(conn, number)
        emit(log, "clerk.added", clerk=number, role=role)
        return added

    def update_clerk(
        self,
        number: str,
        event: str,
        *,
        data: Mapping[str, Any] | None = None,
        changes: Mapping[str, Any] | None = None,
    ) -> ClerkRecord:
        """Change a clerk's row and journal ``event`` about it in one transaction.

        ``changes`` may set ``pin_hash``, ``active`` (bool), ``failures`` (int) and
        ``locked_until`` (aware datetime or None). The journal gets the changes except the
        hash (``"pin": "changed"`` instead). An empty ``changes`` only journals the event
        (signed out, sign-in refused while locked).
        """
        if not isinstance(event, str) or not event.startswith(CLERK_EVENT_PREFIX):
            raise InvalidRecord(f"clerk events start with {CLERK_EVENT_PREFIX!r}, not {event!r}")
        extra = json_object("data", data)
        columns, journal_changes = CLERK_FIELDS.encode(changes or {})
        if "pin_hash" in columns:
            journal_changes.update(self._pin_digest(columns["pin_hash"]))
        with self._write() as conn:
            self._clerk(conn, number)
            now_iso = to_iso(self.clock.now())
            if columns:
                columns["updated_at"] = now_iso
                set_sql = ", ".join(f"{name} = ?" for name in columns)
                conn.execute(
                    f"UPDATE clerks SET {set_sql} WHERE number = ?", (*columns.values(), number)
                )
            entry = {**extra, "clerk": number}
            if journal_changes:
                entry["changes"] = journal_changes
            self._append_journal(conn, None, event, entry, at=now_iso)
            changed = self._clerk(conn, number)
        emit(log, f"clerk.{event.removeprefix(CLERK_EVENT_PREFIX)}", clerk=number)
        return changed

    def _pin_digest(self, pin_hash: str) -> dict[str, str]:
        """A MAC of a PIN hash for the journal: it proves which hash the row must hold without
        putting the hash (which a PIN could be guessed from) into the journal."""
        if self._chain_key is None:
            return {}
        return {"pin_digest": pin_digest(self._chain_key, pin_hash)}

    def get_clerk(self, number: str) -> ClerkRecord | None:
        with self._lock:
            try:
                return self._clerk(self._live(), number)
            except UnknownClerkNumber:
                return None

    def list_clerks(self) -> list[ClerkRecord]:
        """Every clerk, deactivated ones too, in number order (2 before 10)."""
        with self._lock:
            rows = self._live().execute("SELECT * FROM clerks ORDER BY length(number), number")
            return [_clerk_from_row(row) for row in rows]

    def _clerk(self, conn: sqlite3.Connection, number: str) -> ClerkRecord:
        row = conn.execute("SELECT * FROM clerks WHERE number = ?", (number,)).fetchone()
        if row is None:
            raise UnknownClerkNumber(number)
        return _clerk_from_row(row)


def _check_clerk_number(number: object) -> None:
    if not isinstance(number, str) or not _CLERK_NUMBER.match(number):
        raise InvalidRecord(f"a clerk number is 1 to 6 digits, not {number!r}")


def _check_pin_hash(pin_hash: object) -> None:
    """A guard against keeping a PIN in clear: only an encoded ``scheme$...`` hash is taken."""
    if (
        not isinstance(pin_hash, str)
        or "$" not in pin_hash
        or pin_hash.replace("$", "").isdigit()
        or len(pin_hash) < 32
    ):
        raise InvalidRecord("pin_hash must be an encoded slow hash (scheme$...), never the PIN")


def _clerk_from_row(row: sqlite3.Row) -> ClerkRecord:
    return ClerkRecord(
        number=row["number"],
        name=row["name"],
        role=row["role"],
        pin_hash=row["pin_hash"],
        active=bool(row["active"]),
        failures=int(row["failures"]),
        locked_until=opt_from_iso(row["locked_until"]),
        created_at=from_iso(row["created_at"]),
        updated_at=from_iso(row["updated_at"]),
    )
