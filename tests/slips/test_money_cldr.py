"""Slips and screens write money the same with the locked Babel and with the newest release.

Babel 2.19's CLDR data gives RSD two decimals; slips must go on writing "500 RSD" (README:
Decisions). tests/slips/money_render_worker.py renders every slip (the goldens, and each market's
preset as the counter prints it) and the screens' amounts, once with the locked Babel and once
with the newest Babel release ahead on ``sys.path``. That release is pinned with its hashes in
requirements/babel-newest.txt and installed by ``make test`` into ``.venv/babel-newest``, so
this test never depends on what the registry publishes tomorrow.
"""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

ROOT = Path(__file__).resolve().parents[2]
GOLDEN = ROOT / "tests" / "slips" / "golden"
WORKER = ROOT / "tests" / "slips" / "money_render_worker.py"
#: Where ``make test`` installs the newest Babel (``KIOSK_BABEL_NEWEST`` overrides it).
NEWEST = Path(os.environ.get("KIOSK_BABEL_NEWEST", Path(sys.prefix) / "babel-newest"))


def pinned_babel(lock: str) -> str:
    """The Babel version ``requirements/<lock>`` pins."""
    text = (ROOT / "requirements" / lock).read_text(encoding="utf-8")
    found = re.search(r"^babel==(\S+)", text, re.MULTILINE | re.IGNORECASE)
    assert found, f"requirements/{lock} pins no Babel"
    return found.group(1)


def render_with(babel_path: Path | None) -> dict[str, Any]:
    env = {k: v for k, v in os.environ.items() if k != "PYTHONPATH"}
    if babel_path is not None:
        env["PYTHONPATH"] = str(babel_path)
    done = subprocess.run(
        [sys.executable, str(WORKER)],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        encoding="utf-8",
        timeout=120,
        check=False,
    )
    assert done.returncode == 0, done.stderr
    result: dict[str, Any] = json.loads(done.stdout)
    return result


@pytest.fixture(scope="module")
def renderings() -> tuple[dict[str, Any], dict[str, Any]]:
    if not (NEWEST / "babel" / "__init__.py").is_file():
        pytest.fail(
            f"the newest Babel is not installed in {NEWEST}: `make test` (or `make venv-test`) "
            "installs requirements/babel-newest.txt there"
        )
    return render_with(None), render_with(NEWEST)


def test_each_run_used_the_babel_it_was_given(
    renderings: tuple[dict[str, Any], dict[str, Any]],
) -> None:
    locked, newest = renderings
    assert locked["babel"] == pinned_babel("runtime.txt")
    assert newest["babel"] == pinned_babel("babel-newest.txt")
    assert Path(newest["babel_file"]).is_relative_to(NEWEST)


@pytest.mark.parametrize("part", ["golden", "slips", "screens"])
def test_rsd_eur_and_azn_are_written_the_same_with_both(
    renderings: tuple[dict[str, Any], dict[str, Any]], part: str
) -> None:
    locked, newest = renderings
    assert set(locked[part]) == set(newest[part])
    differing = [key for key in locked[part] if locked[part][key] != newest[part][key]]
    if differing:
        first = differing[0]
        new_lines, old_lines = newest[part][first].splitlines(), locked[part][first].splitlines()
        pairs = zip(new_lines, old_lines, strict=False)
        line = next(((n, o) for n, o in pairs if n != o), ("", ""))
        pytest.fail(
            f"Babel {newest['babel']} (CLDR: RSD has {newest['cldr_rsd_digits']} decimals) "
            f"writes {len(differing)} of {part} unlike Babel {locked['babel']}, e.g. {first}: "
            f"{line[0]!r} instead of {line[1]!r}"
        )


def test_both_print_the_golden_slips(renderings: tuple[dict[str, Any], dict[str, Any]]) -> None:
    for rendering in renderings:
        for name, text in rendering["golden"].items():
            assert text == (GOLDEN / name).read_text(encoding="utf-8"), name


def test_the_markets_write_their_currency_as_decided(
    renderings: tuple[dict[str, Any], dict[str, Any]],
) -> None:
    for rendering in renderings:
        slips, screens = rendering["slips"], rendering["screens"]
        assert re.search(r"Ukupno +500 RSD\n", slips["rs/sale_mobile_topup.sr_Latn"])
        assert re.search(r"Skupaj +153,00 €\n", slips["si/sale_card_topup.sl"])
        assert re.search(r"Cəmi +15,30 AZN\n", slips["az/sale_bill_payment.az"])
        assert "₼" not in "".join(slips.values())
        assert screens["rs/sr_Latn/RSD"] == (
            "0 RSD | 0,05 RSD | 500 RSD | 500,50 RSD | 1.000 RSD | 1.234.567,89 RSD"
        )
        assert screens["az/az/AZN"].startswith("0,00 ₼ | 0,05 ₼ | 500,00 ₼")
        assert screens["fi/fi/EUR"].endswith("1 000,00 € | 1 234 567,89 €")
        assert screens["si/en/EUR"] == (
            "€0.00 | €0.05 | €500.00 | €500.50 | €1,000.00 | €1,234,567.89"
        )
