"""A kiosk process that prints Z reports until it is killed; run by test_z_crash.py.

It prints a marker line, flushed, just before each step of a Z (fixing its figures, printing
its slip, closing the period), so the test can SIGKILL it while that step is under way.
"""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Any

from terminal.config import load_config
from terminal.kiosk import Kiosk


def say(line: str) -> None:
    sys.stdout.write(line + "\n")
    sys.stdout.flush()


def main(config_path: str, reports: int) -> None:
    kiosk = Kiosk(load_config(Path(config_path)))
    store, counter = kiosk.store, kiosk.counter
    real_begin, real_print, real_close = store.begin_z, counter.print_proven, store.close_period

    def begin_z(*args: Any, **kwargs: Any) -> Any:
        say("begin")
        return real_begin(*args, **kwargs)

    def print_proven(doc: Any) -> Any:
        say("print")
        return real_print(doc)

    def close_period(*args: Any, **kwargs: Any) -> Any:
        say("close")
        return real_close(*args, **kwargs)

    store.begin_z = begin_z  # type: ignore[method-assign]
    counter.print_proven = print_proven  # type: ignore[method-assign]
    store.close_period = close_period  # type: ignore[method-assign]
    say("ready")
    for _ in range(reports):
        kiosk.store.journal_event(None, "z_crash_worker_tick", {})  # something in each period
        outcome = kiosk.reports.z_report(clerk="1", pin="1111")
        say(f"z {outcome.z_number} {outcome.code}")
    kiosk.close()
    say("done")


if __name__ == "__main__":
    main(sys.argv[1], int(sys.argv[2]))
