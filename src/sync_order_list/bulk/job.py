"""One bulk job, from whatever state it was recorded in, to its rows settled.

The steps, each saved before the next (``journal``):

1. ``PREPARED``: the start is sent under the job's key (its Idempotency-Key). A start
   whose answer was lost is resent under the same key, so monday answers with the
   job it made; a start older than monday's 30 minutes of kept answers is not resent
   (a job it made then never got a file, so it changed nothing) and the rows go back
   to the regular path. A refused start ran nothing: the same.
2. ``UPLOAD_PENDING``: the file is PUT while the URL is valid. Whatever the answer,
   the job's status says what happened: a job still waiting for its file after its URL
   expired did nothing, and its rows go back to the regular path. A file is only ever
   sent to the job it was made for, and a job processes one file: subitem rows, which
   monday only creates, are never made twice.
3. ``UPLOADED`` / ``PROCESSING``: the status is polled every ``bulk.poll_seconds``
   until the job ends (or ``bulk.job_timeout_seconds`` pass: the rows stay in flight
   for the next run, which resumes here).
4. ``COMPLETED`` / ``FAILED``: items are read back by business key and subitems by
   parent and size; rows the report marks invalid or failed become errors with
   monday's reason; rows that are neither found nor refused go back to the regular
   path. ``REJECTED``: nothing was done, every row goes back (and a capacity
   rejection stops the bulk lane).
"""

from __future__ import annotations

import asyncio
import csv
import io
import logging
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from sync_order_list.bulk.api import BulkApi, JobStatus
from sync_order_list.bulk.csvfile import SUBITEM, MappedRow, ReportRow, parse_report
from sync_order_list.bulk.journal import BulkJob, BulkJournal
from sync_order_list.config import Settings
from sync_order_list.errors import (
    MondayApiError,
    MondayAuthError,
    MondayError,
    MondayRateLimitError,
    MondayTransportError,
)
from sync_order_list.logs import redact
from sync_order_list.monday import MondayClient
from sync_order_list.monday.schema import BoardSchema
from sync_order_list.sync.clock import utcnow
from sync_order_list.sync.reconcile import BoardSubitem, find_items_by_key, find_subitems

log = logging.getLogger("sync_order_list.bulk")

KEY_KEPT_SECONDS = 1500
URL_MARGIN = 0.9  # an upload URL is used within 90% of its life  # monday keeps an Idempotency-Key's answer 30 minutes


@dataclass
class Settlement:
    """What a finished job left on the board, row by row."""

    job: BulkJob
    items: dict[str, str] = field(default_factory=dict)  # record_uuid -> item id
    snapshots: dict[str, dict[str, str]] = field(default_factory=dict)  # what the board holds
    subitems: dict[str, tuple[str, int | None]] = field(default_factory=dict)  # line -> (id, qty)
    errors: dict[str, str] = field(default_factory=dict)  # row id -> monday's reason
    missing: list[MappedRow] = field(default_factory=list)  # not made: the regular path
    uncertain: list[MappedRow] = field(default_factory=list)  # unknown: stays in flight
    rejected: str | None = None  # failure_reason of a REJECTED job (nothing was done)
    start_refused: bool = False  # monday refused the start itself (permission, limit)

    @property
    def capacity_rejected(self) -> bool:
        return self.rejected == "ACCOUNT_CAPACITY_EXCEEDED"


class Unsettled(Exception):
    """The job's outcome is not known yet: its rows stay in flight for a later run."""


class JobDriver:
    def __init__(
        self,
        *,
        api: BulkApi,
        journal: BulkJournal,
        client: MondayClient,
        settings: Settings,
        schema: BoardSchema,
        stopping: Callable[[], bool] = lambda: False,
        now: Callable[[], datetime] = utcnow,
    ) -> None:
        self.api, self.journal, self.client = api, journal, client
        self.settings, self.schema = settings, schema
        self.bulk = settings.bulk
        self.stopping = stopping
        self.now = now
        self.polls = 0

    async def drive(self, job: BulkJob) -> Settlement:
        """Carry ``job`` on from its recorded state; raises ``Unsettled`` when its rows
        must stay in flight (no answer, stopped, past the deadline)."""
        if job.state == "PREPARED" and not await self._start(job):
            settlement = self._all_missing(job, None)
            settlement.start_refused = job.started_at is None
            return settlement
        if job.state == "UPLOAD_PENDING" and not await self._upload(job):
            return self._all_missing(job, None)
        if job.state in ("UPLOADED", "PROCESSING"):
            await self._poll(job)
        if job.state == "REJECTED":
            return self._all_missing(job, (job.counts or {}).get("failure_reason"))
        if job.state in ("COMPLETED", "FAILED"):
            await asyncio.to_thread(self.journal.save, job, self.now())
            return await self._read_back(job)
        raise Unsettled(f"bulk job {job.key} is {job.state}")

    async def finish(self, settlement: Settlement) -> None:
        """The rows were written back: nothing is left to do for this job."""
        job = settlement.job
        if job.state not in ("ABANDONED",):
            job.state = "SETTLED"
        await asyncio.to_thread(self.journal.save, job, self.now())

    # -- the steps ---------------------------------------------------------------------
    async def _start(self, job: BulkJob) -> bool:
        now = self.now()
        if job.started_at is not None and now - job.started_at > timedelta(
            seconds=KEY_KEPT_SECONDS
        ):
            await self._abandon(job, "its start is older than monday keeps answers")
            return False
        if job.started_at is None:
            job.started_at = now
            await asyncio.to_thread(self.journal.save, job, now)
        match_column = self.settings.monday.business_key_column
        try:
            started = await self.api.start(
                job.operation, job.board_id, job.group_id, job.key, match_column
            )
        except (MondayAuthError, MondayRateLimitError, MondayApiError) as exc:
            # refused before it ran: nothing was made, and nothing was charged
            job.started_at = None
            await self._abandon(job, f"monday refused the start: {exc}")
            if isinstance(exc, MondayAuthError):
                raise
            return False
        except MondayError as exc:  # no answer: resent under the same key later
            raise Unsettled(f"bulk job {job.key}: no answer to its start ({exc})") from exc
        job.job_id, job.upload_url = started.job_id, started.upload_url
        # the URL lives from when monday made the job: now, or (for a kept answer) as
        # early as the first send; a little is kept back for the upload itself
        issued = job.started_at if started.replayed else self.now()
        life = self.bulk.upload_url_seconds * URL_MARGIN
        job.upload_expires_at = issued + timedelta(seconds=life)
        job.state = "UPLOAD_PENDING"
        await asyncio.to_thread(self.journal.save, job, self.now())
        log.info("bulk job %s started (%s, %d rows)", job.job_id, job.operation, job.file_rows)
        return True

    async def _upload(self, job: BulkJob) -> bool:
        """The status first (a run that died may have sent the file already), then the
        file, only to a job that says it has none."""
        assert job.job_id and job.upload_url
        detail = ""
        for _attempt in range(2):
            status = await self._status(job)
            if status.status == "NOT_FOUND":
                self._forgotten(job, self._deadline(job))
                return True
            if status.status != "UPLOAD_PENDING":
                self._note(job, status)
                job.state = status.status if status.ended else "UPLOADED"
                job.started_at = self.now()  # it has its file: charged no earlier than now
                await asyncio.to_thread(self.journal.save, job, self.now())
                return True
            if job.upload_expires_at is not None and self.now() >= job.upload_expires_at:
                await self._abandon(job, "its upload URL expired before the file arrived")
                return False
            try:
                sent = await self.api.upload(job.upload_url, job.file)
            except MondayTransportError as exc:
                detail = str(exc)
                continue
            detail = sent.detail
            if sent.outcome == "accepted":
                job.state = "UPLOADED"
                # monday charges a file's rows to the hourly item budget when it takes
                # the file: the charge is counted from now (never earlier than monday's)
                job.started_at = self.now()
                await asyncio.to_thread(self.journal.save, job, self.now())
                return True
            if sent.outcome == "too_large":
                job.state = "REJECTED"
                job.counts = {"failure_reason": "FILE_TOO_LARGE"}
                job.message = sent.detail
                await asyncio.to_thread(self.journal.save, job, self.now())
                return True
        raise Unsettled(f"bulk job {job.job_id}: the upload was not accepted ({redact(detail)})")

    async def _poll(self, job: BulkJob) -> None:
        deadline = self._deadline(job)
        while True:
            status = await self._status(job)
            if status.status == "NOT_FOUND":
                self._forgotten(job, deadline)
                return
            state = status.status if status.ended else "PROCESSING"
            changed = state != job.state
            self._note(job, status)
            job.state = state
            if changed or status.ended:
                await asyncio.to_thread(self.journal.save, job, self.now())
            if status.ended:
                return
            if self.stopping():
                raise Unsettled(f"bulk job {job.job_id} still running at the stop")
            if self.now() >= deadline:
                raise Unsettled(
                    f"bulk job {job.job_id} still running after "
                    f"{self.bulk.job_timeout_seconds:g} s (bulk.job_timeout_seconds)"
                )
            await asyncio.sleep(self.bulk.poll_seconds)

    async def _status(self, job: BulkJob) -> JobStatus:
        assert job.job_id
        self.polls += 1
        try:
            return await self.api.status(job.job_id)
        except (MondayAuthError, MondayRateLimitError):
            raise
        except MondayError as exc:
            raise Unsettled(f"bulk job {job.job_id}: its status could not be read ({exc})") from exc

    def _deadline(self, job: BulkJob) -> datetime:
        """After this a job still running is left in flight, and one monday forgot is
        read back (``bulk.job_timeout_seconds`` from its record)."""
        return job.created_at + timedelta(seconds=self.bulk.job_timeout_seconds)

    def _forgotten(self, job: BulkJob, deadline: datetime) -> None:
        """monday no longer knows the job. Before the job's deadline that is treated as
        a passing fault (the rows stay in flight); after it, what the board holds is
        what the job made: it is read back, and what is not there is made again."""
        if self.now() < deadline:
            raise Unsettled(f"bulk job {job.job_id} is unknown to monday (for now)")
        log.warning("bulk job %s is unknown to monday: reading back what it made", job.job_id)
        job.state = "COMPLETED"
        job.message = "monday no longer knows this job; read back by key"
        job.counts = {**(job.counts or {}), "forgotten": 1}

    def _note(self, job: BulkJob, status: JobStatus) -> None:
        counts: dict[str, object] = dict(status.counts)
        if status.failure_reason:
            counts["failure_reason"] = status.failure_reason
        job.counts = counts
        if status.failure_message:
            job.message = status.failure_message
        if status.ended and job.operation == "ingest":
            if status.status == "REJECTED":
                job.items_charged = 0
            else:
                job.items_charged = int(status.counts.get("created", 0)) + int(
                    status.counts.get("updated", 0)
                )

    async def _abandon(self, job: BulkJob, why: str) -> None:
        log.warning("bulk job %s abandoned: %s; its rows take the regular path", job.key, why)
        job.state = "ABANDONED"
        job.message = why
        await asyncio.to_thread(self.journal.save, job, self.now())

    def _all_missing(self, job: BulkJob, rejected: str | None) -> Settlement:
        if rejected:
            log.warning(
                "bulk job %s rejected (%s: %s): its rows take the regular path",
                job.job_id,
                rejected,
                job.message,
            )
        return Settlement(job=job, missing=list(job.row_map), rejected=rejected or None)

    # -- reading back ------------------------------------------------------------------
    async def _read_back(self, job: BulkJob) -> Settlement:
        """Items by business key, subitems by parent and size; the report for what
        monday refused and for ids a lookup can't see yet (monday's search index may
        lag). A row that is neither found nor refused is uncertain while the report
        doesn't say monday skipped it: it stays in flight for a later lookup."""
        out = Settlement(job=job)
        forgotten = bool((job.counts or {}).get("forgotten"))
        report = {} if forgotten else await self._report(job)
        orders = [m for m in job.row_map if m.ref.table == "order"]
        mapped = list(dict.fromkeys(self.settings.monday.items.columns.values()))
        found = await find_items_by_key(
            self.client,
            self.schema.items.id,
            self.settings.monday.business_key_column,
            [m.ref.key for m in orders],
            column_ids=mapped,
        )
        parent_of: dict[int, MappedRow] = {}
        current: MappedRow | None = None
        for m in job.row_map:
            if m.ref.table == "order":
                current = m
            elif current is not None:
                parent_of[m.number] = current
        for m in orders:
            item = found.items.get(m.ref.key)
            row = report.get(m.number)
            if item is not None:
                out.items[m.ref.id] = item.id
                out.snapshots[m.ref.id] = item.snapshot(self.schema.items, mapped)
            elif row is not None and row.outcome in LANDED and row.item_id:
                out.items[m.ref.id] = row.item_id
            elif row is not None and row.outcome in REFUSED:
                out.errors[m.ref.id] = _reason(m, row.error)
            elif forgotten:
                out.missing.append(m)
            else:
                out.uncertain.append(m)
        lines = [m for m in job.row_map if m.ref.table == "line"]
        parents = {
            m.number: out.items[parent_of[m.number].ref.id]
            for m in lines
            if m.number in parent_of and parent_of[m.number].ref.id in out.items
        }
        subs: dict[tuple[str, str], BoardSubitem] = {}
        if parents:
            columns = self.settings.monday.subitems.columns
            subs = await find_subitems(
                self.client,
                list(dict.fromkeys(parents.values())),
                columns.get("size_code"),
                _subitem_names(job),
                qty_column=columns.get("qty"),
            )
        for m in lines:
            parent = parents.get(m.number)
            row = report.get(m.number)
            hit = subs.get((parent, m.ref.size or "")) if parent else None
            if parent is None:
                order = parent_of.get(m.number)
                if order is not None and order in out.uncertain:
                    out.uncertain.append(m)
                else:
                    out.missing.append(m)  # its order is not there: it waits for the item
            elif hit is not None:
                out.subitems[m.ref.id] = (hit.id, hit.qty)
            elif row is not None and row.outcome in LANDED and row.item_id:
                out.subitems[m.ref.id] = (row.item_id, None)
            elif row is not None and row.outcome in REFUSED:
                out.errors[m.ref.id] = _reason(m, row.error)
            elif forgotten:
                out.missing.append(m)
            else:
                out.uncertain.append(m)
        log.info(
            "bulk job %s %s: %d items and %d subitems landed, %d refused, %d not made, "
            "%d uncertain",
            job.job_id,
            job.state,
            len(out.items),
            len(out.subitems),
            len(out.errors),
            len(out.missing),
            len(out.uncertain),
        )
        return out

    async def _report(self, job: BulkJob) -> dict[int, ReportRow]:
        try:
            status = await self._status(job)
        except Unsettled:
            return {}
        if not status.report_url:
            return {}
        text = await self.api.report(status.report_url)
        return parse_report(text) if text else {}


LANDED = ("created", "updated", "skipped")
REFUSED = ("invalid", "failed")


def _reason(m: MappedRow, error: str | None) -> str:
    return f"monday's bulk import refused row {m.number} of its file: {error or 'no reason given'}"


def _subitem_names(job: BulkJob) -> dict[str, str]:
    """Subitem name -> size code, from the job's own file (a subitem is found by name
    when the size has no column of its own)."""
    reader = csv.reader(io.StringIO(job.file))
    header = next(reader, [])
    try:
        at = header.index("name" + SUBITEM)
    except ValueError:
        return {}
    sizes = {m.number: m.ref.size for m in job.row_map if m.ref.table == "line"}
    out: dict[str, str] = {}
    for number, row in enumerate(reader, start=1):
        size = sizes.get(number)
        if size and at < len(row) and row[at]:
            out[row[at]] = size
    return out
