"""Per-request context handed to resolvers: the parts of the emulator a resolver
reads (the store, the settings, the cursors), never the whole emulator state."""

from __future__ import annotations

from dataclasses import dataclass, field

from ..bulk.jobs import BulkJobs
from ..limits.limiter import Charge
from ..settings import EmulatorSettings
from ..store.store import Store
from .cursors import CursorRegistry


@dataclass
class RequestContext:
    store: Store
    settings: EmulatorSettings
    cursors: CursorRegistry
    api_version: str
    request_id: str
    charge: Charge | None = None  # set once the document is priced and charged
    mutations_ok: list[str] = field(default_factory=list)
    bulk: BulkJobs | None = None  # bulk import jobs (ingest_items, fetch_job_status)
