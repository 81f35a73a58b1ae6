"""State survives a restart with ``state_file`` / ``--state``, including a SIGKILL."""

from __future__ import annotations

import json
import os
import signal
import sys
from pathlib import Path

import aiohttp
import pytest
from emu_helpers import SMALL_BOARD_ID, TIMEOUT, Api

from monday_emulator import SMALL_BOARD, EmulatorServer, EmulatorSettings, builtin_spec


async def test_restart_keeps_state(tmp_path: Path) -> None:
    state_file = tmp_path / "state.sqlite"
    settings = EmulatorSettings(token="p")
    async with (
        EmulatorServer(settings, boards=[builtin_spec(SMALL_BOARD)], state_file=state_file) as srv,
        aiohttp.ClientSession(timeout=TIMEOUT) as session,
    ):
        api = Api(srv, session)
        first = await api.create_item(
            "Persisted", {"tags": {"labels": ["New label"]}}, create_labels=True
        )
        parent_sub = await api.ok(
            'mutation($p: ID!) { create_subitem(parent_item_id: $p, item_name: "Child") { id } }',
            {"p": first},
        )
        group = await api.ok(
            'mutation($b: ID!) { create_group(board_id: $b, group_name: "Kept") { id } }',
            {"b": SMALL_BOARD_ID},
        )
        _, before = await api.admin("GET", f"/boards/{SMALL_BOARD_ID}")

    async with (
        EmulatorServer(EmulatorSettings(token="p"), state_file=state_file) as srv,
        aiohttp.ClientSession(timeout=TIMEOUT) as session,
    ):
        api = Api(srv, session)
        _, after = await api.admin("GET", f"/boards/{SMALL_BOARD_ID}")
        assert after == before
        _, listing = await api.admin("GET", "/boards")
        assert "8709134353" not in [b["id"] for b in listing["boards"]]  # no demo board re-added
        second = await api.create_item("After restart")
        assert int(second) > int(parent_sub["create_subitem"]["id"]) > int(first)
        groups = await api.ok(
            "query($b: [ID!]) { boards(ids: $b) { groups { id } } }", {"b": [SMALL_BOARD_ID]}
        )
        assert group["create_group"]["id"] in [g["id"] for g in groups["boards"][0]["groups"]]


async def _start_cli(state_file: Path, spec: Path) -> tuple[object, str]:
    import asyncio

    proc = await asyncio.create_subprocess_exec(
        sys.executable, "-m", "monday_emulator", "serve", "--host", "127.0.0.1", "--port", "0",
        "--token", "kill-token", "--state", str(state_file), "--boards", str(spec),
        stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.PIPE,
    )  # fmt: skip
    line = await asyncio.wait_for(proc.stdout.readline(), timeout=30)
    text = line.decode().strip()
    assert text.startswith("monday emulator listening on http://127.0.0.1:"), text
    return proc, text.rsplit(" ", 1)[-1]


@pytest.mark.slow
async def test_acknowledged_writes_survive_sigkill(tmp_path: Path) -> None:
    import asyncio

    spec = tmp_path / "board.json"
    spec.write_text(json.dumps(builtin_spec(SMALL_BOARD)))
    state_file = tmp_path / "state.sqlite"
    headers = {"Authorization": "kill-token"}
    query = "mutation($n: String!) { create_item(board_id: 3000000001, item_name: $n) { id } }"
    proc, url = await _start_cli(state_file, spec)
    created = []
    try:
        async with aiohttp.ClientSession(timeout=TIMEOUT, headers=headers) as session:
            for n in range(5):
                async with session.post(
                    url, json={"query": query, "variables": {"n": f"k{n}"}}
                ) as resp:
                    assert resp.status == 200
                    created.append((await resp.json())["data"]["create_item"]["id"])
    finally:
        os.kill(proc.pid, signal.SIGKILL)
        await asyncio.wait_for(proc.wait(), timeout=10)
    proc, url = await _start_cli(state_file, spec)
    try:
        read = {"query": "{ boards(ids: [3000000001]) { items_page { items { id name } } } }"}
        async with (
            aiohttp.ClientSession(timeout=TIMEOUT, headers=headers) as session,
            session.post(url, json=read) as resp,
        ):
            items = (await resp.json())["data"]["boards"][0]["items_page"]["items"]
        assert [i["id"] for i in items] == created
    finally:
        proc.send_signal(signal.SIGTERM)
        await asyncio.wait_for(proc.wait(), timeout=10)
