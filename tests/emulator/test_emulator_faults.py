"""Fault injection: scripted and seeded random faults of every kind."""

from __future__ import annotations

import asyncio
import time

import aiohttp
import pytest
from emu_helpers import SMALL_BOARD_ID, Api

CREATE = "mutation($b: ID!, $n: String!) { create_item(board_id: $b, item_name: $n) { id } }"


async def _names(api: Api) -> list[str]:
    _, dump = await api.admin("GET", f"/boards/{SMALL_BOARD_ID}")
    return [i["name"] for i in dump["items"]]


async def test_scripted_status_faults(api: Api) -> None:
    status, _ = await api.admin(
        "POST",
        "/faults",
        {
            "script": [
                {"at": 2, "kind": "status", "status": 502},
                {"at": 3, "kind": "status", "status": 500},
            ]
        },
    )
    assert status == 200
    first = await api.gql("{ me { id } }")
    second = await api.gql("{ me { id } }")
    third = await api.gql("{ me { id } }")
    fourth = await api.gql("{ me { id } }")
    assert first.status == 200 and fourth.status == 200
    assert second.status == 502
    assert "Bad Gateway" in second.body["_text"]
    assert third.status == 500
    assert third.body["errors"][0]["extensions"]["code"] == "INTERNAL_SERVER_ERROR"
    _, stats = await api.admin("GET", "/stats")
    assert stats["faults_injected"] == {"status": 2}


async def test_status_fault_applies_nothing(api: Api) -> None:
    await api.admin("POST", "/faults", {"script": [{"at": 1, "kind": "status", "status": 503}]})
    reply = await api.gql(CREATE, {"b": SMALL_BOARD_ID, "n": "lost"})
    assert reply.status == 503
    assert await _names(api) == []


async def test_scripted_drop_after_apply(api: Api) -> None:
    await api.admin("POST", "/faults", {"script": [{"at": 3, "kind": "drop_after_apply"}]})
    await api.gql(CREATE, {"b": SMALL_BOARD_ID, "n": "one"})
    await api.gql(CREATE, {"b": SMALL_BOARD_ID, "n": "two"})
    with pytest.raises(aiohttp.ServerDisconnectedError):
        await api.gql(CREATE, {"b": SMALL_BOARD_ID, "n": "three"})
    # the client saw a disconnect, but the write is there
    assert await _names(api) == ["one", "two", "three"]
    retry = await api.gql(CREATE, {"b": SMALL_BOARD_ID, "n": "four"})
    assert retry.status == 200
    _, stats = await api.admin("GET", "/stats")
    assert stats["faults_injected"] == {"drop_after_apply": 1}
    assert stats["mutations_applied"]["create_item"] == 4


async def test_drop_before_apply(api: Api) -> None:
    await api.admin("POST", "/faults", {"script": [{"at": 1, "kind": "drop_before_apply"}]})
    with pytest.raises(aiohttp.ServerDisconnectedError):
        await api.gql(CREATE, {"b": SMALL_BOARD_ID, "n": "never"})
    assert await _names(api) == []


async def test_hang_past_client_timeout(api: Api) -> None:
    await api.admin("POST", "/faults", {"script": [{"at": 1, "kind": "hang", "seconds": 0.6}]})
    started = time.monotonic()
    with pytest.raises(asyncio.TimeoutError):
        await api.gql(CREATE, {"b": SMALL_BOARD_ID, "n": "hung"}, timeout=0.2)
    assert time.monotonic() - started < 0.55
    assert await _names(api) == []


async def test_hang_then_drop(api: Api) -> None:
    await api.admin("POST", "/faults", {"script": [{"at": 1, "kind": "hang", "seconds": 0.3}]})
    started = time.monotonic()
    with pytest.raises(aiohttp.ServerDisconnectedError):
        await api.gql("{ me { id } }", timeout=5)
    assert time.monotonic() - started >= 0.29


async def test_fixed_and_random_latency(api: Api) -> None:
    await api.admin("POST", "/faults", {"latency_ms": 150})
    started = time.monotonic()
    assert (await api.gql("{ me { id } }")).status == 200
    assert time.monotonic() - started >= 0.15
    await api.admin("POST", "/faults", {"latency_ms": 20, "latency_max_ms": 60, "seed": 3})
    started = time.monotonic()
    for _ in range(3):
        assert (await api.gql("{ me { id } }")).status == 200
    assert time.monotonic() - started >= 0.06


async def test_scripted_rate_limit(api: Api) -> None:
    await api.admin(
        "POST",
        "/faults",
        {
            "script": [
                {
                    "at": 1,
                    "kind": "rate_limit",
                    "code": "RATE_LIMIT_EXCEEDED",
                    "retry_in_seconds": 7,
                }
            ]
        },
    )
    reply = await api.gql(CREATE, {"b": SMALL_BOARD_ID, "n": "x"})
    assert reply.status == 429
    assert reply.headers["Retry-After"] == "7"
    assert reply.body["errors"][0]["extensions"] == {
        "code": "RATE_LIMIT_EXCEEDED",
        "status_code": 429,
        "retry_in_seconds": 7,
        "error_data": {},
    }
    assert await _names(api) == []


async def test_seeded_random_faults_repeat(api: Api) -> None:
    async def run() -> list[int]:
        await api.admin(
            "POST", "/faults", {"error_rate": 0.5, "error_statuses": [500, 503], "seed": 42}
        )
        return [(await api.gql("{ me { id } }")).status for _ in range(20)]

    first, second = await run(), await run()
    assert first == second
    assert 200 in first and {500, 503} & set(first)


async def test_random_drop_after_apply(api: Api) -> None:
    await api.admin("POST", "/faults", {"drop_after_apply_rate": 1.0, "seed": 1})
    for n in range(3):
        with pytest.raises(aiohttp.ServerDisconnectedError):
            await api.gql(CREATE, {"b": SMALL_BOARD_ID, "n": f"d{n}"})
    status, _ = await api.admin("DELETE", "/faults")
    assert status == 200
    assert await _names(api) == ["d0", "d1", "d2"]


async def test_bad_fault_settings_rejected(api: Api) -> None:
    status, body = await api.admin("POST", "/faults", {"script": [{"at": 1, "kind": "explode"}]})
    assert status == 400
    status, body = await api.admin("POST", "/faults", {"error_rate": 2})
    assert status == 400
