"""Fixtures of the reader tests: the device's side of a pseudo-terminal the driver opens."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from helpers.pty_peer import PtyPeer


@pytest.fixture
def peer(tmp_path: Path) -> Iterator[PtyPeer]:
    device = PtyPeer(tmp_path)
    yield device
    device.close()
