"""X and Z reports: what the counter took since the period began, printed through the barrier.

An X report shows the running totals and leaves the period open. A Z report closes it, and is
slip first like a sale: its number (1, 2, 3, ...) is allocated, and the period closed, only in
the store transaction that follows the printer's proof that the Z slip came out. A Z whose slip
did not print leaves the period open and its number unused, so the next Z prints the same
number over the same (and later) figures.

The period is a range of journal events (see ``Store.period_figures``): sales count where their
slip printed, stornos where the storno slip printed, so a sale before a Z and its storno after
it each show once, in the period the money moved. Cash in the drawer is the cash kept for
those sales (what the customer paid, change already handed back) less the cash paid back for
those stornos, plus the period's opening float and cash in, less its cash out
(``terminal.shift``: journal events in the same range), so the drawer's figure is what it holds.
"""

from __future__ import annotations

from dataclasses import dataclass, fields
from datetime import datetime
from typing import Any

from offline_queue.store import ClerkTotal, PeriodFigures
from printer_templates.context import (
    CashMoveLine,
    ClerkLine,
    CurrencyCount,
    ReportLine,
    ReportSlip,
)
from printer_templates.document import SlipDocument
from printer_templates.preview import slip_to_text
from printer_templates.render import render_slip
from terminal import slips
from terminal.clerks import ClerkBook, SupervisorRequired
from terminal.counter import Counter
from terminal.errors import InvalidInput
from terminal.shift import period_movements
from terminal.shift import totals as shift_totals

#: Journal events of reports besides the store's own ``z_report`` (written with the period).
X_REPORT_EVENT = "x_report"
Z_NOT_PRINTED_EVENT = "z_report_not_printed"

REPORT_TEMPLATES = {"X": "report_x", "Z": "report_z"}


class PinRequired(InvalidInput):
    """A Z report from the till or the command line without the supervisor's PIN."""

    code = "pin_required"


class ReportNotAllowed(SupervisorRequired):
    """A Z report closes the period: only an active supervisor may print one."""

    code = "supervisor_required"


class InvalidReportKind(InvalidInput):
    code = "invalid_report_kind"


@dataclass(frozen=True)
class ReportOutcome:
    """A report as printed (or not), with the figures, so a screen can show it as well."""

    kind: str
    printed: bool
    z_number: int | None
    period_from: datetime
    period_to: datetime
    lines: tuple[ReportLine, ...]
    stornos: tuple[CurrencyCount, ...]
    cash_in_drawer: tuple[CurrencyCount, ...]
    failed_count: int
    voided_count: int
    slip_text: str
    message: str
    #: "printed" | "not_printed" | "preview" (figures shown on screen, nothing printed)
    code: str
    #: why the slip did not print, in the printer driver's words (None when it printed)
    error: str | None = None
    #: paid from benefit balances, counted apart from the cash (per currency)
    benefit_paid: tuple[CurrencyCount, ...] = ()
    #: the figures per clerk: sales, stornos, and the cash each put in the drawer (as the store
    #: keeps them on the Z; the slip adds each clerk's name)
    by_clerk: tuple[ClerkTotal, ...] = ()

    @property
    def ok(self) -> bool:
        return self.printed

    def to_dict(self) -> dict[str, Any]:
        return {
            "kind": self.kind,
            "printed": self.printed,
            "z_number": self.z_number,
            "period_from": self.period_from.isoformat(),
            "period_to": self.period_to.isoformat(),
            "lines": [
                {
                    "product": line.product,
                    "product_name": line.product_name,
                    "currency": line.currency,
                    "count": line.count,
                    "total_minor": line.total_minor,
                }
                for line in self.lines
            ],
            "stornos": [_count_dict(c) for c in self.stornos],
            "cash_in_drawer": [_count_dict(c) for c in self.cash_in_drawer],
            "benefit_paid": [_count_dict(c) for c in self.benefit_paid],
            "by_clerk": [vars(c) for c in self.by_clerk],
            "failed_count": self.failed_count,
            "voided_count": self.voided_count,
            "slip_text": self.slip_text,
            "message": self.message,
            "code": self.code,
            "error": self.error,
        }


def _count_dict(count: CurrencyCount) -> dict[str, Any]:
    return {"currency": count.currency, "count": count.count, "total_minor": count.total_minor}


class ReportService:
    """X and Z reports of this terminal; each prints with the counter (``terminal.counter``)."""

    def __init__(self, counter: Counter, clerks: ClerkBook) -> None:
        self.counter = counter
        self.clerks = clerks
        self.store = counter.store
        self.config = counter.config
        self.clock = counter.clock

    # -- figures ------------------------------------------------------------------------------

    def _lines(self, figures: PeriodFigures) -> tuple[ReportLine, ...]:
        """Sales per product and currency, in the order kiosk.toml lists the products."""
        order = {product: index for index, product in enumerate(self.config.products)}
        language = self.config.printer.language
        lines = [
            ReportLine(
                product=line.product,
                currency=line.currency,
                count=line.count,
                total_minor=line.total_minor,
                product_name=(
                    self.config.products[line.product].name.get(language)
                    if line.product in self.config.products
                    else None
                ),
            )
            for line in figures.sales
        ]
        lines.sort(key=lambda x: (order.get(x.product, len(order)), x.product, x.currency))
        return tuple(lines)

    def _drawer(self, figures: PeriodFigures) -> tuple[CurrencyCount, ...]:
        """Per currency: cash kept for sales less cash paid back for stornos, this period.

        Every currency the terminal sells in is listed, at zero when nothing moved, so the
        clerk sees an explicit 0 rather than a missing line.
        """
        amounts: dict[str, int] = {p.currency: 0 for p in self.config.products.values()}
        moves: dict[str, int] = dict.fromkeys(amounts, 0)
        for move in period_movements(self.store, figures):
            amounts[move.currency] = amounts.get(move.currency, 0) + move.signed_minor
            moves[move.currency] = moves.get(move.currency, 0) + 1
        for line in figures.sales:
            if self._from_benefit(line.product):
                continue  # the benefit balance paid: no cash came into the drawer
            amounts[line.currency] = amounts.get(line.currency, 0) + line.total_minor
            moves[line.currency] = moves.get(line.currency, 0) + line.count
        for storno in figures.stornos:
            amounts[storno.currency] = amounts.get(storno.currency, 0) - storno.total_minor
            moves[storno.currency] = moves.get(storno.currency, 0) + storno.count
        return tuple(CurrencyCount(c, moves[c], amounts[c]) for c in sorted(amounts))

    def _cash_moves(self, figures: PeriodFigures) -> tuple[CashMoveLine, ...]:
        return tuple(
            CashMoveLine(m.kind, m.currency, m.amount_minor, m.reason, m.clerk)
            for m in period_movements(self.store, figures)
        )

    def _by_clerk(self, figures: PeriodFigures) -> tuple[ClerkLine, ...]:
        """The store's per-clerk figures, each with the clerk's name for the slip."""
        lines = []
        for c in figures.by_clerk:
            known = self.store.get_clerk(c.clerk) if c.clerk not in ("-", "api") else None
            lines.append(ClerkLine(**vars(c), name=known.name if known is not None else ""))
        return tuple(lines)

    def _from_benefit(self, product: str) -> bool:
        return product in self.config.products and self.config.product(product).pays_from_benefit

    def _benefit(self, figures: PeriodFigures) -> tuple[CurrencyCount, ...]:
        """Per currency: what benefit balances paid this period, less benefit stornos."""
        amounts: dict[str, int] = {}
        moves: dict[str, int] = {}
        for line in figures.sales:
            if self._from_benefit(line.product):
                amounts[line.currency] = amounts.get(line.currency, 0) + line.total_minor
                moves[line.currency] = moves.get(line.currency, 0) + line.count
        for storno in figures.benefit_stornos:
            amounts[storno.currency] = amounts.get(storno.currency, 0) - storno.total_minor
            moves[storno.currency] = moves.get(storno.currency, 0) + storno.count
        return tuple(CurrencyCount(c, moves[c], amounts[c]) for c in sorted(amounts))

    def cash_in_drawer(self) -> dict[str, int]:
        """Currency -> minor units the drawer should hold from this period's sales and stornos."""
        return {c.currency: c.total_minor for c in self._drawer(self.store.period_figures())}

    def cash_summary(self) -> dict[str, Any]:
        """Cash in the drawer with the period it covers (for ``GET /cash`` and ``kiosk cash``)."""
        figures = self.store.period_figures()
        movements = period_movements(self.store, figures)
        return {
            "period_from": figures.period_from.isoformat(),
            "period_to": figures.period_to.isoformat(),
            "cash_in_drawer": {c.currency: c.total_minor for c in self._drawer(figures)},
            # the float and cash in/out behind those amounts (terminal.shift)
            "movements": [m.to_dict() for m in movements],
            "movement_totals": shift_totals(movements),
            "benefit_paid": {c.currency: c.total_minor for c in self._benefit(figures)},
            "by_clerk": [vars(c) for c in figures.by_clerk],
        }

    # -- rendering ----------------------------------------------------------------------------

    def _journal_head(self, seq: int) -> str | None:
        """The last event the Z closes on and the start of its hash, as the slip prints it."""
        digest = self.store.event_hash_at(seq)
        return None if digest is None else f"{seq} {digest[:16]}"

    def _render(
        self, kind: str, figures: PeriodFigures, printed_at: datetime
    ) -> tuple[SlipDocument, ReportSlip]:
        context = ReportSlip(
            header=slips.header(self.config, printed_at),
            kind=kind,
            period_from=figures.period_from,
            period_to=figures.period_to,
            lines=self._lines(figures),
            stornos=tuple(
                CurrencyCount(s.currency, s.count, s.total_minor) for s in figures.stornos
            ),
            cash_in_drawer=self._drawer(figures),
            failed_count=figures.failed_count,
            voided_count=figures.voided_count,
            benefit_paid=self._benefit(figures),
            by_clerk=self._by_clerk(figures),
            z_number=figures.z_number if kind == "Z" else None,
            journal_head=self._journal_head(figures.through_seq) if kind == "Z" else None,
            cash_moves=self._cash_moves(figures),
        )
        doc = render_slip(
            REPORT_TEMPLATES[kind],
            context,
            language=self.config.printer.language,
            locale=self.config.terminal.locale,
            money=self.config.money,
        )
        return doc, context

    def _outcome(
        self,
        context: ReportSlip,
        doc: SlipDocument,
        *,
        printed: bool,
        z_number: int | None,
        message: str,
        code: str,
        error: str | None = None,
    ) -> ReportOutcome:
        return ReportOutcome(
            kind=context.kind,
            printed=printed,
            z_number=z_number,
            period_from=context.period_from,
            period_to=context.period_to,
            lines=context.lines,
            stornos=context.stornos,
            cash_in_drawer=context.cash_in_drawer,
            failed_count=context.failed_count,
            voided_count=context.voided_count,
            benefit_paid=context.benefit_paid,
            by_clerk=tuple(
                ClerkTotal(**{f.name: getattr(c, f.name) for f in fields(ClerkTotal)})
                for c in context.by_clerk
            ),
            slip_text=slip_to_text(doc, width=self.config.printer.width),
            message=message,
            code=code,
            error=error,
        )

    # -- the reports --------------------------------------------------------------------------

    def z_from_journal(self, z_number: int) -> SlipDocument | None:
        """Z report ``z_number`` rendered again from its journal event, exactly as it printed."""
        started = self.store.started_z(z_number)
        if started is None:
            return None
        figures, _, printed_at = started
        doc, _context = self._render("Z", figures, printed_at)
        return doc

    def preview(self, kind: str = "X") -> ReportOutcome:
        """The report's figures and slip text, nothing printed and nothing closed."""
        kind = str(kind).upper()
        if kind not in REPORT_TEMPLATES:
            raise InvalidReportKind(f"A report is X (running totals) or Z (closing), not {kind!r}.")
        pending = self.store.pending_z() if kind == "Z" else None
        if pending is not None:
            # the next Z is the one fixed and not yet proven printed: exactly that slip
            doc, context = self._render("Z", pending[0], pending[2])
        else:
            doc, context = self._render(kind, self.store.period_figures(), self.clock.now())
        return self._outcome(
            context,
            doc,
            printed=False,
            z_number=context.z_number,
            message="Preview only: nothing was printed and the period stays open.",
            code="preview",
        )

    def x_report(self, *, clerk: str | None) -> ReportOutcome:
        """Print the running totals; the period stays open whether or not the slip printed."""
        with self.counter.lock:
            figures = self.store.period_figures()
            doc, context = self._render("X", figures, self.clock.now())
            failure = self.counter.print_proven(doc)
            self.store.journal_event(
                None,
                X_REPORT_EVENT,
                {
                    "clerk": clerk,
                    "printed": failure is None,
                    "error": failure,
                    "after_seq": figures.after_seq,
                    "through_seq": figures.through_seq,
                },
            )
        if failure is not None:
            return self._outcome(
                context,
                doc,
                printed=False,
                z_number=None,
                message=(
                    "The X report did not print. Nothing changed: fix the printer (paper, "
                    "cover), then print it again."
                ),
                code="not_printed",
                error=failure,
            )
        return self._outcome(
            context,
            doc,
            printed=True,
            z_number=None,
            message="X report printed. The period stays open: go on selling.",
            code="printed",
        )

    def z_report(
        self, *, clerk: str, pin: str | None = None, signed_in: bool = False
    ) -> ReportOutcome:
        """Close the period, slip first; only an active supervisor may (API callers too).

        ``signed_in``: the counter screen's session already proved who the supervisor is.
        Anyone else (the till, ``kiosk report z``) gives the supervisor's PIN, checked like a
        sign-in (wrong PINs count towards the lockout): a number alone closes nothing.
        """
        if not signed_in:
            if not pin:
                raise PinRequired(
                    "The Z report closes the period: give the supervisor's PIN with the "
                    "supervisor's number (kiosk report z --clerk N --pin ...)."
                )
            self.clerks.sign_in(clerk, pin)  # SignInRefused / ClerkLockedOut say why not
        try:
            supervisor = self.clerks.require_supervisor(clerk, to="print the Z report")
        except SupervisorRequired:
            raise ReportNotAllowed(
                "Only a supervisor may print the Z report: it closes the period. Ask a "
                "supervisor to sign in and print it (an X report shows the totals and closes "
                "nothing)."
            ) from None
        with self.counter.lock:
            pending = self.store.pending_z()
            if pending is None:
                # Slip first: the number and the figures are kept before the slip prints.
                figures, printed_at = self.store.period_figures(), self.clock.now()
                self.store.begin_z(figures, clerk=supervisor.number, printed_at=printed_at)
                first_clerk = supervisor.number
            else:
                # A Z fixed earlier whose slip was not proven (it failed, or the process died
                # while it printed): the same slip again, never another one under its number.
                figures, first_clerk, printed_at = pending
            doc, context = self._render("Z", figures, printed_at)
            failure = self.counter.print_proven(doc)
            if failure is not None:
                self.store.journal_event(
                    None,
                    Z_NOT_PRINTED_EVENT,
                    {"clerk": supervisor.number, "z_number": figures.z_number, "error": failure},
                )
                return self._outcome(
                    context,
                    doc,
                    printed=False,
                    z_number=None,
                    message=(
                        f"The Z report No. {figures.z_number} did not print. Its figures are "
                        "kept: fix the printer (paper, cover), then print the Z report again; "
                        "the same Z prints again and closes the period."
                    ),
                    code="not_printed",
                    error=failure,
                )
            record = self.store.close_period(figures, clerk=first_clerk, printed_at=printed_at)
        return self._outcome(
            context,
            doc,
            printed=True,
            z_number=record.z_number,
            message=(
                f"Z report No. {record.z_number} printed: the period is closed. Count the cash "
                "in the drawer against the slip and keep the slip."
            ),
            code="printed",
        )


__all__ = [
    "REPORT_TEMPLATES",
    "X_REPORT_EVENT",
    "Z_NOT_PRINTED_EVENT",
    "InvalidReportKind",
    "PinRequired",
    "ReportNotAllowed",
    "ReportOutcome",
    "ReportService",
]
