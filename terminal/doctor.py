"""``kiosk doctor``: can this counter sell now, and if not, what to do about it.

One finding per area -- config, permissions, printer, host, store, clock -- each ``ok``,
``warn`` (it sells, but look at it) or ``fail`` (it cannot sell, or must not), with one line
saying what to do. The CLI exits 0 only when nothing failed.

It never disturbs a running kiosk: when one serves the terminal, the printer's status is asked
of that process (``GET /api/v1/devices``), which owns the printer; the store is only read
(WAL lets a reader in beside the writer), and the host is asked like any client asks it.
"""

from __future__ import annotations

import os
import shutil
import sqlite3
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, Literal

import requests

from drivers.errors import PrinterError
from drivers.printer import open_printer
from offline_queue.schema import SCHEMA_VERSION
from offline_queue.verify import verify_journal_on
from terminal.config import KioskConfig, load_config
from terminal.devices import printer_status
from terminal.errors import KioskError
from terminal.host_client import HostClient, HostProtocolError, HostUnavailable
from terminal.kiosk import RunningKiosk, running_kiosk

Status = Literal["ok", "warn", "fail"]

#: Free disk below this fails the store check (SQLite needs room to commit; logs and backups
#: grow beside it). ``kiosk doctor --min-free-mb`` changes it.
DEFAULT_MIN_FREE_MB = 100
#: The host refuses signed requests whose timestamp is further off than this (protocol v1).
HOST_MAX_SKEW_S = 300.0
#: A clock further off than this still sells, but slips and storno windows show the wrong time.
CLOCK_WARN_SKEW_S = 30.0
#: The earliest year a counter's clock can sensibly show (a box without a clock battery boots
#: in 1970 until NTP answers).
EARLIEST_YEAR = 2024

PRINTER_FIXES: dict[str, str] = {
    "paper_out": "Load a new paper roll and close the cover.",
    "paper_near_end": "Keep a new paper roll at hand: the roll is nearly used up.",
    "cover_open": "Close the printer's cover.",
    "offline": "Clear the printer's error (paper, cover), or switch it off and on.",
    "unknown": (
        "Check that the printer is switched on and connected, and that [printer] url in "
        "kiosk.toml names it."
    ),
}


@dataclass(frozen=True)
class Finding:
    check: str
    status: Status
    message: str
    fix: str | None = None

    def to_dict(self) -> dict[str, Any]:
        return {
            "check": self.check,
            "status": self.status,
            "message": self.message,
            "fix": self.fix,
        }


@dataclass
class DoctorReport:
    config_path: Path
    kiosk_running: bool = False
    findings: list[Finding] = field(default_factory=list)

    @property
    def can_sell(self) -> bool:
        return not any(f.status == "fail" for f in self.findings)

    def add(self, check: str, status: Status, message: str, fix: str | None = None) -> None:
        self.findings.append(Finding(check, status, message, fix))

    def to_dict(self) -> dict[str, Any]:
        return {
            "ok": self.can_sell,
            "can_sell": self.can_sell,
            "config": str(self.config_path),
            "kiosk_running": self.kiosk_running,
            "checks": [f.to_dict() for f in self.findings],
        }


# -- permissions -----------------------------------------------------------------------------


def _mode(path: Path) -> int:
    return os.stat(path).st_mode & 0o777


def check_permissions(config: KioskConfig, report: DoctorReport) -> None:
    """kiosk.toml private (it holds the key and the API token); the store's folder and files
    writable by this user and closed to others (they hold the sales)."""
    problems = 0
    info = os.stat(config.path)
    mode = info.st_mode & 0o777
    # 600, or 640 with the group of the user running it (deploy/: root:kiosk, read-only for
    # the kiosk): nobody else may read it, and only its owner may change it.
    foreign_group = bool(mode & 0o040) and info.st_gid != os.getegid()
    if mode & 0o027 or foreign_group:
        problems += 1
        report.add(
            "permissions",
            "fail",
            f"{config.path} can be read or changed by other users (mode {mode:03o}); it holds "
            "the terminal's signing key and API token.",
            f"chmod 600 {config.path}",
        )
    folder = config.store.path.parent
    if not folder.exists():
        existing = next((p for p in folder.parents if p.exists()), Path("/"))
        if not os.access(existing, os.W_OK | os.X_OK):
            problems += 1
            report.add(
                "permissions",
                "fail",
                f"The store's folder {folder} does not exist and this user cannot create it "
                f"in {existing}.",
                f"mkdir -m 700 {folder} and give it to the kiosk user (chown).",
            )
    else:
        if not os.access(folder, os.W_OK | os.X_OK):
            problems += 1
            report.add(
                "permissions",
                "fail",
                f"This user (uid {os.geteuid()}) cannot write the store's folder {folder}.",
                f"Run the kiosk as the folder's owner, or chown it to the kiosk user; then "
                f"chmod 700 {folder}.",
            )
        else:
            owner = os.stat(folder).st_uid
            if owner != os.geteuid():
                problems += 1
                report.add(
                    "permissions",
                    "warn",
                    f"The store's folder {folder} belongs to uid {owner}, not to this user "
                    f"(uid {os.geteuid()}).",
                    "Run kiosk commands as the kiosk user (sudo -u kiosk ...), so no file of "
                    "the store ends up owned by someone else.",
                )
        folder_mode = _mode(folder)
        if folder_mode & 0o077:
            problems += 1
            report.add(
                "permissions",
                "warn",
                f"The store's folder {folder} is open to other users (mode {folder_mode:03o}).",
                f"chmod 700 {folder}",
            )
    for suffix in ("", "-wal", "-shm"):
        path = config.store.path.with_name(config.store.path.name + suffix)
        if not path.exists():
            continue
        if not os.access(path, os.R_OK | os.W_OK):
            problems += 1
            report.add(
                "permissions",
                "fail",
                f"This user cannot read and write {path}.",
                f"chown it to the kiosk user and chmod 600 {path}.",
            )
        elif _mode(path) & 0o077:
            problems += 1
            report.add(
                "permissions",
                "warn",
                f"{path} is open to other users (mode {_mode(path):03o}).",
                f"chmod 600 {path}",
            )
    if not problems:
        report.add(
            "permissions",
            "ok",
            f"{config.path.name} is private; the store's folder {folder} is this user's.",
        )


# -- printer ---------------------------------------------------------------------------------


def _printer_state(config: KioskConfig, running: RunningKiosk | None) -> dict[str, Any]:
    """DLE EOT status, asked of the running kiosk (it owns the printer) or of the printer."""
    if running is not None:
        from terminal.client.remote import RemoteKioskClient

        response = RemoteKioskClient(running).request("GET", "/api/v1/devices")
        try:
            data: dict[str, Any] = response.json()
        except ValueError:
            raise KioskError(
                f"the kiosk answered HTTP {response.status_code} without JSON"
            ) from None
        if response.status_code != 200 or not isinstance(data.get("printer"), dict):
            message = data.get("error", {}).get("message") if isinstance(data, dict) else None
            raise KioskError(str(message or f"the kiosk answered {response.status_code}"))
        printer: dict[str, Any] = data["printer"]
        return printer
    p = config.printer
    try:
        handle = open_printer(p.url, profile=p.profile, width=p.width, timeout_s=p.timeout_s)
    except PrinterError as exc:
        return {"state": "unknown", "can_print": False, "detail": str(exc)}
    try:
        return printer_status(handle)
    finally:
        handle.close()


def check_printer(config: KioskConfig, running: RunningKiosk | None, report: DoctorReport) -> None:
    url = config.printer.url
    try:
        state = _printer_state(config, running)
    except KioskError as exc:
        report.add(
            "printer",
            "fail",
            f"Printer {url}: the running kiosk could not say how it is ({exc}).",
            "Look at the kiosk process (systemctl status kiosk), then run kiosk doctor again.",
        )
        return
    name = str(state.get("state", "unknown"))
    detail = str(state.get("detail") or name).rstrip(". ")
    if not state.get("can_print"):
        report.add(
            "printer",
            "fail",
            f"Printer {url} cannot print: {detail}.",
            PRINTER_FIXES.get(name, PRINTER_FIXES["unknown"]),
        )
    elif name == "paper_near_end":
        report.add("printer", "warn", f"Printer {url}: {detail}.", PRINTER_FIXES[name])
    else:
        report.add("printer", "ok", f"Printer {url} is ready ({detail}).")


# -- host and clock --------------------------------------------------------------------------


@dataclass(frozen=True)
class HostTime:
    host_time: datetime
    skew_s: float  # host minus this machine


def _health(config: KioskConfig, now: Callable[[], datetime]) -> tuple[HostTime | None, str | None]:
    """The host's unsigned health check: (its clock against ours, None) or (None, why not)."""
    url = config.host.url.rstrip("/") + "/v1/health"
    before = now()
    try:
        response = requests.get(
            url,
            timeout=(config.host.connect_timeout_s, config.host.read_timeout_s),
            allow_redirects=False,
        )
        after = now()
        data = response.json()
    except requests.RequestException as exc:
        return None, f"it does not answer ({type(exc).__name__})"
    except ValueError:
        return None, f"its health check answered HTTP {response.status_code} without JSON"
    if response.status_code != 200 or not isinstance(data, dict) or data.get("status") != "ok":
        return None, f"its health check answered HTTP {response.status_code}"
    try:
        host_time = datetime.fromisoformat(str(data["host_time"]))
    except (KeyError, ValueError):
        return HostTime(after, 0.0), None  # healthy, but it does not say its time
    if host_time.tzinfo is None:
        host_time = host_time.replace(tzinfo=UTC)
    midpoint = before + (after - before) / 2
    return HostTime(host_time, (host_time - midpoint).total_seconds()), None


SIGNATURE_FIXES: dict[str, str] = {
    "unknown_terminal": (
        "Ask the provider to register this terminal id with its key (the reference host: "
        "kiosk-host terminal add --db HOST.sqlite ID KEY)."
    ),
    "bad_signature": (
        "[terminal] key in kiosk.toml is not the key the host holds for this terminal: put in "
        "the registered key, or have the provider register this one."
    ),
    "stale_timestamp": "Set this machine's clock (timedatectl set-ntp true).",
    "nonce_reused": "Run kiosk doctor again; if it repeats, tell the provider's support.",
}


def check_host(
    config: KioskConfig, report: DoctorReport, *, now: Callable[[], datetime]
) -> HostTime | None:
    """Health (unsigned), then one signed request (the catalog): the terminal is known to the
    host and its key signs as the host expects."""
    url = config.host.url
    host_time, why = _health(config, now)
    if host_time is None:
        report.add(
            "host",
            "fail",
            f"Host {url}: {why}.",
            "Check the network and [host] url in kiosk.toml; if both are right, the "
            "provider's host is down: call the provider.",
        )
        return None
    client = HostClient(
        url,
        terminal_id=config.terminal.id,
        key=config.terminal.key,
        connect_timeout_s=config.host.connect_timeout_s,
        read_timeout_s=config.host.read_timeout_s,
    )
    try:
        client.catalog()
    except HostProtocolError as exc:
        code = exc.host_code or "refused"
        report.add(
            "host",
            "fail",
            f"Host {url} answers, but refuses this terminal's signed requests ({code}): {exc}",
            SIGNATURE_FIXES.get(code, "Tell the provider's support what the host answered."),
        )
        return host_time
    except HostUnavailable as exc:
        report.add(
            "host", "fail", f"Host {url}: {exc}", "Try again; if it repeats, call the provider."
        )
        return host_time
    finally:
        client.session.close()
    report.add(
        "host",
        "ok",
        f"Host {url} answers; it accepts terminal {config.terminal.id}'s signature.",
    )
    return host_time


def check_clock(
    report: DoctorReport,
    host_time: HostTime | None,
    *,
    now: datetime,
    last_event_at: datetime | None,
    wall_drift_s: float,
) -> None:
    """Sane wall clock (year, the host's clock, not behind the store) and a steady one."""
    problems = 0
    if now.year < EARLIEST_YEAR:
        problems += 1
        report.add(
            "clock",
            "fail",
            f"This machine's clock says {now:%Y-%m-%d %H:%M} UTC: it has not been set.",
            "Set the clock (timedatectl set-ntp true, or timedatectl set-time).",
        )
    if host_time is not None:
        skew = host_time.skew_s
        if abs(skew) > HOST_MAX_SKEW_S:
            problems += 1
            report.add(
                "clock",
                "fail",
                f"This machine's clock is {abs(skew):.0f} s {'behind' if skew > 0 else 'ahead of'}"
                f" the host's; the host refuses requests more than {HOST_MAX_SKEW_S:.0f} s off.",
                "Set the clock (timedatectl set-ntp true).",
            )
        elif abs(skew) > CLOCK_WARN_SKEW_S:
            problems += 1
            report.add(
                "clock",
                "warn",
                f"This machine's clock is {abs(skew):.0f} s off the host's: slips and storno "
                "windows show a wrong time.",
                "Turn on time synchronisation (timedatectl set-ntp true).",
            )
    if last_event_at is not None and (last_event_at - now).total_seconds() > HOST_MAX_SKEW_S:
        problems += 1
        report.add(
            "clock",
            "fail",
            f"This machine's clock ({now:%Y-%m-%d %H:%M} UTC) is behind the store's last event "
            f"({last_event_at:%Y-%m-%d %H:%M} UTC): it was set back.",
            "Set the clock right (timedatectl set-ntp true) before selling.",
        )
    if abs(wall_drift_s) > 5.0:
        problems += 1
        report.add(
            "clock",
            "warn",
            f"The wall clock jumped {wall_drift_s:+.0f} s against the steady clock while "
            "kiosk doctor ran.",
            "Make sure only one time service sets the clock (timedatectl status).",
        )
    if not problems:
        said = (
            f"within {abs(host_time.skew_s):.0f} s of the host's"
            if host_time is not None
            else "set (the host's clock could not be compared)"
        )
        report.add("clock", "ok", f"The clock is {said}.")


# -- store -----------------------------------------------------------------------------------


def check_store(config: KioskConfig, report: DoctorReport, *, min_free_mb: int) -> datetime | None:
    """Integrity, schema, terminal, journal and free disk; the last journal event's time."""
    path = config.store.path
    folder = next((p for p in (path.parent, *path.parent.parents) if p.exists()), Path("/"))
    free_mb = shutil.disk_usage(folder).free // (1 << 20)
    if free_mb < min_free_mb:
        report.add(
            "store",
            "fail",
            f"Only {free_mb} MB free on the disk of {folder} (the counter needs {min_free_mb} MB).",
            "Free disk space: move old backups and logs off this machine.",
        )
    elif free_mb < 2 * min_free_mb:
        report.add(
            "store",
            "warn",
            f"{free_mb} MB free on the disk of {folder}.",
            "Free disk space soon: move old backups and logs off this machine.",
        )
    if not path.exists():
        report.add(
            "store", "ok", f"No store yet at {path}: the kiosk creates it at its first start."
        )
        return None
    try:
        conn = sqlite3.connect(str(path), isolation_level=None, timeout=5)
    except sqlite3.Error as exc:
        report.add("store", "fail", f"Cannot open the store {path}: {exc}.", _RESTORE_FIX)
        return None
    try:
        return _store_contents(config, conn, report)
    except sqlite3.DatabaseError as exc:
        report.add("store", "fail", f"The store {path} cannot be read: {exc}.", _RESTORE_FIX)
        return None
    finally:
        conn.close()


_RESTORE_FIX = (
    "Stop the kiosk and restore the last good backup (kiosk restore FILE keeps this store aside)."
)


def _store_contents(
    config: KioskConfig, conn: sqlite3.Connection, report: DoctorReport
) -> datetime | None:
    path = config.store.path
    rows = conn.execute("PRAGMA integrity_check").fetchall()
    if [tuple(r) for r in rows] != [("ok",)]:
        report.add(
            "store",
            "fail",
            f"The store {path} fails SQLite's integrity check: "
            + "; ".join(str(r[0]) for r in rows[:3]),
            _RESTORE_FIX,
        )
        return None
    version = int(conn.execute("PRAGMA user_version").fetchone()[0])
    if version > SCHEMA_VERSION:
        report.add(
            "store",
            "fail",
            f"The store {path} was written by a newer version of the terminal software "
            f"(schema {version}; this one knows {SCHEMA_VERSION}).",
            "Install that newer version again (downgrading is not supported).",
        )
        return None
    if version < 1:
        report.add("store", "ok", f"The store {path} is empty: the kiosk sets it up at start.")
        return None
    ids = [str(r[0]) for r in conn.execute("SELECT terminal_id FROM sequence")]
    if ids and ids != [config.terminal.id]:
        report.add(
            "store",
            "fail",
            f"The store {path} belongs to terminal {', '.join(ids)}, but kiosk.toml says "
            f"terminal {config.terminal.id}.",
            "Point [store] path at this terminal's store, or correct [terminal] id.",
        )
        return None
    verdict = verify_journal_on(conn, key=config.terminal.key)
    if not verdict.ok:
        report.add(
            "store",
            "fail",
            f"The journal of {path} is broken at event {verdict.first_bad_seq}: {verdict.reason}.",
            "Do not sell: keep the file as it is (it is evidence) and call the provider's support.",
        )
        return None
    last = conn.execute("SELECT at FROM journal ORDER BY seq DESC LIMIT 1").fetchone()
    dead = int(conn.execute("SELECT count(*) FROM outbox WHERE state = 'dead'").fetchone()[0])
    upgrade = (
        f"; it is upgraded from schema {version} at the next start (a backup is made first)"
        if version < SCHEMA_VERSION
        else ""
    )
    report.add(
        "store",
        "ok",
        f"The store {path} passes the integrity check; journal intact ({verdict.checked} "
        f"events){upgrade}.",
    )
    if dead:
        report.add(
            "store",
            "warn",
            f"{dead} advice(s) to the host are dead letters (the host refused them).",
            "See them with kiosk queue status and tell the provider's support.",
        )
    if last is None:
        return None
    at = datetime.fromisoformat(str(last[0]))
    return at if at.tzinfo is not None else at.replace(tzinfo=UTC)


# -- all of it -------------------------------------------------------------------------------


def diagnose(
    config_path: Path,
    *,
    min_free_mb: int = DEFAULT_MIN_FREE_MB,
    now: Callable[[], datetime] = lambda: datetime.now(UTC),
    monotonic: Callable[[], float] = time.monotonic,
) -> DoctorReport:
    """Every check, in the order a technician would look; never raises for what it finds."""
    report = DoctorReport(config_path=Path(config_path))
    wall_start, mono_start = now(), monotonic()
    try:
        config = load_config(config_path)
    except KioskError as exc:
        report.add(
            "config",
            "fail",
            str(exc),
            "Correct kiosk.toml (kiosk config check names the key), then run kiosk doctor again.",
        )
        return report
    report.add(
        "config",
        "ok",
        f"{config.path}: terminal {config.terminal.id}, market {config.terminal.market}.",
    )
    running = running_kiosk(config)
    report.kiosk_running = running is not None
    check_permissions(config, report)
    check_printer(config, running, report)
    last_event_at = check_store(config, report, min_free_mb=min_free_mb)
    host_time = check_host(config, report, now=now)
    wall_end, mono_end = now(), monotonic()
    drift = (wall_end - wall_start).total_seconds() - (mono_end - mono_start)
    check_clock(report, host_time, now=wall_end, last_event_at=last_event_at, wall_drift_s=drift)
    return report


def report_text(report: DoctorReport) -> str:
    """The report for a person: one line per finding, the fix indented under it."""
    lines = []
    for f in report.findings:
        lines.append(f"{f.status.upper():<5} {f.check:<12} {f.message}")
        if f.fix and f.status != "ok":
            lines.append(f"{'':<18} -> {f.fix}")
    failed = sum(1 for f in report.findings if f.status == "fail")
    lines.append(
        "The counter can sell."
        if report.can_sell
        else f"The counter cannot sell: {failed} problem(s) to fix first."
    )
    return "\n".join(lines)


__all__ = [
    "DEFAULT_MIN_FREE_MB",
    "DoctorReport",
    "Finding",
    "HostTime",
    "check_clock",
    "diagnose",
    "report_text",
]
