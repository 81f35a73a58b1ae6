"""The planner is pure: rows + board schema in, operations out. No database, no network."""

from __future__ import annotations

import json
from datetime import datetime
from decimal import Decimal
from typing import Any

import pytest

from sync_order_list.config import load_config
from sync_order_list.sync.operations import OpKind
from sync_order_list.sync.planner import PlanContext, plan, synced_snapshot
from sync_order_list.sync.rows import GROUP_KEY, NAME_KEY, LineRow, OrderRow
from tests.conftest import CONFIG_PATH
from tests.sync.boards import board_schema

SETTINGS = load_config(CONFIG_PATH, environ={}).settings


def ctx(groups: dict[str, str] | None = None, **settings_update: Any) -> PlanContext:
    settings = SETTINGS
    if settings_update:
        monday = settings.monday.model_copy(update=settings_update)
        settings = settings.model_copy(update={"monday": monday})
    return PlanContext(settings, board_schema(settings, groups))


def values(**overrides: Any) -> dict[str, Any]:
    base = {db: None for db in SETTINGS.monday.items.columns}
    base.update(
        {
            "AAG ORDER NUMBER": "GRE-00001",
            "CUSTOMER NAME": "GREYSON",
            "ORDER TYPE": "ACTIVE",
            "UNIT OF MEASURE": "EACH",
            "AAG SEASON": "SS25",
            "CUSTOMER PRICE": Decimal("12.5000"),
            "EX FACTORY DATE": datetime(2025, 3, 1),
            "TOTAL QTY": 48,
            "NOTES": "Ship with hangers",
            "DESIGN FEE": "0.50",
        }
    )
    base.update(overrides)
    return base


def order(**kw: Any) -> OrderRow:
    defaults: dict[str, Any] = {
        "record_uuid": "r-1",
        "key": "GRE-00001",
        "action": "INSERT",
        "item_id": None,
        "group_name": "GREYSON 2025 SPRING",
        "item_name": "GRE1234 NAVY GRE-00001",
        "row_hash": "h1",
        "synced_values": None,
        "values": values(),
        "customer": "GREYSON",
    }
    defaults.update(kw)
    return OrderRow(**defaults)


def line(**kw: Any) -> LineRow:
    defaults: dict[str, Any] = {
        "line_id": "1",
        "record_uuid": "r-1",
        "order_key": "GRE-00001",
        "size_code": "M",
        "size_position": 65,
        "qty": 12,
        "action": "INSERT",
        "subitem_id": None,
        "synced_qty": None,
        "parent_item_id": None,
        "parent_action": "INSERT",
        "customer": "GREYSON",
    }
    defaults.update(kw)
    return LineRow(**defaults)


def test_new_order_creates_group_item_and_subitems() -> None:
    p = plan([order()], [line(), line(line_id="2", size_code="L", qty=6)], ctx())
    assert p.groups == ["GREYSON 2025 SPRING"]
    (create,) = p.item_ops
    assert create.kind is OpKind.CREATE_ITEM and create.group_title == "GREYSON 2025 SPRING"
    sent = json.loads(create.variables["column_values"])
    assert sent["text_mkr5wya6"] == "GRE-00001"  # the business key travels with the item
    assert sent["numeric_mkr5cact"] == "12.5"
    assert sent["date_mkr57811"] == {"date": "2025-03-01"}
    assert "long_text_mkr5hass" in sent and "text_mkr5ej2x" not in sent  # empty: not sent
    assert create.variables["item_name"] == "GRE1234 NAVY GRE-00001"
    assert create.match == "GRE-00001"
    assert [op.kind for op in p.line_ops] == [OpKind.CREATE_SUBITEM] * 2
    assert p.line_ops[0].parent_record == "r-1" and p.line_ops[0].variables["item_name"] == "Size M"
    assert p.counts() == {"create_group": 1, "create_item": 1, "create_subitem": 2}


def test_existing_group_is_not_created_again_and_each_group_once() -> None:
    orders = [order(record_uuid=f"r{i}", key=f"K{i}") for i in range(69)]
    p = plan(orders, [], ctx())
    assert p.groups == ["GREYSON 2025 SPRING"]  # one group for 69 orders
    p = plan(orders, [], ctx(groups={"GREYSON 2025 SPRING": "g1"}))
    assert p.groups == []


def test_update_sends_only_changed_columns() -> None:
    c = ctx(groups={"GREYSON 2025 SPRING": "g1"})
    before = order(item_id="100", action="UPDATE")
    synced = synced_snapshot(before, c, "GRE1234 NAVY GRE-00001")
    changed = order(
        item_id="100",
        action="UPDATE",
        synced_values=synced,
        values=values(NOTES="Hold for PP sample", **{"CUSTOMER PRICE": Decimal("13")}),
    )
    p = plan([changed], [], c)
    (update,) = p.item_ops
    assert update.kind is OpKind.UPDATE_ITEM
    assert json.loads(update.variables["column_values"]) == {
        "long_text_mkr5hass": {"text": "Hold for PP sample"},
        "numeric_mkr5cact": "13",
    }
    assert p.groups == []


def test_equivalent_values_are_not_changes() -> None:
    c = ctx(groups={"GREYSON 2025 SPRING": "g1"})
    synced = synced_snapshot(order(item_id="100"), c, "GRE1234 NAVY GRE-00001")
    same = order(
        item_id="100",
        action="UPDATE",
        synced_values=synced,
        values=values(**{"CUSTOMER PRICE": "12.50", "EX FACTORY DATE": "2025-03-01 00:00:00"}),
    )
    p = plan([same], [], c)
    assert p.item_ops == [] and [s.reason for s in p.settles] == ["no mapped column changed"]


def test_cleared_value_is_sent_as_clear() -> None:
    c = ctx(groups={"GREYSON 2025 SPRING": "g1"})
    synced = synced_snapshot(order(item_id="100"), c, "GRE1234 NAVY GRE-00001")
    p = plan(
        [order(item_id="100", action="UPDATE", synced_values=synced, values=values(NOTES=None))],
        [],
        c,
    )
    assert json.loads(p.item_ops[0].variables["column_values"]) == {"long_text_mkr5hass": ""}


def test_rename_and_group_change() -> None:
    c = ctx(groups={"GREYSON 2025 SPRING": "g1"})
    synced = synced_snapshot(order(item_id="100"), c, "GRE1234 NAVY GRE-00001")
    moved = order(
        item_id="100",
        action="UPDATE",
        synced_values=synced,
        item_name="GRE1234 BLACK GRE-00001",
        group_name="GREYSON 2025 FALL",
    )
    p = plan([moved], [], c)
    kinds = [op.kind for op in p.item_ops]
    assert kinds == [OpKind.UPDATE_ITEM, OpKind.MOVE_ITEM]
    assert json.loads(p.item_ops[0].variables["column_values"]) == {
        "name": "GRE1234 BLACK GRE-00001"
    }
    assert p.item_ops[1].group_title == "GREYSON 2025 FALL"
    assert p.groups == ["GREYSON 2025 FALL"]
    assert p.item_ops[0].synced[GROUP_KEY] == "GREYSON 2025 FALL"
    assert p.item_ops[0].synced[NAME_KEY] == "GRE1234 BLACK GRE-00001"


def test_adopted_item_without_synced_values_gets_everything() -> None:
    p = plan([order(item_id="100", action="UPDATE")], [], ctx(groups={"GREYSON 2025 SPRING": "g"}))
    kinds = [op.kind for op in p.item_ops]
    assert kinds == [OpKind.UPDATE_ITEM, OpKind.MOVE_ITEM]
    assert (
        len(json.loads(p.item_ops[0].variables["column_values"]))
        == len(SETTINGS.monday.items.columns) + 1
    )


def test_delete_archives_or_settles() -> None:
    p = plan(
        [order(action="DELETE", item_id="100")],
        [line(parent_action="DELETE", subitem_id="5")],
        ctx(),
    )
    assert [op.kind for op in p.item_ops] == [OpKind.ARCHIVE_ITEM] and p.line_ops == []
    p = plan([order(action="DELETE")], [], ctx())
    assert p.item_ops == [] and p.settles[0].deleted
    p = plan([order(action="DELETE", item_id="100")], [], ctx(delete_action="delete"))
    assert [op.kind for op in p.item_ops] == [OpKind.DELETE_ITEM]


def test_line_changes() -> None:
    c = ctx()
    lines = [
        line(
            line_id="1",
            subitem_id="11",
            synced_qty=12,
            qty=24,
            parent_item_id="100",
            action="UPDATE",
        ),
        line(
            line_id="2", subitem_id="12", synced_qty=6, qty=6, parent_item_id="100", action="UPDATE"
        ),
        line(line_id="3", subitem_id="13", parent_item_id="100", action="DELETE"),
        line(line_id="4", parent_item_id="100", action="DELETE"),
        line(line_id="5", parent_item_id="100", size_code="XL"),
    ]
    p = plan([], lines, c)
    kinds = {op.row.id: op.kind for op in p.line_ops}
    assert kinds == {
        "1": OpKind.UPDATE_SUBITEM,
        "3": OpKind.ARCHIVE_SUBITEM,
        "5": OpKind.CREATE_SUBITEM,
    }
    update = next(op for op in p.line_ops if op.row.id == "1")
    assert json.loads(update.variables["column_values"]) == {"numeric_mkra7j8e": "24"}
    assert {s.row.id for s in p.settles} == {"2", "4"}


def test_line_waits_when_parent_has_no_item_and_none_is_created() -> None:
    p = plan([], [line(parent_item_id=None)], ctx())
    assert p.line_ops == [] and p.settles == [] and p.failures == []


@pytest.mark.parametrize(
    ("override", "fragment"),
    [
        ({"CUSTOMER PRICE": "TBC"}, "numeric_mkr5cact"),
        ({"EX FACTORY DATE": "next tuesday"}, "date_mkr57811"),
        ({"CUSTOMER NAME": "UNKNOWN CUSTOMER"}, "dropdown_mkr542p2"),
        ({"UNIT OF MEASURE": "DOZEN"}, "color_mkr5yf27"),
    ],
)
def test_invalid_values_fail_only_their_row(override: dict[str, Any], fragment: str) -> None:
    bad = order(record_uuid="bad", key="BAD-1", values=values(**override))
    good = order(record_uuid="good", key="GOOD-1")
    p = plan([bad, good], [line(record_uuid="bad"), line(record_uuid="good", line_id="2")], ctx())
    assert [op.row.key for op in p.item_ops] == ["GOOD-1"]
    (failure,) = p.failures
    assert (
        failure.row.key == "BAD-1" and "'BAD-1'" in failure.message and fragment in failure.message
    )
    db_column = next(iter(override))
    assert repr(db_column) in failure.message
    assert [op.row.id for op in p.line_ops] == ["2"]  # the bad order's line waits


def test_label_creation_flag_only_where_allowed() -> None:
    p = plan([order(values=values(**{"AAG SEASON": "NEW SEASON"}))], [], ctx())
    assert p.item_ops[0].variables["create_labels_if_missing"] is True
    p = plan([order(values=values(**{"AAG SEASON": None}))], [], ctx())
    assert p.item_ops[0].variables["create_labels_if_missing"] is False


def test_name_too_long_is_a_row_error() -> None:
    p = plan([order(item_name="x" * 256)], [], ctx())
    assert p.item_ops == [] and "255" in p.failures[0].message
