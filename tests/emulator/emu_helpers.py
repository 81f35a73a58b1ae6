"""Helpers for the emulator tests: a small HTTP client for the API and the admin
endpoints, and where the reference files are."""

from __future__ import annotations

import asyncio
import json
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import aiohttp
from multidict import CIMultiDict

from monday_emulator import (
    SMALL_BOARD,
    Clock,
    EmulatorServer,
    EmulatorSettings,
    ManualClock,
    builtin_spec,
)

REPO_ROOT = Path(__file__).resolve().parents[2]
TOKEN = "test-token"
SMALL_BOARD_ID = "3000000001"
SMALL_SUBITEMS_BOARD_ID = "3000000002"
TIMEOUT = aiohttp.ClientTimeout(total=10)


def reference_dir() -> Path:
    from tests.conftest import reference_dir as shared_reference_dir

    return shared_reference_dir()


@dataclass
class Reply:
    status: int
    headers: CIMultiDict[str]
    body: Any

    @property
    def data(self) -> Any:
        return self.body.get("data")

    @property
    def errors(self) -> list[dict[str, Any]]:
        return self.body.get("errors") or []

    def codes(self) -> list[str]:
        return [e.get("extensions", {}).get("code") for e in self.errors]


class Api:
    def __init__(self, server: EmulatorServer, session: aiohttp.ClientSession) -> None:
        self.server = server
        self.session = session
        self.token = server.settings.token

    @property
    def state(self) -> Any:
        return self.server.state

    @property
    def clock(self) -> ManualClock:
        return self.server.state.clock  # type: ignore[return-value]

    async def gql(
        self,
        query: str,
        variables: dict[str, Any] | None = None,
        *,
        headers: dict[str, str | None] | None = None,
        raw: bytes | None = None,
        timeout: float | None = None,
    ) -> Reply:
        sent: dict[str, Any] = {"Authorization": self.token, "API-Version": "2025-04"}
        if headers is not None:
            sent = {k: v for k, v in {**sent, **headers}.items() if v is not None}
        body = (
            raw if raw is not None else json.dumps({"query": query, "variables": variables or {}})
        )
        kwargs: dict[str, Any] = {}
        if timeout is not None:
            kwargs["timeout"] = aiohttp.ClientTimeout(total=timeout)
        async with self.session.post(
            self.server.url,
            data=body,
            headers={**sent, "Content-Type": "application/json"},
            **kwargs,
        ) as resp:
            text = await resp.text()
            try:
                parsed = json.loads(text)
            except json.JSONDecodeError:
                parsed = {"_text": text}
            return Reply(resp.status, CIMultiDict(resp.headers), parsed)

    async def ok(self, query: str, variables: dict[str, Any] | None = None) -> Any:
        reply = await self.gql(query, variables)
        assert reply.status == 200, reply.body
        assert not reply.errors, reply.errors
        return reply.data

    async def admin(self, method: str, path: str, body: Any = None) -> tuple[int, Any]:
        async with self.session.request(
            method, f"{self.server.admin_url}{path}", json=body
        ) as resp:
            return resp.status, await resp.json()

    async def create_item(
        self, name: str = "Item", values: dict[str, Any] | None = None, create_labels: bool = False
    ) -> str:
        args = {"b": SMALL_BOARD_ID, "n": name, "v": json.dumps(values or {}), "c": create_labels}
        data = await self.ok(
            "mutation($b: ID!, $n: String!, $v: JSON, $c: Boolean) {"
            " create_item(board_id: $b, item_name: $n, column_values: $v, create_labels_if_missing: $c) { id } }",
            args,
        )
        return data["create_item"]["id"]

    async def stats(self) -> dict[str, Any]:
        status, body = await self.admin("GET", "/stats")
        assert status == 200, body
        return body

    async def items(self, board_id: str = SMALL_BOARD_ID) -> list[str]:
        """The names of the board's active items, in creation order."""
        status, dump = await self.admin("GET", f"/boards/{board_id}?state=active")
        assert status == 200, dump
        return [item["name"] for item in dump["items"]]


@asynccontextmanager
async def serve(clock: Clock | None = None, **settings: Any) -> AsyncIterator[Api]:
    """An emulator on a free loopback port with the small board, and a client for it.
    ``settings`` override ``EmulatorSettings(token=TOKEN)``."""
    server = EmulatorServer(
        EmulatorSettings(token=TOKEN, **settings),
        boards=[builtin_spec(SMALL_BOARD)],
        clock=clock if clock is not None else ManualClock(),
    )
    await server.start()
    try:
        async with aiohttp.ClientSession(timeout=TIMEOUT) as session:
            yield Api(server, session)
    finally:
        await server.stop()


async def until(predicate: Callable[[], bool], timeout: float = 5.0) -> None:
    """Wait (bounded, polling) until ``predicate()`` holds."""
    loop = asyncio.get_running_loop()
    deadline = loop.time() + timeout
    while not predicate():
        if loop.time() > deadline:
            raise AssertionError("the condition never held")
        await asyncio.sleep(0.002)


def create_items_document(names: list[str], board_id: str = SMALL_BOARD_ID) -> str:
    """One mutation document creating an item per name, aliased ``a0``, ``a1``..."""
    fields = " ".join(
        f'a{i}: create_item(board_id: {board_id}, item_name: "{name}") {{ id }}'
        for i, name in enumerate(names)
    )
    return f"mutation {{ {fields} }}"
