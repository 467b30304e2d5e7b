"""The built wheel, installed (not editable) into a new virtual environment, sets up a counter:
`kiosk init`, `kiosk config check` and `kiosk doctor --json` against the virtual printer and the
reference host on loopback. Healthy, doctor exits 0; with the printer stopped it exits non-zero
and names the printer. This proves the wheel carries its package data (presets, templates,
message catalogs, the screen's files) and its entry points.

No network: the wheel is built without build isolation from a copy of the source tree, and the
new environment sees this environment's dependencies through a ``.pth`` file; ``pip install
--no-deps --no-index`` takes only the wheel.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import sysconfig
import tomllib
from pathlib import Path

import pytest

from drivers.virtual_printer import VirtualPrinter
from hostsim.server import HostServer

ROOT = Path(__file__).resolve().parents[2]
#: What the source tree holds besides the package (not copied for the build).
NOT_SOURCE = shutil.ignore_patterns(
    ".git",
    ".venv",
    "var",
    "build",
    "dist",
    "*.egg-info",
    "test-artifacts",
    "__pycache__",
    ".mypy_cache",
    ".ruff_cache",
    ".pytest_cache",
    ".hypothesis",
    "*.sqlite*",
    "node_modules",
)


def _run(*args: str | Path, cwd: Path, env: dict[str, str] | None = None) -> str:
    done = subprocess.run(
        [str(a) for a in args], cwd=cwd, env=env, capture_output=True, text=True, timeout=600
    )
    assert done.returncode == 0, f"{args}: {done.stdout}\n{done.stderr}"
    return done.stdout


pytestmark = pytest.mark.slow


@pytest.fixture(scope="module")
def installed(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """bin/ of a new venv holding the wheel; the dependencies come from this venv."""
    work = tmp_path_factory.mktemp("wheel")
    source = work / "source"
    shutil.copytree(ROOT, source, ignore=NOT_SOURCE)
    dist = work / "dist"
    _run(
        sys.executable,
        "-m",
        "pip",
        "wheel",
        "--no-deps",
        "--no-build-isolation",
        "--no-index",
        "--wheel-dir",
        dist,
        source,
        cwd=work,
    )
    [wheel] = list(dist.glob("counter_terminal-*.whl"))
    venv = work / "venv"
    _run(sys.executable, "-m", "venv", "--without-pip", venv, cwd=work)
    target = Path(
        _run(
            venv / "bin" / "python",
            "-c",
            "import sysconfig; print(sysconfig.get_path('purelib'))",
            cwd=work,
        ).strip()
    )
    # this venv's packages, after the new venv's own: the wheel's modules win
    (target / "test-dependencies.pth").write_text(
        sysconfig.get_path("purelib") + "\n", encoding="utf-8"
    )
    _run(
        sys.executable,
        "-m",
        "pip",
        "--python",
        venv / "bin" / "python",
        "install",
        "--no-deps",
        "--no-index",
        wheel,
        cwd=work,
    )
    return venv / "bin"


def _clean_env() -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if k not in ("PYTHONPATH", "KIOSK_CONFIG")}
    return env


def test_the_wheel_sets_up_a_counter_and_doctor_judges_it(installed: Path, tmp_path: Path) -> None:
    counter = tmp_path / "counter"
    counter.mkdir(mode=0o700)
    env = _clean_env()
    # the package comes from the wheel in the new venv, not from the source tree
    where = _run(
        installed / "python",
        "-c",
        "import terminal; print(terminal.__file__)",
        cwd=counter,
        env=env,
    )
    assert where.startswith(str(installed.parent)), where
    assert _run(installed / "kiosk", "--version", cwd=counter, env=env).startswith(
        "kiosk, version "
    )
    # slip templates and their Azerbaijani catalog travel in the wheel
    slip = _run(
        installed / "kiosk",
        "slip",
        "preview",
        "sale_bill_payment",
        "--lang",
        "az",
        cwd=counter,
        env=env,
    )
    assert "Hesab ödənişi" in slip

    host = HostServer(tmp_path / "host.sqlite").start()
    printer = VirtualPrinter(out_dir=tmp_path / "slips").start()
    try:
        _run(
            installed / "kiosk",
            "init",
            "--market",
            "si",
            "--terminal-id",
            "10001",
            cwd=counter,
            env=env,
        )
        config = counter / "kiosk.toml"
        assert os.stat(config).st_mode & 0o777 == 0o600
        text = config.read_text(encoding="utf-8")
        text = text.replace("tcp://127.0.0.1:9100", f"tcp://127.0.0.1:{printer.port}")
        text = text.replace("http://127.0.0.1:8700", host.url)
        config.write_text(text, encoding="utf-8")
        data = tomllib.loads(text)
        host.store.add_terminal("10001", data["terminal"]["key"], "2026-01-01T00:00:00+00:00")

        checked = json.loads(
            _run(installed / "kiosk", "config", "check", "--json", cwd=counter, env=env)
        )
        assert checked["terminal"]["id"] == "10001"

        healthy = subprocess.run(
            [str(installed / "kiosk"), "doctor", "--json"],
            cwd=counter,
            env=env,
            capture_output=True,
            text=True,
            timeout=120,
        )
        assert healthy.returncode == 0, healthy.stdout + healthy.stderr
        report = json.loads(healthy.stdout)
        assert report["can_sell"] is True
        assert {c["check"]: c["status"] for c in report["checks"]} == {
            "config": "ok",
            "permissions": "ok",
            "printer": "ok",
            "store": "ok",
            "host": "ok",
            "clock": "ok",
        }

        printer.stop()
        stopped = subprocess.run(
            [str(installed / "kiosk"), "doctor", "--json"],
            cwd=counter,
            env=env,
            capture_output=True,
            text=True,
            timeout=120,
        )
        assert stopped.returncode != 0
        failed = [c for c in json.loads(stopped.stdout)["checks"] if c["status"] == "fail"]
        assert [c["check"] for c in failed] == ["printer"]
        assert f"Printer tcp://127.0.0.1:{printer.port} cannot print" in failed[0]["message"]
        assert failed[0]["fix"]
    finally:
        printer.stop()
        host.stop()
