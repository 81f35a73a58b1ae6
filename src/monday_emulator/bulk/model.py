"""Bulk import jobs: their states, counts and what ``fetch_job_status`` shows."""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from datetime import datetime
from typing import Any

from .csvfile import CsvFile
from .report import RowResult

INGEST = "ingest_items"
BACKFILL = "backfill_items"

# BulkImportState
UPLOAD_PENDING = "UPLOAD_PENDING"
PROCESSING = "PROCESSING"
COMPLETED = "COMPLETED"
FAILED = "FAILED"
REJECTED = "REJECTED"
TERMINAL = frozenset({COMPLETED, FAILED, REJECTED})

# BulkImportFailureReason (the ones the emulator gives)
INVALID_UPLOAD = "INVALID_UPLOAD"
FILE_TOO_LARGE = "FILE_TOO_LARGE"
ACCOUNT_CAPACITY_EXCEEDED = "ACCOUNT_CAPACITY_EXCEEDED"
BOARD_CAPACITY_EXCEEDED = "BOARD_CAPACITY_EXCEEDED"
INTERNAL_ERROR = "INTERNAL_ERROR"

UPSERT = "UPSERT"
SKIP = "SKIP"


@dataclass(frozen=True)
class OnMatch:
    column_id: str
    behaviour: str  # UPSERT or SKIP


@dataclass
class Counts:
    """ItemsJobItemCounts. ``submitted`` is every data row of the file (subitem rows
    too); the others count rows by outcome as they are processed."""

    submitted: int = 0
    invalid: int = 0
    skipped: int = 0
    created: int = 0
    updated: int = 0
    failed: int = 0

    def add(self, outcome: str) -> None:
        setattr(self, outcome, getattr(self, outcome) + 1)

    def to_dict(self) -> dict[str, int]:
        return asdict(self)


@dataclass
class Parent:
    """The last item row: what the subitem rows below it attach to."""

    number: int
    item_id: str | None
    outcome: str


@dataclass
class Job:
    id: str
    operation: str  # ingest_items or backfill_items
    board_id: str
    group_id: str
    on_match: OnMatch | None
    created_at: float  # the emulator's monotonic clock
    created_on: datetime  # the emulator's wall clock (the upload URL's X-Amz-Date)
    upload_url: str
    status: str = UPLOAD_PENDING
    failure_reason: str | None = None
    failure_message: str | None = None
    file: CsvFile | None = None
    uploaded_at: float | None = None  # queued for processing from the first accepted upload
    processing_from: float | None = None  # its turn came (see bulk_jobs_at_once)
    slot: int | None = None  # which of the account's processing slots it holds
    uploaded_bytes: int = 0
    next_row: int = 0  # rows[0:next_row] are processed
    counts: Counts = field(default_factory=Counts)
    results: list[RowResult] = field(default_factory=list)
    parent: Parent | None = None
    reservation: list[float] | None = None  # this job's entry in the hourly item budget
    finished_at: float | None = None
    report_created: bool = False
    subitems_created: int = 0
    ignored_uploads: int = 0

    @property
    def skips_side_effects(self) -> bool:
        """backfill_items triggers no automations and writes no activity log: the
        emulator has neither, so this is only a flag."""
        return self.operation == BACKFILL

    @property
    def total_rows(self) -> int:
        return len(self.file.rows) if self.file is not None else 0

    def progress_percentage(self) -> int:
        if self.status == COMPLETED:
            return 100
        total = self.total_rows
        if total == 0 or self.status in (UPLOAD_PENDING, REJECTED):
            return 0
        return min(100, self.next_row * 100 // total)

    def fully_imported(self) -> bool:
        """Completed, with every row created, updated or skipped (assumption: monday
        says "the job is completely done")."""
        c = self.counts
        return self.status == COMPLETED and c.invalid == 0 and c.failed == 0

    def status_view(self, report_url: str | None) -> dict[str, Any]:
        """An ``ItemsJobStatus``."""
        return {
            "__typename": "ItemsJobStatus",
            "status": self.status,
            "counts": self.counts.to_dict(),
            "progress_percentage": self.progress_percentage(),
            "failure_reason": self.failure_reason,
            "failure_message": self.failure_message,
            "fully_imported": self.fully_imported(),
            "report_created": self.report_created,
            "report_url": report_url,
        }

    def admin_view(self) -> dict[str, Any]:
        return {
            "job_id": self.id,
            "operation": self.operation,
            "board_id": self.board_id,
            "group_id": self.group_id,
            "on_match": asdict(self.on_match) if self.on_match else None,
            "skips_side_effects": self.skips_side_effects,
            "status": self.status,
            "failure_reason": self.failure_reason,
            "failure_message": self.failure_message,
            "counts": self.counts.to_dict(),
            "progress_percentage": self.progress_percentage(),
            "rows_processed": self.next_row,
            "uploaded_bytes": self.uploaded_bytes,
            "ignored_uploads": self.ignored_uploads,
            "subitems_created": self.subitems_created,
            "report_created": self.report_created,
            "created_on": self.created_on.isoformat(),
        }
