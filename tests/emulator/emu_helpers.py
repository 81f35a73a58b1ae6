"""Helpers for the emulator tests: a small HTTP client for the API and the admin
endpoints, and where the reference files are."""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import aiohttp
from multidict import CIMultiDict

from monday_emulator import (
    EmulatorServer,
    ManualClock,
)

REPO_ROOT = Path(__file__).resolve().parents[2]
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
        headers: dict[str, str] | None = None,
        raw: bytes | None = None,
        timeout: float | None = None,
    ) -> Reply:
        sent = {"Authorization": self.token, "API-Version": "2025-04"}
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
