"""Board vs database, pure: the orders and the board's active items in, findings out.

What the tool owns is judged, nothing else: the item of each order (found by the id the
database holds, else by business key), its mapped column values, its name and group,
and one subitem per size line with its quantity. Columns the mapping does not name are
never read, so edits people make there are never a difference.

Only rows the last sync confirmed (``SYNCED``) are judged on values: a PENDING or
ERROR row is on its way to the board anyway. Rows a running sync has claimed are
skipped whole (their items too), so a verify during a sync reports no false drift.
Values are compared as ``monday.encoders.comparable`` text on both sides (the planner's
change-detection rule): ``10.50`` equals ``10.5``, a blank equals nothing.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass

from sync_order_list.config import Settings
from sync_order_list.db.filters import same_customer
from sync_order_list.monday.encoders import comparable
from sync_order_list.verify.model import (
    ARCHIVED,
    DELETED,
    DUPLICATE,
    MISSING,
    NAME_COLUMN,
    ORPHAN,
    SUBITEM_DUPLICATE,
    SUBITEM_EXTRA,
    SUBITEM_MISSING,
    SUBITEM_UNLINKED,
    UNLINKED,
    VALUE_DIFFERS,
    WRONG_GROUP,
    BoardItem,
    BoardSnapshot,
    BoardSubitem,
    DbOrder,
    Drift,
    Finding,
    key_of,
)

SYNCED = "SYNCED"


@dataclass(frozen=True)
class CompareRules:
    """What to compare, from the configuration."""

    key_column: str  # items board column holding the business key
    columns: tuple[str, ...]  # mapped items board column ids
    size_column: str | None  # subitems board column holding the size
    qty_column: str | None  # subitems board column holding the quantity
    subitem_template: str
    customer_column: str | None = None  # items board column holding the customer
    customer: str | None = None  # --customer: judge only this customer's orders

    @classmethod
    def from_settings(cls, settings: Settings, customer: str | None = None) -> CompareRules:
        mapping = settings.monday.items.columns
        subitems = settings.monday.subitems.columns
        return cls(
            key_column=settings.monday.business_key_column,
            columns=tuple(dict.fromkeys(mapping.values())),
            size_column=subitems.get("size_code"),
            qty_column=subitems.get("qty"),
            subitem_template=settings.names.subitem.template,
            customer_column=mapping.get(settings.merge.customer_column),
            customer=customer,
        )

    def in_scope(self, customer: str | None) -> bool:
        return self.customer is None or same_customer(customer, self.customer)


def compare(orders: Sequence[DbOrder], board: BoardSnapshot, rules: CompareRules) -> Drift:
    drift = Drift(items_read=len(board.items), subitems_read=board.subitem_count)
    by_id = {item.id: item for item in board.items}
    by_key: dict[str, list[BoardItem]] = {}
    for item in sorted(board.items, key=_id_order):
        by_key.setdefault(key_of(item.values.get(rules.key_column)), []).append(item)
    # items some order's id points at: never a duplicate or orphan of another key
    owned = {o.item_id: o for o in orders if o.item_id is not None and o.item_id in by_id}
    handled: set[str] = set(owned)
    orders_by_key: dict[str, list[DbOrder]] = {}
    for order in orders:
        orders_by_key.setdefault(key_of(order.key), []).append(order)

    for order in orders:
        candidates = [i for i in by_key.get(key_of(order.key), []) if _free(i, order, owned)]
        if _holds_its_items(order):
            handled.update(i.id for i in candidates)
        if not rules.in_scope(order.customer):
            continue
        if order.claimed:
            drift.orders_skipped += 1
            continue
        if not order.live:
            continue  # an archive pending, or done: its item is judged as an orphan
        drift.orders_checked += 1
        _judge_order(order, candidates, by_id, board, rules, drift)

    for item in board.items:
        if item.id not in handled:
            _orphan(item, orders_by_key, rules, drift)
    return drift


def _holds_its_items(order: DbOrder) -> bool:
    """Items with the order's key belong to it: a live order, one a sync holds, or a
    deleted order whose archive is still to be sent. A deleted order whose archive was
    confirmed holds nothing: an item with its key is an orphan."""
    return order.live or order.claimed or (order.item_id is not None and order.state != SYNCED)


def _id_order(item: BoardItem | BoardSubitem) -> tuple[int, str]:
    return (int(item.id), item.id) if item.id.isdigit() else (2**63, item.id)


def _free(item: BoardItem, order: DbOrder, owned: Mapping[str, DbOrder]) -> bool:
    """The item is not the one another order's id points at."""
    other = owned.get(item.id)
    return other is None or other.record_uuid == order.record_uuid


def _judge_order(
    order: DbOrder,
    candidates: list[BoardItem],
    by_id: Mapping[str, BoardItem],
    board: BoardSnapshot,
    rules: CompareRules,
    drift: Drift,
) -> None:
    found = drift.findings.append
    base = {"key": order.key, "customer": order.customer, "record_uuid": order.record_uuid}
    kept = by_id.get(order.item_id) if order.item_id else None
    if kept is None and candidates:
        kept = candidates[0]  # the oldest item carrying the key
        was = f"item {order.item_id}" if order.item_id else "no item"
        found(
            Finding(
                UNLINKED,
                detail=f"item {kept.id} carries the key; the database has {was}",
                item_id=kept.id,
                **base,
            )
        )
    elif kept is None and (order.item_id is not None or order.state == SYNCED):
        state = board.states.get(order.item_id or "")
        kind = {"archived": ARCHIVED, "deleted": DELETED}.get(state or "", MISSING)
        where = f"item {order.item_id}" if order.item_id else "its item"
        detail = {
            ARCHIVED: f"{where} is archived on the board",
            DELETED: f"{where} was deleted on the board",
            MISSING: f"{where} is not on the board",
        }[kind]
        found(Finding(kind, detail=detail, item_id=order.item_id, **base))
    for item in candidates:
        if kept is not None and item.id != kept.id:
            found(
                Finding(
                    DUPLICATE,
                    detail=f"a second item for the key; the order keeps item {kept.id}",
                    item_id=item.id,
                    **base,
                )
            )
    if kept is not None and kept.id == order.item_id and order.state == SYNCED:
        _judge_values(order, kept, board, rules, drift)
        _judge_subitems(order, kept, board, rules, drift)


def _judge_values(
    order: DbOrder, item: BoardItem, board: BoardSnapshot, rules: CompareRules, drift: Drift
) -> None:
    base = {
        "key": order.key,
        "customer": order.customer,
        "record_uuid": order.record_uuid,
        "item_id": item.id,
    }
    for column_id in rules.columns:
        column_type = board.column_types.get(column_id)
        if column_type is None:
            continue  # not on the board: doctor's finding, not drift
        want = comparable(order.values.get(column_id), column_type)
        got = comparable(item.values.get(column_id), column_type)
        if want != got:
            drift.findings.append(
                Finding(
                    VALUE_DIFFERS,
                    detail=f"{column_id}: board {got!r}, database {want!r}",
                    column=column_id,
                    board_value=got,
                    db_value=want,
                    **base,
                )
            )
    want_name = comparable(order.item_name, "name")
    got_name = comparable(item.name, "name")
    if want_name != got_name:
        drift.findings.append(
            Finding(
                VALUE_DIFFERS,
                detail=f"name: board {got_name!r}, database {want_name!r}",
                column=NAME_COLUMN,
                board_value=got_name,
                db_value=want_name,
                **base,
            )
        )
    title = board.groups.get(item.group_id or "", item.group_id or "")
    want_group = comparable(order.group_name, "name")
    got_group = comparable(title, "name")
    if want_group != got_group:
        drift.findings.append(
            Finding(
                WRONG_GROUP,
                detail=f"in group {got_group!r}, the order's is {want_group!r}",
                board_value=got_group,
                db_value=want_group,
                **base,
            )
        )


def _judge_subitems(
    order: DbOrder, item: BoardItem, board: BoardSnapshot, rules: CompareRules, drift: Drift
) -> None:
    found = drift.findings.append
    names = {
        rules.subitem_template.format(size_code=ln.size, qty=ln.qty, key=order.key): ln.size
        for ln in order.lines
    }
    by_size: dict[str | None, list[BoardSubitem]] = {}
    for sub in sorted(item.subitems, key=_id_order):
        size = _size_of(sub, rules, names)
        by_size.setdefault(size, []).append(sub)
    lines = {ln.size: ln for ln in order.lines}
    base = {"key": order.key, "customer": order.customer, "record_uuid": order.record_uuid}
    for line in order.lines:
        if not line.live or line.state != SYNCED:
            continue
        here = by_size.get(line.size, [])
        match = next((s for s in here if s.id == line.subitem_id), None)
        at = {"size": line.size, "line_id": line.line_id, **base}
        if match is None and here:
            match = here[0]
            found(
                Finding(
                    SUBITEM_UNLINKED,
                    detail=f"subitem {match.id} has the size; the database has "
                    f"{line.subitem_id or 'none'}",
                    subitem_id=match.id,
                    item_id=item.id,
                    **at,
                )
            )
        elif match is None:
            found(
                Finding(
                    SUBITEM_MISSING,
                    detail=f"subitem {line.subitem_id or '?'} is not under item {item.id}",
                    subitem_id=line.subitem_id,
                    item_id=item.id,
                    **at,
                )
            )
        elif rules.qty_column:
            qty_type = board.subitem_column_types.get(rules.qty_column, "numbers")
            want = comparable(line.qty, qty_type)
            got = comparable(match.values.get(rules.qty_column), qty_type)
            if want != got:
                found(
                    Finding(
                        VALUE_DIFFERS,
                        detail=f"quantity: board {got!r}, database {want!r}",
                        column=rules.qty_column,
                        board_value=got,
                        db_value=want,
                        subitem_id=match.id,
                        item_id=item.id,
                        **at,
                    )
                )
        for extra in here:
            if extra is not match:
                found(
                    Finding(
                        SUBITEM_DUPLICATE,
                        detail=f"a second subitem for the size; the line keeps {match.id}",
                        subitem_id=extra.id,
                        item_id=item.id,
                        **at,
                    )
                )
    for size, subs in by_size.items():
        line = lines.get(size) if size is not None else None
        if line is not None and line.live:
            continue
        why = "its size was deleted" if line is not None else "no line has its size"
        for sub in subs:
            found(
                Finding(
                    SUBITEM_EXTRA,
                    detail=f"subitem {sub.name!r}: {why}",
                    size=size,
                    subitem_id=sub.id,
                    item_id=item.id,
                    **base,
                )
            )


def _size_of(sub: BoardSubitem, rules: CompareRules, names: Mapping[str, str]) -> str | None:
    text = sub.values.get(rules.size_column) if rules.size_column else None
    if text is not None and str(text).strip():
        return str(text).strip()
    return names.get(sub.name)


def _orphan(
    item: BoardItem,
    orders_by_key: Mapping[str, list[DbOrder]],
    rules: CompareRules,
    drift: Drift,
) -> None:
    raw_key = item.values.get(rules.key_column)
    orders = orders_by_key.get(key_of(raw_key), [])
    if orders:
        customer = orders[0].customer
        if any(_holds_its_items(o) for o in orders):
            return  # judged with its order
        detail = "its order was deleted; the item is back on the board"
    else:
        customer = item.values.get(rules.customer_column) if rules.customer_column else None
        detail = "no order has its key" if key_of(raw_key) else "the item has no business key"
    if not rules.in_scope(customer):
        return
    drift.findings.append(
        Finding(
            ORPHAN,
            key=str(raw_key or ""),
            detail=detail,
            customer=customer,
            item_id=item.id,
        )
    )
