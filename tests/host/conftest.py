"""Fixtures of the host tests: the reference host on loopback, signed requests as a terminal."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from helpers.hostsim import HostHarness, run_host


@pytest.fixture
def host(tmp_path: Path) -> Iterator[HostHarness]:
    """The reference host with its default settings; a module that needs others overrides it."""
    with run_host(tmp_path) as harness:
        yield harness
