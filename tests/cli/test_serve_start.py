"""`kiosk serve` answers without the slip's rendering stack, and keeps one printer connection.

The real process (``browser_fixtures.serve_counter``: reference host, virtual printer, card
reader on a pty). What it has loaded is read from ``/proc/<pid>/maps``: Pillow's C extension is
mapped once the rendering side of python-escpos (or the virtual printer, or the slip PNG
preview) was imported, and must not be before the first slip (docs/internals.md, "Start to
first answer"; bench/README.md has the time and memory this saves).
"""

from __future__ import annotations

from pathlib import Path

from helpers.browser import ServedCounter, serve_counter

SALE = {
    "product": "card-topup",
    "target": "4000000000000010",
    "amount_minor": 5000,
    "cash_minor": 6000,
}


def _mapped(counter: ServedCounter, fragment: str) -> bool:
    maps = Path(f"/proc/{counter.process.pid}/maps").read_text(encoding="ascii", errors="replace")
    return fragment in maps


def test_serve_answers_without_the_rendering_stack_and_keeps_one_printer_link(
    tmp_path: Path,
) -> None:
    with serve_counter(tmp_path) as counter:
        status = counter.api("GET", "/status")
        assert status.status_code == 200, status.text
        assert status.json()["printer"]["can_print"] is True
        assert not _mapped(counter, "PIL/_imaging"), "Pillow was loaded before the first slip"

        first = counter.api("POST", "/sales", json=SALE)
        assert first.status_code == 200 and first.json()["state"] == "confirmed", first.text
        assert _mapped(counter, "PIL/_imaging"), "the slip was rendered without python-escpos?"

        before = counter.printer.connections
        for _ in range(3):
            sold = counter.api("POST", "/sales", json=SALE)
            assert sold.status_code == 200 and sold.json()["state"] == "confirmed", sold.text
        assert counter.api("GET", "/status").json()["printer"]["can_print"] is True
        assert counter.printer.connections == before, "a sale or status opened a connection"
