"""The screens the navigation bar offers, each with its keyboard shortcut.

Adding a screen means adding its entry here (and its module under ``terminal.web.screens``):
the layout draws the bar from this list and the keyboard handler presses whatever element
carries the shortcut in ``data-key``, so no template or script changes. Shortcuts are keys a
clerk reaches blind on a full keyboard; inside a text field only F-keys and Esc act.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

from terminal.web.i18n import _

if TYPE_CHECKING:
    from terminal.web.sessions import Session


@dataclass(frozen=True)
class NavEntry:
    """One screen in the bar: where, its label (a catalog message id) and its key."""

    id: str
    path: str
    label: str
    key: str
    supervisor_only: bool = False


NAV: tuple[NavEntry, ...] = (
    NavEntry("home", "/ui/", _("Sell"), "F2"),
    NavEntry("storno", "/ui/storno", _("Storno"), "F3"),
    NavEntry("lookup", "/ui/lookup", _("Lookup"), "F4"),
    NavEntry("reprint", "/ui/reprint", _("Reprint"), "F6"),
    NavEntry("reports", "/ui/reports", _("X / Z report"), "F7"),
    NavEntry("cash", "/ui/cash", _("Cash in drawer"), "F8"),
    NavEntry("shift", "/ui/shift", _("This shift"), "F10"),
    NavEntry("clerks", "/ui/clerks", _("Clerks"), "F12", supervisor_only=True),
)


def visible_nav(session: Session | None) -> list[NavEntry]:
    """The entries this clerk may open (the screens check the role again on the server)."""
    supervisor = session is not None and session.is_supervisor
    return [e for e in NAV if supervisor or not e.supervisor_only]


__all__ = ["NAV", "NavEntry", "visible_nav"]
