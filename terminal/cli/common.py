"""What several ``kiosk`` commands share: failing cleanly, loading the config, and reaching the
kiosk process that owns the terminal (its local API) or opening one here when none runs."""

from __future__ import annotations

import json
import sys
from collections.abc import Callable
from typing import Any, NoReturn

import click
import requests

from terminal.cli import CliContext
from terminal.config import KioskConfig, load_config
from terminal.errors import KioskError
from terminal.kiosk import Kiosk, RunningKiosk, running_kiosk
from terminal.logs import add_secret


def fail(message: str, *, as_json: bool, code: str = "error", exit_code: int = 1) -> NoReturn:
    """The clerk-readable message on stderr (and as JSON on stdout for scripts), then exit."""
    if as_json:
        click.echo(json.dumps({"error": {"code": code, "message": message}}, ensure_ascii=False))
    click.echo(message, err=True)
    sys.exit(exit_code)


def load(obj: CliContext, as_json: bool) -> KioskConfig:
    try:
        config = load_config(obj.config_path)
    except KioskError as exc:
        fail(str(exc), as_json=as_json, code=exc.code)
    # Whatever a library writes in the log from now on, these never appear in it.
    add_secret(config.terminal.key)
    add_secret(config.api.token)
    return config


def call_running_kiosk(
    running: RunningKiosk, method: str, path: str, **kwargs: Any
) -> requests.Response:
    """One authenticated call to the local API of the kiosk process that owns the terminal."""
    if not running.api_url or not running.token:
        raise KioskError(
            f"A kiosk process (pid {running.pid}) runs this terminal but serves no API yet: "
            "wait a moment and try again, or stop it first."
        )
    headers = {**kwargs.pop("headers", {}), "Authorization": f"Bearer {running.token}"}
    try:
        return requests.request(
            method,
            running.api_url + path,
            headers=headers,
            timeout=(3, 120),
            **kwargs,
        )
    except requests.RequestException as exc:
        raise KioskError(
            f"The running kiosk process does not answer ({exc}): check it, then try again."
        ) from None


def through_kiosk(
    config: KioskConfig,
    api_call: tuple[str, str, dict[str, Any]],
    local: Callable[[Kiosk], dict[str, Any]],
    *,
    forward: bool = False,
) -> tuple[int, dict[str, Any]]:
    """(HTTP-like status, answer) from the running kiosk's API, or from a kiosk opened here.

    Two processes must never drive the same printer or settle the same sales, so a command
    opens the terminal itself only when no kiosk process owns it.
    """
    running = running_kiosk(config)
    if running is not None:
        method, path, kwargs = api_call
        response = call_running_kiosk(running, method, path, **kwargs)
        data: dict[str, Any] = response.json()
        error = data.get("error")
        if isinstance(error, dict):  # a refusal; an outcome's "error" is a plain text
            raise KioskError(str(error.get("message")), code=str(error.get("code")))
        return response.status_code, data
    with Kiosk(config) as kiosk:
        answer = local(kiosk)
        if forward:
            # Nobody else will forward it: hand the advice to the host right away, briefly.
            kiosk.forwarder.drain(timeout_s=5.0)
        return 200, answer


__all__ = ["call_running_kiosk", "fail", "load", "through_kiosk"]
