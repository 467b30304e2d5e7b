"""Child processes the soak drives: a kiosk worker whose lines arrive on a queue, with timeouts.

A reader thread per child turns its stdout into a queue, so the harness waits on lines (events)
with a deadline instead of sleeping, and never blocks forever on a frozen or dead child.
"""

from __future__ import annotations

import contextlib
import json
import os
import queue
import signal
import subprocess
import sys
import threading
from collections.abc import Sequence
from pathlib import Path
from typing import IO

ROOT = Path(__file__).resolve().parents[1]
#: Sentinel put on the queue when the child's stdout closes.
EOF_LINE = "\x00eof"


class Child:
    """One child process; ``next_line(timeout)`` is the only way the harness waits on it."""

    def __init__(
        self, argv: Sequence[str], *, env: dict[str, str] | None = None, stdin_pipe: bool = False
    ) -> None:
        child_env = {**os.environ, **(env or {})}
        child_env["PYTHONPATH"] = os.pathsep.join(
            p for p in (str(ROOT), child_env.get("PYTHONPATH", "")) if p
        )
        self.argv = list(argv)
        self.proc = subprocess.Popen(
            self.argv,
            stdin=subprocess.PIPE if stdin_pipe else subprocess.DEVNULL,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
            env=child_env,
        )
        self.lines: queue.Queue[str] = queue.Queue()
        self.seen: list[str] = []
        self.stderr = ""
        self._out = threading.Thread(target=self._pump, daemon=True)
        self._err = threading.Thread(target=self._pump_err, daemon=True)
        self._out.start()
        self._err.start()

    def _pump(self) -> None:
        assert self.proc.stdout is not None
        for line in self.proc.stdout:
            self.lines.put(line.rstrip("\n"))
        self.lines.put(EOF_LINE)

    def _pump_err(self) -> None:
        assert self.proc.stderr is not None
        self.stderr = self.proc.stderr.read()

    def next_line(self, timeout_s: float) -> str | None:
        """The next line, ``EOF_LINE`` at the end, or None when none came within the timeout."""
        try:
            line = self.lines.get(timeout=timeout_s)
        except queue.Empty:
            return None
        if line != EOF_LINE:
            self.seen.append(line)
        return line

    def freeze(self) -> None:
        self.proc.send_signal(signal.SIGSTOP)

    def kill(self) -> int:
        """SIGKILL (a frozen process dies too) and reap; returns the exit status."""
        if self.proc.poll() is None:
            self.proc.send_signal(signal.SIGKILL)
        code = self.proc.wait(timeout=30)
        self._out.join(timeout=10)
        self._err.join(timeout=10)
        return code

    def finish(self, timeout_s: float) -> int | None:
        """Wait for a normal exit; None if it did not exit in time (then it is killed)."""
        try:
            code = self.proc.wait(timeout=timeout_s)
        except subprocess.TimeoutExpired:
            self.kill()
            return None
        self._out.join(timeout=10)
        self._err.join(timeout=10)
        return code


def worker(
    config: Path,
    seed: int,
    operations: int,
    env: dict[str, str] | None = None,
    server: ForkServer | None = None,
) -> Child:
    """A kiosk worker: forked by ``server`` when given, else started from scratch."""
    args = [str(config), str(seed), str(operations)]
    if server is not None:
        return server.spawn("worker", args, env)
    return Child([sys.executable, "-m", "soak.worker", *args], env=env)


class ForkedChild(Child):
    """A child forked by the :class:`ForkServer`: the same interface as :class:`Child`."""

    def __init__(self, pid: int, out: Path, err: Path) -> None:
        self.pid = pid
        self.argv = [f"forked {pid}"]
        self.lines: queue.Queue[str] = queue.Queue()
        self.seen: list[str] = []
        self.stderr = ""
        self._out_path, self._err_path = out, err
        self._out = threading.Thread(target=self._pump_fifo, daemon=True)
        self._err = threading.Thread(target=self._pump_err_fifo, daemon=True)
        self._out.start()
        self._err.start()

    def _pump_fifo(self) -> None:
        with open(self._out_path, encoding="utf-8", errors="replace") as out:
            self._out_path.unlink(missing_ok=True)  # both ends are open now
            for line in out:
                self.lines.put(line.rstrip("\n"))
        self.lines.put(EOF_LINE)

    def _pump_err_fifo(self) -> None:
        with open(self._err_path, encoding="utf-8", errors="replace") as err:
            self._err_path.unlink(missing_ok=True)
            self.stderr = err.read()

    def freeze(self) -> None:
        os.kill(self.pid, signal.SIGSTOP)

    def kill(self) -> int:
        """SIGKILL and wait until its stdout and stderr closed (the process is gone)."""
        with contextlib.suppress(ProcessLookupError):  # it may be gone already
            os.kill(self.pid, signal.SIGKILL)
        self._out.join(timeout=30)
        self._err.join(timeout=30)
        return -signal.SIGKILL

    def finish(self, timeout_s: float) -> int | None:
        self._out.join(timeout=timeout_s)
        if self._out.is_alive():
            self.kill()
            return None
        self._err.join(timeout=10)
        return 0


class ForkServer:
    """``soak.forkserver`` in a child process; ``spawn`` forks a worker or a host from it."""

    def __init__(self, folder: Path) -> None:
        self.folder = folder
        folder.mkdir(parents=True, exist_ok=True)
        self.count = 0
        self.server = Child([sys.executable, "-m", "soak.forkserver"], stdin_pipe=True)
        self._pipe: IO[str] | None = self.server.proc.stdin
        ready = self.server.next_line(120)
        if ready is None or "ready" not in ready:
            raise RuntimeError(f"fork server did not start: {ready!r} {self.server.stderr}")

    def spawn(self, kind: str, args: Sequence[str], env: dict[str, str] | None = None) -> Child:
        self.count += 1
        out = self.folder / f"{self.count}.out"
        err = self.folder / f"{self.count}.err"
        for fifo in (out, err):
            fifo.unlink(missing_ok=True)
            os.mkfifo(fifo)
        request = {"kind": kind, "args": list(args), "env": env or {}, "out": str(out)}
        request["err"] = str(err)
        assert self._pipe is not None
        self._pipe.write(json.dumps(request) + "\n")
        self._pipe.flush()
        answer = self.server.next_line(60)
        data = json.loads(answer) if answer and answer.startswith("{") else {}
        if "pid" not in data:
            raise RuntimeError(f"fork server refused: {answer!r} {self.server.stderr[-500:]}")
        return ForkedChild(int(data["pid"]), out, err)

    def close(self) -> None:
        if self._pipe is not None:
            self._pipe.close()
            self._pipe = None
        self.server.kill()
