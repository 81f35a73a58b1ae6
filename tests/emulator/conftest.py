"""Fixtures: an emulator on 127.0.0.1 (ephemeral port, manual clock) and a small
HTTP client for its API and admin endpoints."""

from __future__ import annotations

import sys
from collections.abc import AsyncIterator
from pathlib import Path

import aiohttp
import pytest

sys.path.insert(0, str(Path(__file__).resolve().parent))  # emu_helpers, whatever the import mode

from emu_helpers import TIMEOUT, Api  # noqa: E402

from monday_emulator import SMALL_BOARD, EmulatorServer, EmulatorSettings, ManualClock, builtin_spec


@pytest.fixture
def settings() -> EmulatorSettings:
    """monday's limits, without server time: the server answers at once, so these
    tests see the emulator's semantics, not its timing (the writers' rules tests
    turn server time on)."""
    return EmulatorSettings(token="test-token", mutation_ms_mean=0, query_ms_mean=0)


@pytest.fixture
async def server(settings: EmulatorSettings) -> AsyncIterator[EmulatorServer]:
    srv = EmulatorServer(
        settings,
        boards=[builtin_spec(SMALL_BOARD)],
        clock=ManualClock(),
    )
    await srv.start()
    try:
        yield srv
    finally:
        await srv.stop()


@pytest.fixture
async def api(server: EmulatorServer) -> AsyncIterator[Api]:
    async with aiohttp.ClientSession(timeout=TIMEOUT) as session:
        yield Api(server, session)
