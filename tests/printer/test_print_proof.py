"""The proof no status byte can fake: ASB frames, real-time replies and in-order replies apart.

Automatic Status Back (ASB) frames carry bytes shaped exactly like a ``GS r`` reply, and a
serial line can add a ``0x00`` of its own. The virtual printer here keeps ASB on (even when
told ``GS a 0``, the worst firmware) and injects frames and noise bytes the moment the barrier
request arrives; over TCP and over a pseudo-terminal, a slip that was not printed is never
confirmed, and one that was is.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from helpers.printer import numbered_slip

from drivers.errors import PrintNotConfirmed
from drivers.printer import PrintOutcome, ReceiptPrinter, open_printer
from drivers.printer.replies import AsbFrame, ReplyReader
from drivers.virtual_printer import VirtualPrinter


def _reader(data: bytes) -> ReplyReader:
    it = iter(data)
    return ReplyReader(lambda _t: next(it, None), inner_timeout_s=0.0)


def _kinds(data: bytes) -> list[tuple[str, str]]:
    reader = _reader(data)
    out = []
    while (msg := reader.read(0.0)) is not None:
        out.append((msg.kind, msg.data.hex()))
    return out


def test_reply_parser_tells_each_message_apart() -> None:
    stream = bytes.fromhex("3800000012005f4550534f4e0010000c001e80")
    assert _kinds(stream) == [
        ("asb", "38000000"),  # cover open, offline: a frame, not four replies
        ("realtime", "12"),  # DLE EOT: bits 1 and 4 set
        ("single", "00"),  # GS r 1: paper present
        ("block", "4550534f4e"),  # GS I 66: "EPSON"
        ("asb", "10000c00"),
        ("realtime", "1e"),
        ("unexpected", "80"),  # bit 7 set fits nothing
    ]


def test_a_frame_cut_short_or_malformed_is_unexpected() -> None:
    assert _kinds(bytes.fromhex("3800")) == [("unexpected", "3800")]
    # bit 4 set in byte 3: not a frame; what follows is parsed afresh
    assert _kinds(bytes.fromhex("38001000")) == [("unexpected", "380010"), ("single", "00")]
    assert _kinds(bytes.fromhex("5f45ff")) == [("unexpected", "5f45ff")]


def test_asb_frame_decoding() -> None:
    assert AsbFrame.decode(bytes.fromhex("38000000")).cover_open
    assert AsbFrame.decode(bytes.fromhex("18400c00")).paper_end
    assert not AsbFrame.decode(bytes.fromhex("10000000")).stopped


@pytest.fixture(params=["tcp", "pty"])
def link(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[tuple[VirtualPrinter, str]]:
    """A virtual printer with ASB stuck on, and the printer URL over TCP or a pty.

    It greets every connection with a status frame, so every test here also reads one before
    its status query.
    """
    with VirtualPrinter(port=0, out_dir=tmp_path / "slips", asb=True, asb_ignores_gs_a=True) as vp:
        url = vp.url if request.param == "tcp" else f"serial://{vp.serve_pty()}?baudrate=115200"
        yield vp, url


def _printer(url: str, timeout_s: float = 1.0, **kwargs: object) -> ReceiptPrinter:
    return open_printer(url, timeout_s=timeout_s, **kwargs)  # type: ignore[arg-type]


#: what a printer or its line may put around the barrier's replies
NOISE = {
    "zero": "00",
    "two-zeros": "00 00",
    "three-zeros": "00 00 00",
    "cover-open-frame": "38 00 00 00",
    "paper-end-frame-bytes": "00 0c 00",
    "stray-status": "12",
    "high-byte": "ff",
    "fake-maker": "00 5f 45 50 53 4f 4e 00",
}


def _paper_out_slow(vp: VirtualPrinter) -> None:
    """The mechanism is still printing when the noise comes, and the roll ends later."""
    vp.slow(0.02)
    vp.paper_out_after(15)


def _not_printed_faults() -> dict[str, Callable[[VirtualPrinter], None]]:
    return {
        "paper-out-mid-slip": lambda vp: vp.paper_out_after(4),
        "paper-out-slow": _paper_out_slow,
    }


@pytest.mark.parametrize("noise", list(NOISE))
@pytest.mark.parametrize("fault", ["paper-out-mid-slip", "paper-out-slow"])
def test_slip_not_printed_is_never_confirmed(
    link: tuple[VirtualPrinter, str], noise: str, fault: str
) -> None:
    vp, url = link
    _not_printed_faults()[fault](vp)
    vp.noise_on_gs_r(NOISE[noise])
    printer = _printer(url, timeout_s=0.5)
    with pytest.raises(PrintNotConfirmed):
        printer.print_slip(numbered_slip(20, tag="TORN"))
    assert vp.wait_idle(3.0)
    assert vp.slips == [], "the slip was torn: nothing may have been cut whole"


def test_cover_opened_and_asb_frame_instead_of_a_reply_is_not_confirmed(
    link: tuple[VirtualPrinter, str],
) -> None:
    """The issue's printer: the cover opens, it sends 38 00 00 00 and never answers GS r."""
    vp, url = link
    vp.noise_on_gs_r("38 00 00 00")
    vp.paper_out_after(6)  # the job stops half way; GS r is held
    with pytest.raises(PrintNotConfirmed):
        _printer(url, timeout_s=0.5).print_slip(numbered_slip(20))
    assert vp.slips == []


@pytest.mark.parametrize("frames", ["10 00 00 00", "10 00 00 00 10 00 03 00"])
def test_printed_slip_is_confirmed_among_asb_frames(
    link: tuple[VirtualPrinter, str], frames: str
) -> None:
    vp, url = link
    vp.noise_on_gs_r(frames)  # healthy frames (near end is still printable) around the proof
    printer = _printer(url)
    assert printer.print_slip(numbered_slip(5, tag="OK")) is PrintOutcome.PRINTED
    assert "OK footer" in vp.slips[0].text
    vp.paper_near_end(True)  # a status change: the printer sends a frame by itself
    assert printer.print_slip(numbered_slip(2, tag="NEAR")) is PrintOutcome.PRINTED
    assert len(vp.slips) == 2


def test_noise_around_a_printed_slip_fails_safe(link: tuple[VirtualPrinter, str]) -> None:
    """A byte that fits no reply never helps the proof: the slip is reported not proven."""
    vp, url = link
    vp.noise_on_gs_r("ff")
    with pytest.raises(PrintNotConfirmed, match="fit no reply"):
        _printer(url).print_slip(numbered_slip(2))


def test_every_job_turns_asb_off_first(tmp_path: Path) -> None:
    with VirtualPrinter(port=0, asb=True) as vp:
        frames_before = bytes(vp.asb_frame_locked())
        printer = _printer(vp.url)
        assert printer.print_slip(numbered_slip(1)) is PrintOutcome.PRINTED
        assert vp.received.startswith(b"\x1da\x00")
        assert vp.state_dict()["asb"] is False, "GS a 0 switched ASB off"
        assert frames_before == bytes.fromhex("10000000")


def _without_gs_i(url: str) -> ReceiptPrinter:
    """A printer that did not tell its name: its proof is ``GS r`` bytes only."""
    from drivers.printer.identity import PrinterIdentity

    printer = _printer(url)
    printer.identity = PrinterIdentity()  # type: ignore[attr-defined]  # it said nothing
    return printer


def test_a_printer_without_gs_i_is_proven_by_two_in_order_replies(
    link: tuple[VirtualPrinter, str],
) -> None:
    vp, url = link
    printer = _without_gs_i(url)
    assert printer.print_slip(numbered_slip(2)) is PrintOutcome.PRINTED
    assert vp.received.count(b"\x1dr\x01") == 3  # two for the proof, one idle check
    assert len(vp.slips) == 1


@pytest.mark.parametrize("fault", list(_not_printed_faults()))
def test_noise_forging_every_gs_r_of_a_printer_without_gs_i_does_not_prove_a_torn_slip(
    link: tuple[VirtualPrinter, str], fault: str
) -> None:
    """A 0x00 on every GS r forges the proof and the idle check, and the printer answers
    DLE EOT ahead of the job in its buffer, so at that moment it may still look healthy.
    The driver watches it until the slowest mechanism would have printed the slip: the paper
    end shows by then, whenever the printer reaches it."""
    vp, url = link
    printer = _without_gs_i(url)
    _not_printed_faults()[fault](vp)
    vp.noise_on_gs_r("00")
    with pytest.raises(PrintNotConfirmed, match="paper ran out"):
        printer.print_slip(numbered_slip(20, tag="TORN"))
    assert vp.slips == []


def test_noise_forging_every_gs_r_of_a_printer_without_gs_i_fails_safe_when_printed(
    link: tuple[VirtualPrinter, str],
) -> None:
    """The same noise on a slip that did print: the real replies come after the forged ones,
    one reply too many, so it is reported not proven (the clerk decides), never a guess."""
    vp, url = link
    printer = _without_gs_i(url)
    vp.noise_on_gs_r("00")
    with pytest.raises(PrintNotConfirmed, match="more replies than were asked for"):
        printer.print_slip(numbered_slip(3, tag="WHOLE"))
    assert vp.wait_for_slips(1, 3.0)


def test_a_stop_reported_by_asb_during_the_job_fails_it_even_after_recovery(
    link: tuple[VirtualPrinter, str],
) -> None:
    """Paper ran out and was reloaded while the job went out: the frame says the slip has a gap."""
    vp, url = link
    printer = _printer(url)
    vp.noise_on_init("18 40 0c 00")  # a paper-end frame the printer sent while we were sending
    with pytest.raises(PrintNotConfirmed, match="paper ran out"):
        printer.print_slip(numbered_slip(3))
