"""monday's asynchronous bulk import (API 2026-07 and later): ``ingest_items``,
``backfill_items`` and ``fetch_job_status``, with the upload and report URLs the
emulator serves itself. See docs/emulator.md, "Bulk import"."""

from .jobs import BulkJobs

__all__ = ["BulkJobs"]
