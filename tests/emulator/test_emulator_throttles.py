"""Throttles and what they tell the client: every 429 carries ``Retry-After`` and, in
its body, ``status_code: 429`` and ``retry_in_seconds`` (the complexity error from API
version 2025-07 on excepted: monday's changelog dropped its budget fields and
``status_code``); ``FIELD_LIMIT_EXCEEDED`` also carries its wait in
``error_data.retry_in_seconds``. The per-field limits, the mutations-per-minute limit,
an app token's separate read and write budgets, the daily limit's weight for costly
documents, the ``RateLimit`` headers, and durations told in wall seconds when the
clock runs faster."""

from __future__ import annotations

import asyncio
import re

import pytest
from emu_helpers import SMALL_BOARD_ID, create_items_document, serve, until

from monday_emulator import Clock, ManualClock
from monday_emulator.settings import EmulatorSettings

INSTANT = {"mutation_ms_mean": 0, "query_ms_mean": 0}
ME = "{ me { id } }"


def _items(header: str) -> dict[str, dict[str, int]]:
    """A ``RateLimit`` / ``RateLimit-Policy`` header as {name: {param: value}}."""
    out: dict[str, dict[str, int]] = {}
    for item in header.split(", "):
        name, *params = item.split(";")
        match = re.fullmatch(r'"([a-z_]+)"', name)
        assert match, header
        out[match.group(1)] = {k: int(v) for k, v in (p.split("=") for p in params)}
    return out


def _throttle(reply, code: str) -> dict:
    assert reply.status == 429, reply.body
    (error,) = reply.body["errors"]
    extensions = error["extensions"]
    assert extensions["code"] == code
    assert reply.headers["Retry-After"] == str(extensions["retry_in_seconds"])
    return extensions


async def test_rate_limit_headers_in_the_draft_form_on_every_response() -> None:
    async with serve(ManualClock(), **INSTANT) as api:
        reply = await api.gql("{ complexity { query after } me { id } }")
        policy = _items(reply.headers["RateLimit-Policy"])
        assert policy == {
            "complexity": {"q": 10_000_000, "w": 60},
            "requests": {"q": 5_000, "w": 60},
        }
        current = _items(reply.headers["RateLimit"])
        assert current["complexity"] == {"r": reply.data["complexity"]["after"], "t": 60}
        assert current["requests"] == {"r": 4_999, "t": 60}
        for refused in (
            await api.gql(ME, headers={"Authorization": "wrong"}),
            await api.gql("{ nope }"),
        ):
            assert _items(refused.headers["RateLimit"])["requests"]["r"] <= 4_999


async def test_durations_are_told_in_wall_seconds_when_the_clock_runs_faster() -> None:
    async with serve(Clock(speed=10), complexity_budget=25_000, **INSTANT) as api:
        await api.gql(create_items_document(["a", "b"]))
        refused = await api.gql(create_items_document(["c"]))
        extensions = _throttle(refused, "COMPLEXITY_BUDGET_EXHAUSTED")
        assert extensions["retry_in_seconds"] in (5, 6)  # 60 emulated s / 10
        headers = _items(refused.headers["RateLimit-Policy"])
        assert headers["complexity"]["w"] == 6
        assert _items(refused.headers["RateLimit"])["complexity"]["t"] in (5, 6)
        status, body = await api.admin("POST", "/clock", {"speed": 60})
        assert status == 200 and body["speed"] == 60
        block = await api.gql("{ complexity { reset_in_x_seconds } }")
        assert block.data["complexity"]["reset_in_x_seconds"] == 1  # at least 1


async def test_clock_speed_as_a_setting() -> None:
    settings = EmulatorSettings.from_pairs(["clock_speed=60"])
    assert settings.clock_speed == 60
    async with serve(Clock(), **INSTANT) as api:
        await api.admin("POST", "/settings", {"clock_speed": 120})
        assert api.state.clock.speed == 120
        status, body = await api.admin("POST", "/settings", {"clock_speed": 0})
        assert status == 400 and "clock speed" in body["error"]
    async with serve(ManualClock(), **INSTANT) as api:
        status, body = await api.admin("POST", "/clock", {"speed": 5})
        assert status == 400 and "ManualClock" in body["error"]
        assert api.state.settings.clock_speed == 1


@pytest.mark.parametrize(
    ("version", "lean"),
    [("2025-01", False), ("2025-04", False), ("2025-07", True), ("2026-10", True)],
)
async def test_the_complexity_error_has_the_shape_of_the_version(version: str, lean: bool) -> None:
    async with serve(ManualClock(), complexity_budget=15_000, **INSTANT) as api:
        await api.gql(create_items_document(["a"]))
        reply = await api.gql(create_items_document(["b"]), headers={"API-Version": version})
        extensions = _throttle(reply, "COMPLEXITY_BUDGET_EXHAUSTED")
        assert reply.body["errors"][0]["message"] == "Complexity budget exhausted"
        if lean:
            assert extensions == {"code": "COMPLEXITY_BUDGET_EXHAUSTED", "retry_in_seconds": 60}
        else:
            assert extensions == {
                "code": "COMPLEXITY_BUDGET_EXHAUSTED",
                "status_code": 429,
                "retry_in_seconds": 60,
                "complexity": 10_001,
                "complexity_budget_left": 4_999,
                "complexity_budget_limit": 15_000,
                "error_data": {},
            }


THROTTLES = [
    "RATE_LIMIT_EXCEEDED",
    "maxConcurrencyExceeded",
    "IP_RATE_LIMIT_EXCEEDED",
    "DAILY_LIMIT_EXCEEDED",
    "FIELD_LIMIT_EXCEEDED",
    "FIELD_MINUTE_RATE_LIMIT_EXCEEDED",
]


@pytest.mark.parametrize("code", THROTTLES)
async def test_every_throttle_says_429_in_its_body(code: str) -> None:
    async with serve(ManualClock(), **INSTANT) as api:
        script = [{"at": 1, "kind": "rate_limit", "code": code, "retry_in_seconds": 12}]
        await api.admin("POST", "/faults", {"script": script})
        reply = await api.gql(create_items_document(["x"]), headers={"API-Version": "2026-10"})
        extensions = _throttle(reply, code)
        assert extensions["status_code"] == 429
        assert extensions["retry_in_seconds"] == 12
        assert isinstance(extensions["error_data"], dict)
        if code == "FIELD_LIMIT_EXCEEDED":
            assert extensions["error_data"]["retry_in_seconds"] == 12
        assert await api.items() == []


async def test_field_concurrency_limit() -> None:
    clock = ManualClock(autojump=False)
    async with serve(
        clock,
        field_concurrency_limit=1,
        mutation_ms_mean=8_000,
        query_ms_mean=0,
        server_time_distribution="fixed",
        board_lock="off",
    ) as api:
        with_complexity = create_items_document(["first"]).replace(
            "mutation {", "mutation { complexity { query }"
        )
        first = asyncio.create_task(api.gql(with_complexity))
        await until(lambda: len(api.state.running) == 1)
        clock.advance(3)
        reply = await api.gql(create_items_document(["second"]))
        extensions = _throttle(reply, "FIELD_LIMIT_EXCEEDED")
        assert reply.body["errors"][0]["message"] == "Concurrency limit exceeded for the field"
        assert extensions["error_data"] == {"entity": "create_item", "retry_in_seconds": 5}
        # other fields, and ``complexity`` is no field the limit counts
        assert (await api.gql("{ complexity { query } me { id } }")).status == 200
        clock.advance(5)
        assert (await asyncio.wait_for(first, 5)).status == 200
        assert await api.items() == ["first"]


async def test_field_minute_limit() -> None:
    clock = ManualClock()
    async with serve(clock, field_requests_per_minute=2, **INSTANT) as api:
        read = f"{{ boards(ids: [{SMALL_BOARD_ID}]) {{ id }} }}"
        assert (await api.gql(read)).status == 200
        clock.advance(20)
        assert (await api.gql(read)).status == 200
        extensions = _throttle(await api.gql(read), "FIELD_MINUTE_RATE_LIMIT_EXCEEDED")
        assert extensions["retry_in_seconds"] == 40
        assert extensions["error_data"] == {"field": "boards"}
        assert (await api.gql(ME)).status == 200
        clock.advance(40)
        assert (await api.gql(read)).status == 200


async def test_mutations_per_minute() -> None:
    clock = ManualClock()
    async with serve(clock, mutations_per_minute=3, **INSTANT) as api:
        assert (await api.gql(create_items_document(["a", "b"]))).status == 200
        clock.advance(30)
        reply = await api.gql(create_items_document(["c", "d"]))
        extensions = _throttle(reply, "RATE_LIMIT_EXCEEDED")
        assert extensions["retry_in_seconds"] == 30
        assert reply.body["errors"][0]["message"].startswith("Call limit exceeded for mutations")
        assert (await api.gql(create_items_document(["c"]))).status == 200
        assert (await api.gql(ME)).status == 200  # queries are not mutations
        clock.advance(30)
        assert (await api.gql(create_items_document(["d", "e"]))).status == 200
        assert await api.items() == ["a", "b", "c", "d", "e"]
    assert EmulatorSettings().mutations_per_minute == 2_000


async def test_an_app_token_has_a_read_budget_and_a_write_budget() -> None:
    async with serve(
        ManualClock(), token_kind="app", app_complexity_budget=30_000, **INSTANT
    ) as api:
        read = await api.gql("{ complexity { before query } me { id } }")
        assert read.data["complexity"]["before"] == 30_000
        write = await api.gql(
            f'mutation {{ complexity {{ before }} create_item(board_id: {SMALL_BOARD_ID}, item_name: "w") {{ id }} }}'
        )
        assert write.data["complexity"]["before"] == 30_000  # its own pool
        policy = _items(write.headers["RateLimit-Policy"])
        assert policy["complexity_reads"] == {"q": 30_000, "w": 60}
        assert policy["complexity_writes"] == {"q": 30_000, "w": 60}
        current = _items(write.headers["RateLimit"])
        assert current["complexity_writes"]["r"] == 30_000 - 10_001
        assert current["complexity_reads"]["r"] == 30_000 - read.data["complexity"]["query"]
        await api.gql(create_items_document(["x"]))
        extensions = _throttle(
            await api.gql(create_items_document(["y"])), "COMPLEXITY_BUDGET_EXHAUSTED"
        )
        assert extensions["complexity_budget_limit"] == 30_000
        assert (await api.gql(ME)).status == 200  # the read budget is untouched


async def test_a_costly_document_counts_as_more_than_one_daily_call() -> None:
    async with serve(ManualClock(), daily_call_weight_points=10_000, **INSTANT) as api:
        reply = await api.gql(
            f"mutation {{ complexity {{ query }} "
            f'a: create_item(board_id: {SMALL_BOARD_ID}, item_name: "a") {{ id }} '
            f'b: create_item(board_id: {SMALL_BOARD_ID}, item_name: "b") {{ id }} '
            f'c: create_item(board_id: {SMALL_BOARD_ID}, item_name: "c") {{ id }} }}'
        )
        cost = reply.data["complexity"]["query"]
        assert cost == 30_003
        stats = await api.stats()
        assert stats["limits"]["daily_calls"] == 4  # ceil(30,003 / 10,000)
        await api.gql(ME)
        assert (await api.stats())["limits"]["daily_calls"] == 5


async def test_a_refused_document_does_not_count_toward_the_mutation_limit() -> None:
    async with serve(
        ManualClock(), mutations_per_minute=2, complexity_budget=15_000, **INSTANT
    ) as api:
        assert (await api.gql(create_items_document(["a"]))).status == 200
        refused = await api.gql(create_items_document(["b"]))  # over the budget: 429
        _throttle(refused, "COMPLEXITY_BUDGET_EXHAUSTED")
        assert (await api.stats())["limits"]["mutations_this_minute"] == 1
        await api.admin("POST", "/settings", {"complexity_budget": 1_000_000})
        assert (await api.gql(create_items_document(["b"]))).status == 200
        assert await api.items() == ["a", "b"]
