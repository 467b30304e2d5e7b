"""deploy/udev/70-kiosk.rules: udev's own parser accepts it, and every id is a real device's.

systemd 252 (Debian 12) has no ``udevadm verify`` (it came in 254), so the rules go through
``udevadm test`` in a private mount namespace where /etc/udev/rules.d holds only our file and
/etc/passwd knows the kiosk user: udev parses them exactly as at boot and prints a line for
anything it does not accept. The device given does not exist, so nothing is applied to any
device. Where ``udevadm verify`` exists it runs too.
"""

from __future__ import annotations

import os
import re
import shutil
import subprocess
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
RULES = ROOT / "deploy" / "udev" / "70-kiosk.rules"
HWDB = Path("/usr/lib/udev/hwdb.d/20-usb-vendor-model.hwdb")
UDEVADM = shutil.which("udevadm") or "/usr/bin/udevadm"


def _udev_parse(tmp_path: Path, rules: str) -> list[str]:
    """udev's diagnostics about ``rules``, from ``udevadm test`` with only that file loaded."""
    rules_dir, empty = tmp_path / "rules.d", tmp_path / "empty"
    rules_dir.mkdir()
    empty.mkdir()
    (rules_dir / RULES.name).write_text(rules, encoding="utf-8")
    passwd, group = tmp_path / "passwd", tmp_path / "group"
    passwd.write_text(
        Path("/etc/passwd").read_text() + "kiosk:x:64999:64999::/var/lib/kiosk:/bin/false\n"
    )
    group.write_text(Path("/etc/group").read_text() + "kiosk:x:64999:\n")
    script = (
        f"mount --bind {rules_dir} /etc/udev/rules.d && "
        f"mount --bind {empty} /usr/lib/udev/rules.d && "
        f"mount --bind {passwd} /etc/passwd && mount --bind {group} /etc/group && "
        f"{UDEVADM} test --action=add /sys/devices/virtual/kiosk-no-such-device"
    )
    unshare = ["unshare", "-m"] if os.geteuid() == 0 else ["unshare", "-r", "-m"]
    done = subprocess.run(
        [*unshare, "sh", "-c", script], capture_output=True, text=True, timeout=120
    )
    output = done.stdout + done.stderr
    assert f"Reading rules file: /etc/udev/rules.d/{RULES.name}" in output, output
    return [
        line for line in output.splitlines() if line.startswith(f"/etc/udev/rules.d/{RULES.name}")
    ]


def test_udev_parses_the_rules_without_a_word(tmp_path: Path) -> None:
    assert _udev_parse(tmp_path, RULES.read_text(encoding="utf-8")) == []


def test_the_parse_check_can_fail(tmp_path: Path) -> None:
    broken = RULES.read_text(encoding="utf-8").replace(
        'GOTO="kiosk_reader"\nGOTO="kiosk_end"', 'GOTO="kiosk_reader"\nFOO="kiosk_end"', 1
    )
    broken = broken.replace('LABEL="kiosk_printer_end"', 'LABEL="kiosk_printer_ends"', 1)
    complaints = _udev_parse(tmp_path, broken)
    assert any("Invalid key 'FOO'" in line for line in complaints), complaints
    assert any("no matching label" in line for line in complaints), complaints


@pytest.mark.skipif(
    subprocess.run([UDEVADM, "verify", "--help"], capture_output=True).returncode != 0,
    reason="udevadm verify comes with systemd 254 (Debian 13); the parse test above runs here",
)
def test_udevadm_verify() -> None:
    done = subprocess.run([UDEVADM, "verify", str(RULES)], capture_output=True, text=True)
    assert done.returncode == 0, done.stdout + done.stderr


def _rule_ids() -> list[tuple[str, str]]:
    text = RULES.read_text(encoding="utf-8")
    return re.findall(
        r'ATTRS?\{idVendor\}=="([0-9a-f]{4})", ATTRS?\{idProduct\}=="([0-9a-f]{4})"', text
    )


def test_every_vendor_and_product_id_is_in_the_usb_id_database() -> None:
    """No guessed ids: each pair (and each vendor of the class-07 rule) is in systemd's hwdb,
    which is imported from the usb.ids database."""
    hwdb = HWDB.read_text(encoding="utf-8", errors="replace")
    ids = _rule_ids()
    assert len(ids) >= 15
    for vendor, product in ids:
        assert f"usb:v{vendor.upper()}p{product.upper()}*" in hwdb, (vendor, product)
    vendors = re.search(
        r'ATTR\{idVendor\}=="([0-9a-f|]+)", GOTO="kiosk_printer"', RULES.read_text()
    )
    assert vendors is not None
    for vendor in vendors.group(1).split("|"):
        assert f"usb:v{vendor.upper()}*" in hwdb, vendor


def test_printer_and_reader_get_the_kiosk_user_and_their_names() -> None:
    text = RULES.read_text(encoding="utf-8")
    assert 'OWNER="kiosk", GROUP="kiosk", MODE="0660", SYMLINK+="kiosk-printer"' in text
    assert 'OWNER="kiosk", GROUP="kiosk", MODE="0660", SYMLINK+="kiosk-reader"' in text
    epson = [p for v, p in _rule_ids() if v == "04b8"]
    assert "0202" in epson  # the README's usb://04b8:0202
    for vendor in ("1d90", "0519", "1504"):  # Citizen, Star, Bixolon
        assert vendor in text
