"""Bulk jobs in the database: recorded before the start is sent, saved after every
step, so a run that dies leaves the next one everything it needs to carry on.

A job's rows point at it while it runs: their ``sync_doc_key`` is the job's key (which
starts ``bulk-``, and is also the Idempotency-Key of the start mutation), set in the
same transaction that records the job.
"""

from __future__ import annotations

import json
import uuid
from collections.abc import Iterable
from dataclasses import dataclass, field, fields
from datetime import datetime
from typing import Any

from sqlalchemy import Engine, Table, insert, select, update

from sync_order_list.bulk.budget import Spent
from sync_order_list.bulk.csvfile import BulkFile, MappedRow
from sync_order_list.sync.store import chunks, mark_in_flight

PREFIX = "bulk-"
# states a job moves through; SETTLED: its rows were written back, nothing is left to do
OPEN_STATES = ("PREPARED", "UPLOAD_PENDING", "UPLOADED", "PROCESSING")
ENDED_STATES = ("COMPLETED", "FAILED", "REJECTED")


def is_bulk_key(key: str | None) -> bool:
    return bool(key) and str(key).startswith(PREFIX)


def new_key() -> str:
    return PREFIX + uuid.uuid4().hex


@dataclass
class BulkJob:
    key: str
    run_id: str
    board_id: str
    group_id: str
    operation: str  # ingest | backfill
    state: str
    file: str
    row_map: list[MappedRow]
    item_rows: int
    file_rows: int
    created_at: datetime
    updated_at: datetime
    job_id: str | None = None
    upload_url: str | None = field(default=None, repr=False)  # pre-signed: a credential
    upload_expires_at: datetime | None = None
    started_at: datetime | None = None
    items_charged: int | None = None
    counts: dict[str, Any] | None = None
    message: str | None = None

    @classmethod
    def new(
        cls,
        *,
        run_id: str,
        board_id: str,
        group_id: str,
        operation: str,
        bulk_file: BulkFile,
        now: datetime,
    ) -> BulkJob:
        return cls(
            key=new_key(),
            run_id=run_id,
            board_id=board_id,
            group_id=group_id,
            operation=operation,
            state="PREPARED",
            file=bulk_file.text,
            row_map=list(bulk_file.row_map),
            item_rows=bulk_file.item_rows,
            file_rows=bulk_file.rows,
            created_at=now,
            updated_at=now,
            started_at=now,  # charged to the hourly budgets from here (a refusal undoes it)
        )

    def spent(self) -> Spent | None:
        if self.started_at is None:
            return None
        items = self.items_charged if self.items_charged is not None else self.file_rows
        return Spent(self.started_at, self.operation, items)

    def _values(self) -> dict[str, Any]:
        out = {f.name: getattr(self, f.name) for f in fields(self)}
        out["job_key"] = out.pop("key")
        out["row_map"] = BulkFile("", self.row_map).row_map_json()
        out["counts"] = json.dumps(self.counts) if self.counts is not None else None
        return out

    @classmethod
    def from_row(cls, row: Any) -> BulkJob:
        return cls(
            key=row["job_key"],
            run_id=row["run_id"],
            board_id=row["board_id"],
            group_id=row["group_id"],
            operation=row["operation"],
            state=row["state"],
            file=row["file"],
            row_map=BulkFile.parse_row_map(row["row_map"]),
            item_rows=int(row["item_rows"]),
            file_rows=int(row["file_rows"]),
            created_at=row["created_at"],
            updated_at=row["updated_at"],
            job_id=row["job_id"],
            upload_url=row["upload_url"],
            upload_expires_at=row["upload_expires_at"],
            started_at=row["started_at"],
            items_charged=row["items_charged"],
            counts=json.loads(row["counts"]) if row["counts"] else None,
            message=row["message"],
        )


class BulkJournal:
    def __init__(self, engine: Engine, jobs: Table, orders: Table, lines: Table) -> None:
        self.engine, self.jobs, self.orders, self.lines = engine, jobs, orders, lines

    def record(self, job: BulkJob) -> None:
        """The job and its rows' in-flight marks, in one transaction, before the start."""
        with self.engine.begin() as conn:
            conn.execute(insert(self.jobs).values(**job._values()))
            refs = [m.ref for m in job.row_map]
            mark_in_flight(conn, self.orders, self.lines, refs, job.run_id, job.created_at, job.key)

    def save(self, job: BulkJob, now: datetime) -> None:
        job.updated_at = now
        values = job._values()
        for fixed in ("job_key", "file", "row_map", "created_at", "item_rows", "file_rows"):
            values.pop(fixed)
        with self.engine.begin() as conn:
            conn.execute(update(self.jobs).where(self.jobs.c.job_key == job.key).values(**values))

    def load(self, keys: Iterable[str]) -> list[BulkJob]:
        out: list[BulkJob] = []
        with self.engine.connect() as conn:
            for chunk in chunks(sorted(set(keys))):
                rows = conn.execute(select(self.jobs).where(self.jobs.c.job_key.in_(chunk)))
                out.extend(BulkJob.from_row(r._mapping) for r in rows)
        return sorted(out, key=lambda j: (j.created_at, j.key))

    def spent_since(self, since: datetime) -> list[Spent]:
        """What the jobs started since ``since`` charged to the hourly budgets."""
        j = self.jobs
        query = select(j.c.started_at, j.c.operation, j.c.items_charged, j.c.file_rows).where(
            j.c.started_at.is_not(None), j.c.started_at > since
        )
        with self.engine.connect() as conn:
            return [
                Spent(
                    r.started_at,
                    r.operation,
                    int(r.items_charged if r.items_charged is not None else r.file_rows),
                )
                for r in conn.execute(query)
            ]

    def jobs_of_run(self, run_id: str) -> list[BulkJob]:
        with self.engine.connect() as conn:
            rows = conn.execute(select(self.jobs).where(self.jobs.c.run_id == run_id))
            return [BulkJob.from_row(r._mapping) for r in rows]
