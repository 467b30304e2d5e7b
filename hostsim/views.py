"""The host's view of one transaction, as the back office and ``kiosk-host txn show`` see it."""

from __future__ import annotations

import sqlite3
from typing import Any

from hostsim.messages import list_messages
from hostsim.products import Ctx, fields_of, product_data_of


def transaction_view(ctx: Ctx, row: sqlite3.Row) -> dict[str, Any]:
    """The host's view of one transaction, as ``GET /v1/transactions/{txn}`` answers it."""
    txn = str(row["txn"])
    return {
        "txn": txn,
        "terminal_id": row["terminal_id"],
        "product": row["product"],
        "state": row["state"],
        "amount_minor": row["amount_minor"],
        "fees_minor": row["fees_minor"],
        "total_minor": row["total_minor"],
        "currency": row["currency"],
        "target": row["target"],
        "fields": fields_of(row),
        "auth_code": row["auth_code"],
        "product_data": product_data_of(row),
        "reason_code": row["reason_code"],
        "offline": bool(row["offline"]),
        "provisioned_at": row["provisioned_at"],
        "confirm_by": row["confirm_by"],
        "confirmed_at": row["confirmed_at"],
        "printed_at": row["printed_at"],
        "window_start": row["window_start"],
        "storno_requested_at": row["storno_requested_at"],
        "closed_at": row["closed_at"],
        "events": [
            {"at": e["at"], "event": e["event"], "detail": e["detail"]}
            for e in ctx.store.events(txn)
        ],
        "customer_messages": [m.to_json() for m in list_messages(ctx.store, txn=txn)],
    }


__all__ = ["transaction_view"]
