"""Editing a shipped preset the way an operator edits kiosk.toml, and catching the refusal.

Shared by the configuration tests (one copy, not one per file).
"""

from __future__ import annotations

from pathlib import Path

import pytest

from terminal.config import load_config, write_preset
from terminal.errors import ConfigError


def edited_preset(
    tmp_path: Path, market: str, *replacements: tuple[str, str], terminal_id: str = "40001"
) -> Path:
    """``market``'s preset at ``tmp_path/kiosk.toml`` with each ``(old, new)`` replaced once."""
    path = write_preset(tmp_path / "kiosk.toml", market, terminal_id=terminal_id, force=True)
    text = path.read_text("utf-8")
    for old, new in replacements:
        assert old in text, f"test edit {old!r} does not match the preset"
        text = text.replace(old, new, 1)
    path.write_text(text, "utf-8")
    return path


def refused(path: Path) -> ConfigError:
    """The :class:`ConfigError` loading ``path`` raises (the test fails if it loads)."""
    with pytest.raises(ConfigError) as caught:
        load_config(path)
    return caught.value


__all__ = ["edited_preset", "refused"]
