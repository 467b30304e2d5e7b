"""Device settings in kiosk.toml: ``[reader]``, ``[scanner]`` and the printer URL are checked by
the drivers' own settings modules at load, errors name the key, and every option a driver takes
(USB endpoints, serial ``dsrdtr``) can be set from the file and reaches the driver."""

from __future__ import annotations

import errno
import re
import socket
from pathlib import Path

import pytest
import usb.core
from helpers.printer import kiosk_config, numbered_slip
from pytest_mock import MockerFixture

from drivers.card_reader.settings import ReaderSettings
from drivers.errors import PrinterConfigError
from drivers.printer import PrintOutcome, ReceiptPrinter, open_printer
from drivers.printer.serial import SerialPrinter
from drivers.printer.settings import SerialPrinterUrl, parse_printer_url
from drivers.printer.usb import UsbPrinter
from drivers.settings import SerialLine, SettingRefused
from drivers.virtual_printer import VirtualPrinter
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


# --- the drivers own their settings: whatever a driver takes, kiosk.toml can set ------------


def _printer_url(tmp_path: Path, url: str) -> Path:
    return kiosk_config(tmp_path, url, market="si")


def _open_as_the_kiosk_does(path: Path) -> ReceiptPrinter:
    p = load_config(path).printer
    return open_printer(
        p.url,
        profile=p.profile,
        width=p.width,
        timeout_s=p.timeout_s,
        print_speed_mm_s=p.print_speed_mm_s,
        job_ceiling_s=p.max_job_time_s,
    )


class _RemappedUsbDevice:
    """A USB printer whose bulk endpoints are 0x03 (OUT) and 0x84 (IN), as some clones have,
    tunnelled to the virtual printer; any transfer on another endpoint fails like pyusb's."""

    class _Backend:
        """Not libusb1: the kernel driver is left alone."""

    def __init__(self, port: int) -> None:
        self.backend = self._Backend()
        self.sock = socket.create_connection(("127.0.0.1", port), timeout=2.0)
        self.endpoints: set[int] = set()

    def get_active_configuration(self) -> object:
        return object()

    def write(self, endpoint: int, data: bytes, timeout: int) -> int:
        self.endpoints.add(endpoint)
        if endpoint != 0x03:
            raise usb.core.USBError("Invalid parameter", errno.EINVAL, errno.EINVAL)
        self.sock.sendall(bytes(data))
        return len(data)

    def read(self, endpoint: int, size: int, timeout: int) -> bytes:
        self.endpoints.add(endpoint)
        if endpoint != 0x84:
            raise usb.core.USBError("Invalid parameter", errno.EINVAL, errno.EINVAL)
        self.sock.settimeout(timeout / 1000)
        try:
            return self.sock.recv(size)
        except TimeoutError:
            raise usb.core.USBTimeoutError("Operation timed out", 110, 110) from None


def test_usb_endpoints_set_in_kiosk_toml_reach_the_driver(
    tmp_path: Path, vprinter: VirtualPrinter, mocker: MockerFixture
) -> None:
    device = _RemappedUsbDevice(vprinter.port)
    mocker.patch("usb.core.find", return_value=device)  # no USB bus in a test
    path = _printer_url(tmp_path, "usb://04b8:0202?in_ep=0x84&out_ep=0x03")
    printer = _open_as_the_kiosk_does(path)
    try:
        assert isinstance(printer, UsbPrinter)
        assert (printer.in_ep, printer.out_ep) == (0x84, 0x03)
        assert printer.status().state == "ready"
        assert printer.print_slip(numbered_slip(2, tag="EP")) is PrintOutcome.PRINTED
    finally:
        printer.close()
        device.sock.close()
    assert device.endpoints == {0x03, 0x84}
    assert "EP footer" in vprinter.slips[0].text


@pytest.mark.parametrize(("option", "dsrdtr"), [("&dsrdtr=0", False), ("", True)])
def test_serial_dsrdtr_set_in_kiosk_toml_reaches_the_port(
    tmp_path: Path, vprinter: VirtualPrinter, option: str, dsrdtr: bool
) -> None:
    pty = vprinter.serve_pty()
    path = _printer_url(tmp_path, f"serial://{pty}?baudrate=38400&parity=N{option}")
    printer = _open_as_the_kiosk_does(path)
    assert isinstance(printer, SerialPrinter)
    with printer.hold():
        assert printer.status().state == "ready"
        port = printer._port()  # the pyserial port python-escpos opened
        assert (port.dsrdtr, port.baudrate, port.parity) == (dsrdtr, 38400, "N")
    assert printer.print_slip(numbered_slip(2, tag="DSR")) is PrintOutcome.PRINTED
    printer.close()


@pytest.mark.parametrize(
    ("url", "mentions"),
    [
        ("usb://04b8:0202?in_ep=0x01", "IN endpoint"),
        ("usb://04b8:0202?out_ep=0x81", "OUT endpoint"),
        ("usb://04b8:0202?in_ep=abc", "IN endpoint"),
        ("usb://04b8:0202?colour=red", "in_ep, out_ep"),
        ("serial:///dev/ttyUSB0?dsrdtr=maybe", "dsrdtr"),
        ("serial:///dev/ttyUSB0?baudrate=9601", "standard rate"),
        ("serial:///dev/ttyUSB0?bytesize=9", "5 to 8"),
        ("serial:///dev/ttyUSB0?parity=X", '"N"'),
        ("serial:///dev/ttyUSB0?stopbits=3", "1.5"),
        ("serial:///dev/ttyUSB0?speed=9600", "baudrate, bytesize, parity, stopbits, dsrdtr"),
        ("tcp://127.0.0.1:9100?timeout=1", "no options"),
        ("file:///dev/usb/lp0?baudrate=9600", "no options"),
    ],
)
def test_the_driver_and_kiosk_toml_refuse_the_same_printer_urls(
    tmp_path: Path, url: str, mentions: str
) -> None:
    with pytest.raises(PrinterConfigError, match=re.escape(mentions)):
        open_printer(url)
    with pytest.raises(ConfigError) as caught:
        load_config(_printer_url(tmp_path, url))
    assert caught.value.key == "printer.url"
    assert mentions in str(caught.value)


@pytest.mark.parametrize(
    "url",
    [
        "usb://04b8:0202?in_ep=0x81&out_ep=0x02",
        "serial:///dev/ttyUSB0?baudrate=115200&bytesize=7&parity=E&stopbits=2&dsrdtr=0",
        "serial:///dev/ttyUSB0?parity=even&stopbits=1.5",
    ],
)
def test_every_driver_option_is_accepted_in_kiosk_toml(tmp_path: Path, url: str) -> None:
    assert load_config(_printer_url(tmp_path, url)).printer.url == url
    open_printer(url).close()  # nothing is opened until the first status or print


def test_serial_options_parse_into_the_line_pyserial_opens() -> None:
    where = parse_printer_url("serial:///dev/ttyS1?baudrate=9600&bytesize=7&parity=even&dsrdtr=off")
    assert isinstance(where, SerialPrinterUrl)
    assert (where.devfile, where.dsrdtr) == ("/dev/ttyS1", False)
    assert where.line == SerialLine(baudrate=9600, bytesize=7, parity="E", stopbits=1.0)
    default = parse_printer_url("serial:///dev/ttyS1")
    assert isinstance(default, SerialPrinterUrl)
    assert (default.line.baudrate, default.dsrdtr) == (19200, True)


def test_reader_settings_are_the_drivers_own(tmp_path: Path) -> None:
    options = {"url": "/dev/ttyUSB0", "baudrate": 19200, "parity": "E", "framing": "magtek"}
    settings = ReaderSettings.from_options(options)
    cfg = load_config(
        _with(
            tmp_path,
            '[reader]\nurl = "/dev/ttyUSB0"\nbaudrate = 19200\nparity = "E"\nframing = "magtek"\n',
        )
    )
    assert cfg.reader == settings
    assert isinstance(cfg.reader, ReaderSettings)
    with pytest.raises(SettingRefused) as caught:
        ReaderSettings.from_options({**options, "stopbits": 3})
    assert caught.value.option == "stopbits"
