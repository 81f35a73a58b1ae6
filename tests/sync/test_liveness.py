"""Which runs are alive: heartbeats, dead processes, and taking their rows over at once."""

from __future__ import annotations

import os
from datetime import datetime, timedelta

from sqlalchemy import insert, select, update

from sync_order_list.sync.liveness import Liveness, RunRow, judge, pid_alive, this_host
from sync_order_list.sync.store import reflect_tables
from tests.conftest import Database, make_config
from tests.sync.harness import Pipeline

NOW = datetime(2026, 11, 29, 12, 0, 0)


def _settings():  # type: ignore[no-untyped-def]
    return make_config("sqlite://").settings  # heartbeat 10 s, dead after 4 missed


def test_judge_finds_dead_processes_and_stale_heartbeats() -> None:
    settings = _settings()
    runs = [
        RunRow("live", "h1", 10, NOW - timedelta(hours=1), NOW - timedelta(seconds=5)),
        RunRow("gone-pid", "h1", 11, NOW - timedelta(minutes=1), NOW - timedelta(seconds=1)),
        RunRow("stale", "h2", 12, NOW - timedelta(hours=1), NOW - timedelta(seconds=41)),
        RunRow("old-version", None, None, NOW - timedelta(hours=2), None),
        RunRow("other-host-fresh", "h2", 11, NOW - timedelta(hours=1), NOW),
    ]
    dead = judge(runs, NOW, settings, host="h1", alive=lambda pid: pid == 10)
    assert {d.run_id for d in dead} == {"gone-pid", "stale", "old-version"}
    reasons = {d.run_id: d.reason for d in dead}
    assert "process 11" in reasons["gone-pid"] and "41 s" in reasons["stale"]
    assert judge(runs, NOW, settings, host="h1", alive=lambda pid: True, exclude="stale") == [
        d
        for d in judge(runs, NOW, settings, host="h1", alive=lambda pid: True)
        if d.run_id != "stale"
    ]


def test_pid_alive() -> None:
    assert pid_alive(os.getpid())
    assert not pid_alive(0)


def test_take_over_marks_dead_runs_abandoned_and_frees_their_rows(database: Database) -> None:
    cfg = database.configure()
    t = reflect_tables(database.engine, cfg)
    with database.engine.begin() as conn:
        for run_id, pid, beat in (
            ("dead-run", 999_999_999, NOW),  # no such process on this host
            ("live-run", os.getpid(), NOW),
        ):
            conn.execute(
                insert(t.runs).values(
                    run_id=run_id,
                    environment="development",
                    command="sync",
                    started_at=NOW - timedelta(minutes=5),
                    outcome="running",
                    dry_run=0,
                    host=this_host(),
                    pid=pid,
                    heartbeat_at=beat,
                )
            )
        for i, run_id in enumerate(("dead-run", "live-run")):
            conn.execute(
                insert(t.orders).values(
                    **{cfg.settings.merge.business_key: f"K-{i}"},
                    record_uuid=f"u{i}",
                    sync_state="PENDING",
                    action_type="INSERT",
                    run_id=run_id,
                    claim_expires_at=NOW + timedelta(minutes=15),
                )
            )
        conn.execute(
            insert(t.groups).values(
                board_id="1", group_name="G", group_id="", run_id="dead-run", created_at=NOW
            )
        )
    liveness = Liveness(database.engine, t, cfg.settings)
    assert liveness.held_by_live_runs(NOW) == 1  # the dead run's order counts as free
    taken = liveness.take_over(NOW)
    assert [d.run_id for d in taken] == ["dead-run"]
    assert liveness.take_over(NOW) == []  # already done
    with database.engine.connect() as conn:
        outcome = dict(conn.execute(select(t.runs.c.run_id, t.runs.c.outcome)).all())
        claims = dict(conn.execute(select(t.orders.c.run_id, t.orders.c.claim_expires_at)).all())
        groups = conn.execute(select(t.groups)).all()
    assert outcome == {"dead-run": "abandoned", "live-run": "running"}
    assert claims["dead-run"] is None and claims["live-run"] is not None
    assert groups == []  # its half-made group claim is gone: the next run re-reads the board
    # a run declared dead notices at its next heartbeat
    assert liveness.beat("live-run", NOW) and not liveness.beat("dead-run", NOW)
    with database.engine.begin() as conn:
        conn.execute(update(t.runs).values(heartbeat_at=NOW - timedelta(minutes=10)))
    assert [d.run_id for d in liveness.take_over(NOW, alive=lambda pid: True)] == ["live-run"]


def test_a_run_declared_dead_by_another_stops(pipeline: Pipeline) -> None:
    """Another run found this one's heartbeat stale and took its rows: it stops at its
    next heartbeat, says so, and writes nothing over the rows it lost."""
    import threading
    import time

    from sync_order_list.report.runs import runs_table

    pipeline.settings(mutation_ms_mean=0.0, query_ms_mean=0.0)
    pipeline.faults(latency_ms=150)
    pipeline.generate(20)
    pipeline.merge()
    pipeline.configure(
        sync={"heartbeat_seconds": 0.2},
        batch={"items_per_request": 2, "subitems_per_request": 4},
    )
    runs = runs_table(pipeline.engine, pipeline.cfg)

    def declare_dead() -> None:
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline and pipeline.mutations() < 4:
            time.sleep(0.02)
        with pipeline.engine.begin() as conn:
            conn.execute(update(runs).values(outcome="abandoned"))

    killer = threading.Thread(target=declare_dead)
    killer.start()
    report = pipeline.sync()
    killer.join(timeout=30)
    assert report.outcome == "failed" and "declared it dead" in (report.message or "")
    assert report.exit_code == 2
    assert pipeline.mutations() < 60  # it stopped early
    pipeline.faults()
    assert pipeline.sync().outcome == "success"  # the next run finishes the job
    pipeline.assert_board_matches_database()
