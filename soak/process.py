"""Child processes the soak drives: a kiosk worker whose lines arrive on a queue, with timeouts.

A reader thread per child turns its stdout into a queue, so the harness waits on lines (events)
with a deadline instead of sleeping, and never blocks forever on a frozen or dead child.
"""

from __future__ import annotations

import os
import queue
import signal
import subprocess
import sys
import threading
from collections.abc import Sequence
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
#: Sentinel put on the queue when the child's stdout closes.
EOF_LINE = "\x00eof"


class Child:
    """One child process; ``next_line(timeout)`` is the only way the harness waits on it."""

    def __init__(self, argv: Sequence[str], *, env: dict[str, str] | None = None) -> None:
        child_env = {**os.environ, **(env or {})}
        child_env["PYTHONPATH"] = os.pathsep.join(
            p for p in (str(ROOT), child_env.get("PYTHONPATH", "")) if p
        )
        self.argv = list(argv)
        self.proc = subprocess.Popen(
            self.argv,
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


def worker(config: Path, seed: int, operations: int, env: dict[str, str] | None = None) -> Child:
    return Child(
        [sys.executable, "-m", "soak.worker", str(config), str(seed), str(operations)], env=env
    )
