"""The account's hourly bulk budgets, on the emulator's clock: job starts (100 an
hour, ``ingest_items`` and ``backfill_items`` together) and ``ingest_items``'
item creates and updates (19,000 an hour).

Both are rolling windows (assumption: monday says "an hour" and no more; a rolling
hour is the harsher reading, as it never gives a fresh allowance at a window edge).
A job start refused by the first one is HTTP 429 ``RATE_LIMIT_EXCEEDED`` with
``extensions.retryAfterMs``: how long until the oldest start in the window leaves it.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any

from ..limits.limiter import Rejection


@dataclass
class BulkRejection(Rejection):
    """A refused job start: monday's 429 with ``retryAfterMs`` (and, as every other
    429 of the emulator, ``retry_in_seconds`` and a ``Retry-After`` header)."""

    retry_after_ms: int = 0  # in emulated time (a field error carries these)
    retry_in_seconds: int = 0

    def body(self, api_version: str, retry_in: int) -> dict[str, Any]:
        """``retry_in``: the wait in wall seconds, as every reply tells it."""
        return {
            "errors": [
                {
                    "message": self.message,
                    "extensions": {
                        "code": self.code,
                        "status_code": self.status,
                        # milliseconds as precise as the clock allows: the emulated
                        # wait, never more than the wall seconds the reply tells
                        "retryAfterMs": max(1, min(self.retry_after_ms, retry_in * 1000)),
                        "retry_in_seconds": retry_in,
                        "error_data": {},
                    },
                }
            ]
        }


def rejection(message: str, wait_seconds: float) -> BulkRejection:
    ms = max(1, math.ceil(wait_seconds * 1000))
    return BulkRejection(
        "RATE_LIMIT_EXCEEDED",
        message,
        wait_seconds,
        retry_after_ms=ms,
        retry_in_seconds=max(1, math.ceil(ms / 1000)),
    )


class RollingWindow:
    """Amounts spent at moments of the clock; what was spent in the last
    ``length`` seconds counts. An entry's amount can be changed afterwards (a
    job's reservation shrinks to what it really did)."""

    def __init__(self) -> None:
        self.entries: list[list[float]] = []  # [moment, amount]

    def clear(self) -> None:
        self.entries.clear()

    def _drop_old(self, now: float, length: float) -> None:
        self.entries = [e for e in self.entries if e[0] + length > now]

    def used(self, now: float, length: float) -> int:
        self._drop_old(now, length)
        return int(sum(e[1] for e in self.entries))

    def add(self, now: float, amount: float) -> list[float]:
        entry = [now, float(amount)]
        self.entries.append(entry)
        return entry

    def wait_for(self, now: float, length: float, limit: int, amount: int) -> float:
        """Seconds until ``amount`` more fits under ``limit`` (0 when it fits now)."""
        self._drop_old(now, length)
        used = sum(e[1] for e in self.entries)
        if used + amount <= limit:
            return 0.0
        for moment, spent in sorted(self.entries):
            used -= spent
            if used + amount <= limit:
                return max(0.0, moment + length - now)
        return length
