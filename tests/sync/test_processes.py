"""Whole processes: a sync killed with SIGKILL at several points, stopped with SIGTERM or
SIGINT, two syncs at once.

The sync runs as users run it (`sync-order-list sync` in its own process) against the
emulator on a loopback port; the database is a real SQLite file or PostgreSQL schema.
"""

from __future__ import annotations

import json
import signal
import subprocess
import time
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import func, select

from sync_order_list.chaos import SyncTarget, spawn_sync, wait_until
from tests.conftest import CONFIG_PATH
from tests.sync.harness import TOKEN, Pipeline

ORDERS = 30


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
    # the default claim TTL (15 minutes) stays: nothing may depend on claims expiring
    text = text.replace("heartbeat_seconds = 10 ", "heartbeat_seconds = 1 ")
    path = tmp / "sync.toml"
    path.write_text(text, encoding="utf-8")
    return path


def start_sync(pipeline: Pipeline, config: Path, tmp: Path, *extra: str) -> subprocess.Popen[bytes]:
    target = SyncTarget(config, pipeline.cfg.database_url, pipeline.emu.url, TOKEN, tmp)
    return spawn_sync(target, *extra)


def wait_for_writes(pipeline: Pipeline, at_least: int, proc: subprocess.Popen[bytes]) -> None:
    if not wait_until(proc, lambda: pipeline.mutations() >= at_least, timeout=60):
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
        kills += 1  # no waiting: the next run sees the process is gone and takes over
    assert kills >= 2
    proc = start_sync(pipeline, config, tmp_path)
    _, err = proc.communicate(timeout=180)
    assert proc.returncode == 0, err.decode()
    pipeline.faults()
    pipeline.assert_board_matches_database()
    outcomes = [r.outcome for r in runs(pipeline)]
    assert outcomes.count("abandoned") == kills and outcomes.count("success") == 1


def runs(pipeline: Pipeline) -> list[Any]:
    from sync_order_list.report.runs import list_runs

    return list_runs(pipeline.engine, pipeline.cfg, limit=100)


def claimed_rows(pipeline: Pipeline) -> int:
    orders, lines = pipeline.tables()
    with pipeline.engine.connect() as conn:
        return sum(
            conn.execute(
                select(func.count()).select_from(t).where(t.c.claim_expires_at.is_not(None))
            ).scalar()
            or 0
            for t in (orders, lines)
        )


@pytest.mark.slow
@pytest.mark.parametrize(("signum", "code"), [(signal.SIGTERM, 143), (signal.SIGINT, 130)])
def test_a_signal_finishes_in_flight_documents_releases_and_exits(
    pipeline: Pipeline, tmp_path: Path, signum: int, code: int
) -> None:
    pipeline.generate(ORDERS)
    pipeline.merge()
    pipeline.faults(latency_ms=80)
    config = write_config(pipeline, tmp_path)
    proc = start_sync(pipeline, config, tmp_path)
    wait_for_writes(pipeline, pipeline.mutations() + 12, proc)
    proc.send_signal(signum)
    _, err = proc.communicate(timeout=60)
    assert proc.returncode == code, err.decode()
    assert signal.Signals(signum).name in err.decode()
    (run,) = runs(pipeline)
    assert run.outcome == "interrupted" and signal.Signals(signum).name in (run.message or "")
    assert claimed_rows(pipeline) == 0, "every claim is released"
    orders, _ = pipeline.tables()
    with pipeline.engine.connect() as conn:
        pending = conn.execute(
            select(func.count()).select_from(orders).where(orders.c.sync_state == "PENDING")
        ).scalar()
    assert pending, "it stopped before the end"
    # the next run takes the rest at once (no claim to wait out)
    proc = start_sync(pipeline, config, tmp_path, "--json")
    out, err = proc.communicate(timeout=120)
    assert proc.returncode == 0, err.decode()
    report = json.loads(out)
    assert report["claimed"]["orders"] == pending
    pipeline.faults()
    pipeline.assert_board_matches_database()


@pytest.mark.slow
def test_a_second_signal_exits_at_once_and_the_next_run_takes_over(
    pipeline: Pipeline, tmp_path: Path
) -> None:
    pipeline.generate(ORDERS)
    pipeline.merge()
    pipeline.faults(latency_ms=1000)  # a document is out for a second
    config = write_config(pipeline, tmp_path)
    proc = start_sync(pipeline, config, tmp_path)
    wait_for_writes(pipeline, pipeline.mutations() + 4, proc)
    time.sleep(0.2)  # the next document is on its way
    proc.send_signal(signal.SIGTERM)
    time.sleep(0.1)
    proc.send_signal(signal.SIGTERM)
    _, err = proc.communicate(timeout=10)
    assert proc.returncode == 143, err.decode()
    (run,) = runs(pipeline)
    assert run.outcome == "running"  # it had no time to say so
    pipeline.faults(latency_ms=0)
    proc = start_sync(pipeline, config, tmp_path)
    _, err = proc.communicate(timeout=120)
    assert proc.returncode == 0, err.decode()
    outcomes = sorted(r.outcome for r in runs(pipeline))
    assert outcomes == ["abandoned", "success"]
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
