"""``check``: is the pipeline healthy? For cron, Airflow and Kubernetes probes.

Two halves: ``gather_facts`` reads what it needs from the database (SELECTs only, on a
read-only connection when the CLI calls it); ``evaluate`` is pure and turns the facts
into problems by the ``[monitoring]`` thresholds:

- ``pending_too_long`` (warn): rows PENDING for longer than ``pending_max_age_minutes``,
  counted from ``merged_at`` (orders and size lines, one problem each);
- ``in_flight_too_long`` (warn): rows a run claimed and started sending more than
  ``in_flight_max_age_minutes`` ago and never finished (the next sync reconciles them);
- ``error_share`` (alert): ERROR rows / rows the sync is responsible for (every state but
  NEW) above ``error_share_threshold``, orders and lines separately;
- ``last_run_failed`` (alert): the environment's latest run has outcome ``failed``;
- ``dead_run`` (alert): the latest run is still ``running`` after
  ``in_flight_max_age_minutes`` (the process died without recording its end).

Exit codes (``HealthReport.exit_code``): 0 healthy, 1 at least one problem; the CLI
returns 2 when it cannot check at all (configuration, no database, unreachable).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any

from sqlalchemy import DateTime, Engine, String, column, func, select, table
from sqlalchemy.sql.expression import TableClause

from sync_order_list.config import AppConfig
from sync_order_list.config.models import MonitoringSettings
from sync_order_list.db.setup import table_names
from sync_order_list.report.status import STATES, in_flight

EXIT_HEALTHY = 0
EXIT_PROBLEM = 1
EXIT_CANNOT_CHECK = 2

WARN, ALERT = "warn", "alert"


def utcnow() -> datetime:
    """Naive UTC, as the sync columns store it."""
    return datetime.now(UTC).replace(tzinfo=None)


@dataclass(frozen=True)
class Problem:
    code: str
    severity: str
    message: str
    table: str | None = None
    count: int | None = None

    def line(self) -> str:
        return f"{self.severity.upper()} {self.code}: {self.message}"

    def as_dict(self) -> dict[str, Any]:
        return {
            "code": self.code,
            "severity": self.severity,
            "table": self.table,
            "count": self.count,
            "message": self.message,
        }


@dataclass
class TableFacts:
    """One table's sync states, and its rows waiting or in flight past the limits."""

    by_state: dict[str, int] = field(default_factory=dict)
    pending_too_long: int = 0
    oldest_pending: datetime | None = None
    in_flight_too_long: int = 0
    oldest_in_flight: datetime | None = None

    @property
    def tracked(self) -> int:
        """Rows the sync is responsible for: every state but NEW."""
        return sum(n for state, n in self.by_state.items() if state != "NEW")

    @property
    def errors(self) -> int:
        return self.by_state.get("ERROR", 0)

    @property
    def error_share(self) -> float:
        return self.errors / self.tracked if self.tracked else 0.0

    def as_dict(self) -> dict[str, Any]:
        return {
            "by_state": {s: self.by_state.get(s, 0) for s in STATES},
            "error_share": round(self.error_share, 4),
            "pending_too_long": self.pending_too_long,
            "oldest_pending": _iso(self.oldest_pending),
            "in_flight_too_long": self.in_flight_too_long,
            "oldest_in_flight": _iso(self.oldest_in_flight),
        }


@dataclass(frozen=True)
class LastRun:
    run_id: str
    command: str
    outcome: str | None
    started_at: datetime
    finished_at: datetime | None
    message: str | None

    def as_dict(self) -> dict[str, Any]:
        return {
            "run_id": self.run_id,
            "command": self.command,
            "outcome": self.outcome,
            "started_at": _iso(self.started_at),
            "finished_at": _iso(self.finished_at),
            "message": self.message,
        }


@dataclass
class HealthFacts:
    now: datetime
    environment: str
    orders: TableFacts
    lines: TableFacts
    last_run: LastRun | None = None
    last_success_at: datetime | None = None

    def as_dict(self) -> dict[str, Any]:
        return {
            "now": _iso(self.now),
            "environment": self.environment,
            "orders": self.orders.as_dict(),
            "lines": self.lines.as_dict(),
            "last_run": self.last_run.as_dict() if self.last_run else None,
            "last_success_at": _iso(self.last_success_at),
        }


@dataclass
class HealthReport:
    facts: HealthFacts
    problems: list[Problem]

    @property
    def healthy(self) -> bool:
        return not self.problems

    @property
    def exit_code(self) -> int:
        return EXIT_HEALTHY if self.healthy else EXIT_PROBLEM

    def summary(self) -> str:
        """One line for a healthy state."""
        o = self.facts.orders.by_state
        text = (
            f"healthy: {self.facts.orders.tracked} orders "
            f"({o.get('SYNCED', 0)} synced, {o.get('PENDING', 0)} pending, "
            f"{o.get('ERROR', 0)} in error)"
        )
        run = self.facts.last_run
        if run is not None:
            text += f"; last run {run.run_id[:8]} {run.outcome} at {run.started_at:%Y-%m-%d %H:%M}"
        return text

    def as_dict(self) -> dict[str, Any]:
        return {
            "healthy": self.healthy,
            "exit_code": self.exit_code,
            "problems": [p.as_dict() for p in self.problems],
            "facts": self.facts.as_dict(),
        }


def _iso(value: datetime | None) -> str | None:
    return value.isoformat() if value else None


def _age(now: datetime, since: datetime | None) -> str:
    if since is None:
        return "?"
    minutes = max(0.0, (now - since).total_seconds() / 60)
    if minutes >= 120:
        return f"{minutes / 60:.1f} h"
    return f"{minutes:.0f} min"


# --------------------------------------------------------------------------- pure


def evaluate(facts: HealthFacts, monitoring: MonitoringSettings) -> list[Problem]:
    """The problems in ``facts`` by the ``[monitoring]`` thresholds (no I/O)."""
    problems: list[Problem] = []
    now = facts.now
    for label, t in (("orders", facts.orders), ("lines", facts.lines)):
        if t.pending_too_long:
            problems.append(
                Problem(
                    "pending_too_long",
                    WARN,
                    f"{t.pending_too_long} {label} PENDING for more than "
                    f"{monitoring.pending_max_age_minutes:g} minutes "
                    f"(oldest merged {_age(now, t.oldest_pending)} ago); is the sync running?",
                    label,
                    t.pending_too_long,
                )
            )
    for label, t in (("orders", facts.orders), ("lines", facts.lines)):
        if t.in_flight_too_long:
            problems.append(
                Problem(
                    "in_flight_too_long",
                    WARN,
                    f"{t.in_flight_too_long} {label} in flight for more than "
                    f"{monitoring.in_flight_max_age_minutes:g} minutes "
                    f"(oldest sent {_age(now, t.oldest_in_flight)} ago); "
                    "the next sync looks them up by key",
                    label,
                    t.in_flight_too_long,
                )
            )
    for label, t in (("orders", facts.orders), ("lines", facts.lines)):
        if t.tracked and t.error_share > monitoring.error_share_threshold:
            problems.append(
                Problem(
                    "error_share",
                    ALERT,
                    f"{t.error_share * 100:.1f}% of {label} are in ERROR ({t.errors} of "
                    f"{t.tracked}), above error_share_threshold "
                    f"{monitoring.error_share_threshold * 100:g}%; see `sync-order-list report`",
                    label,
                    t.errors,
                )
            )
    run = facts.last_run
    if run is not None:
        if run.outcome == "failed":
            detail = f": {_one_line(run.message)}" if run.message else ""
            problems.append(
                Problem(
                    "last_run_failed",
                    ALERT,
                    f"the last run {run.run_id} ({run.command}, started "
                    f"{run.started_at:%Y-%m-%d %H:%M:%S} UTC) failed{detail}",
                )
            )
        elif run.outcome in (None, "running") and now - run.started_at > timedelta(
            minutes=monitoring.in_flight_max_age_minutes
        ):
            problems.append(
                Problem(
                    "dead_run",
                    ALERT,
                    f"the last run {run.run_id} ({run.command}) started "
                    f"{_age(now, run.started_at)} ago and never recorded its end "
                    f"(more than {monitoring.in_flight_max_age_minutes:g} minutes): "
                    "it probably died",
                )
            )
    return problems


def _one_line(text: str, limit: int = 300) -> str:
    flat = " ".join(text.split())
    return flat if len(flat) <= limit else flat[: limit - 1] + "\u2026"


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
        column("message", String()),
        schema=schema,
    )


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
        row = conn.execute(
            select(
                runs.c.run_id,
                runs.c.command,
                runs.c.outcome,
                runs.c.started_at,
                runs.c.finished_at,
                runs.c.message,
            )
            .where(env)
            .order_by(runs.c.started_at.desc())
            .limit(1)
        ).first()
        if row is not None:
            facts.last_run = LastRun(*row)
        facts.last_success_at = conn.execute(
            select(func.max(runs.c.finished_at)).where(
                env, runs.c.outcome.in_(("success", "nothing"))
            )
        ).scalar()
        conn.rollback()
    return facts


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
