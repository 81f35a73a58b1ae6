"""A sync that dies at any step of a bulk job is carried on by the next one: 0
duplicates (items or subitems), 0 missing.

The death is an exception raised right after a step (the run then fails and lets go of
its rows, which stay in flight under the job's key); the next run resumes the job from
its record. A real process killed with SIGKILL while monday processes its job is in
the last test.
"""

from __future__ import annotations

import signal
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import MetaData, Table, select

from sync_order_list.bulk.api import BulkApi
from sync_order_list.bulk.journal import BulkJournal
from tests.bulk.support import (
    assert_no_duplicate_subitems,
    bulk_on,
    bulk_stats,
    labels_already_on_the_board,
)
from tests.sync.harness import Pipeline

N = 40


class Died(Exception):
    """The process 'dies' here."""


def die_after_state(monkeypatch: pytest.MonkeyPatch, state: str) -> None:
    original = BulkJournal.save

    def save(self: BulkJournal, job: Any, now: Any) -> None:
        original(self, job, now)
        if job.state == state:
            raise Died(f"died with the job {state}")

    monkeypatch.setattr(BulkJournal, "save", save)


def die_after_record(monkeypatch: pytest.MonkeyPatch) -> None:
    original = BulkJournal.record

    def record(self: BulkJournal, job: Any) -> None:
        original(self, job)
        raise Died("died with the job recorded, nothing sent")

    monkeypatch.setattr(BulkJournal, "record", record)


def die_after_call(monkeypatch: pytest.MonkeyPatch, name: str) -> None:
    original = getattr(BulkApi, name)

    async def call(self: BulkApi, *args: Any, **kwargs: Any) -> Any:
        await original(self, *args, **kwargs)
        raise Died(f"died after {name}, before its answer was recorded")

    monkeypatch.setattr(BulkApi, name, call)


# each step, in one mode or the other (both modes share every step)
KILL_POINTS = [
    ("recorded", "ingest"),  # PREPARED, nothing sent
    ("start sent", "backfill"),  # monday made the job; its id never recorded
    ("UPLOAD_PENDING", "ingest"),
    ("upload sent", "backfill"),  # monday has the file; the record says UPLOAD_PENDING
    ("upload sent", "ingest"),
    ("UPLOADED", "backfill"),
    ("PROCESSING", "ingest"),
    ("COMPLETED", "backfill"),  # done on monday, nothing read back
]


@pytest.mark.parametrize(("point", "mode"), KILL_POINTS)
def test_a_run_dying_at_each_job_step_is_resumed(
    pipeline: Pipeline, monkeypatch: pytest.MonkeyPatch, point: str, mode: str
) -> None:
    bulk_on(pipeline, mode, rows_per_second=400)
    pipeline.generate(N)
    pipeline.merge()
    labels_already_on_the_board(pipeline)
    with monkeypatch.context() as m:
        if point == "recorded":
            die_after_record(m)
        elif point == "start sent":
            die_after_call(m, "start")
        elif point == "upload sent":
            die_after_call(m, "upload")
        else:
            die_after_state(m, point)
        with pytest.raises(Died):
            pipeline.sync()
    report = pipeline.sync()
    assert report.outcome == "success", (report.message, report.tally.as_dict())
    pipeline.assert_board_matches_database()
    assert_no_duplicate_subitems(pipeline)
    if point in ("recorded", "start sent", "UPLOAD_PENDING", "upload sent"):
        # the jobs the dead run recorded were carried on, not made again
        assert report.bulk["resumed_jobs"] >= 1
    stats = bulk_stats(pipeline)
    assert stats["uploads_ignored"] == 0  # no file sent twice
    # every job monday started is one the database recorded: a resent start was
    # answered with the job it had made (Idempotency-Key), not a second one
    assert stats["jobs_started_total"] == len(recorded_job_ids(pipeline))
    assert pipeline.sync().outcome == "nothing"


def recorded_job_ids(p: Pipeline) -> set[str]:
    jobs = Table("SYNC_BULK_JOBS", MetaData(schema=p.cfg.env.db_schema), autoload_with=p.engine)
    with p.engine.connect() as conn:
        return {r[0] for r in conn.execute(select(jobs.c.job_id)) if r[0]}


@pytest.mark.slow
def test_a_sync_killed_while_monday_processes_its_job(pipeline: Pipeline, tmp_path: Path) -> None:
    """A real process, SIGKILLed while its job is PROCESSING; the next run takes its
    rows over once its heartbeat is stale, and finishes the job."""
    from sync_order_list.chaos import SyncTarget, spawn_sync, wait_until
    from tests.sync.harness import TOKEN
    from tests.sync.test_processes import write_config

    pipeline.generate(N)
    pipeline.merge()
    pipeline.settings(mutation_ms_mean=30, bulk_rows_per_second=20)  # ~10 s a job
    config = write_config(pipeline, tmp_path)
    text = config.read_text(encoding="utf-8")
    text = text.replace('mode = "off"', 'mode = "ingest"').replace(
        "min_orders = 1000", "min_orders = 10"
    )
    text = text.replace("min_job_orders = 50", "min_job_orders = 1")
    text = text.replace("poll_seconds = 10 ", "poll_seconds = 0.2 ")
    config.write_text(text, encoding="utf-8")
    target = SyncTarget(config, pipeline.cfg.database_url, pipeline.emu.url, TOKEN, tmp_path)

    def processing() -> bool:
        jobs = pipeline.admin("/bulk/jobs")
        listed = jobs["jobs"] if isinstance(jobs, dict) else jobs
        return any(j["status"] == "PROCESSING" for j in listed)

    proc = spawn_sync(target)
    assert wait_until(proc, processing, timeout=60), proc.communicate(timeout=30)
    proc.send_signal(signal.SIGKILL)
    proc.wait(timeout=10)
    again = spawn_sync(target)
    _, err = again.communicate(timeout=180)
    assert again.returncode == 0, err.decode()
    pipeline.assert_board_matches_database()
    assert_no_duplicate_subitems(pipeline)
    stats = bulk_stats(pipeline)
    assert stats["uploads_ignored"] == 0
