"""What the ``kiosk`` commands that use the configuration share: failing cleanly, loading it,
and acting on the terminal through one :class:`~terminal.client.KioskClient` (the options
every command shares are in :mod:`terminal.cli.options`)."""

from __future__ import annotations

import json
import sys
from collections.abc import Callable
from datetime import datetime
from typing import TYPE_CHECKING, NoReturn, TypeVar

import click

from terminal.cli import CliContext
from terminal.config import KioskConfig, load_config
from terminal.errors import KioskError
from terminal.logs import add_secret

if TYPE_CHECKING:
    from terminal.client import KioskClient

T = TypeVar("T")


def fail(message: str, *, as_json: bool, code: str = "error", exit_code: int = 1) -> NoReturn:
    """The clerk-readable message on stderr (and as JSON on stdout for scripts), then exit."""
    if as_json:
        click.echo(json.dumps({"error": {"code": code, "message": message}}, ensure_ascii=False))
    click.echo(message, err=True)
    sys.exit(exit_code)


def load(obj: CliContext, as_json: bool) -> KioskConfig:
    """The terminal's configuration from ``--config``; a bad file fails the command."""
    try:
        config = load_config(obj.config_path)
    except KioskError as exc:
        fail(str(exc), as_json=as_json, code=exc.code)
    # Whatever a library writes in the log from now on, these never appear in it.
    add_secret(config.terminal.key)
    add_secret(config.api.token)
    return config


def moment(text: str | None, config: KioskConfig, what: str, as_json: bool) -> datetime | None:
    """``--since``/``--until`` as typed: ISO date or date-time, the terminal's local time when
    it has no offset; anything else fails the command naming the option."""
    from terminal.lookup import aware  # the lookup's own reading, loaded only when asked

    if text is None:
        return None
    try:
        typed = datetime.fromisoformat(text)
    except ValueError:
        fail(
            f"--{what}: {text!r} is not a date/time; write it like 2026-11-22T13:00",
            as_json=as_json,
            code="invalid_time",
        )
    return aware(typed, config.terminal.timezone)


def act(config: KioskConfig, as_json: bool, action: Callable[[KioskClient], T]) -> T:
    """``action`` on the terminal: through the running kiosk when one owns it, else on a kiosk
    opened here for the action (:func:`terminal.client.kiosk_client`); a refusal fails the
    command with its message and code."""
    from terminal.client import kiosk_client

    try:
        with kiosk_client(config) as client:
            return action(client)
    except KioskError as exc:
        fail(str(exc), as_json=as_json, code=exc.code)


__all__ = ["act", "fail", "load", "moment"]
