"""The executor: carries out a plan as aliased GraphQL documents, lane by lane.

Groups come first (each created once across runs, see ``groups``). Then two lanes run
side by side, one per board (see ``lanes``): the items lane (create, update, move,
archive) and the subitems lane, which starts with the lines whose order already has an
item and is fed the lines of each order as soon as its create is confirmed. Each lane
has at most one mutation document out at a time. Each document goes through the same
steps:

1. it is journaled under a fresh Idempotency-Key, with its rows marked in flight, in
   one committed transaction (``writer``);
2. the client sends it, spending the complexity budget as the scheduler allows, and
   resends the identical body under the same key when an answer is lost;
3. per-alias results: an alias that failed fails only its row;
4. a document-level refusal (4xx) is bisected down to the rows that cause it; a 500
   (monday's answer to an id that doesn't exist or malformed JSON, after running the
   aliases before it) first has its creates looked up by key, then is bisected;
5. a document cut by monday's 60 s limit has its creates looked up by key (found ones
   adopted), and the rest sent again in a new, smaller document;
6. a document that got no answer at all even after retries is replayed under its key
   once the lane is empty; still nothing, and its rows stay in flight for the next run;
7. the results, the document's state and the API log rows are written back in one
   transaction.
"""

from __future__ import annotations

import asyncio
import contextlib
import contextvars
import dataclasses
import json
import logging
from collections.abc import Awaitable, Callable, Iterable
from dataclasses import dataclass, field
from typing import Any, Protocol, TypeVar

from sync_order_list.config import Settings
from sync_order_list.errors import (
    MondayApiError,
    MondayAuthError,
    MondayCallTimeoutError,
    MondayError,
    MondayQueryTooComplexError,
    MondayRateLimitError,
    MondayTransportError,
    SyncOrderListError,
)
from sync_order_list.logs import redact
from sync_order_list.monday import MondayClient, RequestRecord, compose, single
from sync_order_list.monday.documents import ComposedDocument
from sync_order_list.monday.scheduler import Slot
from sync_order_list.monday.schema import BoardSchema
from sync_order_list.sync.clock import utcnow
from sync_order_list.sync.groups import GroupOutcome, Groups
from sync_order_list.sync.journal import JournalEntry
from sync_order_list.sync.lanes import Lane, ServerTime, by_row
from sync_order_list.sync.operations import Operation, OpKind, Plan
from sync_order_list.sync.reconcile import find_items_by_key, find_subitems
from sync_order_list.sync.results import RowResult, row_results
from sync_order_list.sync.rows import ClaimedRows, RowRef
from sync_order_list.sync.store import Failure, LineDone, OrderDone, SyncStore, WriteBack
from sync_order_list.sync.tally import Tally
from sync_order_list.sync.writer import BoardWriter

log = logging.getLogger("sync_order_list.sync")

MAX_UNKNOWN_ROUNDS = 5  # lookups + re-sends of one create before it is left in flight
DEFERRED_REPLAYS = 2  # replays of an unanswered document once its lane is empty
RAMP_UP = (10, 30)  # the items lane's first documents while the subitems lane waits

ProgressSink = Callable[[str, int], None]
T = TypeVar("T")


class BulkLaneLike(Protocol):
    """What the executor needs of the bulk lane (``bulk.lane.BulkLane``)."""

    async def run(self) -> None: ...


__all__ = ["Executor", "ProgressSink", "RunAborted", "api_log_rows", "utcnow"]


@dataclass
class _DocContext:
    """What the API log needs to know about the request being sent (per task)."""

    keys: list[str]
    records: list[RequestRecord] = field(default_factory=list)


_current_doc: contextvars.ContextVar[_DocContext | None] = contextvars.ContextVar(
    "current_doc", default=None
)


def run_log_context() -> tuple[_DocContext, contextvars.Token[_DocContext | None]]:
    """Collect the records of requests sent outside any document (schema, lookups)."""
    context = _DocContext(keys=[])
    return context, _current_doc.set(context)


def reset_log_context(token: contextvars.Token[_DocContext | None]) -> None:
    _current_doc.reset(token)


def on_request(record: RequestRecord) -> None:
    """The client's per-attempt callback: file the record with the document being sent."""
    ctx = _current_doc.get()
    if ctx is not None:
        ctx.records.append(record)


class RunAborted(SyncOrderListError):
    """The run stopped early (token refused, rate limit beyond waiting, database down)."""


class _Abort(Exception):
    """Internal: the run was stopped while this request was out."""


class Executor:
    def __init__(
        self,
        *,
        client: MondayClient,
        store: SyncStore,
        settings: Settings,
        schema: BoardSchema,
        run_id: str,
        tally: Tally,
        writer: BoardWriter,
        groups: Groups,
        progress: ProgressSink | None = None,
        lookup_delay: float = 1.0,
        lookups: bool = True,
        stop: asyncio.Event | None = None,
    ) -> None:
        self.client = client
        self.store = store
        self.settings = settings
        self.schema = schema
        self.run_id = run_id
        self.tally = tally
        self.writer = writer
        self.groups = groups
        self.progress = progress or (lambda _phase, _n: None)
        self.lookup_delay = lookup_delay
        self.lookups = lookups  # False: a test proves replays alone prevent duplicates
        self.stop = stop or asyncio.Event()
        self.group_ids: dict[str, str] = {}
        self.group_errors: dict[str, str] = {}
        self.item_ids: dict[str, str] = {}
        self.aborted: SyncOrderListError | None = None
        self.items = Lane(
            "items",
            schema.items.id,
            settings.batch.items_per_request,
            ServerTime(settings.batch.initial_seconds_per_mutation),
        )
        self.subitems = Lane(
            "subitems",
            schema.subitems.id if schema.subitems else "",
            settings.batch.subitems_per_request,
            ServerTime(settings.batch.initial_seconds_per_mutation),
        )
        self._waiting_lines: dict[str, list[list[Operation]]] = {}
        self._deferred: dict[str, list[JournalEntry]] = {"items": [], "subitems": []}
        # the bulk import lane (see ``bulk.lane``), set by the run when bulk.mode is on
        self.bulk: BulkLaneLike | None = None
        self.settled_rows: set[str] = set()  # rows written back this run (any outcome)
        self.settled = asyncio.Event()  # set whenever a row is written back

    @property
    def documents_sent(self) -> int:
        return self.writer.documents_sent

    @property
    def stopping(self) -> bool:
        return self.stop.is_set()

    # -- entry point -------------------------------------------------------------------
    async def execute(self, plan: Plan, claimed: ClaimedRows) -> None:
        self.item_ids = {
            ln.record_uuid: ln.parent_item_id for ln in claimed.lines if ln.parent_item_id
        }
        self.item_ids.update({o.record_uuid: o.item_id for o in claimed.orders if o.item_id})
        needed = list(dict.fromkeys(op.group_title for op in plan.item_ops if op.group_title))
        if needed and not self.stopping:
            try:
                board_groups: dict[str, list[str]] = {}
                for group in self.schema.items.groups:  # as read at the start of the run
                    board_groups.setdefault(group.title, []).append(group.id)
                outcome = await self._guard(self.groups.ensure(needed, board_groups))
            except MondayError as exc:  # the board's groups could not be read or made
                reason = f"could not read or create it ({exc}); the next run tries again"
                outcome = GroupOutcome(errors={t: f"group {t!r}: {reason}" for t in needed})
            if outcome is not None:
                self.group_ids.update(outcome.ids)
                self.group_errors.update(outcome.errors)
                self.tally.groups_created += outcome.created
                self.tally.groups_repaired += outcome.repaired
        if self.aborted:
            return
        item_ops = await self._without_failed_groups(plan.item_ops)
        self.items.put(by_row(item_ops))
        if self.bulk is None:
            self.items.close()  # else the bulk lane closes it when it is done taking rows
        for row in by_row(plan.line_ops):
            parent = row[0].parent_record
            if parent is None or parent in self.item_ids:
                self.subitems.put([row])
            else:
                self._waiting_lines.setdefault(parent, []).append(row)
        lanes = [self._items_lane(), self._drain(self.subitems)]
        if self.bulk is not None:
            lanes.append(self._bulk_lane(self.bulk))
        await asyncio.gather(*lanes)

    async def _bulk_lane(self, bulk: BulkLaneLike) -> None:
        """The bulk lane beside the others; the items lane ends only after it, since
        rows a job did not make come back to it."""
        try:
            await bulk.run()
        except (MondayAuthError, MondayRateLimitError) as exc:
            self._abort(exc)
        finally:
            self.items.close()

    # -- rows for the bulk lane --------------------------------------------------------
    def _bulk_candidates(self, eligible: Callable[[Operation], bool]) -> dict[str, int]:
        """Eligible orders to create still queued in the items lane, by group title."""
        by_group: dict[str, int] = {}
        for row in self.items.queue:
            if _bulk_candidate(row, eligible):
                title = row[0].group_title or ""
                by_group[title] = by_group.get(title, 0) + 1
        return by_group

    def _take_for_bulk(
        self, take: Callable[[Operation, list[Operation]], bool], from_back: bool
    ) -> list[tuple[Operation, list[Operation]]]:
        """Remove the queued rows ``take`` accepts (each a create with its waiting
        lines), keeping the others in order; scanned from the back if asked."""
        queue = list(self.items.queue)
        taken: list[tuple[Operation, list[Operation]]] = []
        keep: list[list[Operation]] = []
        for row in reversed(queue) if from_back else queue:
            op = row[0]
            lines = (
                [ln for r in self._waiting_lines.get(op.row.id, []) for ln in r] if op.row else []
            )
            if len(row) == 1 and op.row is not None and take(op, lines):
                self._waiting_lines.pop(op.row.id, None)
                taken.append((op, lines))
            else:
                keep.append(row)
        if from_back:
            keep.reverse()
            taken.reverse()
        self.items.queue.clear()
        self.items.queue.extend(keep)
        return taken

    def take_for_bulk(
        self, eligible: Callable[[Operation], bool], max_rows: int, min_orders: int
    ) -> list[tuple[Operation, list[Operation]]]:
        """Orders to create, with their lines, for one bulk job: from the group with the
        most eligible orders still queued, taken from the back of the items lane (the
        regular lane works from the front), at most ``max_rows`` rows in all. Nothing
        when that group has fewer than ``min_orders``."""
        by_group = self._bulk_candidates(eligible)
        if not by_group:
            return []
        group, count = max(by_group.items(), key=lambda kv: kv[1])
        if count < min_orders:
            return []
        room = [max_rows]

        def take(op: Operation, lines: list[Operation]) -> bool:
            fits = op.kind is OpKind.CREATE_ITEM and op.group_title == group and eligible(op)
            if fits and 1 + len(lines) <= room[0]:
                room[0] -= 1 + len(lines)
                return True
            return False

        return self._take_for_bulk(take, from_back=True)

    def take_all_for_bulk(
        self, eligible: Callable[[Operation], bool], min_orders: int
    ) -> list[tuple[Operation, list[Operation]]]:
        """Every eligible order to create, with its lines, of the groups that have at
        least ``min_orders`` of them: the bulk lane's while its budgets last."""
        groups = {g for g, n in self._bulk_candidates(eligible).items() if n >= min_orders}
        return self._take_for_bulk(
            lambda op, _lines: (
                op.kind is OpKind.CREATE_ITEM and (op.group_title or "") in groups and eligible(op)
            ),
            from_back=False,
        )

    def give_back(self, orders: list[tuple[Operation, list[Operation]]]) -> None:
        """Orders a job did not make go back to the regular lanes."""
        for op, lines in orders:
            if op.row is not None and lines:
                self._waiting_lines.setdefault(op.row.id, []).extend([ln] for ln in lines)
        self.items.put([[op] for op, _ in orders])

    def lines_backlog(self) -> int:
        """Size lines waiting to be sent: queued for the subitems lane, or waiting for
        their order's item."""
        return len(self.subitems.queue) + sum(len(v) for v in self._waiting_lines.values())

    def subitems_document_size(self) -> int:
        """About how many creates a subitems document carries now."""
        return self.subitems.limit(self.settings.batch.document_seconds, self.subitems.batch_size)

    def give_back_lines(self, lines: list[Operation]) -> None:
        """Lines whose order's item exists now: to the subitems lane."""
        self.subitems.put([[ln] for ln in lines])

    def park_except(self, record_uuids: set[str]) -> list[list[Operation]]:
        """Only these orders stay in the items lane (they carry labels the board lacks);
        the others are returned, to be put back with ``unpark``."""
        queue = list(self.items.queue)
        keep = [r for r in queue if r[0].row is not None and r[0].row.id in record_uuids]
        parked = [r for r in queue if not (r[0].row and r[0].row.id in record_uuids)]
        self.items.queue.clear()
        self.items.queue.extend(keep)
        return parked

    def unpark(self, rows: list[list[Operation]]) -> None:
        self.items.put(rows)

    async def fail_each(self, failures: list[tuple[RowRef, str]]) -> None:
        """Rows that failed, each with its own reason (over)."""
        batch = WriteBack.empty(utcnow(), self.run_id)
        for ref, message in failures:
            text = f"{ref.label()}: {redact(message)}"
            (batch.order_failures if ref.table == "order" else batch.line_failures).append(
                Failure(ref.id, text)
            )
            self.tally.failed(ref, text)
        await asyncio.to_thread(self.store.write_back, batch)
        self._note_settled(ref for ref, _ in failures)

    def _note_settled(self, refs: Iterable[RowRef]) -> None:
        ids = {r.id for r in refs}
        if ids:
            self.settled_rows |= ids
            self.settled.set()

    def waiting_lines_of(self, record_uuid: str) -> list[Operation]:
        """The lines queued until this order's item exists."""
        return [op for row in self._waiting_lines.get(record_uuid, []) for op in row]

    async def write_results(self, results: dict[RowRef, RowResult]) -> None:
        """Rows another lane confirmed (the bulk lane), written back like a document's."""
        await self._write_results(results, None, None)

    async def _items_lane(self) -> None:
        try:
            await self._drain(self.items)
        finally:
            # every order whose item was confirmed has released its lines by now
            waiting = sum(len(rows) for rows in self._waiting_lines.values())
            if waiting:
                log.info("%d lines wait for their order's item (next run)", waiting)
                self.tally.pending_left += waiting
            self._waiting_lines.clear()
            self.subitems.close()

    def _parent_confirmed(self, record_uuid: str) -> None:
        rows = self._waiting_lines.pop(record_uuid, None)
        if rows:
            self.subitems.put(rows)

    # -- a lane ------------------------------------------------------------------------
    async def _drain(self, lane: Lane) -> None:
        """Send the lane's rows, one document at a time, until it is closed and empty."""
        target = self.settings.batch.document_seconds
        while not self.aborted and not self.stopping:
            if not lane.queue:
                if lane.closed:
                    break
                await self._unless_stopped(lane.wait_for_work())
                continue
            first = lane.queue[0][0]
            limit = lane.limit(target, self._max_ops(first.document))
            if lane is self.items and self._waiting_lines and not self.subitems.queue:
                # the subitems lane waits for parents: small documents first, so it
                # starts seconds, not a whole document, after the items lane
                ramp = RAMP_UP[lane.sent_documents] if lane.sent_documents < len(RAMP_UP) else None
                limit = min(limit, ramp or limit)
            slot = await self._unless_stopped(self.client.reserve(first.document, limit))
            if slot is None:
                break
            chunk = lane.take(slot.ops)
            if not chunk:
                slot.cancel()
                continue
            lane.sent_documents += 1
            await self._run_chunk(lane, chunk, rounds=0, slot=slot)
            self.progress(lane.name, len({op.row for op in chunk}))
        if not self.aborted and not self.stopping:
            await self._replay_deferred(lane)

    async def _unless_stopped(self, awaitable: Awaitable[T]) -> T | None:
        """Wait for ``awaitable`` unless the run is told to stop first (then None)."""
        task = asyncio.ensure_future(awaitable)
        stopper = asyncio.ensure_future(self.stop.wait())
        try:
            await asyncio.wait({task, stopper}, return_when=asyncio.FIRST_COMPLETED)
        finally:
            stopper.cancel()
        if task.done():
            return task.result()
        task.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            result = await task
            if isinstance(result, Slot):
                result.cancel()
        return None

    async def _guard(self, awaitable: Awaitable[T]) -> T | None:
        """Run ``awaitable``; an auth refusal or a rate limit beyond waiting stops the run."""
        try:
            return await awaitable
        except (MondayAuthError, MondayRateLimitError) as exc:
            self._abort(exc)
            return None

    def _max_ops(self, document: str) -> int:
        return max(1, self.client.scheduler.max_ops_per_document(document))

    # -- groups ------------------------------------------------------------------------
    async def _without_failed_groups(self, ops: list[Operation]) -> list[Operation]:
        """Ops whose group could not be made fail their row now (nothing is sent)."""
        failed_rows: dict[RowRef, str] = {}
        for op in ops:
            needs_group = op.kind in (OpKind.CREATE_ITEM, OpKind.MOVE_ITEM)
            if needs_group and op.group_title and op.group_title not in self.group_ids:
                message = self.group_errors.get(op.group_title, "group unknown")
                if op.row is not None:
                    failed_rows[op.row] = message
        if failed_rows:
            batch = WriteBack.empty(utcnow(), self.run_id)
            for ref, message in failed_rows.items():
                batch.order_failures.append(Failure(ref.id, f"{ref.label()}: {message}"))
                self.tally.failed(ref, message)
            await asyncio.to_thread(self.store.write_back, batch)
        return [op for op in ops if op.row not in failed_rows]

    # -- one document ------------------------------------------------------------------
    def _resolved(self, op: Operation) -> Operation:
        """The operation with the ids known only at send time filled in (the group a
        run created, the item a parent's create returned)."""
        variables = dict(op.variables)
        if op.kind in (OpKind.CREATE_ITEM, OpKind.MOVE_ITEM) and op.group_title:
            variables.setdefault("group_id", self.group_ids[op.group_title])
        if op.kind is OpKind.CREATE_SUBITEM and "parent_item_id" not in variables:
            variables["parent_item_id"] = self.item_ids[op.parent_record or ""]
        return dataclasses.replace(op, variables=variables)

    async def _run_chunk(
        self, lane: Lane, ops: list[Operation], *, rounds: int, slot: Slot | None = None
    ) -> None:
        """Send one document and settle every row in it, however the request ends."""
        if self.aborted or not ops:
            if slot is not None:
                slot.cancel()
            return
        rows = _rows(ops)
        try:
            ops = [self._resolved(op) for op in ops]
            doc = compose([(op.document, dict(op.variables)) for op in ops])
        except (KeyError, ValueError) as exc:  # a parent or group vanished from the maps
            if slot is not None:
                slot.cancel()
            await self._fail_rows(rows, f"could not build the request: {exc}")
            return
        entry = await self.writer.record(lane.board_id, ops, doc)
        context = _DocContext(keys=[r.key for r in rows])
        try:
            response = await self._send(entry, doc, context, slot=slot)
        except MondayQueryTooComplexError:
            await self._closed(entry, "FAILED", "too complex", context, rows)
            await self._split(lane, ops, rounds, "too complex for one query")
            return
        except MondayCallTimeoutError as exc:
            lane.server_time.observe_timeout(self.settings.batch.call_limit_seconds, len(ops))
            await self._closed(entry, "UNKNOWN", exc.message, context)
            await self._recover(lane, ops, rounds, exc.message, cut=True)
            return
        except MondayTransportError as exc:
            if not exc.sent:  # never left: nothing ran
                await self._closed(entry, "FAILED", exc.message, context, rows)
                await self._fail_rows(rows, exc.message)
            elif exc.status is not None and exc.status != 409:
                # monday answered 5xx: the aliases before the failing one may have run
                await self._closed(entry, "FAILED", exc.message, context)
                await self._recover(lane, ops, rounds, exc.message, cut=False)
            else:  # no answer even after resending under the key (or still running,
                # 409): replay it later
                await self._closed(entry, "UNKNOWN", exc.message, context)
                self._deferred[lane.name].append(entry)
            return
        except MondayApiError as exc:  # refused as a whole: nothing ran
            await self._closed(entry, "FAILED", exc.message, context, rows)
            if len(rows) > 1:
                await self._split(lane, ops, rounds, exc.message)
            else:
                await self._fail_rows(rows, exc.message)
            return
        except _Abort:
            await self._closed(entry, "FAILED", "run stopped", context, rows)
            return
        if response.replayed:
            self.tally.replayed += 1  # answered from monday's kept response
        elif context.records:
            lane.server_time.observe(context.records[-1].duration, len(ops))
        self.tally.seconds(rows, response.duration)
        results = row_results(ops, doc.aliases, response)
        await self._write_results(results, context, entry.key)

    async def _send(
        self,
        entry: JournalEntry,
        doc: ComposedDocument | None,
        context: _DocContext,
        *,
        slot: Slot | None = None,
    ) -> Any:
        token = _current_doc.set(context)
        try:
            if doc is None:
                return await self.writer.replay(entry)
            return await self.writer.send(entry, doc, slot=slot)
        except (MondayAuthError, MondayRateLimitError) as exc:
            self._abort(exc)
            raise _Abort from exc
        finally:
            _current_doc.reset(token)

    def _abort(self, exc: MondayError) -> None:
        if self.aborted is None:
            log.error("stopping the run: %s", exc)
            self.aborted = RunAborted(f"run stopped: {exc}")

    async def _closed(
        self,
        entry: JournalEntry,
        state: str,
        message: str,
        context: _DocContext,
        not_applied: Iterable[RowRef] = (),
    ) -> None:
        """Record how a document ended (and its API log); rows it certainly did not
        touch are no longer in flight."""
        now = utcnow()
        batch = WriteBack.empty(now, self.run_id)
        batch.documents.append((entry.key, state, redact(message)[:4000]))
        batch.api_log.extend(api_log_rows(self.run_id, context))
        await asyncio.to_thread(self.store.write_back, batch)
        refs = list(not_applied)
        if refs:
            await asyncio.to_thread(
                self.store.resolve_not_found,
                self.run_id,
                now,
                [r.id for r in refs if r.table == "order"],
                [r.id for r in refs if r.table == "line"],
            )

    async def _split(self, lane: Lane, ops: list[Operation], rounds: int, reason: str) -> None:
        """Bisect a failing document into halves of whole rows; a row alone fails."""
        rows = _rows(ops)
        if len(rows) <= 1:
            await self._fail_alone(ops, rows, reason)
            return
        half = len(rows) // 2
        first = set(rows[:half])
        log.info("bisecting a document of %d rows: %s", len(rows), redact(reason))
        await self._run_chunk(lane, [op for op in ops if op.row in first], rounds=rounds)
        await self._run_chunk(lane, [op for op in ops if op.row not in first], rounds=rounds)

    async def _fail_alone(self, ops: list[Operation], rows: list[RowRef], reason: str) -> None:
        """A row that fails a document on its own. An update, move or archive whose item
        no longer exists on the board (monday may say so only with a bare 500) is
        marked gone, so the next run creates it again."""
        targets = [str(op.variables["item_id"]) for op in ops if "item_id" in op.variables]
        vanished = False
        if targets and any(not op.kind.creates for op in ops):
            try:
                vanished = not await self._items_exist(targets)
            except (MondayError, _Abort):
                vanished = False
        if vanished and all(op.kind.removes for op in ops):
            results = {r: RowResult(ops=[op for op in ops if op.row == r]) for r in rows}
            await self._write_results(results, None, None)  # already gone: done
            return
        if vanished:
            reason += " (the item is gone from the board; it will be created again)"
        await self._fail_rows(rows, reason, vanished=vanished)

    async def _items_exist(self, item_ids: list[str]) -> bool:
        response = await self.client.execute(
            single("items_state", {"item_ids": item_ids, "limit": len(item_ids)}),
            idempotent=True,
            operation="items_state",
        )
        live = {
            str(i["id"])
            for i in (response.data or {}).get("items") or []
            if i.get("state") in (None, "active")
        }
        return all(i in live for i in item_ids)

    # -- results -----------------------------------------------------------------------
    async def _write_results(
        self, results: dict[RowRef, RowResult], context: _DocContext | None, doc_key: str | None
    ) -> None:
        now = utcnow()
        batch = WriteBack.empty(now, self.run_id)
        confirmed: list[str] = []
        for ref, result in results.items():
            kinds = {op.kind for op in result.ops}
            if result.errors:
                message = f"{ref.label()}: " + "; ".join(dict.fromkeys(result.errors))
                if result.vanished:
                    message += " (the item is gone from the board; it will be created again)"
                failure = Failure(ref.id, message, vanished=result.vanished)
                (batch.order_failures if ref.table == "order" else batch.line_failures).append(
                    failure
                )
                self.tally.failed(ref, message, result.column)
                continue
            if self._record_success(batch, ref, result):
                confirmed.append(ref.id)
            self.tally.done(ref, kinds)
        if doc_key is not None:
            batch.documents.append((doc_key, "DONE", None))
        if context is not None:
            batch.api_log.extend(api_log_rows(self.run_id, context))
        await asyncio.to_thread(self.store.write_back, batch)
        self._note_settled(results)
        for record_uuid in confirmed:
            self._parent_confirmed(record_uuid)
        failed = len(batch.order_failures) + len(batch.line_failures)
        log.info(
            "%d rows written back, %d failed",
            len(results) - failed,
            failed,
            extra={"fields": {"event": "batch_done", "rows": len(results), "failed": failed}},
        )

    def _record_success(self, batch: WriteBack, ref: RowRef, result: RowResult) -> bool:
        """Add a confirmed row to the write-back; True for an order whose item exists."""
        op = result.ops[0]
        kinds = {o.kind for o in result.ops}
        if ref.table == "order":
            if kinds & {OpKind.ARCHIVE_ITEM, OpKind.DELETE_ITEM}:
                batch.orders_removed.append(OrderDone(ref.id, "", None, op.sent_hash, None))
                self.item_ids.pop(ref.id, None)
                return False
            item_id = result.item_id or self.item_ids.get(ref.id)
            if item_id is None:  # cannot happen: an update always has an item
                batch.order_failures.append(Failure(ref.id, f"{ref.label()}: no item id"))
                return False
            self.item_ids[ref.id] = item_id
            group_title = next((o.group_title for o in result.ops if o.group_title), None)
            batch.orders_done.append(
                OrderDone(
                    ref.id,
                    item_id,
                    self.group_ids.get(group_title) if group_title else None,
                    op.sent_hash,
                    dict(op.synced) if op.synced is not None else None,
                )
            )
            return True
        if kinds & {OpKind.ARCHIVE_SUBITEM, OpKind.DELETE_SUBITEM}:
            batch.lines_removed.append(ref.id)
            return False
        subitem_id = result.item_id or str(op.variables.get("item_id"))
        batch.lines_done.append(LineDone(ref.id, subitem_id, int(op.sent_qty or 0)))
        return False

    async def _fail_rows(
        self, rows: Iterable[RowRef], message: str, *, unknown: bool = False, vanished: bool = False
    ) -> None:
        rows = list(rows)
        batch = WriteBack.empty(utcnow(), self.run_id)
        for ref in rows:
            text = f"{ref.label()}: {redact(message)}"
            failure = Failure(ref.id, text, unknown_outcome=unknown, vanished=vanished)
            (batch.order_failures if ref.table == "order" else batch.line_failures).append(failure)
            self.tally.failed(ref, text)
        await asyncio.to_thread(self.store.write_back, batch)
        self._note_settled(rows)

    # -- unknown outcomes --------------------------------------------------------------
    async def _recover(
        self, lane: Lane, ops: list[Operation], rounds: int, reason: str, *, cut: bool
    ) -> None:
        """Some aliases of a document may have run (cut at 60 s, or a 500 midway): look
        its creates up by key, adopt what landed, and send the rest again (``cut``) or
        narrow the failure down (a 500)."""
        creates = [op for op in ops if op.kind.creates and op.row is not None]
        found: dict[RowRef, str] = {}
        if creates and not self.lookups:
            # without a lookup nothing tells what landed: the creates stay in flight
            await self._fail_rows(
                _rows(creates), f"{reason}; outcome unknown (lookups are off)", unknown=True
            )
            ops = [op for op in ops if not op.kind.creates]
        elif creates:
            log.warning(
                "outcome unknown for %d creates (%s): looking them up", len(creates), redact(reason)
            )
            await asyncio.sleep(self.lookup_delay)
            try:
                found = await self._lookup(creates)
            except (MondayError, _Abort) as exc:
                await self._fail_rows(
                    _rows(creates), f"{reason}; lookup failed: {exc}", unknown=True
                )
                ops = [op for op in ops if not op.kind.creates]
        if found:
            adopted: dict[RowRef, RowResult] = {}
            for op in creates:
                if op.row in found:
                    result = adopted.setdefault(op.row, RowResult(ops=[]))
                    result.ops.append(op)
                    result.item_id = found[op.row]
            self.tally.adopted += len(adopted)
            await self._write_results(adopted, None, None)
        rest = [op for op in ops if op.row not in found]
        if not rest:
            return
        if not cut:  # a 500: narrow it down (bisection ends by itself, at single rows)
            await self._split(lane, rest, rounds, reason)
            return
        if rounds + 1 >= MAX_UNKNOWN_ROUNDS:
            await self._fail_rows(
                _rows(rest),
                f"{reason}; still unconfirmed after {MAX_UNKNOWN_ROUNDS} attempts "
                "(it will be looked up by key before any retry)",
                unknown=any(op.kind.creates for op in rest),
            )
            return
        await self._run_chunk(lane, rest, rounds=rounds + 1)

    async def _lookup(self, ops: list[Operation]) -> dict[RowRef, str]:
        found: dict[RowRef, str] = {}
        item_creates = [op for op in ops if op.kind is OpKind.CREATE_ITEM and op.row]
        if item_creates:
            key_column = self.settings.monday.business_key_column
            result = await find_items_by_key(
                self.client, self.schema.items.id, key_column, [op.row.key for op in item_creates]
            )
            for op in item_creates:
                if op.row.key in result.ids:
                    found[op.row] = result.ids[op.row.key]
        sub_creates = [op for op in ops if op.kind is OpKind.CREATE_SUBITEM and op.row]
        if sub_creates:
            size_column = self.settings.monday.subitems.columns.get("size_code")
            parents = {op.row: str(op.variables["parent_item_id"]) for op in sub_creates}
            name_of = {str(op.variables.get("item_name")): op.match or "" for op in sub_creates}
            subs = await find_subitems(self.client, parents.values(), size_column, name_of)
            for op in sub_creates:
                hit = subs.get((parents[op.row], op.match or ""))
                if hit:
                    found[op.row] = hit.id
        return found

    async def _replay_deferred(self, lane: Lane) -> None:
        """Documents that got no answer at all: replay them under their key (monday
        answers one it ran with the kept response); still nothing, and their rows stay
        in flight for the next run."""
        entries, self._deferred[lane.name] = self._deferred[lane.name], []
        for entry in entries:
            for attempt in range(DEFERRED_REPLAYS):
                await asyncio.sleep(self.settings.batch.backoff_base_seconds * (attempt + 1))
                if await self.replay(entry, lane):
                    break
            else:
                await self._fail_rows(
                    list(entry.rows),
                    "no answer from monday, even when resent under its Idempotency-Key "
                    "(the next run replays it or looks the rows up)",
                    unknown=True,
                )

    async def replay(self, entry: JournalEntry, lane: Lane | None = None) -> bool:
        """Resend a journaled document under its key and settle its rows this run holds.
        False when there was still no answer."""
        context = _DocContext(keys=[r.key for r in entry.rows])
        lane = lane or (self.items if entry.board_id == self.items.board_id else self.subitems)
        ops = list(entry.ops)
        try:
            response = await self._send(entry, None, context)
        except MondayCallTimeoutError as exc:
            await self._closed(entry, "UNKNOWN", exc.message, context)
            await self._recover(lane, ops, 0, exc.message, cut=True)
            return True
        except MondayTransportError as exc:
            if exc.sent and exc.status in (None, 409):
                await self._closed(entry, "UNKNOWN", exc.message, context)
                return False
            await self._closed(entry, "FAILED", exc.message, context)
            await self._recover(lane, ops, 0, exc.message, cut=False)
            return True
        except MondayApiError as exc:  # e.g. the key reused with another body: nothing ran
            await self._closed(entry, "FAILED", exc.message, context, entry.rows)
            await self._fail_rows(list(entry.rows), f"replay refused: {exc.message}")
            return True
        except _Abort:
            await self._closed(entry, "UNKNOWN", "run stopped", context)
            return True
        if response.replayed:
            self.tally.replayed += 1
        results = row_results(ops, entry.aliases, response)
        await self._write_results(results, context, entry.key)
        return True


def _bulk_candidate(row: list[Operation], eligible: Callable[[Operation], bool]) -> bool:
    """A queued row the bulk lane could take: one order's create, eligible."""
    return len(row) == 1 and row[0].kind is OpKind.CREATE_ITEM and eligible(row[0])


def _rows(ops: Iterable[Operation]) -> list[RowRef]:
    return list(dict.fromkeys(op.row for op in ops if op.row is not None))


def api_log_rows(run_id: str, context: _DocContext) -> list[dict[str, Any]]:
    """API log rows of the records collected so far (then forgotten); token-free."""
    rows = []
    for record in context.records:
        rows.append(
            {
                "run_id": run_id,
                "at": utcnow(),
                "operation": record.operation[:100],
                "record_keys": redact(json.dumps(context.keys, ensure_ascii=False)),
                "request_payload": redact(_dump(record.request)),
                "response_payload": redact(_dump(record.response)),
                "status": record.outcome,
                "http_status": record.status,
                "duration_ms": int(record.duration * 1000),
                "complexity": record.complexity.query if record.complexity else None,
                "request_id": record.request_id,
                "attempt": record.attempt,
            }
        )
    context.records.clear()
    return rows


def _dump(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, str):
        return value
    return json.dumps(value, ensure_ascii=False, default=str)
