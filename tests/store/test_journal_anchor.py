"""The journal is anchored outside the box: the host keeps the head each advice batch carries,
`kiosk-host terminal verify` checks an exported journal against it, and every Z slip prints it.
"""

from __future__ import annotations

import json
from pathlib import Path

from click.testing import CliRunner
from helpers.kiosk import Counter

from hostsim.cli import main as host_main
from hostsim.store import HostStore
from offline_queue.carddata import JOURNAL_CHAIN_PURPOSE, derive_key
from offline_queue.journal import event_hash
from terminal.clerks import Role
from terminal.cli import main as kiosk_main


def _held_head(counter: Counter) -> tuple[int, str, str] | None:
    store = HostStore(counter.folder / "host.sqlite")
    try:
        return store.journal_anchor(counter.config.terminal.id)
    finally:
        store.close()


def _export(counter: Counter, path: Path) -> list[dict[str, object]]:
    result = CliRunner().invoke(
        kiosk_main,
        ["--config", str(counter.folder / "kiosk.toml"), "journal", "export", str(path)],
    )
    assert result.exit_code == 0, result.output
    return [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines()]


def _write(path: Path, rows: list[dict[str, object]]) -> Path:
    path.write_text("".join(json.dumps(r) + "\n" for r in rows), encoding="utf-8")
    return path


def _host_verify(counter: Counter, export: Path) -> tuple[int, str]:
    result = CliRunner().invoke(
        host_main,
        [
            "terminal",
            "verify",
            "--db",
            str(counter.folder / "host.sqlite"),
            counter.config.terminal.id,
            str(export),
        ],
    )
    return result.exit_code, result.output


def test_the_host_keeps_the_head_and_checks_an_exported_journal(
    si_counter: Counter, tmp_path: Path
) -> None:
    kiosk = si_counter.kiosk
    assert kiosk is not None
    assert _held_head(si_counter) is None
    for _ in range(2):
        assert si_counter.sell("card-sale").state == "confirmed"
        kiosk.forwarder.drain(timeout_s=5)
    held = _held_head(si_counter)
    assert held is not None
    seq, digest, _ = held
    assert kiosk.store.event_hash_at(seq) == digest  # the head as it was when the batch left
    assert seq > 1

    rows = _export(si_counter, tmp_path / "journal.jsonl")
    assert rows[-1]["seq"] == kiosk.store.journal_head()[0]
    code, output = _host_verify(si_counter, tmp_path / "journal.jsonl")
    assert code == 0 and output.startswith("OK: chain intact and it holds the head"), output

    # a journal that does not reach the held head (cut, or an older backup put back)
    cut = _write(tmp_path / "cut.jsonl", [r for r in rows if int(r["seq"]) < seq])  # type: ignore[call-overload]
    code, output = _host_verify(si_counter, cut)
    assert code == 1 and f"before the head the host holds (event {seq}" in output

    # a key holder rewrites the journal from an event before the head, chain and all:
    # consistent on the box, but the event the host holds no longer has its hash
    key = derive_key(si_counter.config.terminal.key, JOURNAL_CHAIN_PURPOSE)
    forged, prev = [], None
    for row in rows:
        row = dict(row)
        if prev is not None:
            row["prev_hash"] = prev
        if row["event"] == "drawer_opened":
            row["data"] = json.dumps({"note": "never opened"})
        if prev is not None or row["event"] == "drawer_opened":
            row["hash"] = event_hash(
                seq=int(row["seq"]),  # type: ignore[call-overload]
                at=str(row["at"]),
                txn=row["txn"],  # type: ignore[arg-type]
                event=str(row["event"]),
                data=json.loads(str(row["data"])),
                prev_hash=str(row["prev_hash"]),
                key=key,
            )
            prev = str(row["hash"])
        forged.append(row)
    code, output = _host_verify(si_counter, _write(tmp_path / "forged.jsonl", forged))
    assert code == 1 and f"event {seq} is not the one the host holds" in output, output

    # without the key, a rewrite is caught by the chain itself
    tampered = [dict(r) for r in rows]
    tampered[2]["data"] = json.dumps({"edited": True})
    code, output = _host_verify(si_counter, _write(tmp_path / "t.jsonl", tampered))
    assert code == 1 and "BROKEN: the exported journal is broken: event 3" in output


def test_every_z_slip_prints_the_journal_head(si_counter: Counter) -> None:
    kiosk = si_counter.kiosk
    assert kiosk is not None
    kiosk.clerks.add("1", "Ana", "1111", Role.SUPERVISOR)
    assert si_counter.sell("card-sale").state == "confirmed"
    outcome = kiosk.reports.z_report(clerk="1", pin="1111")
    assert outcome.printed, outcome.message
    figures = kiosk.store.last_z()  # the period closes after the supervisor's PIN check
    assert figures is not None
    digest = kiosk.store.event_hash_at(figures.through_seq)
    assert digest is not None
    z_slip = si_counter.printer.slips[-1].text
    assert "Dnevnik" in z_slip  # the Slovenian slip
    assert f"{figures.through_seq} {digest[:16]}" in z_slip
    x = kiosk.reports.x_report(clerk="1")
    assert "Dnevnik" not in (x.slip_text or "")
