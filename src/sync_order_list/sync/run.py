"""One sync run, start to end: claim, reconcile, plan, execute, release, record.

``run_sync`` is what the CLI, the demo, the tests and the benchmarks call. It takes a
transport (the HTTP seam) so tests can point it at the local emulator, and a progress
callback so a terminal can draw bars.
"""

from __future__ import annotations

import asyncio
import dataclasses
import logging
import time
import uuid
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import Any, Literal

from sqlalchemy import Engine

from sync_order_list.config import AppConfig, Settings
from sync_order_list.errors import SyncOrderListError
from sync_order_list.logs import register_secret
from sync_order_list.merge import MergeResult
from sync_order_list.monday import MondayClient, RequestRecord, Transport, fetch_board_schema
from sync_order_list.monday.schema import BoardSchema
from sync_order_list.report.runs import finish_run, start_run
from sync_order_list.sync.executor import (
    Executor,
    ProgressSink,
    api_log_rows,
    on_request,
    reset_log_context,
    run_log_context,
    utcnow,
)
from sync_order_list.sync.operations import Operation, Plan
from sync_order_list.sync.planner import PlanContext, plan
from sync_order_list.sync.reconcile import find_items_by_key, find_subitems
from sync_order_list.sync.rows import ClaimedRows
from sync_order_list.sync.store import ClaimFilter, Failure, SyncStore, WriteBack
from sync_order_list.sync.tally import Tally

log = logging.getLogger("sync_order_list.sync")

Mode = Literal["batch", "single"]


@dataclass(frozen=True)
class SyncOptions:
    dry_run: bool = False
    limit: int | None = None
    customer: str | None = None
    mode: Mode = "batch"


@dataclass
class SyncReport:
    run_id: str
    environment: str
    started_at: datetime
    dry_run: bool
    finished_at: datetime | None = None
    outcome: str = "running"  # success | partial | failed | nothing
    message: str | None = None
    phases: dict[str, float] = field(default_factory=dict)
    plan_counts: dict[str, int] = field(default_factory=dict)
    plan: Plan | None = None
    claimed_orders: int = 0
    claimed_lines: int = 0
    tally: Tally = field(default_factory=Tally)
    api: dict[str, Any] = field(default_factory=dict)
    in_flight_reconciled: int = 0
    merge: MergeResult | None = None
    # (seconds since the start, budget left after the request, the request's cost)
    budget_timeline: list[tuple[float, int, int]] = field(default_factory=list)
    report_path: Path | None = None  # the run's HTML report, once written

    @property
    def seconds(self) -> float:
        return sum(self.phases.values())

    @property
    def exit_code(self) -> int:
        if self.outcome == "failed":
            return 2
        return 1 if self.tally.errors else 0

    def as_dict(self) -> dict[str, Any]:
        return {
            "run_id": self.run_id,
            "environment": self.environment,
            "started_at": self.started_at.isoformat(),
            "finished_at": self.finished_at.isoformat() if self.finished_at else None,
            "dry_run": self.dry_run,
            "outcome": self.outcome,
            "message": self.message,
            "phases": {k: round(v, 3) for k, v in self.phases.items()},
            "plan": self.plan_counts,
            "claimed": {"orders": self.claimed_orders, "lines": self.claimed_lines},
            "in_flight_reconciled": self.in_flight_reconciled,
            "api": self.api,
            "merge": self.merge.as_dict() if self.merge else None,
            "budget_timeline": self.budget_timeline,
            **self.tally.as_dict(),
        }


class _Phases:
    def __init__(self, report: SyncReport) -> None:
        self.report = report

    def __call__(self, name: str) -> _Timer:
        return _Timer(self.report, name)


class _Timer:
    def __init__(self, report: SyncReport, name: str) -> None:
        self.report, self.name = report, name

    def __enter__(self) -> None:
        self.t0 = time.perf_counter()

    def __exit__(self, *exc: object) -> None:
        elapsed = time.perf_counter() - self.t0
        self.report.phases[self.name] = self.report.phases.get(self.name, 0.0) + elapsed


def effective_settings(settings: Settings, mode: Mode) -> Settings:
    """``--mode single``: one operation per request, one request at a time."""
    if mode == "batch":
        return settings
    batch = settings.batch.model_copy(
        update={"items_per_request": 1, "subitems_per_request": 1, "concurrency": 1}
    )
    return settings.model_copy(update={"batch": batch})


async def run_sync(
    engine: Engine,
    cfg: AppConfig,
    options: SyncOptions = SyncOptions(),
    *,
    transport: Transport | None = None,
    progress: ProgressSink | None = None,
    on_plan: Callable[[Plan], None] | None = None,
    lookup_delay: float = 1.0,
    run_id: str | None = None,
    merge: MergeResult | None = None,
) -> SyncReport:
    """Sync what the merge marked PENDING; never raises for row-level problems.

    Every run that writes leaves a ``SYNC_RUNS`` row, a failed one too.
    """
    run = _SyncRun(
        engine=engine,
        cfg=cfg,
        options=options,
        settings=effective_settings(cfg.settings, options.mode),
        report=SyncReport(
            run_id=run_id or str(uuid.uuid4()),
            environment=cfg.env_name,
            started_at=utcnow(),
            dry_run=options.dry_run,
            merge=merge,
        ),
        transport=transport,
        progress=progress,
        on_plan=on_plan,
        lookup_delay=lookup_delay,
    )
    return await run.run()


@dataclass
class _SyncRun:
    """One run's parts, so each step reads what it needs instead of passing it on."""

    engine: Engine
    cfg: AppConfig
    options: SyncOptions
    settings: Settings
    report: SyncReport
    transport: Transport | None
    progress: ProgressSink | None
    on_plan: Callable[[Plan], None] | None
    lookup_delay: float

    async def run(self) -> SyncReport:
        report, options = self.report, self.options
        if report.merge is not None:
            report.phases["merge"] = report.merge.seconds
        if not options.dry_run:  # recorded first: a run that fails before writing shows
            await asyncio.to_thread(
                start_run, self.engine, self.cfg, report.run_id, report.started_at, "sync", False
            )
        try:
            token = self.cfg.require_token()
            register_secret(token)
            return await self._with_store(token)
        except SyncOrderListError as exc:
            report.outcome, report.message = "failed", str(exc)
            raise
        except Exception as exc:  # a bug or an unexpected driver error: record, then raise
            report.outcome, report.message = "failed", f"{exc.__class__.__name__}: {exc}"
            raise
        finally:
            report.finished_at = report.finished_at or utcnow()
            if not options.dry_run:
                await asyncio.to_thread(_finish, self.engine, self.cfg, report)

    async def _with_store(self, token: str) -> SyncReport:
        with _Phases(self.report)("prepare"):
            store = await asyncio.to_thread(SyncStore, self.engine, self.cfg)
        log_context, log_token = run_log_context()
        try:
            return await self._with_client(store, token)
        finally:
            reset_log_context(log_token)
            if not self.options.dry_run:
                rows = api_log_rows(self.report.run_id, log_context)
                await asyncio.to_thread(store.write_api_log, rows)

    async def _with_client(self, store: SyncStore, token: str) -> SyncReport:
        report, options, settings, cfg = self.report, self.options, self.settings, self.cfg
        phase = _Phases(report)
        flt = ClaimFilter(customer=options.customer, limit=options.limit)
        async with MondayClient(
            cfg.api_url,
            token,
            settings.monday.api_version,
            batch=settings.batch,
            rate=settings.rate,
            transport=self.transport,
            on_request=_timeline_recorder(report),
        ) as client:
            waiting = getattr(self.progress, "waiting", None)
            if callable(waiting):  # a display that says when it waits for monday
                client.scheduler.on_wait = waiting
            try:
                with phase("schema"):
                    schema = await fetch_board_schema(
                        client, cfg.env.items_board_id, cfg.env.subitems_board_id
                    )
                with phase("claim"):
                    now = utcnow()
                    if options.dry_run:
                        rows = await asyncio.to_thread(store.peek, now, flt)
                    else:
                        rows = await asyncio.to_thread(store.claim, report.run_id, now, flt)
                report.claimed_orders, report.claimed_lines = len(rows.orders), len(rows.lines)
                try:
                    await self._sync(client, store, schema, rows)
                finally:
                    if not options.dry_run:
                        with phase("release"):
                            await asyncio.to_thread(store.release, report.run_id)
            finally:
                report.finished_at = utcnow()
                report.api = _api_stats(client)
        return report

    async def _sync(
        self, client: MondayClient, store: SyncStore, schema: BoardSchema, rows: ClaimedRows
    ) -> None:
        report, settings = self.report, self.settings
        phase = _Phases(report)
        if not self.options.dry_run and rows:
            with phase("reconcile"):
                rows = await _reconcile_in_flight(client, store, settings, schema, rows, report)
        with phase("plan"):
            the_plan = plan(rows.orders, rows.lines, PlanContext(settings, schema))
        report.plan, report.plan_counts = the_plan, the_plan.counts()
        if self.on_plan is not None:
            self.on_plan(the_plan)
        for order in rows.orders:
            report.tally.order_seen(order.ref)
        if self.options.dry_run:
            report.outcome = "nothing" if the_plan.is_empty else "dry-run"
            return
        with phase("write"):
            await asyncio.to_thread(_settle_and_fail, store, the_plan, report.tally)
        executor = Executor(
            client=client,
            store=store,
            settings=settings,
            schema=schema,
            run_id=report.run_id,
            tally=report.tally,
            progress=self.progress,
            lookup_delay=self.lookup_delay,
        )
        with phase("execute"):
            await executor.execute(the_plan, rows)
        if executor.aborted is not None:
            report.outcome, report.message = "failed", str(executor.aborted)
        elif report.tally.errors:
            report.outcome = "partial"
        else:
            report.outcome = "success" if rows else "nothing"


def _finish(engine: Engine, cfg: AppConfig, report: SyncReport) -> None:
    total = report.tally.total()
    synced = total.created + total.updated + total.archived + total.unchanged
    synced += total.subitems_created + total.subitems_updated + total.subitems_deleted
    try:
        finish_run(
            engine,
            cfg,
            report.run_id,
            finished_at=report.finished_at or utcnow(),
            outcome=report.outcome,
            phases=report.phases,
            counts=report.as_dict(),
            api=report.api,
            synced_rows=synced,
            error_rows=total.errors,
            message=report.message,
        )
    except Exception:  # the database is what failed: the run's own error says more
        log.exception("could not record run %s in the run history", report.run_id)


def _timeline_recorder(report: SyncReport) -> Callable[[RequestRecord], None]:
    """File each request for the API log and note the budget left, for the report."""
    t0 = time.perf_counter()

    def record(req: RequestRecord) -> None:
        on_request(req)
        if req.complexity is not None:
            report.budget_timeline.append(
                (
                    round(time.perf_counter() - t0, 3),
                    req.complexity.after,
                    req.complexity.query,
                )
            )

    return record


def _settle_and_fail(store: SyncStore, the_plan: Plan, tally: Tally) -> None:
    now = utcnow()
    if the_plan.settles:
        store.settle(now, the_plan.settles)
        for item in the_plan.settles:
            tally.unchanged(item.row)
    if the_plan.failures:
        batch = WriteBack.empty(now)
        for failure in the_plan.failures:
            target = batch.order_failures if failure.row.table == "order" else batch.line_failures
            target.append(Failure(failure.row.id, failure.message))
            tally.failed(failure.row, failure.message, failure.column)
        store.write_back(batch)


async def _reconcile_in_flight(
    client: MondayClient,
    store: SyncStore,
    settings: Settings,
    schema: BoardSchema,
    rows: ClaimedRows,
    report: SyncReport,
) -> ClaimedRows:
    """Rows a dead run left in flight: adopt what the board has, create only the rest."""
    now = utcnow()
    orders = [o for o in rows.orders if o.in_flight and o.item_id is None and o.action != "DELETE"]
    found_orders: dict[str, str] = {}
    if orders:
        found = await find_items_by_key(
            client, schema.items.id, settings.monday.business_key_column, [o.key for o in orders]
        )
        found_orders = {o.record_uuid: found.ids[o.key] for o in orders if o.key in found.ids}
        missing = [o.record_uuid for o in orders if o.record_uuid not in found_orders]
        await asyncio.to_thread(store.adopt, now, list(found_orders.items()), ())
        await asyncio.to_thread(store.resolve_not_found, now, missing, ())
    item_of = {o.record_uuid: found_orders.get(o.record_uuid, o.item_id) for o in rows.orders}
    lines = [
        ln
        for ln in rows.lines
        if ln.in_flight
        and ln.subitem_id is None
        and ln.action != "DELETE"
        and (item_of.get(ln.record_uuid) or ln.parent_item_id)
    ]
    found_lines: dict[str, str] = {}
    if lines:
        parent = {ln.line_id: item_of.get(ln.record_uuid) or ln.parent_item_id for ln in lines}
        template = settings.names.subitem.template
        name_of = {
            template.format(size_code=ln.size_code, qty=ln.qty, key=ln.order_key): ln.size_code
            for ln in lines
        }
        subs = await find_subitems(
            client,
            [p for p in parent.values() if p],
            settings.monday.subitems.columns.get("size_code"),
            name_of,
        )
        for ln in lines:
            hit = subs.get((str(parent[ln.line_id]), ln.size_code))
            if hit:
                found_lines[ln.line_id] = hit
        missing_lines = [ln.line_id for ln in lines if ln.line_id not in found_lines]
        await asyncio.to_thread(store.adopt, now, (), list(found_lines.items()))
        await asyncio.to_thread(store.resolve_not_found, now, (), missing_lines)
    report.in_flight_reconciled = len(orders) + len(lines)
    report.tally.adopted += len(found_orders) + len(found_lines)
    if not (found_orders or found_lines):
        return rows
    new_orders = [
        dataclasses.replace(
            o,
            item_id=found_orders[o.record_uuid],
            synced_values=None,
            action="UPDATE",
            in_flight=False,
        )
        if o.record_uuid in found_orders
        else o
        for o in rows.orders
    ]
    new_lines = [
        dataclasses.replace(
            ln,
            subitem_id=found_lines[ln.line_id],
            synced_qty=None,
            action="UPDATE",
            parent_item_id=item_of.get(ln.record_uuid) or ln.parent_item_id,
        )
        if ln.line_id in found_lines
        else dataclasses.replace(
            ln, parent_item_id=item_of.get(ln.record_uuid) or ln.parent_item_id
        )
        for ln in rows.lines
    ]
    return ClaimedRows(new_orders, new_lines, rows.claimed_at, rows.expires_at)


def _api_stats(client: MondayClient) -> dict[str, Any]:
    return dict(client.stats.as_dict())


def sample_operations(the_plan: Plan, per_kind: int = 3) -> dict[str, list[Operation]]:
    """A few operations of each kind, for the dry run's printout."""
    out: dict[str, list[Operation]] = {}
    for op in the_plan.item_ops + the_plan.line_ops:
        bucket = out.setdefault(op.kind.value, [])
        if len(bucket) < per_kind:
            bucket.append(op)
    return out
