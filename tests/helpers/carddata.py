"""The search the cardholder-data tests run over bytes: files at rest, logs, slips, CLI output.

One spelling list for every test that says "no card number here", so a new way of writing a
number (grouped, truncated) is searched for everywhere at once.
"""

from __future__ import annotations

from pathlib import Path


def grouped(number: str) -> str:
    """``4000000000000010`` as a clerk or a slip writes it: ``4000 0000 0000 0010``."""
    return " ".join(number[i : i + 4] for i in range(0, len(number), 4))


def secrets_in(data: bytes, numbers: list[str], codes: list[str]) -> list[str]:
    """Which card numbers (plain or grouped) or security-code fields appear in ``data``."""
    found = []
    for number in numbers:
        for spelling in (number, grouped(number), number[:-4]):
            if spelling.encode() in data:
                found.append(spelling)
    for code in codes:
        for spelling in (f'"cvc":"{code}"', f'"security_code":"{code}"', f'"cvc": "{code}"'):
            if spelling.encode() in data:
                found.append(spelling)
    for key in (b'"cvc"', b'"security_code"'):
        if key in data:
            found.append(key.decode())
    return found


def store_files(store_path: Path) -> list[Path]:
    """The store and everything SQLite keeps beside it (``-wal``, ``-shm``, ``-journal``)."""
    return [p for p in store_path.parent.iterdir() if p.name.startswith(store_path.name)]
