"""Board schema: parsing, subitems board discovery, groups by title."""

from __future__ import annotations

import json

import pytest

from sync_order_list.errors import MondayApiError
from sync_order_list.monday.schema import BoardSchema

ITEMS = {
    "id": "8709134353",
    "name": "Order list",
    "type": "board",
    "columns": [
        {"id": "name", "title": "Name", "type": "name", "settings_str": "{}"},
        {
            "id": "subitems",
            "title": "Subitems",
            "type": "subtasks",
            "settings_str": json.dumps({"allowMultipleItems": True, "boardIds": [8709134376]}),
        },
        {
            "id": "color_mkr5yf27",
            "title": "UNIT OF MEASURE",
            "type": "status",
            "settings_str": json.dumps({"labels": {"0": "Pairs", "1": "Units", "5": ""}}),
        },
        {"id": "text_mkr5wya6", "title": "AAG ORDER NUMBER", "type": "text", "settings_str": ""},
        {"id": "bad_settings", "title": "Odd", "type": "text", "settings_str": "{not json"},
    ],
    "groups": [
        {"id": "topics", "title": "Group Title"},
        {"id": "g_acme", "title": "ACME FW24"},
        {"id": "g_acme2", "title": "ACME FW24"},
    ],
}
SUBITEMS = {
    "id": "8709134376",
    "name": "Subitems of Order list",
    "type": "sub_items_board",
    "columns": [
        {
            "id": "dropdown_mkrak7qp",
            "title": "Size",
            "type": "dropdown",
            "settings_str": json.dumps(
                {"labels": [{"id": 1, "name": "S"}, {"id": 2, "name": "M"}]}
            ),
        },
        {"id": "numeric_mkra7j8e", "title": "Order Qty", "type": "numbers", "settings_str": "{}"},
    ],
    "groups": [{"id": "topics", "title": "Subitems"}],
}


def test_from_response_with_both_boards() -> None:
    schema = BoardSchema.from_response({"boards": [ITEMS, SUBITEMS]}, "8709134353")
    assert schema.items_board_id == "8709134353"
    assert schema.subitems_board_id == "8709134376"  # discovered from the subtasks column
    assert schema.subitems is not None
    assert schema.subitems.column("dropdown_mkrak7qp").labels == {1: "S", 2: "M"}
    status = schema.items.column("color_mkr5yf27")
    assert status.labels == {0: "Pairs", 1: "Units"}
    assert status.label_id("Units") == 1
    assert status.label_id("units") is None
    assert schema.items.column("bad_settings").settings == {}


def test_groups_by_title_first_wins_and_duplicates_listed() -> None:
    schema = BoardSchema.from_response({"boards": [ITEMS]}, 8709134353)
    assert schema.items.groups_by_title["ACME FW24"].id == "g_acme"
    assert schema.items.duplicate_group_titles == ["ACME FW24"]


def test_subitems_board_given_or_missing() -> None:
    only_items = BoardSchema.from_response({"boards": [ITEMS]}, "8709134353")
    assert only_items.subitems is None
    assert only_items.subitems_board_id == "8709134376"
    no_subtasks = dict(ITEMS, columns=[c for c in ITEMS["columns"] if c["type"] != "subtasks"])
    assert (
        BoardSchema.from_response({"boards": [no_subtasks]}, "8709134353").subitems_board_id is None
    )
    given = BoardSchema.from_response(
        {"boards": [no_subtasks, SUBITEMS]}, "8709134353", "8709134376"
    )
    assert given.subitems is not None and given.subitems.type == "sub_items_board"


def test_unknown_items_board_and_column() -> None:
    with pytest.raises(MondayApiError, match="not found"):
        BoardSchema.from_response({"boards": [SUBITEMS]}, "1")
    schema = BoardSchema.from_response({"boards": [ITEMS]}, "8709134353")
    with pytest.raises(KeyError, match="no column 'nope'"):
        schema.items.column("nope")
