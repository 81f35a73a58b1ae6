"""Per-request context handed to resolvers: the parts of the emulator a resolver
reads (the store, the settings, the cursors), never the whole emulator state, and the
state of a document's run (its server time, whether it was cut)."""

from __future__ import annotations

from collections import deque
from dataclasses import dataclass, field

from ..bulk.jobs import BulkJobs
from ..clock import Clock
from ..limits.limiter import Charge
from ..settings import EmulatorSettings
from ..store.store import Store
from .cursors import CursorRegistry


@dataclass
class Timing:
    """A document's server time: the durations still to come (emulated seconds, in
    the order the aliases run), when it started, and when the call is cut."""

    clock: Clock
    durations: deque[float]
    started: float
    timeout: float | None
    elapsed: float = 0.0

    def next_duration(self, fallback: float) -> float:
        return self.durations.popleft() if self.durations else fallback


@dataclass
class RequestContext:
    store: Store
    settings: EmulatorSettings
    cursors: CursorRegistry
    api_version: str
    request_id: str
    charge: Charge | None = None  # set once the document is priced and charged
    mutations_ok: list[str] = field(default_factory=list)
    mutations_executed: list[str] = field(default_factory=list)
    timing: Timing | None = None  # set when the document runs with server time
    cut: str | None = None  # "timeout" or "http500": the aliases left do not run
    bulk: BulkJobs | None = None  # bulk import jobs (ingest_items, fetch_job_status)
