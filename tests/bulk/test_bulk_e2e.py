"""First loads through monday's bulk import, against the emulator over HTTP, on SQLite
and PostgreSQL: the board ends equal to the database, value for value, subitems
included; rows monday refuses are ERROR with its reason; a rejected job falls back."""

from __future__ import annotations

import pytest
from sqlalchemy import MetaData, Table, func, select

from tests.bulk.support import (
    assert_no_duplicate_subitems,
    bulk_on,
    bulk_stats,
    labels_already_on_the_board,
)
from tests.sync.harness import Pipeline

N = 40


@pytest.mark.parametrize("mode", ["ingest", "backfill"])
def test_first_load_in_bulk_matches_the_database(pipeline: Pipeline, mode: str) -> None:
    bulk_on(pipeline, mode)
    pipeline.generate(N)
    pipeline.merge()
    labels_already_on_the_board(pipeline)
    report = pipeline.sync()
    assert report.outcome == "success", (report.message, report.tally.as_dict())
    assert report.bulk["jobs"] >= 1 and report.bulk["items_made"] >= 1
    assert report.bulk["subitems_made"] >= 1
    pipeline.assert_board_matches_database()
    assert_no_duplicate_subitems(pipeline)
    stats = bulk_stats(pipeline)
    assert stats["jobs_started"][f"{mode}_items"] == report.bulk["jobs"]
    # a re-run has nothing to do
    again = pipeline.sync()
    assert again.outcome == "nothing"


def test_bulk_off_below_min_orders(pipeline: Pipeline) -> None:
    bulk_on(pipeline, "ingest", min_orders=N + 1)
    pipeline.generate(N)
    pipeline.merge()
    labels_already_on_the_board(pipeline)
    report = pipeline.sync()
    assert report.outcome == "success"
    assert report.bulk["jobs"] == 0 and "min_orders" in report.bulk["skipped_reason"]
    assert bulk_stats(pipeline)["jobs_started_total"] == 0
    pipeline.assert_board_matches_database()


def test_rows_monday_refuses_are_errors_with_its_reason(pipeline: Pipeline) -> None:
    """monday refuses names over its limit (here set to 24 characters): in the job's
    report those rows are invalid, and they become ERROR rows naming monday's reason;
    the others land. (Orders whose group name is too long fail before any job.)"""
    bulk_on(pipeline, "ingest")
    pipeline.generate(N)
    pipeline.merge()
    labels_already_on_the_board(pipeline)
    pipeline.settings(name_max_chars=24)
    report = pipeline.sync()
    assert report.outcome == "partial"
    orders = pipeline.orders()
    long_names = {
        k for k, o in orders.items() if len(o["item_name"]) > 24 or len(o["group_name"]) > 24
    }
    assert long_names, "the sample needs some long names"
    errors = {k: o["sync_error"] for k, o in orders.items() if o["sync_state"] == "ERROR"}
    assert set(errors) == long_names
    bulk_refused = [e for e in errors.values() if "bulk import refused row" in e]
    assert bulk_refused and all("too long" in e for e in bulk_refused)
    synced = {k for k, o in orders.items() if o["sync_state"] == "SYNCED"}
    assert synced == set(orders) - long_names
    items = pipeline.board_items_by_key()
    assert set(items) == synced and all(len(v) == 1 for v in items.values())
    assert_no_duplicate_subitems(pipeline)


def test_a_job_rejected_for_capacity_falls_back_to_the_regular_path(pipeline: Pipeline) -> None:
    """The account's hourly item budget is used up elsewhere: monday rejects the job
    (ACCOUNT_CAPACITY_EXCEEDED); its orders go through the regular API, and bulk stops
    for the run."""
    bulk_on(pipeline, "ingest")
    pipeline.settings(bulk_ingest_items_per_hour=3)  # another integration spent the rest
    pipeline.generate(N)
    pipeline.merge()
    labels_already_on_the_board(pipeline)
    report = pipeline.sync()
    assert report.outcome == "success", report.message
    # jobs already running when the first was rejected are rejected too; none after
    assert set(report.bulk["rejected"]) == {"ACCOUNT_CAPACITY_EXCEEDED"}
    assert sum(report.bulk["rejected"].values()) == report.bulk["jobs"]
    assert report.bulk["jobs"] <= 8 and report.bulk["items_made"] == 0
    assert report.bulk["returned"] > 0
    pipeline.assert_board_matches_database()
    assert_no_duplicate_subitems(pipeline)
    rejected = bulk_stats(pipeline)["jobs_rejected"]
    assert rejected == {"ACCOUNT_CAPACITY_EXCEEDED": report.bulk["jobs"]}


def test_the_hourly_job_budget_is_kept_across_runs(pipeline: Pipeline) -> None:
    """Jobs recorded by earlier runs count: once the hour's job starts are used, the
    next run starts no job and sends its orders through the regular API."""
    bulk_on(pipeline, "ingest", jobs_per_hour=1, hourly_share=1.0)
    pipeline.generate(N, seed=1)
    pipeline.merge()
    labels_already_on_the_board(pipeline)
    first = pipeline.sync()
    assert first.bulk["jobs"] == 1
    jobs = Table("SYNC_BULK_JOBS", MetaData(schema=pipeline.cfg.env.db_schema),
                 autoload_with=pipeline.engine)  # fmt: skip
    with pipeline.engine.connect() as conn:
        started = conn.execute(
            select(func.count()).select_from(jobs).where(jobs.c.started_at.is_not(None))
        ).scalar_one()
    assert started == 1 == bulk_stats(pipeline)["jobs_started_total"]
    pipeline.generate(2 * N, seed=2)  # new orders arrive within the hour
    pipeline.merge()
    second = pipeline.sync()
    assert second.outcome == "success"
    assert second.bulk["jobs"] == 0
    # the budget frees only in an hour: the regular lanes were fed the orders as they
    # could send them, not all at once
    assert second.bulk["fed_to_regular"] > 0
    assert bulk_stats(pipeline)["jobs_started_total"] == 1
    pipeline.assert_board_matches_database()
    assert_no_duplicate_subitems(pipeline)


def test_a_refused_start_stops_the_bulk_lane(pipeline: Pipeline) -> None:
    """backfill_items with a token whose user is no admin: monday refuses the start
    (nothing is made); the lane stops at once and the orders take the regular path."""
    bulk_on(pipeline, "backfill", concurrent_jobs=1)
    pipeline.settings(user_is_admin=False)
    pipeline.generate(N)
    pipeline.merge()
    labels_already_on_the_board(pipeline)
    report = pipeline.sync()
    assert report.outcome == "success", report.message
    assert report.bulk["jobs"] == 1 and report.bulk["items_made"] == 0
    assert bulk_stats(pipeline)["jobs_started_total"] == 0
    pipeline.assert_board_matches_database()
    assert_no_duplicate_subitems(pipeline)
