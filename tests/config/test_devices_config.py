"""``[reader]`` and ``[scanner]`` in kiosk.toml: checked at load, errors name the key."""

from __future__ import annotations

from pathlib import Path

import pytest

from terminal.config import MARKETS, load_config, write_preset
from terminal.errors import ConfigError


def _with(tmp_path: Path, tables: str) -> Path:
    path = write_preset(tmp_path / "kiosk.toml", "si", force=True)
    path.write_text(tables + "\n" + path.read_text("utf-8"), "utf-8")  # top-level keys first
    return path


@pytest.mark.parametrize("market", sorted(MARKETS))
def test_presets_have_no_reader_or_scanner_until_enabled(tmp_path: Path, market: str) -> None:
    path = write_preset(tmp_path / f"{market}.toml", market)
    text = path.read_text("utf-8")
    assert "# [reader]" in text and "# [scanner]" in text
    cfg = load_config(path)
    assert cfg.reader is None and cfg.scanner is None
    enabled = text.replace("# [reader]", "[reader]").replace(
        '# url = "/dev/serial/by-id/', 'url = "/dev/serial/by-id/'
    )
    assert load_config(_write(path, enabled)).reader is not None


def _write(path: Path, text: str) -> Path:
    path.write_text(text, "utf-8")
    return path


def test_reader_and_scanner_with_every_setting(tmp_path: Path) -> None:
    cfg = load_config(
        _with(
            tmp_path,
            '[reader]\nurl = "/dev/ttyUSB0"\nbaudrate = 19200\nbytesize = 7\nparity = "E"\n'
            'stopbits = 2\nframing = "msr605"\n\n[scanner]\nurl = "rfc2217://10.0.0.5:4001"\n',
        )
    )
    assert cfg.reader is not None and cfg.scanner is not None
    assert (cfg.reader.url, cfg.reader.baudrate, cfg.reader.bytesize) == ("/dev/ttyUSB0", 19200, 7)
    assert (cfg.reader.parity, cfg.reader.stopbits, cfg.reader.framing) == ("E", 2.0, "msr605")
    assert (cfg.scanner.url, cfg.scanner.baudrate, cfg.scanner.parity) == (
        "rfc2217://10.0.0.5:4001",
        9600,
        "N",
    )
    assert cfg.summary()["reader"] == "/dev/ttyUSB0"


def test_a_table_without_url_means_no_device(tmp_path: Path) -> None:
    cfg = load_config(_with(tmp_path, "[reader]\nbaudrate = 9600\n"))
    assert cfg.reader is None


@pytest.mark.parametrize(
    ("tables", "key", "hint"),
    [
        ('[reader]\nurl = "ttyUSB0"', "reader.url", "/dev/ttyUSB0"),
        ('[reader]\nurl = "http://x"', "reader.url", "rfc2217://"),
        ("[reader]\nurl = 5", "reader.url", "serial port"),
        ('[reader]\nurl = "/dev/ttyUSB0"\nbaudrate = 9601', "reader.baudrate", "9600"),
        ('[reader]\nurl = "/dev/ttyUSB0"\nbaudrate = true', "reader.baudrate", "9600"),
        ('[reader]\nurl = "/dev/ttyUSB0"\nbytesize = 9', "reader.bytesize", "5 to 8"),
        ('[reader]\nurl = "/dev/ttyUSB0"\nparity = "X"', "reader.parity", '"N"'),
        ('[reader]\nurl = "/dev/ttyUSB0"\nstopbits = 3', "reader.stopbits", "1.5"),
        ('[reader]\nurl = "/dev/ttyUSB0"\nframing = "idtech"', "reader.framing", "magtek"),
        ('[reader]\nframing = "idtech"', "reader.framing", "magtek"),
        ('[scanner]\nurl = "/dev/ttyACM0"\nframing = "auto"', "scanner.framing", "no such"),
        ('[scanner]\nurl = "loop://"\nport = "x"', "scanner.port", "no such"),
        ('reader = "/dev/ttyUSB0"', "reader", "table"),
    ],
)
def test_bad_settings_name_the_key(tmp_path: Path, tables: str, key: str, hint: str) -> None:
    with pytest.raises(ConfigError) as caught:
        load_config(_with(tmp_path, tables + "\n"))
    assert caught.value.key == key
    assert key in str(caught.value) and hint in str(caught.value)
