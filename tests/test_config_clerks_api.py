"""kiosk.toml's [clerks] and [api] tables: defaults, refusals that name the key, the API token
`kiosk init` writes (mode 600), and the local API serving with it."""

from __future__ import annotations

import json
import re
import stat
from pathlib import Path

import pytest
import requests
from click.testing import CliRunner
from config_edits import edited_preset, refused
from kiosk_fixtures import Counter, si_counter

from offline_queue.clock import ManualClock
from terminal.api import ApiServer
from terminal.cli import main
from terminal.config import load_config, preset_text, write_preset
from terminal.kiosk import Kiosk, running_kiosk

__all__ = ["si_counter"]


@pytest.mark.parametrize("market", ["si", "rs", "az", "fi"])
def test_every_preset_has_clerks_and_a_fresh_api_token(tmp_path: Path, market: str) -> None:
    assert "[clerks]" in preset_text(market) and 'token = "@API_TOKEN@"' in preset_text(market)
    first = write_preset(tmp_path / "a.toml", market)
    second = write_preset(tmp_path / "b.toml", market)
    cfg, other = load_config(first), load_config(second)
    assert (cfg.clerks.max_failures, cfg.clerks.lockout_s, cfg.clerks.auto_lock_s) == (5, 900, 120)
    assert cfg.api.token is not None and re.fullmatch(r"[A-Za-z0-9_-]{43}", cfg.api.token)
    assert cfg.api.token != other.api.token  # every terminal its own
    assert cfg.api.token not in repr(cfg.api)
    assert stat.S_IMODE(first.stat().st_mode) == 0o600


def test_missing_tables_mean_the_defaults_and_a_per_run_token(tmp_path: Path) -> None:
    path = write_preset(tmp_path / "kiosk.toml", "si")
    text = path.read_text("utf-8")
    text = re.sub(r"\n\[clerks\]\n(?:[a-z_]+ = .*\n)+", "\n", text)
    text = re.sub(r"\n\[api\]\ntoken = .*\n", "\n", text)
    path.write_text(text, "utf-8")
    cfg = load_config(path)
    assert (cfg.clerks.max_failures, cfg.clerks.lockout_s, cfg.clerks.auto_lock_s) == (5, 900, 120)
    assert cfg.api.token is None


def test_clerk_settings_are_read(tmp_path: Path) -> None:
    path = edited_preset(
        tmp_path,
        "si",
        ("max_failures = 5", "max_failures = 3"),
        ('lockout = "15m"', 'lockout = "1h"'),
        ('auto_lock = "2m"', 'auto_lock = "90s"'),
    )
    clerks = load_config(path).clerks
    assert (clerks.max_failures, clerks.lockout_s, clerks.auto_lock_s) == (3, 3600, 90)


@pytest.mark.parametrize(
    ("old", "new", "key", "hint"),
    [
        ("max_failures = 5", "max_failures = 0", "clerks.max_failures", "from 1 to 100"),
        ("max_failures = 5", 'max_failures = "5"', "clerks.max_failures", "whole number"),
        ('lockout = "15m"', "lockout = 15", "clerks.lockout", "with its unit"),
        ('auto_lock = "2m"', 'auto_lock = "0s"', "clerks.auto_lock", "longer than zero"),
        ("max_failures = 5", "max_failure = 5", "clerks.max_failure", "knows max_failures"),
        ("[api]\n", "[api]\nport = 1\n", "api.port", "knows token"),
    ],
)
def test_bad_clerk_and_api_settings_name_the_key(
    tmp_path: Path, old: str, new: str, key: str, hint: str
) -> None:
    error = refused(edited_preset(tmp_path, "si", (old, new)))
    assert error.key == key
    assert key in str(error) and hint in str(error)


@pytest.mark.parametrize("bad", ['"short"', "12345", '"has spaces in it but is long enough..."'])
def test_a_bad_token_is_refused_without_showing_it(tmp_path: Path, bad: str) -> None:
    path = write_preset(tmp_path / "kiosk.toml", "si")
    text = re.sub(r'token = ".*"', f"token = {bad}", path.read_text("utf-8"))
    path.write_text(text, "utf-8")
    error = refused(path)
    assert error.key == "api.token"
    assert bad.strip('"') not in str(error) and "kiosk init" in str(error)


def test_config_check_says_a_token_is_set_never_which(tmp_path: Path) -> None:
    path = write_preset(tmp_path / "kiosk.toml", "fi")
    token = load_config(path).api.token
    assert token is not None
    result = CliRunner().invoke(main, ["--config", str(path), "config", "check", "--json"])
    assert result.exit_code == 0, result.output
    assert json.loads(result.stdout)["api_token"] == "set"
    assert token not in result.output


def test_the_api_serves_with_the_configured_token(si_counter: Counter) -> None:
    kiosk = si_counter.kiosk
    assert kiosk is not None
    token = si_counter.config.api.token
    assert token is not None
    server = ApiServer(kiosk).start()
    try:
        assert server.token == token
        published = running_kiosk(si_counter.config)
        assert published is not None and published.token == token  # kiosk commands use it
        url = server.url + "/api/v1/cash"
        assert requests.get(url, timeout=5).status_code == 401
        wrong = requests.get(url, headers={"Authorization": "Bearer " + "x" * 43}, timeout=5)
        assert wrong.status_code == 401
        ok = requests.get(url, headers={"Authorization": f"Bearer {token}"}, timeout=5)
        assert ok.status_code == 200 and ok.json()["cash_in_drawer"] == {"EUR": 0}
    finally:
        server.stop()


def test_without_a_configured_token_each_run_makes_one(tmp_path: Path) -> None:
    path = write_preset(tmp_path / "kiosk.toml", "rs")
    path.write_text(re.sub(r"\n\[api\]\ntoken = .*\n", "\n", path.read_text("utf-8")), "utf-8")
    config = load_config(path)
    with Kiosk(config, clock=ManualClock()) as kiosk:
        tokens = []
        for _ in range(2):
            server = ApiServer(kiosk).start()
            tokens.append(server.token)
            published = running_kiosk(config)
            assert published is not None and published.token == server.token
            server.stop()
    assert len(set(tokens)) == 2 and all(len(t) >= 32 for t in tokens)
