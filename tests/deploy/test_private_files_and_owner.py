"""Private files whatever the umask, and one owner per store file whatever its name.

The store, its WAL/SHM, the lock and kiosk.toml are mode 600 in a 700 folder even under
``umask 000``. A second kiosk pointed at the same store through a symlink, a ``..`` path or a
hard link is refused before its crash recovery could touch the first kiosk's live sale.
"""

from __future__ import annotations

import os
import stat
from collections.abc import Iterator
from pathlib import Path

import pytest
from helpers.kiosk import Counter, start_counter, stop_counter

from offline_queue import states
from offline_queue.store import Store
from terminal.config import load_config, write_preset
from terminal.kiosk import Kiosk, TerminalBusy, lock_path


def mode(path: Path) -> int:
    return stat.S_IMODE(path.stat().st_mode)


@pytest.fixture
def open_umask() -> Iterator[None]:
    old = os.umask(0)
    try:
        yield
    finally:
        os.umask(old)


def test_files_are_private_under_a_permissive_umask(tmp_path: Path, open_umask: None) -> None:
    folder = tmp_path / "new" / "kiosk"
    config_path = write_preset(folder / "kiosk.toml", "si", terminal_id="12345")
    # what umask 000 would have made of them without the explicit modes
    probe = tmp_path / "probe"
    probe.touch()
    assert mode(probe) == 0o666
    assert mode(folder) == 0o700 and mode(folder.parent) == 0o700
    assert mode(config_path) == 0o600

    config = load_config(config_path)
    kiosk = Kiosk(config)
    try:
        kiosk.store.record(
            product="card-topup",
            currency="EUR",
            amount_minor=100,
            fees=[],
            total_minor=100,
            cash_minor=0,
            change_minor=0,
            target={"kind": "phone", "value": "+38631891888"},
            details={},
        )
        store = config.store.path
        files = [store, Path(f"{store}-wal"), Path(f"{store}-shm"), lock_path(config)]
        for path in files:
            assert path.exists(), path
            assert mode(path) == 0o600, f"{path.name}: {oct(mode(path))}"
    finally:
        kiosk.close()


def test_an_existing_store_left_readable_is_made_private(tmp_path: Path) -> None:
    path = tmp_path / "old.sqlite"
    Store(path, terminal_id="12345").close()
    os.chmod(path, 0o644)
    Store(path, terminal_id="12345").close()
    assert mode(path) == 0o600


def _second_config(counter: Counter, folder: Path, store_path: str) -> Path:
    """A kiosk.toml like the first counter's, naming the store another way."""
    folder.mkdir(exist_ok=True)
    text = (counter.folder / "kiosk.toml").read_text(encoding="utf-8")
    text = text.replace('path = "kiosk.sqlite"', f'path = "{store_path}"')
    assert store_path in text
    path = folder / "kiosk.toml"
    path.write_text(text, encoding="utf-8")
    return path


@pytest.fixture
def counter(tmp_path: Path) -> Iterator[Counter]:
    (tmp_path / "one").mkdir()
    counter = start_counter(tmp_path / "one", "si")
    counter.open()
    yield counter
    stop_counter(counter)


@pytest.mark.parametrize("how", ["symlink", "dotdot", "hardlink"])
def test_a_second_kiosk_on_another_name_of_the_store_is_refused(
    counter: Counter, tmp_path: Path, how: str
) -> None:
    kiosk = counter.kiosk
    assert kiosk is not None
    store = counter.config.store.path
    other = tmp_path / "two"
    other.mkdir()
    if how == "symlink":
        name = other / "linked.sqlite"
        name.symlink_to(store)
    elif how == "dotdot":
        name = other / ".." / "one" / store.name
    else:
        name = other / "hard.sqlite"
        os.link(store, name)
    config = load_config(_second_config(counter, other, str(name)))
    assert config.store.path != store

    # the first kiosk's sale is under way (recorded, provision not answered yet)
    live = kiosk.store.record(
        product="card-topup",
        currency="EUR",
        amount_minor=5000,
        fees=[],
        total_minor=5000,
        cash_minor=5000,
        change_minor=0,
        target={"kind": "phone", "value": "+38631891888"},
        details={},
    )
    slips_before = len(counter.printer.slips)
    with pytest.raises(TerminalBusy):
        Kiosk(config, clock=counter.clock)
    # its crash recovery never ran: the live sale is as it was, nothing was printed
    assert kiosk.store.get(live.txn).state == states.RECORDED
    assert len(counter.printer.slips) == slips_before
    assert kiosk.store.outbox_for(live.txn) == []
    # and the first kiosk goes on selling
    result = counter.sell("card-sale")
    assert result.state == "confirmed"


def test_the_same_store_reopens_after_the_owner_closed(counter: Counter) -> None:
    counter.close()
    counter.open()
    assert counter.sell("card-sale").state == "confirmed"
