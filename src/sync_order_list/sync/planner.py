"""The planner: pending rows + board schema + known groups -> the run's operations.

Pure: no database, no network. Every decision about *what* to send lives here:
- an order without an item is created (in its group, with every mapped value);
- an order with an item sends only the columns whose values changed since the last
  sync (so edits people made to other columns survive), is moved when its group
  changed, and settles without a call when nothing changed;
- a deleted order is archived (or deleted), or simply settled if it never had an item;
- a line without a subitem is created under its order's item, a changed qty updates
  only the qty, a vanished size deletes its subitem;
- a value monday would refuse fails that row only, before anything is sent.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any

from sync_order_list.config.models import BoardMapping, Settings
from sync_order_list.errors import RowError
from sync_order_list.monday.encoders import (
    clean_name,
    column_values_json,
    comparable,
    encode_column_values,
)
from sync_order_list.monday.schema import Board, BoardSchema
from sync_order_list.sync.operations import Operation, OpKind, Plan, RowFailure, Settle
from sync_order_list.sync.rows import GROUP_KEY, NAME_KEY, LineRow, OrderRow, RowRef

SIZE_FIELD = "size_code"
QTY_FIELD = "qty"


@dataclass(frozen=True)
class PlanContext:
    """Everything the planner reads besides the rows."""

    settings: Settings
    schema: BoardSchema

    @property
    def items(self) -> Board:
        return self.schema.items

    @property
    def subitems(self) -> Board | None:
        return self.schema.subitems


def plan(orders: Iterable[OrderRow], lines: Iterable[LineRow], ctx: PlanContext) -> Plan:
    result = Plan()
    known_groups = set(ctx.items.groups_by_title)
    planned_groups: list[str] = []
    failed_orders: set[str] = set()

    for order in orders:
        try:
            title = _plan_order(order, ctx, result)
        except RowError as exc:
            failed_orders.add(order.record_uuid)
            result.failures.append(
                RowFailure(order.ref, str(exc.for_key(order.key)), _column_of(exc))
            )
            continue
        if title and title not in known_groups and title not in planned_groups:
            planned_groups.append(title)
    result.groups = planned_groups

    creating = {op.row.id for op in result.item_ops if op.kind is OpKind.CREATE_ITEM and op.row}
    for line in lines:
        if line.record_uuid in failed_orders:
            continue  # its order could not be sent: the line waits for the next run
        try:
            _plan_line(line, ctx, result, creating)
        except RowError as exc:
            result.failures.append(
                RowFailure(line.ref, str(exc.for_key(line.order_key)), _column_of(exc))
            )
    return result


def _column_of(exc: RowError) -> str | None:
    if exc.db_column and exc.monday_column:
        return f"{exc.db_column} -> {exc.monday_column}"
    return exc.db_column or exc.monday_column


# -- orders ----------------------------------------------------------------------------


def synced_snapshot(order: OrderRow, ctx: PlanContext, name: str) -> dict[str, str]:
    """What the board holds for this order once the sync succeeded (comparable text)."""
    mapping = ctx.settings.monday.items
    snapshot: dict[str, str] = {}
    for db_column, column_id in mapping.columns.items():
        column = ctx.items.columns.get(column_id)
        column_type = column.type if column else None
        snapshot[column_id] = comparable(order.values.get(db_column), column_type)
    snapshot[NAME_KEY] = comparable(name, "name")
    snapshot[GROUP_KEY] = order.group_name or ""
    return snapshot


def _plan_order(order: OrderRow, ctx: PlanContext, out: Plan) -> str | None:
    """Add the order's operations; return the group title its item must be in."""
    settings = ctx.settings
    board_id = ctx.items.id
    ref = order.ref

    if order.action == "DELETE":
        if order.item_id is None:
            out.settles.append(Settle(ref, "deleted order never had an item", deleted=True))
            return None
        archive = settings.monday.delete_action == "archive"
        kind = OpKind.ARCHIVE_ITEM if archive else OpKind.DELETE_ITEM
        out.item_ops.append(
            Operation(kind, ref, {"item_id": order.item_id}, sent_hash=order.row_hash)
        )
        return None

    name = clean_name(order.item_name, db_column="item_name")
    group = clean_name(order.group_name, db_column="group_name", what="group name")
    mapping = settings.monday.items
    synced = synced_snapshot(order, ctx, name)

    if order.item_id is None:
        values = _encode(order.values, mapping, ctx.items, skip_empty=True)
        out.item_ops.append(
            Operation(
                OpKind.CREATE_ITEM,
                ref,
                {
                    "board_id": board_id,
                    "item_name": name,
                    "column_values": column_values_json(values),
                    "create_labels_if_missing": _needs_label_creation(values, mapping, ctx.items),
                },
                group_title=group,
                synced=synced,
                sent_hash=order.row_hash,
                match=order.key,
            )
        )
        return group

    previous = order.synced_values
    changed = {
        db_column: order.values.get(db_column)
        for db_column, column_id in mapping.columns.items()
        if previous is None or previous.get(column_id) != synced[column_id]
    }
    values = _encode(changed, mapping, ctx.items, skip_empty=False)
    if previous is None or previous.get(NAME_KEY) != synced[NAME_KEY]:
        values["name"] = name
    move = previous is None or previous.get(GROUP_KEY) != synced[GROUP_KEY]
    if not values and not move:
        out.settles.append(
            Settle(ref, "no mapped column changed", sent_hash=order.row_hash, synced=synced)
        )
        return None
    if values:
        out.item_ops.append(
            Operation(
                OpKind.UPDATE_ITEM,
                ref,
                {
                    "board_id": board_id,
                    "item_id": order.item_id,
                    "column_values": column_values_json(values),
                    "create_labels_if_missing": _needs_label_creation(values, mapping, ctx.items),
                },
                synced=synced,
                sent_hash=order.row_hash,
            )
        )
    if move:
        out.item_ops.append(
            Operation(
                OpKind.MOVE_ITEM,
                ref,
                {"item_id": order.item_id},
                group_title=group,
                synced=synced,
                sent_hash=order.row_hash,
            )
        )
    return group if move else None


def _encode(
    values: Mapping[str, Any], mapping: BoardMapping, board: Board, *, skip_empty: bool
) -> dict[str, Any]:
    return encode_column_values(
        values, mapping.columns, board, creates_labels=mapping.creates_labels, skip_empty=skip_empty
    )


def _needs_label_creation(values: Mapping[str, Any], mapping: BoardMapping, board: Board) -> bool:
    """create_labels_if_missing is per mutation: on only when a label allowed to be
    created is really missing (labels of the other columns were checked to exist)."""
    for column_id, value in values.items():
        if not mapping.creates_labels(column_id):
            continue
        column = board.columns.get(column_id)
        if column is None or column.type not in ("dropdown", "status"):
            continue
        if isinstance(value, dict) and "labels" in value:
            return True
        if isinstance(value, dict) and "label" in value:
            return True
    return False


# -- lines -----------------------------------------------------------------------------


def _plan_line(line: LineRow, ctx: PlanContext, out: Plan, creating: set[str]) -> None:
    ref = line.ref
    settings = ctx.settings
    if line.parent_action == "DELETE":
        return  # settled with its order's archive
    if line.action == "DELETE":
        if line.subitem_id is None:
            out.settles.append(Settle(ref, "deleted size never had a subitem", deleted=True))
            return
        archive = settings.monday.delete_action == "archive"
        kind = OpKind.ARCHIVE_SUBITEM if archive else OpKind.DELETE_SUBITEM
        out.line_ops.append(Operation(kind, ref, {"item_id": line.subitem_id}))
        return

    board = _subitems_board(ctx, ref)
    mapping = settings.monday.subitems
    fields = {SIZE_FIELD: line.size_code, QTY_FIELD: line.qty, "size_position": line.size_position}
    if line.subitem_id is None:
        if line.parent_item_id is None and line.record_uuid not in creating:
            return  # the order has no item yet and none is being created: wait
        name = clean_name(
            settings.names.subitem.template.format(
                size_code=line.size_code, qty=line.qty, key=line.order_key
            ),
            what="subitem name",
        )
        values = _encode(fields, mapping, board, skip_empty=True)
        out.line_ops.append(
            Operation(
                OpKind.CREATE_SUBITEM,
                ref,
                {
                    "item_name": name,
                    "column_values": column_values_json(values),
                    "create_labels_if_missing": _needs_label_creation(values, mapping, board),
                },
                parent_record=line.record_uuid,
                sent_qty=line.qty,
                match=line.size_code,
            )
        )
        return

    if line.synced_qty == line.qty:
        out.settles.append(Settle(ref, "qty unchanged", sent_qty=line.qty))
        return
    values = _encode({QTY_FIELD: line.qty}, mapping, board, skip_empty=False)
    if not values:
        out.settles.append(Settle(ref, "qty is not mapped to a subitem column", sent_qty=line.qty))
        return
    out.line_ops.append(
        Operation(
            OpKind.UPDATE_SUBITEM,
            ref,
            {
                "board_id": board.id,
                "item_id": line.subitem_id,
                "column_values": column_values_json(values),
                "create_labels_if_missing": False,
            },
            sent_qty=line.qty,
        )
    )


def _subitems_board(ctx: PlanContext, ref: RowRef) -> Board:
    if ctx.subitems is None:
        raise RowError(
            f"board {ctx.items.id} has no subitems board (add a Subitems column to it)",
            key=ref.key,
        )
    return ctx.subitems
