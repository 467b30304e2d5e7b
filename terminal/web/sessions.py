"""Who stands at the counter: server-side sessions, the inactivity lock and one-shot forms.

Why in memory: a session lives as long as the kiosk process (a restart means signing in again,
which is what a clerk expects after the terminal restarted), and nothing about a clerk's
session is worth a disk write. The browser holds only a random id in an HttpOnly,
SameSite=Strict cookie.

The lock is decided here, from the kiosk's clock, on every request: a page left open stays
usable only as long as the server says so, whatever the browser's timer does. Only what a
clerk does counts as activity; the status bar's pushes and polls do not.
"""

from __future__ import annotations

import secrets
import threading
from collections import OrderedDict
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from foundation.clock import Clock

#: Name of the session cookie.
COOKIE = "counter_session"
#: Sessions kept at most (one counter has a handful of clerks; old ones are dropped first).
MAX_SESSIONS = 64
#: Open sale forms remembered per process, for double-submit protection.
MAX_FORMS = 256


@dataclass
class Session:
    """One browser's sign-in. ``clerk`` is the ``terminal.clerks.Clerk`` signed in."""

    sid: str
    clerk: Any
    language: str
    last_active: float
    locked: bool = False
    #: Seconds of inactivity after which this session locks (from ``[clerks] auto_lock``).
    auto_lock_s: float = 300.0

    @property
    def clerk_number(self) -> str:
        return str(self.clerk.number)

    @property
    def is_supervisor(self) -> bool:
        return bool(self.clerk.is_supervisor)


class Sessions:
    """The signed-in browsers of this kiosk process."""

    def __init__(
        self,
        clock: Clock,
        *,
        auto_lock_s: float,
        on_lock: Callable[[Session, str], None] | None = None,
    ) -> None:
        self.clock = clock
        self.auto_lock_s = auto_lock_s
        #: told when a session locks ("auto_lock" or "locked"), e.g. to journal it
        self.on_lock = on_lock or (lambda session, reason: None)
        self._lock = threading.Lock()
        self._sessions: OrderedDict[str, Session] = OrderedDict()

    def create(self, clerk: Any, language: str) -> Session:
        session = Session(
            sid=secrets.token_urlsafe(32),
            clerk=clerk,
            language=language,
            last_active=self.clock.monotonic(),
            auto_lock_s=self.auto_lock_s,
        )
        with self._lock:
            self._sessions[session.sid] = session
            while len(self._sessions) > MAX_SESSIONS:
                self._sessions.popitem(last=False)
        return session

    def get(self, sid: str | None) -> Session | None:
        """The session of ``sid``, locked now if it has been idle too long."""
        if not sid:
            return None
        with self._lock:
            session = self._sessions.get(sid)
            if session is None:
                return None
            locks_now = not session.locked and self.idle_s(session) > session.auto_lock_s
            if locks_now:
                session.locked = True
        if locks_now:
            self.on_lock(session, "auto_lock")
        return session

    def idle_s(self, session: Session) -> float:
        return self.clock.monotonic() - session.last_active

    def seconds_left(self, session: Session) -> float:
        """Seconds until the session locks by itself (the page's timer shows the same)."""
        return max(0.0, session.auto_lock_s - self.idle_s(session))

    def touch(self, session: Session) -> None:
        """The clerk did something: the inactivity clock starts again."""
        with self._lock:
            if not session.locked:
                session.last_active = self.clock.monotonic()

    def lock(self, session: Session) -> None:
        with self._lock:
            was_locked, session.locked = session.locked, True
        if not was_locked:
            self.on_lock(session, "locked")

    def unlock(self, session: Session, clerk: Any) -> None:
        """The same clerk typed the PIN again, or another clerk signed in on this screen."""
        with self._lock:
            session.clerk = clerk
            session.locked = False
            session.last_active = self.clock.monotonic()

    def drop(self, sid: str) -> None:
        with self._lock:
            self._sessions.pop(sid, None)


@dataclass
class _FormUse:
    sid: str
    state: str = "open"  # open | running | done
    txn: str | None = None
    done: threading.Event = field(default_factory=threading.Event)


class FormTokens:
    """One sale per form: the token a sale page was rendered with can sell once.

    A second POST with the same token (a double click, Enter pressed twice, a browser retry)
    never sells again: while the first runs it waits for it, afterwards it gets the first
    sale's transaction. A refusal before anything was recorded (a typo) opens the form again.
    """

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._forms: OrderedDict[str, _FormUse] = OrderedDict()

    def issue(self, session: Session) -> str:
        token = secrets.token_urlsafe(24)
        with self._lock:
            self._forms[token] = _FormUse(session.sid)
            while len(self._forms) > MAX_FORMS:
                self._forms.popitem(last=False)
        return token

    def begin(self, token: str, session: Session, *, wait_s: float = 300.0) -> str | None:
        """Claim the form for one sale: None when this request may sell, else the txn of the
        sale the form already made. Raises :class:`FormExpired` for an unknown token."""
        while True:
            with self._lock:
                use = self._forms.get(token)
                if use is None or not secrets.compare_digest(use.sid, session.sid):
                    raise FormExpired()
                if use.state == "open":
                    use.state = "running"
                    use.done.clear()
                    return None
                if use.state == "done" and use.txn:
                    return use.txn
                running = use.done
            if not running.wait(wait_s):
                raise FormExpired()

    def finish(self, token: str, txn: str | None) -> None:
        """The sale ended with ``txn``; None means nothing was recorded and the form reopens."""
        with self._lock:
            use = self._forms.get(token)
            if use is None:
                return
            if txn is None:
                use.state = "open"
            else:
                use.state, use.txn = "done", txn
            use.done.set()


class FormExpired(Exception):
    """The sale form is not one this process handed out (restart, or too old): start again."""


__all__ = ["COOKIE", "FormExpired", "FormTokens", "Session", "Sessions"]
