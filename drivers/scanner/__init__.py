"""Barcode / QR scanner: slip transaction numbers and card-voucher card numbers.

:mod:`.codes` says what a scanned line means; :mod:`.serial_scanner` reads a serial scanner
with the card reader's own line assembler and reader thread; keyboard-wedge scanners go through
:class:`drivers.card_reader.wedge.WedgeAssembler`, which tells swipes from scans.
"""

from drivers.scanner.codes import TXN_PREFIX, ScanEvent, parse_scan, slip_qr_payload
from drivers.scanner.serial_scanner import ScanStreamDecoder, SerialScanner

__all__ = [
    "TXN_PREFIX",
    "ScanEvent",
    "ScanStreamDecoder",
    "SerialScanner",
    "parse_scan",
    "slip_qr_payload",
]
