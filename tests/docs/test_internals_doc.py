"""docs/internals.md names real things: every dotted name of the project it cites resolves.

The page is the map a newcomer reads first (issue 12); a module moved or a function renamed
without the page following makes this fail, as sqlite-utils' ``tests/test_docs.py`` keeps its
documentation honest.
"""

from __future__ import annotations

import importlib
import re
from pathlib import Path
from types import ModuleType
from typing import Any

import pytest

ROOT = Path(__file__).resolve().parents[2]
PAGE = ROOT / "docs" / "internals.md"
PACKAGES = (
    "foundation",
    "terminal",
    "drivers",
    "offline_queue",
    "printer_templates",
    "hostsim",
    "kiosk_demo",
    "soak",
)
#: A backticked dotted name that starts with one of the packages: `terminal.counter.Counter`.
CITED = re.compile(r"`((?:" + "|".join(PACKAGES) + r")(?:\.[A-Za-z_][A-Za-z0-9_]*)+)")


def cited_names() -> list[str]:
    return sorted(set(CITED.findall(PAGE.read_text(encoding="utf-8"))))


def resolve(name: str) -> Any:
    """The module, class, function or constant ``name`` stands for (AttributeError if none)."""
    parts = name.split(".")
    for split in range(len(parts), 0, -1):
        try:
            found: ModuleType | Any = importlib.import_module(".".join(parts[:split]))
        except ModuleNotFoundError:
            continue
        for attribute in parts[split:]:
            found = getattr(found, attribute)
        return found
    raise AttributeError(name)


def test_the_page_cites_the_packages() -> None:
    assert len(cited_names()) > 50


@pytest.mark.parametrize("name", cited_names())
def test_every_cited_name_exists(name: str) -> None:
    assert resolve(name) is not None


def test_a_name_that_does_not_exist_is_caught() -> None:
    with pytest.raises(AttributeError):
        resolve("terminal.counter.NoSuchThing")


#: Test files of other projects the docs cite by name (sqlite-utils keeps its docs honest there).
OTHER_PROJECTS_TESTS = {"tests/test_docs.py"}
#: Every page a newcomer or an installer reads.
PAGES = (
    ROOT / "README.md",
    ROOT / "bench" / "README.md",
    ROOT / "deploy" / "README.md",
    *sorted((ROOT / "docs").glob("*.md")),
)


def test_every_test_file_the_docs_cite_exists() -> None:
    cited = {
        (page.name, path)
        for page in PAGES
        for path in re.findall(r"tests/[A-Za-z0-9_/]+\.py", page.read_text(encoding="utf-8"))
    }
    missing = sorted(
        (page, path)
        for page, path in cited
        if path not in OTHER_PROJECTS_TESTS and not (ROOT / path).is_file()
    )
    assert missing == []
