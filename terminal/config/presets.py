"""The shipped kiosk.toml of each market, and ``kiosk init`` writing one with fresh secrets."""

from __future__ import annotations

import os
import re
import secrets
import tempfile
from importlib import resources
from pathlib import Path

from offline_queue.private import make_private_folder
from terminal.config.loading import load_config
from terminal.config.models import MARKETS
from terminal.errors import ConfigError, ConfigExists

DEFAULT_TERMINAL_ID = "12345"
#: What ``kiosk init`` writes in place of the token placeholder: 43 URL-safe characters.
API_TOKEN_PLACEHOLDER = "@API_TOKEN@"


def preset_text(market: str) -> str:
    """The shipped kiosk.toml of ``market``, with its placeholders still in it."""
    if market not in MARKETS:
        raise ConfigError(
            f"There is no preset for market {market!r}: use one of {', '.join(MARKETS)}.",
            key="market",
        )
    return resources.files("terminal.presets").joinpath(f"{market}.toml").read_text("utf-8")


def write_preset(
    path: Path, market: str, terminal_id: str | None = None, force: bool = False
) -> Path:
    """Write a working kiosk.toml for ``market`` with a fresh signing key and API token.

    Refuses to replace an existing file unless ``force``: the old key may be registered with
    the host, and a new one would make every request fail.
    """
    path = Path(path)
    terminal_id = DEFAULT_TERMINAL_ID if terminal_id is None else terminal_id
    if not re.fullmatch(r"[0-9]{5}", terminal_id):
        raise ConfigError(
            f"terminal id {terminal_id!r} is not allowed: write exactly 5 digits, such as 12345.",
            key="terminal.id",
        )
    if path.is_dir():
        raise ConfigError(f"{path} is a folder: give the path of the kiosk.toml file to write.")
    if path.exists() and not force:
        raise ConfigExists(
            f"{path} already exists: keep it, or pass --force to replace it "
            "(the terminal then gets a new key, which the host must learn).",
            key="path",
        )
    text = (
        preset_text(market)
        .replace("@TERMINAL_ID@", terminal_id)
        .replace("@TERMINAL_KEY@", secrets.token_hex(32))
        .replace(API_TOKEN_PLACEHOLDER, secrets.token_urlsafe(32))
    )
    folder = path.parent if str(path.parent) else Path(".")
    try:
        make_private_folder(folder)  # a folder made here is 700, whatever the umask
        descriptor, temporary = tempfile.mkstemp(prefix=f".{path.name}.", dir=folder)
    except OSError as exc:
        raise ConfigError(
            f"Cannot write {path} ({exc.strerror}): choose a folder this user may write to."
        ) from None
    try:
        with os.fdopen(descriptor, "w", encoding="utf-8") as handle:
            handle.write(text)
        os.chmod(temporary, 0o600)  # it holds the signing key and the API token
        load_config(Path(temporary))  # a preset that does not load must never be installed
        os.replace(temporary, path)
    except OSError as exc:
        Path(temporary).unlink(missing_ok=True)
        raise ConfigError(
            f"Cannot write {path} ({exc.strerror}): free some space or choose another folder."
        ) from None
    except BaseException:
        Path(temporary).unlink(missing_ok=True)
        raise
    return path


__all__ = ["API_TOKEN_PLACEHOLDER", "DEFAULT_TERMINAL_ID", "preset_text", "write_preset"]
