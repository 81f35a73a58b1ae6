"""monday's rate limits: the complexity budget (per window starting at the first
call), requests per minute, requests per 10 s per IP, concurrent requests and the
optional daily call limit. All windows read the injectable clock."""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any

from ..clock import Clock
from ..settings import EmulatorSettings


@dataclass
class Rejection:
    code: str
    message: str
    retry_in_seconds: int
    status: int = 429

    def body(self) -> dict[str, Any]:
        return {
            "errors": [
                {
                    "message": self.message,
                    "extensions": {"code": self.code, "retry_in_seconds": self.retry_in_seconds},
                }
            ]
        }


@dataclass
class Charge:
    before: int
    query: int
    after: int
    reset_in_x_seconds: int


class _Window:
    def __init__(self) -> None:
        self.start: float | None = None
        self.used: float = 0

    def roll(self, now: float, length: float) -> None:
        if self.start is None or now >= self.start + length:
            self.start = None
            self.used = 0

    def open(self, now: float) -> None:
        if self.start is None:
            self.start = now

    def reset_in(self, now: float, length: float) -> int:
        if self.start is None:
            return int(math.ceil(length))
        return max(1, int(math.ceil(self.start + length - now)))


class Limiter:
    def __init__(self, settings: EmulatorSettings, clock: Clock) -> None:
        self.settings = settings
        self.clock = clock
        self.reset()

    def reset(self) -> None:
        self._budget = _Window()
        self._minute = _Window()
        self._ip: dict[str, _Window] = {}
        self._day: str | None = None
        self._daily_calls = 0.0
        self.in_flight = 0

    # ------------------------------------------------------------ requests

    def admit(self, ip: str) -> Rejection | None:
        """Count one incoming API request, or say which limit refuses it."""
        s = self.settings
        now = self.clock.monotonic()
        self._roll_day()
        if s.daily_limit is not None and self._daily_calls >= s.daily_limit:
            self._daily_calls += 0.1
            return Rejection(
                "DAILY_LIMIT_EXCEEDED", "Daily limit exceeded", self._seconds_to_midnight()
            )
        if s.ip_requests_per_10s is not None:
            window = self._ip.setdefault(ip, _Window())
            window.roll(now, 10.0)
            if window.used >= s.ip_requests_per_10s:
                self._daily_calls += 0.1
                return Rejection(
                    "IP_RATE_LIMIT_EXCEEDED",
                    "IP rate limit exceeded",
                    window.reset_in(now, 10.0),
                )
            window.open(now)
            window.used += 1
        if s.requests_per_minute is not None:
            self._minute.roll(now, s.window_seconds)
            if self._minute.used >= s.requests_per_minute:
                self._daily_calls += 0.1
                return Rejection(
                    "RATE_LIMIT_EXCEEDED",
                    "Rate limit exceeded",
                    self._minute.reset_in(now, s.window_seconds),
                )
            self._minute.open(now)
            self._minute.used += 1
        if s.max_concurrency is not None and self.in_flight >= s.max_concurrency:
            self._daily_calls += 0.1
            return Rejection("maxConcurrencyExceeded", "Concurrency limit exceeded", 1)
        self._daily_calls += 1
        self.in_flight += 1
        return None

    def release(self) -> None:
        self.in_flight = max(0, self.in_flight - 1)

    # ------------------------------------------------------------ complexity

    def budget(self) -> tuple[int, int]:
        """(points remaining in the current window, seconds until it resets)."""
        s = self.settings
        now = self.clock.monotonic()
        self._budget.roll(now, s.window_seconds)
        remaining = int(s.complexity_budget - self._budget.used)
        return remaining, self._budget.reset_in(now, s.window_seconds)

    def charge(self, cost: int) -> Charge | Rejection:
        """Spend ``cost`` points, or refuse the whole document if they are not there."""
        s = self.settings
        now = self.clock.monotonic()
        remaining, reset_in = self.budget()
        if cost > remaining:
            return Rejection("COMPLEXITY_BUDGET_EXHAUSTED", "Complexity budget exhausted", reset_in)
        self._budget.open(now)
        self._budget.used += cost
        return Charge(
            before=remaining,
            query=cost,
            after=remaining - cost,
            reset_in_x_seconds=self._budget.reset_in(now, s.window_seconds),
        )

    def snapshot(self) -> dict[str, Any]:
        remaining, reset_in = self.budget()
        return {
            "complexity_remaining": remaining,
            "complexity_reset_in_seconds": reset_in,
            "requests_this_minute": int(self._minute.used),
            "in_flight": self.in_flight,
            "daily_calls": round(self._daily_calls, 1),
        }

    # ------------------------------------------------------------ daily

    def _roll_day(self) -> None:
        day = self.clock.now().date().isoformat()
        if day != self._day:
            self._day = day
            self._daily_calls = 0.0

    def _seconds_to_midnight(self) -> int:
        now = self.clock.now()
        seconds = 86400 - (now.hour * 3600 + now.minute * 60 + now.second)
        return max(1, seconds)
