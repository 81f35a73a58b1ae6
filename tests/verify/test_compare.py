"""verify's compare stage, pure: no database, no board."""

from __future__ import annotations

from typing import Any

from sync_order_list.verify.compare import CompareRules, compare
from sync_order_list.verify.model import BoardItem, BoardSnapshot, BoardSubitem, DbLine, DbOrder

RULES = CompareRules(
    key_column="key",
    columns=("key", "po"),
    size_column="size",
    qty_column="qty",
    subitem_template="Size {size_code}",
    customer_column="cust",
)


def order(key: str, item: str | None, **kw: Any) -> DbOrder:
    base: dict[str, Any] = dict(
        record_uuid=f"r-{key}",
        key=key,
        customer="ACME",
        item_id=item,
        state="SYNCED",
        action="UPDATE",
        item_name=f"name {key}",
        group_name="G",
        values={"key": key, "po": "P1"},
    )
    base.update(kw)
    return DbOrder(**base)


def item(id_: str, key: str, **kw: Any) -> BoardItem:
    base: dict[str, Any] = dict(
        id=id_, name=f"name {key}", group_id="g1", values={"key": key, "po": "P1"}
    )
    base.update(kw)
    return BoardItem(**base)


def board(*items: BoardItem, **kw: Any) -> BoardSnapshot:
    return BoardSnapshot(
        board_id="1",
        items=items,
        groups={"g1": "G", "g2": "H"},
        column_types={"key": "text", "po": "text", "cust": "dropdown"},
        subitem_column_types={"size": "dropdown", "qty": "numbers"},
        **kw,
    )


def kinds(drift: Any) -> list[tuple[str, str]]:
    return [(f.kind, f.key) for f in drift.findings]


def test_keys_match_in_any_case_and_values_compare_as_comparable_text() -> None:
    d = compare([order("A-1", None, state="PENDING")], board(item("5", " a-1 ")), RULES)
    assert kinds(d) == [("unlinked", "A-1")]
    numbers = BoardSnapshot(
        board_id="1",
        items=(item("5", "A", values={"key": "A", "po": "10.50"}),),
        groups={"g1": "G"},
        column_types={"key": "text", "po": "numbers"},
    )
    assert compare([order("A", "5", values={"key": "A", "po": "10.5"})], numbers, RULES).total == 0


def test_only_synced_rows_are_judged_on_values_and_claimed_rows_not_at_all() -> None:
    edited = item("5", "A", values={"key": "A", "po": "EDITED"}, group_id="g2")
    assert kinds(compare([order("A", "5")], board(edited), RULES)) == [
        ("value_differs", "A"),
        ("wrong_group", "A"),
    ]
    assert compare([order("A", "5", state="PENDING")], board(edited), RULES).total == 0
    claimed = compare([order("A", None, claimed=True)], board(edited, item("6", "A")), RULES)
    assert claimed.total == 0 and claimed.orders_skipped == 1


def test_gone_items_by_state_duplicates_and_orphans_by_customer() -> None:
    orders = [order("A", "5"), order("B", "6"), order("C", "7"), order("D", "8")]
    snapshot = board(
        item("8", "D"),
        item("9", "d"),
        item("10", "X", values={"key": "X", "cust": "OTHER"}),
        item("11", "Y", values={"key": "Y", "cust": "acme"}),
        states={"5": "archived", "6": "deleted"},
    )
    d = compare(orders, snapshot, RULES)
    assert kinds(d) == [
        ("archived", "A"),
        ("deleted", "B"),
        ("missing", "C"),
        ("duplicate", "D"),
        ("orphan", "X"),
        ("orphan", "Y"),
    ]
    scoped = CompareRules(**{**RULES.__dict__, "customer": "Acme"})
    assert [k for k, _ in kinds(compare(orders, snapshot, scoped))].count("orphan") == 1


def test_subitems_by_size_then_by_name() -> None:
    lines = (
        DbLine("1", "S", 2, "100", "SYNCED", "UPDATE"),
        DbLine("2", "M", 3, "101", "SYNCED", "UPDATE"),
        DbLine("3", "L", 1, "102", "SYNCED", "INSERT"),
        DbLine("4", "XL", 1, None, "PENDING", "INSERT"),
    )
    subs = (
        BoardSubitem("100", "Size S", {"size": "S", "qty": "2"}),
        BoardSubitem("101", "Size M", {"size": "", "qty": "4"}),  # size by its name
        BoardSubitem("103", "Size S", {"size": "S", "qty": "2"}),
        BoardSubitem("104", "Size XL", {"size": "XL", "qty": "1"}),  # pending line's
        BoardSubitem("105", "odd", {"size": "Q", "qty": "1"}),
    )
    d = compare([order("A", "5", lines=lines)], board(item("5", "A", subitems=subs)), RULES)
    assert [(f.kind, f.size, f.subitem_id) for f in d.findings] == [
        ("subitem_duplicate", "S", "103"),
        ("value_differs", "M", "101"),
        ("subitem_missing", "L", "102"),
        ("subitem_extra", "Q", "105"),
    ]
