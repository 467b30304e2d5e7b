"""Fixtures of the printer tests: the virtual ESC/POS printer as a real TCP peer."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from drivers.virtual_printer import VirtualPrinter


@pytest.fixture
def vprinter(tmp_path: Path) -> Iterator[VirtualPrinter]:
    """A virtual printer on a free loopback port, writing its slips under ``tmp_path``."""
    with VirtualPrinter(port=0, out_dir=tmp_path / "slips") as vp:
        yield vp
