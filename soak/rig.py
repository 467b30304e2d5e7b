"""The counter the soak runs: a kiosk configuration pointed at a reference host and a printer.

The kiosk runs the Slovenian preset (the slip checks read its labels) with short timeouts, so
a host or printer fault costs seconds, not minutes.
"""

from __future__ import annotations

import json
import os
import shutil
from pathlib import Path
from typing import Any

from hostsim.store import HostStore
from terminal.config import KioskConfig, load_config, write_preset

MARKET = "si"
TERMINAL_ID = "12345"


def write_config(folder: Path, *, host_url: str, printer_url: str) -> KioskConfig:
    """The preset with this run's peers; the file is fsync'd (it must survive the power cuts)."""
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / "kiosk.toml"
    write_preset(path, MARKET, terminal_id=TERMINAL_ID, force=True)
    text = path.read_text(encoding="utf-8")
    text = text.replace("tcp://127.0.0.1:9100", printer_url)
    text = text.replace("http://127.0.0.1:8700", host_url)
    text = text.replace('read_timeout = "10s"', 'read_timeout = "2s"')
    text = text.replace('connect_timeout = "3s"', 'connect_timeout = "1s"')
    text = text.replace('timeout = "5s"', 'timeout = "2s"')
    path.write_text(text, encoding="utf-8")
    fsync_path(path)
    fsync_path(folder)
    return load_config(path)


def fsync_path(path: Path) -> None:
    fd = os.open(path, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def register(host_db: Path, config: KioskConfig) -> None:
    """The terminal and its key at the host, as the provider's onboarding would."""
    store = HostStore(host_db)
    try:
        store.add_terminal(config.terminal.id, config.terminal.key, "2026-11-22T00:00:00+00:00")
    finally:
        store.close()


def keep_evidence(
    folder: Path, *, store_dir: Path | None, host_db: Path | None, slips: list[Any], notes: str
) -> None:
    """Copy what a reviewer needs to see a violation: the store, the host's db, every slip."""
    folder.mkdir(parents=True, exist_ok=True)
    if store_dir is not None and store_dir.exists():
        shutil.copytree(store_dir, folder / "store", dirs_exist_ok=True)
    if host_db is not None:
        for suffix in ("", "-wal", "-shm"):
            source = Path(str(host_db) + suffix)
            if source.exists():
                shutil.copy2(source, folder / source.name)
    (folder / "slips.json").write_text(json.dumps(slips, ensure_ascii=False, indent=1), "utf-8")
    (folder / "notes.txt").write_text(notes, encoding="utf-8")
