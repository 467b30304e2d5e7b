"""The seal: the keyed chain and the redaction of card data an older version kept."""

from __future__ import annotations

import json
import logging
import sqlite3
from typing import Any

from offline_queue.carddata import (
    scrub,
)
from offline_queue.journal import (
    KEYED_EVENT,
    REDACTED_EVENT,
    canonical_json,
    content_digest,
)
from offline_queue.schema import (
    INSERT_TARGET_KEYS_SQL,
    JOURNAL_NO_UPDATE_TRIGGER,
)
from offline_queue.store_fields import (
    scrub_json,
)
from offline_queue.store_journal import JournalArea

log = logging.getLogger(__name__)


class SealArea(JournalArea):
    """Keys the journal's chain and redacts old card data, once per store file."""

    # -- the seal: keyed chain and card data of older versions ----------------------------

    @property
    def keyed(self) -> bool:
        """Whether new journal events are HMACs under the chain key."""
        return self._keyed

    def _seal(self) -> None:
        """Key the chain and redact card data an older version wrote, once per store.

        Both happen only on a journal that verifies: sealing a tampered journal would vouch for
        it. A store that cannot be sealed opens anyway (``seal_problem`` says why) so that
        `kiosk journal verify` can name the broken event.
        """
        conn = self._live()
        seal = conn.execute("SELECT keyed_seq, redacted FROM journal_seal WHERE id = 1").fetchone()
        if seal[0] is not None and seal[1]:
            return
        conn.execute("BEGIN")
        try:
            verdict = self._verify_on(conn, full=True)
        finally:
            conn.execute("COMMIT")
        if not verdict.ok:
            self.seal_problem = verdict
            return
        redacted = 0
        with self._write() as conn:
            if not seal[1]:
                redacted = self._redact_card_data(conn)
            if seal[0] is None:
                seq = self._append_journal(
                    conn,
                    None,
                    KEYED_EVENT,
                    {"algorithm": "hmac-sha256", "key": "derived from the terminal key"},
                    keyed=True,
                )
                conn.execute("UPDATE journal_seal SET keyed_seq = ? WHERE id = 1", (seq,))
            conn.execute("UPDATE journal_seal SET redacted = 1 WHERE id = 1")
        self._keyed = True
        if redacted:
            self.flush_erased(vacuum=True)

    def _redact_card_data(self, conn: sqlite3.Connection) -> int:
        """Remove card numbers and security codes an older version kept; returns rows changed.

        Transactions, their lookup keys and delivered advices are rewritten; journal rows keep
        their hash and a ``journal_redacted`` event records each one's new content digest.
        """
        key = self._card_key
        changed = 0
        card_txns: dict[str, dict[str, Any]] = {}
        for row in conn.execute("SELECT txn, target, details FROM transactions").fetchall():
            target, details = json.loads(row["target"]), json.loads(row["details"])
            new_target, new_details = scrub(target, key), scrub(details, key)
            if new_target.get("kind") == "card":
                card_txns[row["txn"]] = new_target
            if (new_target, new_details) == (target, details):
                continue
            target_json = canonical_json(new_target)
            conn.execute(
                "UPDATE transactions SET target = ?, details = ? WHERE txn = ?",
                (target_json, canonical_json(new_details), row["txn"]),
            )
            conn.execute("DELETE FROM target_keys WHERE txn = ?", (row["txn"],))
            conn.execute(INSERT_TARGET_KEYS_SQL, {"txn": row["txn"], "target": target_json})
            changed += 1
        for row in conn.execute(
            "SELECT message_id, txn, state, payload, response FROM outbox"
        ).fetchall():
            payload = json.loads(row["payload"])
            masked = scrub(payload, key)
            card = card_txns.get(row["txn"])
            if card is not None and isinstance(masked.get("target"), str):
                masked["target"] = card.get("masked", "")
            if masked == payload and scrub_json(row["response"]) == row["response"]:
                continue
            if row["state"] == "delivered":
                conn.execute(
                    "UPDATE outbox SET payload = ?, response = ? WHERE message_id = ?",
                    (canonical_json(masked), scrub_json(row["response"]), row["message_id"]),
                )
            else:  # still owed to the host: it keeps the number until delivered
                conn.execute(
                    "UPDATE outbox SET delivered_payload = ? WHERE message_id = ?",
                    (canonical_json(masked), row["message_id"]),
                )
            changed += 1
        proofs: list[dict[str, Any]] = []
        rows = conn.execute("SELECT seq, at, txn, event, data FROM journal ORDER BY seq").fetchall()
        for row in rows:
            data = json.loads(row["data"])
            clean = scrub(data, key)
            if clean == data:
                continue
            if not proofs:
                conn.execute("DROP TRIGGER IF EXISTS journal_no_update")
            conn.execute(
                "UPDATE journal SET data = ? WHERE seq = ?", (canonical_json(clean), row["seq"])
            )
            proofs.append(
                {
                    "seq": int(row["seq"]),
                    "content": content_digest(
                        seq=int(row["seq"]),
                        at=row["at"],
                        txn=row["txn"],
                        event=row["event"],
                        data=clean,
                    ),
                }
            )
        conn.execute(JOURNAL_NO_UPDATE_TRIGGER)
        if proofs:
            self._append_journal(
                conn,
                None,
                REDACTED_EVENT,
                {"reason": "card numbers and security codes removed (PCI DSS)", "rows": proofs},
            )
        return changed + len(proofs)
