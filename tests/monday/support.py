"""Test support for the monday package: virtual clocks and a scripted HTTP server.

The server is a raw asyncio HTTP/1.1 server on 127.0.0.1, so a test can script what
a real network does to a request: answer, answer 429/500, drop the connection after
reading the request, or hang. The client under test talks to it over real sockets.
"""

from __future__ import annotations

import asyncio
import heapq
import itertools
import json
import socket
import time
from collections.abc import Awaitable
from dataclasses import dataclass, field
from typing import Any, TypeVar

T = TypeVar("T")


class VirtualClock:
    """Virtual time for the scheduler: ``sleep`` parks until time is advanced; ``run``
    jumps time to the next deadline whenever every task is parked (an autojump clock),
    so a 60 s window takes no real time."""

    def __init__(self, start: float = 1_000.0) -> None:
        self.now = start
        self._sleepers: list[tuple[float, int, asyncio.Future[None]]] = []
        self._seq = itertools.count()

    def monotonic(self) -> float:
        return self.now

    async def sleep(self, seconds: float) -> None:
        if seconds <= 0:
            await asyncio.sleep(0)
            return
        fut: asyncio.Future[None] = asyncio.get_running_loop().create_future()
        heapq.heappush(self._sleepers, (self.now + seconds, next(self._seq), fut))
        await fut

    def advance(self, seconds: float) -> None:
        self.now += seconds
        self._wake()

    def _wake(self) -> None:
        while self._sleepers and (self._sleepers[0][2].done() or self._sleepers[0][0] <= self.now):
            _, _, fut = heapq.heappop(self._sleepers)
            if not fut.done():
                fut.set_result(None)

    async def run(self, awaitable: Awaitable[T], *, max_jumps: int = 100_000) -> T:
        task = asyncio.ensure_future(awaitable)
        for _ in range(max_jumps):
            for _ in range(30):  # let every runnable task run until it parks
                await asyncio.sleep(0)
            if task.done():
                return task.result()
            while self._sleepers and self._sleepers[0][2].done():
                heapq.heappop(self._sleepers)
            if not self._sleepers:
                task.cancel()
                raise AssertionError("deadlock: nothing sleeping and the task is not done")
            self.now = max(self.now, self._sleepers[0][0])
            self._wake()
        task.cancel()
        raise AssertionError("too many time jumps")


class JumpClock:
    """Real monotonic time plus an offset; ``sleep`` adds to the offset at once. For
    client tests over real sockets: backoff and Retry-After waits cost no real time,
    but are still measured."""

    def __init__(self) -> None:
        self.offset = 0.0
        self.sleeps: list[float] = []

    def monotonic(self) -> float:
        return time.monotonic() + self.offset

    async def sleep(self, seconds: float) -> None:
        self.sleeps.append(seconds)
        self.offset += max(0.0, seconds)
        await asyncio.sleep(0)


@dataclass
class Reply:
    """One scripted behaviour: ``respond`` (status, body, headers), ``drop`` (close
    after reading the request) or ``hang`` (never answer)."""

    kind: str = "respond"
    status: int = 200
    body: Any = None
    headers: dict[str, str] = field(default_factory=dict)

    @classmethod
    def ok(cls, data: Any, *, complexity: dict[str, int] | None = None, **kw: Any) -> Reply:
        data = dict(data or {})
        data.setdefault(
            "complexity",
            complexity
            or {"before": 1_000_000, "after": 990_000, "query": 10_000, "reset_in_x_seconds": 60},
        )
        return cls(body={"data": data, "extensions": {"request_id": "req-1"}}, **kw)


@dataclass
class Received:
    method: str
    path: str
    headers: dict[str, str]
    body: bytes

    def json(self) -> Any:
        return json.loads(self.body)


class ScriptedServer:
    """Answers each request with the next scripted ``Reply`` (the last one repeats)."""

    def __init__(self, *replies: Reply) -> None:
        self.replies = list(replies)
        self.received: list[Received] = []
        self._server: asyncio.AbstractServer | None = None
        self._hanging: list[asyncio.StreamWriter] = []
        self.port = 0

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}/v2"

    async def __aenter__(self) -> ScriptedServer:
        self._server = await asyncio.start_server(self._handle, "127.0.0.1", 0)
        self.port = self._server.sockets[0].getsockname()[1]
        return self

    async def __aexit__(self, *exc: object) -> None:
        for writer in self._hanging:
            writer.close()
        assert self._server is not None
        self._server.close()
        await self._server.wait_closed()

    def script(self, *replies: Reply) -> None:
        self.replies = list(replies)

    async def _handle(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        try:
            while True:
                head = await reader.readuntil(b"\r\n\r\n")
                lines = head.decode("latin-1").split("\r\n")
                method, path, _ = lines[0].split(" ", 2)
                headers = {}
                for line in lines[1:]:
                    if ":" in line:
                        k, v = line.split(":", 1)
                        headers[k.strip().lower()] = v.strip()
                body = await reader.readexactly(int(headers.get("content-length", "0")))
                self.received.append(Received(method, path, headers, body))
                reply = self.replies.pop(0) if len(self.replies) > 1 else self.replies[0]
                if reply.kind == "drop":
                    writer.close()
                    return
                if reply.kind == "hang":
                    self._hanging.append(writer)
                    await asyncio.sleep(3600)
                    return
                payload = (
                    reply.body if isinstance(reply.body, bytes) else json.dumps(reply.body).encode()
                )
                out = [f"HTTP/1.1 {reply.status} X", f"Content-Length: {len(payload)}"]
                out.append("Content-Type: application/json")
                out += [f"{k}: {v}" for k, v in reply.headers.items()]
                writer.write(("\r\n".join(out) + "\r\n\r\n").encode() + payload)
                await writer.drain()
        except (asyncio.IncompleteReadError, ConnectionError, asyncio.CancelledError):
            pass
        finally:
            writer.close()


def closed_port() -> int:
    """A port on 127.0.0.1 nothing listens on (connection refused)."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]
