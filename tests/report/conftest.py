"""Fixtures for the report tests: a local monday emulator and a real pipeline run."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from monday_emulator import EmulatorSettings, ThreadedEmulator, run_in_thread
from sync_order_list.config import AppConfig
from tests.conftest import Database
from tests.report.support import TOKEN, Pipeline, plain_config


@pytest.fixture
def emulator() -> Iterator[ThreadedEmulator]:
    """A fresh emulator per test (50 ms): its own board and its own complexity budget,
    so runs in one test never wait for the budget another test spent."""
    # no server time: these tests are about the reports, not monday's timing
    with run_in_thread(EmulatorSettings(token=TOKEN, mutation_ms_mean=0, query_ms_mean=0)) as emu:
        yield emu


@pytest.fixture
def pipeline(database: Database, emulator: ThreadedEmulator, tmp_path: Path) -> Pipeline:
    """The database fixture's tables, a config that reaches the emulator, and reports
    and metrics under ``tmp_path``."""
    return Pipeline.create(database, emulator, tmp_path)


@pytest.fixture
def cfg(tmp_path: Path) -> AppConfig:
    """A config for tests that need no database (reports, metrics from a dict)."""
    return plain_config(tmp_path)
