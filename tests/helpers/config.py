"""A preset kiosk.toml edited as an operator would edit it, and the refusal it earns."""

from __future__ import annotations

from pathlib import Path

import pytest

from terminal.config import load_config, write_preset
from terminal.errors import ConfigError


def edited_preset(
    tmp_path: Path, market: str, *replacements: tuple[str, str], terminal_id: str | None = "40001"
) -> Path:
    """A preset for ``market`` with lines edited (each ``(old, new)`` must match the preset)."""
    path = write_preset(tmp_path / "kiosk.toml", market, terminal_id=terminal_id, force=True)
    text = path.read_text("utf-8")
    for old, new in replacements:
        assert old in text, f"test edit {old!r} does not match the preset"
        text = text.replace(old, new, 1)
    path.write_text(text, "utf-8")
    return path


def refused(path: Path) -> ConfigError:
    """The ConfigError loading ``path`` raises (the test fails if it loads)."""
    with pytest.raises(ConfigError) as caught:
        load_config(path)
    return caught.value
