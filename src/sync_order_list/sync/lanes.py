"""Lanes: one queue of work per monday board, sized by monday's time and budget.

monday asks writers to send mutations to a board one after the other (concurrent
mutations on one board can corrupt it; it answers 423 while a board is locked), and
it runs the aliases of a document in order and cuts every call at 60 s. So each board
gets one lane that has at most one mutation document in flight; the items board and
its subitems board are separate boards, so their lanes run side by side (subitems of
orders whose items exist flow into their lane while items are still being created).

A lane sizes each document to take about ``batch.document_seconds`` of monday's time,
from the server time per mutation it has observed (the slowest recent figure weighs
most, so a slower day shrinks documents at once); the scheduler then trims it to the
complexity budget left. The pure parts (queue, sizing) live here; sending is the
executor's.
"""

from __future__ import annotations

import asyncio
import math
from collections import deque
from dataclasses import dataclass, field

from sync_order_list.sync.operations import Operation

# documents are sized to take at most the target: a tenth of room for the spread of
# monday's server time between one document and the next
MARGIN = 1.1


@dataclass
class ServerTime:
    """Seconds per mutation as monday's responses show them (latency included)."""

    seconds_per_op: float
    observed: int = 0
    slowest: float = 0.0

    def observe(self, duration: float, ops: int) -> None:
        if ops <= 0 or duration <= 0:
            return
        per_op = duration / ops
        self.observed += 1
        self.slowest = max(self.slowest, per_op)
        if self.observed == 1 or per_op > self.seconds_per_op:
            self.seconds_per_op = per_op  # slower: believe it at once
        else:
            self.seconds_per_op = 0.7 * self.seconds_per_op + 0.3 * per_op

    def observe_timeout(self, limit: float, ops: int) -> None:
        """A document of ``ops`` was cut at ``limit`` seconds: each took at least this."""
        self.observe(limit * 1.2, ops)

    def ops_for(self, target_seconds: float) -> int:
        return max(1, math.floor(target_seconds / max(self.seconds_per_op * MARGIN, 1e-6)))


@dataclass
class Lane:
    """Rows waiting to go to one board, each row's operations kept together."""

    name: str  # "items" or "subitems"
    board_id: str
    batch_size: int
    server_time: ServerTime
    queue: deque[list[Operation]] = field(default_factory=deque)
    closed: bool = False  # nothing more will be added
    sent_documents: int = 0
    _wakeup: asyncio.Event = field(default_factory=asyncio.Event)

    def put(self, rows: list[list[Operation]]) -> None:
        if rows:
            self.queue.extend(rows)
            self._wakeup.set()

    def close(self) -> None:
        self.closed = True
        self._wakeup.set()

    async def wait_for_work(self) -> None:
        self._wakeup.clear()
        if self.queue or self.closed:
            return
        await self._wakeup.wait()

    @property
    def done(self) -> bool:
        return self.closed and not self.queue

    def limit(self, target_seconds: float, per_query_cap: int) -> int:
        """How many operations the next document may carry (before the budget)."""
        return max(1, min(self.batch_size, per_query_cap, self.server_time.ops_for(target_seconds)))

    def take(self, n: int) -> list[Operation]:
        """Up to ``n`` operations of whole rows (at least one row)."""
        chunk: list[Operation] = []
        while self.queue and (not chunk or len(chunk) + len(self.queue[0]) <= n):
            chunk.extend(self.queue.popleft())
        return chunk


def by_row(ops: list[Operation]) -> list[list[Operation]]:
    """Operations grouped by row, in first-seen order (a row's update and move travel
    together, so they succeed or fail together)."""
    rows: dict[object, list[Operation]] = {}
    for op in ops:
        rows.setdefault(op.row, []).append(op)
    return list(rows.values())
