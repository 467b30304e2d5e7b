"""The host's anchor of each terminal's journal, and the check of an exported journal.

Every advice batch carries the terminal's journal head; the host keeps the newest per terminal
(``HostStore.anchor_journal``). Whoever can rewrite the terminal's disk cannot reach back into
the host: an exported journal must contain the held head at its place, or it was cut or
rewritten after the host saw it. The host knows the terminal's key, so it also checks the
keyed chain itself (the chain rule is the terminal's ``offline_queue.journal``; the host reuses
it as the specification it is, like the signing rule of ``foundation.host_wire``).
"""

from __future__ import annotations

import json
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

from hostsim.store import HostStore
from offline_queue.carddata import JOURNAL_CHAIN_PURPOSE, derive_key
from offline_queue.journal import RawJournalRow, redaction_proofs, verify_chain


@dataclass(frozen=True)
class AnchorVerdict:
    ok: bool
    reason: str
    events: int
    anchor_seq: int | None
    first_bad_seq: int | None = None

    def to_dict(self) -> dict[str, Any]:
        return {
            "ok": self.ok,
            "reason": self.reason,
            "events": self.events,
            "anchor_seq": self.anchor_seq,
            "first_bad_seq": self.first_bad_seq,
        }


def read_export(lines: Iterable[str]) -> list[RawJournalRow]:
    """Rows of ``kiosk journal export`` (one JSON object per line, ``data`` as stored text)."""
    rows = []
    for number, line in enumerate(lines, start=1):
        if not line.strip():
            continue
        try:
            item = json.loads(line)
            rows.append(
                RawJournalRow(
                    int(item["seq"]),
                    str(item["at"]),
                    item["txn"],
                    str(item["event"]),
                    str(item["data"]),
                    str(item["prev_hash"]),
                    str(item["hash"]),
                )
            )
        except (ValueError, KeyError, TypeError) as exc:
            raise ValueError(
                f"line {number} is not a journal row of `kiosk journal export`: {exc}"
            ) from None
    return rows


def verify_export(store: HostStore, terminal_id: str, rows: list[RawJournalRow]) -> AnchorVerdict:
    """Check an exported journal's keyed chain and that it holds the head the host keeps."""
    key = store.terminal_key(terminal_id)
    if key is None:
        return AnchorVerdict(
            False, f"terminal {terminal_id} is not registered here", len(rows), None
        )
    anchor = store.journal_anchor(terminal_id)
    last = rows[-1] if rows else None
    chain = verify_chain(
        rows,
        head_seq=last.seq if last else 0,
        head_hash=last.hash if last else "0" * 64,
        key=derive_key(key, JOURNAL_CHAIN_PURPOSE),
        redactions=redaction_proofs(rows),
    )
    if not chain.ok:
        return AnchorVerdict(
            False,
            f"the exported journal is broken: {chain.reason}",
            len(rows),
            None if anchor is None else anchor[0],
            chain.first_bad_seq,
        )
    if anchor is None:
        return AnchorVerdict(
            True, "chain intact; the host holds no head of this terminal yet", len(rows), None
        )
    seq, digest, received = anchor
    end = last.seq if last else 0
    if end < seq:
        return AnchorVerdict(
            False,
            f"the journal ends at event {end}, before the head the host holds (event {seq}, "
            f"received {received}): it was cut or replaced",
            len(rows),
            seq,
            end + 1,
        )
    held = next(row for row in rows if row.seq == seq) if seq else None
    if held is not None and held.hash != digest:
        return AnchorVerdict(
            False,
            f"event {seq} is not the one the host holds as this terminal's head (received "
            f"{received}): the journal was rewritten",
            len(rows),
            seq,
            seq,
        )
    return AnchorVerdict(
        True,
        f"chain intact and it holds the head the host holds (event {seq}); "
        f"{end - seq} event(s) after it",
        len(rows),
        seq,
    )


__all__ = ["AnchorVerdict", "read_export", "verify_export"]
