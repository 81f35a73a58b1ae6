"""monday's hourly bulk budgets, as the jobs recorded in the database spend them. Pure.

Two budgets a rolling hour, per account: job starts (``ingest_items`` and
``backfill_items`` together, 100) and the items ``ingest_items`` creates or updates
(19,000; subitem rows counted). The tool takes ``bulk.hourly_share`` of each and
counts what its own jobs used, whichever run started them: the jobs table is the
ledger. A job still running is charged its whole file; a finished one what monday says
it created and updated. A job is charged from when monday took its file (or, before
that, from when it was recorded), for the hour and a 2% margin.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime, timedelta

from sync_order_list.config.models import BulkSettings


@dataclass(frozen=True)
class Spent:
    """One job, as the budgets see it."""

    started_at: datetime
    operation: str  # ingest | backfill
    items: int  # item budget charged (ingest only)


@dataclass(frozen=True)
class Capacity:
    jobs_left: int
    items_left: int | None  # None: the mode has no item budget (backfill)
    next_free_at: datetime | None  # when the oldest charge leaves the hour

    def rows_for_next_job(self, job_limit: int) -> int:
        if self.jobs_left <= 0:
            return 0
        if self.items_left is None:
            return job_limit
        return max(0, min(job_limit, self.items_left))


# a charge is kept a little longer than the hour: monday's clock and ours differ, and
# monday charges a file when it takes it, after the moment recorded here
WINDOW_MARGIN = 1.02


def window(settings: BulkSettings) -> timedelta:
    """How long a charge counts: the hour and the margin."""
    return timedelta(seconds=settings.window_seconds * WINDOW_MARGIN)


def capacity(settings: BulkSettings, spent: Iterable[Spent], now: datetime) -> Capacity:
    since = now - window(settings)
    recent = sorted((s for s in spent if s.started_at > since), key=lambda s: s.started_at)
    job_limit = int(settings.jobs_per_hour * settings.hourly_share)
    item_limit = int(settings.ingest_items_per_hour * settings.hourly_share)
    items_used = sum(s.items for s in recent if s.operation == "ingest")
    next_free = recent[0].started_at + window(settings) if recent else None
    return Capacity(
        jobs_left=max(0, job_limit - len(recent)),
        items_left=max(0, item_limit - items_used) if settings.mode == "ingest" else None,
        next_free_at=next_free,
    )
