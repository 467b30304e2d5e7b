"""The storno window's edges, through the one type that does its arithmetic (terminal.catalog).

The storno service, the slip's printed deadline and the storno screen all ask
``ReversalWindow``; these are the moments where they could disagree.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest

from terminal.catalog import ReversalWindow

SECOND = timedelta(seconds=1)
PRINTED = datetime(2026, 11, 22, 12, 0, 0, tzinfo=UTC)


def test_a_five_minute_window_closes_300_seconds_after_the_slip_and_includes_that_moment() -> None:
    window = ReversalWindow("duration", 300)
    closes = window.closes_at(PRINTED, "Europe/Ljubljana")
    assert closes == datetime(2026, 11, 22, 12, 5, 0, tzinfo=UTC)
    assert window.is_open(PRINTED, closes - SECOND, "Europe/Ljubljana")
    assert window.is_open(PRINTED, closes, "Europe/Ljubljana")
    assert not window.is_open(PRINTED, closes + SECOND, "Europe/Ljubljana")
    assert window.seconds_left(PRINTED, closes - SECOND, "Europe/Ljubljana") == 1.0
    assert window.seconds_left(PRINTED, closes, "Europe/Ljubljana") == 0.0
    assert window.seconds_left(PRINTED, closes + SECOND, "Europe/Ljubljana") == -1.0


def test_no_window_is_open_before_the_slip_printed() -> None:
    window = ReversalWindow("duration", 300)
    assert window.is_open(PRINTED, PRINTED, "UTC")
    assert not window.is_open(PRINTED, PRINTED - SECOND, "UTC")


@pytest.mark.parametrize(
    ("printed", "timezone", "local_midnight"),
    [
        # 21:30 UTC is 23:30 in Helsinki in November (UTC+2): half an hour is left
        (
            datetime(2026, 11, 22, 21, 30, tzinfo=UTC),
            "Europe/Helsinki",
            datetime(2026, 11, 23, 0, 0, tzinfo=ZoneInfo("Europe/Helsinki")),
        ),
        # the same moment in UTC is still the 22nd for another 2.5 hours
        (
            datetime(2026, 11, 22, 21, 30, tzinfo=UTC),
            "UTC",
            datetime(2026, 11, 23, 0, 0, tzinfo=UTC),
        ),
        # the day the clocks go back (25 local hours): it still ends at local midnight
        (
            datetime(2026, 10, 25, 6, 0, tzinfo=UTC),
            "Europe/Helsinki",
            datetime(2026, 10, 26, 0, 0, tzinfo=ZoneInfo("Europe/Helsinki")),
        ),
    ],
)
def test_a_same_day_window_closes_at_the_terminals_local_midnight(
    printed: datetime, timezone: str, local_midnight: datetime
) -> None:
    window = ReversalWindow("same_day")
    closes = window.closes_at(printed, timezone)
    assert closes is not None
    assert closes == local_midnight - timedelta(microseconds=1)
    assert closes.astimezone(ZoneInfo(timezone)).strftime("%H:%M:%S") == "23:59:59"
    assert window.is_open(printed, closes - SECOND, timezone)
    assert window.is_open(printed, closes, timezone)
    assert not window.is_open(printed, closes + SECOND, timezone)
    assert not window.is_open(printed, local_midnight, timezone)


def test_a_product_without_a_window_never_opens() -> None:
    window = ReversalWindow("none")
    assert window.closes_at(PRINTED, "Asia/Baku") is None
    assert window.seconds_left(PRINTED, PRINTED, "Asia/Baku") is None
    assert window.earliest_open(PRINTED, "Asia/Baku") is None
    assert not window.is_open(PRINTED, PRINTED, "Asia/Baku")


def test_the_earliest_open_print_time_is_exactly_the_edge_of_the_window() -> None:
    """What the storno screen searches from: a slip printed then is open now, a second earlier
    is not."""
    now = datetime(2026, 11, 22, 21, 30, tzinfo=UTC)
    for window, timezone in (
        (ReversalWindow("duration", 300), "UTC"),
        (ReversalWindow("same_day"), "Europe/Helsinki"),
    ):
        earliest = window.earliest_open(now, timezone)
        assert earliest is not None
        assert window.is_open(earliest, now, timezone)
        assert not window.is_open(earliest - SECOND, now, timezone)
