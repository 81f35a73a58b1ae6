"""Every SQLAlchemy Core statement the sync stage issues, compiled for SQL Server.

No SQL Server runs here. A real run on SQLite records each Core statement the sync,
retry, status and run-history code executes; each is then compiled with the mssql
dialect and parsed by sqlglot's T-SQL grammar. This proves the T-SQL is well-formed,
quoted and parameterised, not that SQL Server executes it (see docs/sql-server.md).
The merge's Jinja2 templates are checked the same way in tests/db/test_templates.py.
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import datetime
from typing import Any

import pytest
import sqlglot
from sqlalchemy import event
from sqlalchemy.dialects import mssql
from sqlalchemy.sql import ClauseElement
from sqlalchemy.sql.elements import TextClause

from monday_emulator import EmulatorSettings, run_in_thread
from sync_order_list.bulk.journal import BulkJournal
from sync_order_list.report.runs import get_run, list_runs
from sync_order_list.report.status import read_status
from sync_order_list.sync import SyncOptions
from sync_order_list.sync.retry import reset_errors
from sync_order_list.sync.store import ClaimFilter, SyncStore
from tests.conftest import Database
from tests.sync.harness import TOKEN, Pipeline


@pytest.fixture
def recorded(sqlite_database: Database) -> Iterator[tuple[Pipeline, list[ClauseElement]]]:
    statements: list[ClauseElement] = []

    def before_execute(conn: Any, clause: Any, *args: Any) -> None:
        if isinstance(clause, ClauseElement) and not isinstance(clause, TextClause):
            statements.append(clause)

    event.listen(sqlite_database.engine, "before_execute", before_execute)
    # no server time: these tests are about the statements, not monday's timing
    with run_in_thread(EmulatorSettings(token=TOKEN, mutation_ms_mean=0, query_ms_mean=0)) as emu:
        yield Pipeline(sqlite_database, emu), statements


def test_sync_statements_compile_to_parseable_tsql(
    recorded: tuple[Pipeline, list[ClauseElement]],
) -> None:
    pipeline, statements = recorded
    pipeline.generate(12)
    pipeline.merge()
    pipeline.sync(SyncOptions(dry_run=True))
    pipeline.sync(SyncOptions(limit=4, customer="GREYSON"))
    pipeline.settings(items_per_board=6)  # some creates fail: ERROR write-back
    pipeline.sync()
    pipeline.settings(items_per_board=10_000)
    reset_errors(pipeline.engine, pipeline.cfg, customer="RHONE", max_retries=5)
    pipeline.generate(12, seed=2)
    pipeline.merge()
    pipeline.faults(script=[{"at": 3, "kind": "drop_after_apply"}])
    pipeline.sync()
    # a first load through the bulk lane: its journal's statements
    pipeline.configure(bulk={"mode": "ingest", "min_orders": 1, "min_job_orders": 1,
                             "poll_seconds": 0.05})  # fmt: skip
    pipeline.generate(30, seed=3)
    pipeline.merge()
    bulk_report = pipeline.sync()
    assert bulk_report.bulk.get("jobs", 0) >= 1, bulk_report.bulk
    tables = SyncStore(pipeline.engine, pipeline.cfg).t
    journal = BulkJournal(pipeline.engine, tables.bulk_jobs, tables.orders, tables.lines)
    journal.load(["bulk-x"])  # what a resuming run reads
    journal.spent_since(datetime(2026, 1, 1))
    read_status(pipeline.engine, pipeline.cfg)
    list_runs(pipeline.engine, pipeline.cfg)
    get_run(pipeline.engine, pipeline.cfg, "latest")
    # the claim is composed per dialect: the statements SQL Server would get
    store = SyncStore(pipeline.engine, pipeline.cfg)
    now = datetime(2026, 1, 1)
    for flt in (ClaimFilter(), ClaimFilter(customer="GREYSON", limit=4)):
        statements += store.claim_statements("run", now, now, flt, dialect="mssql")

    dialect = mssql.dialect(paramstyle="qmark")  # as pyodbc binds: positional
    seen: set[str] = set()
    for statement in statements:
        sql = str(statement.compile(dialect=dialect, compile_kwargs={"render_postcompile": True}))
        if sql in seen:
            continue
        seen.add(sql)
        try:
            trees = sqlglot.parse(sql, read="tsql", error_level=sqlglot.ErrorLevel.RAISE)
        except sqlglot.errors.ParseError as exc:
            raise AssertionError(f"not T-SQL:\n{sql}\n{exc}") from exc
        for tree in trees:
            assert not isinstance(tree, sqlglot.exp.Command), sql
    kinds = {s.split(None, 1)[0].upper() for s in seen}
    assert {"SELECT", "UPDATE", "INSERT", "WITH"} <= kinds
    claims = [s for s in seen if "WITH (UPDLOCK, READPAST, ROWLOCK)" in s]
    assert len(claims) >= 2, "the claim must lock and skip locked rows on SQL Server"
    assert len(seen) > 25
    assert any("SYNC_BULK_JOBS" in s and s.startswith("INSERT") for s in seen)
