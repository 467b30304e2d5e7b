"""Slip rendering against python-escpos's Dummy, the status and X report on a long history,
and `kiosk --help` against a bare interpreter."""

from __future__ import annotations

import shutil
import statistics
import sys
import time
from collections.abc import Mapping
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import history
from common import Sizes, best_of, figure, si_config


def _dummy_render(doc: Any) -> bytes:
    """python-escpos's Dummy fed the same lines: text, columns padded, QR, cut."""
    from escpos.printer import Dummy

    from printer_templates.document import Columns, Cut, Feed, QRCode, Rule, TextLine

    p = Dummy(profile="TM-T88V")
    for element in doc.elements:
        if isinstance(element, TextLine):
            p.set(align=element.align, bold=element.bold)
            p.text(element.text + "\n")
        elif isinstance(element, Columns):
            room = 42 - len(element.right) - 1
            p.text(element.left[:room].ljust(room) + " " + element.right + "\n")
        elif isinstance(element, Rule):
            p.text(element.char * 42 + "\n")
        elif isinstance(element, QRCode):
            p.qr(element.data, native=True)
        elif isinstance(element, Feed):
            p.print_and_feed(max(1, element.lines))
        elif isinstance(element, Cut):
            p.cut()
    return bytes(p.output)


def _sample_slips(folder: Path) -> dict[str, Any]:
    from foundation.clock import ManualClock
    from offline_queue.store import Store
    from terminal import slips
    from terminal.sale import _target_dict
    from terminal.validation import validate_target

    config = si_config(folder)
    clock = ManualClock(start=datetime(2026, 5, 1, 10, tzinfo=UTC))
    with Store(folder / "slips.sqlite", terminal_id="12345", clock=clock) as store:
        product = config.product("card-topup")
        target = validate_target(product, "4000000000000010", region=config.terminal.region)
        record = store.record(
            product="card-topup",
            currency="EUR",
            amount_minor=5000,
            fees=[],
            total_minor=5000,
            cash_minor=5200,
            change_minor=200,
            target=_target_dict(target),
            details={},
        )
        record = store.transition(record.txn, "authorized", updates={"auth_code": "A12345"})
        doc = slips.render_sale(config, record, printed_at=clock.now())
    return {"si_card_topup": (doc, config.printer.profile, config.printer.width)}


def bench_render(folder: Path, repeats: int) -> dict[str, dict[str, Any]]:
    from drivers.printer.escpos_output import render_job

    out: dict[str, dict[str, Any]] = {}
    for name, (doc, profile, width) in _sample_slips(folder).items():
        render_job(doc, profile=profile, width=width)
        _dummy_render(doc)
        ours: list[float] = []
        theirs: list[float] = []
        for _ in range(repeats):
            began = time.perf_counter()
            render_job(doc, profile=profile, width=width)
            ours.append((time.perf_counter() - began) * 1000)
            began = time.perf_counter()
            _dummy_render(doc)
            theirs.append((time.perf_counter() - began) * 1000)
        key = "slip_render_escpos_ms" if name == "si_card_topup" else f"slip_render_{name}_ms"
        out[key] = figure(
            statistics.median(ours),
            statistics.median(theirs),
            goal="value <= 2 ms",
            unit="ms",
            slip=name,
        )
    return out


# -- status at a long history ----------------------------------------------------------------


def _status_ms(path: Path, repeats: int) -> tuple[float, Mapping[str, Any]]:
    from foundation.clock import ManualClock
    from offline_queue.store import Store

    clock = ManualClock(start=datetime(2027, 1, 1, tzinfo=UTC))
    with Store(path, terminal_id=history.TERMINAL_ID, clock=clock, key=history.KEY) as store:
        store.outbox_status()
        samples: list[float] = []
        x_samples: list[float] = []
        answer: Mapping[str, Any] = {}
        for _ in range(repeats):
            began = time.perf_counter()
            outbox = store.outbox_status()
            exposure = store.unforwarded_offline_exposure()
            samples.append((time.perf_counter() - began) * 1000)
            began = time.perf_counter()
            figures = store.period_figures()  # the X report since the last Z
            x_samples.append((time.perf_counter() - began) * 1000)
            answer = {
                "counts": outbox["counts"],
                "exposure": sorted(exposure),
                "x_sales": sum(line.count for line in figures.sales),
                "x_ms": statistics.median(x_samples),
            }
    return statistics.median(samples), answer


def bench_status(
    folder: Path, sizes: Sizes, cache: Path, store: Path | None = None
) -> dict[str, dict[str, Any]]:
    """``store``: measure a snapshot of that (possibly still generating) store instead."""
    transactions = sizes.status_transactions
    if store is not None:
        big, transactions = history.snapshot(store, folder)
        generated = None
    else:
        big, generated = history.cached(cache, sizes.status_transactions)
        big = history.working_copy(big, folder)
    small, _ = history.cached(cache, sizes.status_reference_transactions)
    big_ms, big_answer = _status_ms(big, sizes.status_repeats)
    small_ms, small_answer = _status_ms(history.working_copy(small, folder), sizes.status_repeats)
    return {
        "x_report_ms_at_1m_transactions": figure(
            big_answer["x_ms"],
            small_answer["x_ms"],
            goal="flat with history (running totals, not the journal since the last Z)",
            unit="ms",
            transactions=transactions,
            sales_in_the_period=big_answer["x_sales"],
            reference_transactions=sizes.status_reference_transactions,
            note="Store.period_figures(): the figures an X report prints, over a period that "
            "holds every sale of the history (no Z in it)",
        ),
        "status_ms_at_1m_transactions": figure(
            big_ms,
            small_ms,
            goal="value <= 5 ms, flat with history",
            unit="ms",
            transactions=transactions,
            reference_transactions=sizes.status_reference_transactions,
            outbox_counts=big_answer["counts"],
            generated_s=None if generated is None else round(generated, 1),
            note="the store's part of /api/v1/status (outbox, offline exposure); the printer's "
            "DLE EOT round trip is not history",
        ),
    }


# -- start-up --------------------------------------------------------------------------------


def bench_startup(runs: int) -> dict[str, dict[str, Any]]:
    kiosk = shutil.which("kiosk", path=str(Path(sys.executable).parent)) or "kiosk"
    help_s = best_of([kiosk, "--help"], runs)
    floor_s = best_of([sys.executable, "-c", "pass"], runs)
    return {
        "kiosk_help_s": figure(
            help_s, floor_s, goal="value <= 0.3 s", unit="s (best of runs)", runs=runs
        )
    }


# -- kiosk serve: start to first answer, memory, sale latency (a real process) ---------------
