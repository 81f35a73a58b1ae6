"""Board schema: parsing, subitems board discovery, groups by title."""

from __future__ import annotations

import json

import pytest

from sync_order_list.errors import MondayApiError
from sync_order_list.monday.schema import BoardSchema, Column, board_schema_document

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


# -- Column.settings (API 2025-10 and later) --------------------------------------------

STATUS_SETTINGS = {
    "labels": [
        {"id": 0, "color": 0, "label": "Working on it", "index": 0, "is_done": False,
         "is_deactivated": False},
        {"id": 1, "color": 1, "label": "Done", "index": 2, "is_done": True,
         "is_deactivated": False},
        {"id": 2, "color": 2, "label": "Stuck", "index": 1, "is_done": False,
         "is_deactivated": False},
        {"id": 7, "label": "Old", "index": 3, "is_deactivated": True},
        {"id": 8, "label": "", "index": 4},
    ]
}  # fmt: skip


def test_status_labels_from_settings_json() -> None:
    column = Column.from_json(
        {"id": "status", "title": "Status", "type": "status", "settings": STATUS_SETTINGS}
    )
    # the id is the index a write names; "index" is only the label's position
    assert column.labels == {0: "Working on it", 1: "Done", 2: "Stuck"}  # unnamed: left out
    assert column.label_id("Done") == 1
    assert column.label_id("Old") is None and column.is_deactivated("Old")
    assert column.deactivated_labels == {7: "Old"}
    assert not column.is_deactivated("Done") and not column.is_deactivated("Nope")


def test_settings_json_without_ids_falls_back_to_index() -> None:
    column = Column.from_json(
        {
            "id": "s",
            "title": "S",
            "type": "status",
            "settings": {"labels": [{"label": "A", "index": 3, "is_deactivated": False}]},
        }
    )
    assert column.labels == {3: "A"}


def test_dropdown_and_subtasks_from_settings_json() -> None:
    dropdown = Column.from_json(
        {
            "id": "d",
            "title": "Size",
            "type": "dropdown",
            "settings": {
                "labels": [
                    {"id": 1, "label": "S", "is_deactivated": False},
                    {"id": 2, "label": "M", "is_deactivated": True},
                ]
            },
        }
    )
    assert dropdown.labels == {1: "S"} and dropdown.is_deactivated("M")
    items = dict(
        ITEMS,
        columns=[
            {"id": "subitems", "title": "Subitems", "type": "subtasks",
             "settings": {"allowMultipleItems": True, "boardIds": [8709134376]}},
        ],
    )  # fmt: skip
    assert BoardSchema.from_response({"boards": [items]}, "8709134353").subitems_board_id == (
        "8709134376"
    )


@pytest.mark.parametrize(
    "raw",
    [
        {"settings": None, "settings_str": json.dumps({"labels": {"1": "Done"}})},
        {"settings_str": json.dumps({"labels": {"1": "Done"}})},  # settings not selected
        {"settings": json.dumps({"labels": {"1": "Done"}})},  # JSON given as text
        {"settings": {"labels": {"1": "Done"}}, "settings_str": "{}"},  # settings wins
    ],
)
def test_settings_falls_back_to_settings_str(raw: dict) -> None:
    column = Column.from_json({"id": "s", "title": "S", "type": "status", **raw})
    assert column.labels == {1: "Done"}


def test_settings_str_deactivated_labels() -> None:
    dropdown = Column.from_json(
        {
            "id": "d",
            "title": "D",
            "type": "dropdown",
            "settings_str": json.dumps(
                {
                    "labels": [{"id": 1, "name": "a"}, {"id": 2, "name": "b"}],
                    "deactivated_labels": [2, {"id": 3, "name": "c"}],
                }
            ),
        }
    )
    assert dropdown.labels == {1: "a"}
    assert dropdown.deactivated_labels == {2: "b", 3: "c"}
    assert dropdown.is_deactivated("c")


@pytest.mark.parametrize(
    ("version", "document"),
    [
        ("2024-10", "board_schema"),
        ("2025-04", "board_schema"),
        ("2025-07", "board_schema"),
        ("2025-10", "board_schema_settings"),
        ("2026-10", "board_schema_settings"),
    ],
)
def test_the_document_follows_the_api_version(version: str, document: str) -> None:
    assert board_schema_document(version) == document
