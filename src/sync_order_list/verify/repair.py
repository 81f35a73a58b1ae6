"""``verify --repair``: put what verify found back on the sync path.

Almost all of it is a change of database state, so the next ``sync`` does the writes
with its usual batching, budget and exactly-once care (the design's state machine):

- an item missing, archived or deleted: the order goes back to ``INSERT``/``PENDING``
  with no item id, its live lines too (no subitem id): the sync creates them again;
- an item that carries the key while the database points elsewhere: adopted (its id
  recorded; ``synced_values`` set to what the board holds, so only differences go);
  its subitems are matched by size the same way;
- a value, name or group that differs: the order goes ``PENDING`` with its
  ``synced_values`` entry for that column set to what the board holds, so the planner
  re-sends exactly that column (and moves the item for ``__group``);
- a subitem missing: the line is created again; a quantity that differs: the line goes
  ``PENDING`` with ``synced_qty`` set to the board's;
- duplicates (items, subitems): archived through the normal client, one document at a
  time, keeping the one the database points at. That is the only write verify sends.

Orphans and extra subitems are reported, never touched. Every database change is
conditional on the row being as verify read it and not claimed by a running sync; a row
that changed meanwhile is left alone and reported.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from sqlalchemy import DateTime, Engine, Integer, String, Text, and_, column, or_, table, update
from sqlalchemy.sql.elements import ColumnElement
from sqlalchemy.sql.expression import TableClause

from sync_order_list.config import AppConfig
from sync_order_list.db.setup import table_names
from sync_order_list.errors import MondayError
from sync_order_list.monday import MondayClient, single
from sync_order_list.monday.encoders import comparable
from sync_order_list.sync.rows import GROUP_KEY, NAME_KEY
from sync_order_list.verify.compare import CompareRules
from sync_order_list.verify.model import (
    ARCHIVED,
    DELETED,
    DUPLICATE,
    MISSING,
    NAME_COLUMN,
    SUBITEM_DUPLICATE,
    SUBITEM_MISSING,
    SUBITEM_UNLINKED,
    UNLINKED,
    VALUE_DIFFERS,
    WRONG_GROUP,
    BoardItem,
    BoardSnapshot,
    DbOrder,
    Drift,
    Finding,
)

PENDING = "PENDING"


@dataclass
class RowChange:
    """New values for one row, applied only if the row is still as it was read."""

    id: str
    seen_state: str
    values: dict[str, Any]
    findings: list[Finding] = field(default_factory=list)
    seen_item_id: str | None = None  # orders: the item id verify saw


@dataclass
class RepairPlan:
    orders: dict[str, RowChange] = field(default_factory=dict)
    lines: dict[str, RowChange] = field(default_factory=dict)
    archives: list[Finding] = field(default_factory=list)  # duplicates to archive

    @property
    def empty(self) -> bool:
        return not (self.orders or self.lines or self.archives)


@dataclass
class RepairResult:
    repaired: list[Finding] = field(default_factory=list)
    skipped: list[Finding] = field(default_factory=list)  # changed since verify read them
    failed: list[tuple[Finding, str]] = field(default_factory=list)  # archives refused
    orders_changed: int = 0
    lines_changed: int = 0
    archived: list[str] = field(default_factory=list)


# --------------------------------------------------------------------------- plan (pure)


def plan_repair(
    drift: Drift, orders: Sequence[DbOrder], board: BoardSnapshot, rules: CompareRules
) -> RepairPlan:
    """What to change for every repairable finding (orphans and extras: nothing)."""
    plan = RepairPlan()
    by_record = {o.record_uuid: o for o in orders}
    items = {i.id: i for i in board.items}
    for finding in drift.findings:
        order = by_record.get(finding.record_uuid or "")
        if finding.kind in (DUPLICATE, SUBITEM_DUPLICATE):
            plan.archives.append(finding)
        elif order is None:
            continue
        elif finding.kind in (MISSING, ARCHIVED, DELETED):
            _recreate(plan, order, finding)
        elif finding.kind == UNLINKED:
            _adopt(plan, order, items[finding.item_id or ""], board, rules, finding)
        elif finding.kind in (VALUE_DIFFERS, WRONG_GROUP) and finding.line_id is None:
            _resend(plan, order, board, rules, finding)
        elif finding.kind == VALUE_DIFFERS:
            _line(plan, order, finding, _qty_values(finding.board_value))
        elif finding.kind == SUBITEM_MISSING:
            _line(plan, order, finding, _line_gone())
        elif finding.kind == SUBITEM_UNLINKED:
            sub = _subitem(items, finding)
            qty = sub.values.get(rules.qty_column) if sub and rules.qty_column else None
            values = {"monday_subitem_id": finding.subitem_id, **_qty_values(qty)}
            _line(plan, order, finding, values)
    return plan


def _order_change(plan: RepairPlan, order: DbOrder, finding: Finding) -> RowChange:
    change = plan.orders.get(order.record_uuid)
    if change is None:
        change = RowChange(order.record_uuid, order.state, {}, seen_item_id=order.item_id)
        plan.orders[order.record_uuid] = change
    change.findings.append(finding)
    return change


def _recreate(plan: RepairPlan, order: DbOrder, finding: Finding) -> None:
    change = _order_change(plan, order, finding)
    change.values = {
        "monday_item_id": None,
        "group_id": None,
        "synced_values": None,
        "synced_hash": None,
        "action_type": "INSERT",
        "sync_state": PENDING,
        "sync_error": None,
    }
    for line in order.lines:  # its subitems went with it
        values = _line_gone() if line.live else {"monday_subitem_id": None, "sync_state": "SYNCED"}
        plan.lines[line.line_id] = RowChange(line.line_id, line.state, values)


def _adopt(
    plan: RepairPlan,
    order: DbOrder,
    item: BoardItem,
    board: BoardSnapshot,
    rules: CompareRules,
    finding: Finding,
) -> None:
    change = _order_change(plan, order, finding)
    change.values = {
        "monday_item_id": item.id,
        "group_id": item.group_id,
        "synced_values": _dump(_board_snapshot(item, board, rules)),
        "action_type": "UPDATE",
        "sync_state": PENDING,
        "sync_error": None,
    }
    names = {
        rules.subitem_template.format(size_code=ln.size, qty=ln.qty, key=order.key): ln.size
        for ln in order.lines
    }
    subs: dict[str, Any] = {}
    for sub in sorted(item.subitems, key=lambda s: int(s.id) if s.id.isdigit() else 0):
        text = sub.values.get(rules.size_column) if rules.size_column else None
        size = (text or "").strip() or names.get(sub.name)
        if size:
            subs.setdefault(size, sub)
    for line in order.lines:
        sub = subs.get(line.size)
        if sub is None:
            values = (
                _line_gone() if line.live else {"monday_subitem_id": None, "sync_state": "SYNCED"}
            )
        elif line.live:
            qty = sub.values.get(rules.qty_column) if rules.qty_column else None
            values = {"monday_subitem_id": sub.id, **_qty_values(qty)}
        else:  # a deleted size whose subitem is there: the sync archives it
            values = {"monday_subitem_id": sub.id, "sync_state": PENDING, "action_type": "DELETE"}
        plan.lines[line.line_id] = RowChange(line.line_id, line.state, values)


def _resend(
    plan: RepairPlan, order: DbOrder, board: BoardSnapshot, rules: CompareRules, finding: Finding
) -> None:
    change = _order_change(plan, order, finding)
    synced = json.loads(change.values.get("synced_values") or "null") or _db_snapshot(
        order, board, rules
    )
    slot = {NAME_COLUMN: NAME_KEY}.get(finding.column or "", finding.column)
    if finding.kind == WRONG_GROUP:
        slot = GROUP_KEY
    synced[str(slot)] = finding.board_value or ""
    change.values.update(
        {
            "synced_values": _dump(synced),
            "action_type": "UPDATE",
            "sync_state": PENDING,
            "sync_error": None,
        }
    )


def _line(plan: RepairPlan, order: DbOrder, finding: Finding, values: dict[str, Any]) -> None:
    line = next((ln for ln in order.lines if ln.line_id == finding.line_id), None)
    if line is None:
        return
    change = plan.lines.get(line.line_id)
    if change is None:
        change = plan.lines[line.line_id] = RowChange(line.line_id, line.state, {})
    change.values.update(values)
    change.findings.append(finding)


def _line_gone() -> dict[str, Any]:
    return {
        "monday_subitem_id": None,
        "synced_qty": None,
        "action_type": "INSERT",
        "sync_state": PENDING,
        "sync_error": None,
    }


def _qty_values(board_qty: str | None) -> dict[str, Any]:
    """PENDING with ``synced_qty`` = the board's (None when it is not a whole number),
    so the planner sends the quantity only when it differs."""
    text = comparable(board_qty, "numbers")
    qty = int(text) if text.isdigit() else None
    return {"synced_qty": qty, "action_type": "UPDATE", "sync_state": PENDING, "sync_error": None}


def _subitem(items: dict[str, BoardItem], finding: Finding) -> Any:
    item = items.get(finding.item_id or "")
    return next((s for s in item.subitems if s.id == finding.subitem_id), None) if item else None


def _db_snapshot(order: DbOrder, board: BoardSnapshot, rules: CompareRules) -> dict[str, str]:
    """What the board holds once synced, per the database (the planner's rule)."""
    out = {
        c: comparable(order.values.get(c), board.column_types.get(c))
        for c in rules.columns
        if c in board.column_types
    }
    out[NAME_KEY] = comparable(order.item_name, "name")
    out[GROUP_KEY] = order.group_name or ""
    return out


def _board_snapshot(item: BoardItem, board: BoardSnapshot, rules: CompareRules) -> dict[str, str]:
    """The same shape, from what the board holds."""
    out = {
        c: comparable(item.values.get(c), board.column_types.get(c))
        for c in rules.columns
        if c in board.column_types
    }
    out[NAME_KEY] = comparable(item.name, "name")
    out[GROUP_KEY] = board.groups.get(item.group_id or "", "")
    return out


def _dump(values: dict[str, str]) -> str:
    return json.dumps(values, ensure_ascii=False, sort_keys=True)


# --------------------------------------------------------------------------- apply (I/O)


def _orders_table(cfg: AppConfig) -> TableClause:
    names = table_names(cfg)
    return table(
        names.target,
        column("record_uuid", String()),
        column("monday_item_id", String()),
        column("group_id", String()),
        column("synced_values", Text()),
        column("synced_hash", String()),
        column("action_type", String()),
        column("sync_state", String()),
        column("sync_error", Text()),
        column("merged_at", DateTime()),
        column("claim_expires_at", DateTime()),
        schema=names.schema,
    )


def _lines_table(cfg: AppConfig) -> TableClause:
    names = table_names(cfg)
    return table(
        names.lines,
        column("line_id", Integer()),
        column("monday_subitem_id", String()),
        column("synced_qty", Integer()),
        column("action_type", String()),
        column("sync_state", String()),
        column("sync_error", Text()),
        column("merged_at", DateTime()),
        column("claim_expires_at", DateTime()),
        schema=names.schema,
    )


def _free(t: TableClause, now: datetime) -> ColumnElement[bool]:
    return or_(t.c.claim_expires_at.is_(None), t.c.claim_expires_at < now)


def apply_repair(engine: Engine, cfg: AppConfig, plan: RepairPlan, now: datetime) -> RepairResult:
    """The database half, in one transaction. ``merged_at`` becomes ``now``: the row
    became pending now (``check``'s pending_too_long counts from it)."""
    result = RepairResult()
    o, ln = _orders_table(cfg), _lines_table(cfg)
    with engine.begin() as conn:
        for change in plan.orders.values():
            seen = (
                o.c.monday_item_id.is_(None)
                if change.seen_item_id is None
                else o.c.monday_item_id == change.seen_item_id
            )
            where = and_(
                o.c.record_uuid == change.id,
                o.c.sync_state == change.seen_state,
                seen,
                _free(o, now),
            )
            done = conn.execute(update(o).where(where).values(**change.values, merged_at=now))
            _tally(result, change, done.rowcount == 1)
            result.orders_changed += done.rowcount
        for change in plan.lines.values():
            where = and_(
                ln.c.line_id == int(change.id),
                ln.c.sync_state == change.seen_state,
                _free(ln, now),
            )
            done = conn.execute(update(ln).where(where).values(**change.values, merged_at=now))
            _tally(result, change, done.rowcount == 1)
            result.lines_changed += done.rowcount
    return result


def _tally(result: RepairResult, change: RowChange, applied: bool) -> None:
    (result.repaired if applied else result.skipped).extend(change.findings)


async def archive_duplicates(
    client: MondayClient, findings: Sequence[Finding], result: RepairResult
) -> None:
    """Archive each duplicate item or subitem, one document at a time."""
    for finding in findings:
        target = finding.subitem_id if finding.kind == SUBITEM_DUPLICATE else finding.item_id
        if not target:
            continue
        try:
            response = await client.execute(
                single("archive_item", {"item_id": target}), idempotent=True
            )
        except MondayError as exc:
            result.failed.append((finding, exc.message))
            continue
        if response.errors:
            result.failed.append((finding, response.errors[0].message))
            continue
        result.archived.append(target)
        result.repaired.append(finding)
