"""kiosk init / config check / quote: thin commands, JSON for scripts, refusals on stderr."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import click
import pytest
from click.testing import CliRunner

from terminal.cli import COMMANDS, main
from terminal.config import load_config

KIOSK = Path(sys.executable).parent / "kiosk"


def _run(*args: str) -> tuple[int, str, str]:
    result = CliRunner().invoke(main, list(args))
    return result.exit_code, result.stdout, result.stderr


@pytest.fixture
def si_config(tmp_path: Path) -> Path:
    path = tmp_path / "kiosk.toml"
    code, out, err = _run("--config", str(path), "init", "--market", "si")
    assert (code, err) == (0, ""), err
    assert str(path) in out
    return path


def test_init_writes_a_working_preset_and_refuses_to_overwrite(tmp_path: Path) -> None:
    path = tmp_path / "kiosk.toml"
    assert _run("--config", str(path), "init", "--market", "az", "--terminal-id", "55555")[0] == 0
    key = load_config(path).terminal.key
    code, _, err = _run("--config", str(path), "init", "--market", "si")
    assert code == 1
    assert "already exists" in err and "--force" in err
    assert "Traceback" not in err
    assert load_config(path).terminal.market == "az"
    assert _run("--config", str(path), "init", "--market", "si", "--force")[0] == 0
    assert load_config(path).terminal.market == "si"
    assert load_config(path).terminal.key != key


def test_init_refuses_a_bad_terminal_id_and_unknown_market(tmp_path: Path) -> None:
    path = tmp_path / "kiosk.toml"
    code, _, err = _run("--config", str(path), "init", "--market", "si", "--terminal-id", "12")
    assert code == 1 and "exactly 5 digits" in err
    code, _, err = _run("--config", str(path), "init", "--market", "hr")
    assert code == 2 and "'hr' is not one of" in err
    assert not path.exists()


def test_init_uses_kiosk_config_from_the_environment(tmp_path: Path) -> None:
    path = tmp_path / "from-env.toml"
    result = CliRunner().invoke(main, ["init", "--market", "fi"], env={"KIOSK_CONFIG": str(path)})
    assert result.exit_code == 0, result.output
    assert load_config(path).terminal.market == "fi"


def test_config_check_summary(si_config: Path) -> None:
    code, out, _ = _run("--config", str(si_config), "config", "check")
    assert code == 0
    assert "Terminal 12345, market si" in out
    assert "card-topup: 1,00 € to 1.000,00 €" in out
    assert load_config(si_config).terminal.key not in out


def test_config_check_reports_the_bad_key_and_exits_1(si_config: Path) -> None:
    text = si_config.read_text("utf-8").replace('reversal_window = "5m"', 'reversal_window = "x"')
    si_config.write_text(text, "utf-8")
    code, out, err = _run("--config", str(si_config), "config", "check")
    assert code == 1
    assert "products.card-topup.reversal_window" in err
    assert out == ""
    code, out, err = _run("--config", str(si_config), "config", "check", "--json")
    assert code == 1
    payload = json.loads(out)
    assert payload["ok"] is False
    assert payload["error"] == "config_error"
    assert payload["key"] == "products.card-topup.reversal_window"
    assert "same_day" in payload["message"]


def test_config_check_without_a_file_says_how_to_make_one(tmp_path: Path) -> None:
    code, _, err = _run("--config", str(tmp_path / "none.toml"), "config", "check")
    assert code == 1
    assert "kiosk init --market" in err


def test_quote_json_is_one_object(si_config: Path) -> None:
    code, out, _ = _run(
        "--config", str(si_config), "quote", "card-topup", "--amount", "150", "--json"
    )
    assert code == 0
    payload = json.loads(out)
    expected = {
        "currency": "EUR",
        "amount_minor": 15000,
        "fees": [
            {"name": "topup_fee", "amount_minor": 100},
            {"name": "pos_surcharge", "amount_minor": 200},
        ],
        "total_minor": 15300,
    }
    assert {key: payload[key] for key in expected} == expected
    assert payload["total_display"] == "153,00 €"


@pytest.mark.parametrize("amount", ["150", "150,00", "150,0"])
def test_quote_table_reads_amounts_as_typed(si_config: Path, amount: str) -> None:
    code, out, _ = _run("--config", str(si_config), "quote", "card-topup", "--amount", amount)
    assert code == 0
    lines = out.splitlines()
    assert lines[0].startswith("Polnitev kartice") and lines[0].endswith("150,00 €")
    assert lines[1].startswith("topup_fee") and lines[1].endswith("1,00 €")
    assert lines[2].startswith("pos_surcharge") and lines[2].endswith("2,00 €")
    assert lines[-1].startswith("Total") and lines[-1].endswith("153,00 €")


@pytest.mark.parametrize(
    ("args", "says"),
    [
        (["card-topup", "--amount", "1000,01"], "type an amount from 1,00 € to 1.000,00 €"),
        (["card-topup", "--amount", "abc"], "not an amount"),
        # sl writes 1.001 for a thousand and one (issue 14): never read as 1,00
        (["card-topup", "--amount", "1.001"], "cannot be sold"),
        (["card-topup", "--amount", "150.00"], "grouped in threes"),
        (["card-topup", "--amount", "1,001"], "more decimals"),
        (["card-topup", "--amount", "1e2"], "exponents"),
        (["mobile-topup", "--amount", "500"], "does not sell 'mobile-topup'"),
    ],
)
def test_refused_quote_exits_1_with_reason_on_stderr(
    si_config: Path, args: list[str], says: str
) -> None:
    code, out, err = _run("--config", str(si_config), "quote", *args)
    assert code == 1
    assert out == ""
    assert says in err
    assert "Traceback" not in err


def _every_command(
    group: click.Group, path: tuple[str, ...] = ()
) -> Iterator[tuple[tuple[str, ...], click.Command]]:
    """Every command and subcommand under ``group``, nested groups too, with its words."""
    context = click.Context(group)
    for name in group.list_commands(context):
        command = group.get_command(context, name)
        assert command is not None, f"kiosk {' '.join((*path, name))} is listed but not found"
        yield (*path, name), command
        if isinstance(command, click.Group):
            yield from _every_command(command, (*path, name))


def _check_help(
    group: click.Group, prog: str, walked: list[tuple[tuple[str, ...], click.Command]]
) -> None:
    for words, command in walked:
        shown = " ".join(words)
        assert (command.help or "").strip(), f"{prog} {shown} has no help text"
        for option in command.params:
            if isinstance(option, click.Option) and not option.hidden:
                assert (option.help or "").strip(), f"{prog} {shown} {option.opts[0]}: no help"
        result = CliRunner().invoke(group, [*words, "--help"], prog_name=prog)
        assert result.exit_code == 0, (shown, result.stderr)
        assert result.stdout.startswith(f"Usage: {prog} {shown} "), (shown, result.stdout)
        assert command.get_short_help_str(1000) in " ".join(result.stdout.split()), shown


def test_every_command_has_help() -> None:
    walked = list(_every_command(main))
    names = {words for words, _ in walked}
    # the walk reaches every top-level command and into the nested groups
    assert {(name,) for name in COMMANDS} <= names
    for nested in (("queue", "drain"), ("journal", "export"), ("clerk", "add"), ("export",)):
        assert nested in names
    assert len(walked) > len(COMMANDS) + 20
    _check_help(main, "kiosk", walked)


def test_every_kiosk_host_command_has_help() -> None:
    from hostsim.cli import main as host_main

    walked = list(_every_command(host_main))
    assert {("serve",), ("terminal", "verify"), ("fault", "set")} <= {w for w, _ in walked}
    _check_help(host_main, "kiosk-host", walked)


def test_real_kiosk_process_quotes_and_refuses(tmp_path: Path) -> None:
    env = {**os.environ, "KIOSK_CONFIG": str(tmp_path / "kiosk.toml")}
    init = subprocess.run(
        [str(KIOSK), "init", "--market", "si"], env=env, capture_output=True, text=True, check=False
    )
    assert init.returncode == 0, init.stderr
    done = subprocess.run(
        [str(KIOSK), "quote", "card-topup", "--amount", "150", "--json"],
        env=env,
        capture_output=True,
        text=True,
        check=False,
    )
    assert done.returncode == 0, done.stderr
    payload = json.loads(done.stdout)
    assert (payload["amount_minor"], payload["total_minor"]) == (15000, 15300)
    assert payload["fees"] == [
        {"name": "topup_fee", "amount_minor": 100},
        {"name": "pos_surcharge", "amount_minor": 200},
    ]
    refused = subprocess.run(
        [str(KIOSK), "quote", "card-sale", "--amount", "248"],
        env=env,
        capture_output=True,
        text=True,
        check=False,
    )
    assert refused.returncode == 1
    assert "type an amount from 5,00 € to 247,00 €" in refused.stderr
    assert "Traceback" not in refused.stderr
    check = subprocess.run(
        [str(KIOSK), "config", "check", "--json"],
        env=env,
        capture_output=True,
        text=True,
        check=False,
    )
    assert check.returncode == 0, check.stderr
    assert json.loads(check.stdout)["ok"] is True


def test_sell_without_cash_is_refused_for_a_cash_product_before_anything_happens(
    si_config: Path,
) -> None:
    """Only a benefit payment takes no cash; a card top-up without --cash says what to give."""
    code, out, err = _run(
        "--config", str(si_config), "sell", "card-topup", "--target", "4111111111111111",
        "--amount", "50",
    )  # fmt: skip
    assert code != 0 and out == ""
    assert "--cash" in err and "Traceback" not in err
    assert not (si_config.parent / "kiosk.sqlite").exists(), "nothing was recorded"
