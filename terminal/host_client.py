"""The terminal's side of host protocol v1: signed JSON over HTTP with ``requests``.

The client's one job beyond transport is *classification*, because money depends on it:

- a provision is ``approved`` or ``declined`` only when the host said so in a well-formed answer;
  anything else (timeout, refused or reset connection, 5xx, a body that is not the expected
  JSON) is ``unknown``: the host may or may not have authorised, so the caller must queue a
  reversal and never print a slip;
- an advice batch maps onto the forwarder's vocabulary (``offline_queue.delivery``): per-message
  ``accepted``/``duplicate``/``rejected`` become delivered/duplicate/dead, a whole-request
  network failure, 408, 429 or 5xx raises :class:`TransientSendError` (retry everything, honour
  ``Retry-After``), a whole-request 4xx parks every message as dead with the host's reason.

Every call has bounded connect and read timeouts; nothing here retries on its own (the outbox
does, with backoff), so a call never takes longer than its timeouts.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from email.utils import parsedate_to_datetime
from typing import Any, Literal, Protocol
from urllib.parse import quote, urlsplit

import requests
from urllib3.exceptions import NewConnectionError

from foundation.clock import Clock, SystemClock
from foundation.host_wire import (
    MAX_ADVICES_PER_BATCH,
    ProtocolViolation,
    dumps,
    loads,
    signed_headers,
)
from offline_queue.delivery import DeliveryOutcome, TransientSendError
from terminal.errors import KioskError

ResultStatus = Literal["approved", "declined", "unknown"]
_TRANSIENT_STATUSES = frozenset({408, 429})


class HostError(KioskError):
    """Base of the host client's errors; ``str()`` tells the clerk what to do."""

    code = "host_error"


class HostUnavailable(HostError):
    """The host could not be reached or did not answer in time; try again later."""

    code = "host_unavailable"


class HostDeclined(HostError):
    """The host refused on business grounds; ``reason_code`` says which (see host-protocol.md)."""

    code = "host_declined"

    def __init__(self, message: str, *, reason_code: str) -> None:
        super().__init__(message)
        self.reason_code = reason_code


class HostProtocolError(HostError):
    """The host refused the request itself (signature, terminal id, bad request) or answered
    something that is not protocol v1; support must look at the configuration or the host."""

    code = "host_protocol_error"

    def __init__(
        self, message: str, *, host_code: str | None = None, status: int | None = None
    ) -> None:
        super().__init__(message)
        self.host_code = host_code
        self.status = status


class AdviceRecord(Protocol):
    """What the forwarder hands over: one outbox row."""

    @property
    def message_id(self) -> str: ...

    @property
    def txn(self) -> str: ...

    @property
    def kind(self) -> str: ...

    @property
    def payload(self) -> Mapping[str, Any]: ...


@dataclass(frozen=True)
class ProvisionRequest:
    """One provision; ``message_id`` is created once, when the transaction row is written."""

    message_id: str
    txn: str
    product: str
    amount_minor: int
    currency: str
    target: str = ""
    fees_minor: int = 0
    total_minor: int | None = None
    fields: Mapping[str, Any] = field(default_factory=dict)

    def to_json(self) -> dict[str, Any]:
        total = (
            self.amount_minor + self.fees_minor if self.total_minor is None else self.total_minor
        )
        return {
            "message_id": self.message_id,
            "txn": self.txn,
            "product": self.product,
            "amount_minor": self.amount_minor,
            "fees_minor": self.fees_minor,
            "total_minor": total,
            "currency": self.currency,
            "target": self.target,
            "fields": dict(self.fields),
        }


@dataclass(frozen=True)
class ProvisionResult:
    """What became of a provision. ``unknown`` means: queue a reversal, print nothing."""

    status: ResultStatus
    txn: str
    message_id: str
    auth_code: str | None = None
    product_data: Mapping[str, Any] = field(default_factory=dict)
    reason_code: str | None = None
    reason: str | None = None
    confirm_by: str | None = None
    duplicate: bool = False
    #: Why the outcome is unknown (for the journal and support), in plain words.
    error: str | None = None
    #: False only when the request provably never reached the host (connection refused, name
    #: not found): the only case where a sale may be accepted offline instead of reversed.
    may_have_reached_host: bool = True
    raw: Mapping[str, Any] = field(default_factory=dict)

    @property
    def approved(self) -> bool:
        return self.status == "approved"

    @property
    def declined(self) -> bool:
        return self.status == "declined"

    @property
    def unknown(self) -> bool:
        return self.status == "unknown"


@dataclass(frozen=True)
class StornoResult:
    """Whether the host allows a storno; if approved, the storno advice completes it."""

    status: ResultStatus
    txn: str
    message_id: str
    storno_auth_code: str | None = None
    complete_by: str | None = None
    reason_code: str | None = None
    reason: str | None = None
    error: str | None = None
    raw: Mapping[str, Any] = field(default_factory=dict)

    @property
    def approved(self) -> bool:
        return self.status == "approved"


@dataclass(frozen=True)
class Biller:
    id: str
    name: str
    category: str
    account_label: str
    account_regex: str
    account_example: str
    currency: str
    min_minor: int
    max_minor: int

    def accepts(self, account: str) -> bool:
        """Whether ``account`` has this biller's format (the host checks again)."""
        return re.fullmatch(self.account_regex, account.strip()) is not None


@dataclass(frozen=True)
class Catalog:
    billers: tuple[Biller, ...]
    benefit_types: tuple[tuple[str, str], ...]
    imei_models: tuple[Mapping[str, Any], ...]
    products: tuple[Mapping[str, Any], ...]
    raw: Mapping[str, Any] = field(default_factory=dict)

    def biller(self, biller_id: str) -> Biller | None:
        return next((b for b in self.billers if b.id == biller_id), None)


@dataclass(frozen=True)
class ImeiQuote:
    imeis: tuple[str, ...]
    tac: str
    model: str
    device_type: str
    fee_minor: int
    currency: str


def retry_after_seconds(value: str | None, now: datetime | None = None) -> float | None:
    """``Retry-After`` as seconds (delta-seconds or an HTTP date); ``None`` if absent/garbled."""
    if not value:
        return None
    value = value.strip()
    if value.isdigit():
        return float(value)
    try:
        when = parsedate_to_datetime(value)
    except (TypeError, ValueError):
        return None
    if when.tzinfo is None:
        when = when.replace(tzinfo=UTC)
    return max(0.0, (when - (now or datetime.now(UTC))).total_seconds())


def _error_of(response: requests.Response) -> tuple[str | None, str]:
    """The host's ``error.code`` and message, or the HTTP reason when the body is not ours."""
    try:
        data = loads(response.content)
        error = data.get("error", {}) if isinstance(data, dict) else {}
        return error.get("code"), str(error.get("message") or response.reason)
    except (ProtocolViolation, AttributeError):
        return None, f"HTTP {response.status_code} {response.reason}"


def _may_have_sent(exc: requests.RequestException) -> bool:
    """Whether a failed request may still have reached the host.

    A connection that was never established (refused, name not found, connect timeout) never
    carried the request; a read timeout, a reset or a drop after sending may have.
    """
    if isinstance(exc, requests.ConnectTimeout):
        return False
    if isinstance(exc, requests.ConnectionError):
        cause = exc.args[0] if exc.args else None
        reason = getattr(cause, "reason", cause)
        return not isinstance(reason, NewConnectionError)
    return True


class HostClient:
    """Signed calls to the provider's host (protocol v1)."""

    def __init__(
        self,
        base_url: str,
        *,
        terminal_id: str,
        key: str,
        connect_timeout_s: float = 3.0,
        read_timeout_s: float = 10.0,
        session: requests.Session | None = None,
        clock: Clock | None = None,
        on_contact: Callable[[bool], None] | None = None,
    ) -> None:
        if connect_timeout_s <= 0 or read_timeout_s <= 0:
            raise ValueError("host timeouts must be positive: a call must never wait forever")
        self.base_url = base_url.rstrip("/")
        self._base_path = urlsplit(self.base_url).path
        self.terminal_id = terminal_id
        self._key = key
        self.timeout = (connect_timeout_s, read_timeout_s)
        self.session = session or requests.Session()
        self.clock: Clock = clock or SystemClock()
        #: Told after every request whether the host answered (below 500) or not (network
        #: error, timeout, 5xx): the status bar learns of an outage from real traffic at once.
        self.on_contact = on_contact
        #: The terminal's journal head ``(seq, hash)``, sent with every advice batch so the host
        #: holds an anchor of the journal outside the box (set by ``Kiosk``).
        self.journal_head: Callable[[], tuple[int, str] | None] | None = None

    # -- transport -----------------------------------------------------------------------

    def _request(
        self,
        method: str,
        path: str,
        body: Mapping[str, Any] | None,
        *,
        encoded: bytes | None = None,
    ) -> requests.Response:
        """One signed request; network errors propagate as ``requests`` exceptions.

        ``encoded``: ``body`` already as canonical JSON bytes (an advice batch is encoded once).
        """
        data = encoded if encoded is not None else dumps(body) if body is not None else b""
        target = self._base_path + path
        headers = signed_headers(
            self.terminal_id,
            self._key,
            method,
            target,
            data,
            timestamp=int(self.clock.now().timestamp()),
        )
        if body is not None:
            headers["Content-Type"] = "application/json"
        try:
            response = self.session.request(
                method,
                self.base_url + path,
                data=data if body is not None else None,
                headers=headers,
                timeout=self.timeout,
                allow_redirects=False,
            )
        except requests.RequestException:
            self._contact(False)
            raise
        self._contact(response.status_code < 500)
        return response

    def _contact(self, answered: bool) -> None:
        if self.on_contact is not None:
            self.on_contact(answered)

    def _unavailable(self, exc: requests.RequestException) -> str:
        if isinstance(exc, requests.Timeout):
            return (
                f"the host did not answer within {self.timeout[1]:g} s "
                f"(connect limit {self.timeout[0]:g} s)"
            )
        return f"the host could not be reached ({type(exc).__name__}: {exc})"

    def _json_call(self, method: str, path: str, body: Mapping[str, Any] | None) -> Any:
        """For lookups: the JSON answer, or HostUnavailable / HostProtocolError."""
        try:
            response = self._request(method, path, body)
        except requests.RequestException as exc:
            raise HostUnavailable(
                f"The provider's host is not available: {self._unavailable(exc)}. Try again in "
                "a moment."
            ) from exc
        status = response.status_code
        if status >= 500 or status in _TRANSIENT_STATUSES:
            raise HostUnavailable(
                f"The provider's host is busy or failing (HTTP {status}); try again in a moment."
            )
        if status >= 400:
            code, message = _error_of(response)
            raise HostProtocolError(
                f"The host refused the request ({code or status}): {message}",
                host_code=code,
                status=status,
            )
        try:
            return loads(response.content)
        except ProtocolViolation as exc:
            raise HostProtocolError(
                f"The host answered something that is not protocol v1 JSON ({exc}); tell support.",
                status=status,
            ) from exc

    # -- provision -----------------------------------------------------------------------

    def provision(self, request: ProvisionRequest | Mapping[str, Any]) -> ProvisionResult:
        """Ask the host to authorise a sale; never raises for network trouble (``unknown``).

        Raises :class:`HostProtocolError` only when the host refused the request itself (4xx:
        signature, unknown terminal, invalid request, conflicting transaction number) — then
        this request authorised nothing.
        """
        body = request.to_json() if isinstance(request, ProvisionRequest) else dict(request)
        txn = str(body.get("txn", ""))
        message_id = str(body.get("message_id", ""))

        def unknown(why: str, *, may_have_reached_host: bool = True) -> ProvisionResult:
            return ProvisionResult(
                "unknown", txn, message_id, error=why, may_have_reached_host=may_have_reached_host
            )

        try:
            response = self._request("POST", "/v1/provision", body)
        except requests.RequestException as exc:
            return unknown(self._unavailable(exc), may_have_reached_host=_may_have_sent(exc))
        status = response.status_code
        if status >= 500 or status in _TRANSIENT_STATUSES:
            return unknown(f"the host answered HTTP {status}")
        if status >= 400:
            code, message = _error_of(response)
            raise HostProtocolError(
                f"The host refused the sale request ({code or status}): {message}",
                host_code=code,
                status=status,
            )
        try:
            data = loads(response.content)
        except ProtocolViolation as exc:
            return unknown(f"the host's answer is not valid JSON ({exc})")
        if not isinstance(data, dict) or data.get("txn") != txn:
            return unknown("the host's answer is not a provision result for this transaction")
        outcome = data.get("status")
        if outcome == "approved" and isinstance(data.get("auth_code"), str):
            product_data = data.get("product_data")
            return ProvisionResult(
                "approved",
                txn,
                message_id,
                auth_code=data["auth_code"],
                product_data=product_data if isinstance(product_data, dict) else {},
                confirm_by=data.get("confirm_by"),
                duplicate=bool(data.get("duplicate", False)),
                raw=data,
            )
        if outcome == "declined" and isinstance(data.get("reason_code"), str):
            return ProvisionResult(
                "declined",
                txn,
                message_id,
                reason_code=data["reason_code"],
                reason=str(data.get("reason") or data["reason_code"]),
                duplicate=bool(data.get("duplicate", False)),
                raw=data,
            )
        return unknown(f"the host's answer has no usable status ({outcome!r})")

    # -- advices -------------------------------------------------------------------------

    def send_advices(self, records: Sequence[AdviceRecord]) -> dict[str, DeliveryOutcome]:
        """Deliver a batch of advices; per-message outcomes, or raise TransientSendError."""
        outcomes: dict[str, DeliveryOutcome] = {}
        for start in range(0, len(records), MAX_ADVICES_PER_BATCH):
            outcomes.update(self._send_batch(records[start : start + MAX_ADVICES_PER_BATCH]))
        return outcomes

    def _advice_body(self, records: Sequence[AdviceRecord]) -> tuple[dict[str, Any], bytes | None]:
        """The batch's body and its bytes, encoded once (None: some payload cannot be sent)."""
        body: dict[str, Any] = {
            "advices": [
                {
                    "message_id": r.message_id,
                    "txn": r.txn,
                    "kind": r.kind,
                    "payload": dict(r.payload),
                }
                for r in records
            ]
        }
        head = self.journal_head() if self.journal_head is not None else None
        if head is not None:
            body["journal_head"] = {"seq": head[0], "hash": head[1]}
        try:
            return body, dumps(body)
        except ProtocolViolation:
            return body, None

    def _send_batch(self, records: Sequence[AdviceRecord]) -> dict[str, DeliveryOutcome]:
        outcomes: dict[str, DeliveryOutcome] = {}
        body, encoded = self._advice_body(records)
        if encoded is None:
            # A payload the protocol cannot carry (a float amount) will never be accepted:
            # park it alone instead of failing the whole batch forever.
            sendable: list[AdviceRecord] = []
            for record in records:
                try:
                    dumps(dict(record.payload))
                except ProtocolViolation as exc:
                    outcomes[record.message_id] = DeliveryOutcome(
                        "dead", error=f"advice cannot be sent: {exc}"
                    )
                else:
                    sendable.append(record)
            if not sendable:
                return outcomes
            records = sendable
            body, encoded = self._advice_body(records)
            if encoded is None:  # pragma: no cover - every record was checked above
                raise TransientSendError("the advice batch cannot be encoded")
        try:
            response = self._request("POST", "/v1/advices", body, encoded=encoded)
        except requests.RequestException as exc:
            raise TransientSendError(self._unavailable(exc)) from exc
        status = response.status_code
        if status >= 500 or status in _TRANSIENT_STATUSES:
            raise TransientSendError(
                f"the host answered HTTP {status}",
                retry_after_s=retry_after_seconds(
                    response.headers.get("Retry-After"), self.clock.now()
                ),
            )
        if status >= 400:
            code, message = _error_of(response)
            label = f"HTTP {status} {code}" if code else f"HTTP {status}"
            error = f"host refused the batch ({label}): {message}"
            outcomes.update({r.message_id: DeliveryOutcome("dead", error=error) for r in records})
            return outcomes
        try:
            data = loads(response.content)
            results = data["results"]
            if not isinstance(results, list):
                raise TypeError("results is not a list")
        except (ProtocolViolation, KeyError, TypeError) as exc:
            raise TransientSendError(f"the host's answer is not protocol v1 JSON ({exc})") from exc
        by_id: dict[str, dict[str, Any]] = {
            r["message_id"]: r for r in results if isinstance(r, dict) and "message_id" in r
        }
        for record in records:
            outcomes[record.message_id] = _outcome(by_id.get(record.message_id))
        return outcomes

    # -- storno --------------------------------------------------------------------------

    def storno(
        self,
        *,
        message_id: str,
        txn: str,
        printed_at: datetime | str | None = None,
        reason: str | None = None,
    ) -> StornoResult:
        """Ask whether a storno of sale ``txn`` may go ahead (window, terminal, state)."""
        body: dict[str, Any] = {"message_id": message_id, "txn": txn}
        if printed_at is not None:
            body["printed_at"] = (
                printed_at.isoformat() if isinstance(printed_at, datetime) else printed_at
            )
        if reason:
            body["reason"] = reason
        try:
            response = self._request("POST", "/v1/storno", body)
        except requests.RequestException as exc:
            return StornoResult("unknown", txn, message_id, error=self._unavailable(exc))
        status = response.status_code
        if status >= 500 or status in _TRANSIENT_STATUSES:
            return StornoResult("unknown", txn, message_id, error=f"HTTP {status}")
        if status >= 400:
            code, message = _error_of(response)
            raise HostProtocolError(
                f"The host refused the storno request ({code or status}): {message}",
                host_code=code,
                status=status,
            )
        try:
            data = loads(response.content)
        except ProtocolViolation as exc:
            return StornoResult("unknown", txn, message_id, error=f"not JSON ({exc})")
        if isinstance(data, dict) and data.get("status") == "approved":
            return StornoResult(
                "approved",
                txn,
                message_id,
                storno_auth_code=data.get("storno_auth_code"),
                complete_by=data.get("complete_by"),
                raw=data,
            )
        if isinstance(data, dict) and data.get("status") == "declined":
            return StornoResult(
                "declined",
                txn,
                message_id,
                reason_code=data.get("reason_code"),
                reason=data.get("reason"),
                raw=data,
            )
        return StornoResult("unknown", txn, message_id, error="answer has no usable status")

    # -- lookups -------------------------------------------------------------------------

    def catalog(self) -> Catalog:
        data = self._json_call("GET", "/v1/catalog", None)
        try:
            billers = tuple(
                Biller(
                    id=b["id"],
                    name=b["name"],
                    category=b["category"],
                    account_label=b["account_label"],
                    account_regex=b["account_regex"],
                    account_example=b["account_example"],
                    currency=b["currency"],
                    min_minor=int(b["min_minor"]),
                    max_minor=int(b["max_minor"]),
                )
                for b in data["billers"]
            )
            benefit_types = tuple((t["id"], t["name"]) for t in data["benefit_types"])
            return Catalog(
                billers=billers,
                benefit_types=benefit_types,
                imei_models=tuple(data.get("imei_models", ())),
                products=tuple(data.get("products", ())),
                raw=data,
            )
        except (KeyError, TypeError) as exc:
            raise HostProtocolError(
                f"The host's catalog is incomplete ({exc!r}); tell support."
            ) from exc

    def imei_quote(self, imeis: Sequence[str], model: str | None = None) -> ImeiQuote:
        """The registration fee for a phone; a device-type mismatch raises HostDeclined."""
        body: dict[str, Any] = {"imeis": list(imeis)}
        if model:
            body["model"] = model
        data = self._json_call("POST", "/v1/imei/quote", body)
        if not isinstance(data, dict):
            raise HostProtocolError("The host's IMEI quote is not an object; tell support.")
        if data.get("status") == "declined":
            raise HostDeclined(
                str(data.get("reason") or "The IMEI was refused."),
                reason_code=str(data.get("reason_code")),
            )
        try:
            return ImeiQuote(
                imeis=tuple(data["imeis"]),
                tac=data["tac"],
                model=data["model"],
                device_type=data["device_type"],
                fee_minor=int(data["fee_minor"]),
                currency=data["currency"],
            )
        except (KeyError, TypeError) as exc:
            raise HostProtocolError(f"The host's IMEI quote is incomplete ({exc!r}).") from exc

    def health(self) -> bool:
        """Whether the host answers its health check now (never raises)."""
        try:
            response = self._request("GET", "/v1/health", None)
            return response.status_code == 200 and loads(response.content).get("status") == "ok"
        except (requests.RequestException, ProtocolViolation, AttributeError):
            return False

    def transaction(self, txn: str) -> dict[str, Any] | None:
        """The host's view of ``txn`` (state, amounts, events), or None if it never saw it."""
        try:
            response = self._request("GET", f"/v1/transactions/{quote(txn)}", None)
        except requests.RequestException as exc:
            raise HostUnavailable(
                f"Cannot look the transaction up: {self._unavailable(exc)}. Try again later."
            ) from exc
        if response.status_code == 404:
            return None
        if response.status_code >= 500 or response.status_code in _TRANSIENT_STATUSES:
            raise HostUnavailable(
                f"The host is busy (HTTP {response.status_code}); look the transaction up later."
            )
        if response.status_code >= 400:
            code, message = _error_of(response)
            raise HostProtocolError(
                f"The host refused the lookup ({code}): {message}",
                host_code=code,
                status=response.status_code,
            )
        try:
            data = loads(response.content)
        except ProtocolViolation as exc:
            raise HostProtocolError(f"The host's answer is not JSON ({exc}).") from exc
        if not isinstance(data, dict):
            raise HostProtocolError("The host's transaction view is not an object.")
        return data


def _outcome(result: Mapping[str, Any] | None) -> DeliveryOutcome:
    if result is None:
        return DeliveryOutcome("retry", error="the host's answer left this message out")
    verdict = result.get("result")
    if verdict == "accepted":
        return DeliveryOutcome("delivered", response=dict(result))
    if verdict == "duplicate":
        return DeliveryOutcome("duplicate", response=dict(result))
    if verdict == "rejected":
        error = f"{result.get('code', 'rejected')}: {result.get('reason', '')}".rstrip(": ")
        return DeliveryOutcome("dead", error=error, response=dict(result))
    return DeliveryOutcome("retry", error=f"the host's result {verdict!r} is not protocol v1")


__all__ = [
    "AdviceRecord",
    "Biller",
    "Catalog",
    "HostClient",
    "HostDeclined",
    "HostError",
    "HostProtocolError",
    "HostUnavailable",
    "ImeiQuote",
    "ProvisionRequest",
    "ProvisionResult",
    "StornoResult",
    "retry_after_seconds",
]
