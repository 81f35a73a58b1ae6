"""Everything one emulator instance holds: settings, clock, store, limits, faults,
cursors, statistics, the executable schema of each API version, and the writers'
rules (server time, the documents running now, idempotency keys)."""

from __future__ import annotations

import asyncio
from pathlib import Path
from typing import Any

from graphql import GraphQLSchema

from .bulk import BulkJobs
from .clock import Clock
from .graphql_api.complexity import ComplexityCalculator
from .graphql_api.cursors import CursorRegistry
from .graphql_api.execution import DocumentCache
from .graphql_api.schema import executable_schema
from .limits.faults import FaultInjector
from .limits.idempotency import IdempotencyStore
from .limits.limiter import Limiter
from .limits.running import RunningDocuments
from .limits.server_time import ServerTime
from .limits.stats import Stats
from .settings import EmulatorSettings
from .store.persistence import SqliteBackend
from .store.specs import DEMO_BOARD, builtin_spec, load_board, read_specs, specs_of
from .store.store import Store

BoardsArg = str | Path | dict[str, Any] | list[dict[str, Any]] | None


class EmulatorState:
    def __init__(
        self,
        settings: EmulatorSettings | None = None,
        *,
        clock: Clock | None = None,
        state_file: str | Path | None = None,
        boards: BoardsArg = None,
        load_demo: bool = True,
    ) -> None:
        self.settings = settings or EmulatorSettings()
        if clock is None:
            clock = Clock(speed=self.settings.clock_speed)
        else:
            self.settings.clock_speed = clock.speed  # a clock given keeps its own speed
        self.clock = clock
        self.backend = SqliteBackend(state_file) if state_file else None
        self.store = Store(self.settings, self.clock, self.backend)
        self.limiter = Limiter(self.settings, self.clock)
        self.faults = FaultInjector(self.settings.faults)
        self.cursors = CursorRegistry(self.clock, self.settings.cursor_ttl_seconds)
        self.stats = Stats()
        self.complexity = ComplexityCalculator(self.settings)
        self.documents = DocumentCache()
        self.server_time = ServerTime(self.settings)
        self.running = RunningDocuments()
        self.idempotency = IdempotencyStore(self.clock, self.settings.idempotency_ttl_seconds)
        self.tasks: set[asyncio.Task[Any]] = set()  # documents executing (shielded)
        self.bulk = BulkJobs(self.settings, self.clock, self.store)  # bulk import jobs
        self.shutdown_event: asyncio.Event | None = None
        if not self.store.boards:
            self.load_boards(initial_specs(boards, load_demo))

    def schema_for(self, api_version: str) -> GraphQLSchema:
        """The schema serving ``api_version`` under the current settings."""
        return executable_schema(api_version, remove_settings_str=self.settings.remove_settings_str)

    def load_boards(self, specs: list[dict[str, Any]]) -> list[str]:
        ids = [load_board(self.store, spec).id for spec in specs]
        self.store.flush()
        return ids

    def reset(self, specs: list[dict[str, Any]] | None = None) -> None:
        self.store.reset()
        self.cursors.clear()
        self.limiter.reset()
        self.stats.reset()
        self.idempotency.clear()
        self.server_time.reseed()
        self.bulk.reset()
        self.faults.configure(self.settings.faults)
        if specs:
            self.load_boards(specs)

    def update_settings(self, changes: dict[str, Any]) -> None:
        if "clock_speed" in changes:  # a ManualClock refuses: check before changing anything
            self.clock.set_speed(float(changes["clock_speed"]))
        self.settings.update(changes)
        self.cursors.ttl_seconds = self.settings.cursor_ttl_seconds
        self.idempotency.ttl_seconds = self.settings.idempotency_ttl_seconds
        if "server_time_seed" in changes:
            self.server_time.reseed()
        if any(k == "faults" or k.startswith("faults.") for k in changes):
            self.faults.configure(self.settings.faults)

    def track(self, task: asyncio.Task[Any]) -> None:
        """Keep a running document's task until it is done (``EmulatorServer.stop``
        cancels what is left)."""
        self.tasks.add(task)
        task.add_done_callback(self.tasks.discard)

    def close(self) -> None:
        self.store.flush()
        if self.backend is not None:
            self.backend.close()


def initial_specs(boards: BoardsArg, load_demo: bool) -> list[dict[str, Any]]:
    if boards is None:
        return [builtin_spec(DEMO_BOARD)] if load_demo else []
    if isinstance(boards, str | Path):
        return read_specs(boards)
    return specs_of(boards)
