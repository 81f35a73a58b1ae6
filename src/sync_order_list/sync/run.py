"""One sync run, start to end: claim, reconcile, plan, execute, release, record.

``run_sync`` is what the CLI, the demo, the tests and the benchmarks call. It takes a
transport (the HTTP seam) so tests can point it at the local emulator, and a progress
callback so a terminal can draw bars.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import time
import uuid
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any, Literal

from sqlalchemy import Engine

from sync_order_list.bulk.api import BulkApi
from sync_order_list.bulk.job import JobDriver
from sync_order_list.bulk.journal import BulkJournal, is_bulk_key
from sync_order_list.bulk.lane import BulkLane
from sync_order_list.bulk.resume import resume_jobs
from sync_order_list.config import AppConfig, Settings
from sync_order_list.errors import SyncOrderListError
from sync_order_list.logs import register_secret
from sync_order_list.merge import MergeResult
from sync_order_list.monday import MondayClient, RequestRecord, Transport, fetch_board_schema
from sync_order_list.monday.schema import BoardSchema
from sync_order_list.report.runs import finish_run, start_run
from sync_order_list.sync.clock import utcnow
from sync_order_list.sync.executor import (
    Executor,
    ProgressSink,
    api_log_rows,
    on_request,
    reset_log_context,
    run_log_context,
)
from sync_order_list.sync.group_claims import GroupClaims
from sync_order_list.sync.groups import Groups
from sync_order_list.sync.liveness import Liveness
from sync_order_list.sync.operations import Operation, Plan
from sync_order_list.sync.planner import PlanContext, plan
from sync_order_list.sync.recovery import recover
from sync_order_list.sync.rows import ClaimedRows
from sync_order_list.sync.signals import StopRequest
from sync_order_list.sync.store import ClaimFilter, Failure, SyncStore, WriteBack
from sync_order_list.sync.tally import Tally
from sync_order_list.sync.writer import BoardWriter

log = logging.getLogger("sync_order_list.sync")

Mode = Literal["batch", "single"]

# finished documents are kept a day for the record (the API log holds the requests)
DOCUMENTS_KEPT_SECONDS = 86_400


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
    outcome: str = "running"  # success | partial | failed | nothing | interrupted | dry-run
    message: str | None = None
    exit_signal: int | None = None  # the signal that interrupted the run
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
    held_by_other_runs: int = 0  # orders to sync that a live run holds (dry run)
    taken_over: list[str] = field(default_factory=list)  # dead runs whose rows it took
    documents: int = 0  # mutation documents sent
    lanes: dict[str, Any] = field(default_factory=dict)
    bulk: dict[str, Any] = field(default_factory=dict)  # the bulk import lane's figures

    @property
    def seconds(self) -> float:
        return sum(self.phases.values())

    @property
    def exit_code(self) -> int:
        if self.outcome == "interrupted":
            return 128 + (self.exit_signal or 15)
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
            "held_by_other_runs": self.held_by_other_runs,
            "taken_over": self.taken_over,
            "documents": self.documents,
            "lanes": self.lanes,
            "bulk": self.bulk,
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
    stop: StopRequest | None = None,
    lookups: bool = True,
) -> SyncReport:
    """Sync what the merge marked PENDING; never raises for row-level problems.

    Every run that writes leaves a ``SYNC_RUNS`` row, a failed one too. ``stop`` is set
    by SIGTERM/SIGINT (see ``signals``): the run then finishes what is in flight and
    ends ``interrupted``. ``lookups`` False is a test switch: unknown outcomes are then
    settled by replays alone.
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
        stop=stop or StopRequest(),
        lookups=lookups,
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
    stop: StopRequest
    lookups: bool
    declared_dead: bool = False

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
        liveness = Liveness(self.engine, store.t, self.settings)
        if not self.options.dry_run:
            await asyncio.to_thread(liveness.register, self.report.run_id, utcnow())
        log_context, log_token = run_log_context()
        try:
            return await self._with_client(store, liveness, token)
        finally:
            reset_log_context(log_token)
            if not self.options.dry_run:
                rows = api_log_rows(self.report.run_id, log_context)
                await asyncio.to_thread(store.write_api_log, rows)

    async def _with_client(self, store: SyncStore, liveness: Liveness, token: str) -> SyncReport:
        report, options, settings, cfg = self.report, self.options, self.settings, self.cfg
        phase = _Phases(report)
        flt = ClaimFilter(customer=options.customer, limit=options.limit)
        stopped = self.stop.event()
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
                if options.dry_run:
                    with phase("claim"):
                        now = utcnow()
                        dead = await asyncio.to_thread(liveness.dead_runs, now)
                        rows = await asyncio.to_thread(
                            store.peek, now, flt, [d.run_id for d in dead]
                        )
                        report.held_by_other_runs = await asyncio.to_thread(
                            liveness.held_by_live_runs, now
                        )
                    await self._plan_only(schema, rows)
                    return report
                if self.stop.requested:
                    self._interrupted()
                    return report
                with phase("claim"):
                    now = utcnow()
                    taken = await asyncio.to_thread(liveness.take_over, now, exclude=report.run_id)
                    report.taken_over = [d.run_id for d in taken]
                    for dead in taken:
                        log.warning(
                            "run %s was abandoned (%s): its rows are taken over",
                            dead.run_id,
                            dead.reason,
                        )
                    rows = await asyncio.to_thread(store.claim, report.run_id, now, flt)
                report.claimed_orders, report.claimed_lines = len(rows.orders), len(rows.lines)
                heart = asyncio.create_task(self._heartbeat(store, liveness, stopped))
                try:
                    await self._within_grace(
                        self._sync(client, store, liveness, schema, rows, stopped), stopped
                    )
                finally:
                    heart.cancel()
                    with contextlib.suppress(asyncio.CancelledError):
                        await heart
                    with phase("release"):
                        await asyncio.to_thread(store.release, report.run_id)
                        await asyncio.to_thread(
                            store.purge_documents,
                            utcnow() - timedelta(seconds=DOCUMENTS_KEPT_SECONDS),
                        )
            finally:
                report.finished_at = utcnow()
                report.api = _api_stats(client)
        return report

    async def _within_grace(self, work: Any, stopped: asyncio.Event) -> None:
        """Run ``work``; once a stop is requested it has ``sync.grace_seconds`` left
        (lanes start nothing new meanwhile), then it is cancelled: documents still out
        stay journaled and in flight, and the next run replays them."""
        task = asyncio.ensure_future(work)
        waiter = asyncio.ensure_future(stopped.wait())
        try:
            await asyncio.wait({task, waiter}, return_when=asyncio.FIRST_COMPLETED)
        finally:
            waiter.cancel()
        if not task.done():
            grace = self.settings.sync.grace_seconds
            try:
                await asyncio.wait_for(asyncio.shield(task), timeout=grace)
            except TimeoutError:
                task.cancel()
                with contextlib.suppress(asyncio.CancelledError):
                    await task
                log.warning("documents still in flight after %g s: left for the next run", grace)
        if task.done() and not task.cancelled():
            task.result()
        if self.stop.requested:
            self._interrupted()

    def _interrupted(self) -> None:
        report = self.report
        if self.declared_dead:
            report.outcome = "failed"
            report.message = (
                "stopped: another run found this one's heartbeat stale, declared it dead and "
                "took its rows over (documents in flight stay journaled for a replay)"
            )
            return
        report.outcome = "interrupted"
        report.exit_signal = self.stop.signum
        report.message = (
            f"stopped by {self.stop.name}: documents in flight were finished or left "
            "journaled for the next run, and every claim was released"
        )

    async def _heartbeat(
        self, store: SyncStore, liveness: Liveness, stopped: asyncio.Event
    ) -> None:
        """Renew the heartbeat (and, now and then, the claims) while the run lives; a run
        another one declared dead stops at once."""
        ttl = self.settings.sync.claim_ttl_seconds
        interval = min(self.settings.sync.heartbeat_seconds, ttl / 3)
        extended = time.monotonic()
        while True:
            await asyncio.sleep(interval)
            try:
                alive = await asyncio.to_thread(liveness.beat, self.report.run_id, utcnow())
                if time.monotonic() - extended >= ttl / 3:
                    await asyncio.to_thread(store.extend, self.report.run_id, utcnow())
                    extended = time.monotonic()
            except Exception as exc:  # the database is away: keep trying, the run goes on
                log.warning("could not renew the heartbeat of run %s: %s", self.report.run_id, exc)
                continue
            if not alive:
                log.error("run %s was declared dead by another run: stopping", self.report.run_id)
                self.declared_dead = True
                self.stop.request()
                stopped.set()
                return

    async def _plan_only(self, schema: BoardSchema, rows: ClaimedRows) -> None:
        report = self.report
        report.claimed_orders, report.claimed_lines = len(rows.orders), len(rows.lines)
        with _Phases(report)("plan"):
            the_plan = plan(rows.orders, rows.lines, PlanContext(self.settings, schema))
        report.plan, report.plan_counts = the_plan, the_plan.counts()
        if self.on_plan is not None:
            self.on_plan(the_plan)
        for order in rows.orders:
            report.tally.order_seen(order.ref)
        report.outcome = "nothing" if the_plan.is_empty else "dry-run"

    async def _sync(
        self,
        client: MondayClient,
        store: SyncStore,
        liveness: Liveness,
        schema: BoardSchema,
        rows: ClaimedRows,
        stopped: asyncio.Event,
    ) -> None:
        report, settings = self.report, self.settings
        phase = _Phases(report)
        writer = BoardWriter(client, store, report.run_id)
        groups = Groups(
            client=client,
            writer=writer,
            claims=GroupClaims(self.engine, store.t.groups, schema.items.id),
            board_id=schema.items.id,
            run_id=report.run_id,
            settings=settings,
            is_dead=lambda run_id: (
                run_id in {d.run_id for d in liveness.dead_runs(utcnow(), exclude=report.run_id)}
            ),
            regroup_orders=store.move_orders_to_group,
            lookup_delay=self.lookup_delay,
            create_per_document=settings.batch.items_per_request,
        )
        executor = Executor(
            client=client,
            store=store,
            settings=settings,
            schema=schema,
            run_id=report.run_id,
            tally=report.tally,
            writer=writer,
            groups=groups,
            progress=self.progress,
            lookup_delay=self.lookup_delay,
            lookups=self.lookups,
            stop=stopped,
        )
        bulk_lane = None
        resuming = _has_bulk_rows(rows)
        if settings.bulk.mode != "off" or resuming:
            driver = JobDriver(
                api=BulkApi(client, settings.bulk),
                journal=BulkJournal(self.engine, store.t.bulk_jobs, store.t.orders, store.t.lines),
                client=client,
                settings=settings,
                schema=schema,
                stopping=lambda: stopped.is_set(),
            )
            if resuming:
                with phase("bulk resume"):
                    resumed = await resume_jobs(
                        driver=driver,
                        executor=executor,
                        journal=driver.journal,
                        store=store,
                        rows=rows,
                        run_id=report.run_id,
                        tally=report.tally,
                    )
                report.bulk["resumed_jobs"] = resumed.jobs
                report.in_flight_reconciled += resumed.adopted + resumed.refused
                if resumed.changed:
                    rows = await asyncio.to_thread(store.claimed, report.run_id, utcnow())
                rows = _without(rows, resumed.unsettled_orders, resumed.unsettled_lines)
                report.tally.pending_left += len(resumed.unsettled_orders) + len(
                    resumed.unsettled_lines
                )
            if settings.bulk.mode != "off" and self.options.mode == "batch":
                bulk_lane = BulkLane(
                    executor=executor,
                    driver=driver,
                    journal=driver.journal,
                    settings=settings,
                    schema=schema,
                    run_id=report.run_id,
                    refresh_schema=lambda: fetch_board_schema(
                        client, self.cfg.env.items_board_id, self.cfg.env.subitems_board_id
                    ),
                )
                executor.bulk = bulk_lane
        if rows:
            with phase("reconcile"):
                recovered = await recover(
                    executor=executor,
                    client=client,
                    store=store,
                    settings=settings,
                    schema=schema,
                    rows=rows,
                    run_id=report.run_id,
                    now=utcnow(),
                    lookups=self.lookups,
                )
            report.in_flight_reconciled += recovered.rows
            report.tally.adopted += recovered.adopted
            if recovered.replayed or recovered.looked_up:
                rows = await asyncio.to_thread(store.claimed, report.run_id, utcnow())
            rows = _without(rows, recovered.unsettled_orders, recovered.unsettled_lines)
            if recovered.unsettled_orders or recovered.unsettled_lines:
                report.tally.pending_left += len(recovered.unsettled_orders) + len(
                    recovered.unsettled_lines
                )
        if executor.aborted is not None:
            report.outcome, report.message = "failed", str(executor.aborted)
            return
        with phase("plan"):
            the_plan = plan(rows.orders, rows.lines, PlanContext(settings, schema))
        report.plan, report.plan_counts = the_plan, the_plan.counts()
        if self.on_plan is not None:
            self.on_plan(the_plan)
        for order in rows.orders:
            report.tally.order_seen(order.ref)
        with phase("write"):
            await asyncio.to_thread(_settle_and_fail, store, report.run_id, the_plan, report.tally)
        with phase("execute"):
            await executor.execute(the_plan, rows)
        report.documents = executor.documents_sent
        report.lanes = {
            lane.name: {
                "documents": lane.sent_documents,
                "seconds_per_mutation": round(lane.server_time.seconds_per_op, 4),
            }
            for lane in (executor.items, executor.subitems)
        }
        if bulk_lane is not None:
            report.bulk.update(bulk_lane.stats.as_dict(), polls=bulk_lane.driver.polls)
            report.lanes["bulk"] = {"jobs": bulk_lane.stats.jobs, "rows": bulk_lane.stats.rows}
        if executor.aborted is not None:
            report.outcome, report.message = "failed", str(executor.aborted)
        elif report.tally.errors:
            report.outcome = "partial"
        else:
            report.outcome = "success" if rows else "nothing"


def _has_bulk_rows(rows: ClaimedRows) -> bool:
    return any(r.in_flight and is_bulk_key(r.doc_key) for r in [*rows.orders, *rows.lines])


def _without(rows: ClaimedRows, orders: set[str], lines: set[str]) -> ClaimedRows:
    """Rows still in flight with an unanswered document stay out of the plan (they are
    never created again on a guess), and so do the lines of such orders."""
    if not orders and not lines:
        return rows
    return ClaimedRows(
        [o for o in rows.orders if o.record_uuid not in orders],
        [ln for ln in rows.lines if ln.line_id not in lines and ln.record_uuid not in orders],
        rows.claimed_at,
        rows.expires_at,
    )


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


def _settle_and_fail(store: SyncStore, run_id: str, the_plan: Plan, tally: Tally) -> None:
    now = utcnow()
    if the_plan.settles:
        store.settle(run_id, now, the_plan.settles)
        for item in the_plan.settles:
            tally.unchanged(item.row)
    if the_plan.failures:
        batch = WriteBack.empty(now, run_id)
        for failure in the_plan.failures:
            target = batch.order_failures if failure.row.table == "order" else batch.line_failures
            target.append(Failure(failure.row.id, failure.message))
            tally.failed(failure.row, failure.message, failure.column)
        store.write_back(batch)


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
