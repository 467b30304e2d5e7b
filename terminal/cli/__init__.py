"""The ``kiosk`` command: a thin layer over the library, one command per library call.

Each area registers its commands from its own module (``config``, ``store``, ``printer``, ...),
so the CLI grows without one file that everybody edits.
"""

from __future__ import annotations

import importlib
import os
from pathlib import Path

import click

from terminal.logs import LEVELS, configure_logging

#: Modules under ``terminal.cli`` that add commands to :func:`main`; each has ``register(main)``.
COMMAND_MODULES = (
    "config",
    "store",
    "printer",
    "slip",
    "sale",
    "reader",
    "storno",
    "clerk",
    "report",
    "ops",
)

#: The distribution whose metadata ``kiosk --version`` reports (setup.cfg's ``name``).
DISTRIBUTION = "counter-terminal"


#: Level of the log on stderr for commands other than ``serve`` (which logs ``info``).
DEFAULT_LOG_LEVEL = "warning"


class CliContext:
    """What every command may need: where the configuration file is, and the log level the
    user chose (``None``: each command's default)."""

    def __init__(self, config_path: Path, log_level: str | None = None) -> None:
        self.config_path = config_path
        self.log_level = log_level


@click.group(context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(package_name=DISTRIBUTION, prog_name="kiosk")
@click.option(
    "--config",
    "config_path",
    type=click.Path(dir_okay=False, path_type=Path),
    default=None,
    help="kiosk.toml to use (default: $KIOSK_CONFIG, else ./kiosk.toml).",
)
@click.option(
    "--log-level",
    type=click.Choice(LEVELS),
    default=None,
    envvar="KIOSK_LOG_LEVEL",
    help="Log on stderr from this level on (default: warning; `serve` logs info).",
)
@click.pass_context
def main(ctx: click.Context, config_path: Path | None, log_level: str | None) -> None:
    """Counter terminal for prepaid top-ups, card sales, IMEI fees, bills and benefits."""
    if config_path is None:
        config_path = Path(os.environ.get("KIOSK_CONFIG", "kiosk.toml"))
    configure_logging(log_level or DEFAULT_LOG_LEVEL)
    ctx.obj = CliContext(config_path, log_level)


def _register_all() -> None:
    for name in COMMAND_MODULES:
        try:
            module = importlib.import_module(f"terminal.cli.{name}")
        except ModuleNotFoundError as exc:
            if exc.name == f"terminal.cli.{name}":
                continue  # that area has no commands in this build
            raise
        module.register(main)


_register_all()

__all__ = ["DEFAULT_LOG_LEVEL", "CliContext", "main"]
