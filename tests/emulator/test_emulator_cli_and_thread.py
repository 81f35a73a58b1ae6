"""The ``serve`` command as a subprocess (startup line, SIGTERM) and the
thread-based runner for synchronous callers."""

from __future__ import annotations

import asyncio
import json
import signal
import sys
import urllib.error
import urllib.request

import pytest

from monday_emulator import SMALL_BOARD, EmulatorSettings, builtin_spec, run_in_thread
from monday_emulator.cli import build_parser, main


def _post(url: str, token: str, query: str) -> tuple[int, dict]:
    request = urllib.request.Request(
        url,
        data=json.dumps({"query": query}).encode(),
        headers={"Authorization": token, "Content-Type": "application/json"},
        method="POST",
    )
    try:
        with urllib.request.urlopen(request, timeout=10) as resp:  # noqa: S310 - 127.0.0.1 only
            return resp.status, json.loads(resp.read())
    except urllib.error.HTTPError as exc:
        return exc.code, json.loads(exc.read())


@pytest.mark.slow
async def test_serve_subprocess_and_sigterm() -> None:
    proc = await asyncio.create_subprocess_exec(
        sys.executable, "-m", "monday_emulator", "serve", "--port", "0", "--token", "cli-token",
        "--settings", "requests_per_minute=100", "faults.latency_ms=1",
        stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.PIPE,
    )  # fmt: skip
    try:
        line = (await asyncio.wait_for(proc.stdout.readline(), timeout=30)).decode().strip()
        assert line.startswith("monday emulator listening on http://127.0.0.1:")
        url = line.rsplit(" ", 1)[-1]
        assert url.endswith("/v2") and not url.endswith(":0/v2")
        status, body = await asyncio.to_thread(_post, url, "cli-token", "{ boards { id name } }")
        assert status == 200
        assert body["data"]["boards"] == [{"id": "8709134353", "name": "ORDER LIST (development)"}]
        status, _ = await asyncio.to_thread(_post, url, "other", "{ me { id } }")
        assert status == 401
    finally:
        proc.send_signal(signal.SIGTERM)
        code = await asyncio.wait_for(proc.wait(), timeout=10)
    assert code == 0


def test_cli_rejects_bad_settings(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["serve", "--settings", "no_such=1"]) == 2
    assert "unknown setting" in capsys.readouterr().err
    args = build_parser().parse_args(["serve", "--port", "0", "--settings", "a=1", "b=2"])
    assert args.settings == ["a=1", "b=2"]


def test_settings_from_pairs() -> None:
    settings = EmulatorSettings.from_pairs(
        [
            "complexity_budget=1000",
            "daily_limit=null",
            "faults.seed=4",
            "accept_bearer=false",
            "token=x",
        ]
    )
    assert settings.complexity_budget == 1000
    assert settings.daily_limit is None
    assert settings.faults.seed == 4
    assert settings.accept_bearer is False
    assert settings.token == "x"


def test_run_in_thread_for_sync_callers() -> None:
    with run_in_thread(EmulatorSettings(token="sync"), boards=[builtin_spec(SMALL_BOARD)]) as emu:
        assert emu.url.startswith("http://127.0.0.1:") and emu.url.endswith("/v2")
        status, body = _post(
            emu.url,
            emu.token,
            'mutation { create_item(board_id: 3000000001, item_name: "sync") { id } }',
        )
        assert status == 200
        item_id = body["data"]["create_item"]["id"]
        names = emu.call(lambda: [i.name for i in emu.state.store.items.values()])
        assert names == ["sync"]
        assert emu.state.store.items[item_id].board_id == "3000000001"
        with urllib.request.urlopen(f"{emu.admin_url}/stats", timeout=10) as resp:  # noqa: S310
            assert json.loads(resp.read())["mutations_applied"] == {"create_item": 1}
    with pytest.raises(OSError):
        _post(emu.url, "sync", "{ me { id } }")
