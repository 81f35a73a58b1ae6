"""``check``: is the pipeline healthy? For cron, Airflow and Kubernetes probes.

Three parts: ``health_model`` (the facts and problems), ``health_rules.evaluate`` (pure:
facts -> problems by the ``[monitoring]`` thresholds; its docstring lists every rule),
and this module's ``gather_facts``, which reads what the rules need from the database
(SELECTs only, on a read-only connection when the CLI calls it).

Exit codes (``HealthReport.exit_code``): 0 healthy, 1 at least one problem; the CLI
returns 2 when it cannot check at all (configuration, no database, unreachable).
"""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta
from typing import Any

from sqlalchemy import DateTime, Engine, String, column, func, or_, select, table
from sqlalchemy.sql.expression import TableClause

from sync_order_list.config import AppConfig
from sync_order_list.db.setup import table_names
from sync_order_list.report.health_model import (
    ALERT,
    EXIT_CANNOT_CHECK,
    EXIT_HEALTHY,
    EXIT_PROBLEM,
    WARN,
    HealthFacts,
    HealthReport,
    LastRun,
    Problem,
    TableFacts,
    VerifyFacts,
)
from sync_order_list.report.health_rules import evaluate
from sync_order_list.report.status import in_flight

__all__ = [
    "ALERT",
    "EXIT_CANNOT_CHECK",
    "EXIT_HEALTHY",
    "EXIT_PROBLEM",
    "WARN",
    "HealthFacts",
    "HealthReport",
    "LastRun",
    "Problem",
    "TableFacts",
    "VerifyFacts",
    "check_health",
    "evaluate",
    "gather_facts",
]

REJECT_LOOKBACK_RUNS = 5


def utcnow() -> datetime:
    """Naive UTC, as the sync columns store it."""
    return datetime.now(UTC).replace(tzinfo=None)


# --------------------------------------------------------------------------- reading


def _sync_columns(name: str, schema: str | None) -> TableClause:
    """Only the sync columns ``check`` reads: no reflection of a 400-column table."""
    return table(
        name,
        column("sync_state", String()),
        column("merged_at", DateTime()),
        column("sync_attempted_at", DateTime()),
        column("sync_completed_at", DateTime()),
        schema=schema,
    )


def _runs(name: str, schema: str | None) -> TableClause:
    return table(
        name,
        column("run_id", String()),
        column("environment", String()),
        column("command", String()),
        column("outcome", String()),
        column("started_at", DateTime()),
        column("finished_at", DateTime()),
        column("heartbeat_at", DateTime()),
        column("message", String()),
        column("counts", String()),
        schema=schema,
    )


def _run_columns(runs: TableClause) -> list[Any]:
    """In ``LastRun``'s field order."""
    c = runs.c
    return [c.run_id, c.command, c.outcome, c.started_at, c.finished_at, c.message, c.heartbeat_at]


def gather_facts(engine: Engine, cfg: AppConfig, *, now: datetime | None = None) -> HealthFacts:
    """What ``evaluate`` needs, in a handful of SELECTs."""
    now = now or utcnow()
    monitoring = cfg.settings.monitoring
    names = table_names(cfg)
    pending_limit = now - timedelta(minutes=monitoring.pending_max_age_minutes)
    flight_limit = now - timedelta(minutes=monitoring.in_flight_max_age_minutes)
    orders = _sync_columns(names.target, names.schema)
    lines = _sync_columns(names.lines, names.schema)
    runs = _runs(names.runs, names.schema)
    with engine.connect() as conn:
        facts = HealthFacts(
            now=now,
            environment=cfg.env_name,
            orders=_table_facts(conn, orders, pending_limit, flight_limit),
            lines=_table_facts(conn, lines, pending_limit, flight_limit),
        )
        env = runs.c.environment == cfg.env_name
        sync = runs.c.command == "sync"
        newest_first = runs.c.started_at.desc()
        row = conn.execute(
            select(*_run_columns(runs)).where(env, sync).order_by(newest_first).limit(1)
        ).first()
        if row is not None:
            facts.last_run = LastRun(*row)
        facts.last_success_at = conn.execute(
            select(func.max(runs.c.finished_at)).where(
                env, sync, runs.c.outcome.in_(("success", "nothing"))
            )
        ).scalar()
        running = or_(runs.c.outcome.is_(None), runs.c.outcome == "running")
        query = select(*_run_columns(runs)).order_by(newest_first).limit(50)
        facts.dead_runs = [LastRun(*r) for r in conn.execute(query.where(env, running))]
        window = now - timedelta(hours=monitoring.abandoned_window_hours)
        abandoned = (runs.c.outcome == "abandoned", runs.c.started_at >= window)
        facts.abandoned_runs = [LastRun(*r) for r in conn.execute(query.where(env, *abandoned))]
        facts.rejected_rows, facts.rejected_run = _rejected(conn, runs, env, sync)
        facts.last_verify = _last_verify(conn, runs, env)
        conn.rollback()
    return facts


def _counts(raw: Any) -> dict[str, Any]:
    try:
        data = json.loads(raw) if raw else {}
    except ValueError:
        return {}
    return data if isinstance(data, dict) else {}


def _rejected(conn: Any, runs: TableClause, env: Any, sync: Any) -> tuple[int, str | None]:
    """Staging rows the latest sync that merged left out (0 when it rejected none)."""
    rows = conn.execute(
        select(runs.c.run_id, runs.c.counts)
        .where(env, sync, runs.c.counts.is_not(None))
        .order_by(runs.c.started_at.desc())
        .limit(REJECT_LOOKBACK_RUNS)
    )
    for run_id, raw in rows:
        merge = _counts(raw).get("merge")
        if isinstance(merge, dict):
            return int(merge.get("rejected_rows") or 0), str(run_id)
    return 0, None


def _last_verify(conn: Any, runs: TableClause, env: Any) -> VerifyFacts | None:
    """The latest verify that ended (a verify still running is not a result yet)."""
    ended = (runs.c.outcome.is_not(None), runs.c.outcome != "running")
    row = conn.execute(
        select(*_run_columns(runs), runs.c.counts)
        .where(env, runs.c.command == "verify", *ended)
        .order_by(runs.c.started_at.desc())
        .limit(1)
    ).first()
    if row is None:
        return None
    counts = _counts(row[-1])
    return VerifyFacts(
        LastRun(*row[:-1]), found=_ints(counts.get("found")), left=_ints(counts.get("left"))
    )


def _ints(value: Any) -> dict[str, int]:
    if not isinstance(value, dict):
        return {}
    return {str(k): int(v) for k, v in value.items() if isinstance(v, int | float) and v}


def _table_facts(
    conn: Any, t: TableClause, pending_limit: datetime, flight_limit: datetime
) -> TableFacts:
    facts = TableFacts()
    for state, n in conn.execute(select(t.c.sync_state, func.count()).group_by(t.c.sync_state)):
        facts.by_state[state or "NEW"] = facts.by_state.get(state or "NEW", 0) + int(n)
    pending = (t.c.sync_state == "PENDING", t.c.merged_at < pending_limit)
    facts.pending_too_long, facts.oldest_pending = conn.execute(
        select(func.count(), func.min(t.c.merged_at)).where(*pending)
    ).one()
    stuck = (in_flight(t), t.c.sync_attempted_at < flight_limit)
    facts.in_flight_too_long, facts.oldest_in_flight = conn.execute(
        select(func.count(), func.min(t.c.sync_attempted_at)).where(*stuck)
    ).one()
    return facts


def check_health(engine: Engine, cfg: AppConfig, *, now: datetime | None = None) -> HealthReport:
    facts = gather_facts(engine, cfg, now=now)
    return HealthReport(facts, evaluate(facts, cfg.settings.monitoring))
