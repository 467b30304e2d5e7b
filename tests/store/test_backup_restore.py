"""`kiosk backup` while `kiosk serve` sells gives a copy that passes SQLite's integrity check and
the journal's verification; `kiosk restore` is refused while the kiosk serves, and once it is
stopped restores only this terminal's sound backups, keeping the replaced store aside. `kiosk
doctor` asks the running kiosk for the printer instead of opening it.

The kiosk is a real `kiosk serve` process (helpers.browser.serve_counter) with the in-process
reference host and virtual printer; sales are made through its local API on a thread while the
backup runs in another process."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import threading
from pathlib import Path
from typing import Any

import requests
from helpers.browser import ServedCounter, serve_counter
from helpers.kiosk import start_counter, stop_counter

from offline_queue.backup import check_copy
from offline_queue.store import Store
from terminal.api import ApiServer
from terminal.config import load_config

KIOSK = Path(sys.executable).parent / "kiosk"
SALE = {
    "product": "card-topup",
    "target": "4111111111111111",
    "amount_minor": 5000,
    "cash_minor": 6000,
}


def _kiosk(config: Path, *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [str(KIOSK), "--config", str(config), *args], capture_output=True, text=True, timeout=120
    )


def _transactions(path: Path) -> int:
    with Store(path, terminal_id="12345") as store:
        return len(store.list_transactions(limit=1000))


class Seller(threading.Thread):
    """Sells through the kiosk's API until told to stop; ``sold`` is set after each sale."""

    def __init__(self, counter: ServedCounter) -> None:
        super().__init__(daemon=True)
        self.counter = counter
        self.results: list[dict[str, Any]] = []
        self.sold = threading.Event()
        self.stop = threading.Event()
        self.error: BaseException | None = None

    def run(self) -> None:
        try:
            while not self.stop.is_set():
                response = self.counter.api("POST", "/sales", json=SALE, timeout=60)
                self.results.append(response.json())
                self.sold.set()
        except BaseException as exc:  # the test reports it
            self.error = exc


def test_backup_while_selling_then_restore_only_when_stopped(tmp_path: Path) -> None:
    counter = serve_counter(tmp_path, "si")
    backup = tmp_path / "backups" / "kiosk-backup.sqlite"
    backup.parent.mkdir()
    try:
        # doctor while the kiosk serves: the printer is asked through the kiosk
        doctor = _kiosk(counter.config_path, "doctor", "--json")
        report = json.loads(doctor.stdout)
        assert report["kiosk_running"] is True
        printer = next(c for c in report["checks"] if c["check"] == "printer")
        assert printer["status"] == "ok", report
        counter.printer.paper_out()
        stopped = _kiosk(counter.config_path, "doctor", "--json")
        assert stopped.returncode == 1
        printer = next(c for c in json.loads(stopped.stdout)["checks"] if c["check"] == "printer")
        assert printer["status"] == "fail"
        assert f"Printer tcp://127.0.0.1:{counter.printer.port}" in printer["message"]
        counter.printer.load_paper()

        seller = Seller(counter)
        seller.start()
        try:
            assert seller.sold.wait(60), seller.error
            done = _kiosk(counter.config_path, "backup", str(backup), "--json")
            during = len(seller.results)
            assert seller.sold.wait(60)
        finally:
            seller.stop.set()
            seller.join(120)
        assert seller.error is None, seller.error
        assert done.returncode == 0, done.stdout + done.stderr
        assert all(r["state"] == "confirmed" for r in seller.results), seller.results
        result = json.loads(done.stdout)
        assert result["through_kiosk"] is True
        assert result["check"]["integrity"] == "ok" and result["check"]["journal"]["ok"]
        assert os.stat(backup).st_mode & 0o777 == 0o600
        # check the file on disk again, independently of what the command said
        check = check_copy(backup, key=load_config(counter.config_path).terminal.key)
        assert check.ok and check.terminal_ids == ("12345",)
        assert check.journal.checked > 0
        assert 1 <= check.transactions <= during + 1
        # the journal verify command accepts the copy as a store of its own
        copy_config = tmp_path / "copy.toml"
        text = counter.config_path.read_text(encoding="utf-8")
        copy_config.write_text(
            text.replace('path = "kiosk.sqlite"', f'path = "{backup}"'), encoding="utf-8"
        )
        os.chmod(copy_config, 0o600)
        verified = _kiosk(copy_config, "journal", "verify", "--json")
        assert verified.returncode == 0 and json.loads(verified.stdout)["ok"], verified.stdout

        # restore is refused while the kiosk serves, and changes nothing
        before = _transactions(counter.config_path.parent / "kiosk.sqlite")
        refused = _kiosk(counter.config_path, "restore", str(backup), "--json")
        assert refused.returncode == 1
        error = json.loads(refused.stdout)["error"]
        assert error["code"] == "restore_refused"
        assert "serves this terminal: stop it first" in error["message"]
        assert _transactions(counter.config_path.parent / "kiosk.sqlite") == before
        assert counter.api("GET", "/status").status_code == 200  # still serving
    finally:
        counter.stop()

    store = load_config(counter.config_path).store.path
    total = _transactions(store)
    assert total > check.transactions
    restored = _kiosk(counter.config_path, "restore", str(backup), "--json")
    assert restored.returncode == 0, restored.stdout + restored.stderr
    outcome = json.loads(restored.stdout)
    aside = Path(outcome["kept_aside"])
    assert aside.parent == store.parent and aside.name.startswith("kiosk.sqlite.replaced-")
    assert os.stat(aside).st_mode & 0o777 == 0o600
    assert _transactions(store) == check.transactions
    assert check_copy(aside).transactions == total  # nothing of the replaced store is lost
    # numbering goes on after the replaced store's last sale: no number is used twice
    assert outcome["sequence"] == total
    key = load_config(counter.config_path).terminal.key
    with Store(store, terminal_id="12345", key=key) as restored:
        [event] = restored.journal(None, limit=1)
        assert restored.verify_journal().ok
    assert event.event == "store_restored"
    assert event.data == {"backup": backup.name, "kept_aside": aside.name, "sequence": total}
    assert backup.exists()  # the backup itself is left as it was


def test_restore_refuses_another_terminals_backup_and_a_damaged_file(tmp_path: Path) -> None:
    config_path = tmp_path / "kiosk.toml"
    assert _kiosk(config_path, "init", "--market", "si").returncode == 0
    store = tmp_path / "kiosk.sqlite"
    with Store(store, terminal_id="12345") as mine:
        mine.journal_event(None, "note", {"text": "ours"})

    direct = _kiosk(config_path, "backup", str(tmp_path / "mine.sqlite"), "--json")
    assert direct.returncode == 0, direct.stderr
    assert json.loads(direct.stdout)["through_kiosk"] is False
    again = _kiosk(config_path, "backup", str(tmp_path / "mine.sqlite"))
    assert again.returncode == 1 and "exists already" in again.stderr

    with Store(tmp_path / "other.sqlite", terminal_id="54321") as other:
        other.journal_event(None, "note", {"text": "theirs"})
    foreign = _kiosk(config_path, "restore", str(tmp_path / "other.sqlite"))
    assert foreign.returncode == 1
    assert "backup of terminal 54321; this is terminal 12345" in foreign.stderr

    junk = tmp_path / "junk.sqlite"
    junk.write_bytes(b"not a database at all" * 100)
    damaged = _kiosk(config_path, "restore", str(junk))
    assert damaged.returncode == 1 and "Nothing was changed" in damaged.stderr

    # nothing was replaced or set aside by the refusals
    assert sorted(p.name for p in tmp_path.glob("kiosk.sqlite.*")) == ["kiosk.sqlite.lock"]
    with Store(store, terminal_id="12345") as mine:
        assert [e.event for e in mine.journal(None, limit=10)] == ["note"]

    # a store file for a terminal that had none: restored, nothing to set aside
    store.unlink()
    first = _kiosk(config_path, "restore", str(tmp_path / "mine.sqlite"), "--json")
    assert first.returncode == 0, first.stderr
    assert json.loads(first.stdout)["kept_aside"] is None
    with Store(store, terminal_id="12345") as mine:
        # opened with the key, the restored store is sealed first (journal_keyed, card-data.md)
        events = [e.event for e in mine.journal(None, limit=10)]
        assert events == ["note", "journal_keyed", "store_restored"]


def test_the_backup_endpoint_sends_a_checked_copy_and_leaves_no_copies_behind(
    tmp_path: Path,
) -> None:
    counter = start_counter(tmp_path, "si")
    kiosk = counter.open()
    api = ApiServer(kiosk, port=0).start()
    try:
        assert counter.sell("card-topup").state == "confirmed"
        store = counter.config.store.path
        leftover = store.with_name(f".{store.name}.backup-1-abandoned")
        leftover.write_bytes(b"a copy whose download was broken off")
        url = f"{api.url}/api/v1/store/backup"
        assert requests.post(url, timeout=10).status_code == 401
        answer = requests.post(url, headers={"Authorization": f"Bearer {api.token}"}, timeout=30)
        assert answer.status_code == 200
        assert answer.headers["content-type"] == "application/vnd.sqlite3"
        assert answer.headers["x-terminal-id"] == "12345"
        assert answer.content.startswith(b"SQLite format 3\x00")
        copy = tmp_path / "received.sqlite"
        copy.write_bytes(answer.content)
        check = check_copy(copy, key=counter.config.terminal.key)
        assert check.ok and check.transactions == 1
        assert sorted(store.parent.glob(f".{store.name}.backup-*")) == []
    finally:
        api.stop()
        stop_counter(counter)
