"""deploy/: systemd accepts every unit, and the users and folders come out as documented.

The units are checked by systemd itself (``systemd-analyze verify``, which also checks that
each ExecStart binary exists): the only change to the shipped text is the path of ``kiosk``,
pointed from /opt/kiosk/venv (the documented install) to this checkout's venv. The users and
the store folder are made by the real ``systemd-sysusers`` and ``systemd-tmpfiles`` in a
scratch root.
"""

from __future__ import annotations

import os
import re
import shutil
import stat
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
DEPLOY = ROOT / "deploy"
UNITS = sorted((DEPLOY / "systemd").glob("*.service"))
INSTALLED_KIOSK = "/opt/kiosk/venv/bin/kiosk"
VENV_KIOSK = Path(sys.executable).with_name("kiosk")
SYSTEMD_ANALYZE = shutil.which("systemd-analyze") or "/usr/bin/systemd-analyze"


def _verify(folder: Path, *names: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [SYSTEMD_ANALYZE, "verify", *names],
        cwd=folder,
        capture_output=True,
        text=True,
        timeout=120,
        env={**os.environ, "SYSTEMD_LOG_COLOR": "0", "SYSTEMD_PAGER": ""},
    )


def _copy_units(folder: Path) -> list[str]:
    names = []
    for unit in UNITS:
        text = unit.read_text(encoding="utf-8").replace(INSTALLED_KIOSK, str(VENV_KIOSK))
        (folder / unit.name).write_text(text, encoding="utf-8")
        names.append(unit.name)
    return names


def test_deploy_has_the_kiosk_and_the_screen_unit() -> None:
    assert {unit.name for unit in UNITS} == {"kiosk.service", "kiosk-screen.service"}


def test_systemd_analyze_verify_accepts_every_unit(tmp_path: Path) -> None:
    assert VENV_KIOSK.exists(), VENV_KIOSK
    names = _copy_units(tmp_path)
    done = _verify(tmp_path, *names)
    # Unknown keys and bad values are warnings with exit 0: the output must be empty too.
    assert done.returncode == 0 and done.stderr.strip() == "", done.stderr + done.stdout


def test_verify_catches_a_typo_and_a_missing_binary(tmp_path: Path) -> None:
    """The check above can fail: the same verify refuses a misspelt key and a missing binary."""
    _copy_units(tmp_path)
    unit = tmp_path / "kiosk.service"
    unit.write_text(
        unit.read_text().replace("ProtectSystem=strict", "ProtectSytem=strict"), encoding="utf-8"
    )
    assert "Unknown key 'ProtectSytem'" in _verify(tmp_path, "kiosk.service").stderr
    unit.write_text(
        unit.read_text().replace(str(VENV_KIOSK), "/nonexistent/kiosk"), encoding="utf-8"
    )
    done = _verify(tmp_path, "kiosk.service")
    assert done.returncode != 0 and "/nonexistent/kiosk" in done.stderr


def test_systemd_rates_the_kiosk_unit_well_hardened(tmp_path: Path) -> None:
    """systemd's own exposure score (0 best, 10 worst) of kiosk.service stays below 2.5."""
    _copy_units(tmp_path)
    done = subprocess.run(
        [SYSTEMD_ANALYZE, "security", "--offline=yes", "--threshold=25", "kiosk.service"],
        cwd=tmp_path,
        capture_output=True,
        text=True,
        timeout=120,
        env={**os.environ, "SYSTEMD_LOG_COLOR": "0", "SYSTEMD_COLORS": "0"},
    )
    score = re.search(r"Overall exposure level for kiosk.service: (\d+\.\d)", done.stdout)
    assert score is not None, done.stdout + done.stderr
    assert float(score.group(1)) <= 2.5 and done.returncode == 0, done.stdout[-2000:]


def _directives(unit: str) -> dict[str, list[str]]:
    found: dict[str, list[str]] = {}
    for line in (DEPLOY / "systemd" / unit).read_text(encoding="utf-8").splitlines():
        match = re.match(r"^([A-Za-z]+)=(.*)$", line)
        if match:
            found.setdefault(match.group(1), []).append(match.group(2))
    return found


def test_kiosk_unit_is_notify_with_watchdog_and_hardened() -> None:
    d = _directives("kiosk.service")
    assert d["Type"] == ["notify"] and d["NotifyAccess"] == ["main"]
    assert d["Restart"] == ["on-failure"] and d["WatchdogSec"]
    assert d["ExecStart"][0].startswith(f"{INSTALLED_KIOSK} --config /etc/kiosk/kiosk.toml serve")
    assert d["User"] == ["kiosk"]
    assert d["ProtectSystem"] == ["strict"]
    assert d["ReadWritePaths"] == ["/var/lib/kiosk"]  # the store folder, nothing else
    assert d["StateDirectory"] == ["kiosk"] and d["StateDirectoryMode"] == ["0700"]
    for key in ("PrivateTmp", "NoNewPrivileges", "ProtectHome"):
        assert d[key] == ["yes"], key
    assert d["DevicePolicy"] == ["closed"]
    assert d["CapabilityBoundingSet"] == [""]


def test_screen_unit_starts_after_the_kiosk_is_ready_as_its_own_user() -> None:
    d = _directives("kiosk-screen.service")
    assert "kiosk.service" in d["Requires"]
    assert any("kiosk.service" in after.split() for after in d["After"])
    assert d["User"] == ["kiosk-screen"] and d["TTYPath"] == ["/dev/tty1"]
    command = d["ExecStart"][0].split()
    assert command[0] == "/usr/bin/cage" and "/usr/bin/chromium" in command
    assert "--kiosk" in command and command[-1] == "http://127.0.0.1:8780/"
    pam = DEPLOY / "pam.d" / d["PAMName"][0]
    assert "pam_systemd.so" in pam.read_text(encoding="utf-8")


@pytest.fixture
def scratch_root(tmp_path: Path) -> Path:
    root = tmp_path / "root"
    for kind in ("sysusers.d", "tmpfiles.d"):
        (root / "etc" / kind).mkdir(parents=True)
        shutil.copy(DEPLOY / kind / "kiosk.conf", root / "etc" / kind / "kiosk.conf")
    return root


def _ids(path: Path) -> dict[str, int]:
    return {
        fields[0]: int(fields[2])
        for fields in (line.split(":") for line in path.read_text().splitlines())
    }


@pytest.mark.skipif(os.geteuid() != 0, reason="systemd-tmpfiles needs root to chown")
def test_sysusers_and_tmpfiles_make_the_users_and_a_private_store_folder(
    scratch_root: Path,
) -> None:
    run = {"capture_output": True, "text": True, "timeout": 60}
    done = subprocess.run(["systemd-sysusers", f"--root={scratch_root}", "kiosk.conf"], **run)
    assert done.returncode == 0, done.stderr
    users = _ids(scratch_root / "etc" / "passwd")
    groups = _ids(scratch_root / "etc" / "group")
    assert {"kiosk", "kiosk-screen"} <= set(users)
    passwd = (scratch_root / "etc" / "passwd").read_text()
    assert re.search(r"^kiosk:x:\d+:\d+:[^:]*:/var/lib/kiosk:/usr/sbin/nologin$", passwd, re.M)

    done = subprocess.run(
        ["systemd-tmpfiles", f"--root={scratch_root}", "--create", "kiosk.conf"], **run
    )
    assert done.returncode == 0, done.stderr
    store = (scratch_root / "var" / "lib" / "kiosk").stat()
    assert stat.S_IMODE(store.st_mode) == 0o700
    assert (store.st_uid, store.st_gid) == (users["kiosk"], groups["kiosk"])
    screen = (scratch_root / "var" / "lib" / "kiosk-screen").stat()
    assert screen.st_uid == users["kiosk-screen"] and stat.S_IMODE(screen.st_mode) == 0o700
    etc = (scratch_root / "etc" / "kiosk").stat()
    assert (etc.st_uid, etc.st_gid, stat.S_IMODE(etc.st_mode)) == (0, groups["kiosk"], 0o750)
