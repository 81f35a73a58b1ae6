"""``report`` and ``check`` never write to the database."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import text
from sqlalchemy.exc import DBAPIError

from sync_order_list.report.readonly import read_only_engine
from tests.report.support import Pipeline, dump_tables


def test_report_and_check_leave_every_table_as_it_was(pipeline: Pipeline) -> None:
    p = pipeline
    first = p.run(orders=10, bogus=2)
    p.sync()  # a second run, with nothing to do
    # some rows pending for long, so `check` walks its problem paths too
    old = datetime.now(UTC).replace(tzinfo=None) - timedelta(days=1)
    with p.engine.begin() as conn:
        conn.execute(
            text(
                f"UPDATE {p.q(p.cfg.env.lines_table)} SET sync_state = 'PENDING', "
                "merged_at = :t, sync_attempted_at = :t, sync_completed_at = NULL "
                "WHERE line_id IN (SELECT MIN(line_id) FROM "
                f"{p.q(p.cfg.env.lines_table)})"
            ),
            {"t": old},
        )
    before = dump_tables(p)
    assert before[p.cfg.settings.tables.runs] and before[p.cfg.env.target_table]

    customers = sorted(first.tally.customers)[:2]
    invocations = [
        ["report"],
        ["report", "latest", "--format", "json"],
        ["report", first.run_id, "--format", "html"],
        ["report", first.run_id, "--regenerate"],
        ["report", first.run_id[:8], "--format", "json"],
        *(["report", first.run_id, "--customer", c] for c in customers),
        *(["report", first.run_id, "--customer", c, "--format", "json"] for c in customers),
        ["report", "no-such-run"],
        ["report", "latest", "--customer", "nobody"],
        ["check"],
        ["check", "--json"],
    ]
    codes = [p.cli(*args).exit_code for args in invocations]
    assert codes[: 5 + 2 * len(customers)] == [0] * (5 + 2 * len(customers))
    assert codes[-4:] == [2, 2, 1, 1]

    assert dump_tables(p) == before


def test_the_read_only_engine_refuses_writes(pipeline: Pipeline) -> None:
    p = pipeline
    engine = read_only_engine(p.cfg.database_url)
    table = p.q(p.cfg.settings.tables.runs)
    try:
        with engine.connect() as conn:
            assert conn.execute(text(f"SELECT COUNT(*) FROM {table}")).scalar() == 0
            with pytest.raises(DBAPIError, match="read-?only"):
                conn.execute(
                    text(
                        f"INSERT INTO {table} (run_id, environment, command, started_at, dry_run)"
                        " VALUES ('x', 'development', 'sync', :t, 0)"
                    ),
                    {"t": datetime(2026, 1, 1)},
                )
                conn.commit()
    finally:
        engine.dispose()
    with p.engine.connect() as conn:
        assert conn.execute(text(f"SELECT COUNT(*) FROM {table}")).scalar() == 0
