"""Every column type: what a write accepts, and what ``text`` / ``value`` read back."""

from __future__ import annotations

import json
from typing import Any

import pytest
from emu_helpers import SMALL_BOARD_ID, Api

WRITE_READ = [
    # (column, written value, expected text, expected value without changed_at)
    ("text", "abc", "abc", "abc"),
    ("text", 42, "42", "42"),
    ("notes", {"text": "long\nline"}, "long\nline", {"text": "long\nline"}),
    ("notes", "plain", "plain", {"text": "plain"}),
    ("qty", "10", "10", "10"),
    ("qty", 2.5, "2.5", "2.5"),
    ("qty", -3, "-3", "-3"),
    ("status", {"label": "Done"}, "Done", {"index": 1, "post_id": None}),
    ("status", {"index": 2}, "Stuck", {"index": 2, "post_id": None}),
    ("status", "Working on it", "Working on it", {"index": 0, "post_id": None}),
    ("status", {"label": "1"}, "Done", {"index": 1, "post_id": None}),
    ("tags", {"labels": ["Alpha", "Gamma"]}, "Alpha, Gamma", {"ids": [1, 3]}),
    ("tags", {"ids": [2]}, "Beta", {"ids": [2]}),
    ("tags", "Beta, Alpha", "Beta, Alpha", {"ids": [2, 1]}),
    ("due", {"date": "2025-02-03"}, "2025-02-03", {"date": "2025-02-03", "icon": None}),
    (
        "due",
        {"date": "2025-02-03", "time": "10:30:00"},
        "2025-02-03 10:30",
        {"date": "2025-02-03", "icon": None, "time": "10:30:00"},
    ),
    ("due", "2025-02-03", "2025-02-03", {"date": "2025-02-03", "icon": None}),
    ("done", {"checked": "true"}, "v", {"checked": True}),
    ("done", {"checked": True}, "v", {"checked": True}),
    ("email", {"email": "a@b.com", "text": "Ann"}, "a@b.com", {"email": "a@b.com", "text": "Ann"}),
    (
        "link",
        {"url": "https://example.com", "text": "Example"},
        "Example - https://example.com",
        {"url": "https://example.com", "text": "Example"},
    ),
    (
        "phone",
        {"phone": "+12025550172", "countryShortName": "US"},
        "+12025550172",
        {"phone": "+12025550172", "countryShortName": "US"},
    ),
    (
        "span",
        {"from": "2025-01-01", "to": "2025-01-31"},
        "2025-01-01 - 2025-01-31",
        {"from": "2025-01-01", "to": "2025-01-31"},
    ),
]

EMPTY_TEXT = {"status": None, "tags": None}


def _strip_changed_at(value: Any) -> Any:
    if isinstance(value, dict):
        return {k: v for k, v in value.items() if k != "changed_at"}
    return value


async def _read(api: Api, item: str, column: str) -> dict[str, Any]:
    data = await api.ok(
        "query($i: [ID!], $c: [String!]) { items(ids: $i) { column_values(ids: $c) { id type text value } } }",
        {"i": [item], "c": [column]},
    )
    return data["items"][0]["column_values"][0]


@pytest.mark.parametrize(("column", "written", "text", "value"), WRITE_READ)
async def test_write_and_read(api: Api, column: str, written: Any, text: str, value: Any) -> None:
    item = await api.create_item("Value", {column: written})
    read = await _read(api, item, column)
    assert read["text"] == text
    assert _strip_changed_at(json.loads(read["value"])) == value
    if isinstance(value, dict) and column not in ("tags", "notes"):
        assert json.loads(read["value"])["changed_at"].endswith("Z")


@pytest.mark.parametrize("column", sorted({c for c, *_ in WRITE_READ}))
@pytest.mark.parametrize("empty", [None, "", {}])
async def test_clearing(api: Api, column: str, empty: Any) -> None:
    written = next(w for c, w, *_ in WRITE_READ if c == column)
    item = await api.create_item("Clear", {column: written})
    await api.ok(
        "mutation($b: ID!, $i: ID, $v: JSON!) { change_multiple_column_values(board_id: $b, item_id: $i, column_values: $v) { id } }",
        {"b": SMALL_BOARD_ID, "i": item, "v": json.dumps({column: empty})},
    )
    read = await _read(api, item, column)
    assert read["value"] is None
    assert read["text"] == EMPTY_TEXT.get(column, "")


async def test_unchecking_clears_checkbox(api: Api) -> None:
    item = await api.create_item("Box", {"done": {"checked": "true"}})
    await api.ok(
        """mutation($b: ID!, $i: ID) { change_column_value(board_id: $b, item_id: $i, column_id: "done", value: "{\\"checked\\": \\"false\\"}") { id } }""",
        {"b": SMALL_BOARD_ID, "i": item},
    )
    assert (await _read(api, item, "done"))["value"] is None


async def test_empty_values_read_back_as_monday_does(api: Api) -> None:
    item = await api.create_item("Empty")
    data = await api.ok(
        "query($i: [ID!]) { items(ids: $i) { column_values { id type text value } } }",
        {"i": [item]},
    )
    values = {v["id"]: v for v in data["items"][0]["column_values"]}
    assert "name" not in values
    assert values["status"] == {"id": "status", "type": "status", "text": None, "value": None}
    assert values["tags"]["text"] is None
    assert values["text"]["text"] == ""
    assert values["subitems"]["text"] == ""


BAD_WRITES = [
    ("qty", "abc", "ColumnValueException"),
    ("qty", {"number": 1}, "ColumnValueException"),
    ("status", {"label": "Nope"}, "ColumnValueException"),
    ("status", {"index": 17}, "ColumnValueException"),
    ("tags", {"labels": ["alpha"]}, "ColumnValueException"),  # label match is case-sensitive
    ("tags", {"labels": ["Alpha"], "ids": [1]}, "ColumnValueException"),
    ("tags", {"ids": [99]}, "ColumnValueException"),
    ("due", {"date": "2025-13-01"}, "ColumnValueException"),
    ("due", {"date": "03/02/2025"}, "ColumnValueException"),
    ("due", {"date": "2025-01-01", "time": "25:00:00"}, "ColumnValueException"),
    ("email", {"email": "not-an-email"}, "ColumnValueException"),
    ("phone", {"phone": "call me", "countryShortName": "US"}, "ColumnValueException"),
    ("span", {"from": "2025-02-01", "to": "2025-01-01"}, "ColumnValueException"),
    ("subitems", {"linkedPulseIds": []}, "ColumnValueException"),
    ("nope", "x", "InvalidColumnIdException"),
]


@pytest.mark.parametrize(("column", "written", "code"), BAD_WRITES)
async def test_bad_writes(api: Api, column: str, written: Any, code: str) -> None:
    reply = await api.gql(
        'mutation($b: ID!, $v: JSON) { create_item(board_id: $b, item_name: "Bad", column_values: $v) { id } }',
        {"b": SMALL_BOARD_ID, "v": json.dumps({column: written})},
    )
    assert reply.status == 200
    assert reply.codes() == [code]
    assert reply.data == {"create_item": None}
    status, dump = await api.admin("GET", f"/boards/{SMALL_BOARD_ID}")
    assert dump["items"] == []


async def test_missing_dropdown_label_error_data(api: Api) -> None:
    reply = await api.gql(
        'mutation($b: ID!, $v: JSON) { create_item(board_id: $b, item_name: "Bad", column_values: $v) { id } }',
        {"b": SMALL_BOARD_ID, "v": json.dumps({"tags": {"labels": ["Omega"]}})},
    )
    error = reply.errors[0]
    assert error["extensions"]["error_data"] == {
        "column_id": "tags",
        "column_type": "dropdown",
        "column_value": {"labels": ["Omega"]},
        "column_validation_error_code": "missingLabel",
    }
    assert "Alpha" in error["message"] and "Omega" in error["message"]


async def test_status_label_cap(api: Api) -> None:
    await api.admin("POST", "/settings", {"status_labels_max": 4})
    await api.create_item(
        "ok", {"status": {"label": "Fourth"}}, create_labels=True
    )  # 3 named + 1 = 4
    reply = await api.gql(
        """mutation($b: ID!) { create_item(board_id: $b, item_name: "x", create_labels_if_missing: true,
           column_values: "{\\"status\\": {\\"label\\": \\"Fifth\\"}}") { id } }""",
        {"b": SMALL_BOARD_ID},
    )
    assert reply.codes() == ["ColumnValueException"]


async def test_status_numeric_labels_go_by_index(api: Api) -> None:
    reply = await api.gql(
        """mutation($b: ID!) { create_item(board_id: $b, item_name: "x", create_labels_if_missing: true,
           column_values: "{\\"status\\": {\\"label\\": \\"42\\"}}") { id } }""",
        {"b": SMALL_BOARD_ID},
    )
    assert reply.codes() == ["ColumnValueException"]


async def test_long_text_limit(api: Api) -> None:
    reply = await api.gql(
        'mutation($b: ID!, $v: JSON) { create_item(board_id: $b, item_name: "x", column_values: $v) { id } }',
        {"b": SMALL_BOARD_ID, "v": json.dumps({"notes": {"text": "x" * 2001}})},
    )
    assert reply.codes() == ["ColumnValueException"]


async def test_change_simple_column_value_formats(api: Api) -> None:
    item = await api.create_item("Simple")
    simple = {
        "text": ("hello", "hello"),
        "qty": ("7", "7"),
        "status": ("Done", "Done"),
        "tags": ("Gamma", "Gamma"),
        "due": ("2025-05-06", "2025-05-06"),
        "done": ("true", "v"),
        "email": ("a@b.com Ann", "a@b.com"),
        "link": ("https://x.org X", "X - https://x.org"),
        "phone": ("+4420794601 GB", "+4420794601"),
        "notes": ("some notes", "some notes"),
    }
    for column, (value, text) in simple.items():
        await api.ok(
            "mutation($b: ID!, $i: ID, $c: String!, $v: String) { change_simple_column_value(board_id: $b, item_id: $i, column_id: $c, value: $v) { id } }",
            {"b": SMALL_BOARD_ID, "i": item, "c": column, "v": value},
        )
        assert (await _read(api, item, column))["text"] == text, column


async def test_change_column_value_needs_json(api: Api) -> None:
    item = await api.create_item("Json")
    reply = await api.gql(
        """mutation($b: ID!, $i: ID) { change_column_value(board_id: $b, item_id: $i, column_id: "text", value: "not json") { id } }""",
        {"b": SMALL_BOARD_ID, "i": item},
    )
    assert reply.codes() == ["JsonParseException"]  # monday: "Syntax error in JSON input"
    assert reply.errors[0]["extensions"]["error_data"]["json"] == "not json"
    await api.ok(
        """mutation($b: ID!, $i: ID) { change_column_value(board_id: $b, item_id: $i, column_id: "text", value: "\\"quoted\\"") { id } }""",
        {"b": SMALL_BOARD_ID, "i": item},
    )
    assert (await _read(api, item, "text"))["text"] == "quoted"
