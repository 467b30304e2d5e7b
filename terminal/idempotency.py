"""``Idempotency-Key`` on the local API's state-changing requests (Stripe's semantics).

The shop's till retries a request whose answer it lost; with the same key it gets the first
answer instead of a second sale, storno, copy or report:

- same key, same body: the first answer (status and JSON) again; while the first request still
  runs, 409 ``in_progress`` with its ``txn``;
- same key, another body (or another endpoint): 422 ``idempotency_key_reused``;
- a sale's key is stored in the same store transaction as the sale's record
  (``Store.record(idempotency=...)``), so after a crash the key finds the sale
  (``GET /api/v1/idempotency-keys/{key}``) and, once crash recovery settled it, its answer;
- stornos, copies and reports claim their key in a store transaction of its own just before
  they run and keep the answer just after: a crash in between leaves the key answering 409
  ``interrupted`` (with the storno's or copy's ``txn``) so the till checks before it retries
  with a new key, never a silent second print.

Keys are kept 48 h (``offline_queue.idempotency.KEY_RETENTION_S``, at least 24 h promised).
A request refused before it changed anything (invalid input) keeps no key: its retry is
checked again.
"""

from __future__ import annotations

import hashlib
import json
import re
import threading
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

from foundation.errors import ClerkFacingError
from offline_queue.errors import IdempotencyKeyTaken
from offline_queue.idempotency import IdempotencyClaim, IdempotencyEntry
from offline_queue.store import Store
from terminal.errors import KioskError
from terminal.sale import SaleRequest, SaleService, settled_result

#: What a key may be: what Stripe's clients send (UUIDs, ULIDs, the till's own receipt ids).
KEY_PATTERN = r"^[A-Za-z0-9][A-Za-z0-9._:~+/=-]{0,254}$"
_KEY = re.compile(KEY_PATTERN)

#: The endpoint names keys are bound to.
SALES = "POST /api/v1/sales"


class InvalidIdempotencyKey(KioskError):
    code = "invalid_idempotency_key"

    def __init__(self) -> None:
        super().__init__(
            "Idempotency-Key must be 1 to 255 letters, digits or ._:~+/=- (a UUID is best)."
        )


class IdempotencyKeyReused(KioskError):
    """The key was used for another request: the till has a bug, nothing is done."""

    code = "idempotency_key_reused"

    def __init__(self, entry: IdempotencyEntry) -> None:
        super().__init__(
            f"This Idempotency-Key was already used for another request ({entry.endpoint}"
            f"{', transaction ' + entry.txn if entry.txn else ''}): nothing was done. Use a new "
            "key for a new request, the same body to repeat one."
        )
        self.txn = entry.txn


class IdempotencyInProgress(KioskError):
    """The first request with this key still runs (its slip may be printing)."""

    code = "in_progress"

    def __init__(self, txn: str | None) -> None:
        super().__init__(
            "The first request with this Idempotency-Key is still running"
            f"{' (transaction ' + txn + ')' if txn else ''}: repeat it in a moment for its "
            "answer."
        )
        self.txn = txn


class IdempotencyInterrupted(KioskError):
    """The first request with this key was cut off by a restart before its answer was kept."""

    code = "interrupted"

    def __init__(self, txn: str | None) -> None:
        super().__init__(
            "The first request with this Idempotency-Key was interrupted by a restart before "
            "its answer was kept"
            f"{' (transaction ' + txn + ')' if txn else ''}: check the transaction or report, "
            "then send a new key if it must be done again."
        )
        self.txn = txn


@dataclass(frozen=True)
class Answer:
    """An HTTP status and a JSON body: what the API answers and what a key replays."""

    status: int
    body: dict[str, Any]


def check_key(key: str) -> str:
    if not _KEY.match(key):
        raise InvalidIdempotencyKey()
    return key


def fingerprint(endpoint: str, body: Mapping[str, Any]) -> str:
    """A digest of the request as parsed (so spacing or key order do not count)."""
    text = json.dumps({"endpoint": endpoint, "body": body}, sort_keys=True, default=str)
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


class Idempotency:
    """Runs requests under their keys; one per kiosk process (``kiosk.idempotency``)."""

    def __init__(self, store: Store, sales: SaleService) -> None:
        self.store = store
        self.sales = sales
        # Keys this process is running now; one left unanswered by anyone else was interrupted.
        self._running: set[str] = set()
        self._running_lock = threading.Lock()

    def entry(self, key: str) -> IdempotencyEntry | None:
        return self.store.idempotency_entry(check_key(key))

    def _replay(self, claim: IdempotencyClaim) -> Answer | None:
        entry = self.store.idempotency_entry(claim.key)
        if entry is None:
            return None
        if entry.endpoint != claim.endpoint or entry.fingerprint != claim.fingerprint:
            raise IdempotencyKeyReused(entry)
        if entry.response is not None and entry.status is not None:
            return Answer(entry.status, entry.response)
        if entry.endpoint == SALES and entry.txn is not None:
            settled = settled_result(self.store.get(entry.txn))
            if settled is None:
                raise IdempotencyInProgress(entry.txn)
            answer = Answer(200 if settled.ok else 409, settled.to_dict())
            self.store.complete_idempotency_key(
                claim.key, status=answer.status, response=answer.body
            )
            return answer
        with self._running_lock:
            running = entry.key in self._running
        if running:
            raise IdempotencyInProgress(entry.txn)
        again = self.store.idempotency_entry(claim.key)  # it may have finished just now
        if again is not None and again.response is not None and again.status is not None:
            return Answer(again.status, again.response)
        raise IdempotencyInterrupted(entry.txn)

    def sell(self, request: SaleRequest, *, key: str, body: Mapping[str, Any]) -> Answer:
        """One sale under ``key``; a repeat gets the first sale's answer, never a second sale."""
        claim = IdempotencyClaim(check_key(key), SALES, fingerprint(SALES, body))
        replay = self._replay(claim)
        if replay is not None:
            return replay
        try:
            result = self.sales.sell(request, idempotency=claim)
        except IdempotencyKeyTaken:
            # A twin request with the same key got there first (it ran while this one waited
            # for the counter): its answer, or "in progress".
            replay = self._replay(claim)
            if replay is None:  # pragma: no cover - the key exists once taken
                raise IdempotencyInProgress(None) from None
            return replay
        answer = Answer(200 if result.ok else 409, result.to_dict())
        self.store.complete_idempotency_key(claim.key, status=answer.status, response=answer.body)
        return answer

    def run(
        self,
        *,
        key: str,
        endpoint: str,
        body: Mapping[str, Any],
        action: Callable[[], Answer],
        txn: str | None = None,
    ) -> Answer:
        """``action`` once under ``key`` (stornos, copies, reports; see the module's docstring)."""
        claim = IdempotencyClaim(check_key(key), endpoint, fingerprint(endpoint, body))
        replay = self._replay(claim)
        if replay is not None:
            return replay
        try:
            # Claimed and marked running at once, so a twin never sees it "interrupted".
            with self._running_lock:
                self.store.claim_idempotency_key(claim, txn=txn)
                self._running.add(claim.key)
        except IdempotencyKeyTaken:
            replay = self._replay(claim)
            if replay is None:  # pragma: no cover - the key exists once taken
                raise IdempotencyInProgress(txn) from None
            return replay
        try:
            return self._run_claimed(claim, action)
        finally:
            with self._running_lock:
                self._running.discard(claim.key)

    def _run_claimed(self, claim: IdempotencyClaim, action: Callable[[], Answer]) -> Answer:
        try:
            answer = action()
        except ClerkFacingError:
            # A named refusal (invalid input, window closed, printer not ready): the services
            # refuse before they print, so a retry is checked again. Anything unexpected keeps
            # the key unanswered (409 in_progress / interrupted): never a second print.
            self.store.release_idempotency_key(claim.key)
            raise
        self.store.complete_idempotency_key(claim.key, status=answer.status, response=answer.body)
        return answer


__all__ = [
    "KEY_PATTERN",
    "SALES",
    "Answer",
    "Idempotency",
    "IdempotencyInProgress",
    "IdempotencyInterrupted",
    "IdempotencyKeyReused",
    "InvalidIdempotencyKey",
    "check_key",
    "fingerprint",
]
