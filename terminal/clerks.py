"""Clerks: who stands at the counter, signed in with a number and a PIN.

Every sale and storno records the clerk who made it, and some acts (the Z report that closes
the period, unlocking a clerk, managing clerks) are a supervisor's. The book keeps clerks in the
store (``offline_queue`` does the SQL and journals every change in the same transaction) and
decides the policy here:

* A PIN is 4 to 8 digits, kept only as a salted scrypt hash whose parameters travel with it, so
  they can be raised later: a clerk whose hash is older is re-hashed at the next sign-in.
* ``max_failures`` wrong PINs in a row lock the clerk for ``lockout_s`` (wall clock, so a
  restart does not end it); a right PIN resets the count; a locked clerk is refused even with
  the right PIN until the time passes or a supervisor unlocks.
* A refusal never tells whether the number exists: an unknown or deactivated number gets the
  same message, the same count of attempts left, the same lockout and the same hashing work as
  a real clerk with a wrong PIN. Only the journal says which it was.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import re
import secrets
import threading
from collections import OrderedDict
from dataclasses import dataclass
from datetime import datetime, timedelta
from enum import StrEnum
from typing import Any
from zoneinfo import ZoneInfo

from foundation.clock import Clock
from offline_queue.errors import DuplicateClerk
from offline_queue.store import CLERK_ADDED_EVENT, ClerkRecord, Store
from terminal.errors import InvalidInput, KioskError

#: Recorded as the clerk of a sale that came through the JSON API (or ``kiosk sell``) without
#: one: the caller proved the terminal's API token, not a clerk's PIN. Never a clerk number
#: (those are digits), so it cannot be mistaken for a person.
API_CLERK = "api"


def api_clerk(clerk: str | None) -> str:
    """The clerk to record for a sale that came through the API: the one named, else "api"."""
    return (clerk or "").strip() or API_CLERK


#: Journal events (the store journals them with the change they describe).
CLERK_ADDED = CLERK_ADDED_EVENT
PIN_CHANGED = "clerk_pin_changed"
SIGNED_IN = "clerk_signed_in"
SIGN_IN_REFUSED = "clerk_sign_in_refused"
LOCKED_OUT = "clerk_locked_out"
UNLOCKED = "clerk_unlocked"
SIGNED_OUT = "clerk_signed_out"
DEACTIVATED = "clerk_deactivated"

#: scrypt cost: 32 MiB and about a tenth of a second per PIN on a counter PC. Stored with each
#: hash (``scrypt$n=..,r=..,p=..$salt$hash``), so raising it later re-hashes at sign-in.
SCRYPT_N = 2**15
SCRYPT_R = 8
SCRYPT_P = 1
SALT_BYTES = 16
HASH_BYTES = 32
#: Parameters read back from the store above these are refused rather than computed: a forged
#: row must not make a sign-in allocate gigabytes.
_MAX_N, _MAX_R, _MAX_P = 2**20, 32, 16

_NUMBER = re.compile(r"\A[0-9]{1,6}\Z")
_PIN = re.compile(r"\A[0-9]{4,8}\Z")
_HASH = re.compile(
    r"\Ascrypt\$n=(?P<n>[0-9]+),r=(?P<r>[0-9]+),p=(?P<p>[0-9]+)"
    r"\$(?P<salt>[A-Za-z0-9+/=]+)\$(?P<hash>[A-Za-z0-9+/=]+)\Z"
)
#: How many unknown numbers' refusals are remembered (see ``_Phantom``).
_PHANTOM_LIMIT = 1000
MAX_NAME_LENGTH = 40


class Role(StrEnum):
    CLERK = "clerk"
    SUPERVISOR = "supervisor"


@dataclass(frozen=True)
class Clerk:
    """A clerk as the screen and the API see one: never the PIN or its hash."""

    number: str
    name: str
    role: Role
    active: bool
    #: set while sign-in is locked after too many wrong PINs (so a supervisor sees whom to
    #: unlock); None otherwise
    locked_until: datetime | None = None

    @property
    def is_supervisor(self) -> bool:
        return self.active and self.role is Role.SUPERVISOR

    def to_dict(self) -> dict[str, Any]:
        return {
            "number": self.number,
            "name": self.name,
            "role": str(self.role),
            "active": self.active,
            "locked": self.locked_until is not None,
            "locked_until": self.locked_until.isoformat() if self.locked_until else None,
        }


class UnknownClerk(KioskError):
    """No clerk has that number (for managing clerks; sign-in never says so)."""

    code = "unknown_clerk"


class ClerkExists(KioskError):
    code = "clerk_exists"


class InvalidClerkNumber(InvalidInput):
    code = "invalid_clerk_number"


class InvalidClerkName(InvalidInput):
    code = "invalid_clerk_name"


class InvalidRole(InvalidInput):
    code = "invalid_role"


class InvalidPin(InvalidInput):
    """A PIN must be 4 to 8 digits."""

    code = "invalid_pin"


class SignInRefused(KioskError):
    """Wrong number or PIN; the message says how many attempts are left, never which was wrong."""

    code = "sign_in_refused"

    def __init__(self, attempts_left: int) -> None:
        word = "attempt" if attempts_left == 1 else "attempts"
        super().__init__(
            f"Wrong clerk number or PIN. {attempts_left} {word} left before sign-in is locked: "
            "type them again.",
            params={"attempts": attempts_left},
        )
        self.attempts_left = attempts_left


class ClerkLockedOut(KioskError):
    """Too many wrong PINs: sign-in is locked until ``locked_until``."""

    code = "clerk_locked_out"

    def __init__(self, locked_until: datetime, *, now: datetime, timezone: str) -> None:
        local = locked_until.astimezone(ZoneInfo(timezone))
        minutes = max(1, -(-int((locked_until - now).total_seconds()) // 60))
        super().__init__(
            f"Too many wrong PINs: sign-in is locked until {local:%H:%M} (about {minutes} min). "
            "Wait, or ask a supervisor to unlock it.",
            params={"until": f"{local:%H:%M}"},
        )
        self.locked_until = locked_until


class SupervisorRequired(KioskError):
    """Only an active supervisor may do this (Z report, unlocking, managing clerks)."""

    code = "supervisor_required"


class LastSupervisor(KioskError):
    code = "last_supervisor"


# -- PIN hashing --------------------------------------------------------------------------------


def _b64(data: bytes) -> str:
    return base64.b64encode(data).decode("ascii")


def hash_pin(pin: str, *, n: int = SCRYPT_N, r: int = SCRYPT_R, p: int = SCRYPT_P) -> str:
    """A fresh random salt and scrypt: the same PIN never gives the same text twice."""
    salt = secrets.token_bytes(SALT_BYTES)
    digest = _scrypt(pin, salt, n, r, p)
    return f"scrypt$n={n},r={r},p={p}${_b64(salt)}${_b64(digest)}"


def _scrypt(pin: str, salt: bytes, n: int, r: int, p: int) -> bytes:
    return hashlib.scrypt(
        pin.encode("utf-8"),
        salt=salt,
        n=n,
        r=r,
        p=p,
        maxmem=256 * n * r * p + 2**20,
        dklen=HASH_BYTES,
    )


def _parse_hash(encoded: str) -> tuple[int, int, int, bytes, bytes] | None:
    match = _HASH.match(encoded)
    if match is None:
        return None
    n, r, p = int(match["n"]), int(match["r"]), int(match["p"])
    if not (1 < n <= _MAX_N and n & (n - 1) == 0 and 0 < r <= _MAX_R and 0 < p <= _MAX_P):
        return None
    try:
        return n, r, p, base64.b64decode(match["salt"]), base64.b64decode(match["hash"])
    except ValueError:
        return None


def verify_pin(pin: str, encoded: str) -> bool:
    """Whether ``pin`` is the one hashed in ``encoded``; compared in constant time."""
    parsed = _parse_hash(encoded)
    if parsed is None:
        return False
    n, r, p, salt, expected = parsed
    return hmac.compare_digest(_scrypt(pin, salt, n, r, p), expected)


def needs_rehash(encoded: str) -> bool:
    """A hash made with weaker parameters than today's (re-hashed at the next sign-in)."""
    parsed = _parse_hash(encoded)
    if parsed is None:
        return True
    n, r, p, _, digest = parsed
    return (n, r, p) < (SCRYPT_N, SCRYPT_R, SCRYPT_P) or len(digest) < HASH_BYTES


# -- the book -----------------------------------------------------------------------------------


@dataclass
class _Phantom:
    """Failures counted against a number no active clerk has, so it is refused exactly like a
    real clerk with a wrong PIN (attempts left, then a lockout). Kept in memory only."""

    failures: int = 0
    locked_until: datetime | None = None


def _number(number: object) -> str:
    text = str(number).strip() if isinstance(number, str | int) else ""
    if not _NUMBER.match(text):
        raise InvalidClerkNumber(f"A clerk number is 1 to 6 digits, not {number!r}.")
    return text


def _pin(pin: object) -> str:
    if not isinstance(pin, str) or not _PIN.match(pin):
        raise InvalidPin("A PIN is 4 to 8 digits: type it again.")
    return pin


def _role(role: Role | str) -> Role:
    try:
        return Role(role)
    except ValueError:
        raise InvalidRole(
            f"A clerk's role is {' or '.join(r.value for r in Role)}, not {role!r}."
        ) from None


class ClerkBook:
    """The clerks of this terminal, their sign-ins and lockouts.

    One lock makes counting a failure and reading the count one step (the kiosk process is
    the only writer of its store). ``timezone`` is only for saying "locked until 14:30".
    """

    def __init__(
        self,
        store: Store,
        clock: Clock,
        *,
        max_failures: int,
        lockout_s: float,
        timezone: str = "UTC",
    ) -> None:
        if max_failures < 1:
            raise ValueError("max_failures must be at least 1")
        if lockout_s <= 0:
            raise ValueError("lockout_s must be positive")
        self.store = store
        self.clock = clock
        self.max_failures = max_failures
        self.lockout_s = lockout_s
        self.timezone = timezone
        self._lock = threading.Lock()
        self._phantoms: OrderedDict[str, _Phantom] = OrderedDict()
        self._dummy_hash: str | None = None

    # -- reading ----------------------------------------------------------------------------

    def _clerk(self, record: ClerkRecord) -> Clerk:
        until = record.locked_until
        if until is not None and until <= self.clock.now():
            until = None
        return Clerk(record.number, record.name, Role(record.role), record.active, until)

    def get(self, number: str) -> Clerk | None:
        record = self.store.get_clerk(_number(number))
        return None if record is None else self._clerk(record)

    def list(self) -> list[Clerk]:
        return [self._clerk(record) for record in self.store.list_clerks()]

    def _existing(self, number: str) -> ClerkRecord:
        record = self.store.get_clerk(_number(number))
        if record is None:
            raise UnknownClerk(
                f"There is no clerk number {number} at this terminal: check the number "
                "(`kiosk clerk list` shows them)."
            )
        return record

    def sale_clerk(self, number: str | None) -> str:
        """Who a sale through the API or CLI is recorded for: an active clerk named, else "api".

        A till may name the clerk at its till; a number no active clerk has is refused, so no
        sale is ever booked to a clerk who does not exist (issue 14).
        """
        named = api_clerk(number)
        if named == API_CLERK:
            return named
        try:
            clerk = self.get(named)
        except InvalidClerkNumber:
            clerk = None
        if clerk is None or not clerk.active:
            raise UnknownClerk(
                f"No active clerk has number {named}: name an active clerk (`kiosk clerk list`) "
                'or leave the clerk out to record the sale as "api". Nothing was sold.'
            )
        return clerk.number

    def require_supervisor(self, number: str | None, *, to: str) -> Clerk:
        """The active supervisor ``number``, or :class:`SupervisorRequired` saying what for."""
        try:
            clerk = self.get(number) if number else None
        except InvalidClerkNumber:
            clerk = None
        if clerk is None or not clerk.is_supervisor:
            raise SupervisorRequired(
                f"Only a supervisor may {to}: ask a supervisor to sign in and do it."
            )
        return clerk

    def _check_by(self, by: str | None, *, to: str) -> dict[str, Any]:
        """Who does it, for the journal; when the screen says who, it must be a supervisor.

        Callers with the terminal's API token (the till, ``kiosk`` commands) pass no ``by``:
        the token is the shop owner's, so they may manage clerks (and add the first one).
        """
        if by is None:
            return {}
        return {"by": self.require_supervisor(by, to=to).number}

    # -- managing clerks ----------------------------------------------------------------------

    def add(
        self, number: str, name: str, pin: str, role: Role | str, *, by: str | None = None
    ) -> Clerk:
        number = _number(number)
        clean_name = name.strip() if isinstance(name, str) else ""
        if not clean_name or len(clean_name) > MAX_NAME_LENGTH or not clean_name.isprintable():
            raise InvalidClerkName(
                f"Give the clerk's name (1 to {MAX_NAME_LENGTH} characters, as on the badge)."
            )
        the_role = _role(role)
        data = self._check_by(by, to="add clerks")
        pin_hash = hash_pin(_pin(pin))
        try:
            record = self.store.add_clerk(
                number=number, name=clean_name, role=the_role.value, pin_hash=pin_hash, data=data
            )
        except DuplicateClerk:
            raise ClerkExists(
                f"Clerk number {number} is already taken (numbers are never reused, a "
                "deactivated clerk's neither): choose another number."
            ) from None
        return self._clerk(record)

    def set_pin(self, number: str, pin: str, *, by: str | None = None) -> None:
        """A new PIN; it also clears failures and any lockout (a fresh start)."""
        record = self._existing(number)
        if by is not None and by == record.number:
            data: dict[str, Any] = {"by": by}  # a signed-in clerk changing their own PIN
        else:
            data = self._check_by(by, to="change another clerk's PIN")
        pin_hash = hash_pin(_pin(pin))
        with self._lock:
            self.store.update_clerk(
                record.number,
                PIN_CHANGED,
                data=data,
                changes={"pin_hash": pin_hash, "failures": 0, "locked_until": None},
            )

    def unlock(self, number: str, *, by: str | None = None) -> None:
        record = self._existing(number)
        data = self._check_by(by, to="unlock a clerk")
        with self._lock:
            self.store.update_clerk(
                record.number,
                UNLOCKED,
                data={**data, "was_locked": self._clerk(record).locked_until is not None},
                changes={"failures": 0, "locked_until": None},
            )

    def deactivate(self, number: str, *, by: str | None = None) -> None:
        """The clerk can no longer sign in; the number stays on past sales and is not reused."""
        record = self._existing(number)
        data = self._check_by(by, to="deactivate a clerk")
        with self._lock:
            if record.active and record.role == Role.SUPERVISOR:
                others = [
                    c
                    for c in self.store.list_clerks()
                    if c.active and c.role == Role.SUPERVISOR and c.number != record.number
                ]
                if not others:
                    raise LastSupervisor(
                        f"Clerk {record.number} is the last active supervisor: add another "
                        "supervisor first, or nobody could close the period (Z report)."
                    )
            self.store.update_clerk(
                record.number, DEACTIVATED, data=data, changes={"active": False}
            )

    # -- signing in and out -------------------------------------------------------------------

    def sign_in(self, number: str, pin: str) -> Clerk:
        """The clerk, if the PIN is right and sign-in is not locked.

        Raises :class:`SignInRefused` (attempts left) or :class:`ClerkLockedOut`; the same for
        a number no active clerk has, so the screen cannot be used to find clerk numbers.
        """
        number = _number(number)
        with self._lock:
            now = self.clock.now()
            record = self.store.get_clerk(number)
            if record is None or not record.active:
                reason = "unknown_clerk" if record is None else "inactive"
                return self._refuse_phantom(number, pin, now, reason)
            if record.locked_until is not None and now < record.locked_until:
                self.store.update_clerk(number, SIGN_IN_REFUSED, data={"reason": "locked_out"})
                raise self._locked(record.locked_until, now)
            # A lockout that has run out starts a fresh count.
            failures = record.failures if record.locked_until is None else 0
            if _PIN.match(pin or "") and verify_pin(pin, record.pin_hash):
                changes: dict[str, Any] = {"failures": 0, "locked_until": None}
                if needs_rehash(record.pin_hash):
                    changes["pin_hash"] = hash_pin(pin)
                record = self.store.update_clerk(
                    number, SIGNED_IN, data={"role": record.role}, changes=changes
                )
                return self._clerk(record)
            failures += 1
            if failures >= self.max_failures:
                until = now + timedelta(seconds=self.lockout_s)
                self.store.update_clerk(
                    number,
                    LOCKED_OUT,
                    data={"reason": "wrong_pin"},
                    changes={"failures": failures, "locked_until": until},
                )
                raise self._locked(until, now)
            self.store.update_clerk(
                number,
                SIGN_IN_REFUSED,
                data={"reason": "wrong_pin"},
                changes={"failures": failures, "locked_until": None},
            )
            raise SignInRefused(self.max_failures - failures)

    def _refuse_phantom(self, number: str, pin: str, now: datetime, reason: str) -> Clerk:
        """Refuse a number no active clerk has exactly as a real clerk's wrong PIN is refused."""
        phantom = self._phantoms.pop(number, None) or _Phantom()
        self._phantoms[number] = phantom
        while len(self._phantoms) > _PHANTOM_LIMIT:
            self._phantoms.popitem(last=False)
        data: dict[str, Any] = {"reason": reason}
        if phantom.locked_until is not None and now < phantom.locked_until:
            self.store.journal_event(None, SIGN_IN_REFUSED, {"clerk": number, **data})
            raise self._locked(phantom.locked_until, now)
        if phantom.locked_until is not None:
            phantom.failures, phantom.locked_until = 0, None
        if _PIN.match(pin or ""):
            if self._dummy_hash is None:
                self._dummy_hash = hash_pin(secrets.token_hex(4)[:8])
            verify_pin(pin, self._dummy_hash)  # the same work as a real clerk's check
        phantom.failures += 1
        data["failures"] = phantom.failures
        self.store.journal_event(None, SIGN_IN_REFUSED, {"clerk": number, **data})
        if phantom.failures >= self.max_failures:
            phantom.locked_until = now + timedelta(seconds=self.lockout_s)
            raise self._locked(phantom.locked_until, now)
        raise SignInRefused(self.max_failures - phantom.failures)

    def _locked(self, until: datetime, now: datetime) -> ClerkLockedOut:
        return ClerkLockedOut(until, now=now, timezone=self.timezone)

    def sign_out(self, number: str, *, reason: str | None = None) -> None:
        """Journal the end of a clerk's session (``reason``: e.g. "auto_lock" from the screen)."""
        record = self._existing(number)
        data = {} if reason is None else {"reason": str(reason)[:40]}
        self.store.update_clerk(record.number, SIGNED_OUT, data=data)


__all__ = [
    "API_CLERK",
    "Clerk",
    "ClerkBook",
    "ClerkExists",
    "ClerkLockedOut",
    "InvalidClerkName",
    "InvalidClerkNumber",
    "InvalidPin",
    "InvalidRole",
    "LastSupervisor",
    "Role",
    "SignInRefused",
    "SupervisorRequired",
    "UnknownClerk",
    "api_clerk",
    "hash_pin",
    "needs_rehash",
    "verify_pin",
]
