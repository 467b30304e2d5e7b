"""The counter: one printer and one cash drawer, shared in turn by everything that uses them.

Sales, stornos, copies, X and Z reports, the printer test and cash movements all print a slip
that is a proof, or open the drawer, or both. The rules for that live here once: whoever has
the counter (its lock), whether the printer can print now, what counts as proof that a slip came
out, how the drawer opens and is journalled, and the failure notices a voided sale still owes
whoever holds half its slip. The services keep their own store transitions; they borrow the
counter for the printer and the drawer.
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Iterator, Mapping
from contextlib import contextmanager
from datetime import timedelta
from typing import Any

from drivers.errors import PrinterError
from drivers.printer.base import PrintOutcome, ReceiptPrinter
from foundation.clock import Clock
from offline_queue import states
from offline_queue.store import Store, TxnRecord, is_transaction_number
from printer_templates.document import SlipDocument
from terminal import slips
from terminal.catalog import ProductConfig
from terminal.config import KioskConfig
from terminal.errors import KioskError

#: Asked when the printer cannot prove a print (file/lp): did the slip come out?
ClerkConfirmsPrint = Callable[[SlipDocument], bool]

#: Journal events of the failed-transaction notice of a voided sale.
NOTICE_OWED = "failure_notice_owed"
NOTICE_PRINTED = "failure_notice_printed"
NOTICE_EVENTS = (NOTICE_OWED, NOTICE_PRINTED)


class PrinterNotReady(KioskError):
    """The printer cannot print now, so no sale starts."""

    code = "printer_not_ready"

    def __init__(self, detail: str) -> None:
        super().__init__(
            f"The printer is not ready ({detail}): fix it (paper, cover, power), then sell again. "
            "Nothing was charged."
        )


class Counter:
    """The printer and the drawer of one counter, and the one lock that gives them in turn.

    Sales, stornos, copies, reports and cash movements take :attr:`lock` for the whole of
    their work: a notice never cuts into another slip, two copies never share a number.
    """

    def __init__(
        self,
        *,
        config: KioskConfig,
        store: Store,
        printer: ReceiptPrinter,
        clock: Clock,
        clerk_confirms_print: ClerkConfirmsPrint | None = None,
    ) -> None:
        self.config = config
        self.store = store
        self.printer = printer
        self.clock = clock
        self.clerk_confirms_print = clerk_confirms_print
        self._lock = threading.Lock()
        # A notice may be owed from before this process started: look once, then only after
        # a notice failed to print, so a sale does not query the journal every time.
        self._notices_maybe_owed = True

    @property
    def lock(self) -> threading.Lock:
        """One printer and one drawer per counter: sales, stornos, copies and reports take turns."""
        return self._lock

    @contextmanager
    def serving(self) -> Iterator[None]:
        """The counter and one printer connection for a whole sale (status, slip, drawer)."""
        with self._lock, self.printer.hold():
            yield

    @property
    def proof(self) -> str:
        """What proves a slip printed here: the printer's ``barrier`` or the ``clerk``'s word."""
        return "barrier" if self.printer.can_prove_print else "clerk"

    # -- the printer ----------------------------------------------------------------------------

    def require_printer_ready(self) -> None:
        """Refuse to start work whose slip cannot print: nothing is recorded or provisioned."""
        if not self.printer.can_prove_print:
            return
        status = self.printer.status()
        if not status.can_print:
            raise PrinterNotReady(status.detail or status.state)

    def print_proven(self, doc: SlipDocument) -> str | None:
        """Print ``doc`` through the barrier; None when proven, else why it is not.

        Shared by every slip that is a proof (sale, storno, copy, report): the barrier's reply,
        or the clerk's explicit word on a printer that cannot answer, is the only proof there is.
        """
        try:
            outcome = self.printer.print_slip(doc)
        except PrinterError as exc:
            # The printer may hold the job and print it when the fault clears: a slip for a
            # sale that is voided, or a second notice. Clear its buffer before anything else.
            self.clear_held_job(doc)
            return str(exc)
        proven = outcome is PrintOutcome.PRINTED or (
            outcome is PrintOutcome.NEEDS_CLERK_CONFIRMATION
            and self.clerk_confirms_print is not None
            and self.clerk_confirms_print(doc)
        )
        return None if proven else "the clerk did not confirm the slip printed"

    def print_notice(self, doc: SlipDocument) -> str | None:
        """Best effort, for a slip that is no proof (a "not completed" notice): None when it
        went to the printer, else the printer's error."""
        try:
            self.printer.print_slip(doc)
        except PrinterError as exc:
            return str(exc)
        return None

    def clear_held_job(self, doc: SlipDocument) -> None:
        """ESC/POS real-time recovery after a failed job (``ReceiptPrinter.clear_buffer``)."""
        try:
            cleared = self.printer.clear_buffer()
        except PrinterError:
            cleared = False
        self.store.journal_event(
            doc.txn if is_transaction_number(doc.txn or "") else None,
            "printer_buffer_cleared" if cleared else "printer_buffer_not_cleared",
            {"kind": doc.kind},
        )

    # -- the drawer -----------------------------------------------------------------------------

    def open_drawer(
        self, txn: str | None, note: Mapping[str, Any] | None = None, *, durable: bool = True
    ) -> bool:
        """Kick the drawer and journal whether it opened (``note`` goes with either event).

        Money changes hands only for a confirmed sale, a completed storno or a journalled cash
        movement: the callers open it only then. ``durable=False`` for a note recovery does not
        need (it rides on the next durable commit).
        """
        data = dict(note or {})
        try:
            self.printer.kick_drawer()
        except PrinterError as exc:
            self.store.journal_event(txn, "drawer_not_opened", {**data, "error": str(exc)})
            return False
        self.store.journal_event(txn, "drawer_opened", data, durable=durable)
        return True

    # -- failure notices ------------------------------------------------------------------------

    def print_failure_notice(
        self,
        record: TxnRecord,
        reason: str,
        *,
        reason_code: str = "print_failed",
        product: ProductConfig | None = None,
    ) -> bool:
        """Print the notice now if the printer can; else it stays owed (see below).

        The notice is for whoever holds a half-printed slip, not a proof, so it is best effort:
        a notice that could not print is journalled as owed and printed by
        :meth:`print_owed_notices` as soon as the printer can.
        """
        doc = slips.render_failure(
            self.config, record, reason=reason, at=self.clock.now(), product=product
        )
        try:
            self.printer.print_slip(doc)
        except PrinterError as exc:
            # One notice per failed sale: a notice the printer holds through the fault would
            # print later beside the one printed when owed; throw the held one away now.
            self.clear_held_job(doc)
            self.store.journal_event(
                record.txn,
                NOTICE_OWED,
                {"reason": reason, "reason_code": reason_code, "error": str(exc)},
            )
            self._notices_maybe_owed = True
            return False
        self.store.journal_event(
            record.txn, NOTICE_PRINTED, {"reason": reason, "reason_code": reason_code}
        )
        return True

    def print_owed_notices(self, *, lookback_s: float = 86400.0, limit: int = 50) -> int:
        """Print failure notices that could not print when their sale failed; returns how many.

        Stops at the first one that fails again: the printer is still not ready.
        """
        if not self._notices_maybe_owed:
            return 0
        self._notices_maybe_owed = False
        since = self.clock.now() - timedelta(seconds=lookback_s)
        printed = 0
        for record in reversed(
            self.store.list_transactions(since=since, states=[states.VOIDED], limit=limit)
        ):
            events = [e for e in self.store.journal(record.txn) if e.event in NOTICE_EVENTS]
            if not events or events[-1].event != NOTICE_OWED:
                continue
            owed = events[-1].data
            code = str(owed.get("reason_code") or "print_failed")
            if not self.print_failure_notice(record, str(owed.get("reason", "")), reason_code=code):
                break
            printed += 1
        return printed

    def print_owed_notices_when_idle(self) -> int:
        """The served process's tick: pay owed notices without waiting for the next sale.

        Skips (returns 0) while a sale, storno, reprint or report has the counter, and when the
        printer cannot print: a notice must never cut into another slip or wait for paper.
        """
        if not self._notices_maybe_owed or not self._lock.acquire(blocking=False):
            return 0
        try:
            try:
                if not self.printer.status().can_print:
                    return 0
            except PrinterError:
                return 0
            return self.print_owed_notices()
        finally:
            self._lock.release()


__all__ = [
    "NOTICE_EVENTS",
    "NOTICE_OWED",
    "NOTICE_PRINTED",
    "ClerkConfirmsPrint",
    "Counter",
    "PrinterNotReady",
]
