"""A fork server: kiosk workers and reference hosts as real processes, started in milliseconds.

Python spends most of a kiosk's start importing (escpos, FastAPI, ...). The soak kills and
starts processes over a thousand times, so one single-threaded server imports everything once
and forks a child per request. Each child is a real process of its own (its own pid, store
connections, sockets), SIGSTOPped and SIGKILLed exactly like one started from scratch; only the
import time is saved. The server never starts a thread, so forking it is safe.

Protocol (JSON lines): the harness writes ``{"kind": "worker"|"host", "args": [...], "env":
{...}, "out": FIFO, "err": FIFO}``; the server answers ``{"pid": N}`` or ``{"error": "..."}``.
The child's stdout and stderr are the two FIFOs the harness created and reads.
"""

from __future__ import annotations

import json
import os
import signal
import sys
import traceback


def _child(request: dict[str, object]) -> int:
    """In the forked child: wire the FIFOs to stdout/stderr and run the program."""
    devnull = os.open(os.devnull, os.O_RDONLY)
    os.dup2(devnull, 0)
    out = os.open(str(request["out"]), os.O_WRONLY)
    err = os.open(str(request["err"]), os.O_WRONLY)
    os.dup2(out, 1)
    os.dup2(err, 2)
    for fd in (devnull, out, err):
        os.close(fd)
    sys.stdin = open(0, encoding="utf-8", closefd=False)  # noqa: SIM115 - lives as long as we do
    sys.stdout = open(1, "w", encoding="utf-8", closefd=False)  # noqa: SIM115
    sys.stderr = open(2, "w", encoding="utf-8", closefd=False)  # noqa: SIM115
    signal.signal(signal.SIGCHLD, signal.SIG_DFL)
    env = request.get("env") or {}
    assert isinstance(env, dict)
    os.environ.update({str(k): str(v) for k, v in env.items()})
    args = [str(a) for a in request["args"]]  # type: ignore[attr-defined]
    try:
        if request["kind"] == "worker":
            from soak import worker

            return worker.main(args[0], int(args[1]), int(args[2]))
        from hostsim.cli import main

        main(args, standalone_mode=True)
        return 0
    except SystemExit as exc:
        return exc.code if isinstance(exc.code, int) else 1
    except BaseException:
        traceback.print_exc()
        return 1
    finally:
        sys.stdout.flush()
        sys.stderr.flush()


def serve() -> None:
    # import what the children run, once, before any fork
    import hostsim.cli  # noqa: F401
    import soak.worker  # noqa: F401

    signal.signal(signal.SIGCHLD, signal.SIG_IGN)  # children are reaped by the kernel
    sys.stdout.write(json.dumps({"ready": os.getpid()}) + "\n")
    sys.stdout.flush()
    for line in sys.stdin:
        request = json.loads(line)
        try:
            pid = os.fork()
        except OSError as exc:
            sys.stdout.write(json.dumps({"error": str(exc)}) + "\n")
            sys.stdout.flush()
            continue
        if pid == 0:
            code = 1
            try:
                code = _child(request)
            finally:
                os._exit(code)
        sys.stdout.write(json.dumps({"pid": pid}) + "\n")
        sys.stdout.flush()


if __name__ == "__main__":
    serve()
