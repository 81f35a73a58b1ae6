"""What ``check`` knows (facts read from the database) and what it finds (problems)."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from sync_order_list.report.status import STATES

EXIT_HEALTHY = 0
EXIT_PROBLEM = 1
EXIT_CANNOT_CHECK = 2

WARN, ALERT = "warn", "alert"


def iso(value: datetime | None) -> str | None:
    return value.isoformat() if value else None


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
            "oldest_pending": iso(self.oldest_pending),
            "in_flight_too_long": self.in_flight_too_long,
            "oldest_in_flight": iso(self.oldest_in_flight),
        }


@dataclass(frozen=True)
class LastRun:
    """One row of the run history."""

    run_id: str
    command: str
    outcome: str | None
    started_at: datetime
    finished_at: datetime | None
    message: str | None
    heartbeat_at: datetime | None = None

    @property
    def alive_at(self) -> datetime:
        """When the run last said it was alive (its heartbeat, else its start)."""
        return self.heartbeat_at or self.started_at

    def as_dict(self) -> dict[str, Any]:
        return {
            "run_id": self.run_id,
            "command": self.command,
            "outcome": self.outcome,
            "started_at": iso(self.started_at),
            "finished_at": iso(self.finished_at),
            "heartbeat_at": iso(self.heartbeat_at),
            "message": self.message,
        }


@dataclass(frozen=True)
class VerifyFacts:
    """The last ``verify``: when, and the differences it left (``left``: not put back
    on the sync path; orphans always stay)."""

    run: LastRun
    found: dict[str, int] = field(default_factory=dict)
    left: dict[str, int] = field(default_factory=dict)

    @property
    def left_total(self) -> int:
        return sum(self.left.values())

    def as_dict(self) -> dict[str, Any]:
        return {**self.run.as_dict(), "found": self.found, "left": self.left}


@dataclass
class HealthFacts:
    now: datetime
    environment: str
    orders: TableFacts
    lines: TableFacts
    last_run: LastRun | None = None  # the environment's latest sync run
    last_success_at: datetime | None = None
    dead_runs: list[LastRun] = field(default_factory=list)  # running, heartbeat stale
    abandoned_runs: list[LastRun] = field(default_factory=list)  # within the window
    rejected_rows: int = 0  # staging rows the latest sync's merge left out
    rejected_run: str | None = None
    last_verify: VerifyFacts | None = None

    def as_dict(self) -> dict[str, Any]:
        return {
            "now": iso(self.now),
            "environment": self.environment,
            "orders": self.orders.as_dict(),
            "lines": self.lines.as_dict(),
            "last_run": self.last_run.as_dict() if self.last_run else None,
            "last_success_at": iso(self.last_success_at),
            "dead_runs": [r.as_dict() for r in self.dead_runs],
            "abandoned_runs": [r.as_dict() for r in self.abandoned_runs],
            "rejected_rows": self.rejected_rows,
            "rejected_run": self.rejected_run,
            "last_verify": self.last_verify.as_dict() if self.last_verify else None,
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
        verify = self.facts.last_verify
        if verify is not None:
            text += f"; board verified {verify.run.started_at:%Y-%m-%d %H:%M}"
        return text

    def as_dict(self) -> dict[str, Any]:
        return {
            "healthy": self.healthy,
            "exit_code": self.exit_code,
            "problems": [p.as_dict() for p in self.problems],
            "facts": self.facts.as_dict(),
        }
