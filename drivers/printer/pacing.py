"""How long a job may take: its size over the link's speed, plus its paper over the mechanism.

A fixed deadline voids every big slip on a slow link (an Azerbaijani slip at 9,600 baud takes
longer than 5 s just to transmit) and lets a hung printer keep the counter waiting on a fast
one. So the time allowed follows the job: bytes at the link's rate (the baud rate for serial,
the measured throughput for TCP and USB) plus the length of paper at the slowest mechanism
speed we plan for, plus the ordinary answer timeout, and never more than a bounded ceiling.
"""

from __future__ import annotations

from dataclasses import dataclass

#: TM-T88-class heads print 180 dots per inch.
DOTS_PER_MM = 180 / 25.4
#: Default line spacing (ESC 2): 1/6 inch.
LINE_MM = 25.4 / 6
#: A QR code of a transaction number at module size 3-6, with its quiet zone.
QR_MM = 30.0
#: A CODE128 barcode 64 dots high with its human-readable line.
BARCODE_MM = 14.0
#: Paper fed between the print head and the cutter before a cut.
CUT_FEED_MM = 18.0


def paper_mm(job: bytes) -> float:
    """Paper the job feeds, in mm (a planning estimate that errs on the long side)."""
    # Here, not at the top: importing drivers.virtual_printer runs its package, the whole
    # emulator (Pillow, qrcode), which a printer driver that only reads a status never needs.
    from drivers.virtual_printer.parser import Tokenizer

    mm = 0.0
    for token in Tokenizer().feed(job):
        name = token.name
        raw = token.raw
        if name == "LF":
            mm += LINE_MM
        elif name == "ESC d" and len(raw) >= 3:
            mm += raw[2] * LINE_MM
        elif name == "GS v" and len(raw) >= 8:
            mm += (raw[6] + 256 * raw[7]) / DOTS_PER_MM
        elif name == "GS (" and len(raw) >= 7 and raw[2] == ord("k") and raw[6] == 81:
            mm += QR_MM
        elif name == "GS k":
            mm += BARCODE_MM
        elif name == "GS V":
            mm += CUT_FEED_MM
    return mm


@dataclass(frozen=True)
class Pace:
    """The numbers one job's deadlines are made from."""

    #: bytes per second the link carries, None when not known (nothing measured yet)
    link_bytes_per_s: float | None
    #: slowest mechanism speed we allow for, mm per second
    print_mm_per_s: float
    #: the ordinary answer timeout: what a ready printer needs on top of the work itself
    answer_s: float
    #: the most any job may take, send and proof together
    ceiling_s: float

    def link_s(self, nbytes: int) -> float:
        """Seconds to move ``nbytes`` over the link (0 when its speed is not known)."""
        if not self.link_bytes_per_s:
            return 0.0
        return nbytes / self.link_bytes_per_s

    def chunk_s(self, nbytes: int) -> float:
        """Deadline for one chunk write: its transfer time twice over, plus the answer timeout."""
        return self.answer_s + 2 * self.link_s(nbytes)

    def print_s(self, job: bytes) -> float:
        """Time the slowest mechanism we plan for needs to print the job, with the same margin."""
        return 1.5 * paper_mm(job) / self.print_mm_per_s

    def job_s(self, job: bytes) -> float:
        """Time for the whole job to be sent, printed and answered, within the ceiling."""
        work = self.link_s(len(job)) + paper_mm(job) / self.print_mm_per_s
        return min(self.ceiling_s, self.answer_s + 1.5 * work)


__all__ = ["DOTS_PER_MM", "LINE_MM", "Pace", "paper_mm"]
