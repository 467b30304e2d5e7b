"""The promises a terminal makes to the host, checked after faults and crashes.

- every sale whose slip printed (confirmed here) is confirmed at the host, exactly once;
- nothing is confirmed at the host without a printed sale slip;
- every sale stornoed here (its storno slip printed) is stornoed at the host;
- every sale voided here (slip not proven) is voided at the host; every failed one reversed
  or unknown to it;
- the outbox holds exactly what the states imply, nothing dead, nothing left behind;
- the journal's hash chain verifies.

The soak checks the same promises; their one owner is ``soak.invariants`` (the soak is a
package the product's tooling ships and type-checks, and must run without the tests on its
path). Here every storno has finished, so a sale confirmed here must be plainly confirmed at
the host (:data:`~soak.invariants.SETTLED_HOST_STATES`), and the printed slips are at hand.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from typing import Any

from offline_queue.store import Store
from soak.invariants import SETTLED_HOST_STATES, journal_verifies, records_agree


def check_invariants(
    store: Store,
    host_view: Callable[[str], dict[str, Any] | None],
    printed_texts: Iterable[str],
) -> None:
    assert store.list_transactions(limit=1), "no transactions to check"
    found = records_agree(store, host_view, host_states=SETTLED_HOST_STATES, slips=printed_texts)
    found += journal_verifies(store)
    assert not found, "\n".join(f"{v.kind}: {v.detail}" for v in found)
