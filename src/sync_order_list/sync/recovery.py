"""Rows a run left in flight (it died, was stopped, or got no answer): settle them first.

A row is in flight when it was attempted after its last completion; it points at the
journaled document that carried it. Before planning, a run settles every in-flight row
it claimed, cheapest and safest first:

1. **replay**: a document younger than ``sync.replay_window_seconds`` (monday keeps
   responses 30 minutes) is resent, byte for byte, under its Idempotency-Key; monday
   answers a document it ran with the kept response, so the ids come from there and
   nothing is applied twice. A document that still gets no answer leaves its rows in
   flight, untouched by this run (never created again on a guess);
2. **lookup**: an older document (or a row without one) is looked up by business key
   (items) or by parent and size (subitems). A found item is adopted with the values it
   holds on the board, so the plan sends only the columns that differ and moves it only
   if it is in another group; a found subitem with the quantity it holds;
3. what the board does not have is created by the plan as usual.
"""

from __future__ import annotations

import asyncio
import logging
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from sync_order_list.config import Settings
from sync_order_list.errors import MondayAuthError, MondayError, MondayRateLimitError
from sync_order_list.monday import MondayClient
from sync_order_list.monday.schema import BoardSchema
from sync_order_list.sync.executor import Executor
from sync_order_list.sync.journal import JournalEntry
from sync_order_list.sync.reconcile import find_items_by_key, find_subitems
from sync_order_list.sync.rows import ClaimedRows, LineRow, OrderRow
from sync_order_list.sync.store import Adopted, AdoptedLine, SyncStore

log = logging.getLogger("sync_order_list.sync")


@dataclass
class Recovery:
    """What recovery did; ``unsettled`` rows stay in flight and out of this run's plan."""

    replayed: int = 0  # documents replayed under their key
    replayed_rows: int = 0  # rows those documents carried
    adopted: int = 0  # rows found on the board by lookup
    looked_up: int = 0  # rows looked up
    unsettled_orders: set[str] = field(default_factory=set)
    unsettled_lines: set[str] = field(default_factory=set)

    @property
    def rows(self) -> int:
        """Rows in flight that recovery dealt with (settled or left in flight)."""
        return (
            self.replayed_rows
            + self.looked_up
            + len(self.unsettled_orders)
            + len(self.unsettled_lines)
        )


async def recover(
    *,
    executor: Executor,
    client: MondayClient,
    store: SyncStore,
    settings: Settings,
    schema: BoardSchema,
    rows: ClaimedRows,
    run_id: str,
    now: datetime,
    lookups: bool = True,
) -> Recovery:
    out = Recovery()
    orders = [o for o in rows.orders if o.in_flight]
    lines = [ln for ln in rows.lines if ln.in_flight]
    if not orders and not lines:
        return out
    keys = {r.doc_key for r in [*orders, *lines] if r.doc_key}
    entries = await asyncio.to_thread(store.documents, keys) if keys else []
    oldest = now - timedelta(seconds=settings.sync.replay_window_seconds)
    replayable = [
        e
        for e in entries
        if e.state in ("SENDING", "UNKNOWN") and e.body and e.created_at >= oldest
    ]
    handled_orders, handled_lines = _carried(replayable)
    for entry in replayable:
        out.replayed += 1
        out.replayed_rows += len(entry.rows)
        if not await executor.replay(entry):
            log.warning("document %s still unanswered: its rows stay in flight", entry.key)
            out.unsettled_orders |= {r.id for r in entry.rows if r.table == "order"}
            out.unsettled_lines |= {r.id for r in entry.rows if r.table == "line"}
    if executor.aborted:
        return out
    await _look_up(
        client=client,
        store=store,
        settings=settings,
        schema=schema,
        orders=[o for o in orders if o.record_uuid not in handled_orders],
        lines=[ln for ln in lines if ln.line_id not in handled_lines],
        run_id=run_id,
        now=now,
        lookups=lookups,
        out=out,
    )
    return out


def _carried(entries: list[JournalEntry]) -> tuple[set[str], set[str]]:
    orders = {r.id for e in entries for r in e.rows if r.table == "order"}
    lines = {r.id for e in entries for r in e.rows if r.table == "line"}
    return orders, lines


async def _look_up(
    *,
    client: MondayClient,
    store: SyncStore,
    settings: Settings,
    schema: BoardSchema,
    orders: list[OrderRow],
    lines: list[LineRow],
    run_id: str,
    now: datetime,
    lookups: bool,
    out: Recovery,
) -> None:
    creates = [o for o in orders if o.item_id is None and o.action != "DELETE"]
    others = [o.record_uuid for o in orders if o not in creates]
    item_of: dict[str, str | None] = {o.record_uuid: o.item_id for o in orders}
    if creates and not lookups:
        out.unsettled_orders |= {o.record_uuid for o in creates}
        creates = []
    adopted: list[Adopted] = []
    mapped = list(dict.fromkeys(settings.monday.items.columns.values()))
    found = None
    if creates:
        try:
            found = await find_items_by_key(
                client,
                schema.items.id,
                settings.monday.business_key_column,
                [o.key for o in creates],
                column_ids=mapped,
            )
        except (MondayAuthError, MondayRateLimitError):
            raise
        except MondayError as exc:  # unsettled: never created again on a guess
            log.warning("looking up %d rows in flight failed (%s): left for the next run",
                        len(creates), exc)  # fmt: skip
            out.unsettled_orders |= {o.record_uuid for o in creates}
            creates = []
    if creates and found is not None:
        for order in creates:
            item = found.items.get(order.key)
            if item is None:
                continue
            adopted.append(Adopted(order.record_uuid, item.id, item.snapshot(schema.items, mapped)))
            item_of[order.record_uuid] = item.id
        out.looked_up += len(creates)
        out.adopted += len(adopted)
    missing = [o.record_uuid for o in creates if item_of.get(o.record_uuid) is None]
    await asyncio.to_thread(store.adopt, run_id, now, adopted, ())
    # not on the board (create them), or an update/archive (re-sending is harmless)
    await asyncio.to_thread(store.resolve_not_found, run_id, now, [*missing, *others], ())

    line_creates = [
        ln
        for ln in lines
        if ln.subitem_id is None
        and ln.action != "DELETE"
        and ln.record_uuid not in out.unsettled_orders
        and (item_of.get(ln.record_uuid) or ln.parent_item_id)
    ]
    line_others = [ln.line_id for ln in lines if ln.subitem_id is not None]
    if line_creates and not lookups:
        out.unsettled_lines |= {ln.line_id for ln in line_creates}
        line_creates = []
    adopted_lines: list[AdoptedLine] = []
    found_lines: set[str] = set()
    if line_creates:
        parent = {
            ln.line_id: str(item_of.get(ln.record_uuid) or ln.parent_item_id) for ln in line_creates
        }
        template = settings.names.subitem.template
        name_of = {
            template.format(size_code=ln.size_code, qty=ln.qty, key=ln.order_key): ln.size_code
            for ln in line_creates
        }
        columns = settings.monday.subitems.columns
        try:
            subs = await find_subitems(
                client,
                list(parent.values()),
                columns.get("size_code"),
                name_of,
                qty_column=columns.get("qty"),
            )
        except (MondayAuthError, MondayRateLimitError):
            raise
        except MondayError as exc:
            log.warning("looking up %d lines in flight failed (%s): left for the next run",
                        len(line_creates), exc)  # fmt: skip
            out.unsettled_lines |= {ln.line_id for ln in line_creates}
            line_creates, subs = [], {}
        for ln in line_creates:
            hit = subs.get((parent[ln.line_id], ln.size_code))
            if hit is not None:
                adopted_lines.append(AdoptedLine(ln.line_id, hit.id, hit.qty))
                found_lines.add(ln.line_id)
        out.looked_up += len(line_creates)
        out.adopted += len(adopted_lines)
    await asyncio.to_thread(store.adopt, run_id, now, (), adopted_lines)
    rest = [ln.line_id for ln in line_creates if ln.line_id not in found_lines]
    await asyncio.to_thread(store.resolve_not_found, run_id, now, (), [*rest, *line_others])
