"""Server-sent event streams fed from other threads: the local API's ``/api/v1/events`` and the
counter screen's ``/ui/events`` share this one mechanism.

Devices and the status feed call back on their own threads; each open stream gets a bounded
queue on the server's event loop. A client that falls too far behind has its stream ended (it
reconnects and starts from the current state) rather than the kiosk holding events for it
forever. An idle stream sends a comment every few seconds, so a client that left is noticed.
"""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator, Callable
from typing import Generic, TypeVar

from fastapi import Request
from fastapi.responses import StreamingResponse

T = TypeVar("T")

#: Seconds between keep-alive comments on an idle stream.
KEEPALIVE_S = 10.0
#: How often an idle stream looks whether its client left or the kiosk is stopping.
CHECK_S = 0.5


def sse(event: str, data: str, *, event_id: int | None = None) -> str:
    """One server-sent event; multi-line data is one ``data:`` line per line."""
    lines = [f"id: {event_id}"] if event_id is not None else []
    lines.append(f"event: {event}")
    lines += [f"data: {line}" for line in data.splitlines() or [""]]
    return "\n".join(lines) + "\n\n"


class EventQueue(Generic[T]):
    """Items for one stream, put from any thread; ``None`` ends the stream.

    Create it on the event loop that serves the stream (inside the endpoint).
    """

    def __init__(self, backlog: int) -> None:
        self._loop = asyncio.get_running_loop()
        self._queue: asyncio.Queue[T | None] = asyncio.Queue(maxsize=backlog)

    def put_threadsafe(self, item: T | None) -> None:
        with contextlib.suppress(RuntimeError):  # the loop already closed
            self._loop.call_soon_threadsafe(self._put, item)

    def _put(self, item: T | None) -> None:
        try:
            self._queue.put_nowait(item)
        except asyncio.QueueFull:
            # Too far behind: end this stream; the client reconnects and asks for the state.
            with contextlib.suppress(asyncio.QueueEmpty):
                self._queue.get_nowait()
            self._queue.put_nowait(None)

    async def relay(
        self,
        request: Request,
        render: Callable[[T], str | None],
        *,
        stopped: Callable[[], bool],
    ) -> AsyncIterator[str]:
        """Each item as ``render`` writes it (``None``: nothing to send), keep-alives while
        idle, until the client leaves, the queue is ended or ``stopped()``."""
        idle = 0.0
        while not stopped():
            try:
                item = await asyncio.wait_for(self._queue.get(), CHECK_S)
            except TimeoutError:
                if await request.is_disconnected():
                    return
                idle += CHECK_S
                if idle >= KEEPALIVE_S:
                    idle = 0.0
                    yield ": keep-alive\n\n"
                continue
            if item is None:
                return
            idle = 0.0
            text = render(item)
            if text is not None:
                yield text


def event_stream_response(body: AsyncIterator[str]) -> StreamingResponse:
    """A ``text/event-stream`` answer that no cache or proxy holds back."""
    return StreamingResponse(
        body,
        media_type="text/event-stream",
        headers={"Cache-Control": "no-store", "X-Accel-Buffering": "no"},
    )


__all__ = ["CHECK_S", "KEEPALIVE_S", "EventQueue", "event_stream_response", "sse"]
