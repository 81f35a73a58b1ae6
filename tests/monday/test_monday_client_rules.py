"""The client follows monday's documented rules, over real HTTP against a scripted
server: Idempotency-Key retries and replays, 409/423 waits, the 60-second limit (504),
every documented throttle, and budget accounting from the RateLimit headers."""

from __future__ import annotations

import json
import random
from typing import Any

import pytest

from sync_order_list.config.models import BatchSettings, RateSettings
from sync_order_list.errors import (
    MondayApiError,
    MondayCallTimeoutError,
    MondayRateLimitError,
    MondayTransportError,
)
from sync_order_list.monday import documents
from sync_order_list.monday.client import MondayClient, RequestRecord
from sync_order_list.monday.schema import fetch_board_schema

from .support import JumpClock, Reply, ScriptedServer

TOKEN = "tok-RULES-0a1b2c3d4e5f"
KEY = "sol-run7-doc3-attempt-independent"
CREATE = documents.compose(
    [
        ("create_item", {"board_id": "1", "item_name": "A"}),
        ("create_item", {"board_id": "1", "item_name": "B"}),
    ]
)
BATCH = BatchSettings(
    timeout_seconds=0.5,
    max_retries=3,
    backoff_base_seconds=0.5,
    backoff_max_seconds=4,
    concurrency=2,
    max_lock_wait_seconds=30,
)
RATE = RateSettings(complexity_budget=1_000_000, budget_share=1.0)


def client_for(
    url: str,
    *,
    records: list[RequestRecord] | None = None,
    clock: JumpClock | None = None,
    batch: BatchSettings = BATCH,
    rate: RateSettings = RATE,
) -> MondayClient:
    return MondayClient(
        url,
        TOKEN,
        "2025-04",
        batch=batch,
        rate=rate,
        on_request=records.append if records is not None else None,
        clock=clock or JumpClock(),
        rng=random.Random(3),
    )


def created(*, after: int = 990_000, query: int = 20_004, **kw: Any) -> Reply:
    return Reply.ok(
        {f"op{i}": {"id": str(100 + i), "name": "x"} for i in range(2)},
        complexity={
            "before": after + query,
            "after": after,
            "query": query,
            "reset_in_x_seconds": 60,
        },
        **kw,
    )


def error_reply(
    status: int, code: str, *, headers: dict[str, str] | None = None, **ext: Any
) -> Reply:
    return Reply(
        status=status,
        headers=headers or {},
        body={
            "errors": [
                {"message": code.replace("_", " ").lower(), "extensions": {"code": code, **ext}}
            ]
        },
    )


REPLAYED = {"Idempotency-Replayed": "true"}


# -- Idempotency-Key ---------------------------------------------------------------------


async def test_the_key_is_sent_and_a_clean_answer_is_not_a_replay() -> None:
    async with (
        ScriptedServer(created(headers={"X-Request-Id": "rid-7"})) as server,
        client_for(server.url) as client,
    ):
        response = await client.execute(CREATE, idempotent=False, idempotency_key=KEY)
    (request,) = server.received
    assert request.headers["idempotency-key"] == KEY
    assert response.replayed is False and response.complexity is not None
    assert response.headers["x-request-id"] == "rid-7"  # headers kept, names lower-cased


async def test_no_key_no_header() -> None:
    async with ScriptedServer(created()) as server, client_for(server.url) as client:
        await client.execute(CREATE, idempotent=False)
    assert "idempotency-key" not in server.received[0].headers


@pytest.mark.parametrize("lost", ["drop", "hang", "500", "502", "503", "non-json"])
async def test_unknown_outcome_with_a_key_is_resent_identically(lost: str) -> None:
    """Without a key these raise "unknown outcome" for a create; with one, the same
    bytes and the same key go again and monday's replay answers."""
    first = {
        "drop": Reply(kind="drop"),
        "hang": Reply(kind="hang"),
        "500": Reply(status=500, body={"errors": [{"message": "Internal server error"}]}),
        "502": Reply(status=502, body=b"<html>bad gateway</html>"),
        "503": Reply(status=503, body=b"<html>unavailable</html>"),
        "non-json": Reply(status=200, body=b"<html>oops</html>"),
    }[lost]
    clock = JumpClock()
    records: list[RequestRecord] = []
    async with (
        ScriptedServer(first, created(headers=REPLAYED)) as server,
        client_for(server.url, clock=clock, records=records) as client,
    ):
        response = await client.execute(CREATE, idempotent=False, idempotency_key=KEY)
    assert len(server.received) == 2
    a, b = server.received
    assert a.body == b.body  # byte-identical
    assert a.headers["idempotency-key"] == b.headers["idempotency-key"] == KEY
    assert response.replayed and response.attempts == 2 and response.ok("op1")
    assert response.complexity is None  # the kept block is stale
    assert client.stats.replays == 1 and client.stats.retries == 1
    assert len(clock.sleeps) == 1  # the usual jittered backoff
    assert [r.outcome for r in records] == ["retry", "ok"] and records[1].replayed
    assert records[1].complexity is None


async def test_a_key_does_not_outlast_max_retries() -> None:
    batch = BATCH.model_copy(update={"max_retries": 2})
    async with (
        ScriptedServer(Reply(kind="drop")) as server,
        client_for(server.url, batch=batch) as client,
    ):
        with pytest.raises(MondayTransportError) as info:
            await client.execute(CREATE, idempotent=False, idempotency_key=KEY)
    assert len(server.received) == 3 and info.value.sent is True
    assert "after 3 attempts" in str(info.value)


async def test_a_replayed_error_is_final() -> None:
    """The first attempt's 500 was kept by monday: resending only replays it."""
    kept_500 = {"errors": [{"message": "Internal server error", "extensions": {"code": "x"}}]}
    records: list[RequestRecord] = []
    async with (
        ScriptedServer(
            Reply(status=500, body=kept_500),
            Reply(status=500, body=kept_500, headers=REPLAYED),
            created(),
        ) as server,
        client_for(server.url, records=records) as client,
    ):
        with pytest.raises(MondayTransportError) as info:
            await client.execute(CREATE, idempotent=False, idempotency_key=KEY)
    assert len(server.received) == 2  # not the 3 max_retries would allow
    assert info.value.sent is True and info.value.status == 500
    assert "replayed" in str(info.value) and "look the rows up" in str(info.value)
    assert [r.outcome for r in records] == ["retry", "error"]


async def test_a_replayed_per_alias_error_comes_back_as_data() -> None:
    partial = Reply(
        headers=REPLAYED,
        body={
            "data": {"op0": {"id": "1"}, "op1": None, "complexity": {"before": 9, "after": 8,
                     "query": 1, "reset_in_x_seconds": 3}},
            "errors": [{"message": "bad label", "path": ["op1"],
                        "extensions": {"code": "ColumnValueException"}}],
        },
    )  # fmt: skip
    async with ScriptedServer(partial) as server, client_for(server.url) as client:
        response = await client.execute(CREATE, idempotent=False, idempotency_key=KEY)
    assert response.replayed and response.ok("op0") and not response.ok("op1")
    assert client.stats.complexity_charged == 0  # a replay is charged nothing


# -- 409 / 423 ---------------------------------------------------------------------------


async def test_409_waits_retry_after_and_resends_without_counting_a_failure() -> None:
    clock = JumpClock()
    batch = BATCH.model_copy(update={"max_retries": 0})
    conflict = error_reply(
        409, "IDEMPOTENCY_CONFLICT", headers={"Retry-After": "3"}, status_code=409
    )
    records: list[RequestRecord] = []
    async with (
        ScriptedServer(conflict, created(headers=REPLAYED)) as server,
        client_for(server.url, clock=clock, batch=batch, records=records) as client,
    ):
        response = await client.execute(CREATE, idempotent=False, idempotency_key=KEY)
    assert response.replayed and response.attempts == 2
    assert server.received[0].body == server.received[1].body
    assert clock.sleeps == [3.0]
    stats = client.stats
    assert stats.lock_waits == 1 and stats.conflicts == 1
    assert stats.lock_wait_seconds == pytest.approx(3.0, abs=0.05)
    assert stats.transport_errors == 0 and stats.backoff_wait_seconds == 0
    assert [r.outcome for r in records] == ["locked", "ok"]


async def test_423_without_retry_after_waits_one_second() -> None:
    clock = JumpClock()
    locked = error_reply(423, "RESOURCE_LOCKED", status_code=423)
    async with (
        ScriptedServer(locked, locked, created()) as server,
        client_for(server.url, clock=clock) as client,
    ):
        response = await client.execute(CREATE, idempotent=False)  # no key: 423 ran nothing
    assert response.attempts == 3 and not response.replayed
    assert clock.sleeps == [1.0, 1.0]
    assert client.stats.lock_waits == 2 and client.stats.conflicts == 0


async def test_lock_waits_are_bounded() -> None:
    clock = JumpClock()
    locked = error_reply(423, "RESOURCE_LOCKED", headers={"Retry-After": "4"}, status_code=423)
    batch = BATCH.model_copy(update={"max_lock_wait_seconds": 10})
    async with (
        ScriptedServer(locked) as server,
        client_for(server.url, clock=clock, batch=batch) as client,
    ):
        with pytest.raises(MondayApiError) as info:
            await client.execute(CREATE, idempotent=False)
    assert info.value.code == "RESOURCE_LOCKED"
    assert "batch.max_lock_wait_seconds" in str(info.value)
    assert clock.sleeps == [4.0, 4.0]  # a third wait would pass 10 s
    assert len(server.received) == 3


async def test_a_409_that_never_clears_is_an_unknown_outcome() -> None:
    conflict = error_reply(409, "IDEMPOTENCY_CONFLICT", headers={"Retry-After": "20"})
    async with ScriptedServer(conflict) as server, client_for(server.url) as client:
        with pytest.raises(MondayTransportError) as info:
            await client.execute(CREATE, idempotent=False, idempotency_key=KEY)
    assert info.value.sent is True and info.value.status == 409
    assert "still running" in str(info.value)
    assert len(server.received) == 2  # 20 s waited, a second 20 s would pass 30 s


# -- the 60-second limit -----------------------------------------------------------------


@pytest.mark.parametrize(
    "reply",
    [
        Reply(status=504, body=b"<html><body><h1>504 Gateway Time-out</h1></body></html>"),
        error_reply(504, "REQUEST_TIMEOUT", status_code=504),
    ],
    ids=["html", "json"],
)
@pytest.mark.parametrize("key", [None, KEY])
async def test_504_raises_a_call_timeout_at_once(reply: Reply, key: str | None) -> None:
    records: list[RequestRecord] = []
    async with (
        ScriptedServer(reply, created()) as server,
        client_for(server.url, records=records) as client,
    ):
        with pytest.raises(MondayCallTimeoutError) as info:
            # even a read, even with a key: the document may be partly applied
            await client.execute(CREATE, idempotent=True, idempotency_key=key)
    assert isinstance(info.value, MondayTransportError)
    assert info.value.sent is True and info.value.status == 504
    assert "60-second limit" in str(info.value)
    assert len(server.received) == 1
    assert client.stats.call_timeouts == 1
    assert records[-1].outcome == "unknown"


def test_the_default_timeout_outlasts_monday_s_60_seconds() -> None:
    assert BatchSettings().timeout_seconds > 60


# -- throttles ---------------------------------------------------------------------------


def _throttle(
    status: int, code: str | None, headers: dict[str, str] | None = None, **ext: Any
) -> Reply:
    extensions = {"code": code, **ext} if code else dict(ext)
    return Reply(
        status=status,
        headers=headers or {},
        body={"data": None, "errors": [{"message": "throttled", "extensions": extensions}]},
    )


@pytest.mark.parametrize(
    ("reply", "wait"),
    [
        (_throttle(429, "COMPLEXITY_BUDGET_EXHAUSTED", retry_in_seconds=6, status_code=429), 6),
        (_throttle(429, "RATE_LIMIT_EXCEEDED", {"Retry-After": "9"}), 9),
        (_throttle(429, "maxConcurrencyExceeded", retry_in_seconds=2), 2),
        (_throttle(429, "IP_RATE_LIMIT_EXCEEDED", retry_in_seconds=5), 5),
        (_throttle(429, "FIELD_LIMIT_EXCEEDED", error_data={"retry_in_seconds": 11}), 11),
        (_throttle(429, "FIELD_MINUTE_RATE_LIMIT_EXCEEDED", retry_in_seconds=13), 13),
        (_throttle(200, "SOMETHING_NEW", status_code=429, retry_in_seconds=4), 4),
        (_throttle(429, "RATE_LIMIT_EXCEEDED", retryAfterMs=2500), 2.5),
        (_throttle(429, None), 1),
        (_throttle(200, "ComplexityException"), 1),  # old code, no wait given
    ],
    ids=[
        "complexity",
        "minute-header",
        "concurrency",
        "ip",
        "field-error-data",
        "field-minute",
        "status-code-429",
        "retry-after-ms",
        "bare-429",
        "old-complexity",
    ],
)
async def test_every_documented_throttle_pauses_and_retries(reply: Reply, wait: float) -> None:
    clock = JumpClock()
    records: list[RequestRecord] = []
    async with (
        ScriptedServer(reply, created()) as server,
        client_for(server.url, clock=clock, records=records) as client,
    ):
        response = await client.execute(CREATE, idempotent=False)  # not applied: resend
    assert response.attempts == 2 and len(server.received) == 2
    assert clock.sleeps == [pytest.approx(wait, abs=0.05)]
    assert client.stats.rate_limited == 1
    assert records[0].outcome == "rate_limited"


async def test_a_per_alias_throttle_with_data_is_not_retried() -> None:
    partial = Reply(
        body={
            "data": {"op0": {"id": "1"}, "op1": None},
            "errors": [{"message": "slow down", "path": ["op1"],
                        "extensions": {"code": "FIELD_LIMIT_EXCEEDED", "status_code": 429}}],
        }
    )  # fmt: skip
    async with ScriptedServer(partial) as server, client_for(server.url) as client:
        response = await client.execute(CREATE, idempotent=False)
    assert len(server.received) == 1 and response.errors_for("op1")[0].is_rate_limit


@pytest.mark.parametrize("retry_after", [None, "30"])
async def test_the_daily_limit_is_raised_not_waited(retry_after: str | None) -> None:
    headers = {"Retry-After": retry_after} if retry_after else {}
    daily = _throttle(429, "DAILY_LIMIT_EXCEEDED", headers, status_code=429)
    clock = JumpClock()
    async with (
        ScriptedServer(daily, created()) as server,
        client_for(server.url, clock=clock) as client,
    ):
        with pytest.raises(MondayRateLimitError) as info:
            await client.execute(CREATE, idempotent=True)
    assert info.value.code == "DAILY_LIMIT_EXCEEDED"
    assert "midnight UTC" in str(info.value) and "daily call limit" in str(info.value)
    if retry_after:
        assert info.value.retry_in == 30
    else:
        assert 0 < info.value.retry_in <= 86_400  # until the next midnight UTC
    assert len(server.received) == 1 and clock.sleeps == []
    assert client.scheduler.snapshot().paused_until == 0  # others are not held for hours


# -- budget accounting from what monday says ---------------------------------------------


def _rl(remaining: int, reset: int = 40, quota: int = 1_000_000) -> dict[str, str]:
    return {
        "RateLimit-Policy": f'"complexity";q={quota};w=60',
        "RateLimit": f'"complexity";r={remaining};t={reset}',
    }


async def test_a_failure_gives_back_its_reservation_and_its_headers_count() -> None:
    """A 500 (read: retried) is not assumed charged; what its RateLimit header says
    is taken, and so is the next success's report."""
    clock = JumpClock()
    async with (
        ScriptedServer(
            Reply(status=500, body={"errors": [{"message": "x"}]}, headers=_rl(700_000)),
            created(after=640_000, headers=_rl(640_000)),
        ) as server,
        client_for(server.url, clock=clock) as client,
    ):
        await client.execute(CREATE, idempotent=True)
        state = client.scheduler.snapshot()
    assert state.remaining == 640_000 and state.reserved == 0
    assert client.stats.complexity_charged == 20_004  # only what monday charged


async def test_a_429_s_headers_update_the_budget() -> None:
    """The 429 asks for 1 s, but its RateLimit header says the budget is spent for
    20 s: the resend waits for the budget too, instead of meeting a second 429."""
    limited = _throttle(
        429, "COMPLEXITY_BUDGET_EXHAUSTED", _rl(1_000, reset=20), retry_in_seconds=1
    )
    clock = JumpClock()
    async with (
        ScriptedServer(limited, created()) as server,
        client_for(server.url, clock=clock) as client,
    ):
        response = await client.execute(CREATE, idempotent=False)
    assert response.attempts == 2
    assert clock.sleeps[0] == pytest.approx(1, abs=0.05)  # the pause
    assert sum(clock.sleeps) == pytest.approx(20, abs=0.1)  # then the rest of the window
    assert client.stats.budget_wait_seconds == pytest.approx(19, abs=0.1)


async def test_a_replay_s_stale_block_is_ignored_and_its_header_used() -> None:
    stale = created(after=10, query=999_990, headers={**REPLAYED, **_rl(900_000)})
    async with ScriptedServer(stale) as server, client_for(server.url) as client:
        response = await client.execute(CREATE, idempotent=False, idempotency_key=KEY)
        state = client.scheduler.snapshot()
    assert response.replayed and response.complexity is None
    assert state.remaining == 900_000  # the header, not the stale after=10
    assert client.stats.complexity_charged == 0
    assert client.scheduler.costs.per_op("create_item") == 30_001  # nothing learned


async def test_the_budget_header_alone_updates_the_budget() -> None:
    no_block = Reply(body={"data": {"op0": {"id": "1"}, "op1": {"id": "2"}}}, headers=_rl(555_000))
    async with ScriptedServer(no_block) as server, client_for(server.url) as client:
        await client.execute(CREATE, idempotent=False)
        assert client.scheduler.snapshot().remaining == 555_000
    body = json.loads(server.received[0].body)
    assert "complexity {" in body["query"]


# -- Column.settings by API version --------------------------------------------------------


@pytest.mark.parametrize("version", ["2025-04", "2025-07", "2025-10", "2026-10"])
async def test_board_schema_selects_what_the_version_has(version: str) -> None:
    new = version >= "2025-10"
    status = {"labels": [{"id": 1, "label": "Done", "index": 0, "is_deactivated": False}]}
    column = {"id": "s", "title": "S", "type": "status"}
    column |= (
        {"settings": status} if new else {"settings_str": json.dumps({"labels": {"1": "Done"}})}
    )
    board = {"id": "10", "name": "B", "type": "board", "columns": [column], "groups": []}
    async with (
        ScriptedServer(Reply.ok({"boards": [board]})) as server,
        MondayClient(
            server.url, TOKEN, version, batch=BATCH, rate=RATE, clock=JumpClock()
        ) as client,
    ):
        schema = await fetch_board_schema(client, "10")
    request = server.received[0]
    assert request.headers["api-version"] == version
    query = request.json()["query"]
    assert ("settings_str" in query) is not new
    assert ("board_schema_settings" in query) is new
    assert schema.items.column("s").label_id("Done") == 1
