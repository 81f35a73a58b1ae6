"""The executor: carries out a plan as aliased GraphQL documents, batch by batch.

Order of work: groups first (each created once, found by title if it already exists),
then items (create, update, move, archive), then subitems (whose parents now exist).
Each document goes through the same steps:

1. its rows are marked in flight (committed) before it is sent;
2. the client sends it, spending the complexity budget as the scheduler allows;
3. per-alias results: an alias that failed fails only its row;
4. a document-level failure is bisected down to the row that causes it; a document
   too complex for one query is split;
5. a create whose outcome is unknown (timeout, dropped connection, 5xx after sending)
   is never simply re-sent: its rows are looked up by key first, found ones adopted,
   and only what is really missing is created again;
6. the results and the API log rows are written back in one transaction.
"""

from __future__ import annotations

import asyncio
import contextvars
import json
import logging
import time
from collections import deque
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from sync_order_list.config import Settings
from sync_order_list.errors import (
    MondayApiError,
    MondayAuthError,
    MondayError,
    MondayRateLimitError,
    MondayTransportError,
    SyncOrderListError,
)
from sync_order_list.logs import redact
from sync_order_list.monday import MondayClient, RequestRecord, compose
from sync_order_list.monday.client import MondayQueryTooComplexError
from sync_order_list.monday.documents import ComposedDocument
from sync_order_list.monday.scheduler import Slot
from sync_order_list.monday.schema import BoardSchema
from sync_order_list.sync.operations import Operation, OpKind, Plan
from sync_order_list.sync.reconcile import find_groups, find_items_by_key, find_subitems
from sync_order_list.sync.rows import ClaimedRows, RowRef
from sync_order_list.sync.store import Failure, LineDone, OrderDone, SyncStore, WriteBack
from sync_order_list.sync.tally import Tally

log = logging.getLogger("sync_order_list.sync")

VANISHED_CODES = frozenset({"InvalidItemIdException", "ResourceNotFoundException"})
MAX_UNKNOWN_ROUNDS = 5  # lookups + re-creates of one create before it is left in flight

ProgressSink = Callable[[str, int], None]


def utcnow() -> datetime:
    return datetime.now(UTC).replace(tzinfo=None)


@dataclass
class _DocContext:
    """What the API log needs to know about the request being sent (per task)."""

    keys: list[str]
    records: list[RequestRecord] = field(default_factory=list)


_current_doc: contextvars.ContextVar[_DocContext | None] = contextvars.ContextVar(
    "current_doc", default=None
)


def run_log_context() -> tuple[_DocContext, contextvars.Token[_DocContext | None]]:
    """Collect the records of requests sent outside any batch (schema, lookups)."""
    context = _DocContext(keys=[])
    return context, _current_doc.set(context)


def reset_log_context(token: contextvars.Token[_DocContext | None]) -> None:
    _current_doc.reset(token)


def on_request(record: RequestRecord) -> None:
    """The client's per-attempt callback: file the record with the document being sent."""
    ctx = _current_doc.get()
    if ctx is not None:
        ctx.records.append(record)


@dataclass
class _RowResult:
    """Outcome of one row's operations in one document."""

    ops: list[Operation]
    item_id: str | None = None
    errors: list[str] = field(default_factory=list)
    vanished: bool = False
    column: str | None = None


class RunAborted(SyncOrderListError):
    """The run stopped early (token refused, rate limit beyond waiting, database down)."""


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
        progress: ProgressSink | None = None,
        lookup_delay: float = 1.0,
    ) -> None:
        self.client = client
        self.store = store
        self.settings = settings
        self.schema = schema
        self.run_id = run_id
        self.tally = tally
        self.progress = progress or (lambda _phase, _n: None)
        self.lookup_delay = lookup_delay
        self.group_ids: dict[str, str] = {}
        self.group_errors: dict[str, str] = {}
        self.item_ids: dict[str, str] = {}
        self.aborted: SyncOrderListError | None = None
        self.documents_sent = 0
        self._claim_renewed = time.monotonic()
        self._claim_lock = asyncio.Lock()

    # -- entry point -------------------------------------------------------------------
    async def execute(self, plan: Plan, claimed: ClaimedRows) -> None:
        self.item_ids = {
            ln.record_uuid: ln.parent_item_id for ln in claimed.lines if ln.parent_item_id
        }
        self.item_ids.update({o.record_uuid: o.item_id for o in claimed.orders if o.item_id})
        needed = list(dict.fromkeys(op.group_title for op in plan.item_ops if op.group_title))
        await self.ensure_groups(needed, create=set(plan.groups))
        item_ops = await self._without_failed_groups(plan.item_ops)
        await self._phase("items", item_ops, self.settings.batch.items_per_request)
        if self.aborted:
            return
        line_ops = [op for op in plan.line_ops if self._parent_ready(op)]
        waiting = {op.row for op in plan.line_ops} - {op.row for op in line_ops}
        if waiting:  # their order's item could not be created: they stay PENDING
            log.info("%d lines wait for their order's item (next run)", len(waiting))
            self.tally.pending_left += len(waiting)
        await self._phase("subitems", line_ops, self.settings.batch.subitems_per_request)

    def _parent_ready(self, op: Operation) -> bool:
        return op.parent_record is None or op.parent_record in self.item_ids

    # -- groups ------------------------------------------------------------------------
    async def ensure_groups(self, titles: Sequence[str], *, create: set[str]) -> None:
        """Map every needed title to a group id, creating missing groups once each."""
        board_id = self.schema.items.id
        on_board = {t: g.id for t, g in self.schema.items.groups_by_title.items()}
        missing = [t for t in titles if t not in on_board]
        if missing:
            # another run may have created some since the schema was read
            on_board = await find_groups(self.client, board_id)
            missing = [t for t in titles if t not in on_board]
        cached = await asyncio.to_thread(self.store.cached_groups, board_id)
        for title in titles:
            if title in on_board:
                self.group_ids[title] = on_board[title]
                if cached.get(title) != on_board[title]:
                    await asyncio.to_thread(
                        self.store.record_group,
                        board_id,
                        title,
                        on_board[title],
                        self.run_id,
                        utcnow(),
                    )
        rounds = 0
        while missing and rounds < MAX_UNKNOWN_ROUNDS and not self.aborted:
            rounds += 1
            missing = await self._create_groups(board_id, missing)
        for title in missing:
            self.group_errors.setdefault(title, f"group {title!r} could not be created")

    async def _create_groups(self, board_id: str, titles: list[str]) -> list[str]:
        """Create groups; return the titles whose outcome is still unknown."""
        size = max(1, min(self.settings.batch.items_per_request, self._max_ops("create_group")))
        unknown: list[str] = []
        for start in range(0, len(titles), size):
            chunk = titles[start : start + size]
            doc = compose(
                [("create_group", {"board_id": board_id, "group_name": t}) for t in chunk]
            )
            context = _DocContext(keys=[f"group:{t}" for t in chunk])
            try:
                response = await self._send(doc, context, idempotent=False)
            except MondayTransportError:
                unknown += chunk
                continue
            except MondayApiError as exc:
                for title in chunk:
                    self.group_errors[title] = f"group {title!r}: {exc.message}"
                continue
            except _Abort:
                return []
            finally:
                await self._log(context)
            errors = _errors_by_alias(response)
            for index, title in enumerate(chunk):
                alias = doc.aliases[index]
                created = (response.data or {}).get(alias)
                if created and alias not in errors:
                    await self._group_created(board_id, title, str(created["id"]))
                else:
                    self.group_errors[title] = f"group {title!r}: " + "; ".join(
                        errors.get(alias, ["no result"])
                    )
        if unknown:
            await asyncio.sleep(self.lookup_delay)
            on_board = await find_groups(self.client, board_id)
            still = []
            for title in unknown:
                if title in on_board:
                    await self._group_created(board_id, title, on_board[title])
                else:
                    still.append(title)
            return still
        return []

    async def _group_created(self, board_id: str, title: str, group_id: str) -> None:
        self.group_ids[title] = group_id
        self.tally.groups_created += 1
        await asyncio.to_thread(
            self.store.record_group, board_id, title, group_id, self.run_id, utcnow()
        )

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
            batch = WriteBack.empty(utcnow())
            for ref, message in failed_rows.items():
                batch.order_failures.append(Failure(ref.id, f"{ref.label()}: {message}"))
                self.tally.failed(ref, message)
            await asyncio.to_thread(self.store.write_back, batch)
        return [op for op in ops if op.row not in failed_rows]

    # -- phases ------------------------------------------------------------------------
    async def _phase(self, name: str, ops: list[Operation], batch_size: int) -> None:
        """Send ``ops`` in documents sized at send time to what the budget allows.

        Each worker reserves budget for up to ``batch_size`` operations (fewer when the
        window is nearly spent, so its end is filled instead of waited out), then takes
        that many whole rows off the queue (a row's update and move travel together).
        """
        if not ops:
            return
        rows: deque[list[Operation]] = deque(self._by_row(ops))
        limit = max(1, min(batch_size, min(self._max_ops(op.document) for op in ops)))
        workers = max(1, min(self.settings.batch.concurrency, self.settings.rate.max_concurrency))

        async def worker() -> None:
            while rows and not self.aborted:
                slot = await self.client.reserve(rows[0][0].document, limit)
                chunk: list[Operation] = []
                while rows and (not chunk or len(chunk) + len(rows[0]) <= slot.ops):
                    chunk.extend(rows.popleft())
                if not chunk:  # another worker took the last rows while we waited
                    slot.cancel()
                    return
                await self._run_chunk(chunk, rounds=0, slot=slot)
                self.progress(name, len({op.row for op in chunk}))
                await self._keep_claim()

        await asyncio.gather(*(worker() for _ in range(workers)))

    async def _keep_claim(self) -> None:
        """Push the run's claim further out once a third of its lifetime has passed, so
        a long run never loses its rows to another run."""
        ttl = self.settings.sync.claim_ttl_seconds
        if time.monotonic() - self._claim_renewed < ttl / 3:
            return
        async with self._claim_lock:
            if time.monotonic() - self._claim_renewed < ttl / 3:
                return
            await asyncio.to_thread(self.store.extend, self.run_id, utcnow())
            self._claim_renewed = time.monotonic()
            log.info("claim of run %s extended", self.run_id)

    def _max_ops(self, document: str) -> int:
        return max(1, self.client.scheduler.max_ops_per_document(document))

    @staticmethod
    def _by_row(ops: list[Operation]) -> list[list[Operation]]:
        by_row: dict[Any, list[Operation]] = {}
        for op in ops:
            by_row.setdefault(op.row, []).append(op)
        return list(by_row.values())

    # -- one document ------------------------------------------------------------------
    def _variables(self, op: Operation) -> dict[str, Any]:
        variables = dict(op.variables)
        if op.kind in (OpKind.CREATE_ITEM, OpKind.MOVE_ITEM):
            variables["group_id"] = self.group_ids[op.group_title or ""]
        if op.kind is OpKind.CREATE_SUBITEM:
            variables["parent_item_id"] = self.item_ids[op.parent_record or ""]
        return variables

    async def _run_chunk(
        self, ops: list[Operation], *, rounds: int, slot: Slot | None = None
    ) -> None:
        """Send one batch and settle every row in it, however the request ends."""
        if self.aborted or not ops:
            if slot is not None:
                slot.cancel()
            return
        rows = list(dict.fromkeys(op.row for op in ops if op.row is not None))
        try:
            doc = compose([(op.document, self._variables(op)) for op in ops])
        except (KeyError, ValueError) as exc:  # a parent or group vanished from the maps
            if slot is not None:
                slot.cancel()
            await self._fail_rows(rows, f"could not build the request: {exc}")
            return
        await asyncio.to_thread(
            self.store.mark_attempted,
            self.run_id,
            utcnow(),
            [r.id for r in rows if r.table == "order"],
            [r.id for r in rows if r.table == "line"],
        )
        creates = any(op.kind.creates for op in ops)
        context = _DocContext(keys=[r.key for r in rows])
        started = asyncio.get_running_loop().time()
        try:
            response = await self._send(doc, context, idempotent=not creates, slot=slot)
        except MondayQueryTooComplexError:
            await self._log(context)
            await self._split(ops, rows, rounds, "too complex for one query")
            return
        except MondayTransportError as exc:
            await self._log(context)
            if exc.sent and creates:
                await self._recover_unknown(ops, rows, rounds, exc.message)
            else:
                await self._fail_rows(rows, exc.message)
            return
        except MondayApiError as exc:
            await self._log(context)
            if len(rows) > 1:
                await self._split(ops, rows, rounds, exc.message)
            else:
                await self._fail_rows(rows, exc.message)
            return
        except _Abort:
            await self._log(context)
            return
        self.tally.seconds(rows, asyncio.get_running_loop().time() - started)
        results = self._results(ops, doc, response)
        await self._write_results(results, context)

    async def _send(
        self,
        doc: ComposedDocument,
        context: _DocContext,
        *,
        idempotent: bool,
        slot: Slot | None = None,
    ) -> Any:
        token = _current_doc.set(context)
        try:
            self.documents_sent += 1
            return await self.client.execute(doc, idempotent=idempotent, slot=slot)
        except (MondayAuthError, MondayRateLimitError) as exc:
            self._abort(exc)
            raise _Abort from exc
        finally:
            _current_doc.reset(token)

    def _abort(self, exc: MondayError) -> None:
        if self.aborted is None:
            log.error("stopping the run: %s", exc)
            self.aborted = RunAborted(f"run stopped: {exc}")

    async def _split(
        self, ops: list[Operation], rows: list[RowRef], rounds: int, reason: str
    ) -> None:
        """Bisect a failing document into halves of whole rows."""
        if len(rows) <= 1:
            await self._fail_rows(rows, reason)
            return
        half = len(rows) // 2
        first = set(rows[:half])
        log.info("bisecting a batch of %d rows: %s", len(rows), redact(reason))
        await self._run_chunk([op for op in ops if op.row in first], rounds=rounds)
        await self._run_chunk([op for op in ops if op.row not in first], rounds=rounds)

    def _results(
        self, ops: list[Operation], doc: ComposedDocument, response: Any
    ) -> dict[RowRef, _RowResult]:
        errors = _errors_by_alias(response)
        codes = _codes_by_alias(response)
        columns = _columns_by_alias(response)
        data = response.data or {}
        results: dict[RowRef, _RowResult] = {}
        for index, op in enumerate(ops):
            if op.row is None:
                continue
            alias = doc.aliases[index]
            result = results.setdefault(op.row, _RowResult(ops=[]))
            result.ops.append(op)
            value = data.get(alias)
            if alias in errors or value is None:
                gone = bool(codes.get(alias, set()) & VANISHED_CODES)
                if gone and op.kind.removes:
                    continue  # already gone from the board: what a removal wants
                if gone and op.kind in (
                    OpKind.UPDATE_ITEM,
                    OpKind.MOVE_ITEM,
                    OpKind.UPDATE_SUBITEM,
                ):
                    result.vanished = True
                result.errors.extend(errors.get(alias, ["monday returned no result"]))
                result.column = result.column or _monday_column(op, columns.get(alias))
            elif op.kind.creates:
                result.item_id = str(value.get("id"))
        return results

    async def _write_results(
        self, results: dict[RowRef, _RowResult], context: _DocContext | None
    ) -> None:
        now = utcnow()
        batch = WriteBack.empty(now)
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
            self._record_success(batch, ref, result)
            self.tally.done(ref, kinds)
        if context is not None:
            batch.api_log.extend(self._log_rows(context))
        await asyncio.to_thread(self.store.write_back, batch)
        failed = len(batch.order_failures) + len(batch.line_failures)
        log.info(
            "%d rows written back, %d failed",
            len(results) - failed,
            failed,
            extra={"fields": {"event": "batch_done", "rows": len(results), "failed": failed}},
        )

    def _record_success(self, batch: WriteBack, ref: RowRef, result: _RowResult) -> None:
        op = result.ops[0]
        kinds = {o.kind for o in result.ops}
        if ref.table == "order":
            if kinds & {OpKind.ARCHIVE_ITEM, OpKind.DELETE_ITEM}:
                batch.orders_removed.append(OrderDone(ref.id, "", None, op.sent_hash, None))
                self.item_ids.pop(ref.id, None)
                return
            item_id = result.item_id or self.item_ids.get(ref.id)
            if item_id is None:  # cannot happen: an update always has an item
                batch.order_failures.append(Failure(ref.id, f"{ref.label()}: no item id"))
                return
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
            return
        if kinds & {OpKind.ARCHIVE_SUBITEM, OpKind.DELETE_SUBITEM}:
            batch.lines_removed.append(ref.id)
            return
        subitem_id = result.item_id or str(op.variables.get("item_id"))
        batch.lines_done.append(LineDone(ref.id, subitem_id, int(op.sent_qty or 0)))

    async def _fail_rows(
        self, rows: Iterable[RowRef], message: str, *, unknown: bool = False
    ) -> None:
        batch = WriteBack.empty(utcnow())
        for ref in rows:
            text = f"{ref.label()}: {redact(message)}"
            failure = Failure(ref.id, text, unknown_outcome=unknown)
            (batch.order_failures if ref.table == "order" else batch.line_failures).append(failure)
            self.tally.failed(ref, text)
        await asyncio.to_thread(self.store.write_back, batch)

    # -- unknown outcomes --------------------------------------------------------------
    async def _recover_unknown(
        self, ops: list[Operation], rows: list[RowRef], rounds: int, reason: str
    ) -> None:
        """A create may or may not have landed: look up, adopt, re-send only the rest."""
        log.warning("outcome unknown for %d rows (%s): looking them up", len(rows), redact(reason))
        await asyncio.sleep(self.lookup_delay)
        try:
            found = await self._lookup(ops)
        except (MondayError, _Abort) as exc:
            await self._fail_rows(rows, f"{reason}; lookup failed: {exc}", unknown=True)
            return
        adopted: dict[RowRef, _RowResult] = {}
        resend: list[Operation] = []
        for op in ops:
            if op.row is None:
                continue
            if op.kind.creates and op.row in found:
                result = adopted.setdefault(op.row, _RowResult(ops=[]))
                result.ops.append(op)
                result.item_id = found[op.row]
            else:
                resend.append(op)
        if adopted:
            self.tally.adopted += len(adopted)
            await self._write_results(adopted, None)
        if not resend:
            return
        if rounds + 1 >= MAX_UNKNOWN_ROUNDS:
            still = list(dict.fromkeys(op.row for op in resend if op.row is not None))
            await self._fail_rows(
                still,
                f"{reason}; still unconfirmed after {MAX_UNKNOWN_ROUNDS} attempts "
                "(it will be looked up by key before any retry)",
                unknown=True,
            )
            return
        await self._run_chunk(resend, rounds=rounds + 1)

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
            parents = {op.parent_record: self.item_ids[op.parent_record] for op in sub_creates}
            name_of = {str(op.variables.get("item_name")): op.match or "" for op in sub_creates}
            subs = await find_subitems(self.client, parents.values(), size_column, name_of)
            for op in sub_creates:
                hit = subs.get((parents[op.parent_record], op.match or ""))
                if hit:
                    found[op.row] = hit
        return found

    # -- API log -----------------------------------------------------------------------
    async def _log(self, context: _DocContext) -> None:
        rows = self._log_rows(context)
        if rows:
            await asyncio.to_thread(self.store.write_api_log, rows)

    def _log_rows(self, context: _DocContext) -> list[dict[str, Any]]:
        return api_log_rows(self.run_id, context)


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


class _Abort(Exception):
    """Internal: the run was stopped while this request was out."""


def _monday_column(op: Operation, column_id: str | None) -> str | None:
    return f"monday column {column_id}" if column_id else None


def _columns_by_alias(response: Any) -> dict[str, str]:
    out: dict[str, str] = {}
    for error in getattr(response, "errors", ()) or ():
        data = getattr(error, "error_data", None) or {}
        column = data.get("column_id") if isinstance(data, dict) else None
        if error.alias and column:
            out.setdefault(error.alias, str(column))
    return out


def _errors_by_alias(response: Any) -> dict[str, list[str]]:
    out: dict[str, list[str]] = {}
    for error in getattr(response, "errors", ()) or ():
        alias = error.alias
        if alias:
            out.setdefault(alias, []).append(_error_text(error))
    return out


def _codes_by_alias(response: Any) -> dict[str, set[str]]:
    out: dict[str, set[str]] = {}
    for error in getattr(response, "errors", ()) or ():
        if error.alias and error.code:
            out.setdefault(error.alias, set()).add(error.code)
    return out


def _error_text(error: Any) -> str:
    code = f"[{error.code}] " if error.code else ""
    return f"{code}{error.message}"


def _dump(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, str):
        return value
    return json.dumps(value, ensure_ascii=False, default=str)
