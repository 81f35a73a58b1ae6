"""The bulk lane's pure parts: cells, the job's file, the report, the hourly budgets."""

from __future__ import annotations

import csv
import io
import json
from datetime import datetime, timedelta

import pytest

from sync_order_list.bulk.budget import Spent, capacity
from sync_order_list.bulk.cells import NotImportable, cell, labels_used
from sync_order_list.bulk.csvfile import BulkFile, JobOrder, build_file, importable, parse_report
from sync_order_list.bulk.journal import is_bulk_key, new_key
from sync_order_list.config.models import BulkSettings
from sync_order_list.monday.schema import Column
from sync_order_list.sync.operations import Operation, OpKind
from sync_order_list.sync.rows import RowRef

STATUS = Column("status", "Status", "status", {"labels": {"0": "Working on it", "1": "Done"}})
DROPDOWN = Column("dd", "Dropdown", "dropdown", {"labels": [{"id": 1, "name": "Red"}]})


@pytest.mark.parametrize(
    ("column", "value", "expected"),
    [
        (Column("t", "T", "text"), "plain, with a comma", "plain, with a comma"),
        (Column("n", "N", "numbers"), "12.5", "12.5"),
        (Column("l", "L", "long_text"), {"text": "two\nlines"}, "two\nlines"),
        (STATUS, {"label": "Done"}, "Done"),
        (STATUS, {"index": 0}, "Working on it"),
        (DROPDOWN, {"labels": ["Red", "Blue"]}, "Red,Blue"),
        (DROPDOWN, {"ids": [1]}, "Red"),
        (Column("d", "D", "date"), {"date": "2026-05-01"}, "2026-05-01"),
        (
            Column("d", "D", "date"),
            {"date": "2026-05-01", "time": "10:00:00"},
            "2026-05-01 10:00:00",
        ),  # fmt: skip
        (Column("e", "E", "email"), {"email": "a@b.co", "text": "a@b.co"}, "a@b.co"),
        (Column("u", "U", "link"), {"url": "https://x.io", "text": "X"}, "https://x.io X"),
        (
            Column("p", "P", "phone"),
            {"phone": "+15551234", "countryShortName": "US"},
            "+15551234 US",
        ),  # fmt: skip
        (
            Column("tl", "TL", "timeline"),
            {"from": "2026-01-01", "to": "2026-02-01"},
            "2026-01-01 - 2026-02-01",
        ),  # fmt: skip
        (Column("t", "T", "text"), None, ""),
    ],
)
def test_cells_take_mondays_simple_string_forms(
    column: Column, value: object, expected: str
) -> None:
    assert cell(column, value) == expected


@pytest.mark.parametrize(
    ("column", "value"),
    [
        (Column("c", "C", "checkbox"), {"checked": "true"}),
        (DROPDOWN, {"labels": ["Red, dark"]}),  # a comma separates labels in a cell
        (DROPDOWN, {"ids": [9]}),
        (STATUS, {"index": 7}),
        (Column("e", "E", "email"), {"email": "a b@c.co"}),
    ],
)
def test_values_a_file_cant_carry_are_refused(column: Column, value: object) -> None:
    with pytest.raises(NotImportable):
        cell(column, value)


def test_labels_used() -> None:
    assert labels_used(DROPDOWN, {"labels": ["Red", "Blue"]}) == ["Red", "Blue"]
    assert labels_used(STATUS, {"label": "Done"}) == ["Done"]
    assert labels_used(Column("t", "T", "text"), "x") == []


def _order(n: int, sizes: list[str], **values: object) -> JobOrder:
    ref = RowRef("order", f"uuid-{n}", f"K-{n}")
    create = Operation(
        OpKind.CREATE_ITEM,
        ref,
        {"item_name": f"Order {n}", "column_values": json.dumps({"key": f"K-{n}", **values})},
        group_title="G",
    )
    lines = tuple(
        Operation(
            OpKind.CREATE_SUBITEM,
            RowRef("line", f"{n}{i}", f"K-{n}", size=size),
            {"item_name": f"Size {size}", "column_values": json.dumps({"size": size, "qty": "3"})},
            parent_record=ref.id,
        )
        for i, size in enumerate(sizes)
    )
    return JobOrder(create, lines)


ITEMS = {"key": Column("key", "Key", "text"), "status": STATUS}
SUBS = {"size": Column("size", "Size", "text"), "qty": Column("qty", "Qty", "numbers")}


def test_the_file_puts_subitem_rows_under_their_item_row() -> None:
    orders = [_order(1, ["S", "M"], status={"label": "Done"}), _order(2, ["L"])]
    built = build_file(orders, ITEMS, SUBS, match_column="key")
    rows = list(csv.reader(io.StringIO(built.text)))
    assert rows[0] == ["name", "key", "status", "name.subitem", "size.subitem", "qty.subitem"]
    assert rows[1] == ["Order 1", "K-1", "Done", "", "", ""]
    assert rows[2] == ["", "", "", "Size S", "S", "3"]
    assert rows[3] == ["", "", "", "Size M", "M", "3"]
    assert rows[4] == ["Order 2", "K-2", "", "", "", ""]
    assert rows[5] == ["", "", "", "Size L", "L", "3"]
    assert [(m.number, m.ref.table, m.ref.id) for m in built.row_map] == [
        (1, "order", "uuid-1"), (2, "line", "10"), (3, "line", "11"),
        (4, "order", "uuid-2"), (5, "line", "20"),
    ]  # fmt: skip
    assert built.item_rows == 2 and built.rows == 5
    again = BulkFile.parse_row_map(built.row_map_json())
    assert again == built.row_map


def test_the_match_column_comes_first_even_when_no_value_names_it() -> None:
    order = JobOrder(
        Operation(
            OpKind.CREATE_ITEM,
            RowRef("order", "u", "K"),
            {"item_name": "X", "column_values": "{}"},
            group_title="G",
        ),  # fmt: skip
    )
    assert build_file([order], ITEMS, SUBS, match_column="key").text.splitlines()[0] == "name,key"


def test_orders_a_file_cant_carry_take_the_regular_path() -> None:
    assert importable(_order(1, ["S"]), ITEMS, SUBS) is None
    assert "clear" in (importable(_order(1, [], key="<NULL>"), ITEMS, SUBS) or "")
    assert "not on the board" in (importable(_order(1, [], other="x"), ITEMS, SUBS) or "")
    nulled = _order(1, [])
    nulled = JobOrder(
        Operation(OpKind.CREATE_ITEM, nulled.create.row, {"item_name": "<NULL>"}, group_title="G")
    )
    assert importable(nulled, ITEMS, SUBS) is not None


def test_the_report_is_read_by_column_name() -> None:
    text = (
        "\ufeffrow_number,row_type,name,outcome,item_id,error\n"
        "1,item,Order 1,created,9001,\n"
        "2,subitem,Size S,invalid,,\"column 'size': bad, very\"\n"
    )
    report = parse_report(text)
    assert report[1].outcome == "created" and report[1].item_id == "9001"
    assert report[2].outcome == "invalid" and report[2].error == "column 'size': bad, very"
    assert report[2].item_id is None


NOW = datetime(2026, 11, 29, 12, 0)


def test_hourly_budgets_count_the_rolling_hour() -> None:
    s = BulkSettings(mode="ingest", jobs_per_hour=10, ingest_items_per_hour=1000, hourly_share=0.5)
    spent = [
        Spent(NOW - timedelta(minutes=70), "ingest", 400),  # out of the hour
        Spent(NOW - timedelta(minutes=50), "ingest", 300),
        Spent(NOW - timedelta(minutes=10), "backfill", 5000),
    ]
    cap = capacity(s, spent, NOW)
    assert cap.jobs_left == 5 - 2
    assert cap.items_left == 500 - 300  # backfill uses no item budget
    # the oldest charge in the hour leaves it an hour (and a 2% margin) after it was made
    assert cap.next_free_at == NOW - timedelta(minutes=50) + timedelta(seconds=3600 * 1.02)
    assert cap.rows_for_next_job(s.rows_per_job()) == 200


def test_backfill_has_no_item_budget_and_twice_the_rows() -> None:
    s = BulkSettings(mode="backfill")
    cap = capacity(s, [Spent(NOW, "ingest", 19_000)], NOW)
    assert cap.items_left is None
    assert cap.rows_for_next_job(s.rows_per_job()) == 20_000
    assert BulkSettings(mode="ingest").rows_per_job() == 10_000
    assert BulkSettings(mode="ingest", max_rows_per_job=500).rows_per_job() == 500


def test_no_job_when_the_hours_job_starts_are_spent() -> None:
    s = BulkSettings(mode="backfill", jobs_per_hour=2, hourly_share=1.0)
    cap = capacity(s, [Spent(NOW, "backfill", 1), Spent(NOW, "ingest", 1)], NOW)
    assert cap.jobs_left == 0 and cap.rows_for_next_job(20_000) == 0


def test_the_bulk_api_version_is_checked() -> None:
    with pytest.raises(ValueError, match="2026-07 or later"):
        BulkSettings(api_version="2026-04")
    assert BulkSettings(api_version="2026-07").api_version == "2026-07"


def test_job_keys() -> None:
    key = new_key()
    assert is_bulk_key(key) and len(key) <= 64
    assert not is_bulk_key("a-document-key") and not is_bulk_key(None)
