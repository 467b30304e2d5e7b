"""Fixtures every area uses: a whole terminal (reference host, virtual printer, store) on
loopback for one market, opened and closed around each test.

The plain helpers these build on (``start_counter``, ``SALES``, ...) live in the ``helpers``
package next to this file (``pythonpath = ["tests"]`` in pyproject.toml); fixtures are only
ever found by pytest through a ``conftest.py``, never imported by name. Fixtures of one area
are in that area's folder (``tests/<area>/conftest.py``).
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from helpers.kiosk import MARKET_PRODUCTS, Counter, start_counter, stop_counter


def _opened(tmp_path: Path, market: str) -> Iterator[Counter]:
    """One market's terminal, opened for the test and closed after it."""
    counter = start_counter(tmp_path, market)
    counter.open()
    yield counter
    stop_counter(counter)


@pytest.fixture(params=sorted(MARKET_PRODUCTS))
def any_market_counter(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Counter]:
    yield from _opened(tmp_path, request.param)


@pytest.fixture
def si_counter(tmp_path: Path) -> Iterator[Counter]:
    yield from _opened(tmp_path, "si")


@pytest.fixture
def rs_counter(tmp_path: Path) -> Iterator[Counter]:
    yield from _opened(tmp_path, "rs")


@pytest.fixture
def fi_counter(tmp_path: Path) -> Iterator[Counter]:
    yield from _opened(tmp_path, "fi")
