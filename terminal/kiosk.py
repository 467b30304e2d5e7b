"""The kiosk process: one owner of the store, the printer and the forwarder.

Only one process may drive a terminal's printer and settle its unfinished sales, so the owner
holds an exclusive lock next to the store for as long as it runs. Crash recovery runs right
after the lock is taken and before the first sale. A second ``kiosk`` command finds the lock
held and talks to the owner through its local API instead (see ``terminal.api``).
"""

from __future__ import annotations

import contextlib
import fcntl
import json
import logging
import os
import threading
from dataclasses import dataclass
from pathlib import Path
from types import TracebackType
from typing import IO, TYPE_CHECKING, Any

from drivers.errors import PrinterError
from drivers.printer import open_printer, profile_mismatch
from drivers.printer.base import ReadBackPrinter, ReceiptPrinter
from foundation.clock import Clock, SystemClock
from offline_queue.errors import StoreError
from offline_queue.forwarder import Forwarder
from offline_queue.private import make_private_folder, open_private
from offline_queue.store import Store
from terminal.billers import BillerCatalog
from terminal.clerks import ClerkBook
from terminal.config import KioskConfig
from terminal.counter import ClerkConfirmsPrint, Counter
from terminal.devices import Devices
from terminal.errors import KioskError
from terminal.host_client import HostClient
from terminal.idempotency import Idempotency
from terminal.lookup import LookupService
from terminal.printer_watch import WatchedPrinter
from terminal.recovery import RecoveryReport, recover
from terminal.reports import ReportService
from terminal.reprint import ReprintService
from terminal.sale import SaleService
from terminal.shift import ShiftService
from terminal.status import HostMonitor, StatusBoard
from terminal.storno import StornoService

if TYPE_CHECKING:
    from terminal.devices import DemoControls

log = logging.getLogger(__name__)


class TerminalBusy(KioskError):
    """Another kiosk process owns this terminal."""

    code = "terminal_busy"


class StoreUnusable(KioskError):
    """The store cannot be opened (not a SQLite file, a newer schema, no folder): one line."""

    code = "store_unusable"


class LockNotWritten(KioskError):
    """The lock file beside the store cannot be written (a full disk, a read-only folder)."""

    code = "lock_not_written"


@dataclass(frozen=True)
class RunningKiosk:
    """What the owning process publishes so other commands can reach it."""

    pid: int
    api_url: str | None
    token: str | None


def lock_path(config: KioskConfig) -> Path:
    """The lock beside the store's real file: a symlink or a ``..`` path to the same store
    names the same lock (a hard link is caught by the lock on the database file itself)."""
    real = Path(os.path.realpath(config.store.path))
    return real.with_name(real.name + ".lock")


def running_kiosk(config: KioskConfig) -> RunningKiosk | None:
    """The process that owns this terminal now, if any (the lock is held, not just a file)."""
    path = lock_path(config)
    if not path.exists():
        return None
    with path.open("r+") as handle:
        try:
            fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            try:
                data = json.loads(path.read_text() or "{}")
            except json.JSONDecodeError:
                data = {}
            return RunningKiosk(
                pid=int(data.get("pid", 0)), api_url=data.get("api_url"), token=data.get("token")
            )
        fcntl.flock(handle, fcntl.LOCK_UN)
    return None


def host_client(config: KioskConfig, clock: Clock) -> HostClient:
    """A client of the configured host, signing with this terminal's key."""
    return HostClient(
        config.host.url,
        terminal_id=config.terminal.id,
        key=config.terminal.key,
        connect_timeout_s=config.host.connect_timeout_s,
        read_timeout_s=config.host.read_timeout_s,
        clock=clock,
    )


class Kiosk:
    """Store, printer, host client, forwarder and sale service of one terminal, wired together.

    Tests pass their own clock, printer or host client; production builds them from the
    configuration.
    """

    def __init__(
        self,
        config: KioskConfig,
        *,
        clock: Clock | None = None,
        printer: ReceiptPrinter | None = None,
        host: HostClient | None = None,
        clerk_confirms_print: ClerkConfirmsPrint | None = None,
        forwarder_idle_wait_s: float = 2.0,
        defer_printer_check: bool = False,
    ) -> None:
        """``defer_printer_check``: leave the printer's identity check (GS I, a connection to
        a printer that may be off) to :meth:`check_printer_identity`, called by whoever wants
        to be ready first (``kiosk serve`` calls it once its API answers)."""
        self.config = config
        self.clock = clock or SystemClock()
        self.printer_warning: str | None = None
        self._lock_handle: IO[str] | None = None
        self._store_lock_fd: int | None = None
        self._housekeeping: threading.Thread | None = None
        self._housekeeping_stop = threading.Event()
        #: The demo's host and virtual printer, set by ``kiosk demo`` only: the demo-only
        #: endpoints break and mend them on request; None everywhere else.
        self.demo: DemoControls | None = None
        self._take_lock()
        try:
            try:
                self.store = Store(
                    config.store.path,
                    terminal_id=config.terminal.id,
                    clock=self.clock,
                    key=config.terminal.key,
                )
            except StoreError as exc:  # not SQLite, a newer schema, no such folder...
                raise StoreUnusable(str(exc)) from None
            # Wrapped so that every change of the printer's state is logged, whoever asked.
            self.printer: ReceiptPrinter = WatchedPrinter(
                printer
                or open_printer(
                    config.printer.url,
                    profile=config.printer.profile,
                    width=config.printer.width,
                    timeout_s=config.printer.timeout_s,
                    print_speed_mm_s=config.printer.print_speed_mm_s,
                    job_ceiling_s=config.printer.max_job_time_s,
                )
            )
            # The printer's one owner keeps its connection: a sale opens none (TCP printers).
            self.printer.keep_link()
            if not defer_printer_check:
                self.check_printer_identity()
            self.host = host or host_client(config, self.clock)
            # The forwarder thread gets a client (and HTTP session) of its own: a requests
            # Session is not promised to be safe across threads.
            advice_host = host or host_client(config, self.clock)
            advice_host.journal_head = self.store.journal_head
            # The status bar's view of the host: probed on its own thread (own client again),
            # and told by every real call whether the host answered.
            probe_host = host or host_client(config, self.clock)
            self.host_monitor = HostMonitor(
                probe_host.health, self.clock, interval_s=config.host.health_interval_s
            )
            self.host.on_contact = self.host_monitor.report
            advice_host.on_contact = self.host_monitor.report
            f = config.forwarder
            self.forwarder = Forwarder(
                self.store,
                advice_host.send_advices,
                clock=self.clock,
                batch_size=f.batch_size,
                lease_s=f.lease_s,
                backoff_base_s=f.backoff_base_s,
                backoff_cap_s=f.backoff_cap_s,
                circuit_failures=f.circuit_failures,
                circuit_cooldown_s=f.circuit_cooldown_s,
                idle_wait_s=forwarder_idle_wait_s,
            )
            # Built now, opened by start_devices(): a one-shot `kiosk sell` must not grab ports.
            self.devices = Devices(config, self.printer, clock=self.clock)
            #: the printer, the drawer and the lock every service at this counter shares
            self.counter = Counter(
                config=config,
                store=self.store,
                printer=self.printer,
                clock=self.clock,
                clerk_confirms_print=clerk_confirms_print,
            )
            self.sales = SaleService(
                config=config,
                store=self.store,
                counter=self.counter,
                host=self.host,
                clock=self.clock,
                on_enqueued=self.forwarder.notify,
                billers=BillerCatalog(self.host),
                swipes=self.devices.vault,
            )
            self.stornos = StornoService(self.sales, self.host)
            self.reprints = ReprintService(self.counter)
            self.lookups = LookupService(self.store, self.host)
            self.clerks = ClerkBook(
                self.store,
                self.clock,
                max_failures=config.clerks.max_failures,
                lockout_s=config.clerks.lockout_s,
                timezone=config.terminal.timezone,
            )
            self.reports = ReportService(self.counter, self.clerks)
            self.shift = ShiftService(self.counter, self.clerks)
            self.idempotency = Idempotency(self.store, self.sales)
            self.recovery: RecoveryReport = recover(self.sales, self.stornos)
            self.status = StatusBoard(self)
        except BaseException:
            self._release_lock()
            raise

    # -- the process lock ---------------------------------------------------------------------

    def _take_lock(self) -> None:
        path = lock_path(self.config)
        make_private_folder(path.parent)
        handle = os.fdopen(open_private(path), "r+")
        try:
            fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            handle.close()
            raise TerminalBusy(
                "Another kiosk process runs this terminal: use it (its screen or `kiosk` "
                "commands reach it through its API), or stop it first."
            ) from None
        self._lock_handle = handle
        try:
            self._lock_database_file()
        except BaseException:
            self._release_lock()
            raise
        try:
            self.publish(api_url=None, token=None)
        except OSError as exc:  # found by the soak's disk-full storm: a traceback before
            self._release_lock()  # closing flushes again and fails the same way: suppressed
            raise LockNotWritten(
                f"The kiosk cannot write its lock file {path} ({exc.strerror or exc}): free "
                f"disk space in {path.parent} or let the kiosk user write there, then start "
                "it again."
            ) from None

    def _lock_database_file(self) -> None:
        """An ``flock`` on the database file itself, held while this process owns it.

        The lock file is found by name; two names of one file (hard links) would find two lock
        files, but they are one inode, and an ``flock`` is per inode. SQLite's own locks are
        POSIX record locks, which do not interact with ``flock`` on Linux; the descriptor stays
        open until the store is closed, so closing it never drops SQLite's locks.
        """
        store_path = Path(os.path.realpath(self.config.store.path))
        make_private_folder(store_path.parent)
        descriptor = open_private(store_path)
        try:
            fcntl.flock(descriptor, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            os.close(descriptor)
            raise TerminalBusy(
                f"Another kiosk process has this terminal's store open ({store_path}, under "
                "another name): use that kiosk, or stop it first."
            ) from None
        self._store_lock_fd = descriptor

    def publish(self, *, api_url: str | None, token: str | None) -> None:
        """Tell other commands where this process's local API is (the lock file, mode 600)."""
        handle = self._lock_handle
        if handle is None:
            return
        handle.seek(0)
        handle.truncate()
        info: dict[str, Any] = {"pid": os.getpid(), "api_url": api_url, "token": token}
        handle.write(json.dumps(info))
        handle.flush()

    def _release_lock(self) -> None:
        """Empty and unlock the lock file. A disk failing meanwhile (I/O error, gone) must not
        hide why the kiosk stops: found by the soak's torn writes, where this raised over the
        store's own clear error. The lock goes with the process anyway."""
        if self._store_lock_fd is not None:
            with contextlib.suppress(OSError):
                fcntl.flock(self._store_lock_fd, fcntl.LOCK_UN)
            with contextlib.suppress(OSError):
                os.close(self._store_lock_fd)
            self._store_lock_fd = None
        handle = self._lock_handle
        if handle is not None:
            self._lock_handle = None
            with contextlib.suppress(OSError):
                handle.seek(0)
                handle.truncate()
            with contextlib.suppress(OSError):
                fcntl.flock(handle, fcntl.LOCK_UN)
            with contextlib.suppress(OSError):
                handle.close()

    # -- life cycle ---------------------------------------------------------------------------

    def start_forwarding(self) -> None:
        self.forwarder.start()

    def start_monitoring(self) -> None:
        """Ask the host's health check now and every ``[host] health_interval`` (status bar)."""
        self.host_monitor.start()

    def start_housekeeping(self, interval_s: float = 5.0) -> None:
        """Every ``interval_s`` while the counter is idle: print failure notices still owed, so
        the customer holding half a slip gets the notice without waiting for the next sale."""
        if self._housekeeping is not None and self._housekeeping.is_alive():
            return
        self._housekeeping_stop.clear()

        def loop() -> None:
            while not self._housekeeping_stop.wait(interval_s):
                try:
                    self.counter.print_owed_notices_when_idle()
                except Exception:  # a tick must never end the loop; the log says why
                    log.exception("housekeeping tick failed")

        self._housekeeping = threading.Thread(target=loop, name="kiosk-housekeeping", daemon=True)
        self._housekeeping.start()

    def start_devices(self, *, demo: bool = False) -> None:
        """Card reader, scanner and wedge input (and in the demo the fake reader) for the
        process that serves the counter screen."""
        self.devices.start(demo=demo)

    def check_printer_identity(self) -> None:
        """Read the printer's GS I identity at start; warn when it is not the configured profile.

        Never fatal: a printer that is off now is found by the first status check or sale.
        """
        driver = self.printer.inner if isinstance(self.printer, WatchedPrinter) else self.printer
        if not isinstance(driver, ReadBackPrinter):
            return
        try:
            identity = driver.identify()
        except PrinterError:
            return
        warning = profile_mismatch(identity, self.config.printer.profile) if identity else None
        if warning:
            log.warning("printer: %s", warning)
        #: the mismatch warning, if any, for status screens
        self.printer_warning = warning

    def close(self) -> None:
        self._housekeeping_stop.set()
        if self._housekeeping is not None:
            self._housekeeping.join(15)
        self.devices.stop()
        self.host_monitor.stop()
        self.forwarder.stop()
        self.printer.close()
        self.store.close()
        self._release_lock()

    def __enter__(self) -> Kiosk:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.close()


__all__ = [
    "Kiosk",
    "LockNotWritten",
    "RunningKiosk",
    "StoreUnusable",
    "TerminalBusy",
    "lock_path",
    "running_kiosk",
]
