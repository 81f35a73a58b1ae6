"""Idempotency-Key (monday's API reference "Idempotency"): the first mutation request
with a key runs and its response is kept 30 minutes (emulator clock) per token; the
same key and body again gets the kept response with ``Idempotency-Replayed: true``,
nothing run or charged; a duplicate while the first still runs gets 409 with
``Retry-After``; the key with another body gets 422. Refusals before execution (423,
429) and edge faults keep nothing; per-alias errors, deterministic 500s, 504s and a
response lost after the document ran are kept. Queries ignore the key."""

from __future__ import annotations

import asyncio

import aiohttp
import pytest
from emu_helpers import SMALL_BOARD_ID, Api, create_items_document, serve, until

from monday_emulator import ManualClock

FIXED = {"server_time_distribution": "fixed", "query_ms_mean": 0}


def keyed(key: str) -> dict[str, str | None]:
    return {"Idempotency-Key": key}


async def test_a_retry_with_the_key_replays_without_running_again() -> None:
    async with serve(ManualClock(), mutation_ms_mean=300, **FIXED) as api:
        doc = create_items_document(["once"])
        first = await api.gql(doc, headers=keyed("k-1"))
        assert first.status == 200
        assert "Idempotency-Replayed" not in first.headers
        charged = (await api.stats())["complexity_charged"]
        again = await api.gql(doc, headers=keyed("k-1"))
        assert again.status == 200
        assert again.headers["Idempotency-Replayed"] == "true"
        assert again.body == first.body  # the same ids, the same request id
        assert again.headers["X-Request-Id"] == first.headers["X-Request-Id"]
        assert "RateLimit" in again.headers
        assert await api.items() == ["once"]
        stats = await api.stats()
        assert stats["complexity_charged"] == charged
        assert stats["mutations_executed_total"] == 1
        assert stats["idempotency"] == {
            "keyed_executions": 1,
            "replays": 1,
            "conflicts": 0,
            "mismatches": 0,
            "keys_kept": 1,
        }


async def test_a_duplicate_while_the_first_runs_gets_409() -> None:
    clock = ManualClock(autojump=False)
    async with serve(clock, mutation_ms_mean=20_000, **FIXED) as api:
        doc = create_items_document(["a", "b"])
        first = asyncio.create_task(api.gql(doc, headers=keyed("busy")))
        await until(lambda: len(api.state.running) == 1)
        clock.advance(5)
        duplicate = await api.gql(doc, headers=keyed("busy"))
        assert duplicate.status == 409
        (error,) = duplicate.body["errors"]
        assert error["extensions"]["code"] == "IDEMPOTENCY_CONFLICT"
        assert error["extensions"]["status_code"] == 409
        assert duplicate.headers["Retry-After"] == "35"  # 40 s planned, 5 s gone
        clock.advance(35)
        assert (await asyncio.wait_for(first, 5)).status == 200
        replay = await api.gql(doc, headers=keyed("busy"))
        assert replay.headers["Idempotency-Replayed"] == "true"
        assert await api.items() == ["a", "b"]
        assert (await api.stats())["idempotency"]["conflicts"] == 1


async def test_the_key_with_another_body_gets_422() -> None:
    async with serve(ManualClock(), mutation_ms_mean=0, **FIXED) as api:
        assert (await api.gql(create_items_document(["x"]), headers=keyed("k"))).status == 200
        other = await api.gql(create_items_document(["y"]), headers=keyed("k"))
        assert other.status == 422
        (error,) = other.body["errors"]
        assert error["extensions"]["code"] == "IDEMPOTENCY_KEY_REUSED"
        assert error["extensions"]["status_code"] == 422
        assert await api.items() == ["x"]
        assert (await api.stats())["idempotency"]["mismatches"] == 1


async def test_keys_are_per_key_and_expire_after_the_ttl() -> None:
    clock = ManualClock()
    async with serve(clock, mutation_ms_mean=0, **FIXED) as api:
        doc = create_items_document(["n"])
        await api.gql(doc, headers=keyed("one"))
        await api.gql(doc, headers=keyed("two"))  # another key: runs again
        assert await api.items() == ["n", "n"]
        clock.advance(1_799)
        assert (await api.gql(doc, headers=keyed("one"))).headers.get("Idempotency-Replayed")
        clock.advance(2)  # 30 minutes after the response was kept
        fresh = await api.gql(doc, headers=keyed("one"))
        assert "Idempotency-Replayed" not in fresh.headers
        assert await api.items() == ["n", "n", "n"]


async def test_queries_ignore_the_key() -> None:
    async with serve(ManualClock(), mutation_ms_mean=0, **FIXED) as api:
        await api.gql(create_items_document(["m"]), headers=keyed("shared"))
        query = await api.gql("{ me { id } }", headers=keyed("shared"))
        assert query.status == 200 and "Idempotency-Replayed" not in query.headers
        stats = await api.stats()
        assert stats["idempotency"]["keyed_executions"] == 1
        assert stats["idempotency"]["mismatches"] == 0


async def test_per_alias_errors_are_kept() -> None:
    async with serve(ManualClock(), mutation_ms_mean=0, **FIXED) as api:
        doc = (
            f'mutation {{ ok: create_item(board_id: {SMALL_BOARD_ID}, item_name: "ok") {{ id }}'
            " bad: archive_item(item_id: 1) { id } }"
        )
        first = await api.gql(doc, headers=keyed("e"))
        assert first.status == 200 and first.errors
        again = await api.gql(doc, headers=keyed("e"))
        assert again.headers["Idempotency-Replayed"] == "true"
        assert again.body == first.body
        assert await api.items() == ["ok"]


async def test_timeouts_and_deterministic_500s_are_kept() -> None:
    async with serve(ManualClock(), mutation_ms_mean=40_000, **FIXED) as api:
        doc = create_items_document(["t1", "t2", "t3"])
        cut = await api.gql(doc, headers=keyed("slow"))
        assert cut.status == 504
        again = await api.gql(doc, headers=keyed("slow"))
        assert again.status == 504 and again.headers["Idempotency-Replayed"] == "true"
        assert await api.items() == ["t1"]
        await api.admin(
            "POST", "/settings", {"invalid_input_errors": "http500", "mutation_ms_mean": 0}
        )
        bad = (
            f'mutation {{ a: create_item(board_id: {SMALL_BOARD_ID}, item_name: "before") {{ id }}'
            " b: archive_item(item_id: 1) { id } }"
        )
        failed = await api.gql(bad, headers=keyed("five-hundred"))
        assert failed.status == 500
        again = await api.gql(bad, headers=keyed("five-hundred"))
        assert again.status == 500 and again.headers["Idempotency-Replayed"] == "true"
        assert await api.items() == ["t1", "before"]


async def test_refusals_before_execution_keep_nothing() -> None:
    clock = ManualClock(autojump=False)
    async with serve(clock, mutation_ms_mean=10_000, **FIXED) as api:
        holder = asyncio.create_task(api.gql(create_items_document(["holder"])))
        await until(lambda: len(api.state.running) == 1)
        doc = create_items_document(["later"])
        locked = await api.gql(doc, headers=keyed("free"))
        assert locked.status == 423
        clock.advance(10)
        await asyncio.wait_for(holder, 5)
        clock.autojump = True
        await api.admin("POST", "/settings", {"complexity_budget": 5})
        throttled = await api.gql(doc, headers=keyed("free"))
        assert throttled.status == 429
        await api.admin("POST", "/settings", {"complexity_budget": 10_000_000})
        await api.admin("POST", "/faults", {"script": [{"at": 1, "kind": "status", "status": 503}]})
        edge = await api.gql(doc, headers=keyed("free"))
        assert edge.status == 503
        ran = await api.gql(doc, headers=keyed("free"))
        assert ran.status == 200 and "Idempotency-Replayed" not in ran.headers
        assert await api.items() == ["holder", "later"]


async def test_a_response_lost_after_the_run_is_kept() -> None:
    async with serve(ManualClock(), mutation_ms_mean=0, **FIXED) as api:
        await api.admin("POST", "/faults", {"script": [{"at": 1, "kind": "drop_after_apply"}]})
        doc = create_items_document(["lost"])
        with pytest.raises(aiohttp.ServerDisconnectedError):
            await api.gql(doc, headers=keyed("drop"))
        again = await api.gql(doc, headers=keyed("drop"))
        assert again.status == 200
        assert again.headers["Idempotency-Replayed"] == "true"
        (item_id,) = [v["id"] for v in again.data.values()]
        assert await api.items() == ["lost"]
        assert any(i.id == item_id for i in api.state.store.items.values())


async def test_a_client_that_left_gets_the_kept_response_on_retry() -> None:
    clock = ManualClock(autojump=False)
    async with serve(clock, mutation_ms_mean=5_000, **FIXED) as api:
        doc = create_items_document(["went", "away"])
        with pytest.raises(asyncio.TimeoutError):
            await api.gql(doc, headers=keyed("gone"), timeout=0.3)
        clock.advance(10)
        await until(lambda: len(api.state.running) == 0)
        again = await api.gql(doc, headers=keyed("gone"))
        assert again.headers["Idempotency-Replayed"] == "true"
        assert sorted(again.data) == ["a0", "a1"]
        assert await api.items() == ["went", "away"]


async def test_the_key_is_per_token() -> None:
    async with serve(ManualClock(), mutation_ms_mean=0, **FIXED) as api:
        doc = create_items_document(["mine"])
        await api.gql(doc, headers=keyed("k"))
        state = api.state
        state.settings.token = "another-token"  # the next requests come from another token
        other = Api(api.server, api.session)
        other.token = "another-token"
        theirs = await other.gql(doc, headers=keyed("k"))
        assert theirs.status == 200 and "Idempotency-Replayed" not in theirs.headers
        assert await api.items() == ["mine", "mine"]
