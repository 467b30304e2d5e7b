"""The explicit registries are complete: every module under ``terminal/routes`` that makes a
router is in ``terminal.routes.ROUTERS``, every screen module in ``terminal.web.SCREENS``.

The lists replaced importlib loops that skipped a module silently; this test is the other half:
a new module that is not listed fails here instead of serving nothing.
"""

from __future__ import annotations

import importlib
import pkgutil

import terminal.routes
import terminal.web.screens
from terminal.routes import ROUTERS
from terminal.web import SCREENS


def _router_modules(package: object) -> set[str]:
    names = set()
    for info in pkgutil.iter_modules(package.__path__):  # type: ignore[attr-defined]
        module = importlib.import_module(f"{package.__name__}.{info.name}")  # type: ignore[attr-defined]
        if callable(getattr(module, "router", None)):
            names.add(module.__name__)
    return names


def test_every_api_area_is_listed_once() -> None:
    listed = [factory.__module__ for factory in ROUTERS]
    assert len(listed) == len(set(listed))
    assert set(listed) == _router_modules(terminal.routes)


def test_every_screen_is_listed_once() -> None:
    listed = [factory.__module__ for factory in SCREENS]
    assert len(listed) == len(set(listed))
    assert set(listed) == _router_modules(terminal.web.screens)
