"""USB as a long-lived device: opened once, kept, and correct through what a USB bus does.

There is no USB bus in a test, so pyusb's ``usb.core.find`` is patched (pytest-mock) to return
a fake device whose bulk endpoints are tunnelled over TCP to the virtual printer: the barrier
and the status run against the same printer as everywhere else. The fake bus sends zero-length
packets, stalls endpoints, unplugs and re-plugs, and refuses permission; it counts every
lookup and every reset.
"""

from __future__ import annotations

import errno
import socket
from collections.abc import Iterator
from dataclasses import dataclass, field

import pytest
import usb.core
from helpers.printer import numbered_slip
from pytest_mock import MockerFixture

from drivers.errors import CoverOpen, PrinterStatusUnknown, PrinterUnreachable, PrintNotConfirmed
from drivers.printer import PrintOutcome, open_printer
from drivers.printer.usb import UsbPermissionDenied, UsbPrinter
from drivers.virtual_printer import VirtualPrinter

VID, PID = 0x04B8, 0x0202


def _error(message: str, code: int) -> usb.core.USBError:
    return usb.core.USBError(message, code, code)


class FakeUsbDevice:
    """What ``usb.core.find`` returns: bulk OUT/IN endpoints tunnelled to the virtual printer."""

    class _Backend:
        """Not libusb1: the kernel driver is left alone, as python-escpos does."""

    class _Ctx:
        def dispose(self, device: object, close_handle: bool = True) -> None:
            """pyusb's dispose_resources() lands here."""

    def __init__(self, bus: FakeBus) -> None:
        self.bus = bus
        self.backend = self._Backend()
        self._ctx = self._Ctx()
        self.sock = socket.create_connection(("127.0.0.1", bus.port), timeout=2.0)
        self.configured = False
        self.resets = 0
        self.read_timeouts: list[int] = []
        self.halts_cleared: list[int] = []

    def _check(self) -> None:
        if self.bus.unplugged:
            raise _error("No such device (it may have been disconnected)", errno.ENODEV)

    def get_active_configuration(self) -> object:
        self._check()
        if self.bus.denied:
            raise _error("Access denied (insufficient permissions)", errno.EACCES)
        if not self.configured:
            raise _error("Configuration not set", errno.EIO)
        return object()

    def set_configuration(self) -> None:
        self._check()
        self.configured = True

    def reset(self) -> None:
        self.resets += 1
        self.bus.resets += 1

    def clear_halt(self, endpoint: int) -> None:
        self._check()
        self.halts_cleared.append(endpoint)
        self.bus.stalled.discard(endpoint)

    def write(self, endpoint: int, data: bytes, timeout: int | None = None) -> int:
        assert endpoint == 0x01 and timeout is not None and timeout > 0, "unbounded USB write"
        self._check()
        if endpoint in self.bus.stalled:
            raise _error("Pipe error", errno.EPIPE)
        self.sock.sendall(bytes(data))
        return len(data)

    def read(self, endpoint: int, size: int, timeout: int | None = None) -> bytes:
        assert endpoint == 0x82 and timeout is not None and timeout > 0, "unbounded USB read"
        self._check()
        self.read_timeouts.append(timeout)
        if endpoint in self.bus.stalled:
            raise _error("Pipe error", errno.EPIPE)
        if self.bus.zlp_every_read:
            self.bus.zlp_every_read = False  # one ZLP, then the real data on the next read
            self.bus.zlps += 1
            return b""
        self.sock.settimeout(timeout / 1000)
        try:
            data = self.sock.recv(size)
        except TimeoutError:
            raise usb.core.USBTimeoutError("Operation timed out", 110, 110) from None
        self.bus.zlp_every_read = self.bus.zlp
        return data


@dataclass
class FakeBus:
    port: int
    devices: list[FakeUsbDevice] = field(default_factory=list)
    finds: int = 0
    resets: int = 0
    unplugged: bool = False
    denied: bool = False
    stalled: set[int] = field(default_factory=set)
    #: answer a zero-length packet before each real read
    zlp: bool = False
    zlp_every_read: bool = False
    zlps: int = 0

    def find(self, **kwargs: object) -> FakeUsbDevice | None:
        self.finds += 1
        if (kwargs.get("idVendor"), kwargs.get("idProduct")) != (VID, PID) or self.unplugged:
            return None
        self.devices.append(FakeUsbDevice(self))
        return self.devices[-1]

    def replug(self) -> None:
        for dev in self.devices:
            dev.sock.close()
        self.unplugged = False


@pytest.fixture
def bus(vprinter: VirtualPrinter, mocker: MockerFixture) -> Iterator[FakeBus]:
    fake = FakeBus(vprinter.port)
    mocker.patch("usb.core.find", side_effect=fake.find)
    yield fake
    for dev in fake.devices:
        dev.sock.close()


def _printer(timeout_s: float = 2.0) -> UsbPrinter:
    printer = open_printer(f"usb://{VID:04x}:{PID:04x}", timeout_s=timeout_s)
    assert isinstance(printer, UsbPrinter)
    return printer


def test_opened_once_per_session_and_never_reset(vprinter: VirtualPrinter, bus: FakeBus) -> None:
    printer = _printer()
    assert printer.status().state == "ready"
    for n in range(3):
        assert printer.print_slip(numbered_slip(2, tag=f"USB{n}")) is PrintOutcome.PRINTED
    printer.kick_drawer(2)
    assert printer.status().drawer_open
    assert (bus.finds, printer.opens, bus.resets) == (1, 1, 0)
    assert len(vprinter.slips) == 3
    assert all(0 < t <= 2000 for dev in bus.devices for t in dev.read_timeouts)


def test_zero_length_packets_are_not_silence(vprinter: VirtualPrinter, bus: FakeBus) -> None:
    bus.zlp = bus.zlp_every_read = True
    printer = _printer()
    st = printer.status()
    assert st.state == "ready", st.detail
    assert printer.print_slip(numbered_slip(3, tag="ZLP")) is PrintOutcome.PRINTED
    assert bus.zlps > 5
    vprinter.paper_out_after(2)
    with pytest.raises(PrintNotConfirmed):
        printer.print_slip(numbered_slip(10, tag="TORN"))
    assert len(vprinter.slips) == 1


@pytest.mark.parametrize("endpoint", [0x01, 0x82], ids=["out", "in"])
def test_a_stalled_endpoint_is_cleared(
    vprinter: VirtualPrinter, bus: FakeBus, endpoint: int
) -> None:
    printer = _printer()
    assert printer.status().state == "ready"
    bus.stalled.add(endpoint)
    assert printer.print_slip(numbered_slip(2, tag="STALL")) is PrintOutcome.PRINTED
    assert bus.devices[0].halts_cleared == [endpoint]
    assert (bus.finds, bus.resets) == (1, 0)


def test_unplug_fails_the_job_and_replug_reconnects(vprinter: VirtualPrinter, bus: FakeBus) -> None:
    printer = _printer(timeout_s=0.5)
    assert printer.print_slip(numbered_slip(2, tag="BEFORE")) is PrintOutcome.PRINTED
    bus.unplugged = True
    with pytest.raises(PrinterUnreachable, match="not found"):
        printer.print_slip(numbered_slip(2, tag="GONE"))
    with pytest.raises(PrinterUnreachable):
        printer.status()
    bus.replug()
    assert printer.status().state == "ready"
    assert printer.print_slip(numbered_slip(2, tag="AFTER")) is PrintOutcome.PRINTED
    assert [s.text.count("AFTER footer") for s in vprinter.slips] == [0, 1]
    assert printer.opens == 2 and bus.resets == 0


def test_unplugged_in_the_middle_of_the_barrier_is_not_confirmed(
    vprinter: VirtualPrinter, bus: FakeBus, mocker: MockerFixture
) -> None:
    printer = _printer(timeout_s=0.5)
    vprinter.slow(0.05)
    original = FakeUsbDevice.write

    def unplug_after_the_job(self: FakeUsbDevice, endpoint: int, data: bytes, timeout: int) -> int:
        sent = original(self, endpoint, data, timeout)
        if b"\x1dV" in bytes(data):  # the cut went out: the cable is pulled now
            bus.unplugged = True
        return sent

    mocker.patch.object(FakeUsbDevice, "write", unplug_after_the_job)
    with pytest.raises(PrintNotConfirmed, match="unplugged"):
        printer.print_slip(numbered_slip(5))


def test_status_and_barrier_stay_correct_over_usb(vprinter: VirtualPrinter, bus: FakeBus) -> None:
    printer = _printer()
    vprinter.open_cover()
    assert printer.status().state == "cover_open"
    with pytest.raises(CoverOpen):
        printer.print_slip(numbered_slip(1))
    vprinter.close_cover()
    vprinter.silent(True)
    printer.timeout_s = 0.3
    with pytest.raises(PrinterStatusUnknown):
        printer.print_slip(numbered_slip(1))
    assert bus.finds == 1


def test_permission_problem_points_at_the_udev_rule(bus: FakeBus) -> None:
    bus.denied = True
    with pytest.raises(UsbPermissionDenied, match="/dev/kiosk-printer") as caught:
        _printer().status()
    assert "70-kiosk.rules" in str(caught.value)
    assert "does not answer" not in str(caught.value)


def test_printer_not_plugged_in(bus: FakeBus) -> None:
    printer = open_printer("usb://04b8:0e15", timeout_s=0.5)
    with pytest.raises(PrinterUnreachable, match="04b8:0e15"):
        printer.print_slip(numbered_slip(1))
