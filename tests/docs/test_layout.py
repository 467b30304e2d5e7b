"""The shape issue 12 set: small modules, one leaf package, the layering contract enforced.

``make lint`` runs ``lint-imports`` on every build; this file proves the contracts themselves
would fail on a back-edge (so they are not a check that cannot fail) and keeps every source
module short enough to read in one sitting.
"""

from __future__ import annotations

import shutil
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]

#: Packages whose modules are the project's source (tests are not counted).
SOURCE_PACKAGES = (
    "foundation",
    "terminal",
    "drivers",
    "offline_queue",
    "printer_templates",
    "hostsim",
    "kiosk_demo",
    "soak",
    "bench",
)

#: The longest a source module may be (issue 12: "no source module over 700 lines").
MAX_LINES = 700


def test_no_source_module_is_over_700_lines() -> None:
    long = {
        str(path.relative_to(ROOT)): n
        for package in SOURCE_PACKAGES
        for path in (ROOT / package).rglob("*.py")
        if (n := len(path.read_text(encoding="utf-8").splitlines())) > MAX_LINES
    }
    assert long == {}


def _lint_imports(tmp_path: Path, back_edge: str | None) -> subprocess.CompletedProcess[str]:
    """``lint-imports`` on a copy of the packages, optionally with one forbidden import added."""
    for package in SOURCE_PACKAGES[:-2]:  # the contracts' root packages
        shutil.copytree(ROOT / package, tmp_path / package, ignore=shutil.ignore_patterns("*.pyc"))
    shutil.copy(ROOT / "pyproject.toml", tmp_path / "pyproject.toml")
    (tmp_path / "soak").mkdir()
    (tmp_path / "soak" / "__init__.py").write_text("")
    if back_edge is not None:
        module, target = back_edge.split(" -> ")
        path = tmp_path / (module.replace(".", "/") + ".py")
        path.write_text(path.read_text(encoding="utf-8") + f"\nimport {target}  # back-edge\n")
    lint = Path(sys.executable).with_name("lint-imports")
    return subprocess.run(
        [str(lint), "--no-cache"],
        cwd=tmp_path,
        env={"PYTHONPATH": str(tmp_path), "PATH": "/usr/bin:/bin"},
        capture_output=True,
        text=True,
        timeout=300,
    )


def test_the_layering_contracts_hold() -> None:
    lint = Path(sys.executable).with_name("lint-imports")
    done = subprocess.run(
        [str(lint), "--no-cache"], cwd=ROOT, capture_output=True, text=True, timeout=300
    )
    assert done.returncode == 0, done.stdout + done.stderr
    assert "0 broken" in done.stdout


@pytest.mark.parametrize(
    "back_edge",
    [
        "foundation.money -> terminal.errors",
        "offline_queue.journal -> terminal.errors",
        "drivers.errors -> terminal.errors",
        "printer_templates.document -> drivers.errors",
        "terminal.errors -> hostsim.errors",
        "hostsim.errors -> terminal.errors",
        "terminal.doctor -> terminal.cli.common",
        "terminal.sale -> terminal.web.i18n",
    ],
)
def test_a_back_edge_breaks_a_contract(tmp_path: Path, back_edge: str) -> None:
    done = _lint_imports(tmp_path, back_edge)
    assert done.returncode != 0, done.stdout
    assert "BROKEN" in done.stdout or "broken" in done.stdout
