"""``kiosk clerk add|list|unlock|pin|deactivate``: the clerks who sign in at the counter screen.

Whoever may run ``kiosk`` here may read kiosk.toml (the key, the API token): that is the shop
owner, so these commands need no supervisor's PIN; this is also how the first supervisor is
added. Like the other commands they go through the running kiosk's API when one runs.
"""

from __future__ import annotations

import json
from typing import Any

import click

from terminal.clerks import Role
from terminal.cli import CliContext
from terminal.cli.common import act, load
from terminal.cli.options import JSON_OPTION, subgroup


def _show(clerk: dict[str, Any]) -> str:
    state = "active" if clerk["active"] else "deactivated"
    if clerk.get("locked_until"):
        state += f", locked until {clerk['locked_until']}"
    return f"{clerk['number']:>6}  {clerk['name']:<24} {clerk['role']:<10} {state}"


def _print(answer: dict[str, Any], as_json: bool, done: str) -> None:
    if as_json:
        click.echo(json.dumps(answer, ensure_ascii=False))
        return
    if answer.get("clerk"):
        click.echo(_show(answer["clerk"]))
    click.echo(done)


PIN_OPTION = click.option(
    "--pin",
    prompt="PIN (4-8 digits)",
    hide_input=True,
    confirmation_prompt=True,
    help="The PIN; leave out to type it hidden (twice).",
)


def register(main: click.Group) -> None:
    clerk = subgroup(main, "clerk")

    @clerk.command("add")
    @click.argument("number")
    @click.option("--name", required=True, help="The clerk's name, as on the badge.")
    @click.option(
        "--role",
        type=click.Choice([r.value for r in Role]),
        default=Role.CLERK.value,
        show_default=True,
        help="A supervisor may also print the Z report, unlock and manage clerks.",
    )
    @PIN_OPTION
    @JSON_OPTION
    @click.pass_obj
    def add(obj: CliContext, number: str, name: str, role: str, pin: str, as_json: bool) -> None:
        """Add clerk NUMBER (1-6 digits; never reused once given)."""
        config = load(obj, as_json)
        answer = act(config, as_json, lambda c: c.add_clerk(number, name=name, pin=pin, role=role))
        _print(answer, as_json, f"Clerk {number} added: sign in with the number and the PIN.")

    @clerk.command("list")
    @JSON_OPTION
    @click.pass_obj
    def list_(obj: CliContext, as_json: bool) -> None:
        """Every clerk of this terminal, deactivated ones too."""
        config = load(obj, as_json)
        answer = act(config, as_json, lambda c: c.clerks())
        if as_json:
            click.echo(json.dumps(answer, ensure_ascii=False))
            return
        if not answer["clerks"]:
            click.echo(
                "No clerks yet: add a supervisor with `kiosk clerk add 1 --name ... "
                "--role supervisor`."
            )
        for item in answer["clerks"]:
            click.echo(_show(item))

    @clerk.command("unlock")
    @click.argument("number")
    @JSON_OPTION
    @click.pass_obj
    def unlock(obj: CliContext, number: str, as_json: bool) -> None:
        """End clerk NUMBER's lockout after too many wrong PINs now."""
        config = load(obj, as_json)
        answer = act(config, as_json, lambda c: c.unlock_clerk(number))
        _print(answer, as_json, f"Clerk {number} may sign in again.")

    @clerk.command("pin")
    @click.argument("number")
    @PIN_OPTION
    @JSON_OPTION
    @click.pass_obj
    def pin(obj: CliContext, number: str, pin: str, as_json: bool) -> None:
        """Give clerk NUMBER a new PIN (it also ends a lockout)."""
        config = load(obj, as_json)
        answer = act(config, as_json, lambda c: c.set_clerk_pin(number, pin))
        _print(answer, as_json, f"Clerk {number} has a new PIN.")

    @clerk.command("deactivate")
    @click.argument("number")
    @JSON_OPTION
    @click.pass_obj
    def deactivate(obj: CliContext, number: str, as_json: bool) -> None:
        """Clerk NUMBER may no longer sign in (the number stays on past sales)."""
        config = load(obj, as_json)
        answer = act(config, as_json, lambda c: c.deactivate_clerk(number))
        _print(answer, as_json, f"Clerk {number} is deactivated.")


__all__ = ["register"]
