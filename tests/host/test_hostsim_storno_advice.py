"""The reference host's answer to a storno advice that no approved request precedes: the
terminal decided the storno while the host was unreachable (or the request lapsed), so the host
checks it as a request made when the storno slip printed (``stornoed_at``)."""

from __future__ import annotations

from datetime import timedelta

from helpers.hostsim import HostHarness


def _topup(host: HostHarness) -> str:
    answer = host.provision("mobile-topup", amount_minor=10_000)
    assert host.confirm(answer["txn"])["result"] == "accepted"
    return str(answer["txn"])


def test_advice_of_a_storno_inside_the_window_is_applied_even_when_late(host: HostHarness) -> None:
    txn = _topup(host)
    stornoed_at = (host.clock.now() + timedelta(seconds=300)).isoformat()
    host.advance(4000)  # the host was unreachable for an hour
    result = host.advise(txn, "storno", {"stornoed_at": stornoed_at})
    assert result["result"] == "accepted" and host.state(txn) == "stornoed"


def test_advice_of_a_storno_outside_the_window_is_rejected(host: HostHarness) -> None:
    txn = _topup(host)
    stornoed_at = (host.clock.now() + timedelta(seconds=301)).isoformat()
    host.advance(400)
    result = host.advise(txn, "storno", {"stornoed_at": stornoed_at})
    assert (result["result"], result["code"]) == ("rejected", "storno_window_closed")
    assert host.state(txn) == "confirmed"
