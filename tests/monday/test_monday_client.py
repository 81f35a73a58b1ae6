"""The client over real HTTP (127.0.0.1) against a scripted server: retries, backoff,
429 waits, no resend of a create that may have been applied, auth, redaction."""

from __future__ import annotations

import json
import logging
import random
from typing import Any

import pytest

from sync_order_list.config.models import BatchSettings, RateSettings
from sync_order_list.errors import (
    MondayApiError,
    MondayAuthError,
    MondayQueryTooComplexError,
    MondayRateLimitError,
    MondayTransportError,
)
from sync_order_list.monday import documents
from sync_order_list.monday.client import MondayClient, RequestRecord
from sync_order_list.monday.schema import fetch_board_schema, fetch_groups
from sync_order_list.monday.transport import AiohttpTransport, HttpRequest, HttpResponse

from .support import JumpClock, Reply, ScriptedServer, closed_port

TOKEN = "tok-SECRET-9f8e7d6c5b4a"
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
)


def client_for(
    url: str,
    *,
    records: list[RequestRecord] | None = None,
    clock: JumpClock | None = None,
    **kw: Any,
) -> MondayClient:
    return MondayClient(
        url,
        TOKEN,
        "2025-04",
        batch=kw.pop("batch", BATCH),
        rate=kw.pop("rate", RateSettings()),
        on_request=records.append if records is not None else None,
        clock=clock or JumpClock(),
        rng=random.Random(7),
        **kw,
    )


def created(n: int = 2) -> Reply:
    return Reply.ok({f"op{i}": {"id": str(100 + i), "name": "x"} for i in range(n)})


async def test_success_headers_payload_and_response() -> None:
    records: list[RequestRecord] = []
    async with (
        ScriptedServer(created()) as server,
        client_for(server.url, records=records) as client,
    ):
        response = await client.execute(CREATE, idempotent=False)
    assert response.ok("op0") and response.result("op1") == {"id": "101", "name": "x"}
    assert response.complexity is not None and response.complexity.query == 10_000
    assert response.request_id == "req-1"
    assert response.http_status == 200 and response.attempts == 1
    assert response.operation == "create_item×2"
    (request,) = server.received
    assert request.method == "POST" and request.path == "/v2"
    assert request.headers["authorization"] == TOKEN  # no "Bearer"
    assert request.headers["api-version"] == "2025-04"
    body = request.json()
    assert body["variables"] == CREATE.variables  # an object, not a JSON string
    assert "complexity {" in body["query"]
    (record,) = records
    assert record.outcome == "ok" and record.status == 200 and record.request_id == "req-1"
    assert record.request["variables"]["op0_item_name"] == "A"
    assert record.complexity == response.complexity
    assert client.stats.requests == 1 and client.stats.complexity_charged == 10_000


async def test_plain_query_text_gets_the_complexity_block() -> None:
    async with (
        ScriptedServer(Reply.ok({"me": {"id": "1"}})) as server,
        client_for(server.url) as client,
    ):
        response = await client.execute("query { me { id } }", idempotent=True, operation="me")
    assert "reset_in_x_seconds" in server.received[0].json()["query"]
    assert response.operation == "me"


async def test_5xx_is_retried_with_jittered_backoff_when_idempotent() -> None:
    clock = JumpClock()
    records: list[RequestRecord] = []
    async with (
        ScriptedServer(
            Reply(status=500, body={"error": "x"}),
            Reply(status=502, body=b"bad gateway"),
            created(),
        ) as server,
        client_for(server.url, clock=clock, records=records) as client,
    ):
        response = await client.execute(CREATE, idempotent=True)
    assert response.attempts == 3 and len(server.received) == 3
    assert [r.outcome for r in records] == ["retry", "retry", "ok"]
    assert records[1].response == "bad gateway"  # non-JSON body kept as an excerpt
    # full jitter: the n-th backoff is uniform in [0, min(max, base * 2^(n-1))]
    assert len(clock.sleeps) == 2
    assert 0 <= clock.sleeps[0] <= 0.5 and 0 <= clock.sleeps[1] <= 1.0
    assert client.stats.retries == 2 and client.stats.transport_errors == 2


async def test_backoff_is_capped_and_retries_are_bounded() -> None:
    clock = JumpClock()
    batch = BatchSettings(
        timeout_seconds=0.5, max_retries=6, backoff_base_seconds=1, backoff_max_seconds=2
    )
    async with (
        ScriptedServer(Reply(status=503, body={})) as server,
        client_for(server.url, clock=clock, batch=batch) as client,
    ):
        with pytest.raises(MondayTransportError) as info:
            await client.execute(CREATE, idempotent=True)
    assert len(server.received) == 7
    assert info.value.status == 503 and info.value.sent
    assert max(clock.sleeps) <= 2


async def test_5xx_on_a_create_is_not_resent() -> None:
    records: list[RequestRecord] = []
    async with (
        ScriptedServer(Reply(status=500, body={}), created()) as server,
        client_for(server.url, records=records) as client,
    ):
        with pytest.raises(MondayTransportError) as info:
            await client.execute(CREATE, idempotent=False)
    assert info.value.sent is True and info.value.status == 500
    assert "look the rows up" in str(info.value)
    assert len(server.received) == 1
    assert records[-1].outcome == "unknown"


@pytest.mark.parametrize("kind", ["drop", "hang"])
async def test_lost_response_on_a_create_is_not_resent(kind: str) -> None:
    async with (
        ScriptedServer(Reply(kind=kind), created()) as server,
        client_for(server.url) as client,
    ):
        with pytest.raises(MondayTransportError) as info:
            await client.execute(CREATE, idempotent=False)
    assert info.value.sent is True
    assert len(server.received) == 1


@pytest.mark.parametrize("kind", ["drop", "hang"])
async def test_lost_response_is_retried_when_idempotent(kind: str) -> None:
    async with (
        ScriptedServer(Reply(kind=kind), created()) as server,
        client_for(server.url) as client,
    ):
        response = await client.execute(CREATE, idempotent=True)
    assert response.attempts == 2 and len(server.received) == 2


async def test_timeout_is_per_request() -> None:
    batch = BatchSettings(timeout_seconds=0.2, max_retries=0)
    async with (
        ScriptedServer(Reply(kind="hang")) as server,
        client_for(server.url, batch=batch) as client,
    ):
        with pytest.raises(MondayTransportError, match="no response within 0.2 s"):
            await client.execute(CREATE, idempotent=True)


async def test_connection_refused_is_retried_even_for_a_create() -> None:
    records: list[RequestRecord] = []
    url = f"http://127.0.0.1:{closed_port()}/v2"
    async with client_for(url, records=records) as client:
        with pytest.raises(MondayTransportError) as info:
            await client.execute(CREATE, idempotent=False)
    assert info.value.sent is False
    assert len(records) == BATCH.max_retries + 1
    assert all(r.outcome in ("retry", "error") for r in records)


class RefuseFirst:
    """A transport plugged into the client: the first attempt goes to a closed port
    (refused: nothing sent), the next ones to the real server."""

    def __init__(self) -> None:
        self.inner = AiohttpTransport()
        self.calls = 0

    async def send(self, request: HttpRequest) -> HttpResponse:
        self.calls += 1
        if self.calls == 1:
            request = HttpRequest(
                f"http://127.0.0.1:{closed_port()}/v2",
                request.body,
                request.headers,
                request.timeout,
            )
        return await self.inner.send(request)

    async def aclose(self) -> None:
        await self.inner.aclose()


async def test_refused_then_served_create_is_sent_once() -> None:
    transport = RefuseFirst()
    async with ScriptedServer(created()) as server:
        client = client_for(server.url, transport=transport)
        response = await client.execute(CREATE, idempotent=False)
        await transport.aclose()
    assert response.attempts == 2 and transport.calls == 2
    assert len(server.received) == 1  # the server saw the create exactly once


async def test_429_waits_exactly_retry_after_then_resends_a_create() -> None:
    clock = JumpClock()
    limited = Reply(
        status=429,
        headers={"Retry-After": "7"},
        body={
            "errors": [
                {
                    "message": "Complexity budget exhausted",
                    "extensions": {"code": "COMPLEXITY_BUDGET_EXHAUSTED", "retry_in_seconds": 7},
                }
            ]
        },
    )
    records: list[RequestRecord] = []
    async with (
        ScriptedServer(limited, created()) as server,
        client_for(server.url, clock=clock, records=records) as client,
    ):
        response = await client.execute(CREATE, idempotent=False)
    assert response.attempts == 2 and len(server.received) == 2
    assert clock.sleeps == [pytest.approx(7, abs=0.05)]
    assert client.stats.rate_limited == 1
    assert client.stats.rate_limit_wait_seconds == pytest.approx(7, abs=0.05)
    assert (
        records[0].outcome == "rate_limited" and "COMPLEXITY_BUDGET_EXHAUSTED" in records[0].error
    )


async def test_429_without_header_uses_retry_in_seconds() -> None:
    clock = JumpClock()
    limited = Reply(
        status=429,
        body={
            "errors": [
                {
                    "message": "Rate limit",
                    "extensions": {"code": "RATE_LIMIT_EXCEEDED", "retry_in_seconds": 3},
                }
            ]
        },
    )
    async with (
        ScriptedServer(limited, created()) as server,
        client_for(server.url, clock=clock) as client,
    ):
        await client.execute(CREATE, idempotent=True)
    assert clock.sleeps == [pytest.approx(3, abs=0.05)]


async def test_old_complexity_exception_reset_in_n_seconds() -> None:
    clock = JumpClock()
    old = Reply(
        body={
            "data": None,
            "errors": [
                {
                    "message": "Complexity budget exhausted, query cost 30001 budget remaining 1000 out of 1000000 reset in 12 seconds",
                    "extensions": {"code": "ComplexityException"},
                }
            ],
        }
    )
    async with (
        ScriptedServer(old, created()) as server,
        client_for(server.url, clock=clock) as client,
    ):
        response = await client.execute(CREATE, idempotent=False)
    assert response.attempts == 2
    assert clock.sleeps == [pytest.approx(12, abs=0.05)]


async def test_long_rate_limit_is_raised_not_waited() -> None:
    daily = Reply(
        status=429,
        headers={"Retry-After": "86400"},
        body={
            "errors": [
                {
                    "message": "Daily limit exceeded",
                    "extensions": {"code": "DAILY_LIMIT_EXCEEDED", "retry_in_seconds": 86400},
                }
            ]
        },
    )
    async with ScriptedServer(daily) as server, client_for(server.url) as client:
        with pytest.raises(MondayRateLimitError) as info:
            await client.execute(CREATE, idempotent=True)
    assert info.value.code == "DAILY_LIMIT_EXCEEDED" and info.value.retry_in == 86400
    assert len(server.received) == 1


@pytest.mark.parametrize("status", [401, 403])
async def test_auth_errors_are_not_retried(status: int) -> None:
    refused = Reply(
        status=status,
        body={
            "errors": [
                {"message": "Not Authenticated", "extensions": {"code": "USER_UNAUTHORIZED"}}
            ]
        },
    )
    async with ScriptedServer(refused) as server, client_for(server.url) as client:
        with pytest.raises(MondayAuthError, match=f"HTTP {status}"):
            await client.execute(CREATE, idempotent=True)
    assert len(server.received) == 1


def test_empty_token_is_refused_up_front() -> None:
    with pytest.raises(MondayAuthError):
        MondayClient(None, "  ", "2025-04", batch=BATCH, rate=RateSettings())


async def test_document_level_error_raises() -> None:
    parse_error = Reply(
        body={
            "errors": [
                {
                    "message": 'Parse error on "}"',
                    "locations": [{"line": 1, "column": 9}],
                    "extensions": {"code": "GraphQLParseError"},
                }
            ]
        }
    )
    async with ScriptedServer(parse_error) as server, client_for(server.url) as client:
        with pytest.raises(MondayApiError) as info:
            await client.execute(CREATE, idempotent=True)
    assert info.value.code == "GraphQLParseError"
    assert len(server.received) == 1


async def test_400_is_an_api_error() -> None:
    bad = Reply(
        status=400,
        body={
            "error_message": "Unexpected token",
            "error_code": "JsonParseException",
            "status_code": 400,
        },
    )
    async with ScriptedServer(bad) as server, client_for(server.url) as client:
        with pytest.raises(MondayApiError) as info:
            await client.execute(CREATE, idempotent=False)
    assert info.value.code == "JsonParseException"


async def test_per_alias_errors_are_returned_not_raised() -> None:
    partial = Reply(
        body={
            "data": {
                "op0": {"id": "100", "name": "A"},
                "op1": None,
                "complexity": {"before": 10, "after": 5, "query": 5, "reset_in_x_seconds": 30},
            },
            "errors": [
                {
                    "message": "This status label doesn't exist",
                    "path": ["op1"],
                    "extensions": {
                        "code": "ColumnValueException",
                        "status_code": 200,
                        "error_data": {
                            "column_id": "color_x",
                            "column_validation_error_code": "missingLabel",
                        },
                    },
                }
            ],
        }
    )
    async with ScriptedServer(partial) as server, client_for(server.url) as client:
        response = await client.execute(CREATE, idempotent=False)
    assert response.ok("op0") and not response.ok("op1")
    (error,) = response.errors_for("op1")
    assert error.code == "ColumnValueException" and error.alias == "op1"
    assert error.error_data["column_validation_error_code"] == "missingLabel"
    assert error.status_code == 200
    assert set(response.errors_by_alias) == {"op1"}


async def test_too_complex_is_raised_and_learned() -> None:
    too_big = Reply(
        body={
            "errors": [
                {
                    "message": "Query has complexity of 6000000, which exceeds max complexity of 5000000",
                    "extensions": {
                        "code": "maxComplexityExceeded",
                        "complexity": 6000000,
                        "maxComplexity": 5000000,
                    },
                }
            ]
        }
    )
    async with ScriptedServer(too_big) as server, client_for(server.url) as client:
        with pytest.raises(MondayQueryTooComplexError) as info:
            await client.execute(CREATE, idempotent=False)
        assert info.value.complexity == 6_000_000
        assert client.scheduler.estimate({"create_item": 2}) >= 6_000_000
    assert len(server.received) == 1


async def test_oversized_document_is_refused_before_sending() -> None:
    async with ScriptedServer(created()) as server, client_for(server.url) as client:
        with pytest.raises(MondayQueryTooComplexError):
            await client.execute(CREATE, idempotent=False, estimated_cost=5_000_001)
    assert server.received == []


async def test_fetch_board_schema_discovers_the_subitems_board() -> None:
    items = {
        "id": "10",
        "name": "Orders",
        "type": "board",
        "columns": [
            {
                "id": "subitems",
                "title": "Subitems",
                "type": "subtasks",
                "settings_str": json.dumps({"boardIds": [20]}),
            }
        ],
        "groups": [{"id": "g", "title": "G"}],
    }
    subs = {
        "id": "20",
        "name": "Subitems",
        "type": "sub_items_board",
        "columns": [{"id": "num", "title": "Qty", "type": "numbers", "settings_str": "{}"}],
        "groups": [],
    }
    async with (
        ScriptedServer(
            Reply.ok({"boards": [items]}),
            Reply.ok({"boards": [subs]}),
            Reply.ok({"boards": [{"id": "10", "groups": [{"id": "g", "title": "G"}]}]}),
        ) as server,
        client_for(server.url) as client,
    ):
        schema = await fetch_board_schema(client, "10")
        groups = await fetch_groups(client, "10")
    assert schema.subitems is not None and schema.subitems.id == "20"
    assert schema.subitems.column("num").type == "numbers"
    assert [r.json()["variables"] for r in server.received[:2]] == [
        {"board_ids": ["10"]},
        {"board_ids": ["20"]},
    ]
    assert groups[0].title == "G"


# -- the token never leaks --------------------------------------------------------------


async def test_token_never_appears_anywhere(caplog: pytest.LogCaptureFixture) -> None:
    """A hostile server echoes the token in every error it can; none of it may reach
    an exception, a log line, a repr or the API log."""
    caplog.set_level(logging.DEBUG)
    echo = f"bad token {TOKEN}"
    records: list[RequestRecord] = []
    seen: list[str] = []
    scripts = [
        [Reply(status=401, body={"errors": [{"message": echo}]})],
        [
            Reply(
                body={
                    "errors": [
                        {
                            "message": echo,
                            "extensions": {"code": "X", "error_data": {"token": TOKEN}},
                        }
                    ]
                }
            )
        ],
        [Reply(status=500, body={"message": echo})],
        [
            Reply(
                status=200,
                body={
                    "data": {"op0": None, "complexity": None},
                    "errors": [{"message": echo, "path": ["op0"]}],
                },
            )
        ],
        [
            Reply(
                status=429,
                headers={"Retry-After": "9999"},
                body={
                    "errors": [{"message": echo, "extensions": {"code": "DAILY_LIMIT_EXCEEDED"}}]
                },
            )
        ],
        [Reply(kind="drop")],
    ]
    for script in scripts:
        async with (
            ScriptedServer(*script) as server,
            client_for(server.url, records=records) as client,
        ):
            seen += [repr(client), str(vars(client))]
            try:
                response = await client.execute(CREATE, idempotent=False)
                seen.append(repr(response))
            except Exception as exc:  # noqa: BLE001 - every error path is inspected
                seen += [
                    str(exc),
                    repr(exc),
                    repr(exc.__dict__),
                    repr(exc.__cause__),
                    repr(exc.__context__),
                ]
    seen += [repr(r) for r in records]
    seen.append(caplog.text)
    assert len(records) >= len(scripts)
    leaks = [s for s in seen if TOKEN in s]
    assert not leaks, leaks[0][:300]
    assert any("***" in s for s in seen)  # the echoes were redacted, not dropped


async def test_execute_with_a_reserved_slot() -> None:
    async with (
        ScriptedServer(created(), created()) as server,
        client_for(server.url) as client,
    ):
        slot = await client.reserve("create_item", 2)
        assert slot.ops == 2
        response = await client.execute(CREATE, idempotent=False, slot=slot)
        assert response.ok("op1") and slot.released
        assert client.stats.requests == 1  # the reservation was the request
        small = await client.reserve("create_item", 1)
        await client.execute(CREATE, idempotent=False, slot=small)  # too small: re-queued
        assert small.released and client.stats.requests == 2
        assert client.scheduler.in_flight == 0 and client.scheduler.snapshot().reserved == 0
    assert len(server.received) == 2
