"""The reference host over HTTP: ``ThreadingHTTPServer`` plus fault injection at the socket.

The standard library server gives full control over what goes on the wire, which fault
injection needs: closing without an answer, an RST instead of a FIN, a truncated body, a held
connection. It runs in a background thread so tests and the CLI start and stop it the same way.
"""

from __future__ import annotations

import socket
import struct
import sys
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

from foundation.clock import Clock, SystemClock
from foundation.host_wire import ErrorCode, error_body
from hostsim.faults import Fault, FaultInjector
from hostsim.products import HostSettings
from hostsim.routes import JSON, HostApp, Response
from hostsim.store import HostStore

MAX_BODY_BYTES = 1 << 20
#: What a ``malformed`` fault sends: the start of a real answer, cut off mid-string.
MALFORMED_BODY = b'{"status":"approved","auth_code":"7Q'


class _Server(ThreadingHTTPServer):
    # Request threads are joined on close (held faults are released first), so no thread
    # can touch the store after it is closed.
    daemon_threads = False
    block_on_close = True
    allow_reuse_address = True
    app: HostApp
    verbose: bool

    def handle_error(self, request: Any, client_address: Any) -> None:
        """A terminal that hung up before its answer (killed, timed out) is ordinary for a
        host: the answer is lost, which the protocol allows for. Anything else is printed."""
        if isinstance(sys.exc_info()[1], ConnectionError):
            return
        super().handle_error(request, client_address)


class _Handler(BaseHTTPRequestHandler):
    server: _Server
    protocol_version = "HTTP/1.0"
    server_version = "kiosk-hostsim/1"

    def do_GET(self) -> None:
        self._serve()

    def do_POST(self) -> None:
        self._serve()

    def do_DELETE(self) -> None:
        self._serve()

    def do_PUT(self) -> None:
        self._serve()

    def log_message(self, format: str, *args: Any) -> None:
        if self.server.verbose:
            super().log_message(format, *args)

    def _serve(self) -> None:
        app = self.server.app
        try:
            length = int(self.headers.get("Content-Length") or 0)
        except ValueError:
            length = -1
        if length < 0 or length > MAX_BODY_BYTES:
            self._send(
                Response.json(
                    413, error_body(ErrorCode.PAYLOAD_TOO_LARGE, "body too large or bad length")
                )
            )
            return
        body = self.rfile.read(length) if length else b""
        is_admin = self.path.startswith("/admin/")
        plan = app.faults.plan(self.path) if not is_admin else None
        if plan is not None and plan.latency_ms:
            plan.released.wait(plan.latency_ms / 1000.0)
        fault = plan.fault if plan is not None else None
        if fault is not None and fault.phase == "before":
            self._fault(fault, plan.released if plan else threading.Event())
            return
        response = app.handle(
            self.command, self.path, dict(self.headers.items()), body, self.client_address[0]
        )
        if fault is not None:
            self._fault(fault, plan.released if plan else threading.Event())
            return
        self._send(response)

    def _send(self, response: Response) -> None:
        self.send_response(response.status)
        self.send_header("Content-Type", JSON)
        self.send_header("Content-Length", str(len(response.body)))
        for name, value in response.headers.items():
            self.send_header(name, value)
        self.end_headers()
        self.wfile.write(response.body)

    def _fault(self, fault: Fault, released: threading.Event) -> None:
        if fault.kind == "down" and fault.mode == "503":
            self._send(
                Response.json(
                    503,
                    error_body(ErrorCode.UNAVAILABLE, "host is down (fault injection)"),
                    {"Retry-After": str(fault.retry_after_s)},
                )
            )
        elif fault.kind == "down":
            self._drop(rst=False)
        elif fault.kind == "reset":
            self._drop(rst=True)
        elif fault.kind == "timeout":
            released.wait(fault.hold_s)
            self._drop(rst=False)
        elif fault.kind == "malformed":
            self.send_response(200)
            self.send_header("Content-Type", JSON)
            self.send_header("Content-Length", str(len(MALFORMED_BODY)))
            self.end_headers()
            self.wfile.write(MALFORMED_BODY)
        else:  # error_rate
            headers = {}
            if fault.status in (429, 503):
                headers["Retry-After"] = str(fault.retry_after_s)
            code = ErrorCode.UNAVAILABLE if fault.status in (429, 503) else ErrorCode.INTERNAL_ERROR
            self._send(
                Response.json(
                    fault.status, error_body(code, "injected error (fault injection)"), headers
                )
            )

    def _drop(self, *, rst: bool) -> None:
        """Close without an HTTP answer; with ``rst`` the peer sees a connection reset."""
        self.close_connection = True
        sock = self.connection
        try:
            if rst:
                sock.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
            else:
                sock.shutdown(socket.SHUT_RDWR)
        except OSError:
            pass
        sock.close()
        # Nothing may be flushed to a closed socket by the base class afterwards.
        self.wfile = _Discard()  # type: ignore[assignment]


class _Discard:
    """Stands in for the socket's writer once a fault has dropped the connection."""

    closed = False

    def write(self, data: bytes) -> int:
        return len(data)

    def flush(self) -> None:
        pass

    def close(self) -> None:
        pass


class HostServer:
    """One running reference host; ``start()`` in a background thread, ``stop()`` gracefully."""

    def __init__(
        self,
        db_path: str | Path,
        *,
        host: str = "127.0.0.1",
        port: int = 0,
        clock: Clock | None = None,
        settings: HostSettings | None = None,
        sweep_interval_s: float | None = None,
        verbose: bool = False,
    ) -> None:
        self.store = HostStore(db_path)
        self.app = HostApp(self.store, clock or SystemClock(), settings, FaultInjector())
        try:
            self._httpd = _Server((host, port), _Handler)
        except OSError:
            self.store.close()
            raise
        self._httpd.app = self.app
        self._httpd.verbose = verbose
        self._thread: threading.Thread | None = None
        self._sweeper: threading.Thread | None = None
        self._sweep_interval_s = sweep_interval_s
        self._stopping = threading.Event()

    @property
    def faults(self) -> FaultInjector:
        return self.app.faults

    @property
    def address(self) -> tuple[str, int]:
        host, port = self._httpd.server_address[:2]
        return str(host), int(port)

    @property
    def url(self) -> str:
        host, port = self.address
        return f"http://{host}:{port}"

    def start(self) -> HostServer:
        self._thread = threading.Thread(
            target=self._httpd.serve_forever,
            kwargs={"poll_interval": 0.05},
            name="hostsim-http",
            daemon=True,
        )
        self._thread.start()
        if self._sweep_interval_s:
            self._sweeper = threading.Thread(
                target=self._sweep_loop, name="hostsim-sweep", daemon=True
            )
            self._sweeper.start()
        return self

    def _sweep_loop(self) -> None:
        assert self._sweep_interval_s is not None
        while not self._stopping.wait(self._sweep_interval_s):
            self.app.sweep()

    def stop(self) -> None:
        """Stop accepting, release held connections, wait for the threads, close the store."""
        self._stopping.set()
        self.app.faults.clear()
        self._httpd.shutdown()
        self._httpd.server_close()
        if self._thread is not None:
            self._thread.join(timeout=10)
        if self._sweeper is not None:
            self._sweeper.join(timeout=10)
        self.store.close()

    def __enter__(self) -> HostServer:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()


__all__ = ["MALFORMED_BODY", "HostServer"]
