"""Ordinary `kiosk` commands leave nothing in $TMPDIR and reuse one capabilities cache.

python-escpos pickles its printer database into a new mkdtemp() folder per process unless told
otherwise (drivers/escpos_cache.py); on a counter's SD card those folders pile up for months.
Every command here is a real process, against the virtual printer and the reference host on
loopback, with TMPDIR an empty folder of its own.
"""

from __future__ import annotations

import json
import os
import stat
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

from drivers.escpos_cache import cache_root, private_folder
from drivers.virtual_printer import VirtualPrinter
from hostsim.server import HostServer
from hostsim.store import HostStore
from terminal.config import load_config

BIN = Path(sys.executable).parent
RS_PHONE = "+381641234567"


@pytest.fixture
def peers(tmp_path: Path) -> Iterator[tuple[HostServer, VirtualPrinter]]:
    host = HostServer(tmp_path / "host.sqlite").start()
    printer = VirtualPrinter(out_dir=tmp_path / "slips").start()
    try:
        yield host, printer
    finally:
        printer.stop()
        host.stop()


class Shell:
    """Runs commands as a shop's script would, each a new process with a clean environment."""

    def __init__(self, folder: Path, tmpdir: Path, cache: Path) -> None:
        self.folder = folder
        self.env = {
            k: v
            for k, v in os.environ.items()
            if k not in ("KIOSK_CONFIG", "ESCPOS_CAPABILITIES_PICKLE_DIR", "CACHE_DIRECTORY")
        }
        self.env.update(TMPDIR=str(tmpdir), KIOSK_CACHE_DIR=str(cache))
        self.ran: list[str] = []

    def __call__(self, program: str, *args: str, ok: bool = True) -> str:
        done = subprocess.run(
            [str(BIN / program), *args],
            cwd=self.folder,
            env=self.env,
            capture_output=True,
            text=True,
            timeout=60,
            check=False,
        )
        self.ran.append(" ".join((program, *args)))
        if ok:
            assert done.returncode == 0, f"{program} {' '.join(args)}: {done.stderr}"
        assert "Traceback" not in done.stderr, done.stderr
        return done.stdout


def _point_at(config: Path, host: HostServer, printer: VirtualPrinter) -> None:
    text = config.read_text(encoding="utf-8")
    text = text.replace("tcp://127.0.0.1:9100", f"tcp://127.0.0.1:{printer.port}")
    text = text.replace("http://127.0.0.1:8700", host.url)
    config.write_text(text, encoding="utf-8")


def test_twenty_commands_leave_tmpdir_empty_and_build_the_cache_once(
    tmp_path: Path, peers: tuple[HostServer, VirtualPrinter]
) -> None:
    host, printer = peers
    tmpdir = tmp_path / "tmp"
    tmpdir.mkdir()
    cache = tmp_path / "cache" / "kiosk"
    kiosk = Shell(tmp_path, tmpdir, cache)

    kiosk("kiosk", "--help")
    # the help loads no python-escpos at all (terminal.cli.COMMANDS): nothing built yet
    assert sorted(cache.glob("escpos-*/*.capabilities.pickle")) == []

    config = tmp_path / "kiosk.toml"
    kiosk("kiosk", "--config", str(config), "init", "--market", "rs", "--terminal-id", "23456")
    pickles = sorted(cache.glob("escpos-*/*.capabilities.pickle"))
    assert len(pickles) == 1, "the first command that reads printer profiles builds the cache"
    built = pickles[0].stat()
    assert stat.S_IMODE(cache.stat().st_mode) == 0o700
    _point_at(config, host, printer)
    key = load_config(config).terminal.key
    store = HostStore(tmp_path / "host.sqlite")
    try:
        store.add_terminal("23456", key, "2026-11-28T00:00:00+00:00")
    finally:
        store.close()
    kiosk.env["KIOSK_CONFIG"] = str(config)

    kiosk("kiosk", "config", "check")
    kiosk("kiosk", "config", "check", "--json")
    kiosk("kiosk", "quote", "mobile-topup", "--amount", "500")
    kiosk("kiosk", "slip", "list")
    kiosk("kiosk", "slip", "preview", "sale_mobile_topup", "--lang", "sr_Latn")
    kiosk("kiosk", "slip", "preview", "sale_imei_fee", "--lang", "az", "--png", "imei.png")
    status = json.loads(kiosk("kiosk", "printer", "status", "--json"))
    assert status["can_print"] is True
    kiosk("kiosk", "printer", "test", "--json")
    sell = ["sell", "mobile-topup", "--target", RS_PHONE, "--amount", "500", "--cash", "1000"]
    sale = json.loads(kiosk("kiosk", *sell, "--json"))
    assert sale["state"] == "confirmed"
    kiosk("kiosk", "txn", "list")
    kiosk("kiosk", "txn", "show", sale["txn"], "--json")
    kiosk("kiosk", "queue", "status")
    kiosk("kiosk", "queue", "drain")
    kiosk("kiosk", "journal", "verify")
    kiosk("kiosk", "report", "x", "--preview")
    kiosk("kiosk", "cash")
    kiosk("kiosk-host", "txn", "show", "--db", str(tmp_path / "host.sqlite"), sale["txn"])
    printer.paper_out()
    assert "paper" in kiosk("kiosk", "printer", "status", ok=False).lower()

    assert len(kiosk.ran) >= 20, kiosk.ran
    assert list(tmpdir.iterdir()) == [], f"left in TMPDIR: {list(tmpdir.iterdir())}"
    again = pickles[0].stat()
    assert (again.st_ino, again.st_mtime_ns) == (built.st_ino, built.st_mtime_ns), (
        "a later command rebuilt the capabilities cache"
    )
    assert sorted(cache.glob("escpos-*/*.capabilities.pickle")) == pickles


def test_cache_folder_follows_the_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    for variable in ("KIOSK_CACHE_DIR", "CACHE_DIRECTORY", "XDG_CACHE_HOME"):
        monkeypatch.delenv(variable, raising=False)
    monkeypatch.setenv("HOME", "/home/clerk")
    assert cache_root() == Path("/home/clerk/.cache/kiosk")
    monkeypatch.setenv("XDG_CACHE_HOME", "relative/ignored")
    assert cache_root() == Path("/home/clerk/.cache/kiosk")
    monkeypatch.setenv("XDG_CACHE_HOME", "/var/cache/xdg")
    assert cache_root() == Path("/var/cache/xdg/kiosk")
    monkeypatch.setenv("CACHE_DIRECTORY", "/var/cache/kiosk:/var/cache/other")
    assert cache_root() == Path("/var/cache/kiosk")
    monkeypatch.setenv("KIOSK_CACHE_DIR", "/srv/kiosk-cache")
    assert cache_root() == Path("/srv/kiosk-cache")


def test_cache_folder_is_made_private(tmp_path: Path) -> None:
    created = private_folder(tmp_path / "a" / "kiosk")
    assert stat.S_IMODE(created.stat().st_mode) == 0o700
    shared = tmp_path / "shared"
    shared.mkdir(mode=0o777)
    shared.chmod(0o777)
    private_folder(shared)
    assert stat.S_IMODE(shared.stat().st_mode) == 0o700
    (tmp_path / "file").write_text("")
    with pytest.raises(OSError):
        private_folder(tmp_path / "file")
