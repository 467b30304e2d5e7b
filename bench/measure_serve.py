"""`kiosk serve` for real: start to first answer, memory idle and after sales, and the latency
a sale adds over the printer's own time."""

from __future__ import annotations

import os
import shutil
import statistics
import subprocess
import sys
import time
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from common import best_of, figure, pct, si_config


def _free_port() -> int:
    import socket

    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def _rss_mb(pid: int) -> float:
    """Resident set size of ``pid`` now (``VmRSS``), in MiB."""
    for line in Path(f"/proc/{pid}/status").read_text(encoding="ascii").splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    raise RuntimeError(f"no VmRSS for process {pid}")


@contextmanager
def _serve_peers(folder: Path) -> Iterator[tuple[Any, Any, Path]]:
    """The reference host and the virtual printer on loopback, and a kiosk.toml (si preset)
    pointing at both, as ``make demo`` wires them."""
    from drivers.virtual_printer import VirtualPrinter
    from hostsim.server import HostServer
    from hostsim.store import HostStore

    db = folder / "host.sqlite"
    host = HostServer(db).start()
    printer = VirtualPrinter().start()  # no out_dir: no PNG per slip in this process
    try:
        config = si_config(folder, host_url=host.url, printer_port=printer.port)
        store = HostStore(db)
        store.add_terminal(config.terminal.id, config.terminal.key, "2026-01-01T00:00:00+00:00")
        store.close()
        yield host, printer, folder / "kiosk.toml"
    finally:
        printer.stop()
        host.stop()


def _start_kiosk(
    config_path: Path, token: str, *, pycache: Path | None = None, timeout_s: float = 120.0
) -> _Served:
    """``kiosk serve`` as its own process; ``first_answer_s``: from the spawn to its first
    200 to ``GET /api/v1/status`` (asked every 5 ms from the spawn on).

    ``pycache``: where the process keeps compiled bytecode (``PYTHONPYCACHEPREFIX``), as an
    installed kiosk has it (pip compiles the wheel); this bench's own environment may say
    ``PYTHONDONTWRITEBYTECODE``, which would compile every module at every start."""
    import requests

    env = dict(os.environ)
    if pycache is not None:
        env.pop("PYTHONDONTWRITEBYTECODE", None)
        env["PYTHONPYCACHEPREFIX"] = str(pycache)

    kiosk = shutil.which("kiosk", path=str(Path(sys.executable).parent)) or "kiosk"
    port = _free_port()
    log = config_path.with_name(f"serve-{port}.log")
    url = f"http://127.0.0.1:{port}"
    with requests.Session() as session, log.open("wb") as err:
        began = time.perf_counter()
        process = subprocess.Popen(
            [kiosk, "--config", str(config_path), "serve", "--port", str(port)],
            stdout=subprocess.DEVNULL,
            stderr=err,
            env=env,
        )
        served = _Served(process, url, token, 0.0, log, env=env)
        while True:
            if process.poll() is not None:
                raise RuntimeError(f"kiosk serve exited: {log.read_text(errors='replace')}")
            try:
                answer = served.call(session, "GET", "/api/v1/status", timeout=10)
                if answer.status_code == 200:
                    served.first_answer_s = time.perf_counter() - began
                    served.cpu_s = _cpu_s(process.pid)
                    return served
            except requests.ConnectionError:
                pass
            if time.perf_counter() - began > timeout_s:
                served.stop()
                raise RuntimeError(f"kiosk serve did not answer within {timeout_s} s")
            time.sleep(0.005)


def _cpu_s(pid: int) -> float:
    """User + system CPU seconds ``pid`` has used so far (``/proc/<pid>/stat``)."""
    fields = Path(f"/proc/{pid}/stat").read_text(encoding="ascii").rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def _idle_rss_mb(pid: int, settle_s: float) -> float:
    """The highest RSS seen over ``settle_s`` of idling (what start-up work left running on
    threads adds shows up here too)."""
    highest = 0.0
    until = time.perf_counter() + settle_s
    while time.perf_counter() < until:
        highest = max(highest, _rss_mb(pid))
        time.sleep(0.1)
    return max(highest, _rss_mb(pid))


def _bare_python_rss_mb(imports: str = "", env: Mapping[str, str] | None = None) -> float:
    """A bare interpreter (after ``import <imports>``) waiting on stdin: its RSS."""
    code = f"import {imports}; " if imports else ""
    process = subprocess.Popen(
        [
            sys.executable,
            "-c",
            code + "import sys; sys.stdout.write('up\\n'); sys.stdout.flush(); sys.stdin.read()",
        ],
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        env=env,
    )
    try:
        assert process.stdout is not None
        process.stdout.readline()
        return _rss_mb(process.pid)
    finally:
        assert process.stdin is not None
        process.stdin.close()
        process.wait(timeout=30)


def bench_serve(folder: Path, *, smoke: bool, cache: Path) -> dict[str, dict[str, Any]]:
    """``kiosk serve`` for real against the reference host and the virtual printer.

    Start: best of ``starts`` (the store, the capabilities cache, the bytecode and the OS file
    cache warm after the first, as on a counter), beside ``python -c pass``. Memory: RSS once
    started and idle, and after ``sales`` sales through the local API, beside a bare
    interpreter's. Latency: each sale's ``POST /api/v1/sales`` round trip less the virtual
    printer's own time for it (what its print side spent executing the sale's bytes:
    ``VirtualPrinter.busy_s``).
    """
    import requests

    starts = 2 if smoke else 5
    sales = 20 if smoke else 1000
    settle_s = 1.0 if smoke else 3.0
    body = {
        "product": "card-topup",
        "target": "4000000000000010",
        "amount_minor": 5000,
        "cash_minor": 6000,
    }
    with _serve_peers(folder) as (_host, printer, config_path):
        from terminal.config import load_config

        token = load_config(config_path).api.token or ""
        start_s: list[float] = []
        start_cpu_s: list[float] = []
        floor_s: list[float] = []
        served: _Served | None = None
        for n in range(starts):
            floor_s.append(best_of([sys.executable, "-c", "pass"], 1))
            served = _start_kiosk(config_path, token, pycache=cache / "pycache")
            start_s.append(served.first_answer_s)
            start_cpu_s.append(served.cpu_s)
            if n < starts - 1:
                served.stop()
        assert served is not None
        try:
            pid = served.process.pid
            idle_mb = _idle_rss_mb(pid, settle_s)
            bare_mb = _bare_python_rss_mb()
            framework_mb = _bare_python_rss_mb(FRAMEWORK_IMPORTS, served.env)
            added: list[float] = []
            printer_ms: list[float] = []
            rss_at: dict[int, float] = {}
            with requests.Session() as session:
                connections_before = printer.connections
                for n in range(1, sales + 1):
                    busy = printer.busy_s
                    began = time.perf_counter()
                    answer = served.call(session, "POST", "/api/v1/sales", json=body)
                    took = time.perf_counter() - began
                    assert answer.status_code == 200, answer.text
                    assert answer.json()["state"] == "confirmed", answer.text
                    own = printer.busy_s - busy
                    added.append((took - own) * 1000)
                    printer_ms.append(own * 1000)
                    if n in (10, 100) or n == sales:
                        rss_at[n] = _rss_mb(pid)
                connections = printer.connections - connections_before
            after_mb = _idle_rss_mb(pid, settle_s)
        finally:
            served.stop()
    log = served.log.read_text(errors="replace")
    if "Traceback" in log:
        raise AssertionError(f"kiosk serve logged a traceback: {log[-3000:]}")
    return {
        "serve_start_s": figure(
            min(start_s),
            min(floor_s),
            goal="value <= 1.0 s",
            unit="s (best of starts; spawn to the first 200 of GET /api/v1/status)",
            starts=starts,
            median_s=round(statistics.median(start_s), 3),
            cpu_s_at_first_answer=round(min(start_cpu_s), 3),
            reference_median_s=round(statistics.median(floor_s), 3),
            note="reference: python -c pass, interleaved with the starts",
        ),
        "serve_rss_idle_mb": figure(
            idle_mb,
            bare_mb,
            goal="value <= 60 MB",
            unit="MiB (VmRSS)",
            settle_s=settle_s,
            framework_floor_mb=round(framework_mb, 1),
            note="reference: a bare python waiting on stdin; framework_floor_mb: one that "
            f"imported {FRAMEWORK_IMPORTS} only",
        ),
        "serve_rss_after_1000_sales_mb": figure(
            after_mb,
            idle_mb,
            goal="value <= 60 MB, flat with sales (ratio to idle close to 1)",
            unit="MiB (VmRSS)",
            sales=sales,
            rss_after_n_sales_mb={str(k): round(v, 1) for k, v in sorted(rss_at.items())},
            note="reference: the same process idle before its first sale",
        ),
        "sell_to_confirmed_added_ms": figure(
            statistics.median(added),
            statistics.median(printer_ms),
            goal="value <= 50 ms, one printer connection reused",
            unit="ms (p50 of POST /api/v1/sales less the printer's own time)",
            sales=sales,
            p99_ms=round(pct(added, 0.99), 3),
            first_sale_ms=round(added[0], 1),
            printer_connections_during_sales=connections,
            note="reference: the virtual printer's own time per sale (its print side busy); "
            "the value includes the reference host's round trip on loopback",
        ),
    }


# -- main ------------------------------------------------------------------------------------


@dataclass
class _Served:
    """One ``kiosk serve`` process and the local API's address and token."""

    process: subprocess.Popen[bytes]
    url: str
    token: str
    first_answer_s: float
    log: Path
    #: CPU seconds the process had used at its first answer (what the load does not change)
    cpu_s: float = 0.0
    #: the environment it ran with
    env: dict[str, str] | None = None

    def call(self, session: Any, method: str, path: str, **kw: Any) -> Any:
        kw.setdefault("timeout", 30)
        headers = {"Authorization": f"Bearer {self.token}"}
        return session.request(method, self.url + path, headers=headers, **kw)

    def stop(self) -> None:
        if self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(timeout=30)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait(timeout=30)


#: What any process serving the local API loads whatever the kiosk does (the frameworks, the
#: HTTP client and SQLite): the profile's floor, measured beside the kiosk.
FRAMEWORK_IMPORTS = "fastapi, uvicorn, requests, sqlite3, click"
