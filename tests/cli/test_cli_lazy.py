"""`kiosk --help` imports no command module; the table it lists stays true to the modules."""

from __future__ import annotations

import importlib
import json
import subprocess
import sys

import click
import pytest
from click.testing import CliRunner

from terminal.cli import COMMAND_MODULES, COMMANDS, LazyGroup


def test_the_command_table_matches_what_the_modules_register() -> None:
    found: dict[str, tuple[tuple[str, ...], str]] = {}
    for name, dotted in COMMAND_MODULES.items():
        group = click.Group("probe")
        importlib.import_module(dotted).register(group)
        for command_name, command in group.commands.items():
            modules, first = found.get(command_name, ((), ""))
            found[command_name] = (
                (*modules, name),
                first or command.get_short_help_str(1000),
            )
    assert set(found) == set(COMMANDS)
    for command_name, (modules, short) in found.items():
        listed_modules, text = COMMANDS[command_name]
        assert listed_modules == modules, command_name
        assert click.Command(command_name, help=text).get_short_help_str(1000) == short


def test_help_loads_neither_the_store_nor_the_printer_stack() -> None:
    probe = (
        "import sys\n"
        "from click.testing import CliRunner\n"
        "from terminal.cli import main\n"
        "result = CliRunner().invoke(main, ['--help'])\n"
        "assert result.exit_code == 0, result.output\n"
        "import json\n"
        "print(json.dumps({'output': result.output, 'modules': sorted(sys.modules)}))\n"
    )
    done = subprocess.run(
        [sys.executable, "-c", probe], capture_output=True, text=True, check=True, timeout=60
    )
    answer = json.loads(done.stdout)
    loaded = set(answer["modules"])
    for heavy in ("escpos", "drivers.printer", "offline_queue.store", "terminal.kiosk", "PIL"):
        assert heavy not in loaded, heavy
    for command_name in COMMANDS:
        assert f"  {command_name} " in answer["output"]


def test_a_command_is_loaded_when_it_runs() -> None:
    from terminal.cli import main

    result = CliRunner().invoke(main, ["queue", "--help"])
    assert result.exit_code == 0, result.output
    assert "drain" in result.output and "status" in result.output


def test_every_module_the_table_names_is_mapped_and_importable() -> None:
    named = {module for modules, _ in COMMANDS.values() for module in modules}
    assert named == set(COMMAND_MODULES)
    for dotted in COMMAND_MODULES.values():
        assert callable(importlib.import_module(dotted).register), dotted


def test_a_missing_command_module_is_an_error_not_a_missing_command(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setitem(COMMAND_MODULES, "slip", "terminal.cli.no_such_module")
    group = LazyGroup("kiosk")
    result = CliRunner().invoke(group, ["slip", "list"])
    assert result.exit_code == 1
    assert "`kiosk slip` needs the module terminal.cli.no_such_module" in result.output
    assert "reinstall counter-terminal" in result.output
    assert result.exception is None or isinstance(result.exception, SystemExit)
