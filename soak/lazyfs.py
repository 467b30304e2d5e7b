"""LazyFS from ``../shared/vendor/lazyfs``: a mount whose unsynced bytes vanish on command.

The soak puts everything the kiosk writes on such a mount. ``clear_cache()`` is the power cut
(it waits for LazyFS's own "finished" line, so the cut is complete before the kiosk is killed);
``torn_op``/``torn_seq`` describe torn writes to one file (LazyFS then dies, as a disk losing
power in the middle of a write would); ``remount()`` is the power coming back.
"""

from __future__ import annotations

import os
import select
import shutil
import subprocess
import time
from pathlib import Path

#: The vendored source and its offline build script (Debian packages only).
VENDOR = Path(__file__).resolve().parents[1] / ".." / "shared" / "vendor" / "lazyfs"
MOUNT_TIMEOUT_S = 20.0
COMMAND_TIMEOUT_S = 20.0


class LazyFsError(RuntimeError):
    """LazyFS could not be built, mounted or commanded; the message says which and why."""


def vendor_dir() -> Path:
    """Where build.sh lives: ``SOAK_LAZYFS_VENDOR`` or the shared vendor folder."""
    override = os.environ.get("SOAK_LAZYFS_VENDOR")
    if override:
        return Path(override)
    for candidate in (VENDOR, Path("/work/shared/vendor/lazyfs")):
        if (candidate / "build.sh").exists():
            return candidate.resolve()
    raise LazyFsError(f"LazyFS is not vendored at {VENDOR}: set SOAK_LAZYFS_VENDOR")


def build() -> Path:
    """Build (once, cached by build.sh) and return the binary's path; ``SOAK_LAZYFS_BIN`` wins."""
    given = os.environ.get("SOAK_LAZYFS_BIN")
    if given:
        return Path(given)
    script = vendor_dir() / "build.sh"
    done = subprocess.run(
        ["bash", str(script)], capture_output=True, text=True, timeout=1800, check=False
    )
    if done.returncode != 0:
        raise LazyFsError(f"{script} failed:\n{done.stderr[-2000:]}")
    binary = Path(done.stdout.strip().splitlines()[-1])
    if not binary.exists():
        raise LazyFsError(f"{script} printed {binary}, which does not exist")
    return binary


def _wait_until(predicate: object, timeout_s: float, what: str) -> None:
    """Poll a kernel-side condition (a mount appearing) that offers no event to wait on."""
    assert callable(predicate)
    deadline = time.monotonic() + timeout_s
    while not predicate():
        if time.monotonic() > deadline:
            raise LazyFsError(f"timed out after {timeout_s:g} s waiting for {what}")
        # a mount table has no readiness signal; re-read it at a short, bounded interval
        select.select([], [], [], 0.02)


class LazyFs:
    """One LazyFS process: ``root`` holds what survived, ``mnt`` is what the kiosk sees."""

    def __init__(self, binary: Path, folder: Path, *, cache_size: str = "256mb") -> None:
        self.binary = binary
        self.folder = folder.resolve()  # LazyFS runs in this folder: every path absolute
        self.folder.mkdir(parents=True, exist_ok=True)
        self.root = self.folder / "root"
        self.mnt = self.folder / "mnt"
        self.fifo = self.folder / "faults.fifo"
        self.done_fifo = self.folder / "faults-done.fifo"
        self.config = self.folder / "lazyfs.toml"
        self.log = self.folder / "lazyfs.log"
        self.cache_size = cache_size
        self.proc: subprocess.Popen[bytes] | None = None
        self._done_fd: int | None = None
        self.crashes = 0

    def _write_config(self, injections: list[str]) -> None:
        self.config.write_text(
            "[faults]\n"
            f'fifo_path="{self.fifo}"\n'
            f'fifo_path_completed="{self.done_fifo}"\n'
            "[cache]\napply_eviction=false\n"
            f'[cache.simple]\ncustom_size="{self.cache_size}"\nblocks_per_page=1\n'
            "[filesystem]\nlog_all_operations=false\n"
            f'logfile="{self.log}"\n' + "".join(injections),
            encoding="utf-8",
        )

    def mount(self, injections: list[str] | None = None) -> LazyFs:
        """Start LazyFS over ``root`` (with torn-write ``injections``); wait for the mount."""
        for path in (self.root, self.mnt):
            path.mkdir(parents=True, exist_ok=True)
        for fifo in (self.fifo, self.done_fifo):
            if not fifo.exists():
                os.mkfifo(fifo)
        self._write_config(injections or [])
        stderr = (self.folder / "lazyfs.stderr").open("ab")
        self.proc = subprocess.Popen(
            [
                str(self.binary),
                str(self.mnt),
                "--config-path",
                # relative: LazyFS ignores a config path containing "-o" (as in pytest-of-root)
                self.config.name,
                "-o",
                "allow_other",
                "-o",
                "modules=subdir",
                "-o",
                f"subdir={self.root}",
                "-f",
            ],
            stdout=stderr,
            stderr=stderr,
            cwd=self.folder,
        )
        stderr.close()
        proc = self.proc
        _wait_until(
            lambda: os.path.ismount(self.mnt) or proc.poll() is not None,
            MOUNT_TIMEOUT_S,
            f"LazyFS to mount {self.mnt}",
        )
        if proc.poll() is not None:
            raise LazyFsError(f"LazyFS exited at start; see {self.folder / 'lazyfs.stderr'}")
        # LazyFS opens the notifier FIFO for writing; keep our end open (non-blocking) from now
        self._done_fd = os.open(self.done_fifo, os.O_RDONLY | os.O_NONBLOCK)
        return self

    def alive(self) -> bool:
        return self.proc is not None and self.proc.poll() is None

    def command(self, line: str) -> None:
        """Write one fault command to the FIFO (bounded: LazyFS must be there to read it)."""
        if not self.alive():
            raise LazyFsError(f"LazyFS is not running; cannot send {line!r}")
        fd = None
        deadline = time.monotonic() + COMMAND_TIMEOUT_S
        while fd is None:
            try:
                fd = os.open(self.fifo, os.O_WRONLY | os.O_NONBLOCK)
            except OSError:  # ENXIO: the reader has not opened the FIFO yet
                if time.monotonic() > deadline:
                    raise LazyFsError(f"LazyFS never opened {self.fifo}") from None
                select.select([], [], [], 0.01)
        try:
            os.write(fd, (line + "\n").encode())
        finally:
            os.close(fd)

    def clear_cache(self) -> None:
        """The power cut: drop every unsynced byte, and return once LazyFS says it is done."""
        self.command("lazyfs::clear-cache")
        assert self._done_fd is not None
        buffer = b""
        deadline = time.monotonic() + COMMAND_TIMEOUT_S
        while b"finished::clear-cache" not in buffer:
            left = deadline - time.monotonic()
            if left <= 0 or not self.alive():
                raise LazyFsError("LazyFS did not confirm the clear-cache")
            ready, _, _ = select.select([self._done_fd], [], [], left)
            if ready:
                buffer += os.read(self._done_fd, 4096)

    def torn_op(self, file: Path, *, occurrence: int, parts: int, persist: list[int]) -> str:
        """``[[injection]]``: tear the ``occurrence``-th write to ``file``, keep ``persist``, die.

        This snapshot of LazyFS ignores the occurrence of a torn fault given on the FIFO, so
        torn writes are configured at mount time (``remount(injections=[...])``).
        """
        return (
            '[[injection]]\ntype="torn-op"\n'
            f'file="{self.underlying(file)}"\noccurrence={occurrence}\nparts={parts}\n'
            f"persist={persist}\n"
        )

    def torn_seq(self, file: Path, *, occurrence: int, persist: list[int]) -> str:
        """``[[injection]]``: of the ``occurrence``-th run of unsynced writes to ``file`` keep
        only the writes numbered in ``persist``, then die."""
        return (
            '[[injection]]\ntype="torn-seq"\nop="write"\n'
            f'file="{self.underlying(file)}"\noccurrence={occurrence}\npersist={persist}\n'
        )

    def underlying(self, path: Path) -> Path:
        """The name LazyFS sees for a file under the mount (the subdir module's path)."""
        return self.root / path.relative_to(self.mnt)

    def wait_dead(self, timeout_s: float) -> bool:
        """True once LazyFS exited (after a torn write it kills itself)."""
        if self.proc is None:
            return True
        try:
            self.proc.wait(timeout=timeout_s)
        except subprocess.TimeoutExpired:
            return False
        return True

    def unmount(self) -> None:
        """Stop LazyFS (its cache, and so every unsynced byte, goes with it) and unmount."""
        if self._done_fd is not None:
            os.close(self._done_fd)
            self._done_fd = None
        fusermount = shutil.which("fusermount3") or shutil.which("fusermount") or "fusermount3"
        if self.proc is not None and self.proc.poll() is None:
            self.proc.kill()
            self.proc.wait(timeout=MOUNT_TIMEOUT_S)
        subprocess.run(
            [fusermount, "-u", "-z", str(self.mnt)], capture_output=True, timeout=30, check=False
        )
        _wait_until(lambda: not os.path.ismount(self.mnt), MOUNT_TIMEOUT_S, "the unmount")
        self.proc = None

    def remount(self, injections: list[str] | None = None) -> None:
        """Power back on: a fresh LazyFS over the same ``root`` (what was synced, or torn)."""
        self.unmount()
        self.mount(injections)
