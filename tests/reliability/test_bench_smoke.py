"""The benchmark suite runs and reports every figure the issue names (smoke sizes: not timed).

`make bench-smoke` (part of `make test`) installs the bench set first; without persist-queue
this test is skipped, never passed.
"""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
KEYS = {
    "sale_overhead_vs_fsync_floor",
    "sale_overhead_p99_ms",
    "outbox_vs_persist_queue",
    "outbox_sale_and_advice_vs_persist_queue",
    "drain_vs_one_request_per_advice",
    "drain_advices_per_s",
    "slip_render_escpos_ms",
    "status_ms_at_1m_transactions",
    "x_report_ms_at_1m_transactions",
    "kiosk_help_s",
    "serve_start_s",
    "serve_rss_idle_mb",
    "serve_rss_after_1000_sales_mb",
    "sell_to_confirmed_added_ms",
}


def test_every_figure_is_measured_beside_its_reference(tmp_path: Path) -> None:
    pytest.importorskip("persistqueue", reason="the bench set is not installed (make bench)")
    done = subprocess.run(
        [
            sys.executable,
            str(ROOT / "bench" / "run.py"),
            "--json",
            "--smoke",
            "--dir",
            str(tmp_path / "scratch"),
            "--cache",
            str(tmp_path / "cache"),
        ],
        capture_output=True,
        text=True,
        timeout=600,
        check=False,
    )
    assert done.returncode == 0, done.stderr[-3000:]
    results = json.loads(done.stdout)
    assert set(results) >= KEYS
    for key in KEYS:
        figure = results[key]
        assert {"value", "reference", "ratio", "goal", "unit"} <= set(figure), key
        assert figure["value"] > 0 and figure["reference"] > 0, key
    assert results["sale_overhead_vs_fsync_floor"]["durable_commits_per_sale"] == 3
    assert results["sale_overhead_vs_fsync_floor"]["cpu_ms_p50"] > 0
    drain = results["drain_advices_per_s"]
    assert drain["terminal_cpu_ms_per_advice"] > 0 and drain["host_cpu_ms_per_advice"] > 0
    assert results["drain_vs_one_request_per_advice"]["pipeline_depth"] == 2
    counts = results["status_ms_at_1m_transactions"]["outbox_counts"]
    assert sum(counts.values()) == 300  # one advice per generated sale, all kept (none old)
    # kiosk serve keeps its one printer connection across sales
    assert results["sell_to_confirmed_added_ms"]["printer_connections_during_sales"] == 0
    assert results["machine"]["smoke"] is True
