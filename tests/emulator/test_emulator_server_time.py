"""Server time: each mutation alias takes time on the emulator's clock, the aliases of
a document run in order, a call is cut at ``call_timeout_seconds`` (HTTP 504, the
finished aliases applied), the event loop serves other requests meanwhile, and a
document runs to its end when its client goes away."""

from __future__ import annotations

import asyncio
import time

import aiohttp
import pytest
from emu_helpers import SMALL_BOARD_ID, TOKEN, create_items_document, serve, until

from monday_emulator import (
    SMALL_BOARD,
    Clock,
    EmulatorServer,
    EmulatorSettings,
    ManualClock,
    builtin_spec,
)

FIXED = {"server_time_distribution": "fixed"}


async def test_each_alias_takes_its_time_in_order() -> None:
    clock = ManualClock()
    async with serve(clock, mutation_ms_mean=2_000, query_ms_mean=0, **FIXED) as api:
        before = clock.monotonic()
        reply = await api.gql(create_items_document(["a", "b", "c"]))
        assert reply.status == 200, reply.body
        assert clock.monotonic() - before == pytest.approx(6.0)
        assert await api.items() == ["a", "b", "c"]
        stats = await api.stats()
        assert stats["server_time"] == {
            "seconds": 6.0,
            "documents": 1,
            "seconds_by_board": {"3000000001": 6.0},
            "documents_by_5s": {"5": 1},
        }
        assert stats["mutations_executed_total"] == 3
        assert stats["mutations_applied_total"] == 3
        assert stats["timeouts"] == 0


async def test_an_alias_is_visible_only_once_its_time_has_passed() -> None:
    clock = ManualClock(autojump=False)
    async with serve(clock, mutation_ms_mean=10_000, query_ms_mean=0, **FIXED) as api:
        writing = asyncio.create_task(api.gql(create_items_document(["first", "second"])))
        await until(lambda: len(api.state.running) == 1)
        assert await api.items() == []  # the first alias's 10 s have not passed
        clock.advance(10)
        await until(lambda: len(api.state.store.items) == 1)
        assert await api.items() == ["first"]
        clock.advance(10)
        reply = await asyncio.wait_for(writing, 5)
        assert reply.status == 200
        assert await api.items() == ["first", "second"]


async def test_reads_and_other_boards_are_served_while_a_document_runs() -> None:
    clock = ManualClock(autojump=False)
    async with serve(clock, mutation_ms_mean=30_000, query_ms_mean=0, **FIXED) as api:
        writing = asyncio.create_task(api.gql(create_items_document(["slow"])))
        await until(lambda: len(api.state.running) == 1)
        read = await api.gql("{ boards(ids: [3000000001]) { name } me { id } }")
        assert read.status == 200 and read.data["boards"][0]["name"]
        stats = await api.stats()
        assert stats["executing"] == 1
        assert not writing.done()
        clock.advance(30)
        assert (await asyncio.wait_for(writing, 5)).status == 200


async def test_the_call_is_cut_at_the_timeout_with_the_finished_aliases_applied() -> None:
    clock = ManualClock()
    async with serve(clock, mutation_ms_mean=25_000, query_ms_mean=0, **FIXED) as api:
        before = clock.monotonic()
        reply = await api.gql(create_items_document(["one", "two", "three", "four"]))
        assert reply.status == 504
        (error,) = reply.body["errors"]
        assert error["extensions"]["code"] == "REQUEST_TIMEOUT"
        assert error["extensions"]["status_code"] == 504
        assert error["extensions"]["error_data"] == {"timeout_seconds": 60.0}
        assert "data" not in reply.body
        assert reply.body["extensions"]["request_id"]
        # 25 s + 25 s finished; the third would end at 75 s: the server works until 60
        assert clock.monotonic() - before == pytest.approx(60.0)
        assert await api.items() == ["one", "two"]
        stats = await api.stats()
        assert stats["timeouts"] == 1
        assert stats["mutations_executed_total"] == 2
        assert stats["server_time"]["seconds"] == 60.0
        assert stats["requests_by_status"]["504"] == 1


async def test_a_query_takes_its_own_time() -> None:
    clock = ManualClock()
    async with serve(clock, mutation_ms_mean=0, query_ms_mean=1_500, **FIXED) as api:
        before = clock.monotonic()
        assert (await api.gql("{ me { id } }")).status == 200
        assert clock.monotonic() - before == pytest.approx(1.5)


async def test_server_time_zero_runs_at_once() -> None:
    clock = ManualClock()
    async with serve(clock, mutation_ms_mean=0, query_ms_mean=0) as api:
        before = clock.monotonic()
        assert (await api.gql(create_items_document(["x", "y"]))).status == 200
        assert clock.monotonic() == before
        assert (await api.stats())["server_time"]["documents"] == 0


@pytest.mark.parametrize("kind", ["fixed", "uniform", "exponential", "lognormal"])
async def test_a_seed_repeats_the_draws(kind: str) -> None:
    spent = []
    for _ in range(2):
        clock = ManualClock()
        async with serve(
            clock,
            mutation_ms_mean=500,
            query_ms_mean=0,
            server_time_distribution=kind,
            server_time_seed=11,
        ) as api:
            assert (await api.gql(create_items_document(["a", "b", "c", "d"]))).status == 200
            spent.append(clock.monotonic())
    assert spent[0] == spent[1]
    assert spent[0] > 1_000.0


async def test_compressed_real_clock_takes_the_time_divided_by_the_speed() -> None:
    clock = Clock(speed=1_000)
    async with serve(clock, mutation_ms_mean=20_000, query_ms_mean=0, **FIXED) as api:
        before = clock.monotonic()
        started = time.monotonic()
        reply = await api.gql(create_items_document(["p", "q", "r"]))
        wall = time.monotonic() - started
        assert reply.status == 200
        assert clock.monotonic() - before >= 60.0  # 3 x 20 s emulated
        assert wall < 5.0  # about 0.06 s of wall time; bounded, not timed
        assert await api.items() == ["p", "q", "r"]


async def test_a_document_runs_to_its_end_when_the_client_goes_away() -> None:
    clock = ManualClock(autojump=False)
    server = EmulatorServer(
        EmulatorSettings(token=TOKEN, mutation_ms_mean=5_000, query_ms_mean=0, **FIXED),
        boards=[builtin_spec(SMALL_BOARD)],
        clock=clock,
        handler_cancellation=True,  # aiohttp cancels the handler when the client leaves
    )
    await server.start()
    try:
        async with aiohttp.ClientSession() as session:
            body = {"query": create_items_document(["kept", "going"])}
            headers = {"Authorization": TOKEN}
            with pytest.raises(asyncio.TimeoutError):
                async with session.post(
                    server.url,
                    json=body,
                    headers=headers,
                    timeout=aiohttp.ClientTimeout(total=0.3),
                ) as resp:
                    await resp.read()
        state = server.state
        assert state is not None
        assert len(state.running) == 1  # still executing, though nobody waits for it
        clock.advance(10)
        await until(lambda: len(state.running) == 0)
        names = [i.name for i in state.store.items.values() if i.board_id == SMALL_BOARD_ID]
        assert names == ["kept", "going"]
        assert state.stats.mutations_executed["create_item"] == 2
    finally:
        await server.stop()
