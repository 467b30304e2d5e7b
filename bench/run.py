"""The benchmark suite: every figure measured beside its reference in the same run.

``python bench/run.py --json`` prints one JSON object; each key is
``{"value", "reference", "ratio", "goal", "unit"}`` (plus ``"note"`` where a figure needs one).
``ratio`` is how the value compares with the reference in the direction the goal states
(``"x faster"``: reference time / our time; otherwise value / reference). ``--smoke`` runs tiny
sizes (CI: it proves the suite runs, not how fast). bench/README.md keeps the last figures.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
import uuid
from collections.abc import Callable, Iterator, Mapping, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

BENCH = Path(__file__).resolve().parent
ROOT = BENCH.parent
sys.path.insert(0, str(BENCH))

import history  # noqa: E402  (bench/ is not a package)


@dataclass(frozen=True)
class Sizes:
    sales: int
    outbox_items: int
    drain_advices: int
    render_repeats: int
    status_transactions: int
    status_reference_transactions: int
    status_repeats: int


FULL = Sizes(
    sales=300,
    outbox_items=10_000,
    drain_advices=10_000,
    render_repeats=100,
    status_transactions=1_000_000,
    status_reference_transactions=100,
    status_repeats=50,
)
SMOKE = Sizes(
    sales=8,
    outbox_items=60,
    drain_advices=150,
    render_repeats=5,
    status_transactions=300,
    status_reference_transactions=100,
    status_repeats=5,
)


def figure(
    value: float, reference: float, *, goal: str, unit: str, faster: bool = False, **extra: Any
) -> dict[str, Any]:
    """One result. ``faster``: ratio = reference / value (how many times faster we are)."""
    ratio = (
        (reference / value if value else float("inf"))
        if faster
        else (value / reference if reference else float("inf"))
    )
    return {
        "value": round(value, 4),
        "reference": round(reference, 4),
        "ratio": round(ratio, 3),
        "goal": goal,
        "unit": unit,
        **extra,
    }


def pct(samples: Sequence[float], fraction: float) -> float:
    ordered = sorted(samples)
    return ordered[min(len(ordered) - 1, int(fraction * len(ordered)))]


# -- sale overhead against the fsync floor ---------------------------------------------------


def _si_config(folder: Path, *, host_url: str = "http://127.0.0.1:9", printer_port: int = 9) -> Any:
    from terminal.config import load_config, write_preset

    folder.mkdir(parents=True, exist_ok=True)
    path = folder / "kiosk.toml"
    write_preset(path, "si", terminal_id="12345")
    text = path.read_text(encoding="utf-8")
    text = text.replace("tcp://127.0.0.1:9100", f"tcp://127.0.0.1:{printer_port}")
    text = text.replace("http://127.0.0.1:8700", host_url)
    path.write_text(text, encoding="utf-8")
    return load_config(path)


class _InstantHost:
    """Approves at once: the sale's own cost without a host round trip."""

    def provision(self, request: Any) -> Any:
        from terminal.host_client import ProvisionResult

        return ProvisionResult(
            status="approved", txn=request.txn, message_id=request.message_id, auth_code="A1"
        )

    def imei_quote(self, imeis: Sequence[str], model: str | None = None) -> Any:
        raise NotImplementedError("the benchmark sells card top-ups only")


def _instant_printer(profile: str, width: int) -> Any:
    """Renders every slip to ESC/POS (terminal work) and reports it printed at once (no
    printer mechanics, no link)."""
    from drivers.printer.base import PrintOutcome, ReceiptPrinter
    from drivers.printer.status import PrinterStatus

    class InstantPrinter(ReceiptPrinter):
        can_prove_print = True

        def status(self) -> PrinterStatus:
            return PrinterStatus(state="ready", online=True)

        def print_slip(self, doc: Any) -> PrintOutcome:
            self.render(doc)
            return PrintOutcome.PRINTED

        def kick_drawer(self, pin: int = 2) -> None:
            self.drawer_pulse(pin)

        def close(self) -> None:
            pass

    return InstantPrinter(profile=profile, width=width)


def fsync_floor(folder: Path, commits: int, samples: int) -> list[float]:
    """``commits`` x (write 4 KiB + fsync) on the store's disk, in ms, ``samples`` times."""
    path = folder / "floor.bin"
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_APPEND, 0o600)
    block = os.urandom(4096)
    out: list[float] = []
    try:
        for _ in range(samples):
            began = time.perf_counter()
            for _ in range(commits):
                os.write(fd, block)
                os.fsync(fd)
            out.append((time.perf_counter() - began) * 1000)
    finally:
        os.close(fd)
    return out


def bench_sale(folder: Path, sales: int) -> dict[str, dict[str, Any]]:
    from foundation.clock import SystemClock
    from offline_queue.store import Store
    from terminal.counter import Counter
    from terminal.sale import SaleRequest, SaleService

    config = _si_config(folder)
    clock = SystemClock()
    store = Store(
        folder / "kiosk.sqlite", terminal_id="12345", clock=clock, key=config.terminal.key
    )
    printer = _instant_printer(config.printer.profile, config.printer.width)
    counter = Counter(config=config, store=store, printer=printer, clock=clock)
    service = SaleService(
        config=config, store=store, counter=counter, host=_InstantHost(), clock=clock
    )
    request = SaleRequest(
        product="card-topup", target="4000000000000010", amount_minor=5000, cash_minor=5200
    )
    try:
        service.sell(request)  # warm-up: templates, the encoder, the first pages
        took: list[float] = []
        cpu: list[float] = []
        floors: list[float] = []
        before = dict(store.commits)
        for _ in range(sales):
            began, began_cpu = time.perf_counter(), time.process_time()
            result = service.sell(request)
            took.append((time.perf_counter() - began) * 1000)
            cpu.append((time.process_time() - began_cpu) * 1000)
            assert result.ok, result
            durable = 3  # checked below against the store's own count
            floors += fsync_floor(folder, durable, 1)  # interleaved: same load, same disk
        per_sale = (store.commits["durable"] - before["durable"]) / sales
    finally:
        store.close()
    if per_sale != 3:
        raise AssertionError(f"{per_sale} durable commits per sale, the floor assumed 3")
    return {
        "sale_overhead_vs_fsync_floor": figure(
            statistics.median(took),
            statistics.median(floors),
            goal="ratio <= 2 (p50 against 3 x write+fsync)",
            unit="ms",
            durable_commits_per_sale=per_sale,
            # the sale's own CPU (this process): what is left when the disk and the other
            # programs on the machine are taken out
            cpu_ms_p50=round(statistics.median(cpu), 3),
            p99_ms=round(pct(took, 0.99), 3),
            floor_p99_ms=round(pct(floors, 0.99), 3),
        ),
        "sale_overhead_p99_ms": figure(
            pct(took, 0.99),
            pct(floors, 0.99),
            goal="value <= 10 ms",
            unit="ms",
        ),
    }


# -- outbox against persist-queue ------------------------------------------------------------


def bench_outbox(folder: Path, items: int) -> dict[str, dict[str, Any]]:
    """``items`` put + claim + ack with full durability, against persist-queue's SQLiteAckQueue.

    Our put is the sale's confirming commit (state, journal, advice in one fsync), claims and
    acknowledgements go by the forwarder's batches of 100; persist-queue puts, gets and acks
    one item at a time, each its own commit (auto_commit, its default). The puts are
    interleaved item by item (ours, the same confirming commit without an advice, theirs), so
    the machine's load falls on all three alike.

    Two figures: ``outbox_vs_persist_queue`` counts our whole confirming commit against
    their bare put (the sale's state and journal are on our side only);
    ``outbox_sale_and_advice_vs_persist_queue`` counts the same work on both sides: a
    confirmed sale whose advice reached the host, ours in one commit, theirs the sale's
    confirming commit without an advice plus persist-queue's put, get and ack."""
    import persistqueue

    from foundation.clock import ManualClock
    from offline_queue.store import OutboxMessage, Store

    clock = ManualClock(start=datetime(2026, 1, 1, tzinfo=UTC))
    store = Store(folder / "outbox.sqlite", terminal_id="12345", clock=clock)
    queue = persistqueue.SQLiteAckQueue(str(folder / "pq"), auto_commit=True)
    pq_sync = queue._getter.execute("PRAGMA synchronous").fetchone()[0]
    with_advice: list[str] = []
    without: list[str] = []
    put_s = confirm_only_s = pq_put_s = 0.0
    try:
        with store.bulk():  # the sales up to printing: not what is measured
            for n in range(2 * items):
                record = store.record(
                    product="mts_topup",
                    currency="RSD",
                    amount_minor=50_000,
                    fees=[],
                    total_minor=50_000,
                    cash_minor=0,
                    change_minor=0,
                    target={"kind": "phone", "value": f"+38164{n:07d}"},
                    details={},
                )
                store.transition(record.txn, "authorized")
                store.transition(record.txn, "printing")
                (with_advice if n % 2 == 0 else without).append(record.txn)
        for txn, plain in zip(with_advice, without, strict=True):
            began = time.perf_counter()
            store.transition(
                txn, "confirmed", outbox=[OutboxMessage("confirm", {"txn": txn, "n": 1})]
            )
            put_s += time.perf_counter() - began
            began = time.perf_counter()
            store.transition(plain, "confirmed")
            confirm_only_s += time.perf_counter() - began
            began = time.perf_counter()
            queue.put({"txn": plain, "kind": "confirm", "n": 1})
            pq_put_s += time.perf_counter() - began
        began = time.perf_counter()
        acked = 0
        while True:
            batch = store.claim_due(limit=100, lease_s=30)
            if not batch:
                break
            store.settle_batch(delivered=[(m.message_id, None) for m in batch])
            acked += len(batch)
        claim_ack_s = time.perf_counter() - began
        assert acked == items, acked
        sync = store.connection_pragmas()["synchronous"]
    finally:
        store.close()
    began = time.perf_counter()
    for _ in without:
        item = queue.get(block=False)
        queue.ack(item)
    pq_get_ack_s = time.perf_counter() - began
    ours = put_s + claim_ack_s
    theirs = pq_put_s + pq_get_ack_s
    split = {
        "items": items,
        "put_ms": round(put_s * 1000, 1),
        "claim_ack_ms": round(claim_ack_s * 1000, 1),
        "confirm_without_advice_ms": round(confirm_only_s * 1000, 1),
        "reference_put_ms": round(pq_put_s * 1000, 1),
        "reference_get_ack_ms": round(pq_get_ack_s * 1000, 1),
    }
    return {
        "outbox_vs_persist_queue": figure(
            ours * 1000,
            theirs * 1000,
            goal="ratio >= 3 (times faster)",
            unit="ms for all items",
            faster=True,
            **split,
            note=(
                "our put is the sale's whole confirming commit (state, journal, advice), theirs "
                f"a bare row; synchronous={sync} (ours, WAL) vs {pq_sync} (persist-queue "
                f"{persistqueue.__version__}, its defaults, WAL)"
            ),
        ),
        "outbox_sale_and_advice_vs_persist_queue": figure(
            ours * 1000,
            (confirm_only_s + theirs) * 1000,
            goal="ratio >= 3 (times faster)",
            unit="ms for all items",
            faster=True,
            **split,
            note=(
                "the same work both ways: a confirmed sale whose advice was delivered; theirs "
                "is the confirming commit without an advice plus persist-queue put, get, ack"
            ),
        ),
    }


# -- backlog drain ---------------------------------------------------------------------------


@dataclass(frozen=True)
class _RunningHost:
    url: str
    pid: int

    def cpu_s(self) -> float:
        """The host process's CPU time so far (user + system), from /proc."""
        fields = Path(f"/proc/{self.pid}/stat").read_text().rsplit(")", 1)[1].split()
        return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


@contextmanager
def _host(folder: Path, name: str, config: Any) -> Iterator[_RunningHost]:
    """A fresh reference host in a process of its own (``kiosk-host serve``), as a real host
    is: in-process, its threads would share the terminal's interpreter lock and the figure
    would measure the two taking turns, not the terminal."""
    from hostsim.store import HostStore

    db = folder / f"{name}.sqlite"
    store = HostStore(db)
    store.add_terminal(config.terminal.id, config.terminal.key, "2026-01-01T00:00:00+00:00")
    store.close()
    process = subprocess.Popen(
        [sys.executable, "-m", "hostsim.cli", "serve", "--db", str(db), "--port", "0"],
        cwd=ROOT,
        stdout=subprocess.PIPE,
        text=True,
    )
    try:
        assert process.stdout is not None
        line = process.stdout.readline()  # "kiosk-host listening on http://127.0.0.1:PORT"
        if "listening on " not in line:
            raise RuntimeError(f"the reference host did not start: {line!r}")
        yield _RunningHost(line.rsplit(" ", 1)[1].strip(), process.pid)
    finally:
        process.terminate()
        process.wait(timeout=30)


def _offline_backlog(store: Any, config: Any, advices: int) -> list[dict[str, Any]]:
    """``advices`` offline card top-ups confirmed in ``store``; the bodies one request each
    would send (same advices, their own message ids)."""
    from offline_queue import states
    from offline_queue.store import OutboxMessage
    from terminal.advices import advice_payload
    from terminal.sale import _target_dict
    from terminal.validation import validate_target

    product = config.product("card-topup")
    bodies: list[dict[str, Any]] = []
    with store.bulk():
        for n in range(advices):
            card = _luhn(f"400000{n:09d}")
            target = validate_target(product, card, region=config.terminal.region)
            record = store.record(
                product="card-topup",
                currency="EUR",
                amount_minor=5000,
                fees=[],
                total_minor=5000,
                cash_minor=0,
                change_minor=0,
                target=_target_dict(target),
                details={"provision_message_id": uuid.uuid4().hex},
            )
            store.transition(record.txn, states.OFFLINE_ACCEPTED)
            record = store.transition(record.txn, states.PRINTING)
            printed = store.clock.now()
            payload = advice_payload(record, states.OFFLINE_SALE, printed_at=printed, target=card)
            store.transition(
                record.txn,
                states.CONFIRMED,
                updates={"printed_at": printed},
                outbox=[
                    OutboxMessage(
                        states.OFFLINE_SALE,
                        payload,
                        after_delivery=advice_payload(
                            record, states.OFFLINE_SALE, printed_at=printed
                        ),
                    )
                ],
            )
            bodies.append(
                {
                    "message_id": uuid.uuid4().hex,
                    "txn": record.txn,
                    "kind": states.OFFLINE_SALE,
                    "payload": payload,
                }
            )
    return bodies


def _luhn(stem: str) -> str:
    total = 0
    for index, char in enumerate(reversed(stem)):
        digit = int(char)
        if index % 2 == 0:
            digit *= 2
            digit -= 9 if digit > 9 else 0
        total += digit
    return stem + str((10 - total % 10) % 10)


def _client(config: Any, url: str, clock: Any) -> Any:
    """The terminal's host client (its signing key), pointed at ``url``."""
    from terminal.host_client import HostClient

    return HostClient(
        url,
        terminal_id=config.terminal.id,
        key=config.terminal.key,
        connect_timeout_s=config.host.connect_timeout_s,
        read_timeout_s=config.host.read_timeout_s,
        clock=clock,
    )


def bench_drain(folder: Path, advices: int) -> dict[str, dict[str, Any]]:
    from foundation.clock import SystemClock
    from offline_queue.forwarder import Forwarder
    from offline_queue.store import Store

    config = _si_config(folder)
    clock = SystemClock()
    store = Store(
        folder / "drain.sqlite", terminal_id="12345", clock=clock, key=config.terminal.key
    )
    try:
        bodies = _offline_backlog(store, config, advices)
        with _host(folder, "host-reference", config) as reference_host:
            client = _client(config, reference_host.url, clock)
            began = time.perf_counter()
            accepted = 0
            for body in bodies:
                response = client._request("POST", "/v1/advice", body)
                accepted += response.status_code == 200
            one_by_one = time.perf_counter() - began
        assert accepted == advices, accepted
        with _host(folder, "host-batched", config) as batched_host:
            sender = _client(config, batched_host.url, clock)
            sender.journal_head = store.journal_head
            forwarder = Forwarder(store, sender.send_advices, clock=clock)
            host_cpu, our_cpu = batched_host.cpu_s(), time.process_time()
            began = time.perf_counter()
            report = forwarder.drain(timeout_s=600, max_cycles=1_000_000)
            drained = time.perf_counter() - began
            host_cpu, our_cpu = batched_host.cpu_s() - host_cpu, time.process_time() - our_cpu
        # the host answers every advice (a few generated cards are the host's KYC test cases,
        # refused for good: answered all the same, one request each in the reference too)
        assert report.delivered + report.dead == advices, report
    finally:
        store.close()
    ours_rate = advices / drained
    reference_rate = advices / one_by_one
    return {
        "drain_vs_one_request_per_advice": figure(
            drained * 1000,
            one_by_one * 1000,
            goal="ratio >= 10 (times faster)",
            unit="ms for all advices",
            faster=True,
            advices=advices,
            batch=forwarder.batch_size,
            pipeline_depth=forwarder.pipeline_depth,
        ),
        "drain_advices_per_s": figure(
            ours_rate,
            reference_rate,
            goal="value >= 2000 /s",
            unit="advices/s",
            note="reference: one POST /v1/advice per advice, same host, same advices; the "
            "host runs in a process of its own (kiosk-host serve)",
            terminal_cpu_ms_per_advice=round(our_cpu * 1000 / advices, 4),
            host_cpu_ms_per_advice=round(host_cpu * 1000 / advices, 4),
            # what the CPU alone allows, whatever else the machine runs: the slower side
            cpu_bound_advices_per_s=round(advices / max(our_cpu, host_cpu, 1e-9), 1),
        ),
    }


# -- slip render -----------------------------------------------------------------------------


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

    config = _si_config(folder)
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
        answer: Mapping[str, Any] = {}
        for _ in range(repeats):
            began = time.perf_counter()
            outbox = store.outbox_status()
            exposure = store.unforwarded_offline_exposure()
            samples.append((time.perf_counter() - began) * 1000)
            answer = {"counts": outbox["counts"], "exposure": sorted(exposure)}
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
    small_ms, _ = _status_ms(history.working_copy(small, folder), sizes.status_repeats)
    return {
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
        )
    }


# -- start-up --------------------------------------------------------------------------------


def _best_of(command: Sequence[str], runs: int) -> float:
    best = float("inf")
    for _ in range(runs):
        began = time.perf_counter()
        subprocess.run(command, check=True, capture_output=True, timeout=60)
        best = min(best, time.perf_counter() - began)
    return best


def bench_startup(runs: int) -> dict[str, dict[str, Any]]:
    kiosk = shutil.which("kiosk", path=str(Path(sys.executable).parent)) or "kiosk"
    help_s = _best_of([kiosk, "--help"], runs)
    floor_s = _best_of([sys.executable, "-c", "pass"], runs)
    return {
        "kiosk_help_s": figure(
            help_s, floor_s, goal="value <= 0.3 s", unit="s (best of runs)", runs=runs
        )
    }


# -- kiosk serve: start to first answer, memory, sale latency (a real process) ---------------


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
        config = _si_config(folder, host_url=host.url, printer_port=printer.port)
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


#: What any process serving the local API loads whatever the kiosk does (the frameworks, the
#: HTTP client and SQLite): the profile's floor, measured beside the kiosk.
FRAMEWORK_IMPORTS = "fastapi, uvicorn, requests, sqlite3, click"


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
            floor_s.append(_best_of([sys.executable, "-c", "pass"], 1))
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

#: --status-store, when given
STATUS_STORE: list[Path] = []

BENCHES: dict[str, Callable[[Path, Sizes, Path], dict[str, dict[str, Any]]]] = {
    "sale": lambda f, s, c: bench_sale(f, s.sales),
    "outbox": lambda f, s, c: bench_outbox(f, s.outbox_items),
    "drain": lambda f, s, c: bench_drain(f, s.drain_advices),
    "render": lambda f, s, c: bench_render(f, s.render_repeats),
    "status": lambda f, s, c: bench_status(f, s, c, STATUS_STORE[0] if STATUS_STORE else None),
    "startup": lambda f, s, c: bench_startup(3 if s is SMOKE else 7),
    "serve": lambda f, s, c: bench_serve(f, smoke=s is SMOKE, cache=c),
}


def main(argv: Sequence[str] | None = None) -> dict[str, Any]:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--json", action="store_true", help="print one JSON object")
    parser.add_argument("--smoke", action="store_true", help="tiny sizes (CI)")
    parser.add_argument("--only", action="append", choices=sorted(BENCHES), default=None)
    parser.add_argument(
        "--dir", type=Path, default=ROOT / "var" / "bench", help="scratch folder (the disk tested)"
    )
    parser.add_argument(
        "--cache", type=Path, default=ROOT / "var" / "bench-cache", help="generated histories"
    )
    parser.add_argument("--status-transactions", type=int, default=None)
    parser.add_argument(
        "--status-store",
        type=Path,
        default=None,
        help="measure status on a snapshot of this store (e.g. a history still generating)",
    )
    args = parser.parse_args(argv)
    if args.status_store is not None:
        STATUS_STORE[:] = [args.status_store]
    sizes = SMOKE if args.smoke else FULL
    if args.status_transactions:
        sizes = Sizes(**{**sizes.__dict__, "status_transactions": args.status_transactions})
    args.dir.mkdir(parents=True, exist_ok=True)
    results: dict[str, Any] = {}
    with tempfile.TemporaryDirectory(dir=args.dir) as tmp:
        for name in args.only or list(BENCHES):
            folder = Path(tmp) / name
            folder.mkdir()
            began = time.perf_counter()
            results.update(BENCHES[name](folder, sizes, args.cache))
            print(f"{name}: {time.perf_counter() - began:.1f} s", file=sys.stderr)
    results["machine"] = {
        "cpus": os.cpu_count(),
        "load_1m_5m_15m": [round(x, 2) for x in os.getloadavg()],
        "python": sys.version.split()[0],
        "smoke": args.smoke,
    }
    if args.json:
        print(json.dumps(results, indent=1, sort_keys=True))
    else:
        for key, value in results.items():
            print(key, value)
    return results


if __name__ == "__main__":
    main()
