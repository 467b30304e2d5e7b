"""The customer message log: what the operator or issuer would have told the customer.

Real operators send an SMS (MTS) or an e-mail (SmartumPay); the simulator writes the same texts
to a table so tests, the demo and a clerk handling a complaint can read exactly what the
customer was told, in each language, and when.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from hostsim.store import HostStore


@dataclass(frozen=True)
class CustomerMessage:
    """One message in one language."""

    id: int
    at: str
    txn: str | None
    target: str
    kind: str
    language: str
    text: str

    def to_json(self) -> dict[str, Any]:
        return {
            "id": self.id,
            "at": self.at,
            "txn": self.txn,
            "target": self.target,
            "kind": self.kind,
            "language": self.language,
            "text": self.text,
        }


def log_message(
    store: HostStore, *, at: str, txn: str | None, target: str, kind: str, texts: Mapping[str, str]
) -> None:
    """Record one customer message, one row per language (e.g. ``sr-Latn`` and ``en``)."""
    for language, text in texts.items():
        store.insert(
            "INSERT INTO customer_messages (at, txn, target, kind, language, text)"
            " VALUES (?, ?, ?, ?, ?, ?)",
            (at, txn, target, kind, language, text),
        )


def list_messages(
    store: HostStore,
    *,
    target: str | None = None,
    txn: str | None = None,
    language: str | None = None,
) -> list[CustomerMessage]:
    """Messages in the order they were sent, optionally for one target, transaction or language."""
    clauses: list[str] = []
    params: list[str] = []
    for column, value in (("target", target), ("txn", txn), ("language", language)):
        if value is not None:
            clauses.append(f"{column} = ?")
            params.append(value)
    where = f"WHERE {' AND '.join(clauses)}" if clauses else ""
    rows = store.all(f"SELECT * FROM customer_messages {where} ORDER BY id", tuple(params))
    return [
        CustomerMessage(
            id=int(r["id"]),
            at=str(r["at"]),
            txn=r["txn"],
            target=str(r["target"]),
            kind=str(r["kind"]),
            language=str(r["language"]),
            text=str(r["text"]),
        )
        for r in rows
    ]


def format_minor(minor: int, unit: str) -> str:
    """``50000, "DIN"`` -> ``"500 DIN"``; a fraction is kept with a decimal comma (``500,50``)."""
    sign = "-" if minor < 0 else ""
    whole, cents = divmod(abs(minor), 100)
    text = f"{whole}" if cents == 0 else f"{whole},{cents:02d}"
    return f"{sign}{text} {unit}"


__all__ = ["CustomerMessage", "format_minor", "list_messages", "log_message"]
