"""Time sources. Limits, timestamps and server time read the clock through this
interface so that tests can move time forward instead of sleeping, or compress it.

- ``Clock``: wall time run ``speed`` times faster (1 by default), plus whatever
  ``advance()`` adds. At speed 60 an emulated minute passes in one wall second.
- ``ManualClock``: stands still until ``advance()`` is called. Server time moves it
  itself (``autojump``), or waits for the test to move it (``autojump=False``).
- ``SharedClock``: lends an emulator's clock to a client, so both live on one time line.

Every duration the emulator tells a client (``Retry-After``, ``retry_in_seconds``,
``reset_in_x_seconds``, the ``RateLimit`` header's ``t``) is in wall seconds:
``told_seconds()`` divides emulated seconds by the speed, so a client that waits what
it is told waits the right wall time.
"""

from __future__ import annotations

import asyncio
import math
import threading
import time
from collections.abc import Callable
from datetime import UTC, datetime, timedelta

POLL_SECONDS = 0.05  # a sleeper looks at the clock at least this often (advance() wakes it)
MANUAL_POLL_SECONDS = 0.002  # how often a held sleeper on a ManualClock looks again


class Clock:
    """Wall time at ``speed`` times its pace, plus an offset that ``advance()`` moves
    forward. ``set_speed()`` changes the pace from now on (time never jumps back)."""

    def __init__(self, speed: float = 1.0) -> None:
        self._lock = threading.Lock()
        self._speed = _check_speed(speed)
        self._wall0 = time.monotonic()
        self._mono0 = self._wall0
        self._now0 = datetime.now(UTC)
        self._offset = 0.0

    @property
    def speed(self) -> float:
        """Emulated seconds per wall second."""
        return self._speed

    def _elapsed(self) -> float:
        return (time.monotonic() - self._wall0) * self._speed + self._offset

    def monotonic(self) -> float:
        return self._mono0 + self._elapsed()

    def now(self) -> datetime:
        return self._now0 + timedelta(seconds=self._elapsed())

    def advance(self, seconds: float) -> None:
        if seconds < 0:
            raise ValueError("the clock only moves forward")
        with self._lock:
            self._offset += seconds

    def set_speed(self, speed: float) -> None:
        """Run ``speed`` times faster than wall time from now on."""
        speed = _check_speed(speed)
        with self._lock:
            wall = time.monotonic()
            passed = (wall - self._wall0) * self._speed
            self._mono0 += passed
            self._now0 += timedelta(seconds=passed)
            self._wall0 = wall
            self._speed = speed

    def told_seconds(self, emulated: float) -> int:
        """A duration as the emulator tells it to a client: wall seconds (emulated
        seconds divided by the speed), rounded up, at least 1."""
        wall = max(emulated, 0.0) / self._speed
        return max(1, math.ceil(round(wall, 6)))

    async def sleep_until(self, target: float) -> None:
        """Wait until ``monotonic()`` reaches ``target`` (emulated), without blocking
        the event loop. ``advance()`` cuts the wait short. Always yields once."""
        while True:
            remaining = target - self.monotonic()
            if remaining <= 0:
                await asyncio.sleep(0)
                return
            await asyncio.sleep(min(remaining / self._speed, POLL_SECONDS))


class ManualClock(Clock):
    """A frozen clock that only moves when ``advance()`` is called.

    Server time (``sleep_until``) moves it forward by itself when ``autojump`` is true
    (the default): a document's time passes at once in wall time, and the clock shows
    it. With ``autojump=False`` a sleeper waits until a test moves the clock, which
    holds a document half way through (board lock, 409, disconnect tests)."""

    def __init__(self, start: datetime | None = None, *, autojump: bool = True) -> None:
        super().__init__()
        self._start = start or datetime(2025, 1, 6, 9, 0, 0, tzinfo=UTC)
        self.autojump = autojump

    def monotonic(self) -> float:
        return 1_000.0 + self._offset

    def now(self) -> datetime:
        return self._start + timedelta(seconds=self._offset)

    def set_speed(self, speed: float) -> None:
        raise ValueError("a ManualClock has no speed: it moves only when advanced")

    async def sleep_until(self, target: float) -> None:
        while True:
            remaining = target - self.monotonic()
            if remaining <= 0:
                await asyncio.sleep(0)
                return
            if self.autojump:
                self.advance(remaining)
                await asyncio.sleep(0)
                return
            await asyncio.sleep(MANUAL_POLL_SECONDS)


def _check_speed(speed: float) -> float:
    value = float(speed)
    if not math.isfinite(value) or value <= 0:
        raise ValueError(f"the clock speed must be a positive number, got {speed!r}")
    return value


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
