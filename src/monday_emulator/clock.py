"""Time sources. Limits and timestamps read the clock through this interface so that
tests can move time forward instead of sleeping. ``SharedClock`` lends an emulator's
clock to a client, so that both live on one time line."""

from __future__ import annotations

import asyncio
import threading
import time
from collections.abc import Callable
from datetime import UTC, datetime, timedelta


class Clock:
    """System time plus an offset that ``advance()`` moves forward."""

    def __init__(self) -> None:
        self._offset = 0.0
        self._lock = threading.Lock()

    def monotonic(self) -> float:
        return time.monotonic() + self._offset

    def now(self) -> datetime:
        return datetime.now(UTC) + timedelta(seconds=self._offset)

    def advance(self, seconds: float) -> None:
        if seconds < 0:
            raise ValueError("the clock only moves forward")
        with self._lock:
            self._offset += seconds


class ManualClock(Clock):
    """A frozen clock that only moves when ``advance()`` is called."""

    def __init__(self, start: datetime | None = None) -> None:
        super().__init__()
        self._start = start or datetime(2025, 1, 6, 9, 0, 0, tzinfo=UTC)

    def monotonic(self) -> float:
        return 1_000.0 + self._offset

    def now(self) -> datetime:
        return self._start + timedelta(seconds=self._offset)


class SharedClock:
    """A client's clock (``monotonic()``, ``async sleep()``) that is the emulator's
    clock, moved forward at once (an autojump clock) only while ``in_flight()`` counts
    none of the client's requests on its way: a wait for the budget window then costs
    no real time, yet time never jumps under a request the emulator is about to price.

    The client is built with this clock, so ``in_flight`` is set afterwards::

        shared = SharedClock(emulator_clock)
        client = MondayClient(url, token, version, clock=shared)
        shared.in_flight = lambda: client.scheduler.in_flight

    Until it is set, every sleep jumps at once.
    """

    def __init__(self, clock: Clock, in_flight: Callable[[], int] | None = None) -> None:
        self.clock = clock
        self.in_flight = in_flight

    def monotonic(self) -> float:
        return self.clock.monotonic()

    async def sleep(self, seconds: float) -> None:
        target = self.clock.monotonic() + seconds
        for _ in range(100_000):
            now = self.clock.monotonic()
            if now >= target:
                return
            if self.in_flight is None or self.in_flight() == 0:
                self.clock.advance(target - now)
                await asyncio.sleep(0)
                return
            await asyncio.sleep(0.002)  # a request is on its way: let real time pass
        raise RuntimeError("SharedClock.sleep never finished")


def stamps(moment: datetime) -> tuple[str, str]:
    """Both timestamp formats of one instant: ``iso_z`` and ``iso_millis_z``."""
    if moment.tzinfo is not UTC:
        moment = moment.astimezone(UTC)
    base = (
        f"{moment.year:04d}-{moment.month:02d}-{moment.day:02d}"
        f"T{moment.hour:02d}:{moment.minute:02d}:{moment.second:02d}"
    )
    return base + "Z", f"{base}.{moment.microsecond // 1000:03d}Z"


def iso_z(moment: datetime) -> str:
    """monday's timestamp format: ``2024-04-09T13:45:30Z``."""
    return stamps(moment)[0]


def iso_millis_z(moment: datetime) -> str:
    """The ``changed_at`` format inside column values: ``2024-04-09T13:45:30.123Z``."""
    return stamps(moment)[1]
