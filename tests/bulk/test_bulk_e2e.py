"""First loads through monday's bulk import, against the emulator over HTTP, on SQLite
and PostgreSQL: the board ends equal to the database, subitems included."""

from __future__ import annotations

import pytest

from tests.sync.harness import Pipeline, emulator, pipeline  # noqa: F401

N = 60


def bulk_on(p: Pipeline, mode: str, **extra: object) -> None:
    """Bulk on, and a regular lane slow enough (small documents, 30 ms a mutation) that
    the bulk lane gets most orders, as it does in a first load of thousands."""
    p.configure(
        bulk={"mode": mode, "min_orders": 10, "min_job_orders": 1, "poll_seconds": 0.05, **extra},
        batch={"items_per_request": 2},
    )
    p.settings(mutation_ms_mean=30, bulk_rows_per_second=2000)


@pytest.mark.parametrize("mode", ["ingest", "backfill"])
def test_first_load_in_bulk_matches_the_database(pipeline: Pipeline, mode: str) -> None:
    bulk_on(pipeline, mode)
    pipeline.generate(N)
    pipeline.merge()
    report = pipeline.sync()
    assert report.outcome == "success", (report.message, report.tally.as_dict())
    assert report.bulk["jobs"] >= 1
    assert report.bulk["items_made"] > 0
    pipeline.assert_board_matches_database()
    stats = pipeline.admin("/stats")["bulk"]
    assert stats["jobs_started"].get(f"{mode}_items", 0) >= 1 or stats["jobs_started_total"] >= 1

