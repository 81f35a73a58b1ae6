"""Scheduler budget maths in virtual time (no real window is ever slept)."""

from __future__ import annotations

import asyncio
import math

import pytest

from sync_order_list.config.models import BatchSettings, RateSettings
from sync_order_list.errors import MondayQueryTooComplexError
from sync_order_list.monday.ratelimit import BudgetReport
from sync_order_list.monday.responses import Complexity
from sync_order_list.monday.scheduler import CostModel, Scheduler

from .support import VirtualClock


def make(clock: VirtualClock, *, concurrency: int = 4, **rate) -> Scheduler:
    defaults = dict(
        complexity_budget=100_000, window_seconds=60, max_query_complexity=50_000, budget_share=1.0
    )
    defaults.update(rate)
    return Scheduler(RateSettings(**defaults), BatchSettings(concurrency=concurrency), clock=clock)


class BudgetServer:
    """monday's budget as the emulator models it: a window opens at the first charge
    and lasts ``window`` seconds; ``reset_in`` is rounded up; a document that does not
    fit is refused (what would be a 429)."""

    def __init__(self, clock: VirtualClock, budget: int, window: float) -> None:
        self.clock, self.budget, self.window = clock, budget, window
        self.start: float | None = None
        self.used = 0
        self.refused = 0
        self.charged: list[tuple[float, int]] = []

    def charge(self, cost: int) -> Complexity | None:
        now = self.clock.monotonic()
        if self.start is not None and now >= self.start + self.window:
            self.start, self.used = None, 0
        before = self.budget - self.used
        if cost > before:
            self.refused += 1
            return None
        if self.start is None:
            self.start = now
        self.used += cost
        self.charged.append((now, cost))
        reset_in = max(1, math.ceil(self.start + self.window - now))
        return Complexity(before=before, after=before - cost, query=cost, reset_in=reset_in)


async def send(
    scheduler: Scheduler,
    server: BudgetServer,
    clock: VirtualClock,
    cost: int,
    *,
    latency: float = 0.2,
    counts=None,
) -> None:
    slot = await scheduler.acquire(cost, counts or {"create_item": 1})
    await clock.sleep(latency / 2)
    complexity = server.charge(cost)
    await clock.sleep(latency / 2)
    slot.release(complexity=complexity, charged=complexity is not None)


async def test_waits_until_the_window_resets() -> None:
    clock = VirtualClock()
    scheduler = make(clock)
    server = BudgetServer(clock, 100_000, 60)
    t0 = clock.now

    async def scenario() -> list[float]:
        times = []
        for _ in range(4):  # 40k each: two fit, the third must wait for the reset
            await send(scheduler, server, clock, 40_000, latency=0.5)
            times.append(clock.now)
        return times

    times = await clock.run(scenario())
    assert server.refused == 0
    # the third request waited until (arrival of the 2nd response + reset_in)
    assert times[2] - t0 >= 60.0
    assert times[2] - t0 <= 62.0
    assert scheduler.stats.budget_wait_seconds == pytest.approx(60 - 1.0, abs=1.01)
    assert scheduler.stats.complexity_charged == 160_000


async def test_never_exceeds_remaining_and_spends_close_to_the_budget() -> None:
    clock = VirtualClock()
    scheduler = make(clock, concurrency=8)
    server = BudgetServer(clock, 100_000, 60)

    async def scenario() -> None:
        await asyncio.gather(
            *(send(scheduler, server, clock, 10_000, latency=0.3) for _ in range(95))
        )

    start = clock.now
    await clock.run(scenario())
    assert server.refused == 0  # never a "429" for budget
    elapsed = clock.now - start
    # 950k points at 100k a window: the 10th window opens after 9 resets
    assert 9 * 60 <= elapsed <= 9 * 61 + 5
    per_window: dict[int, int] = {}
    window_start = server.charged[0][0]
    for at, cost in server.charged:
        while at >= window_start + 60:
            window_start = next(t for t, _ in server.charged if t >= window_start + 60)
        per_window[int(window_start)] = per_window.get(int(window_start), 0) + cost
    assert all(v == 100_000 for v in list(per_window.values())[:-1])  # every full window spent


async def test_reserves_costs_of_requests_in_flight() -> None:
    clock = VirtualClock()
    scheduler = make(clock)
    server = BudgetServer(clock, 100_000, 60)
    a = await scheduler.acquire(40_000)
    b = await scheduler.acquire(40_000)
    third = asyncio.ensure_future(scheduler.acquire(40_000))
    await asyncio.sleep(0)
    assert not third.done()  # 100k - 80k reserved < 40k, though nothing was answered yet
    assert scheduler.snapshot().reserved == 80_000
    a.release(complexity=server.charge(40_000))
    b.release(complexity=server.charge(40_000))
    for _ in range(5):
        await asyncio.sleep(0)
    assert not third.done()  # 20k left: waits for the window
    slot = await clock.run(third)
    assert clock.now >= 1_000 + 60
    slot.release(complexity=server.charge(40_000))
    assert server.refused == 0


async def test_per_query_cap_and_budget_cap() -> None:
    clock = VirtualClock()
    scheduler = make(clock, complexity_budget=1_000_000, max_query_complexity=50_000)
    with pytest.raises(MondayQueryTooComplexError) as info:
        await scheduler.acquire(50_001)
    assert info.value.max_complexity == 50_000
    assert "split the batch" in str(info.value)
    small = make(clock, complexity_budget=30_000, max_query_complexity=50_000)
    assert small.max_query_cost == 30_000
    with pytest.raises(MondayQueryTooComplexError):
        await small.acquire(30_001)


async def test_requests_per_minute() -> None:
    clock = VirtualClock()
    scheduler = make(
        clock, requests_per_minute=5, complexity_budget=10**9, max_query_complexity=10**6
    )
    starts = []

    async def scenario() -> None:
        for _ in range(11):
            slot = await scheduler.acquire(1)
            starts.append(clock.now)
            slot.release(complexity=None, charged=False)

    await clock.run(scenario())
    assert starts[4] == starts[0]
    assert starts[5] == pytest.approx(starts[0] + 60)
    assert starts[10] == pytest.approx(starts[0] + 120)
    for i in range(len(starts)):
        window = [s for s in starts if starts[i] <= s < starts[i] + 60]
        assert len(window) <= 5
    assert scheduler.stats.rpm_wait_seconds == pytest.approx(120)


async def test_concurrency_is_the_smaller_of_batch_and_rate() -> None:
    clock = VirtualClock()
    assert make(clock, concurrency=10, max_concurrency=3).max_in_flight == 3
    assert make(clock, concurrency=2, max_concurrency=40).max_in_flight == 2
    scheduler = make(clock, concurrency=3)
    slots = [await scheduler.acquire(1) for _ in range(3)]
    waiting = asyncio.ensure_future(scheduler.acquire(1))
    for _ in range(5):
        await asyncio.sleep(0)
    assert not waiting.done() and scheduler.in_flight == 3
    slots[0].release(charged=False)
    slot = await asyncio.wait_for(waiting, 1)
    assert scheduler.in_flight == 3
    slot.release(charged=False)
    slot.release(charged=False)  # idempotent
    assert scheduler.in_flight == 2
    assert scheduler.stats.max_in_flight == 3


async def test_concurrent_senders_never_exceed_the_limit() -> None:
    clock = VirtualClock()
    scheduler = make(clock, concurrency=4, complexity_budget=10**9, max_query_complexity=10**6)
    peak = 0

    async def one() -> None:
        nonlocal peak
        slot = await scheduler.acquire(10)
        peak = max(peak, scheduler.in_flight)
        await clock.sleep(0.5)
        slot.release(charged=True)

    await clock.run(asyncio.gather(*(one() for _ in range(40))))
    assert peak == 4
    assert clock.now - 1_000 == pytest.approx(40 / 4 * 0.5)


async def test_pause_after_429_holds_every_sender() -> None:
    clock = VirtualClock()
    scheduler = make(clock)
    t0 = clock.now
    scheduler.pause(7)
    starts: list[float] = []

    async def one() -> None:
        slot = await scheduler.acquire(1)
        starts.append(clock.now)
        slot.release(charged=False)

    await clock.run(asyncio.gather(one(), one(), one()))
    assert starts == [t0 + 7] * 3
    assert scheduler.stats.rate_limited == 1
    assert scheduler.stats.rate_limit_wait_seconds == pytest.approx(7)


async def test_stale_and_out_of_order_responses() -> None:
    clock = VirtualClock()
    scheduler = make(clock)
    a = await scheduler.acquire(10_000)
    b = await scheduler.acquire(10_000)
    # b's answer (after=80k) arrives before a's (after=90k): the lower one wins
    b.release(complexity=Complexity(before=90_000, after=80_000, query=10_000, reset_in=59))
    a.release(complexity=Complexity(before=100_000, after=90_000, query=10_000, reset_in=59))
    state = scheduler.snapshot()
    assert state.remaining == 80_000 and state.reserved == 0
    clock.advance(61)
    assert scheduler.snapshot().remaining == 100_000  # window reset
    c = await scheduler.acquire(10_000)
    c.release(complexity=Complexity(before=100_000, after=90_000, query=10_000, reset_in=60))
    assert scheduler.snapshot().remaining == 90_000


async def test_unanswered_charged_request_counts_against_the_budget() -> None:
    clock = VirtualClock()
    scheduler = make(clock)
    slot = await scheduler.acquire(30_000)
    slot.release(complexity=None, charged=True)  # ran, but no word on the budget: spent
    assert scheduler.snapshot().remaining == 70_000
    slot = await scheduler.acquire(30_000)
    slot.release(complexity=None, charged=False)  # 429: not spent
    assert scheduler.snapshot().remaining == 70_000
    # out of budget with no word from monday: a full window is assumed
    for _ in range(2):
        (await scheduler.acquire(30_000)).release(complexity=None, charged=True)
    t0 = clock.now
    await clock.run(scheduler.acquire(30_000))
    assert clock.now == pytest.approx(t0 + 60)


# -- cost learning ---------------------------------------------------------------------


def test_cost_model_learns_from_single_kind_documents() -> None:
    model = CostModel()
    assert model.per_op("create_item") == 30_001  # prior
    model.observe({"create_item": 50}, 500_000)
    assert model.per_op("create_item") == 10_000
    assert model.is_learned("create_item")
    model.observe({"create_item": 10}, 90_000)  # cheaper once: keep the max
    assert model.per_op("create_item") == 10_000
    model.observe({"create_item": 3}, 30_003)
    assert model.per_op("create_item") == 10_001
    assert model.estimate({"create_item": 10, "archive_item": 0}) == 100_010


def test_cost_model_mixed_documents() -> None:
    model = CostModel()
    model.observe({"create_item": 10}, 100_000)
    # one unknown kind in a mixed document: the residual is its cost
    model.observe({"create_item": 10, "create_subitem": 20}, 100_000 + 20 * 12_000)
    assert model.per_op("create_subitem") == 12_000
    # all known but the document cost more: scale up, never down
    model.observe({"create_item": 1, "create_subitem": 1}, 44_000)
    assert model.estimate({"create_item": 1, "create_subitem": 1}) >= 44_000
    before = model.snapshot()
    model.observe({"create_item": 1, "create_subitem": 1}, 1)
    assert model.snapshot() == before
    # two unknown kinds that cost more than the priors: scaled up to cover it
    fresh = CostModel(priors={"a": 10, "b": 10})
    fresh.observe({"a": 1, "b": 1}, 100)
    assert fresh.estimate({"a": 1, "b": 1}) >= 100


async def test_estimates_converge_and_size_batches() -> None:
    clock = VirtualClock()
    scheduler = make(clock, complexity_budget=10_000_000, max_query_complexity=5_000_000)
    before = scheduler.max_ops_per_document("create_item")
    assert before == (5_000_000 - 1) // 30_001
    slot = await scheduler.acquire(scheduler.estimate({"create_item": 50}), {"create_item": 50})
    slot.release(
        complexity=Complexity(before=10_000_000, after=9_500_000, query=500_000, reset_in=60)
    )
    assert scheduler.estimate({"create_item": 50}) == 500_000
    assert scheduler.max_ops_per_document("create_item") == (5_000_000 - 1) // 10_000
    tiny = make(clock, complexity_budget=5_000, max_query_complexity=5_000)
    assert tiny.max_ops_per_document("create_item") == 0


async def test_late_answer_from_a_closed_window_is_ignored() -> None:
    clock = VirtualClock()
    scheduler = make(clock)
    old = await scheduler.acquire(10_000)
    clock.advance(59.5)
    new = await scheduler.acquire(10_000)
    # the new window's answer comes first, then the old window's (reset in 1 s)
    new.release(complexity=Complexity(before=100_000, after=60_000, query=10_000, reset_in=60))
    old.release(complexity=Complexity(before=10_000, after=0, query=10_000, reset_in=1))
    state = scheduler.snapshot()
    assert state.remaining == 60_000
    assert state.reset_at == pytest.approx(clock.now + 60)


async def test_acquire_ops_sizes_each_document_to_what_fits_now() -> None:
    clock = VirtualClock()
    scheduler = make(clock, complexity_budget=100_000, max_query_complexity=50_000)
    scheduler.costs.observe({"create_item": 1}, 10_000)
    first = await scheduler.acquire_ops("create_item", 10)
    assert first.ops == 4 and first.cost == 40_001  # the 50k cap allows 4 (+1 for complexity)
    second = await scheduler.acquire_ops("create_item", 10)
    assert second.ops == 4
    third = await scheduler.acquire_ops("create_item", 10)
    assert third.ops == 1  # fills the end of the window instead of waiting for it
    fourth = asyncio.ensure_future(scheduler.acquire_ops("create_item", 10))
    for _ in range(5):
        await asyncio.sleep(0)
    assert not fourth.done()  # not even one more fits
    for slot, after in ((first, 60_000), (second, 20_000), (third, 10_000)):
        slot.release(
            complexity=Complexity(before=0, after=after, query=slot.ops * 10_000, reset_in=60)
        )
    slot = await clock.run(fourth)
    assert slot.ops == 4 and clock.now >= 1_000 + 60  # the next window, full size again
    limited = await scheduler.acquire_ops("archive_item", 2)
    assert limited.ops == 1  # the 30,001 prior: one fits in what is left


async def test_cancelled_reservation_gives_everything_back() -> None:
    clock = VirtualClock()
    scheduler = make(clock, requests_per_minute=2)
    slot = await scheduler.acquire_ops("create_item", 1)
    assert scheduler.stats.requests == 1 and scheduler.snapshot().reserved == slot.cost
    slot.cancel()
    slot.cancel()
    assert scheduler.stats.requests == 0 and scheduler.snapshot().reserved == 0
    assert scheduler.in_flight == 0
    # the cancelled one did not count against the requests per minute
    a, b = await scheduler.acquire(1), await scheduler.acquire(1)
    assert clock.now == 1_000
    for s in (a, b):
        s.release(charged=False)


async def test_acquire_ops_refuses_an_operation_over_the_cap() -> None:
    clock = VirtualClock()
    scheduler = make(clock, max_query_complexity=20_000)
    with pytest.raises(MondayQueryTooComplexError):
        await scheduler.acquire_ops("create_item", 5)  # the 30,001 prior is over 20k


# -- what monday charged, not what was assumed ----------------------------------------


async def test_failed_requests_give_back_and_the_next_report_heals_an_over_count() -> None:
    clock = VirtualClock()
    scheduler = make(clock)
    for _ in range(3):  # three 5xx / dropped connections: monday charged nothing
        (await scheduler.acquire(30_000)).release(charged=False)
    assert scheduler.snapshot().remaining == 100_000
    assert scheduler.stats.complexity_charged == 0
    # a success with no word on the budget counts its estimate as spent ...
    (await scheduler.acquire(40_000)).release(charged=True)
    assert scheduler.snapshot().remaining == 60_000
    # ... until the next report says what monday really has left
    slot = await scheduler.acquire(10_000)
    slot.release(complexity=Complexity(before=100_000, after=85_000, query=10_000, reset_in=50))
    assert scheduler.snapshot().remaining == 85_000


async def test_the_freshest_report_wins_even_when_it_is_higher() -> None:
    """The old rule kept the lowest figure of a window, so an over-count never
    healed; now the report of the request let go last replaces it."""
    clock = VirtualClock()
    scheduler = make(clock)
    a = await scheduler.acquire(10_000)
    a.release(report=BudgetReport(remaining=20_000, reset_in=50))  # e.g. others spent
    b = await scheduler.acquire(10_000)
    b.release(report=BudgetReport(remaining=70_000, reset_in=49))  # later: freed again
    assert scheduler.snapshot().remaining == 70_000
    # a late answer of a request let go before b does not undo b's news
    c = await scheduler.acquire(1)
    d = await scheduler.acquire(1)
    d.release(report=BudgetReport(remaining=69_000, reset_in=48))
    c.release(report=BudgetReport(remaining=69_500, reset_in=48))
    assert scheduler.snapshot().remaining == 69_000


async def test_a_report_without_reset_time_stays_in_the_known_window() -> None:
    clock = VirtualClock()
    scheduler = make(clock)
    slot = await scheduler.acquire(10_000)
    slot.release(complexity=Complexity(before=100_000, after=90_000, query=10_000, reset_in=30))
    reset_at = scheduler.snapshot().reset_at
    (await scheduler.acquire(10_000)).release(report=BudgetReport(remaining=50_000))
    state = scheduler.snapshot()
    assert state.remaining == 50_000 and state.reset_at == reset_at


async def test_monday_s_lower_quota_is_adopted() -> None:
    clock = VirtualClock()
    scheduler = make(clock, complexity_budget=10_000_000, max_query_complexity=5_000_000)
    slot = await scheduler.acquire(1)
    slot.release(report=BudgetReport(remaining=999_000, reset_in=60, quota=1_000_000))
    assert scheduler.snapshot().quota == 1_000_000  # a trial account's budget
    assert scheduler.max_query_cost == 1_000_000
    with pytest.raises(MondayQueryTooComplexError):
        await scheduler.acquire(1_000_001)
    slot = await scheduler.acquire(1)
    slot.release(report=BudgetReport(remaining=1, reset_in=60, quota=50_000_000))
    assert scheduler.snapshot().quota == 10_000_000  # never above the configured one


# -- rate.budget_share ------------------------------------------------------------------


async def test_budget_share_leaves_the_rest_of_the_window_to_others() -> None:
    clock = VirtualClock()
    scheduler = make(clock, concurrency=4, budget_share=0.8)
    server = BudgetServer(clock, 100_000, 60)
    lowest: list[int] = []

    async def one() -> None:
        slot = await scheduler.acquire(10_000)
        await clock.sleep(0.1)
        complexity = server.charge(10_000)
        lowest.append(complexity.after if complexity else -1)
        await clock.sleep(0.1)
        slot.release(complexity=complexity, charged=complexity is not None)

    start = clock.now
    await clock.run(asyncio.gather(*(one() for _ in range(24))))
    assert server.refused == 0 and min(lowest) == 20_000  # never below 20% left
    state = scheduler.snapshot()
    assert state.floor == 20_000 and scheduler.max_query_cost == 50_000
    # 8 of 10 possible requests a window: the 24 take three windows
    per_window: dict[int, int] = {}
    for at, cost in server.charged:
        per_window[int((at - server.charged[0][0]) // 60)] = (
            per_window.get(int((at - server.charged[0][0]) // 60), 0) + cost
        )
    assert list(per_window.values()) == [80_000, 80_000, 80_000]
    assert 120 <= clock.now - start <= 125


def test_budget_share_caps_the_document_size() -> None:
    clock = VirtualClock()
    scheduler = make(
        clock, complexity_budget=1_000_000, max_query_complexity=5_000_000, budget_share=0.5
    )
    assert scheduler.max_query_cost == 500_000
    scheduler.costs.observe({"create_item": 10}, 100_000)
    assert scheduler.max_ops_per_document("create_item") == (500_000 - 1) // 10_000


# -- app tokens: separate read and write budgets ----------------------------------------


async def test_app_token_spends_reads_and_writes_apart() -> None:
    clock = VirtualClock()
    scheduler = make(
        clock,
        token_kind="app",
        read_budget=100_000,
        write_budget=50_000,
        max_query_complexity=50_000,
    )
    assert set(scheduler.pools) == {"read", "write"}
    assert scheduler.kind_of({"create_item": 3}) == "mutation"
    assert scheduler.kind_of({"items_by_column_values": 1}) == "query"
    assert scheduler.kind_of({"doctor_probe": 1}) == "query"
    write = await scheduler.acquire(40_000, {"create_item": 4})
    assert write.pool == "write"
    write.release(complexity=Complexity(before=50_000, after=10_000, query=40_000, reset_in=60))
    assert scheduler.snapshot("write").remaining == 10_000
    assert scheduler.snapshot("read").remaining == 100_000  # untouched
    # writes wait for their window; reads go on meanwhile
    blocked = asyncio.ensure_future(scheduler.acquire(20_000, {"create_item": 2}))
    for _ in range(5):
        await asyncio.sleep(0)
    assert not blocked.done()
    blocked.cancel()
    read = await scheduler.acquire(20_000, {"items_by_column_values": 1})
    assert read.pool == "read" and clock.now == 1_000
    read.release(report=BudgetReport(remaining=80_000, reset_in=60))
    assert scheduler.snapshot("read").remaining == 80_000
    assert scheduler.snapshot("write").remaining == 10_000
    slot = await clock.run(scheduler.acquire(20_000, {"create_item": 2}))
    assert slot.pool == "write" and clock.now >= 1_060
    # a document's kind can be given (a query typed as text)
    explicit = await scheduler.acquire(1, {"me": 1}, kind="mutation")
    assert explicit.pool == "write"


def test_app_token_caps_each_kind_by_its_own_budget() -> None:
    clock = VirtualClock()
    scheduler = make(
        clock, token_kind="app", read_budget=400_000, write_budget=100_000,
        max_query_complexity=5_000_000,
    )  # fmt: skip
    assert scheduler.max_query_cost_for("query") == 400_000
    assert scheduler.max_query_cost_for("mutation") == 100_000
    assert scheduler.max_ops_per_document("create_item") == (100_000 - 1) // 30_001
    assert scheduler.max_ops_per_document("board_groups") == (400_000 - 1) // 10_000
