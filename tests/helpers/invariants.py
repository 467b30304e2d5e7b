"""The promises a terminal makes to the host, checked after faults and crashes.

- every sale whose slip printed (confirmed here) is confirmed at the host, exactly once;
- nothing is confirmed at the host without a printed sale slip;
- every sale stornoed here (its storno slip printed) is stornoed at the host;
- every sale voided here (slip not proven) is voided at the host; every failed one reversed
  or unknown to it;
- the outbox holds exactly what the states imply, nothing dead, nothing left behind;
- the journal's hash chain verifies.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from typing import Any

from offline_queue import states
from offline_queue.store import Store

#: Host states each local final state may correspond to.
HOST_STATES: dict[str, set[str | None]] = {
    states.CONFIRMED: {"confirmed"},
    states.VOIDED: {"voided", "reversed", None},
    states.FAILED: {"reversed", None},
    states.DECLINED: {"declined", None},
    states.STORNOED: {"stornoed"},
}


def check_invariants(
    store: Store,
    host_view: Callable[[str], dict[str, Any] | None],
    printed_texts: Iterable[str],
) -> None:
    slips = list(printed_texts)
    records = store.list_transactions(limit=100_000)
    assert records, "no transactions to check"
    problems: list[str] = []
    for record in records:
        view = host_view(record.txn)
        host_state = None if view is None else view["state"]
        if record.state not in HOST_STATES:
            problems.append(f"{record.txn} left in between: {record.state}")
            continue
        if host_state not in HOST_STATES[record.state]:
            problems.append(f"{record.txn}: here {record.state}, at the host {host_state}")
        if view is not None:
            confirms = [e for e in view["events"] if e["event"] == "confirmed"]
            if len(confirms) > 1:
                problems.append(f"{record.txn} confirmed {len(confirms)} times at the host")
            if host_state == "confirmed" and not (
                record.auth_code and any(record.auth_code in text for text in slips)
            ):
                problems.append(f"{record.txn} confirmed at the host without a printed slip")
        outbox = store.outbox_for(record.txn)
        kinds = sorted(m.kind for m in outbox)
        implied = sorted(states.implied_outbox_kinds(record.state, offline=record.offline))
        if kinds != implied:
            problems.append(f"{record.txn} ({record.state}): outbox {kinds}, implied {implied}")
        for message in outbox:
            if message.state != "delivered":
                problems.append(
                    f"{record.txn} {message.kind} is {message.state}: {message.last_error}"
                )
    verdict = store.verify_journal()
    if not verdict.ok:
        problems.append(f"journal: {verdict.reason}")
    assert not problems, "\n".join(problems)
