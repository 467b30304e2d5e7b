"""What the host is told about a sale: the provision request and the advices that follow it.

Kept apart from the sale's steps (``terminal.sale``) because recovery and the storno build
the same messages from a stored record, and the wire form changes with the host protocol,
not with the sale's flow.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from offline_queue import states
from offline_queue.store import TxnRecord
from terminal.host_client import ProvisionRequest


def _stored_target(record: TxnRecord) -> str:
    """The target as the store keeps it: the value, or a card's masked number."""
    t = record.target
    return str(t.get("value") or t.get("masked") or "")


def provision_request(record: TxnRecord, *, target: str | None = None) -> ProvisionRequest:
    """The provision message: everything the host needs to reserve the sale.

    Its ``message_id`` was created once, when the sale was recorded, so a repeat after a
    timeout is the same request to the host, never a second sale. ``target`` is the full card
    number the sale holds in memory (the store keeps only its last 4 and digest).
    """
    t = record.target
    fields: dict[str, Any] = {"fees": [{"name": n, "amount_minor": a} for n, a in record.fees]}
    if t.get("second"):
        fields["second_imei"] = t["second"]
    for key in ("benefit_type", "message", "biller_id"):
        if key in record.details:
            fields[key] = record.details[key]
    return ProvisionRequest(
        message_id=str(record.details["provision_message_id"]),
        txn=record.txn,
        product=record.product,
        amount_minor=record.amount_minor,
        currency=record.currency,
        target=target if target is not None else _stored_target(record),
        fees_minor=record.total_minor - record.amount_minor,
        total_minor=record.total_minor,
        fields=fields,
    )


def advice_payload(
    record: TxnRecord,
    kind: str,
    *,
    printed_at: datetime | None = None,
    target: str | None = None,
) -> dict[str, Any]:
    """The body of an advice; an offline sale carries the whole sale, the others refer to it.

    Without ``target`` an offline sale names a card by its masked number: the form the outbox
    keeps once the host has the advice.
    """
    payload: dict[str, Any] = {
        "txn": record.txn,
        "product": record.product,
        "currency": record.currency,
        "amount_minor": record.amount_minor,
        "total_minor": record.total_minor,
    }
    if printed_at is not None:
        payload["printed_at"] = printed_at.isoformat()
    if kind == states.OFFLINE_SALE:
        sale = provision_request(record, target=target).to_json()
        sale.pop("message_id")
        payload.update(sale)
        payload["accepted_at"] = record.created_at.isoformat()
    return payload


__all__ = ["advice_payload", "provision_request"]
