"""The ``kiosk`` command: a thin layer over the library, one command per library call.

Each area registers its commands from its own module (``config``, ``store``, ``printer``, ...),
so the CLI grows without one file that everybody edits.
"""

from __future__ import annotations

import importlib
import os
from functools import cache
from importlib.metadata import EntryPoint, entry_points
from pathlib import Path
from typing import Any

import click

from terminal.logs import LEVELS, configure_logging

#: The modules that add commands to :func:`main`, by the short name :data:`COMMANDS` uses;
#: each has ``register(main)``. Written out, not discovered: a module missing from a build is
#: an error when its command runs (:class:`MissingCommandModule`), never a command that
#: silently is not there (tests/cli/test_cli_lazy.py imports every one).
COMMAND_MODULES: dict[str, str] = {
    "config": "terminal.cli.config",
    "store": "terminal.cli.store",
    "printer": "terminal.cli.printer",
    "slip": "terminal.cli.slip",
    "sale": "terminal.cli.sale",
    "reader": "terminal.cli.reader",
    "storno": "terminal.cli.storno",
    "clerk": "terminal.cli.clerk",
    "report": "terminal.cli.report",
    "ops": "terminal.cli.ops",
    "export": "terminal.cli.export",
}

#: Entry-point group through which another package adds top-level commands: ``kiosk demo``
#: comes from ``kiosk_demo`` (setup.cfg), so the product itself never imports the reference host.
#: Each entry point names a ``register(main)`` function.
PLUGIN_GROUP = "kiosk.commands"

#: The distribution whose metadata ``kiosk --version`` reports (setup.cfg's ``name``).
DISTRIBUTION = "counter-terminal"

#: Every top-level command: the modules that add to it (in ``COMMAND_MODULES`` order) and its
#: one-line help. A command's module is imported only when that command runs, so ``kiosk
#: --help`` and a command that never prints load neither the store nor the printer stack;
#: tests/cli/test_cli_lazy.py checks this table against what the modules really register.
COMMANDS: dict[str, tuple[tuple[str, ...], str]] = {
    "init": (("config",), "Write a working kiosk.toml for a market, with a fresh signing key."),
    "config": (("config",), "Look at the terminal's configuration (kiosk.toml)."),
    "quote": (
        ("config",),
        "Show the fees and the total the customer pays for PRODUCT at an amount.",
    ),
    "queue": (("store", "sale"), "The outbox: advices waiting for the host."),
    "journal": (
        ("store",),
        "The append-only, hash-chained journal of everything the terminal did.",
    ),
    "txn": (
        ("store",),
        "Look up transactions: what was sold, in what state, and whether the host has it.",
    ),
    "export": (("export",), "Export sales and the journal (CSV, JSON), cards masked."),
    "printer": (("printer",), "The receipt printer: status and test page."),
    "printer-emulator": (
        ("printer",),
        "Run the virtual ESC/POS printer in the foreground until Ctrl-C.",
    ),
    "slip": (("slip",), "Slip templates: list them, preview them with sample data."),
    "sell": (("sale",), "Sell PRODUCT: record, ask the host, print the slip, confirm."),
    "serve": (("sale",), "Run the kiosk process (forwarder, drivers, local API) until stopped."),
    "reader": (("reader",), "Card reader and barcode/QR scanner diagnostics."),
    "storno": (
        ("storno",),
        "Reverse sale TXN (typed, or TXN:... from the slip's QR code) inside its window.",
    ),
    "reprint": (
        ("storno",),
        "Print a numbered copy of slip TXN, or of the last slip printed here.",
    ),
    "lookup": (
        ("storno",),
        "Did the customer's payment arrive? Local state, outbox and the host's view.",
    ),
    "clerk": (("clerk",), "Clerks who sign in at the counter: add, list, unlock."),
    "report": (("report",), "X (running totals) and Z (closing) reports."),
    "cash": (
        ("report",),
        "Cash the drawer should hold from this period: the float, sales kept, cash in, less "
        "stornos paid back and cash out; then each float and cash in / out with its reason.",
    ),
    "doctor": (
        ("ops",),
        "Check config, permissions, printer, host, store and clock; say what to fix.",
    ),
    "backup": (
        ("ops",),
        "Copy the store to FILE (a new file, mode 600) while the kiosk runs, and check it.",
    ),
    "restore": (
        ("ops",),
        "Replace the store with the backup FILE; the replaced store is kept aside.",
    ),
    "demo-host": (
        ("ops",),
        "Take the demo's reference host down (connections refused) or bring it back up.",
    ),
    "demo-printer": (
        ("ops",),
        "Make the demo's virtual printer run out of paper (or open its cover...), or mend it.",
    ),
}


@cache
def plugin_commands() -> dict[str, EntryPoint]:
    """The commands other packages add through :data:`PLUGIN_GROUP`, by name (not loaded)."""
    return {ep.name: ep for ep in entry_points(group=PLUGIN_GROUP) if ep.name not in COMMANDS}


class MissingCommandModule(click.ClickException):
    """A command's module is not in this installation: a broken build, said plainly (exit 1)."""

    def __init__(self, command: str, module: str) -> None:
        super().__init__(
            f"`kiosk {command}` needs the module {module}, which this installation lacks: "
            "reinstall counter-terminal."
        )


class LazyGroup(click.Group):
    """The ``kiosk`` group: imports a command's module when the command is looked up."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self._loaded: set[str] = set()

    def load(self, name: str) -> None:
        """Import and register the modules that add to command ``name`` (once each)."""
        plugin = plugin_commands().get(name)
        if plugin is not None and f"plugin:{name}" not in self._loaded:
            self._loaded.add(f"plugin:{name}")
            plugin.load()(self)
        for module_name in COMMANDS.get(name, ((), ""))[0]:
            if module_name in self._loaded:
                continue
            dotted = COMMAND_MODULES[module_name]
            try:
                module = importlib.import_module(dotted)
            except ModuleNotFoundError as exc:
                if exc.name == dotted:
                    raise MissingCommandModule(name, dotted) from None
                raise
            module.register(self)
            self._loaded.add(module_name)

    def load_all(self) -> None:
        for name in [*COMMANDS, *plugin_commands()]:
            self.load(name)

    def list_commands(self, ctx: click.Context) -> list[str]:
        return sorted(set(COMMANDS) | set(plugin_commands()) | set(self.commands))

    def get_command(self, ctx: click.Context, cmd_name: str) -> click.Command | None:
        self.load(cmd_name)
        return super().get_command(ctx, cmd_name)

    def format_commands(self, ctx: click.Context, formatter: click.HelpFormatter) -> None:
        """The command list from :data:`COMMANDS`, importing nothing."""
        names = self.list_commands(ctx)
        if not names:
            return
        limit = formatter.width - 6 - max(len(name) for name in names)
        rows: list[tuple[str, str]] = []
        for name in names:
            if name in plugin_commands():
                self.load(name)  # a plugin's module imports click only, until it runs
            command = self.commands.get(name)
            if command is not None:
                if command.hidden:
                    continue
                rows.append((name, command.get_short_help_str(limit)))
            else:
                text = COMMANDS[name][1]
                rows.append((name, click.Command(name, help=text).get_short_help_str(limit)))
        with formatter.section("Commands"):
            formatter.write_dl(rows)


#: Level of the log on stderr for commands other than ``serve`` (which logs ``info``).
DEFAULT_LOG_LEVEL = "warning"


class CliContext:
    """What every command may need: where the configuration file is, and the log level the
    user chose (``None``: each command's default)."""

    def __init__(self, config_path: Path, log_level: str | None = None) -> None:
        self.config_path = config_path
        self.log_level = log_level


@click.group(cls=LazyGroup, context_settings={"help_option_names": ["-h", "--help"]})
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


__all__ = [
    "COMMANDS",
    "COMMAND_MODULES",
    "DEFAULT_LOG_LEVEL",
    "PLUGIN_GROUP",
    "CliContext",
    "LazyGroup",
    "MissingCommandModule",
    "main",
    "plugin_commands",
]
