"""One client link of the virtual printer (TCP socket or pty), answered from two threads.

The receive thread answers real-time commands and the print thread answers in-order ones, so
both write through this one object and its lock.
"""

from __future__ import annotations

import contextlib
import os
import socket
import threading


class Link:
    """One client link (TCP socket or pty); replies from two threads go through one lock."""

    def __init__(self, sock: socket.socket | None = None, fd: int | None = None) -> None:
        self.sock = sock
        self.fd = fd
        self._lock = threading.Lock()
        self.closed = False

    def reply(self, value: int) -> None:
        self.send(bytes([value]))

    def send(self, data: bytes) -> None:
        with self._lock:
            if self.closed or not data:
                return
            try:
                if self.sock is not None:
                    self.sock.sendall(data)
                elif self.fd is not None:
                    os.write(self.fd, data)
            except OSError:
                self.closed = True

    def close(self) -> None:
        with self._lock:
            self.closed = True
            if self.sock is not None:
                with contextlib.suppress(OSError):
                    self.sock.shutdown(socket.SHUT_RDWR)
                with contextlib.suppress(OSError):
                    self.sock.close()


__all__ = ["Link"]
