"""What a scanned code means at this counter.

Two things are worth scanning here, and the slip templates encode them so:

* the QR code on our own slips: the transaction number, ``TXN:<14 digits>`` (the slips print
  this form), or the bare 14 digits (a hand-made or older QR) -- for look-up and storno;
* the barcode on a Simple card voucher: the card number, 12-19 digits passing Luhn, bare or
  with a ``CARD:`` / ``PAN:`` prefix -- for a card top-up without typing 16 digits.

**Decision**: bare 14 digits are a transaction number, never a card number, so a voucher whose
card number has 14 digits must carry the ``CARD:`` prefix. AIM symbology identifiers that some
scanners prepend (``]C0`` for CODE128, ``]Q1`` for QR) are removed first.
"""

from __future__ import annotations

import re

from stdnum import luhn

from drivers.card_reader.events import (
    ScannedCard,
    ScannedTransaction,
    UnrecognisedScan,
    mask_digit_runs,
)

TXN_DIGITS = 14
#: The form our slips' QR codes carry; :func:`slip_qr_payload` builds it.
TXN_PREFIX = "TXN:"

_AIM = re.compile(r"\][A-Za-z][0-9A-Za-z]")
_TXN = re.compile(r"(?:TXN:)?([0-9]{14})", re.IGNORECASE)
_TXN_LIKE = re.compile(r"TXN:.*", re.IGNORECASE)
_CARD = re.compile(r"(?P<prefix>(?:CARD|PAN):)?(?P<pan>[0-9]{12,19})", re.IGNORECASE)
_MAX_SHOWN = 200

ScanEvent = ScannedTransaction | ScannedCard | UnrecognisedScan


def slip_qr_payload(txn: str) -> str:
    """The text a slip's QR code should encode for ``txn``, the form :func:`parse_scan` reads."""
    if not (len(txn) == TXN_DIGITS and txn.isascii() and txn.isdigit()):
        raise ValueError("a transaction number is exactly 14 digits")
    return f"{TXN_PREFIX}{txn}"


def _shown(text: str) -> str:
    printable = "".join(ch if ch.isprintable() else "\N{REPLACEMENT CHARACTER}" for ch in text)
    return mask_digit_runs(printable[:_MAX_SHOWN])


def parse_scan(text: str) -> ScanEvent:
    """The meaning of one scanned line; anything else is :class:`UnrecognisedScan`."""
    code = text.strip()
    if _AIM.match(code):
        code = code[3:].strip()
    match = _TXN.fullmatch(code)
    if match is not None:
        return ScannedTransaction(match[1])
    if _TXN_LIKE.fullmatch(code):
        return UnrecognisedScan(
            _shown(code),
            "This slip code is damaged (a transaction number has 14 digits): "
            "scan it again or type the number printed on the slip.",
        )
    match = _CARD.fullmatch(code)
    if match is not None:
        pan = match["pan"]
        if luhn.is_valid(pan):
            return ScannedCard(pan=pan, last4=pan[-4:])
        return UnrecognisedScan(
            _shown(code),
            "This card number fails its check digit: scan the voucher again "
            "or type the number printed on it.",
        )
    return UnrecognisedScan(_shown(code))


__all__ = ["TXN_DIGITS", "TXN_PREFIX", "ScanEvent", "parse_scan", "slip_qr_payload"]
