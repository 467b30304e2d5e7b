"""Harness 2: a storm of kills and faults against the kiosk, the host and the CLI at once.

One seeded event loop drives a selling kiosk worker (``soak.worker``), the reference host in a
process of its own (``kiosk-host serve``) and the virtual printer (in this process). Each event
may first break the printer (paper out mid-slip with the proof held back, cover open, silent,
dropped connection, offline) and the host (down, answers past the read timeout, 5xx, resets
before or after processing, malformed answers, held requests), each fault bounded in count,
then does one of:

- SIGKILL the kiosk at one of its ``at <step>``/``told`` moments, and start it again;
- SIGKILL the host at such a moment, and start it again on the same database and port;
- SIGKILL the kiosk, then run ``kiosk sell`` (the CLI owning the store) and SIGKILL it after a
  random delay, then start the kiosk again;
- two owners: a second kiosk and a CLI sale while the kiosk runs (both must be refused);
- disk full: the kiosk's folder (a small tmpfs) is filled up while it sells, the kiosk is
  sometimes killed and restarted while full (it must refuse clearly), then space comes back.

Host outages are bounded (a fault count, or a kill followed by an immediate restart), so none
lasts near the reference host's 120 s auto-reversal of unconfirmed provisions (issue 14). The
loop stops by itself after ``kills`` kills or ``deadline_s`` seconds; the same seed gives the
same sequence of decisions.
"""

from __future__ import annotations

import json
import os
import random
import shutil
import socket
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path

import requests

from drivers.virtual_printer import VirtualPrinter
from soak.figures import Figures
from soak.invariants import Told, Violation, store_holds_told
from soak.process import EOF_LINE, Child, ForkServer, worker
from soak.rig import keep_evidence, register, write_config
from soak.settle import settle_and_check

LINE_TIMEOUT_S = 60.0
#: Moments a kill may hit; the frequent ones, so a kill comes within a sale or two.
MOMENTS = ("provision", "print", "forward", "told")
RESULTS = ("told ", "sale ", "storno ", "refused ")
OPS_PER_LIFE = 400
#: The soak's kiosk retries advices within this cap, well inside the host's 120 s auto-reversal.
BACKOFF_CAP = "15s"


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


class HostProcess:
    """``kiosk-host serve`` in a process of its own, so it can be SIGKILLed and restarted."""

    def __init__(self, db: Path, port: int, server: ForkServer) -> None:
        self.server = server
        self.db = db
        self.port = port
        self.url = f"http://127.0.0.1:{port}"
        self.child: Child | None = None

    def start(self) -> None:
        self.child = self.server.spawn(
            "host", ["serve", "--db", str(self.db), "--port", str(self.port)]
        )
        line = self.child.next_line(LINE_TIMEOUT_S)
        if line is None or "listening" not in line:
            self.child.kill()
            raise RuntimeError(f"host did not start: {line!r} {self.child.stderr[-800:]}")

    def kill(self) -> None:
        if self.child is not None:
            self.child.kill()
            self.child = None

    def fault(self, **params: object) -> None:
        requests.post(f"{self.url}/admin/faults", json=params, timeout=5).raise_for_status()

    def clear(self) -> None:
        requests.delete(f"{self.url}/admin/faults", timeout=5).raise_for_status()


class Disk:
    """The kiosk's folder on a tmpfs of its own, so the storm can fill it up (root only)."""

    def __init__(self, folder: Path, size: str) -> None:
        self.folder = folder
        self.ballast = folder / "ballast"
        folder.mkdir(parents=True, exist_ok=True)
        done = subprocess.run(
            ["mount", "-t", "tmpfs", "-o", f"size={size}", "tmpfs", str(folder)],
            capture_output=True,
            text=True,
            check=False,
        )
        self.mounted = done.returncode == 0
        self.why_not = done.stderr.strip()

    def fill(self) -> None:
        fd = os.open(self.ballast, os.O_CREAT | os.O_WRONLY | os.O_APPEND)
        try:
            for chunk in (1 << 16, 512, 1):
                try:
                    while True:
                        os.write(fd, b"\0" * chunk)
                except OSError:
                    continue
        finally:
            os.close(fd)

    def free(self) -> None:
        self.ballast.unlink(missing_ok=True)

    def release(self) -> None:
        if self.mounted:
            subprocess.run(["umount", "-l", str(self.folder)], capture_output=True, check=False)


def _printer_faults(printer: VirtualPrinter, rng: random.Random) -> dict[str, Callable[[], None]]:
    return {
        "printer: paper out mid-slip (proof held)": lambda: printer.paper_out_after(
            rng.randrange(3, 25)
        ),
        "printer: cover open": printer.open_cover,
        "printer: silent": lambda: printer.silent(True),
        "printer: connection dropped": lambda: printer.drop_connection_after(
            rng.randrange(40, 900)
        ),
        "printer: offline": printer.go_offline,
    }


def _host_faults(host: HostProcess, rng: random.Random) -> dict[str, Callable[[], None]]:
    return {
        "host: down": lambda: host.fault(kind="down", count=rng.randrange(1, 4)),
        "host: 503 with Retry-After": lambda: host.fault(
            kind="down", mode="503", count=rng.randrange(1, 3)
        ),
        "host: slow past the read timeout": lambda: host.fault(
            kind="latency", ms=2600, count=1, path_prefix="/v1/provision"
        ),
        "host: 5xx": lambda: host.fault(kind="error_rate", count=rng.randrange(1, 3)),
        "host: reset before": lambda: host.fault(kind="reset", count=1),
        "host: answer lost (reset after)": lambda: host.fault(kind="reset", phase="after", count=1),
        "host: malformed": lambda: host.fault(kind="malformed", count=1),
        "host: held request": lambda: host.fault(kind="timeout", hold_s=3, count=1),
    }


def run(out: Path, *, kills: int, seed: int, deadline_s: float) -> Figures:
    """Storm until ``kills`` kills (kiosk, host, CLI) or ``deadline_s``; figures and evidence."""
    started = time.monotonic()
    figures = Figures(name="storm", seed=seed)
    rng = random.Random(seed)
    work = out / "storm"
    shutil.rmtree(work, ignore_errors=True)
    work.mkdir(parents=True)
    disk = Disk(work / "kiosk", "48m")
    if not disk.mounted:
        figures.outcomes["disk full skipped: no tmpfs (" + disk.why_not[:60] + ")"] += 1
    server = ForkServer(work / "fork")
    env = {"SOAK_WORKER_LOG": str((work / "kiosk.log").resolve())}
    host = HostProcess(work / "host.sqlite", free_port(), server)
    printer = VirtualPrinter().start()
    told = Told()
    child: Child | None = None
    try:
        config = write_config(
            disk.folder, host_url=host.url, printer_url=f"tcp://127.0.0.1:{printer.port}"
        )
        text = config.path.read_text(encoding="utf-8")
        text = text.replace('backoff_cap = "300s"', f'backoff_cap = "{BACKOFF_CAP}"')
        text = text.replace('circuit_cooldown = "30s"', 'circuit_cooldown = "5s"')
        config.path.write_text(text, encoding="utf-8")
        register(host.db, config)
        host.start()
        store = config.store.path
        printer_faults = _printer_faults(printer, rng)
        host_faults = _host_faults(host, rng)

        def violation(found: list[Violation], note: str) -> None:
            if not found:
                return
            figures.violations += found
            folder = out / "evidence" / f"storm-{len(figures.evidence) + 1}"
            keep_evidence(
                folder,
                store_dir=disk.folder,
                host_db=host.db,
                slips=[s.as_dict() for s in printer.slips],
                notes=note + "\n" + "\n".join(f"{v.kind}: {v.detail}" for v in found),
            )
            figures.evidence.append(str(folder))

        def absorb(c: Child) -> None:
            for line in c.seen:
                told.absorb(line)
            figures.sales_told = len(told.sales)
            figures.stornos_told = len(told.stornos)
            figures.z_told = len(told.z_numbers)

        def start_kiosk(note: str) -> Child | None:
            figures.attempts += 1
            c = worker(config.path, rng.randrange(1 << 30), OPS_PER_LIFE, env, server)
            first = c.next_line(LINE_TIMEOUT_S)
            if first is not None and first.startswith("ready"):
                figures.outcomes["kiosk recovered"] += 1
                violation(store_holds_told(store, told), f"{note}: after the restart")
                return c
            c.kill()
            kind = "unhandled_error" if "Traceback" in c.stderr else "recovery_incomplete"
            violation([Violation(kind, f"{first!r} {c.stderr[-1200:]}")], f"{note}: start")
            return None

        def stop_kiosk(c: Child) -> None:
            c.kill()
            while c.next_line(10) not in (None, EOF_LINE):
                pass
            absorb(c)
            if "Traceback" in c.stderr:
                violation([Violation("unhandled_error", c.stderr[-1200:])], "kiosk stderr")

        def until_moment(c: Child) -> bool:
            """Read lines until a random moment; False if the kiosk ended first.

            A printer fault bites one operation: it is healed at the first result line, so a
            silent printer costs one print timeout, not one per sale until the kill.
            """
            moment, skip = rng.choice(MOMENTS), rng.randrange(0, 2)
            while True:
                line = c.next_line(LINE_TIMEOUT_S)
                if line is None:
                    violation([Violation("unhandled_error", "kiosk silent 60 s")], "storm")
                    return False
                if line == EOF_LINE:
                    return False
                told.absorb(line)
                if line.startswith(RESULTS):
                    heal_printer()
                word = line.split()[1] if line.startswith(("at ", "told ")) else ""
                if (moment == "told" and line.startswith("told ")) or word == moment:
                    if skip == 0:
                        return True
                    skip -= 1

        def cli_sale(kill_after_s: float | None) -> tuple[int | None, str, str]:
            amount = rng.randrange(10, 90)
            proc = Child(
                [
                    sys.executable,
                    "-c",
                    "from terminal.cli import main; main()",
                    "--config",
                    str(config.path),
                    "sell",
                    "card-topup",
                    "--target",
                    "4000000000000010",
                    "--amount",
                    f"{amount}.00",
                    "--cash",
                    f"{amount + 10}.00",
                    "--json",
                ]
            )
            if kill_after_s is None:
                code = proc.finish(LINE_TIMEOUT_S)
            else:
                try:
                    code = proc.proc.wait(timeout=kill_after_s)  # the kill's random moment
                except subprocess.TimeoutExpired:
                    proc.kill()
                    code = None
                else:
                    proc.finish(10)
            lines = []
            while True:
                line = proc.next_line(5)
                if line is None or line == EOF_LINE:
                    break
                lines.append(line)
            return code, "\n".join(lines), proc.stderr

        def heal_printer() -> None:
            printer.clear_faults()
            printer.silent(False)
            printer.go_online()

        child = start_kiosk("first start")
        kills_done = 0
        event = 0
        progress = (out / "storm.progress").open("w", encoding="utf-8")
        while kills_done < kills and time.monotonic() - started < deadline_s:
            event += 1
            progress.write(
                f"{time.monotonic() - started:.1f}s event {event} kills {kills_done} "
                f"told {len(told.sales)} {dict(figures.faults)}\n"
            )
            progress.flush()
            heal_printer()
            if host.child is not None:
                host.clear()
            if child is None:
                child = start_kiosk(f"event {event}")
                if child is None:
                    break
            if rng.random() < 0.35:
                name, inject = rng.choice(sorted(printer_faults.items()))
                inject()
                figures.faults[name] += 1
            if rng.random() < 0.35:
                name, inject = rng.choice(sorted(host_faults.items()))
                inject()
                figures.faults[name] += 1
            roll = rng.random()
            if event % 25 == 0:
                # two owners: a second kiosk and a CLI sale while this one runs
                second = worker(config.path, 1, 1, env, server)
                first = second.next_line(LINE_TIMEOUT_S)
                second.kill()
                figures.faults["two owners: second kiosk"] += 1
                if first is None or not first.startswith("refused start TerminalBusy"):
                    violation(
                        [Violation("two_owners", f"second kiosk said {first!r}")], "two owners"
                    )
                code, text, err = cli_sale(None)
                figures.faults["two owners: CLI sale"] += 1
                if code == 0 or "Traceback" in err or '"confirmed"' in text:
                    violation(
                        [Violation("two_owners", f"CLI exit {code}: {text} {err[-400:]}")],
                        "two owners",
                    )
            elif disk.mounted and event % 40 == 20:
                disk.fill()
                figures.faults["disk full"] += 1
                for _ in range(rng.randrange(5, 40)):
                    line = child.next_line(LINE_TIMEOUT_S)
                    if line is None or line == EOF_LINE:
                        break
                    told.absorb(line)
                if rng.random() < 0.5:
                    stop_kiosk(child)
                    kills_done += 1
                    figures.faults["kill: kiosk (disk full)"] += 1
                    figures.attempts += 1
                    again = worker(config.path, 1, 3, env, server)
                    first = again.next_line(LINE_TIMEOUT_S)
                    stop_kiosk(again)
                    key = (first or "silent").split(":")[0]
                    figures.outcomes[f"start on a full disk: {key}"] += 1
                    child = None
                disk.free()
            elif roll < 0.30:
                if until_moment(child):
                    figures.faults["kill: kiosk"] += 1
                    kills_done += 1
                stop_kiosk(child)
                child = None
            elif roll < 0.90:
                if until_moment(child):
                    host.kill()
                    figures.faults["kill: host"] += 1
                    kills_done += 1
                    for _ in range(rng.randrange(0, 4)):  # the kiosk meets the dead host
                        line = child.next_line(LINE_TIMEOUT_S)
                        if line is None or line == EOF_LINE:
                            break
                        told.absorb(line)
                    host.start()
                else:
                    stop_kiosk(child)
                    child = None
            else:
                stop_kiosk(child)
                child = None
                figures.faults["kill: kiosk (for the CLI)"] += 1
                kills_done += 1
                code, text, err = cli_sale(rng.uniform(0.05, 1.5))
                if code is None:
                    figures.faults["kill: CLI"] += 1
                    kills_done += 1
                else:
                    figures.outcomes[f"CLI sale finished (exit {code})"] += 1
                    try:
                        result = json.loads(text.splitlines()[-1]) if text else {}
                    except json.JSONDecodeError:
                        result = {}
                    if result.get("state") in ("confirmed", "offline_confirmed"):
                        told.sales.add(str(result["txn"]))
                    if "Traceback" in err:
                        violation([Violation("unhandled_error", err[-1200:])], "CLI sale")
        progress.close()
        figures.outcomes["events"] = event
        figures.outcomes["kills"] = kills_done
        if child is not None:
            stop_kiosk(child)
            child = None
        printer.clear_faults()
        printer.silent(False)
        printer.go_online()
        if host.child is None:
            host.start()
        host.clear()
        violation(settle_and_check(config.path, printer, told, figures), "final settle")
        return figures
    finally:
        if child is not None:
            child.kill()
        figures.seconds = time.monotonic() - started
        printer.stop()
        host.kill()
        server.close()
        disk.release()
