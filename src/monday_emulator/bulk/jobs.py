"""``BulkJobs``: monday's asynchronous bulk import (``ingest_items``,
``backfill_items``, ``fetch_job_status``), on the emulator's store and clock.

A job is started by a mutation (``UPLOAD_PENDING``, with a pre-signed upload URL the
emulator serves itself), gets its CSV file by ``PUT`` (``accept_file``: checked whole,
then ``PROCESSING``), and is processed at ``bulk_rows_per_second`` rows a second of
the emulator's clock until it is ``COMPLETED`` or ``FAILED``; a file refused whole
ends it ``REJECTED``. Processing is a function of the clock: ``catch_up()`` brings
every job to where the clock says it is, whoever calls it (a status fetch, any
request to the server, the server's background ticker), so a test that moves a
``ManualClock`` and then fetches the status sees exactly the rows due by then.

Jobs live in memory (like cursors): a restart forgets them, the items they made stay.
"""

from __future__ import annotations

import logging
import math
import secrets
import uuid
from collections import Counter
from contextvars import ContextVar
from dataclasses import dataclass, field
from typing import Any

from .. import errors
from ..clock import Clock
from ..errors import MondayError
from ..settings import EmulatorSettings
from ..store.model import DELETED, Board
from ..store.store import Store
from . import urls
from .budget import BulkRejection, RollingWindow, rejection
from .csvfile import InvalidUpload, read_file
from .model import (
    ACCOUNT_CAPACITY_EXCEEDED,
    BACKFILL,
    COMPLETED,
    FAILED,
    FILE_TOO_LARGE,
    INGEST,
    INTERNAL_ERROR,
    INVALID_UPLOAD,
    PROCESSING,
    REJECTED,
    UPLOAD_PENDING,
    Job,
    OnMatch,
)
from .processing import Runner
from .report import render
from .values import SUPPORTED_TYPES

log = logging.getLogger(__name__)

# Where the client reached the server (``http://127.0.0.1:PORT``): the upload and report
# URLs point there. Set per request by the server (``routes.py``).
REQUEST_ORIGIN: ContextVar[str] = ContextVar("bulk_request_origin", default="http://127.0.0.1")

START_FIELDS = frozenset({INGEST, BACKFILL})


class StartsExhausted(MondayError):
    """A job start past the hourly job limit that the pre-execution check could not
    see (a start inside a fragment): the 429's fields, as a field error."""

    def __init__(self, refusal: BulkRejection) -> None:
        super().__init__(refusal.code, refusal.message, 429, {})
        self.refusal = refusal

    def extensions(self) -> dict[str, Any]:
        data = super().extensions()
        data["retryAfterMs"] = self.refusal.retry_after_ms
        data["retry_in_seconds"] = self.refusal.retry_in_seconds
        return data


@dataclass
class BulkStats:
    """The ``bulk`` part of ``GET /admin/stats``."""

    jobs_started: Counter[str] = field(default_factory=Counter)
    job_starts_refused: int = 0
    jobs_completed: int = 0
    jobs_failed: Counter[str] = field(default_factory=Counter)
    jobs_rejected: Counter[str] = field(default_factory=Counter)
    uploads_accepted: int = 0
    uploads_ignored: int = 0
    uploads_refused: Counter[str] = field(default_factory=Counter)
    rows_processed: int = 0
    rows_by_outcome: Counter[str] = field(default_factory=Counter)
    items_created: int = 0
    subitems_created: int = 0
    items_updated: int = 0
    reports_downloaded: int = 0

    def reset(self) -> None:
        self.__dict__.update(BulkStats().__dict__)

    def to_dict(self) -> dict[str, Any]:
        return {
            "jobs_started": dict(self.jobs_started),
            "jobs_started_total": sum(self.jobs_started.values()),
            "job_starts_refused": self.job_starts_refused,
            "jobs_completed": self.jobs_completed,
            "jobs_failed": dict(self.jobs_failed),
            "jobs_rejected": dict(self.jobs_rejected),
            "uploads_accepted": self.uploads_accepted,
            "uploads_ignored": self.uploads_ignored,
            "uploads_refused": dict(self.uploads_refused),
            "rows_processed": self.rows_processed,
            "rows_by_outcome": dict(self.rows_by_outcome),
            "items_created": self.items_created,
            "subitems_created": self.subitems_created,
            "items_updated": self.items_updated,
            "reports_downloaded": self.reports_downloaded,
        }


class BulkJobs:
    def __init__(self, settings: EmulatorSettings, clock: Clock, store: Store) -> None:
        self.settings = settings
        self.clock = clock
        self.store = store
        self.secret = secrets.token_bytes(32)
        self.jobs: dict[str, Job] = {}
        self.processing: dict[str, Job] = {}  # the jobs catch_up() moves on
        self.slots: list[float] = []  # when each processing slot is free (inf: busy)
        self.starts = RollingWindow()  # job starts, both mutations
        self.items = RollingWindow()  # ingest_items' creates and updates
        self.stats = BulkStats()

    def reset(self) -> None:
        self.jobs.clear()
        self.processing.clear()
        self.slots.clear()
        self.starts.clear()
        self.items.clear()
        self.stats.reset()

    # ------------------------------------------------------------ the hourly job limit

    def admit(self, operation_type: str, root_fields: list[str]) -> BulkRejection | None:
        """Before a document runs: refuse it whole (HTTP 429) when the job starts it
        holds don't fit in the hour's job limit."""
        if operation_type != "mutation":
            return None
        wanted = sum(1 for name in root_fields if name in START_FIELDS)
        if not wanted:
            return None
        refusal = self._starts_refusal(wanted)
        if refusal is not None:
            self.stats.job_starts_refused += 1
        return refusal

    def _starts_refusal(self, wanted: int) -> BulkRejection | None:
        limit = self.settings.bulk_jobs_per_hour
        if limit is None:
            return None
        now = self.clock.monotonic()
        length = self.settings.bulk_window_seconds
        wait = self.starts.wait_for(now, length, limit, wanted)
        if wait <= 0:
            return None
        return rejection(
            f"Rate limit exceeded: at most {limit} bulk import jobs (ingest_items and "
            f"backfill_items together) can be started an hour",
            wait,
        )

    # ------------------------------------------------------------ starting a job

    def start(
        self,
        operation: str,
        board_id: Any,
        group_id: str,
        on_match: dict[str, Any] | None = None,
    ) -> Job:
        """Start a job (``UPLOAD_PENDING``) or raise monday's error."""
        if operation == BACKFILL and not self.settings.user_is_admin:
            raise MondayError(
                "USER_UNAUTHORIZED",
                "User unauthorized to perform action",
                403,
                {"reason": "backfill_items needs an account admin"},
            )
        board = self.store.get_board(board_id)
        if board.type == "sub_items_board":
            raise errors.invalid_argument(
                "Bulk import writes to a board, not to its subitems board: import subitems "
                "as name.subitem rows into the parent board",
                board_id=board.id,
            )
        group = self.store.get_group(board, group_id)
        if group.archived:
            raise errors.invalid_argument("The group is archived", group_id=group_id)
        match = self._on_match(board, on_match) if on_match is not None else None
        refusal = self._starts_refusal(1)
        if refusal is not None:  # a start the pre-execution check could not see
            self.stats.job_starts_refused += 1
            raise StartsExhausted(refusal)
        now = self.clock.monotonic()
        self.starts.add(now, 1)
        job_id = str(uuid.uuid4())
        issued = self.clock.now()
        url = urls.sign(
            self.secret,
            REQUEST_ORIGIN.get(),
            "upload",
            job_id,
            issued,
            self.settings.bulk_upload_url_ttl_seconds,
        )
        job = Job(
            id=job_id,
            operation=operation,
            board_id=board.id,
            group_id=group.id,
            on_match=match,
            created_at=now,
            created_on=issued,
            upload_url=url,
        )
        self.jobs[job_id] = job
        self.stats.jobs_started[operation] += 1
        return job

    @staticmethod
    def _on_match(board: Board, on_match: dict[str, Any]) -> OnMatch:
        column_id = str(on_match.get("match_column_id"))
        behaviour = str(on_match.get("behaviour"))
        column = board.columns.get(column_id)
        if column is None or column.archived:
            raise errors.invalid_column(column_id, board.id)
        if column.type not in SUPPORTED_TYPES:
            raise errors.invalid_argument(
                f"on_match.match_column_id: column '{column_id}' is a {column.type} column; "
                f"match on a column of a type bulk import writes ({', '.join(SUPPORTED_TYPES)})",
                column_id=column_id,
            )
        return OnMatch(column_id, behaviour)

    # ------------------------------------------------------------ the upload

    def get(self, job_id: str) -> Job | None:
        return self.jobs.get(job_id)

    def refuse_upload(self, reason: str) -> None:
        self.stats.uploads_refused[reason] += 1

    def too_large(self, job: Job, size: int) -> None:
        """The upload passed ``bulk_max_file_bytes``: the job ends REJECTED."""
        self.stats.uploads_refused["EntityTooLarge"] += 1
        if job.status != UPLOAD_PENDING:
            return
        limit = self.settings.bulk_max_file_bytes
        job.uploaded_bytes = size
        self._reject(
            job,
            FILE_TOO_LARGE,
            f"The uploaded file is larger than the {limit:,} bytes a job takes: split the rows "
            "over several jobs",
        )

    def accept_file(self, job: Job, data: bytes) -> bool:
        """The first accepted upload: check the file whole, then process it (or reject
        the job). Any later upload changes nothing (False)."""
        if job.status != UPLOAD_PENDING:
            job.ignored_uploads += 1
            self.stats.uploads_ignored += 1
            return False
        self.stats.uploads_accepted += 1
        job.uploaded_bytes = len(data)
        board = self.store.boards.get(job.board_id)
        limit = (
            self.settings.bulk_ingest_max_rows
            if job.operation == INGEST
            else self.settings.bulk_backfill_max_rows
        )
        try:
            if board is None or board.state == DELETED:
                raise InvalidUpload(f"Board {job.board_id} no longer exists")
            job.file = read_file(
                data,
                board,
                self.store.subitems_board_of(board),
                job.on_match.column_id if job.on_match else None,
                limit,
                job.operation,
            )
        except InvalidUpload as exc:
            self._reject(job, INVALID_UPLOAD, str(exc))
            return True
        rows = len(job.file.rows)
        job.counts.submitted = rows
        now = self.clock.monotonic()
        budget = self.settings.bulk_ingest_items_per_hour
        if job.operation == INGEST and budget is not None:
            length = self.settings.bulk_window_seconds
            used = self.items.used(now, length)
            if used + rows > budget:
                self._reject(
                    job,
                    ACCOUNT_CAPACITY_EXCEEDED,
                    f"The account's hourly budget of {budget:,} item creates and updates for "
                    f"ingest_items has {max(0, budget - used):,} left and this file has "
                    f"{rows:,} rows: wait for the budget to free up (it counts the last "
                    "hour), or send fewer rows",
                )
                return True
            job.reservation = self.items.add(now, rows)
        job.status = PROCESSING
        job.uploaded_at = now
        self.processing[job.id] = job
        return True

    def _reject(self, job: Job, reason: str, message: str) -> None:
        job.status = REJECTED
        job.failure_reason = reason
        job.failure_message = message
        job.finished_at = self.clock.monotonic()
        self.stats.jobs_rejected[reason] += 1

    # ------------------------------------------------------------ processing

    def _due(self, job: Job, now: float) -> int:
        total = job.total_rows
        rate = self.settings.bulk_rows_per_second
        if rate is None or rate <= 0:
            return total
        assert job.processing_from is not None
        return min(total, max(0, math.floor((now - job.processing_from) * rate + 1e-9)))

    def _ended_at(self, job: Job) -> float:
        """When a job's processing ended, on the clock: its last processed row's time."""
        rate = self.settings.bulk_rows_per_second
        assert job.processing_from is not None
        if rate is None or rate <= 0:
            return job.processing_from
        return job.processing_from + job.next_row / rate

    def _take_turns(self, now: float) -> None:
        """Queued jobs get their turn, oldest upload first, as slots free up
        (``bulk_jobs_at_once``; None: every job at once, from its upload)."""
        limit = self.settings.bulk_jobs_at_once
        waiting = sorted(
            (j for j in self.processing.values() if j.processing_from is None),
            key=lambda j: (j.uploaded_at or 0.0, j.created_at, j.id),
        )
        if limit is None:
            for job in waiting:
                job.processing_from = job.uploaded_at
            return
        while len(self.slots) < limit:
            self.slots.append(0.0)
        for job in waiting:
            free = [(t, i) for i, t in enumerate(self.slots[:limit]) if t != math.inf]
            if not free:
                return
            at, slot = min(free)
            start = max(job.uploaded_at or 0.0, at)
            if start > now:
                return
            job.processing_from, job.slot = start, slot
            self.slots[slot] = math.inf

    def catch_up(self) -> int:
        """Process every job up to where the clock says it is; the rows processed."""
        now = self.clock.monotonic()
        processed = 0
        changed = False
        progress = True
        while progress:  # a job that ends frees its slot for the next one, in the past
            progress = False
            self._take_turns(now)
            for job in list(self.processing.values()):
                if job.processing_from is None:
                    continue
                due = self._due(job, now)
                if due > job.next_row:
                    before = len(job.results)
                    try:
                        processed += Runner(self.store, self.settings, job).run(due)
                    except Exception:  # a bug: this job fails, the server goes on
                        log.exception("bulk import job %s failed", job.id)
                        job.status = FAILED
                        job.failure_reason = INTERNAL_ERROR
                        job.failure_message = (
                            f"An internal error occurred while processing row {job.next_row + 1}"
                        )
                    self._count(job, before)
                    changed = True
                if job.status == FAILED or job.next_row >= job.total_rows:
                    self._finish(job)
                    if job.slot is not None and job.slot < len(self.slots):
                        self.slots[job.slot] = min(self._ended_at(job), now)
                    changed = progress = True
        if changed:
            self.store.flush()
        return processed

    def _count(self, job: Job, before: int) -> None:
        stats = self.stats
        for result in job.results[before:]:
            stats.rows_processed += 1
            stats.rows_by_outcome[result.outcome] += 1
            if result.outcome == "created":
                if result.row_type == "subitem":
                    stats.subitems_created += 1
                else:
                    stats.items_created += 1
            elif result.outcome == "updated":
                stats.items_updated += 1

    def _finish(self, job: Job) -> None:
        self.processing.pop(job.id, None)
        if job.status == PROCESSING:
            job.status = COMPLETED
            self.stats.jobs_completed += 1
        elif job.status == FAILED and job.failure_reason:
            self.stats.jobs_failed[job.failure_reason] += 1
        job.finished_at = self.clock.monotonic()
        job.report_created = True
        if job.reservation is not None:  # the budget keeps what the job really did
            job.reservation[1] = float(job.counts.created + job.counts.updated)

    # ------------------------------------------------------------ status and report

    def status(self, job_id: Any) -> dict[str, Any]:
        """``fetch_job_status``: an ``ItemsJobStatus``, with a fresh report URL once
        the report exists (valid ``bulk_report_url_ttl_seconds`` from now)."""
        self.catch_up()
        job = self.jobs.get(str(job_id))
        if job is None:
            raise MondayError(
                "ResourceNotFoundException",
                "Job not found",
                404,
                {"resource_type": "job", "job_id": str(job_id)},
            )
        report_url = None
        if job.report_created:
            report_url = urls.sign(
                self.secret,
                REQUEST_ORIGIN.get(),
                "report",
                job.id,
                self.clock.now(),
                self.settings.bulk_report_url_ttl_seconds,
            )
        return job.status_view(report_url)

    def report(self, job: Job) -> str:
        self.stats.reports_downloaded += 1
        return render(job.results)

    # ------------------------------------------------------------ admin

    def hourly(self) -> dict[str, Any]:
        now = self.clock.monotonic()
        length = self.settings.bulk_window_seconds
        return {
            "window_seconds": length,
            "job_starts_used": self.starts.used(now, length),
            "job_starts_limit": self.settings.bulk_jobs_per_hour,
            "ingest_items_used": self.items.used(now, length),
            "ingest_items_limit": self.settings.bulk_ingest_items_per_hour,
        }

    def snapshot(self) -> dict[str, Any]:
        """The ``bulk`` part of ``GET /admin/stats``."""
        self.catch_up()
        data = self.stats.to_dict()
        data["hourly"] = self.hourly()
        data["jobs_by_status"] = dict(Counter(job.status for job in self.jobs.values()))
        return data
