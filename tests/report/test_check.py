"""``sync-order-list check``: each problem it detects, a healthy state, cannot-check."""

from __future__ import annotations

import dataclasses
import json
import uuid
from datetime import UTC, datetime, timedelta

from sqlalchemy import text

from sync_order_list.config.models import MonitoringSettings
from sync_order_list.report.health import (
    HealthFacts,
    LastRun,
    TableFacts,
    evaluate,
)
from sync_order_list.report.runs import start_run
from tests.report.support import KEY, TOKEN, Pipeline, assert_clean_failure


def now() -> datetime:
    return datetime.now(UTC).replace(tzinfo=None)


def problems(pipe: Pipeline, *, cfg: object = None) -> tuple[int, list[str]]:
    result = pipe.cli("check", cfg=cfg)  # type: ignore[arg-type]
    assert result.stderr == "", result.stderr
    return result.exit_code, result.stdout.strip().splitlines()


def test_check_detects_each_problem(pipeline: Pipeline) -> None:
    p = pipeline
    orders, lines = p.q(p.cfg.env.target_table), p.q(p.cfg.env.lines_table)
    runs = p.q(p.cfg.settings.tables.runs)

    # an empty database is healthy
    assert problems(p) == (0, ["healthy: 0 orders (0 synced, 0 pending, 0 in error)"])

    keys = p.load(orders=20)
    first = p.sync()
    assert first.outcome == "success"
    code, out = problems(p)
    assert code == 0 and out[0].startswith("healthy: 20 orders (20 synced")
    assert first.run_id[:8] in out[0]
    result = p.cli("check", "--json")
    data = json.loads(result.stdout)
    assert result.exit_code == 0 and data["healthy"] is True and data["problems"] == []
    assert data["facts"]["orders"]["by_state"]["SYNCED"] == 20
    assert data["facts"]["last_run"]["run_id"] == first.run_id
    assert data["facts"]["last_success_at"] is not None

    # PENDING: fresh is fine; older than pending_max_age_minutes (120) is not
    with p.engine.begin() as conn:
        conn.execute(
            text(f"UPDATE {orders} SET sync_state = 'PENDING' WHERE \"{KEY}\" IN (:a, :b)"),
            {"a": keys[0], "b": keys[1]},
        )
        conn.execute(
            text(f"UPDATE {orders} SET merged_at = :t WHERE sync_state = 'PENDING'"),
            {"t": now() - timedelta(minutes=100)},
        )
    assert problems(p)[0] == 0
    with p.engine.begin() as conn:
        conn.execute(
            text(f"UPDATE {orders} SET merged_at = :t WHERE sync_state = 'PENDING'"),
            {"t": now() - timedelta(minutes=130)},
        )
    code, out = problems(p)
    assert code == 1
    assert len(out) == 1 and out[0].startswith("WARN pending_too_long: 2 orders PENDING")
    assert "120 minutes" in out[0]
    with p.engine.begin() as conn:
        conn.execute(text(f"UPDATE {orders} SET sync_state = 'SYNCED'"))

    # in flight: attempted, never completed, for longer than in_flight_max_age_minutes
    with p.engine.begin() as conn:
        conn.execute(
            text(
                f"UPDATE {lines} SET sync_attempted_at = :t, sync_completed_at = NULL, "
                "sync_state = 'PENDING' WHERE order_key = :k"
            ),
            {"t": now() - timedelta(minutes=45), "k": keys[2]},
        )
        n_lines = conn.execute(
            text(f"SELECT COUNT(*) FROM {lines} WHERE order_key = :k"), {"k": keys[2]}
        ).scalar()
    code, out = problems(p)
    assert code == 1
    assert [line.split(":")[0] for line in out] == ["WARN in_flight_too_long"]
    assert out[0].startswith(f"WARN in_flight_too_long: {n_lines} lines in flight")
    with p.engine.begin() as conn:
        conn.execute(
            text(f"UPDATE {lines} SET sync_state = 'SYNCED', sync_completed_at = :t"),
            {"t": now()},
        )
    assert problems(p)[0] == 0

    # ERROR share: a real run that fails 2 of the 20 orders (10% > 5%)
    src = p.q(p.cfg.env.source_table)
    with p.engine.begin() as conn:
        conn.execute(
            text(f'UPDATE {src} SET "ORDER TYPE" = \'NO-SUCH-TYPE\' WHERE "{KEY}" IN (:a, :b)'),
            {"a": keys[3], "b": keys[4]},
        )
    second = p.sync()
    assert second.outcome == "partial" and len(second.tally.errors) == 2
    code, out = problems(p)
    assert code == 1
    assert out == [
        "ALERT error_share: 10.0% of orders are in ERROR (2 of 20), above "
        "error_share_threshold 5%; see `sync-order-list report`"
    ]
    lenient = dataclasses.replace(
        p.cfg,
        settings=p.cfg.settings.model_copy(
            update={"monitoring": MonitoringSettings(error_share_threshold=0.10)}
        ),
    )
    # 10% does not pass a 10% threshold, but rows in ERROR are still a problem
    assert problems(p, cfg=lenient) == (
        1,
        [
            "WARN rows_in_error: 2 orders in ERROR (of 20; under the error_share threshold "
            "of 10%); `sync-order-list status` and `report` show them, `retry` after the fix"
        ],
    )

    # the last run failed (its message is redacted)
    with p.engine.begin() as conn:
        conn.execute(
            text(f"UPDATE {runs} SET outcome = 'failed', message = :m WHERE run_id = :r"),
            {"m": f"monday refused the token {TOKEN}\nsecond line", "r": second.run_id},
        )
    code, out = problems(p)
    assert code == 1
    failed = [line for line in out if line.startswith("ALERT last_run_failed")]
    assert len(failed) == 1 and second.run_id in failed[0]
    assert TOKEN not in "\n".join(out) and "[REDACTED]" in failed[0]
    assert "second line" in failed[0]  # one line per problem
    result = p.cli("check", "--json")
    data = json.loads(result.stdout)
    assert result.exit_code == 1 and data["healthy"] is False
    assert {pr["code"] for pr in data["problems"]} == {"error_share", "last_run_failed"}
    assert TOKEN not in result.stdout

    # a dead run: still `running`, unheard of for heartbeat_max_age_minutes (30); a
    # young one is fine, and a later run does not hide the dead one
    with p.engine.begin() as conn:
        conn.execute(text(f"UPDATE {runs} SET started_at = :t"), {"t": now() - timedelta(hours=5)})
        conn.execute(text(f"UPDATE {orders} SET sync_state = 'SYNCED'"))
    dead = str(uuid.uuid4())
    start_run(p.engine, p.cfg, dead, now() - timedelta(minutes=40), "sync", False)
    code, out = problems(p)
    assert code == 1 and len(out) == 1
    assert out[0].startswith(f"ALERT dead_run: the run {dead} (sync) started 40 min ago")
    start_run(p.engine, p.cfg, str(uuid.uuid4()), now() - timedelta(minutes=1), "sync", False)
    assert problems(p)[1][0].startswith(f"ALERT dead_run: the run {dead} (sync)")
    # a heartbeat keeps a long run alive
    with p.engine.begin() as conn:
        conn.execute(
            text(f"UPDATE {runs} SET heartbeat_at = :t WHERE run_id = :r"),
            {"t": now() - timedelta(minutes=2), "r": dead},
        )
    assert problems(p)[0] == 0
    # the next run marks a dead one `abandoned`: an alert for abandoned_window_hours
    with p.engine.begin() as conn:
        conn.execute(
            text(f"UPDATE {runs} SET outcome = 'abandoned' WHERE run_id = :r"), {"r": dead}
        )
    code, out = problems(p)
    assert code == 1 and out[0].startswith("ALERT abandoned_run: 1 run(s) in the last 24 hours")
    with p.engine.begin() as conn:
        conn.execute(
            text(f"UPDATE {runs} SET started_at = :t WHERE run_id = :r"),
            {"t": now() - timedelta(hours=25), "r": dead},
        )
    assert problems(p)[0] == 0


def test_check_cannot_check(pipeline: Pipeline, tmp_path) -> None:  # type: ignore[no-untyped-def]
    p = pipeline
    missing = dataclasses.replace(p.cfg, database_url=f"sqlite:///{tmp_path / 'none.db'}")
    assert_clean_failure(p.cli("check", cfg=missing), contains="cannot check: no database")
    assert not (tmp_path / "none.db").exists()

    empty = tmp_path / "empty.db"
    empty.write_bytes(b"")
    no_tables = dataclasses.replace(
        p.cfg,
        database_url=f"sqlite:///{empty}",
        env=p.cfg.env.model_copy(update={"db_schema": None}),
    )
    assert_clean_failure(p.cli("check", cfg=no_tables), contains="init-db")

    unreachable = dataclasses.replace(
        p.cfg, database_url="postgresql://nobody:secret-pw@127.0.0.1:1/none"
    )
    line = assert_clean_failure(p.cli("check", cfg=unreachable), contains="cannot check")
    assert "secret-pw" not in line

    result = p.cli("check", "--json", cfg=missing)
    assert result.exit_code == 2
    assert json.loads(result.stdout) == {
        "healthy": False,
        "exit_code": 2,
        "error": f"no database: {tmp_path / 'none.db'} does not exist "
        "(create it with `sync-order-list init-db`)",
    }


def test_check_bad_config(tmp_path) -> None:  # type: ignore[no-untyped-def]
    from click.testing import CliRunner

    from sync_order_list.cli.context import CliState
    from tests.report.support import tiny_cli

    result = CliRunner().invoke(
        tiny_cli, ["check", "--config", str(tmp_path / "missing.toml")], obj=CliState()
    )
    assert_clean_failure(result, contains="configuration file not found")


# --------------------------------------------------------------------------- pure


def facts(**kw: object) -> HealthFacts:
    base = dict(
        now=datetime(2026, 1, 1, 12, 0),
        environment="development",
        orders=TableFacts({"SYNCED": 100}),
        lines=TableFacts({"SYNCED": 400}),
    )
    base.update(kw)
    return HealthFacts(**base)  # type: ignore[arg-type]


def test_evaluate_is_pure_and_exact() -> None:
    m = MonitoringSettings(error_share_threshold=0.05, in_flight_max_age_minutes=30)
    assert evaluate(facts(), m) == []
    # the share is ERROR / (every state but NEW); NEW rows are not the sync's yet
    at_limit = TableFacts({"SYNCED": 95, "ERROR": 5, "NEW": 1000})
    assert [p.code for p in evaluate(facts(orders=at_limit), m)] == ["rows_in_error"]
    over = TableFacts({"SYNCED": 94, "ERROR": 6})
    (problem,) = evaluate(facts(orders=over), m)
    assert (problem.code, problem.severity, problem.table, problem.count) == (
        "error_share",
        "alert",
        "orders",
        6,
    )
    assert evaluate(facts(orders=TableFacts({"NEW": 5})), m) == []  # nothing tracked yet

    t0 = datetime(2026, 1, 1, 12, 0)
    young = LastRun("r1", "sync", "running", t0 - timedelta(minutes=29), None, None)
    old = LastRun("r1", "sync", "running", t0 - timedelta(minutes=31), None, None)
    assert evaluate(facts(last_run=young, dead_runs=[young]), m) == []
    assert [p.code for p in evaluate(facts(last_run=old, dead_runs=[old]), m)] == ["dead_run"]
    partial = LastRun("r1", "sync", "partial", t0, t0, None)
    assert evaluate(facts(last_run=partial), m) == []

    many = facts(
        orders=TableFacts({"SYNCED": 1, "ERROR": 1}, pending_too_long=3, in_flight_too_long=1),
        lines=TableFacts({"SYNCED": 1}, pending_too_long=7),
        last_run=LastRun("r2", "sync", "failed", t0, t0, "boom"),
    )
    found = evaluate(many, m)
    assert [(p.code, p.table) for p in found] == [
        ("pending_too_long", "orders"),
        ("pending_too_long", "lines"),
        ("in_flight_too_long", "orders"),
        ("error_share", "orders"),
        ("last_run_failed", None),
    ]
    assert all("\n" not in p.line() for p in found)
