"""The print barrier shared by every connection that reads back (the boundary: :mod:`.boundary`).

A slip is the customer's only proof of a sale, so "sent" is never "printed". After the job we
send ``GS r 1`` and a second in-order request: the printer answers them in order, only once
everything before them was processed, so their replies prove the slip came out. While we wait
we poll ``DLE EOT 2`` (answered at once), so a paper end or an opened cover during the job
fails the print even if the printer later resumes. What comes back is parsed into messages
(:mod:`drivers.printer.replies`): ASB frames, real-time replies and in-order replies are told
apart by layout and by what was asked, and anything else fails the proof. Every job starts with
``GS a 0`` (ASB off), and its deadline follows its size and the link (:mod:`.pacing`). A proof
made only of ``GS r`` bytes (a printer that does not answer ``GS I``) is one noise can forge, so
the printer is then watched until the slowest mechanism must have printed the job.
"""

from __future__ import annotations

import abc
import contextlib
import threading
from collections.abc import Iterator
from typing import Any

from drivers.errors import (
    CoverOpen,
    PaperOut,
    PrinterError,
    PrinterOffline,
    PrinterStatusUnknown,
    PrinterUnreachable,
    PrintNotConfirmed,
)
from drivers.printer.boundary import LinkBroken, PrintOutcome, ReceiptPrinter
from drivers.printer.identity import GS_I_FIRMWARE, GS_I_MAKER, GS_I_MODEL, PrinterIdentity
from drivers.printer.pacing import Pace
from drivers.printer.replies import ASB_OFF, AsbFrame, Message, ReplyReader
from drivers.printer.status import (
    DLE_EOT,
    GS_R_PAPER,
    PrinterStatus,
    bit,
    decode_paper_reply,
    decode_status,
    unknown_status,
)
from foundation.clock import MonotonicClock, SystemClock
from printer_templates.document import SlipDocument

#: DLE DC4 fn=8 (d1..d7 = 1 3 20 1 6 2 8): clear the receive and print buffers, real time.
CLEAR_BUFFERS = bytes([0x10, 0x14, 0x08, 0x01, 0x03, 0x14, 0x01, 0x06, 0x02, 0x08])


class ReadBackPrinter(ReceiptPrinter):
    """A connection that can read the printer's replies: status queries and the print barrier.

    Each operation opens a fresh connection and closes it afterwards (USB keeps its device
    open instead), so a failure never leaves a half-dead link for the next job, and the printer
    stays free for ``kiosk printer status``. Subclasses provide the python-escpos object and
    byte-level reads.
    """

    can_prove_print = True
    #: whether :meth:`keep_link` keeps the link between operations (TCP: yes)
    link_worth_keeping: bool = False
    #: serial and USB keep a reply the printer sends after we gave up, for the next session
    replies_survive_reconnect: bool = False
    #: how often DLE EOT 2 is polled while waiting for the barrier reply
    poll_interval_s: float = 0.05
    #: ceiling for one status reply; real printers answer DLE EOT within milliseconds
    status_timeout_cap_s: float = 1.0
    #: the job goes out in chunks this big, each with its own deadline
    chunk_size: int = 1024

    def __init__(
        self,
        *,
        print_speed_mm_s: float = 40.0,
        job_ceiling_s: float = 120.0,
        clock: MonotonicClock | None = None,
        **kwargs: Any,
    ) -> None:
        super().__init__(**kwargs)
        #: what every wait of this printer measures its deadline on (the one clock of
        #: ``foundation.clock``; tests give a clock they move)
        self.clock: MonotonicClock = clock or SystemClock()
        if print_speed_mm_s <= 0 or job_ceiling_s <= 0:
            raise ValueError("print speed and job ceiling must be positive")
        #: slowest mechanism speed a job's deadline allows for (mm per second)
        self.print_speed_mm_s = print_speed_mm_s
        #: no job may take longer than this to send and prove, however big or slow
        self.job_ceiling_s = job_ceiling_s
        #: in-order replies still owed by the printer from barriers we gave up on
        self._stale_replies = 0
        self._stale_blocks = 0
        #: in-order replies the current proof asked for (owed if it fails)
        self._requested: list[str] = []
        #: what GS I said, once asked (None: not asked yet)
        self.identity: PrinterIdentity | None = None
        #: bytes per second measured on this link (TCP, USB); serial knows it from the baud rate
        self._measured_bps: float | None = None
        #: one conversation at a time: a status request from the UI waits for a print to end
        self._lock = threading.RLock()
        #: depth of :meth:`hold`, and whether a link left healthy by the last operation is open
        self._held = 0
        self._linked = False
        #: :meth:`keep_link`: the link outlives operations and sales
        self._keep = False

    @property
    def status_timeout_s(self) -> float:
        """How long one DLE EOT reply may take: the cap, or less if the whole timeout is less."""
        return min(self.status_timeout_cap_s, self.timeout_s)

    def link_bytes_per_s(self) -> float | None:
        """The link's speed: measured on TCP and USB (None before the first job)."""
        return self._measured_bps

    def pace(self) -> Pace:
        return Pace(
            link_bytes_per_s=self.link_bytes_per_s(),
            print_mm_per_s=self.print_speed_mm_s,
            answer_s=self.timeout_s,
            ceiling_s=max(self.job_ceiling_s, self.timeout_s),
        )

    # -- what each connection type provides ------------------------------------------------
    @abc.abstractmethod
    def _connect(self) -> None:
        """Open the link; raise :class:`PrinterUnreachable` if it cannot be opened."""

    @abc.abstractmethod
    def _disconnect(self) -> None:
        """Close the link, ignoring errors (it may already be dead)."""

    def _release(self) -> None:
        """End of one operation: close the link (USB overrides this to keep its device)."""
        self._disconnect()

    def _link_alive(self) -> bool:
        """Whether the open link still works, checked before it is reused (TCP: not closed)."""
        return True

    @contextlib.contextmanager
    def hold(self) -> Iterator[None]:
        """One connection for every operation inside, instead of one each (a sale: status,
        slip and drawer over one TCP connection); released at the end unless the link is kept
        (:meth:`keep_link`). An operation that failed still drops its link."""
        with self._lock:
            self._held += 1
            try:
                yield
            finally:
                self._held -= 1
                if self._held == 0 and self._linked and not self._keep:
                    self._linked = False
                    self._release()

    def keep_link(self, keep: bool = True) -> None:
        """Keep a healthy link open between operations and sales (the kiosk process, the
        printer's one owner): a sale then opens no connection at all. Only where the driver
        says a kept link is worth it (:attr:`link_worth_keeping`: TCP); a link the printer
        closed is noticed before reuse, and one found dead by a status read is replaced once."""
        with self._lock:
            self._keep = keep and self.link_worth_keeping
            if not self._keep and self._held == 0 and self._linked:
                self._linked = False
                self._release()

    def _open(self) -> bool:
        """Start an operation: reuse the held or kept link if it is healthy (True), else
        connect (False)."""
        if (self._held or self._keep) and self._linked and self._link_alive():
            return True
        self._linked = False
        self._connect()
        self._linked = True
        return False

    def _done(self, ok: bool) -> None:
        """End an operation: keep a healthy link while held or kept, else release it."""
        if (self._held or self._keep) and ok:
            return
        self._linked = False
        self._release()

    @abc.abstractmethod
    def _write(self, data: bytes, timeout_s: float | None = None) -> None:
        """Send all of ``data`` within ``timeout_s`` (default: the printer's); else LinkBroken."""

    @abc.abstractmethod
    def _read_byte(self, timeout_s: float) -> int | None:
        """One byte, or None after ``timeout_s``; raise :class:`LinkBroken` if the link died."""

    @abc.abstractmethod
    def _drain(self) -> bytes:
        """Take the bytes already received (stale replies, ASB) so the next read is fresh."""

    def _reader(self) -> ReplyReader:
        return ReplyReader(self._read_byte, inner_timeout_s=self.status_timeout_s)

    def _discard_input(self, *, during_job: bool = False) -> None:
        """Take what arrived unasked. During a job, an ASB frame that reports a stop fails it:
        the printer may have resumed since (paper reloaded), but the slip has a gap."""
        data = iter(self._drain())
        reader = ReplyReader(lambda _t: next(data, None), inner_timeout_s=0.0)
        while (msg := reader.read(0.0)) is not None:
            if during_job and msg.kind == "asb":
                self._check_asb(msg)
            self._note_odd(msg)

    def _note_odd(self, msg: Message) -> None:
        """A message nobody asked for; an in-order reply is one we were owed from a failed job."""
        if msg.kind == "single" and self._stale_replies:
            self._stale_replies -= 1
        elif msg.kind == "block" and self._stale_blocks:
            self._stale_blocks -= 1

    # -- the boundary ----------------------------------------------------------------------
    def close(self) -> None:
        with self._lock:
            self._disconnect()

    def status(self) -> PrinterStatus:
        with self._lock:
            reused = self._open()
            ok = False
            try:
                answer = self._query_status()
                if reused and answer.state == "unknown" and not self._link_alive():
                    # the kept link had died unseen (a printer restarted): once more, fresh
                    self._linked = False
                    self._connect()
                    self._linked = True
                    answer = self._query_status()
                ok = True
                return answer
            finally:
                self._done(ok)

    def identify(self) -> PrinterIdentity | None:
        """Ask the printer who it is (``GS I``); None while it cannot print (it would hold
        the in-order question), an empty identity if it does not say."""
        with self._lock:
            self._open()
            ok = False
            try:
                if not self._query_status().can_print:
                    ok = True
                    return None
                self.identity = self._read_identity()
                ok = True
                return self.identity
            finally:
                self._done(ok)

    def clear_buffer(self) -> bool:
        """ESC/POS real-time recovery: ``DLE DC4 8`` clears the receive and print buffers.

        A printer whose paper ran out or whose cover opened mid-job keeps the rest of the job
        and prints it when the fault clears; the terminal, having given up on that job, would
        send it again (two failure notices, or a slip for a voided sale). Real-time commands
        are executed at once, even while the printer is in error, so the held job is gone
        before anything is sent again.
        """
        with self._lock:
            self._connect()
            try:
                self._write(CLEAR_BUFFERS)
            except LinkBroken:
                return False
            finally:
                self._release()
        return True

    def kick_drawer(self, pin: int = 2) -> None:
        pulse = self.drawer_pulse(pin)
        with self._lock:
            self._open()
            ok = False
            try:
                self._write(pulse)
                ok = True
            except LinkBroken as exc:
                raise PrinterUnreachable(f"the drawer pulse could not be sent: {exc}") from exc
            finally:
                self._done(ok)

    def print_slip(self, doc: SlipDocument) -> PrintOutcome:
        job = self.render(doc)
        with self._lock:
            self._open()
            ok = False
            try:
                started = self.clock.monotonic()
                try:
                    # ASB may be on (DIP switch, an earlier program): its frames are parsed as
                    # such anyway, but a printer that volunteers nothing is easier to prove
                    self._write(ASB_OFF)
                except LinkBroken as exc:
                    raise PrinterUnreachable(f"the printer does not take data: {exc}") from exc
                self._check_ready()
                if self.identity is None:
                    self.identity = self._read_identity()
                deadline = started + self.pace().job_s(job)
                try:
                    if self._stale_replies or self._stale_blocks:
                        self._settle_stale_replies()
                    self._send(job, deadline)
                except LinkBroken as exc:
                    raise PrintNotConfirmed(f"the connection dropped while sending: {exc}") from exc
                # the latest the slowest mechanism we plan for is done with the job
                printed_by = min(
                    self.clock.monotonic() + self.pace().print_s(job),
                    started + self.pace().ceiling_s,
                )
                outcome = self._barrier(deadline, self.clock.monotonic() - started, printed_by)
                ok = True
                return outcome
            finally:
                self._done(ok)

    # -- internals -------------------------------------------------------------------------
    def _send(self, job: bytes, deadline: float) -> None:
        """The job in chunks, each within its own deadline, all within the job's deadline.

        A per-chunk deadline is what makes a big slip on a slow link possible (pyserial's
        ``write_timeout`` covers one ``write()``), and the job deadline keeps it bounded.
        """
        pace = self.pace()
        sent, spent = 0, 0.0
        for at in range(0, len(job), self.chunk_size):
            chunk = job[at : at + self.chunk_size]
            now = self.clock.monotonic()
            left = deadline - now
            if left <= 0:
                raise PrintNotConfirmed(
                    f"the job ({len(job)} bytes) could not be sent within "
                    f"{pace.job_s(job):.1f} s; {sent} bytes went out"
                )
            self._write(chunk, min(left, pace.chunk_s(len(chunk))))
            took = self.clock.monotonic() - now
            sent, spent = sent + len(chunk), spent + took
        if spent > 0 and sent >= 4 * self.chunk_size:
            # only a job big enough to fill the buffers says how fast the link really is
            self._measured_bps = sent / spent

    def _read_identity(self) -> PrinterIdentity:
        """GS I 66, 67, 65 (maker, model, firmware); what it does not answer stays empty."""
        found: dict[bytes, str] = {}
        reader = self._reader()
        try:
            self._discard_input()
            for request in (GS_I_MAKER, GS_I_MODEL, GS_I_FIRMWARE):
                self._write(request)
                deadline = self.clock.monotonic() + self.status_timeout_s
                while (left := deadline - self.clock.monotonic()) > 0:
                    msg = reader.read(left)
                    if msg is None:
                        break
                    if msg.kind == "block":
                        found[request] = msg.data.decode("ascii", "replace")
                        break
                    self._note_odd(msg)
                if request not in found:
                    # no text block: it does not know GS I 65-69, and any late answer would be
                    # a block nobody is waiting for
                    self._stale_blocks += 1 if self.replies_survive_reconnect else 0
                    break
        except LinkBroken:
            return PrinterIdentity()
        return PrinterIdentity(
            maker=found.get(GS_I_MAKER, ""),
            model=found.get(GS_I_MODEL, ""),
            firmware=found.get(GS_I_FIRMWARE, ""),
        )

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
        """The first DLE EOT reply within the status timeout, and the last odd byte seen.

        ASB frames and late in-order replies from an earlier job (released when paper was
        loaded) can arrive first; they are parsed as what they are and skipped.
        """
        deadline = self.clock.monotonic() + self.status_timeout_s
        odd: int | None = None
        reader = self._reader()
        while (left := deadline - self.clock.monotonic()) > 0:
            msg = reader.read(left)
            if msg is None:
                break
            if msg.kind == "realtime":
                return msg.value, odd
            self._note_odd(msg)
            if msg.kind in ("single", "unexpected"):
                odd = msg.data[-1]
        return None, odd

    def _settle_stale_replies(self) -> None:
        """Collect in-order replies owed from an earlier, failed job before this job's barrier.

        The printer was just found ready, so replies it held (paper out, cover open) have been
        released and are on their way; taken now, they cannot pass for this job's proof.
        If they do not come within the status timeout they were lost (printer reset): forget.
        """
        deadline = self.clock.monotonic() + self.status_timeout_s
        reader = self._reader()
        while (self._stale_replies or self._stale_blocks) and (
            left := deadline - self.clock.monotonic()
        ) > 0:
            msg = reader.read(left)
            if msg is None:
                break
            self._note_odd(msg)
        self._stale_replies = self._stale_blocks = 0

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

    def _proof_request(self) -> tuple[bytes, list[str]]:
        """What to send after the job, and the in-order replies it must bring, in order.

        ``GS r 1`` says the paper held out to the end of the job. A lone reply byte can be
        imitated by line noise, so a second in-order request follows: the maker's name
        (``GS I 66``, a ``_text NUL`` block noise cannot form) when the printer told us its
        name, else a second ``GS r 1``.
        """
        if self.identity is not None and self.identity.maker:
            return GS_R_PAPER + GS_I_MAKER, ["single", "block"]
        return GS_R_PAPER + GS_R_PAPER, ["single", "single"]

    def _barrier(self, deadline: float, elapsed: float, printed_by: float) -> PrintOutcome:
        request, expected = self._proof_request()
        self._requested = []
        try:
            self._discard_input(during_job=True)
            self._write(request)
            self._requested = list(expected)
            polls = self._await_proof(expected, deadline, elapsed)
            self._verify_after_proof(polls)
            if "block" not in expected:
                # every in-order reply was a lone byte noise can forge: only time can tell
                self._requested = [*expected, "single"]
                self._watch_until(printed_by)
                self._requested = []
            return PrintOutcome.PRINTED
        except LinkBroken as exc:
            self._owe()
            raise PrintNotConfirmed(
                f"the connection dropped before the printer confirmed: {exc}"
            ) from exc
        except PrintNotConfirmed:
            self._owe()
            raise

    def _owe(self) -> None:
        """After a failed proof, count every in-order reply asked for as still to come.

        Some may have come, but one that seemed to may have been noise; counting too many
        costs one status timeout before the next job, counting too few could let a late
        reply pass for the next job's proof.
        """
        if not self.replies_survive_reconnect:
            return
        for kind in self._requested:
            if kind == "block":
                self._stale_blocks += 1
            else:
                self._stale_replies += 1
        self._requested = []

    def _await_proof(self, expected: list[str], deadline: float, elapsed: float) -> int:
        """Read every message until the expected in-order replies came; returns polls unanswered.

        Each message is checked against what was asked: a status byte with no poll
        outstanding, a reply of the wrong kind, a frame or a byte that fits no layout all fail
        the proof. The caller's ``_owe`` keeps count of what is still to come.
        """
        allowed = elapsed + max(0.0, deadline - self.clock.monotonic())
        reader = self._reader()
        got = 0
        polls = 0
        next_poll = self.clock.monotonic()
        while got < len(expected):
            now = self.clock.monotonic()
            if now >= deadline:
                raise PrintNotConfirmed(f"the printer did not confirm within {allowed:.1f} s")
            if now >= next_poll:
                self._write(DLE_EOT + b"\x02")
                polls += 1
                next_poll = now + self.poll_interval_s
            msg = reader.read(max(0.001, min(deadline, next_poll) - now))
            if msg is None:
                continue
            if msg.kind == "realtime":
                if not polls:
                    raise PrintNotConfirmed(_unexpected("a status byte nobody asked for", msg))
                polls -= 1
                self._check_poll(msg.value)
            elif msg.kind == "asb":
                self._check_asb(msg)
            elif msg.kind in ("single", "block"):
                if msg.kind == "single" and self._stale_replies:
                    self._stale_replies -= 1  # an earlier job's late reply: it comes first
                    continue
                if msg.kind == "block" and self._stale_blocks:
                    self._stale_blocks -= 1
                    continue
                self._check_proof(msg, expected[got])
                got += 1
            else:
                raise PrintNotConfirmed(_unexpected("bytes that fit no reply", msg))
        return polls

    def _check_proof(self, msg: Message, kind: str) -> None:
        if msg.kind != kind:
            raise PrintNotConfirmed(_unexpected(f"a {msg.kind} reply where a {kind} was due", msg))
        if kind == "single":
            reply = decode_paper_reply(msg.value)
            if reply is None:  # pragma: no cover - the reader only yields well-formed singles
                raise PrintNotConfirmed(_unexpected("an invalid paper reply", msg))
            if reply.paper_end:
                raise PrintNotConfirmed("the printer reports the paper ran out")
        else:
            maker = self.identity.maker if self.identity is not None else ""
            if msg.data.decode("ascii", "replace") != maker:
                raise PrintNotConfirmed(_unexpected("a name that is not the printer's", msg))

    def _verify_after_proof(self, polls: int) -> None:
        """Right after the proof: the printer must be idle and running, and nothing extra came.

        One more ``GS r 1`` goes out with ``DLE EOT 1`` and ``DLE EOT 2``. A printer that
        really finished the job answers the ``GS r`` at once; if noise passed for the proof,
        the job is still in its buffer and the reply does not come within the status timeout.
        A printer holding the job is offline or stopped in the real-time answers, and a real
        reply arriving after noise took its place is one reply too many.
        """
        self._write(GS_R_PAPER + DLE_EOT + b"\x01" + DLE_EOT + b"\x02")
        self._requested.append("single")
        polls += 2
        singles = 0
        reader = self._reader()
        statuses: list[int] = []
        deadline = self.clock.monotonic() + self.status_timeout_s
        while polls or not singles:
            left = deadline - self.clock.monotonic()
            msg = reader.read(left) if left > 0 else None
            if msg is None:
                raise PrintNotConfirmed(
                    "the printer was not idle right after confirming: the slip is not proven"
                )
            if msg.kind == "realtime":
                if not polls:
                    raise PrintNotConfirmed(_unexpected("a status byte nobody asked for", msg))
                polls -= 1
                statuses.append(msg.value)
            elif msg.kind == "asb":
                self._check_asb(msg)
            elif msg.kind == "single" and not singles:
                singles += 1
                self._check_proof(msg, "single")
            else:
                raise PrintNotConfirmed(_unexpected("more replies than were asked for", msg))
        self._requested = []
        s1, s2 = statuses[-2], statuses[-1]
        if bit(s1, 3):
            raise PrintNotConfirmed("the printer went offline with the job")
        self._check_poll(s2)

    def _watch_until(self, printed_by: float) -> None:
        """For a proof made only of ``GS r`` bytes: watch the printer until the job must be done.

        A ``0x00`` on the line on every ``GS r`` forges the whole proof and the idle check, and
        a printer still working through its buffer reports itself online with paper in its
        real-time replies (it answers ``DLE EOT`` on receipt, ahead of the job). What noise
        cannot forge is what happens by the time the slowest mechanism we plan for has printed
        the job: a printer that stopped (paper end, cover, error) says so to ``DLE EOT 2``, and
        one that finished sends the real replies the noise stood in for, one reply too many.
        So ``DLE EOT 2`` is polled until ``printed_by`` and every answer must be a clean one,
        with no in-order reply at all. Costs the slip's print time at ``print_speed``; a
        printer that answers ``GS I 66`` is proven by its name block and never waits here.
        """
        reader = self._reader()
        polls = 0
        next_poll = self.clock.monotonic()
        last_answer_by = printed_by + self.status_timeout_s
        final_sent = False  # the poll sent at or after printed_by: its answer ends the watch
        while True:
            now = self.clock.monotonic()
            if final_sent and not polls:
                return
            if now >= last_answer_by:
                raise PrintNotConfirmed(
                    "the printer stopped answering status queries after the job: "
                    "the slip is not proven"
                )
            if not final_sent and now >= min(next_poll, printed_by):
                self._write(DLE_EOT + b"\x02")
                polls += 1
                next_poll = now + self.poll_interval_s
                if now >= printed_by:
                    final_sent = True
                    last_answer_by = now + self.status_timeout_s
            wake = last_answer_by if final_sent else min(next_poll, printed_by)
            msg = reader.read(max(0.001, wake - now))
            if msg is None:
                continue
            if msg.kind == "realtime":
                if not polls:
                    raise PrintNotConfirmed(_unexpected("a status byte nobody asked for", msg))
                polls -= 1
                self._check_poll(msg.value)
            elif msg.kind == "asb":
                self._check_asb(msg)
            else:
                raise PrintNotConfirmed(_unexpected("more replies than were asked for", msg))

    @staticmethod
    def _check_asb(msg: Message) -> None:
        frame = AsbFrame.decode(msg.data)
        if frame.cover_open:
            raise PrintNotConfirmed("the cover was opened during printing")
        if frame.paper_end:
            raise PrintNotConfirmed("the paper ran out during printing")
        if frame.stopped:
            raise PrintNotConfirmed("the printer stopped during printing")

    @staticmethod
    def _check_poll(offline_cause: int) -> None:
        """A DLE EOT 2 reply during the job: any stop means the slip is not whole."""
        if bit(offline_cause, 2):
            raise PrintNotConfirmed("the cover was opened during printing")
        if bit(offline_cause, 5):
            raise PrintNotConfirmed("the paper ran out during printing")
        if bit(offline_cause, 6):
            raise PrintNotConfirmed("the printer stopped with an error during printing")


def _unexpected(what: str, msg: Message) -> str:
    return f"the printer sent {what} ({msg.data.hex(' ')}): the slip is not proven"


# The boundary's names stay importable from here, where callers have always found them.
__all__ = ["LinkBroken", "PrintOutcome", "PrinterError", "ReadBackPrinter", "ReceiptPrinter"]
