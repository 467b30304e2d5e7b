"""Fixtures of the store tests: a real SQLite file under ``tmp_path`` on a ManualClock."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from foundation.clock import ManualClock
from offline_queue.store import Store
from terminal.config import write_preset


@pytest.fixture
def clock() -> ManualClock:
    return ManualClock()


@pytest.fixture
def store(tmp_path: Path, clock: ManualClock) -> Iterator[Store]:
    with Store(tmp_path / "kiosk.sqlite", terminal_id="12345", clock=clock) as opened:
        yield opened


@pytest.fixture
def config_path(tmp_path: Path) -> Path:
    """A Serbian kiosk.toml (terminal 12345) for the journal commands."""
    path = tmp_path / "kiosk.toml"
    write_preset(path, "rs", terminal_id="12345")
    return path
