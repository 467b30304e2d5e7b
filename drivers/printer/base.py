"""The receipt printer boundary, and the print barrier shared by every connection that reads back.

A slip is the customer's only proof of a sale, so "sent" is never "printed". After the job we
send ``GS r 1``: the printer answers it in order, only once everything before it was processed,
so its reply proves the slip came out. While we wait we poll ``DLE EOT 2`` (answered at once),
so a paper end or an opened cover during the job fails the print even if the printer later
resumes. The two kinds of reply cannot be confused: DLE EOT replies have bit 4 set, GS r
replies have it clear.
"""

from __future__ import annotations

import abc
import enum
import threading
import time
from types import TracebackType
from typing import Any

from escpos.printer import Dummy

from drivers.errors import (
    CoverOpen,
    PaperOut,
    PrinterError,
    PrinterOffline,
    PrinterStatusUnknown,
    PrinterUnreachable,
    PrintNotConfirmed,
)
from drivers.printer.escpos_output import render_job
from drivers.printer.status import (
    DLE_EOT,
    GS_R_PAPER,
    PrinterStatus,
    bit,
    decode_paper_reply,
    decode_status,
    is_realtime_status_byte,
    unknown_status,
)
from printer_templates.document import SlipDocument


class PrintOutcome(enum.Enum):
    """How a print ended when it did not raise."""

    #: the printer's in-order GS r reply proved the slip came out
    PRINTED = "printed"
    #: the connection cannot read back (file, lp): the clerk must say whether the slip printed
    NEEDS_CLERK_CONFIRMATION = "needs_clerk_confirmation"


class LinkBroken(ConnectionError):
    """The connection dropped or refused a write; whatever was in flight is unproven."""


class ReceiptPrinter(abc.ABC):
    """One receipt printer, whatever the cable; failures are named :class:`PrinterError`\\ s."""

    #: True when :meth:`print_slip` can return ``PRINTED``; False means clerk confirmation.
    can_prove_print: bool = False

    def __init__(
        self,
        *,
        profile: str = "TM-T88V",
        width: int = 42,
        timeout_s: float = 5.0,
        font_path: str | None = None,
    ) -> None:
        if timeout_s <= 0:
            raise ValueError("timeout_s must be positive: waits are always bounded")
        self.profile = profile
        self.width = width
        self.timeout_s = timeout_s
        self.font_path = font_path

    def render(self, doc: SlipDocument) -> bytes:
        """The job's bytes (ESC @ ... cut); rendering errors surface before anything is sent."""
        return render_job(doc, profile=self.profile, width=self.width, font_path=self.font_path)

    @abc.abstractmethod
    def status(self) -> PrinterStatus:
        """Ask the printer how it is; silence is ``unknown``."""

    @abc.abstractmethod
    def print_slip(self, doc: SlipDocument) -> PrintOutcome:
        """Print one slip; raise a :class:`PrinterError` unless it printed or needs the clerk."""

    @abc.abstractmethod
    def kick_drawer(self, pin: int = 2) -> None:
        """Pulse the cash drawer connector (pin 2 or 5)."""

    @abc.abstractmethod
    def close(self) -> None:
        """Release the connection; the next call opens a fresh one."""

    @staticmethod
    def drawer_pulse(pin: int) -> bytes:
        if pin not in (2, 5):
            raise ValueError("the drawer connector has pins 2 and 5")
        dummy = Dummy()
        dummy.cashdraw(pin)
        return bytes(dummy.output)

    def __enter__(self) -> ReceiptPrinter:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.close()


class ReadBackPrinter(ReceiptPrinter):
    """A connection that can read the printer's replies: status queries and the print barrier.

    Each operation opens a fresh connection and closes it afterwards, so a failure never leaves
    a half-dead link for the next job, and the printer stays free for ``kiosk printer status``.
    Subclasses provide the python-escpos object and byte-level reads.
    """

    can_prove_print = True
    #: serial and USB keep a reply the printer sends after we gave up, for the next session
    replies_survive_reconnect: bool = False
    #: how often DLE EOT 2 is polled while waiting for the barrier reply
    poll_interval_s: float = 0.05
    #: ceiling for one status reply; real printers answer DLE EOT within milliseconds
    status_timeout_cap_s: float = 1.0

    def __init__(self, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        #: GS r replies still owed by the printer from barriers we gave up on
        self._stale_replies = 0
        #: one conversation at a time: a status request from the UI waits for a print to end
        self._lock = threading.RLock()

    @property
    def status_timeout_s(self) -> float:
        """How long one DLE EOT reply may take: the cap, or less if the whole timeout is less."""
        return min(self.status_timeout_cap_s, self.timeout_s)

    # -- what each connection type provides ------------------------------------------------
    @abc.abstractmethod
    def _connect(self) -> None:
        """Open the link; raise :class:`PrinterUnreachable` if it cannot be opened."""

    @abc.abstractmethod
    def _disconnect(self) -> None:
        """Close the link, ignoring errors (it may already be dead)."""

    @abc.abstractmethod
    def _write(self, data: bytes) -> None:
        """Send all of ``data`` within ``timeout_s``; raise :class:`LinkBroken` on failure."""

    @abc.abstractmethod
    def _read_byte(self, timeout_s: float) -> int | None:
        """One byte, or None after ``timeout_s``; raise :class:`LinkBroken` if the link died."""

    @abc.abstractmethod
    def _drain(self) -> bytes:
        """Take the bytes already received (stale replies, ASB) so the next read is fresh."""

    def _discard_input(self) -> None:
        for value in self._drain():
            self._note_odd(value)

    def _note_odd(self, value: int) -> None:
        """A byte nobody asked for; if it is a GS r reply, it is the late one we were owed."""
        if self._stale_replies and decode_paper_reply(value) is not None:
            self._stale_replies -= 1

    # -- the boundary ----------------------------------------------------------------------
    def close(self) -> None:
        with self._lock:
            self._disconnect()

    def status(self) -> PrinterStatus:
        with self._lock:
            self._connect()
            try:
                return self._query_status()
            finally:
                self._disconnect()

    def kick_drawer(self, pin: int = 2) -> None:
        pulse = self.drawer_pulse(pin)
        with self._lock:
            self._connect()
            try:
                self._write(pulse)
            except LinkBroken as exc:
                raise PrinterUnreachable(f"the drawer pulse could not be sent: {exc}") from exc
            finally:
                self._disconnect()

    def print_slip(self, doc: SlipDocument) -> PrintOutcome:
        job = self.render(doc)
        with self._lock:
            self._connect()
            try:
                self._check_ready()
                try:
                    if self._stale_replies:
                        self._settle_stale_replies()
                    self._write(job)
                except LinkBroken as exc:
                    raise PrintNotConfirmed(f"the connection dropped while sending: {exc}") from exc
                return self._barrier()
            finally:
                self._disconnect()

    # -- internals -------------------------------------------------------------------------
    def _query_status(self) -> PrinterStatus:
        raw: dict[int, int | None] = {1: None, 2: None, 3: None, 4: None}
        try:
            for n in (1, 2, 3, 4):
                self._discard_input()
                self._write(DLE_EOT + bytes([n]))
                value, odd = self._read_status_reply()
                if value is None:
                    # one silence is enough: asking the rest would only multiply the wait
                    if odd is not None:
                        raw[n] = odd
                        detail = f"status query {n} got an invalid reply 0x{odd:02x}"
                    else:
                        detail = f"no answer to status query {n} within {self.status_timeout_s:g} s"
                    return unknown_status(raw, detail)
                raw[n] = value
        except LinkBroken as exc:
            return unknown_status(raw, f"the connection dropped during the status query: {exc}")
        return decode_status(raw)

    def _read_status_reply(self) -> tuple[int | None, int | None]:
        """The first DLE EOT-shaped byte within the status timeout, and the last odd byte seen.

        A late GS r reply from an earlier job (released when paper was loaded) can arrive after
        the drain; it has bit 4 clear, so it is skipped instead of being read as a status.
        """
        deadline = time.monotonic() + self.status_timeout_s
        odd: int | None = None
        while (left := deadline - time.monotonic()) > 0:
            value = self._read_byte(left)
            if value is None:
                break
            if is_realtime_status_byte(value):
                return value, odd
            self._note_odd(value)
            odd = value
        return None, odd

    def _settle_stale_replies(self) -> None:
        """Collect a GS r reply owed from an earlier, failed job before this job's barrier.

        The printer was just found ready, so a GS r it held (paper out, cover open) has been
        released and its reply is on its way; taken now, it cannot pass for this job's proof.
        If it does not come within the status timeout it was lost (printer reset): forget it.
        """
        deadline = time.monotonic() + self.status_timeout_s
        while self._stale_replies and (left := deadline - time.monotonic()) > 0:
            value = self._read_byte(left)
            if value is None:
                break
            self._note_odd(value)
        self._stale_replies = 0

    def _check_ready(self) -> None:
        st = self._query_status()
        if st.state == "unknown":
            raise PrinterStatusUnknown(st.detail)
        if st.cover_open:
            raise CoverOpen()
        if st.paper_end:
            raise PaperOut()
        if not st.can_print:
            raise PrinterOffline(st.detail)

    def _barrier(self) -> PrintOutcome:
        sent = False
        try:
            self._discard_input()
            self._write(GS_R_PAPER)
            sent = True
            return self._await_barrier_reply()
        except LinkBroken as exc:
            self._owe_reply(sent)
            raise PrintNotConfirmed(
                f"the connection dropped before the printer confirmed: {exc}"
            ) from exc
        except PrintNotConfirmed:
            self._owe_reply(sent)
            raise

    def _owe_reply(self, sent: bool) -> None:
        if sent and self.replies_survive_reconnect:
            self._stale_replies += 1

    def _await_barrier_reply(self) -> PrintOutcome:
        deadline = time.monotonic() + self.timeout_s
        next_poll = time.monotonic()
        while True:
            now = time.monotonic()
            if now >= deadline:
                raise PrintNotConfirmed(f"the printer did not confirm within {self.timeout_s:g} s")
            if now >= next_poll:
                self._write(DLE_EOT + b"\x02")
                next_poll = now + self.poll_interval_s
            value = self._read_byte(max(0.001, min(deadline, next_poll) - now))
            if value is None:
                continue
            if is_realtime_status_byte(value):
                self._check_poll(value)
                continue
            reply = decode_paper_reply(value)
            if reply is None:
                continue  # neither kind of reply: line noise, keep waiting for the proof
            if self._stale_replies:
                self._stale_replies -= 1  # an earlier job's late reply: it comes first, in order
                continue
            if reply.paper_end:
                raise PrintNotConfirmed("the printer reports the paper ran out")
            return PrintOutcome.PRINTED

    @staticmethod
    def _check_poll(offline_cause: int) -> None:
        """A DLE EOT 2 reply during the job: any stop means the slip is not whole."""
        if bit(offline_cause, 2):
            raise PrintNotConfirmed("the cover was opened during printing")
        if bit(offline_cause, 5):
            raise PrintNotConfirmed("the paper ran out during printing")
        if bit(offline_cause, 6):
            raise PrintNotConfirmed("the printer stopped with an error during printing")


__all__ = ["LinkBroken", "PrintOutcome", "PrinterError", "ReadBackPrinter", "ReceiptPrinter"]
