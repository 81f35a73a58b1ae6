"""Run history: one ``SYNC_RUNS`` row per run (``sync`` and ``verify``), started when
the run starts and finished at its end (a failed one too)."""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import Engine, MetaData, Table, insert, select, update

from sync_order_list.config import AppConfig
from sync_order_list.db.setup import table_names
from sync_order_list.logs import redact


def runs_table(engine: Engine, cfg: AppConfig) -> Table:
    names = table_names(cfg)
    with engine.connect() as conn:
        return Table(names.runs, MetaData(schema=names.schema), autoload_with=conn)


@dataclass(frozen=True)
class RunRecord:
    run_id: str
    environment: str
    command: str
    started_at: datetime
    finished_at: datetime | None
    outcome: str | None
    dry_run: bool
    phases: dict[str, float]
    counts: dict[str, Any]
    api_requests: int | None
    complexity_charged: int | None
    retries: int | None
    rate_limited: int | None
    synced_rows: int | None
    error_rows: int | None
    message: str | None

    @classmethod
    def from_row(cls, row: Any) -> RunRecord:
        m = row._mapping
        return cls(
            run_id=m["run_id"],
            environment=m["environment"],
            command=m["command"],
            started_at=m["started_at"],
            finished_at=m["finished_at"],
            outcome=m["outcome"],
            dry_run=bool(m["dry_run"]),
            phases=json.loads(m["phases"] or "{}"),
            counts=json.loads(m["counts"] or "{}"),
            api_requests=m["api_requests"],
            complexity_charged=m["complexity_charged"],
            retries=m["retries"],
            rate_limited=m["rate_limited"],
            synced_rows=m["synced_rows"],
            error_rows=m["error_rows"],
            message=m["message"],
        )


def start_run(
    engine: Engine, cfg: AppConfig, run_id: str, started_at: datetime, command: str, dry_run: bool
) -> None:
    table = runs_table(engine, cfg)
    with engine.begin() as conn:
        conn.execute(
            insert(table).values(
                run_id=run_id,
                environment=cfg.env_name,
                command=command,
                started_at=started_at,
                outcome="running",
                dry_run=int(dry_run),
            )
        )


def finish_run(
    engine: Engine,
    cfg: AppConfig,
    run_id: str,
    *,
    finished_at: datetime,
    outcome: str,
    phases: dict[str, float],
    counts: dict[str, Any],
    api: dict[str, Any],
    synced_rows: int,
    error_rows: int,
    message: str | None,
) -> None:
    table = runs_table(engine, cfg)
    with engine.begin() as conn:
        conn.execute(
            update(table)
            .where(table.c.run_id == run_id)
            .values(
                finished_at=finished_at,
                outcome=outcome,
                phases=json.dumps({k: round(v, 3) for k, v in phases.items()}),
                counts=redact(json.dumps(counts, default=str, ensure_ascii=False)),
                api_requests=int(api.get("requests", 0)),
                complexity_charged=int(api.get("complexity_charged", 0)),
                retries=int(api.get("retries", 0)),
                rate_limited=int(api.get("rate_limited", 0)),
                synced_rows=synced_rows,
                error_rows=error_rows,
                message=redact(message) if message else None,
            )
        )


def list_runs(
    engine: Engine, cfg: AppConfig, limit: int = 20, *, command: str | None = None
) -> list[RunRecord]:
    table = runs_table(engine, cfg)
    query = select(table).order_by(table.c.started_at.desc()).limit(limit)
    if command is not None:
        query = query.where(table.c.command == command)
    with engine.connect() as conn:
        return [RunRecord.from_row(r) for r in conn.execute(query)]


def get_run(engine: Engine, cfg: AppConfig, run_id: str) -> RunRecord | None:
    """A run by id; ``latest``: the newest sync run (verify runs have no report)."""
    table = runs_table(engine, cfg)
    with engine.connect() as conn:
        if run_id == "latest":
            query = (
                select(table)
                .where(table.c.command == "sync")
                .order_by(table.c.started_at.desc())
                .limit(1)
            )
        else:
            query = select(table).where(table.c.run_id == run_id)
        row = conn.execute(query).first()
    return RunRecord.from_row(row) if row else None
