"""Spend monday's complexity budget as fast as allowed, and never more.

monday charges every query and mutation against a per-minute complexity budget and
also caps requests per minute, requests in flight and the cost of any single query.
The original pipeline slept a fixed 2 s between batches of 5; this scheduler instead
reads what monday says about the budget after every request (the ``complexity``
block, and the ``RateLimit`` header of every response, errors included) and decides,
per request, whether it may go now:

* the estimated cost must fit in what is left of the budget, minus what requests still
  in flight have reserved, minus the part of the budget left to others
  (``rate.budget_share``); otherwise it waits until the window resets
  (``reset_in_x_seconds``, counted from when that response arrived), then goes on;
* at most ``min(batch.concurrency, rate.max_concurrency)`` requests in flight and at
  most ``rate.requests_per_minute`` started in any 60 s;
* after a 429 every sender pauses until the retry time;
* a document over the per-query cap is refused up front so the caller splits it.

Budget accounting follows what monday charged, not what was assumed: a request that
failed (5xx, dropped connection, 429, 409, 423) gives back what it reserved, and the
freshest report monday sends replaces the local estimate. A personal token has one
budget for reads and writes; an app token (``rate.token_kind = "app"``) has separate
read and write budgets, and queries spend the first, mutations the second.

It learns the real cost of each operation kind from ``complexity.query`` (the largest
per-alias cost seen, which for fixed selections is exact), so estimates converge after
the first response and batches can be sized under the cap (``max_ops_per_document``).
``acquire_ops`` goes one step further and sizes a document at the moment it may be
sent — as many operations as fit in the budget left, up to the batch size — so the
end of each window is spent on a smaller document rather than left idle.

Waiting goes through an injectable clock, so the budget maths is tested in virtual
time. Callers are served first come, first served.
"""

from __future__ import annotations

import asyncio
import contextlib
import functools
import math
import time
from collections import deque
from collections.abc import Callable, Mapping
from dataclasses import asdict, dataclass
from typing import Literal, Protocol

from sync_order_list.config.models import BatchSettings, RateSettings
from sync_order_list.errors import MondayQueryTooComplexError

from . import documents
from .ratelimit import BudgetReport, Pool
from .responses import Complexity

Kind = Literal["query", "mutation"]

# Costs assumed before the first response says otherwise. monday documents ~10,000
# points per create_item; older versions were observed charging 30,001, so mutations
# start there (an over-estimate only delays the first batch; learning corrects it).
DEFAULT_MUTATION_COST = 30_001
DEFAULT_QUERY_COST = 10_000
DEFAULT_COSTS: dict[str, int] = {
    "create_item": DEFAULT_MUTATION_COST,
    "create_subitem": DEFAULT_MUTATION_COST,
    "create_group": DEFAULT_MUTATION_COST,
    "change_multiple_column_values": DEFAULT_MUTATION_COST,
    "move_item_to_group": DEFAULT_MUTATION_COST,
    "archive_item": DEFAULT_MUTATION_COST,
    "delete_item": DEFAULT_MUTATION_COST,
    "board_schema": 50_000,
    "board_schema_settings": 50_000,
    "board_groups": DEFAULT_QUERY_COST,
    "items_by_column_values": 100_000,
    "next_items_page": 100_000,
    "subitems_of_items": 100_000,
    "complexity": 1,
}


class Clock(Protocol):
    """Monotonic time and a way to wait; tests inject a virtual one."""

    def monotonic(self) -> float: ...

    async def sleep(self, seconds: float) -> None: ...


class SystemClock:
    def monotonic(self) -> float:
        return time.monotonic()

    async def sleep(self, seconds: float) -> None:
        await asyncio.sleep(seconds)


@dataclass
class SchedulerStats:
    """Counters for run history and benchmarks."""

    requests: int = 0  # HTTP attempts started
    retries: int = 0  # attempts beyond the first, any reason
    rate_limited: int = 0  # 429s (and 200s carrying a rate-limit error)
    transport_errors: int = 0  # timeouts, dropped connections, 5xx
    complexity_charged: int = 0  # sum of complexity.query (estimate when unknown)
    budget_wait_seconds: float = 0.0  # waiting for the complexity window to reset
    rate_limit_wait_seconds: float = 0.0  # paused after a 429
    rpm_wait_seconds: float = 0.0  # waiting for the requests-per-minute window
    concurrency_wait_seconds: float = 0.0  # waiting for a free slot
    backoff_wait_seconds: float = 0.0  # sleeping between retries of failed attempts
    max_in_flight: int = 0
    too_complex: int = 0  # documents refused for the per-query cap
    lock_waits: int = 0  # 409/423 answers waited out (the identical request resent)
    lock_wait_seconds: float = 0.0  # time spent in those waits
    conflicts: int = 0  # of those, 409s: the same Idempotency-Key was still running
    call_timeouts: int = 0  # 504s: monday cut the call at its 60 s limit
    replays: int = 0  # responses monday replayed for an Idempotency-Key

    def as_dict(self) -> dict[str, float | int]:
        return asdict(self)


class CostModel:
    """Per-operation cost estimates, learned from ``complexity.query``.

    A document's estimate is the sum over aliases of each kind's estimate. A kind's
    estimate is the largest per-alias cost observed for it (``query / n`` for a
    document of ``n`` aliases of one kind — slightly high, as it includes the small
    fixed cost of the complexity block), or the prior until one is observed. Mixed
    documents teach the one kind not learned yet (the residual), or scale estimates up
    when the whole document cost more than estimated; they never lower an estimate.
    """

    def __init__(self, priors: Mapping[str, int] | None = None, default: int = 30_001) -> None:
        self._priors = dict(DEFAULT_COSTS if priors is None else priors)
        self._default = default
        self._learned: dict[str, int] = {}

    def per_op(self, operation: str) -> int:
        if operation in self._learned:
            return self._learned[operation]
        return self._priors.get(operation, self._default)

    def is_learned(self, operation: str) -> bool:
        return operation in self._learned

    def estimate(self, operation_counts: Mapping[str, int]) -> int:
        return sum(self.per_op(op) * n for op, n in operation_counts.items() if n > 0)

    def observe(self, operation_counts: Mapping[str, int], query_cost: int) -> None:
        counts = {op: n for op, n in operation_counts.items() if n > 0}
        if not counts or query_cost < 0:
            return
        if len(counts) == 1:
            ((op, n),) = counts.items()
            self._learn(op, math.ceil(query_cost / n))
            return
        unknown = [op for op in counts if op not in self._learned]
        known = sum(self._learned[op] * n for op, n in counts.items() if op in self._learned)
        if len(unknown) == 1:
            op = unknown[0]
            residual = query_cost - known
            if residual > 0:
                self._learn(op, math.ceil(residual / counts[op]))
                return
        estimate = self.estimate(counts)
        if query_cost > estimate > 0:
            factor = query_cost / estimate
            for op in counts:
                self._learn(op, math.ceil(self.per_op(op) * factor))

    def _learn(self, operation: str, per_op: int) -> None:
        self._learned[operation] = max(self._learned.get(operation, 0), max(per_op, 0))

    def snapshot(self) -> dict[str, int]:
        return {**self._priors, **self._learned}


@dataclass(frozen=True)
class BudgetState:
    remaining: int
    reserved: int
    reset_at: float | None
    in_flight: int
    paused_until: float
    pool: Pool = "combined"
    floor: int = 0  # left to others: never spent (rate.budget_share)
    quota: int = 0  # the budget a window (the configured one, or monday's if lower)


class BudgetPool:
    """One complexity budget as this tool knows it: what monday last reported as left
    (``None``: nothing heard this window: the whole quota), when the window resets,
    what successes without a report spent since, and what requests in flight reserved.

    ``floor`` is the part of the quota left to other integrations, automations and
    people on the account: the tool never spends the window below it.
    """

    def __init__(self, name: Pool, quota: int, share: float) -> None:
        self.name: Pool = name
        self.configured = quota
        self.quota = quota
        self.share = share
        self.reported: int | None = None
        self.reported_seq = -1
        self.reset_at: float | None = None
        self.unreported: dict[int, int] = {}  # request sequence -> assumed cost
        self.reserved = 0

    @property
    def floor(self) -> int:
        return math.ceil(self.quota * (1.0 - self.share) - 1e-6)

    @property
    def usable(self) -> int:
        """The most this tool spends of one window."""
        return max(0, self.quota - self.floor)

    @property
    def remaining(self) -> int:
        base = self.quota if self.reported is None else self.reported
        return base - sum(self.unreported.values())

    def free(self) -> int:
        """What may be reserved now."""
        return self.remaining - self.reserved - self.floor

    def forget_window(self) -> None:
        self.reported = None
        self.reset_at = None
        self.unreported.clear()


class Slot:
    """Permission to send one request; ``release`` it exactly once (idempotent).

    ``cost`` is what it reserved; ``ops`` how many operations it was sized for;
    ``pool`` the budget it spends; ``sequence`` its place in the order requests
    were let go (a later request's report is the fresher one).
    """

    __slots__ = (
        "cost",
        "operation_counts",
        "started_at",
        "pool",
        "sequence",
        "_scheduler",
        "_released",
    )

    def __init__(
        self,
        scheduler: Scheduler,
        cost: int,
        operation_counts: Mapping[str, int],
        started_at: float,
        pool: Pool = "combined",
        sequence: int = 0,
    ) -> None:
        self._scheduler = scheduler
        self.cost = cost
        self.operation_counts = dict(operation_counts)
        self.started_at = started_at
        self.pool: Pool = pool
        self.sequence = sequence
        self._released = False

    @property
    def ops(self) -> int:
        return sum(self.operation_counts.values())

    @property
    def released(self) -> bool:
        return self._released

    def cancel(self) -> None:
        """Give back a reservation that was never sent (nothing left to send)."""
        if self._released:
            return
        self._released = True
        self._scheduler._cancel(self)

    def release(
        self,
        *,
        complexity: Complexity | None = None,
        charged: bool = True,
        report: BudgetReport | None = None,
    ) -> None:
        """Return the slot.

        ``complexity``: the response's (fresh) complexity block, if any: its cost is
        learned and counted. ``report``: what the ``RateLimit`` header said about the
        budget (preferred over the block's ``after``). ``charged``: False when monday
        did not run the document or it failed (429, 409, 423, 5xx, no response): what
        was reserved is given back. True without a block or report: the reserved
        estimate counts as spent until monday reports again.
        """
        if self._released:
            return
        self._released = True
        self._scheduler._release(self, complexity, charged, report)


@functools.lru_cache(maxsize=256)
def _document_kind(name: str) -> Kind:
    try:
        return "mutation" if documents.load(name).operation_type == "mutation" else "query"
    except (KeyError, ValueError):
        return "query"


class Scheduler:
    """Decides when each request may go; one per client (one token)."""

    def __init__(
        self,
        rate: RateSettings,
        batch: BatchSettings | None = None,
        *,
        clock: Clock | None = None,
        cost_model: CostModel | None = None,
        rpm_window_seconds: float | None = None,
        reset_margin_seconds: float = 0.0,
    ) -> None:
        self.rate = rate
        self.clock: Clock = clock or SystemClock()
        self.costs = cost_model or CostModel()
        self.stats = SchedulerStats()
        concurrency = batch.concurrency if batch is not None else rate.max_concurrency
        self.max_in_flight = max(1, min(concurrency, rate.max_concurrency))
        # monday counts requests per minute; the budget window is a minute too, and the
        # emulator's shorter test windows shorten both, so one setting serves both.
        self.rpm_window = rpm_window_seconds or rate.window_seconds
        self.reset_margin = reset_margin_seconds
        # The budgets as we know them: a personal token has one for reads and writes,
        # an app token one for each.
        share = rate.budget_share
        self.pools: dict[Pool, BudgetPool] = (
            {
                "read": BudgetPool("read", rate.read_budget, share),
                "write": BudgetPool("write", rate.write_budget, share),
            }
            if rate.token_kind == "app"
            else {"combined": BudgetPool("combined", rate.complexity_budget, share)}
        )
        self._sequence = 0
        self._in_flight = 0
        self._paused_until = 0.0
        self._starts: deque[float] = deque()
        self._queue = asyncio.Lock()  # FIFO: the head waits, the rest queue behind it
        self._wakeup: asyncio.Future[None] | None = None
        # told (reason, expected seconds) when a wait for the budget, a 429 or the
        # requests-per-minute window starts (a progress display says so)
        self.on_wait: Callable[[str, float], None] | None = None

    # -- sizing --------------------------------------------------------------------------

    @staticmethod
    def kind_of(operation_counts: Mapping[str, int]) -> Kind:
        """``mutation`` when any operation is a mutation document, else ``query``."""
        if any(_document_kind(op) == "mutation" for op in operation_counts):
            return "mutation"
        return "query"

    def pool_for(self, kind: Kind) -> BudgetPool:
        """The budget a document of ``kind`` spends."""
        if "combined" in self.pools:
            return self.pools["combined"]
        return self.pools["write" if kind == "mutation" else "read"]

    def max_query_cost_for(self, kind: Kind) -> int:
        """The most one document of ``kind`` may cost: the per-query cap, or what this
        tool may spend of a window if that is smaller (a free account's 1,000,000)."""
        return min(self.rate.max_query_complexity, self.pool_for(kind).usable)

    @property
    def max_query_cost(self) -> int:
        return min(self.max_query_cost_for("query"), self.max_query_cost_for("mutation"))

    def estimate(self, operation_counts: Mapping[str, int]) -> int:
        """Estimated cost of a document with these operation counts."""
        return self.costs.estimate(operation_counts)

    def max_ops_per_document(self, operation: str) -> int:
        """How many aliases of ``operation`` fit in one document under the cap (0 if
        not even one does)."""
        per_op = max(1, self.costs.per_op(operation))
        cap = self.max_query_cost_for(self.kind_of({operation: 1}))
        return max(0, (cap - self.costs.per_op("complexity")) // per_op)

    def check_cost(self, cost: int, kind: Kind = "mutation") -> None:
        limit = self.max_query_cost_for(kind)
        if cost > limit:
            self.stats.too_complex += 1
            raise MondayQueryTooComplexError(
                f"document estimated at {cost:,} complexity points exceeds the per-query "
                f"limit of {limit:,}; split the batch",
                complexity=cost,
                max_complexity=limit,
            )

    # -- state ---------------------------------------------------------------------------

    def snapshot(self, pool: Pool | None = None) -> BudgetState:
        """The budget as known now: of ``pool`` (default: the first, the only one for
        a personal token)."""
        self._roll_window(self.clock.monotonic())
        budget = self.pools[pool] if pool is not None else next(iter(self.pools.values()))
        return BudgetState(
            remaining=budget.remaining,
            reserved=budget.reserved,
            reset_at=budget.reset_at,
            in_flight=self._in_flight,
            paused_until=self._paused_until,
            pool=budget.name,
            floor=budget.floor,
            quota=budget.quota,
        )

    @property
    def in_flight(self) -> int:
        return self._in_flight

    # -- acquiring and releasing ---------------------------------------------------------

    async def acquire(
        self,
        cost: int,
        operation_counts: Mapping[str, int] | None = None,
        *,
        kind: Kind | None = None,
    ) -> Slot:
        """Wait until a document of ``cost`` may be sent, then reserve it.

        ``kind`` (query or mutation) picks the budget of an app token; by default it
        follows the operations. Raises ``MondayQueryTooComplexError`` at once for a
        document over the cap.
        """
        cost = max(0, int(cost))
        counts = dict(operation_counts or {})
        kind = kind or self.kind_of(counts)
        self.check_cost(cost, kind)
        return await self._acquire(lambda: (cost, counts), kind)

    async def acquire_ops(self, operation: str, limit: int) -> Slot:
        """Wait until at least one ``operation`` may be sent, then reserve as many as
        fit now — at most ``limit`` and the per-query cap. ``slot.ops`` says how many to
        put in the document; send it with ``client.execute(..., slot=slot)``.

        Sizing when the request may go (rather than composing first and waiting) is
        what fills the end of each window with a smaller document instead of leaving
        that budget unspent while full-size documents wait for the reset.
        """
        kind = self.kind_of({operation: 1})
        if self.max_ops_per_document(operation) < 1:
            cost = self.costs.per_op(operation) + self.costs.per_op("complexity")
            self.check_cost(cost, kind)
        limit = max(1, int(limit))
        pool = self.pool_for(kind)

        def size() -> tuple[int, dict[str, int]]:
            per_op = max(1, self.costs.per_op(operation))
            base = self.costs.per_op("complexity")
            full = max(1, min(limit, self.max_ops_per_document(operation)))
            n = max(1, min(full, (pool.free() - base) // per_op))
            return base + n * per_op, {operation: n}

        return await self._acquire(size, kind)

    async def _acquire(self, size: Callable[[], tuple[int, dict[str, int]]], kind: Kind) -> Slot:
        pool = self.pool_for(kind)
        async with self._queue:
            while True:
                now = self.clock.monotonic()
                self._roll_window(now)
                cost, counts = size()
                self.check_cost(cost, kind)  # monday may have lowered the quota meanwhile
                wait, reason = self._blocked(now, cost, pool)
                if wait is None:
                    break
                await self._wait(wait, reason)
            self._in_flight += 1
            self._sequence += 1
            pool.reserved += cost
            self._starts.append(now)
            self.stats.requests += 1
            self.stats.max_in_flight = max(self.stats.max_in_flight, self._in_flight)
            return Slot(self, cost, counts, now, pool=pool.name, sequence=self._sequence)

    def pause(self, seconds: float) -> None:
        """A 429 said wait ``seconds``: nobody sends before then."""
        self.stats.rate_limited += 1
        until = self.clock.monotonic() + max(0.0, seconds)
        self._paused_until = max(self._paused_until, until)
        self._notify()

    def note_retry(self) -> None:
        self.stats.retries += 1

    def note_transport_error(self) -> None:
        self.stats.transport_errors += 1

    def note_call_timeout(self) -> None:
        self.stats.call_timeouts += 1

    def note_replay(self) -> None:
        self.stats.replays += 1

    def note_lock_wait(self, seconds: float, *, conflict: bool) -> None:
        """A 409 (``conflict``) or 423 was waited out for ``seconds``."""
        self.stats.lock_waits += 1
        self.stats.lock_wait_seconds += max(0.0, seconds)
        if conflict:
            self.stats.conflicts += 1

    def observe_too_complex(self, operation_counts: Mapping[str, int], complexity: int) -> None:
        """monday refused a document over the cap: learn its real cost for next time."""
        self.stats.too_complex += 1
        self.costs.observe(operation_counts, complexity)

    def _cancel(self, slot: Slot) -> None:
        self._in_flight -= 1
        self.pools[slot.pool].reserved -= slot.cost
        self.stats.requests -= 1
        with contextlib.suppress(ValueError):
            self._starts.remove(slot.started_at)
        self._notify()

    def _release(
        self,
        slot: Slot,
        complexity: Complexity | None,
        charged: bool,
        report: BudgetReport | None,
    ) -> None:
        now = self.clock.monotonic()
        pool = self.pools[slot.pool]
        self._in_flight -= 1
        pool.reserved -= slot.cost
        if complexity is not None:
            self.stats.complexity_charged += complexity.query
            self.costs.observe(slot.operation_counts, complexity.query)
            if report is None:
                report = BudgetReport(remaining=complexity.after, reset_in=complexity.reset_in)
        elif charged:
            self.stats.complexity_charged += slot.cost  # an estimate: monday did not say
        if report is not None:
            self._settle(pool, report, now, slot.sequence)
        elif charged and complexity is None:
            # A success without a word on the budget: count the estimate as spent
            # until the next report replaces it.
            pool.unreported[slot.sequence] = slot.cost
        self._notify()

    def _settle(self, pool: BudgetPool, report: BudgetReport, arrived: float, seq: int) -> None:
        """Merge what one response said about ``pool`` into what we know.

        The freshest report wins: within one window, the report of the request let go
        last replaces the known remaining (and the estimates of successes it already
        covers); one from an earlier request that arrives late is ignored (monday had
        not yet charged what it did not see). A reset time clearly later than the one
        known means monday opened a new window, whose report replaces ours whatever
        its age; one clearly earlier is from a window already closed and is ignored.
        ``reset_in_x_seconds`` is whole seconds rounded up and counted from a moment
        before the response arrived, so every estimate is at or after the real reset:
        the earliest one is the most precise. A report with no reset time belongs to
        the window known (or, with none known, one assumed to start now).
        """
        if report.quota is not None and report.quota > 0:
            pool.quota = min(pool.configured, report.quota)
        if report.reset_in is not None:
            reset_at = arrived + max(0.0, report.reset_in)
        elif pool.reset_at is not None:
            reset_at = pool.reset_at
        else:
            reset_at = arrived + self.rate.window_seconds
        tolerance = min(2.0, self.rate.window_seconds / 2)
        if pool.reset_at is None or reset_at > pool.reset_at + tolerance:
            self._take(pool, report, seq)
            pool.reset_at = reset_at
            return
        if reset_at < pool.reset_at - tolerance:
            return  # charged in a window that has since closed: nothing to learn
        if seq >= pool.reported_seq:
            self._take(pool, report, seq)
        pool.reset_at = min(pool.reset_at, reset_at)

    @staticmethod
    def _take(pool: BudgetPool, report: BudgetReport, seq: int) -> None:
        pool.reported = report.remaining
        pool.reported_seq = seq
        pool.unreported = {s: c for s, c in pool.unreported.items() if s > seq}

    def _roll_window(self, now: float) -> None:
        for pool in self.pools.values():
            if pool.reset_at is not None and now >= pool.reset_at + self.reset_margin:
                pool.forget_window()

    def _blocked(self, now: float, cost: int, pool: BudgetPool) -> tuple[float | None, str]:
        """(seconds to wait, reason), or (None, "") when the request may go now.
        ``math.inf`` means: until some in-flight request finishes."""
        if now < self._paused_until:
            return self._paused_until - now, "rate_limit"
        if self._in_flight >= self.max_in_flight:
            return math.inf, "concurrency"
        while self._starts and self._starts[0] <= now - self.rpm_window:
            self._starts.popleft()
        if len(self._starts) >= self.rate.requests_per_minute:
            return self._starts[0] + self.rpm_window - now, "rpm"
        if cost > pool.free():
            if pool.reset_at is None:
                if self._in_flight:
                    return math.inf, "budget"  # their responses will tell
                # Spent locally without word from monday: assume a full window.
                pool.reset_at = now + self.rate.window_seconds
            return max(0.0, pool.reset_at + self.reset_margin - now), "budget"
        return None, ""

    async def _wait(self, seconds: float, reason: str) -> None:
        """Sleep ``seconds`` (virtual or real) or until a request finishes."""
        start = self.clock.monotonic()
        if self.on_wait is not None and not math.isinf(seconds) and reason != "concurrency":
            with contextlib.suppress(Exception):  # a display must never stop a sync
                self.on_wait(reason, seconds)
        loop = asyncio.get_running_loop()
        self._wakeup = wakeup = loop.create_future()
        timer: asyncio.Task[None] | None = None
        try:
            if math.isinf(seconds):
                await wakeup
            else:
                timer = asyncio.ensure_future(self.clock.sleep(seconds))
                await asyncio.wait({timer, wakeup}, return_when=asyncio.FIRST_COMPLETED)
        finally:
            if timer is not None and not timer.done():
                timer.cancel()
            if not wakeup.done():
                wakeup.cancel()
            self._wakeup = None
            waited = self.clock.monotonic() - start
            field = f"{reason}_wait_seconds"
            setattr(self.stats, field, getattr(self.stats, field) + waited)

    def _notify(self) -> None:
        if self._wakeup is not None and not self._wakeup.done():
            self._wakeup.set_result(None)
