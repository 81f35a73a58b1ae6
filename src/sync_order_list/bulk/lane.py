"""The bulk lane: orders that have no item yet, in bulk import jobs, beside the
regular lanes.

It only runs when ``bulk.mode`` is on and the run has at least ``bulk.min_orders``
orders to create. Then:

1. labels the board lacks are made first through the regular API: one order that
   needs each such label is all the items lane holds meanwhile (the others are parked
   a moment), and once those are written back the board's columns are read again, so
   a file only names labels that exist;
2. it takes every eligible order to create (with its size lines) of the groups with at
   least ``bulk.min_job_orders`` of them: on monday's subitems board each regular
   size line costs server time a bulk row doesn't, so while the hourly budgets last
   the bulk lane does what it can and the regular lane the rest (updates, small
   groups, orders a file can't carry). Jobs of one group each are cut from that pool,
   recorded and driven (``job``), ``bulk.concurrent_jobs`` at a time. While the hourly
   budgets are spent, the pool feeds the regular lanes only as fast as they send (about
   two subitems documents of lines waiting), and jobs start again from the pool as the
   rolling hour frees budget;
3. what a job made is written back like a regular result; what monday refused becomes
   ERROR with its reason; what was not made goes back to the regular lanes; a job
   rejected for the account's capacity stops the bulk lane for this run.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from typing import Any

from sync_order_list.bulk.budget import capacity, window
from sync_order_list.bulk.cells import NotImportable, labels_used, parse_column_values
from sync_order_list.bulk.csvfile import JobOrder, build_file, importable
from sync_order_list.bulk.job import JobDriver, Settlement, Unsettled
from sync_order_list.bulk.journal import BulkJob, BulkJournal
from sync_order_list.config import Settings
from sync_order_list.monday.schema import Board, BoardSchema
from sync_order_list.sync.clock import utcnow
from sync_order_list.sync.executor import Executor
from sync_order_list.sync.operations import Operation, OpKind
from sync_order_list.sync.results import RowResult

log = logging.getLogger("sync_order_list.bulk")


@dataclass
class BulkStats:
    jobs: int = 0
    rows: int = 0  # file rows sent (items and subitems)
    orders: int = 0  # orders sent in jobs
    items_made: int = 0
    subitems_made: int = 0
    refused: int = 0  # rows monday refused (ERROR)
    returned: int = 0  # rows a job did not make, back to the regular lanes
    uncertain: int = 0  # rows left in flight for a later run
    rejected: dict[str, int] = field(default_factory=dict)
    label_carriers: int = 0
    fed_to_regular: int = 0  # orders handed to the regular lanes while the budgets were spent
    budget_wait_seconds: float = 0.0
    skipped_reason: str | None = None

    def as_dict(self) -> dict[str, Any]:
        return {k: (round(v, 3) if isinstance(v, float) else v) for k, v in self.__dict__.items()}


class BulkLane:
    def __init__(
        self,
        *,
        executor: Executor,
        driver: JobDriver,
        journal: BulkJournal,
        settings: Settings,
        schema: BoardSchema,
        run_id: str,
        refresh_schema: Callable[[], Awaitable[BoardSchema]],
    ) -> None:
        self.ex = executor
        self.driver = driver
        self.journal = journal
        self.settings = settings
        self.bulk = settings.bulk
        self.schema = schema
        self.run_id = run_id
        self.refresh_schema = refresh_schema
        self.stats = BulkStats()
        self.closed = False
        self._eligible_cache: dict[str, bool] = {}
        # orders held back from the regular lane while the label carriers go first
        self._parked: list[list[Operation]] = []
        # orders the bulk lane holds, by group, while its hourly budgets last
        self._pool: dict[str, list[tuple[Operation, list[Operation]]]] = {}

    # -- the lane ----------------------------------------------------------------------
    async def run(self) -> None:
        creates = sum(1 for row in self.ex.items.queue if row[0].kind is OpKind.CREATE_ITEM)
        if creates < self.bulk.min_orders:
            self.stats.skipped_reason = (
                f"{creates} orders to create, under bulk.min_orders ({self.bulk.min_orders})"
            )
            return
        await self._labels_first()
        running: set[asyncio.Task[None]] = set()
        try:
            if not self._stopping():
                self._unpark()  # nothing awaits between this and the take
                self._fill_pool()
            while not self._stopping():
                if len(running) >= self.bulk.concurrent_jobs:
                    await self._one_done(running)
                    continue
                now = utcnow()
                spent = await asyncio.to_thread(self.journal.spent_since, now - window(self.bulk))
                cap = capacity(self.bulk, spent, now)
                rows = cap.rows_for_next_job(self.bulk.rows_per_job())
                if rows < 2 * self.bulk.min_job_orders:  # not even a small job fits now
                    self._unpark()
                    if cap.next_free_at is None and not running:  # none will free up
                        self._return_pool("the hourly budgets allow no job")
                        break
                    self._feed_regular()
                    if not self._pool and not self._eligible_left():
                        break
                    wait = (cap.next_free_at - now).total_seconds() if cap.next_free_at else 0
                    wait = min(max(wait, 0.05), self.bulk.poll_seconds)
                    self.stats.budget_wait_seconds += wait
                    await self._pause(wait, running)
                    continue
                orders = self._next_orders(rows)
                if not orders:
                    if not running:
                        break
                    await self._one_done(running)
                    continue
                job = await self._record(orders)
                if job is None:
                    break
                running.add(asyncio.create_task(self._run_job(job, orders)))
            if running:
                await asyncio.gather(*running)
        finally:
            self._unpark()
            self._return_pool("the run is stopping")
            for task in running:
                task.cancel()
            for task in running:
                with contextlib.suppress(asyncio.CancelledError, Exception):
                    await task

    # -- the pool: orders the bulk lane holds while its budgets last ---------------------
    def _fill_pool(self) -> None:
        for op, lines in self.ex.take_all_for_bulk(self._eligible, self.bulk.min_job_orders):
            self._pool.setdefault(op.group_title or "", []).append((op, lines))

    def _return_pool(self, why: str) -> None:
        orders = [order for group in self._pool.values() for order in group]
        self._pool.clear()
        if orders:
            log.info("%d orders go back to the regular lane: %s", len(orders), why)
            self.ex.give_back(orders)

    def _feed_regular(self) -> None:
        """While the hourly budgets are spent, the regular lanes get orders from the pool
        only as fast as they can send them: enough size lines for about two subitems
        documents waiting (monday's subitems board is what binds the regular path). The
        rest stays in the pool for the bulk lane, as the rolling hour frees budget."""
        target = 2 * self.ex.subitems_document_size()
        backlog = self.ex.lines_backlog()
        if backlog >= target or not self._pool:
            return
        given: list[tuple[Operation, list[Operation]]] = []
        for group in sorted(self._pool, key=lambda g: len(self._pool[g])):  # small first
            orders = self._pool[group]
            while orders and backlog < target:
                order = orders.pop()
                given.append(order)
                backlog += max(1, len(order[1]))
            if not orders:
                del self._pool[group]
            if backlog >= target:
                break
        if given:
            self.stats.fed_to_regular += len(given)
            self.ex.give_back(given)

    def _next_orders(self, rows: int) -> list[tuple[Operation, list[Operation]]]:
        """A job's worth of one group: from the pool while it lasts, then from the back
        of the items lane (orders given back, or queued after the pool was filled)."""
        if not self._pool:
            return self.ex.take_for_bulk(self._eligible, rows, self.bulk.min_job_orders)
        group = max(self._pool, key=lambda g: len(self._pool[g]))
        orders, taken, rest = self._pool[group], [], []
        used = 0
        for op, lines in orders:
            if used + 1 + len(lines) <= rows:
                taken.append((op, lines))
                used += 1 + len(lines)
            else:
                rest.append((op, lines))
        if rest:
            self._pool[group] = rest
        else:
            del self._pool[group]
        return taken

    def _unpark(self) -> None:
        if self._parked:
            parked, self._parked = self._parked, []
            self.ex.unpark(parked)

    def _stopping(self) -> bool:
        return self.closed or self.ex.stopping or self.ex.aborted is not None

    async def _one_done(self, running: set[asyncio.Task[None]]) -> None:
        done, _ = await asyncio.wait(running, return_when=asyncio.FIRST_COMPLETED)
        running.difference_update(done)
        for task in done:
            task.result()

    async def _pause(self, seconds: float, running: set[asyncio.Task[None]]) -> None:
        if running:
            done, _ = await asyncio.wait(running, timeout=seconds)
            running.difference_update(done)
            for task in done:
                task.result()
        else:
            await asyncio.sleep(seconds)

    # -- which orders ------------------------------------------------------------------
    def _eligible(self, op: Operation) -> bool:
        if op.row is None:
            return False
        known = self._eligible_cache.get(op.row.id)
        if known is None:
            why = self._check(op)
            known = why is None
            if why is not None:
                log.debug("order %r goes the regular path: %s", op.row.key, why)
            self._eligible_cache[op.row.id] = known
        return known

    def _check(self, op: Operation) -> str | None:
        if op.group_title not in self.ex.group_ids:
            return "its group is unknown"
        order = JobOrder(op, tuple(self.ex.waiting_lines_of(op.row.id if op.row else "")))
        missing = self._missing_labels(order)
        if missing:
            return f"labels not on the board yet: {sorted(missing)}"
        return importable(order, self.schema.items.columns, self._sub_columns())

    def _eligible_left(self) -> bool:
        return any(
            row[0].kind is OpKind.CREATE_ITEM and self._eligible(row[0])
            for row in self.ex.items.queue
        )

    def _sub_columns(self) -> dict[str, Any]:
        return dict(self.schema.subitems.columns) if self.schema.subitems else {}

    def _missing_labels(self, order: JobOrder) -> dict[tuple[str, str, str], str]:
        """(board, column, label) the board lacks -> the row (order or line) naming it."""
        out: dict[tuple[str, str, str], str] = {}
        boards: list[tuple[Board | None, Operation]] = [(self.schema.items, order.create)]
        boards += [(self.schema.subitems, ln) for ln in order.lines]
        for board, op in boards:
            if board is None or op.row is None:
                continue
            try:
                values = parse_column_values(op.variables.get("column_values"))
            except ValueError:
                continue
            for column_id, value in values.items():
                column = board.columns.get(column_id)
                if column is None or column.type not in ("status", "dropdown"):
                    continue
                existing = set(column.labels.values())
                try:
                    names = labels_used(column, value)
                except NotImportable:
                    continue
                for name in names:
                    if name not in existing:
                        out.setdefault((board.id, column_id, name), op.row.id)
        return out

    async def _labels_first(self) -> None:
        """One row per missing label goes first through the regular API (which makes
        the label); once those are written back, the board's columns are read again."""
        carriers: dict[tuple[str, str, str], tuple[str, str]] = {}  # label -> (order, row)
        for row in list(self.ex.items.queue):
            op = row[0]
            if op.kind is not OpKind.CREATE_ITEM or op.row is None:
                continue
            order = JobOrder(op, tuple(self.ex.waiting_lines_of(op.row.id)))
            for label, row_id in self._missing_labels(order).items():
                carriers.setdefault(label, (op.row.id, row_id))
        if not carriers:
            return
        wanted = {order_id for order_id, _ in carriers.values()}
        rows = {(order_id, row_id) for order_id, row_id in carriers.values()}
        self.stats.label_carriers = len(wanted)
        log.info(
            "%d labels are not on the board: %d orders carrying them go first, through the "
            "regular API",
            len(carriers),
            len(wanted),
        )
        self._parked = self.ex.park_except(wanted)
        deadline = asyncio.get_running_loop().time() + self.bulk.job_timeout_seconds
        while not self._stopping() and not self._carried(rows):
            if asyncio.get_running_loop().time() > deadline:
                break
            self.ex.settled.clear()
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self.ex.settled.wait(), timeout=self.bulk.poll_seconds)
        if self._stopping():
            return
        self.schema = await self.refresh_schema()
        self._eligible_cache.clear()

    def _carried(self, rows: set[tuple[str, str]]) -> bool:
        """Each carrier row is written back (a line whose order failed can't be: its
        order's failure is enough)."""
        settled = self.ex.settled_rows
        for order_id, row_id in rows:
            if order_id not in settled:
                return False
            if row_id != order_id and order_id in self.ex.item_ids and row_id not in settled:
                return False
        return True

    # -- one job -----------------------------------------------------------------------
    async def _record(self, orders: list[tuple[Operation, list[Operation]]]) -> BulkJob | None:
        group_title = orders[0][0].group_title or ""
        job_orders = [JobOrder(op, tuple(lines)) for op, lines in orders]
        match = self.settings.monday.business_key_column if self.bulk.mode == "ingest" else None
        bulk_file = build_file(
            job_orders, self.schema.items.columns, self._sub_columns(), match_column=match
        )
        job = BulkJob.new(
            run_id=self.run_id,
            board_id=self.schema.items.id,
            group_id=self.ex.group_ids[group_title],
            operation=self.bulk.mode,
            bulk_file=bulk_file,
            now=utcnow(),
        )
        await asyncio.to_thread(self.journal.record, job)
        self.stats.jobs += 1
        self.stats.rows += job.file_rows
        self.stats.orders += job.item_rows
        log.info(
            "bulk job %s: %d orders and %d lines of group %r",
            job.key,
            job.item_rows,
            job.file_rows - job.item_rows,
            group_title,
        )
        return job

    async def _run_job(self, job: BulkJob, orders: list[tuple[Operation, list[Operation]]]) -> None:
        try:
            settlement = await self.driver.drive(job)
        except Unsettled as exc:
            log.warning("%s: its %d rows stay in flight for the next run", exc, job.file_rows)
            self.stats.uncertain += job.file_rows
            self.ex.tally.pending_left += job.file_rows
            return
        await self._apply(settlement, orders)
        await self.driver.finish(settlement)

    async def _apply(self, s: Settlement, orders: list[tuple[Operation, list[Operation]]]) -> None:
        ex = self.ex
        ops = {op.row.id: op for order, lines in orders for op in (order, *lines) if op.row}
        results: dict[Any, RowResult] = {}
        for record_uuid, item_id in s.items.items():
            op = ops[record_uuid]
            results[op.row] = RowResult(ops=[op], item_id=item_id)
        for line_id, (subitem_id, _qty) in s.subitems.items():
            op = ops[line_id]
            results[op.row] = RowResult(ops=[op], item_id=subitem_id)
        if results:
            await ex.write_results(results)
        self.stats.items_made += len(s.items)
        self.stats.subitems_made += len(s.subitems)
        if s.errors:
            await ex.fail_each([(ops[i].row, m) for i, m in s.errors.items() if ops[i].row])
            self.stats.refused += len(s.errors)
        if s.start_refused:
            log.warning("monday refused a job's start: bulk stops here (%s)", s.job.message)
            self.closed = True
        if s.rejected:
            self.stats.rejected[s.rejected] = self.stats.rejected.get(s.rejected, 0) + 1
            if s.capacity_rejected:
                log.warning("monday rejected a job for the account's capacity: bulk stops here")
                self.closed = True
        missing = {m.ref.id for m in s.missing}
        if missing:
            await asyncio.to_thread(
                ex.store.resolve_not_found,
                self.run_id,
                utcnow(),
                [m.ref.id for m in s.missing if m.ref.table == "order"],
                [m.ref.id for m in s.missing if m.ref.table == "line"],
            )
            back = [
                (op, [ln for ln in lines if ln.row and ln.row.id in missing])
                for op, lines in orders
                if op.row and op.row.id in missing
            ]
            ex.give_back(back)
            lines_back = [
                ln
                for op, lines in orders
                if op.row and op.row.id in ex.item_ids
                for ln in lines
                if ln.row and ln.row.id in missing
            ]
            ex.give_back_lines(lines_back)
            waiting = len(missing) - len(back) - sum(len(b[1]) for b in back) - len(lines_back)
            ex.tally.pending_left += max(0, waiting)
            self.stats.returned += len(missing)
        if s.uncertain:
            self.stats.uncertain += len(s.uncertain)
            ex.tally.pending_left += len(s.uncertain)
        order_rows = sum(1 for i in [*s.items, *s.errors] if ops[i].row.table == "order")
        ex.progress("items", order_rows)
        ex.progress("subitems", len(s.items) + len(s.subitems) + len(s.errors) - order_rows)
