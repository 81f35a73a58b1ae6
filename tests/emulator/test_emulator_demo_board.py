"""The demo board matches the original board's facts."""

from __future__ import annotations

import json
from collections.abc import AsyncIterator

import aiohttp
import pytest
from emu_helpers import TIMEOUT, Api, reference_dir

from monday_emulator import DEMO_BOARD_ID, DEMO_SUBITEMS_BOARD_ID, EmulatorServer, EmulatorSettings


@pytest.fixture
async def demo() -> AsyncIterator[Api]:
    async with (
        EmulatorServer(EmulatorSettings(token="demo")) as srv,
        aiohttp.ClientSession(timeout=TIMEOUT) as session,
    ):
        yield Api(srv, session)


async def _board(api: Api, board_id: str) -> dict:
    data = await api.ok(
        "query($b: [ID!]) { boards(ids: $b) { id name type columns { id title type settings_str } groups { id title } } }",
        {"b": [board_id]},
    )
    return data["boards"][0]


async def test_demo_board_structure(demo: Api) -> None:
    board = await _board(demo, DEMO_BOARD_ID)
    assert board["name"] == "ORDER LIST (development)"
    assert board["type"] == "board"
    assert board["groups"] == [{"id": "topics", "title": "Topics"}]
    columns = {c["id"]: c for c in board["columns"]}
    assert len(columns) == 47  # name + subitems + the 45 mapped columns
    assert columns["name"]["type"] == "name"
    assert json.loads(columns["subitems"]["settings_str"])["boardIds"] == [
        int(DEMO_SUBITEMS_BOARD_ID)
    ]

    def labels(cid: str) -> list[str]:
        return [lab["name"] for lab in json.loads(columns[cid]["settings_str"])["labels"]]

    assert labels("dropdown_mkr542p2") == [
        "GREYSON", "TITLE NINE", "JOHNNIE-O", "RHONE", "BORN PRIMITIVE", "WHITE FOX",
        "MACK WELDON", "CAFÉ DU CYCLISTE",
    ]  # fmt: skip
    assert labels("dropdown_mkr518fc") == [
        "ACTIVE",
        "CANCELLED",
        "DEVELOPMENT",
        "REPLENISHMENT",
        "BULK",
    ]
    for cid in (
        "dropdown_mkr58de6",
        "dropdown_mkr5s5n3",
        "dropdown_mkr5rgs6",
        "dropdown_mkr5w5e",
        "dropdown_mkr5kk5",
    ):
        assert labels(cid) == []
    uom = json.loads(columns["color_mkr5yf27"]["settings_str"])["labels"]
    assert {k: v for k, v in uom.items() if v} == {
        "0": "EACH",
        "1": "PACK",
        "2": "SET",
        "3": "PAIR",
    }


async def test_demo_board_matches_the_original_mapping(demo: Api) -> None:
    path = reference_dir() / "original_board_mapping.json"
    if not path.exists():
        pytest.skip(f"reference mapping not found at {path}")
    mapping = json.loads(path.read_text("utf-8"))
    board = await _board(demo, DEMO_BOARD_ID)
    ours = {c["id"]: (c["title"], c["type"]) for c in board["columns"]}
    for column in mapping["items_board"]["columns"]:
        assert ours[column["id"]] == (column["title"], column["type"]), column["id"]
    sub = await _board(demo, DEMO_SUBITEMS_BOARD_ID)
    assert sub["type"] == "sub_items_board"
    sub_cols = {c["id"]: (c["title"], c["type"]) for c in sub["columns"]}
    for column in mapping["subitems_board"]["columns"]:
        assert sub_cols[column["id"]] == (column["title"], column["type"])
    assert set(sub_cols) == {"name", "dropdown_mkrak7qp", "numeric_mkra7j8e"}


async def test_demo_board_takes_a_sync_style_write(demo: Api) -> None:
    values = {
        "text_mkr5wya6": "AAG-0001",
        "dropdown_mkr542p2": {"labels": ["CAFÉ DU CYCLISTE"]},
        "dropdown_mkr518fc": {"labels": ["ACTIVE"]},
        "color_mkr5yf27": {"label": "EACH"},
        "date_mkr5zp5": {"date": "2025-03-04"},
        "numeric_mktb1d19": "120",
        "long_text_mktdy7re": {"text": "NAVY"},
    }
    created = await demo.ok(
        'mutation($b: ID!, $v: JSON) { create_item(board_id: $b, item_name: "STYLE NAVY AAG-0001", group_id: "topics", column_values: $v) { id } }',
        {"b": DEMO_BOARD_ID, "v": json.dumps(values)},
    )
    item = created["create_item"]["id"]
    sub = await demo.ok(
        """mutation($p: ID!) { create_subitem(parent_item_id: $p, item_name: "Size M", create_labels_if_missing: true,
             column_values: "{\\"dropdown_mkrak7qp\\": {\\"labels\\": [\\"M\\"]}, \\"numeric_mkra7j8e\\": \\"12\\"}") { board { id } } }""",
        {"p": item},
    )
    assert sub["create_subitem"]["board"]["id"] == DEMO_SUBITEMS_BOARD_ID
    found = await demo.ok(
        """query($b: ID!) { items_page_by_column_values(board_id: $b, columns: [{column_id: "text_mkr5wya6", column_values: ["aag-0001"]}]) { items { id } } }""",
        {"b": DEMO_BOARD_ID},
    )
    assert found["items_page_by_column_values"]["items"] == [{"id": item}]
