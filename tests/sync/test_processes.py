"""Whole processes: a sync killed with SIGKILL at several points, two syncs at once.

The sync runs as users run it (`sync-order-list sync` in its own process) against the
emulator on a loopback port; the database is a real SQLite file or PostgreSQL schema.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from tests.conftest import CONFIG_PATH
from tests.sync.harness import TOKEN, Pipeline

ORDERS = 30


def cli() -> list[str]:
    script = Path(sys.executable).with_name("sync-order-list")
    return [str(script)] if script.exists() else [sys.executable, "-m", "sync_order_list"]


def write_config(pipeline: Pipeline, tmp: Path) -> Path:
    """The shipped config with small batches and a short claim, for this database."""
    text = CONFIG_PATH.read_text(encoding="utf-8")
    schema = pipeline.cfg.env.db_schema
    if schema:
        text = text.replace(
            "[environments.development]\n", f'[environments.development]\nschema = "{schema}"\n', 1
        )
    text = text.replace("items_per_request = 100 ", "items_per_request = 4 ")
    text = text.replace("subitems_per_request = 200", "subitems_per_request = 8")
    text = text.replace("concurrency = 4 ", "concurrency = 2 ")
    text = text.replace("claim_ttl_seconds = 900", "claim_ttl_seconds = 2")
    path = tmp / "sync.toml"
    path.write_text(text, encoding="utf-8")
    return path


def start_sync(pipeline: Pipeline, config: Path, tmp: Path) -> subprocess.Popen[bytes]:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("SYNC_ORDER_LIST", "MONDAY_"))}
    env.update(
        {
            "SYNC_ORDER_LIST_DB_URL": pipeline.cfg.database_url,
            "MONDAY_API_URL": pipeline.emu.url,
            "MONDAY_API_TOKEN": TOKEN,
        }
    )
    return subprocess.Popen(
        [*cli(), "sync", "--skip-merge", "--config", str(config), "-q"],
        cwd=tmp,
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
    )


def wait_for_writes(pipeline: Pipeline, at_least: int, proc: subprocess.Popen[bytes]) -> None:
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline and proc.poll() is None:
        if pipeline.mutations() >= at_least:
            return
        time.sleep(0.02)
    raise AssertionError(f"the sync did not reach {at_least} writes (exit {proc.poll()})")


@pytest.mark.slow
def test_sync_killed_at_several_points_leaves_no_duplicates(
    pipeline: Pipeline, tmp_path: Path
) -> None:
    pipeline.generate(ORDERS)
    pipeline.merge()
    pipeline.faults(latency_ms=60)  # long enough a run to be killed in the middle
    config = write_config(pipeline, tmp_path)
    kills = 0
    for writes in (2, 25, 60, 110):
        proc = start_sync(pipeline, config, tmp_path)
        try:
            wait_for_writes(pipeline, pipeline.mutations() + writes, proc)
        except AssertionError:
            proc.wait(timeout=60)
            break  # it finished before this point: nothing left to kill
        proc.send_signal(signal.SIGKILL)
        proc.wait(timeout=10)
        kills += 1
        time.sleep(2.5)  # the dead run's claims expire (claim_ttl_seconds = 2)
    assert kills >= 2
    proc = start_sync(pipeline, config, tmp_path)
    _, err = proc.communicate(timeout=180)
    assert proc.returncode == 0, err.decode()
    pipeline.faults()
    pipeline.assert_board_matches_database()


@pytest.mark.slow
def test_two_sync_processes_at_once_make_no_duplicates(pipeline: Pipeline, tmp_path: Path) -> None:
    pipeline.generate(ORDERS)
    pipeline.merge()
    pipeline.faults(latency_ms=20)
    config = write_config(pipeline, tmp_path)
    procs = [start_sync(pipeline, config, tmp_path) for _ in range(2)]
    for proc in procs:
        _, err = proc.communicate(timeout=180)
        assert proc.returncode == 0, err.decode()
    pipeline.faults()
    pipeline.assert_board_matches_database()
