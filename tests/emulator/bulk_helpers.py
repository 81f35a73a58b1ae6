"""Helpers for the bulk import tests: start a job, upload a file to its URL, read the
status and the report, all over real HTTP on 127.0.0.1."""

from __future__ import annotations

import csv
import io
import json
from dataclasses import dataclass
from typing import Any

from emu_helpers import SMALL_BOARD_ID, Api, Reply
from multidict import CIMultiDict

VERSION = {"API-Version": "2026-10"}
TERMINAL = ("COMPLETED", "FAILED", "REJECTED")

INGEST = """mutation($b: ID!, $g: ID!, $m: OnMatchInput) {
  ingest_items(board_id: $b, group_id: $g, on_match: $m) { job_id upload_url }
}"""
BACKFILL = """mutation($b: ID!, $g: ID!) {
  backfill_items(board_id: $b, group_id: $g) { job_id upload_url }
}"""
STATUS = """query($j: ID!) {
  fetch_job_status(job_id: $j) {
    __typename
    ... on ItemsJobStatus {
      status progress_percentage failure_reason failure_message fully_imported
      report_created report_url
      counts { submitted invalid skipped created updated failed }
    }
  }
}"""
BY_KEY = """query($b: ID!, $k: [String]!) {
  items_page_by_column_values(board_id: $b, columns: [{column_id: "text", column_values: $k}]) {
    items {
      id name group { id }
      column_values { id text value }
      subitems { id name column_values { id text value } }
    }
  }
}"""


@dataclass
class Http:
    status: int
    headers: CIMultiDict[str]
    text: str


async def gql(api: Api, query: str, variables: dict[str, Any] | None = None) -> Reply:
    return await api.gql(query, variables, headers=VERSION)


async def start(
    api: Api,
    *,
    on_match: dict[str, str] | None = None,
    group: str = "topics",
    board: str = SMALL_BOARD_ID,
    backfill: bool = False,
) -> tuple[str, str]:
    if backfill:
        reply = await gql(api, BACKFILL, {"b": board, "g": group})
    else:
        reply = await gql(api, INGEST, {"b": board, "g": group, "m": on_match})
    assert reply.status == 200 and not reply.errors, reply.body
    started = reply.data["backfill_items" if backfill else "ingest_items"]
    return started["job_id"], started["upload_url"]


def csv_text(rows: list[list[str]]) -> bytes:
    out = io.StringIO(newline="")
    csv.writer(out, lineterminator="\r\n").writerows(rows)
    return out.getvalue().encode("utf-8")


async def put(
    api: Api,
    url: str,
    body: bytes,
    *,
    content_type: str = "text/csv",
    headers: dict[str, str] | None = None,
) -> Http:
    sent = {"Content-Type": content_type, **(headers or {})}
    async with api.session.put(url, data=body, headers=sent) as resp:
        return Http(resp.status, CIMultiDict(resp.headers), await resp.text())


async def get(api: Api, url: str) -> Http:
    async with api.session.get(url) as resp:
        return Http(resp.status, CIMultiDict(resp.headers), await resp.text())


async def status(api: Api, job_id: str) -> dict[str, Any]:
    reply = await gql(api, STATUS, {"j": job_id})
    assert reply.status == 200 and not reply.errors, reply.body
    return reply.data["fetch_job_status"]


async def finish(api: Api, job_id: str, step: float = 10.0) -> dict[str, Any]:
    """Move the emulator's clock on in ``step``s (a client polling every 10 s) until
    the job ends; bounded."""
    for _ in range(200):
        current = await status(api, job_id)
        if current["status"] in TERMINAL:
            return current
        api.clock.advance(step)
    raise AssertionError(f"job {job_id} never ended: {current}")


async def run(api: Api, rows: list[list[str]], **start_args: Any) -> tuple[str, dict[str, Any]]:
    """Start a job, upload ``rows``, wait for its end: (job id, final status)."""
    job_id, url = await start(api, **start_args)
    uploaded = await put(api, url, csv_text(rows))
    assert uploaded.status == 200, uploaded.text
    return job_id, await finish(api, job_id)


async def report(api: Api, final: dict[str, Any]) -> list[dict[str, str]]:
    assert final["report_created"] is True
    got = await get(api, final["report_url"])
    assert got.status == 200, got.text
    assert got.headers["Content-Type"].startswith("text/csv")
    return list(csv.DictReader(io.StringIO(got.text, newline="")))


async def by_key(api: Api, *keys: str) -> list[dict[str, Any]]:
    data = await api.ok(BY_KEY, {"b": SMALL_BOARD_ID, "k": list(keys)})
    return data["items_page_by_column_values"]["items"]


def values(item: dict[str, Any]) -> dict[str, tuple[str | None, Any]]:
    """{column id: (text, value without changed_at)} of an item read over the API."""
    out = {}
    for cv in item["column_values"]:
        value = json.loads(cv["value"]) if cv["value"] is not None else None
        if isinstance(value, dict):
            value.pop("changed_at", None)
        out[cv["id"]] = (cv["text"], value)
    return out


async def stats(api: Api) -> dict[str, Any]:
    status_code, body = await api.admin("GET", "/stats")
    assert status_code == 200
    return body["bulk"]


async def settings(api: Api, **changes: Any) -> None:
    status_code, body = await api.admin("POST", "/settings", changes)
    assert status_code == 200, body
