"""Which runs are alive: heartbeats, dead processes, and taking their rows over at once."""

from __future__ import annotations

import os
from datetime import datetime, timedelta

from sqlalchemy import insert, select, update

from sync_order_list.sync.liveness import Liveness, RunRow, judge, pid_alive, this_host
from sync_order_list.sync.store import reflect_tables
from tests.conftest import Database, make_config

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
