"""Rate limits: 429 shapes and Retry-After, the complexity block, the per-query cap,
window resets (with the manual clock), minute, concurrency, IP and daily limits."""

from __future__ import annotations

import asyncio

from emu_helpers import SMALL_BOARD_ID, Api

CREATE = 'mutation($b: ID!) { create_item(board_id: $b, item_name: "x") { id } }'


async def _items(api: Api) -> int:
    _, dump = await api.admin("GET", f"/boards/{SMALL_BOARD_ID}")
    return len(dump["items"])


def _assert_429(reply, code: str, message: str) -> int:
    assert reply.status == 429
    (error,) = reply.body["errors"]
    assert error["message"] == message
    assert error["extensions"]["code"] == code
    retry = error["extensions"]["retry_in_seconds"]
    assert isinstance(retry, int) and retry >= 1
    assert reply.headers["Retry-After"] == str(retry)
    assert reply.body["extensions"]["request_id"]
    return retry


async def test_complexity_budget_exhausted(api: Api) -> None:
    await api.admin("POST", "/settings", {"complexity_budget": 25_000})
    first = await api.gql(CREATE + "", {"b": SMALL_BOARD_ID})
    assert first.status == 200
    second = await api.gql(CREATE, {"b": SMALL_BOARD_ID})
    assert second.status == 200
    api.clock.advance(15)
    third = await api.gql(CREATE, {"b": SMALL_BOARD_ID})
    retry = _assert_429(third, "COMPLEXITY_BUDGET_EXHAUSTED", "Complexity budget exhausted")
    assert retry == 45  # the window began with the first call, 15 s ago
    assert await _items(api) == 2
    api.clock.advance(45)
    fourth = await api.gql(
        'mutation($b: ID!) { create_item(board_id: $b, item_name: "y") { id } complexity { before after query reset_in_x_seconds } }',
        {"b": SMALL_BOARD_ID},
    )
    assert fourth.status == 200
    block = fourth.data["complexity"]
    assert block["before"] == 25_000
    assert block["after"] == 25_000 - block["query"]
    assert block["reset_in_x_seconds"] == 60


async def test_document_over_remaining_budget_rejected_whole(api: Api) -> None:
    await api.admin("POST", "/settings", {"complexity_budget": 25_000})
    reply = await api.gql(
        """mutation($b: ID!) {
          a: create_item(board_id: $b, item_name: "a") { id }
          b: create_item(board_id: $b, item_name: "b") { id }
          c: create_item(board_id: $b, item_name: "c") { id }
        }""",
        {"b": SMALL_BOARD_ID},
    )
    _assert_429(reply, "COMPLEXITY_BUDGET_EXHAUSTED", "Complexity budget exhausted")
    assert await _items(api) == 0
    _, stats = await api.admin("GET", "/stats")
    assert stats["rate_limited"] == {"COMPLEXITY_BUDGET_EXHAUSTED": 1}
    assert stats["limits"]["complexity_remaining"] == 25_000


async def test_complexity_of_mutations_is_about_10000_each(api: Api) -> None:
    reply = await api.gql(
        """mutation($b: ID!) {
          a: create_item(board_id: $b, item_name: "a") { id }
          b: create_item(board_id: $b, item_name: "b") { id }
          complexity { query before after }
        }""",
        {"b": SMALL_BOARD_ID},
    )
    block = reply.data["complexity"]
    assert block["query"] == 2 * 10_000 + 2  # two mutations and their `id`
    assert block["after"] == block["before"] - block["query"]


async def test_read_cost_grows_with_page_size(api: Api) -> None:
    async def cost(limit: int) -> int:
        reply = await api.gql(
            f"query($b: [ID!]) {{ complexity {{ query }} boards(ids: $b) {{ items_page(limit: {limit}) {{ items {{ id name column_values {{ id text }} }} }} }} }}",
            {"b": [SMALL_BOARD_ID]},
        )
        return reply.data["complexity"]["query"]

    small, big = await cost(10), await cost(100)
    assert big > 9 * small


async def test_per_query_cap(api: Api) -> None:
    await api.admin("POST", "/settings", {"max_complexity_per_query": 15_000})
    reply = await api.gql(
        """mutation($b: ID!) { a: create_item(board_id: $b, item_name: "a") { id } b: create_item(board_id: $b, item_name: "b") { id } }""",
        {"b": SMALL_BOARD_ID},
    )
    assert reply.status == 200
    (error,) = reply.errors
    assert (
        error["message"] == "Query has complexity of 20002, which exceeds max complexity of 15000"
    )
    assert error["extensions"]["complexity"] == 20002
    assert error["extensions"]["maxComplexity"] == 15000
    assert "data" not in reply.body
    assert await _items(api) == 0
    _, stats = await api.admin("GET", "/stats")
    assert stats["limits"]["complexity_remaining"] == api.server.settings.complexity_budget


async def test_minute_rate_limit(api: Api) -> None:
    await api.admin("POST", "/settings", {"requests_per_minute": 3})
    for _ in range(3):
        assert (await api.gql("{ me { id } }")).status == 200
    api.clock.advance(10)
    reply = await api.gql("{ me { id } }")
    assert _assert_429(reply, "RATE_LIMIT_EXCEEDED", "Rate limit exceeded") == 50
    api.clock.advance(50)
    assert (await api.gql("{ me { id } }")).status == 200


async def test_ip_rate_limit(api: Api) -> None:
    await api.admin("POST", "/settings", {"ip_requests_per_10s": 2})
    for _ in range(2):
        assert (await api.gql("{ me { id } }")).status == 200
    _assert_429(await api.gql("{ me { id } }"), "IP_RATE_LIMIT_EXCEEDED", "IP rate limit exceeded")
    api.clock.advance(10)
    assert (await api.gql("{ me { id } }")).status == 200


async def test_daily_limit(api: Api) -> None:
    await api.admin("POST", "/settings", {"daily_limit": 2})
    for _ in range(2):
        assert (await api.gql("{ me { id } }")).status == 200
    _assert_429(await api.gql("{ me { id } }"), "DAILY_LIMIT_EXCEEDED", "Daily limit exceeded")
    api.clock.advance(86_400)
    assert (await api.gql("{ me { id } }")).status == 200


async def test_concurrency_limit(api: Api) -> None:
    await api.admin("POST", "/settings", {"max_concurrency": 1})
    await api.admin("POST", "/faults", {"script": [{"at": 1, "kind": "latency", "ms": 400}]})
    slow = asyncio.create_task(api.gql("{ me { id } }"))
    for _ in range(200):
        if api.state.limiter.in_flight == 1:
            break
        await asyncio.sleep(0.005)
    assert api.state.limiter.in_flight == 1
    reply = await api.gql("{ me { id } }")
    _assert_429(reply, "maxConcurrencyExceeded", "Concurrency limit exceeded")
    assert (await asyncio.wait_for(slow, 5)).status == 200
    assert (await api.gql("{ me { id } }")).status == 200


async def test_reset_in_counts_down_with_the_clock(api: Api) -> None:
    await api.gql("{ me { id } }")
    api.clock.advance(21)
    reply = await api.gql("{ complexity { reset_in_x_seconds } }")
    assert reply.data["complexity"]["reset_in_x_seconds"] == 39
    assert reply.headers["RateLimit"].endswith(";t=39")
