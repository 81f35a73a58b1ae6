"""monday's rate limits: the complexity budget (per window starting at the first
call; one pool for a personal token, a read pool and a write pool for an app token),
requests per minute, mutations per minute, requests per 10 s per IP, concurrent
requests, the optional daily call limit (a costly document counts as more than one
call) and the optional per-field limits. All windows read the injectable clock; every
wait told to a client is in wall seconds (``Clock.told_seconds``)."""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from typing import Any

from ..clock import Clock
from ..settings import EmulatorSettings
from .running import RunningDocuments

BUDGET_CODE = "COMPLEXITY_BUDGET_EXHAUSTED"
LEAN_BUDGET_ERROR_FROM = "2025-07"  # monday's changelog: no budget fields, no status_code

MESSAGES = {
    BUDGET_CODE: "Complexity budget exhausted",
    "RATE_LIMIT_EXCEEDED": "Rate limit exceeded",
    "maxConcurrencyExceeded": "Concurrency limit exceeded",
    "DAILY_LIMIT_EXCEEDED": "Daily limit exceeded",
    "IP_RATE_LIMIT_EXCEEDED": "IP rate limit exceeded",
    "FIELD_LIMIT_EXCEEDED": "Concurrency limit exceeded for the field",
    "FIELD_MINUTE_RATE_LIMIT_EXCEEDED": "Rate limit exceeded for the field",
}


@dataclass
class Rejection:
    """A request refused before anything ran: nothing applied, nothing charged.

    ``wait_seconds`` is emulated time; the body and ``Retry-After`` carry it in wall
    seconds (``retry_in``). ``budget`` holds the fields the complexity error carries up
    to API version 2025-04 (``complexity``, ``complexity_budget_left``,
    ``complexity_budget_limit``)."""

    code: str
    message: str
    wait_seconds: float
    status: int = 429
    error_data: dict[str, Any] = field(default_factory=dict)
    budget: dict[str, int] | None = None

    def body(self, api_version: str, retry_in: int) -> dict[str, Any]:
        extensions: dict[str, Any] = {"code": self.code}
        if self.code == BUDGET_CODE and api_version >= LEAN_BUDGET_ERROR_FROM:
            # monday's 2025-07 breaking change: only the code and the wait
            extensions["retry_in_seconds"] = retry_in
            return {"errors": [{"message": self.message, "extensions": extensions}]}
        extensions["status_code"] = self.status
        extensions["retry_in_seconds"] = retry_in
        if self.budget is not None:
            extensions.update(self.budget)
        data = dict(self.error_data)
        if self.code == "FIELD_LIMIT_EXCEEDED":
            data["retry_in_seconds"] = retry_in  # monday documents the wait here
        extensions["error_data"] = data
        return {"errors": [{"message": self.message, "extensions": extensions}]}


def rejection(code: str, wait_seconds: float, **error_data: Any) -> Rejection:
    return Rejection(code, MESSAGES.get(code, "Rate limit exceeded"), wait_seconds, 429, error_data)


@dataclass
class Charge:
    before: int
    query: int
    after: int
    reset_in_x_seconds: int  # wall seconds, as told to the client


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

    def reset_in(self, now: float, length: float) -> float:
        """Emulated seconds until the window resets (its length when none is open)."""
        if self.start is None:
            return length
        return max(self.start + length - now, 0.0)


@dataclass(frozen=True)
class Pool:
    """One complexity budget: ``name`` is what the ``RateLimit`` headers call it."""

    name: str
    limit: int


class Limiter:
    def __init__(self, settings: EmulatorSettings, clock: Clock) -> None:
        self.settings = settings
        self.clock = clock
        self.reset()

    def reset(self) -> None:
        self._budgets: dict[str, _Window] = {}
        self._minute = _Window()
        self._mutations = _Window()
        self._ip: dict[str, _Window] = {}
        self._fields: dict[str, _Window] = {}
        self._day: str | None = None
        self._daily_calls = 0.0
        self.in_flight = 0

    def told(self, emulated_seconds: float) -> int:
        return self.clock.told_seconds(emulated_seconds)

    # ------------------------------------------------------------ requests

    def admit(self, ip: str) -> Rejection | None:
        """Count one incoming API request, or say which limit refuses it."""
        s = self.settings
        now = self.clock.monotonic()
        self._roll_day()
        if s.daily_limit is not None and self._daily_calls >= s.daily_limit:
            self._daily_calls += 0.1
            return rejection("DAILY_LIMIT_EXCEEDED", self._seconds_to_midnight())
        if s.ip_requests_per_10s is not None:
            window = self._ip.setdefault(ip, _Window())
            window.roll(now, 10.0)
            if window.used >= s.ip_requests_per_10s:
                self._daily_calls += 0.1
                return rejection("IP_RATE_LIMIT_EXCEEDED", window.reset_in(now, 10.0))
            window.open(now)
            window.used += 1
        if s.requests_per_minute is not None:
            self._minute.roll(now, s.window_seconds)
            if self._minute.used >= s.requests_per_minute:
                self._daily_calls += 0.1
                return rejection(
                    "RATE_LIMIT_EXCEEDED", self._minute.reset_in(now, s.window_seconds)
                )
            self._minute.open(now)
            self._minute.used += 1
        if s.max_concurrency is not None and self.in_flight >= s.max_concurrency:
            self._daily_calls += 0.1
            return rejection("maxConcurrencyExceeded", 1.0)
        self._daily_calls += 1
        self.in_flight += 1
        return None

    def release(self) -> None:
        self.in_flight = max(0, self.in_flight - 1)

    def admit_document(
        self, mutations: int, fields: list[str], running: RunningDocuments
    ) -> Rejection | None:
        """The limits a priced document meets before it runs, in this order: the
        per-field concurrency limit (against the documents ``running`` now; the wait is
        until the first of them using the field is due to end), the per-field minute
        limit, the mutations-per-minute limit. Counts nothing: ``count_document`` does,
        once the document is sure to run."""
        s = self.settings
        now = self.clock.monotonic()
        length = s.window_seconds
        fields = list(dict.fromkeys(fields))  # a field aliased twice counts once
        if s.field_concurrency_limit is not None:
            for name in fields:
                using = running.using_field(name)
                if len(using) >= s.field_concurrency_limit:
                    wait = min(d.ends_at for d in using) - now
                    return rejection("FIELD_LIMIT_EXCEEDED", wait, entity=name)
        if s.field_requests_per_minute is not None:
            for name in fields:
                window = self._fields.setdefault(name, _Window())
                window.roll(now, length)
                if window.used >= s.field_requests_per_minute:
                    return rejection(
                        "FIELD_MINUTE_RATE_LIMIT_EXCEEDED",
                        window.reset_in(now, length),
                        field=name,
                    )
        if s.mutations_per_minute is not None and mutations:
            self._mutations.roll(now, length)
            if self._mutations.used + mutations > s.mutations_per_minute:
                return Rejection(
                    "RATE_LIMIT_EXCEEDED",
                    f"Call limit exceeded for mutations ({s.mutations_per_minute} per minute)",
                    self._mutations.reset_in(now, length),
                    error_data={"mutations": mutations, "limit": s.mutations_per_minute},
                )
        return None

    def count_document(self, mutations: int, fields: list[str]) -> None:
        """A document admitted and charged: count it in the per-field and mutation
        minute windows."""
        s = self.settings
        now = self.clock.monotonic()
        length = s.window_seconds
        if s.field_requests_per_minute is not None:
            for name in dict.fromkeys(fields):
                window = self._fields.setdefault(name, _Window())
                window.roll(now, length)
                window.open(now)
                window.used += 1
        if s.mutations_per_minute is not None and mutations:
            self._mutations.roll(now, length)
            self._mutations.open(now)
            self._mutations.used += mutations

    # ------------------------------------------------------------ complexity

    def pools(self) -> list[Pool]:
        """A personal token has one budget for reads and writes; an app token a read
        budget and a write budget."""
        s = self.settings
        if s.token_kind == "app":
            return [
                Pool("complexity_reads", s.app_complexity_budget),
                Pool("complexity_writes", s.app_complexity_budget),
            ]
        return [Pool("complexity", s.complexity_budget)]

    def pool(self, operation_type: str) -> Pool:
        """The budget a document of this kind (``query`` / ``mutation``) spends."""
        pools = self.pools()
        if len(pools) == 1:
            return pools[0]
        return pools[1] if operation_type == "mutation" else pools[0]

    def remaining(self, pool: Pool) -> tuple[int, float]:
        """(points left in the pool's window, emulated seconds until it resets)."""
        length = self.settings.window_seconds
        now = self.clock.monotonic()
        window = self._budgets.setdefault(pool.name, _Window())
        window.roll(now, length)
        return int(pool.limit - window.used), window.reset_in(now, length)

    def budget(self, operation_type: str = "mutation") -> tuple[int, int]:
        """(points left, wall seconds until the reset) of the pool a document of this
        kind spends."""
        left, reset_in = self.remaining(self.pool(operation_type))
        return left, self.told(reset_in)

    def charge(self, cost: int, operation_type: str = "query") -> Charge | Rejection:
        """Spend ``cost`` points, or refuse the whole document if they are not there.
        A charged document also counts toward the daily limit by its cost: one more
        call for every ``daily_call_weight_points`` past the first (an assumption:
        monday says a costly call counts as more than one, not how much)."""
        pool = self.pool(operation_type)
        now = self.clock.monotonic()
        left, reset_in = self.remaining(pool)
        if cost > left:
            return Rejection(
                BUDGET_CODE,
                MESSAGES[BUDGET_CODE],
                reset_in,
                budget={
                    "complexity": cost,
                    "complexity_budget_left": max(left, 0),
                    "complexity_budget_limit": pool.limit,
                },
            )
        window = self._budgets[pool.name]
        window.open(now)
        window.used += cost
        unit = self.settings.daily_call_weight_points
        if unit:
            self._daily_calls += max(0, math.ceil(cost / unit) - 1)
        return Charge(
            before=left,
            query=cost,
            after=left - cost,
            reset_in_x_seconds=self.told(window.reset_in(now, self.settings.window_seconds)),
        )

    def minute_state(self) -> tuple[int, int]:
        """(requests left this minute, wall seconds until the minute resets)."""
        s = self.settings
        assert s.requests_per_minute is not None
        now = self.clock.monotonic()
        self._minute.roll(now, s.window_seconds)
        left = int(s.requests_per_minute - self._minute.used)
        return max(left, 0), self.told(self._minute.reset_in(now, s.window_seconds))

    def snapshot(self) -> dict[str, Any]:
        pools = {}
        for pool in self.pools():
            left, reset_in = self.remaining(pool)
            pools[pool.name] = {
                "limit": pool.limit,
                "remaining": left,
                "reset_in_seconds": math.ceil(round(reset_in, 6)),
            }
        left, reset_in = self.remaining(self.pool("mutation"))
        return {
            "complexity_remaining": left,
            "complexity_reset_in_seconds": max(1, math.ceil(round(reset_in, 6))),
            "complexity_pools": pools,
            "requests_this_minute": int(self._minute.used),
            "mutations_this_minute": int(self._mutations.used),
            "in_flight": self.in_flight,
            "daily_calls": round(self._daily_calls, 1),
        }

    # ------------------------------------------------------------ daily

    def _roll_day(self) -> None:
        day = self.clock.now().date().isoformat()
        if day != self._day:
            self._day = day
            self._daily_calls = 0.0

    def _seconds_to_midnight(self) -> float:
        now = self.clock.now()
        seconds = 86400 - (now.hour * 3600 + now.minute * 60 + now.second)
        return float(max(1, seconds))
