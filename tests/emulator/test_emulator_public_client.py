"""Two public monday clients from PyPI, written by others, run unchanged against the
emulator: ``monday`` (community, 2.x) and ``monday-api-python-sdk`` (monday's official
Python SDK, 1.x). Only their endpoint URL is pointed at the emulator, through the
module-level URL each one reads (neither has a setting for it):

- ``monday``: ``monday.resources.base._URLS["prod"]``, read when a client is built;
- ``monday_sdk``: ``monday_sdk.graphql_handler.API_URL``, read when a client is built.

Each builds a board with columns, groups, items with column values and subitems, and
reads them back with the client's own helpers (cursor pagination included).
"""

from __future__ import annotations

import datetime
import json
from collections.abc import Iterator
from typing import Any

import pytest

from monday_emulator import (
    SMALL_BOARD,
    EmulatorSettings,
    ManualClock,
    ThreadedEmulator,
    builtin_spec,
    run_in_thread,
)

# each client is optional: a missing one skips its own tests only
try:
    from monday.resources import base as monday_base
    from monday.resources.types import BoardKind, ColumnType

    import monday
except ImportError:  # pragma: no cover - the test extras install it
    monday = None  # type: ignore[assignment]
try:
    import monday_sdk
    from monday_sdk import graphql_handler as sdk_handler
    from monday_sdk import utils as sdk_utils
    from monday_sdk.modules import boards as sdk_boards
except ImportError:  # pragma: no cover - the test extras install it
    monday_sdk = None  # type: ignore[assignment]

BOARD = "3000000001"


@pytest.fixture
def emu() -> Iterator[ThreadedEmulator]:
    with run_in_thread(
        EmulatorSettings(token="client-token"),
        boards=[builtin_spec(SMALL_BOARD)],
        clock=ManualClock(),
    ) as running:
        yield running


@pytest.fixture
def client(emu: ThreadedEmulator, monkeypatch: pytest.MonkeyPatch) -> Any:
    if monday is None:
        pytest.skip("the monday package is not installed")
    monkeypatch.setitem(monday_base._URLS, "prod", emu.url)
    return monday.MondayClient(emu.token)


@pytest.fixture
def sdk(emu: ThreadedEmulator, monkeypatch: pytest.MonkeyPatch) -> Any:
    if monday_sdk is None:
        pytest.skip("monday-api-python-sdk is not installed")
    monkeypatch.setattr(sdk_handler, "API_URL", emu.url)
    return monday_sdk.MondayClient(emu.token)


def _dump(emu: ThreadedEmulator, board_id: str) -> dict[str, Any]:
    from monday_emulator import dump_board

    store = emu.state.store
    return emu.call(lambda: dump_board(store, store.boards[board_id]))


# ---------------------------------------------------------------- monday (community)


def test_monday_client_builds_and_reads_a_board(client: Any, emu: ThreadedEmulator) -> None:
    board_id = client.boards.create_board("Orders (monday)", BoardKind.PUBLIC)["data"][
        "create_board"
    ]["id"]
    created = {}
    for title, kind, defaults in (
        ("Key", ColumnType.TEXT, None),
        ("State", ColumnType.STATUS, {"labels": {"1": "Done", "2": "Stuck"}}),
        ("Size", ColumnType.DROPDOWN, {"settings": {"labels": [{"id": 1, "name": "S"}]}}),
        ("Qty", ColumnType.NUMBERS, None),
        ("Due", ColumnType.DATE, None),
        ("Shipped", ColumnType.CHECKBOX, None),
    ):
        column = client.columns.create_column(board_id, title, kind, defaults=defaults)
        created[title] = column["data"]["create_column"]["id"]
    group_id = client.groups.create_group(board_id, "Week 1")["data"]["create_group"]["id"]

    values = {
        created["Key"]: "K-1",
        created["State"]: {"label": "Done"},
        created["Size"]: {"labels": ["S", "XL"]},
        created["Qty"]: "12",
        created["Due"]: {"date": "2025-03-14"},
        created["Shipped"]: {"checked": "true"},
    }
    first = client.items.create_item(
        board_id, group_id, 'Order "1"', values, create_labels_if_missing=True
    )["data"]["create_item"]["id"]
    second = client.items.create_item(board_id, "topics", "Order 2", {created["Key"]: "K-2"})
    second_id = second["data"]["create_item"]["id"]
    batch = client.items.mutate_multiple_items(
        [
            {
                "method": "create_item",
                "board_id": int(board_id),
                "group_id": group_id,
                "item_name": f"Batch {n}",
                "column_values": {created["Key"]: f"B-{n}"},
            }
            for n in range(3)
        ]  # fmt: skip
    )
    assert [batch["data"][f"item{n}"]["name"] for n in range(3)] == [
        "Batch 0",
        "Batch 1",
        "Batch 2",
    ]
    sub = client.items.create_subitem(first, "Size S", {})["data"]["create_subitem"]
    assert sub["name"] == "Size S"

    # read back with the client's helpers: cursor pagination over items_page/next_items_page
    items = client.boards.fetch_all_items_by_board_id(board_id, limit=2)
    assert [i["name"] for i in items] == [
        'Order "1"', "Order 2", "Batch 0", "Batch 1", "Batch 2",
    ]  # fmt: skip
    by_id = {i["id"]: i for i in items}
    texts = {cv["id"]: cv["text"] for cv in by_id[first]["column_values"]}
    assert texts[created["Key"]] == "K-1"
    assert texts[created["State"]] == "Done"
    assert texts[created["Size"]] == "S, XL"  # XL created by create_labels_if_missing
    assert texts[created["Qty"]] == "12"
    assert texts[created["Due"]] == "2025-03-14"
    assert texts[created["Shipped"]] == "v"
    assert texts["subitems"] == "Size S"
    assert by_id[first]["group"] == {"id": group_id, "title": "Week 1"}

    in_group = client.groups.get_items_by_group(board_id, group_id)
    page = in_group["data"]["boards"][0]["groups"][0]["items_page"]
    assert [i["name"] for i in page["items"]] == ['Order "1"', "Batch 0", "Batch 1", "Batch 2"]
    found = client.items.fetch_items_by_column_value(board_id, created["Key"], "k-2")
    assert [i["id"] for i in found["data"]["items_page_by_column_values"]["items"]] == [second_id]
    fetched = client.items.fetch_items_by_id([int(first), int(second_id)])["data"]["items"]
    assert {i["id"] for i in fetched} == {first, second_id}
    groups = client.groups.get_groups_by_board(board_id)["data"]["boards"][0]["groups"]
    assert {g["title"] for g in groups} == {"Week 1", "Topics"}
    columns = client.boards.fetch_columns_by_board_id(board_id)["data"]["boards"][0]["columns"]
    status = next(c for c in columns if c["id"] == created["State"])
    assert json.loads(status["settings_str"])["labels"]["1"] == "Done"
    me = client.me.get_details()["data"]["me"]
    assert me["teams"] == [] and me["account"]["id"]

    # and the emulator holds what the client wrote
    dump = _dump(emu, board_id)
    dumped = {i["name"]: i for i in dump["items"]}
    assert dumped['Order "1"']["column_values"][created["Qty"]]["text"] == "12"
    assert [s["name"] for s in dumped['Order "1"']["subitems"]] == ["Size S"]


def test_monday_client_items(client: Any) -> None:
    created = client.items.create_item(
        board_id=BOARD,
        group_id="group_two",
        item_name='Order "A"',
        column_values={"text": "K-1", "status": {"label": "Done"}, "tags": {"labels": ["Beta"]}},
    )
    item_id = created["data"]["create_item"]["id"]
    changed = client.items.change_multiple_column_values(
        board_id=BOARD, item_id=item_id, column_values={"qty": "12"}
    )
    assert {"id": "qty", "text": "12"} in changed["data"]["change_multiple_column_values"][
        "column_values"
    ]
    sub = client.items.create_subitem(
        parent_item_id=item_id, subitem_name="Size S", column_values={"size": {"labels": ["S"]}}
    )
    assert sub["data"]["create_subitem"]["name"] == "Size S"

    items = client.boards.fetch_all_items_by_board_id(board_ids=BOARD, limit=1)
    assert [i["name"] for i in items] == ['Order "A"']
    assert items[0]["group"] == {"id": "group_two", "title": "Second group"}

    found = client.items.fetch_items_by_column_value(BOARD, "text", "k-1")
    assert [i["id"] for i in found["data"]["items_page_by_column_values"]["items"]] == [item_id]

    columns = client.boards.fetch_columns_by_board_id(BOARD)
    assert {c["id"] for c in columns["data"]["boards"][0]["columns"]} >= {"name", "text", "status"}
    complexity = client.complexity.get_complexity()
    assert complexity["data"]["complexity"]["after"] < 10_000_000


def test_monday_client_raises_on_errors(client: Any) -> None:
    from monday.exceptions import MondayQueryError

    with pytest.raises(MondayQueryError) as info:
        client.items.create_item(
            board_id=BOARD,
            group_id="topics",
            item_name="x",
            column_values={"status": {"label": "Nope"}},
        )
    assert "status label" in str(info.value)


# ---------------------------------------------------------------- official SDK


def _custom(sdk: Any, query: str) -> dict[str, Any]:
    """The SDK's own escape hatch for mutations it has no helper for."""
    return sdk.custom.execute_custom_query(query).response_data["data"]


def _sdk_board(sdk: Any, emu: ThreadedEmulator) -> tuple[str, dict[str, str], str, list[str]]:
    board_id = _custom(
        sdk, 'mutation { create_board(board_name: "Orders (SDK)", board_kind: public) { id } }'
    )["create_board"]["id"]
    ids = {}
    for title, kind, defaults in (
        ("Key", "text", None),
        ("State", "status", {"labels": {"1": "Done", "2": "Stuck"}}),
        ("Qty", "numbers", None),
        ("Due", "date", None),
        ("Shipped", "checkbox", None),
    ):
        extra = f", defaults: {json.dumps(json.dumps(defaults))}" if defaults else ""
        ids[title] = _custom(
            sdk,
            f'mutation {{ create_column(board_id: {board_id}, title: "{title}", '
            f"column_type: {kind}{extra}) {{ id }} }}",
        )["create_column"]["id"]
    group_id = _custom(
        sdk, f'mutation {{ create_group(board_id: {board_id}, group_name: "Week 1") {{ id }} }}'
    )["create_group"]["id"]
    items = []
    for n in range(5):
        emu.call(lambda: emu.state.clock.advance(1))  # distinct updated_at per item
        response = sdk.items.create_item(
            board_id,
            group_id,
            f"Order {n}",
            {
                ids["Key"]: f"K-{n}",
                ids["State"]: {"label": "Done"},
                ids["Qty"]: str(n * 10),
                ids["Due"]: {"date": f"2025-03-1{n}"},
            },
        )
        items.append(response.data.create_item.id)
    return board_id, ids, group_id, items


def test_official_sdk_builds_and_reads_a_board(sdk: Any, emu: ThreadedEmulator) -> None:
    board_id, ids, group_id, items = _sdk_board(sdk, emu)
    sdk.items.create_subitem(items[0], "Size S", {})
    sdk.items.create_subitem(items[0], "Size M", {})
    sdk.items.change_simple_column_value(board_id, items[1], ids["Key"], "simple")
    sdk.items.change_status_column_value(board_id, items[1], ids["State"], "Stuck")
    sdk.items.change_date_column_value(
        board_id, items[1], ids["Due"], datetime.datetime(2025, 4, 1, 9, 30, 0)
    )
    sdk.items.change_custom_column_value(board_id, items[1], ids["Shipped"], {"checked": True})
    sdk.items.change_multiple_column_values(board_id, items[2], {ids["Qty"]: "42"})
    sdk.items.move_item_to_group(items[3], "topics")

    # the SDK's items_page / next_items_page pagination (with its MirrorValue,
    # BoardRelationValue and DependencyValue fragments and subitems)
    read = sdk.boards.fetch_all_items_by_board_id(board_id, limit=2)
    assert [i.id for i in read] == items
    by_id = {i.id: i for i in read}
    assert [s.name for s in by_id[items[0]].subitems] == ["Size S", "Size M"]
    assert by_id[items[0]].subitems[0].parent_item.id == items[0]
    one = by_id[items[1]]
    assert sdk_utils.extract_column_value_by_id(one, ids["Key"]) == "simple"
    assert sdk_utils.extract_column_value_by_id(one, ids["State"]) == "Stuck"
    assert sdk_utils.extract_column_value_by_id(one, ids["Due"]) == "2025-04-01 09:30"
    assert sdk_utils.extract_column_value_by_id(one, ids["Shipped"]) is True
    assert sdk_utils.extract_column_value_by_title(by_id[items[2]], "Qty") == "42"
    assert by_id[items[3]].group.id == "topics"
    assert by_id[items[4]].group.id == group_id

    # ids, column value lookup, board reads
    fetched = sdk.items.fetch_items_by_id(items[:3])
    assert [i.id for i in fetched] == items[:3]
    found = sdk.items.fetch_items_by_column_value(board_id, ids["Key"], "K-4")
    assert [i.id for i in found.data.items_page_by_column_values.items] == [items[4]]
    board = sdk.boards.fetch_boards_by_id(board_id).data.boards[0]
    assert {c.title for c in board.columns} >= {"Name", "Subitems", "Key", "State", "Qty"}
    assert {g.id for g in board.groups} == {group_id, "topics"}

    # items updated in a time window, by the SDK's __last_updated__ rules
    window = sdk.boards.fetch_item_by_board_id_by_update_date(
        board_id, "2020-01-01", "2100-01-01", limit=3
    )
    assert {i.id for i in window} == set(items)

    sdk.items.archive_item_by_id(items[3])
    sdk.items.delete_item_by_id(items[4])
    assert [i.id for i in sdk.boards.fetch_all_items_by_board_id(board_id)] == items[:3]


def test_official_sdk_recovers_from_an_expired_cursor(
    sdk: Any, emu: ThreadedEmulator, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The SDK's large-board reader restarts from ``__last_updated__`` when the
    emulator answers ``CursorExpiredError``: every pause between pages here outlives
    the 60-minute cursor."""
    board_id, _, _, items = _sdk_board(sdk, emu)
    pauses = []

    def pause(complexity: int) -> None:
        pauses.append(complexity)
        emu.call(lambda: emu.state.clock.advance(3601))

    monkeypatch.setattr(sdk_boards, "sleep_according_to_complexity", pause)
    read = sdk.boards.fetch_all_items_by_board_id(board_id, limit=2, is_large_board=True)
    assert [i.id for i in read] == items
    assert pauses  # it did page, and every cursor it held had expired
    stats = emu.call(lambda: emu.state.stats.to_dict())
    assert stats["errors_by_code"].get("CursorExpiredError", 0) >= 1


# ---------------------------------------------------------------- versions, paging, every type


def _column_value_types(version: str) -> list[str]:
    """Every ColumnValue implementation of ``version`` (monday's set: see
    test_emulator_schema_faithful.py)."""
    from monday_emulator.graphql_api.schema import executable_schema

    schema = executable_schema(version)
    return sorted(t.name for t in schema.get_possible_types(schema.get_type("ColumnValue")))


def test_official_sdk_reads_items_naming_every_column_type(sdk: Any, emu: ThreadedEmulator) -> None:
    """An item read whose fragments name every column value type (the kind of default
    query a client library ships) validates and runs; the values of the types the
    emulator stores come back, the others are simply absent."""
    board_id, ids, _, items = _sdk_board(sdk, emu)
    fragments = "\n".join(
        f"... on {name} {{ id }}" for name in _column_value_types(sdk_handler_version())
    )
    query = (
        f"{{ items(ids: [{', '.join(items)}], limit: 100) {{ id column_values {{ type text {fragments}"
        " ... on MirrorValue { display_value mirrored_items { linked_item { id } } }"
        " ... on CountryValue { country { code name } }"
        " ... on LocationValue { lat lng address }"
        " ... on PeopleValue { persons_and_teams { id kind } }"
        " ... on FormulaValue { display_value }"
        " ... on StatusValue { index label label_style { color } } } } }"
    )
    read = _custom(sdk, query)["items"]
    assert [i["id"] for i in read] == items
    status = next(v for v in read[0]["column_values"] if v.get("id") == ids["State"])
    assert status["label"] == "Done" and status["label_style"]["color"]
    assert "country" not in str(read)  # no such column here: nothing to answer


def sdk_handler_version() -> str:
    from monday_sdk import constants as sdk_constants

    return sdk_constants.API_VERSION


def test_official_sdk_reads_more_ids_than_a_default_page(sdk: Any, emu: ThreadedEmulator) -> None:
    """The SDK sizes ``items(ids, limit, page)`` from the ids it sends: 30 ids, 30 items
    (the default page is 25)."""
    board_id = BOARD
    created = [
        sdk.items.create_item(board_id, "topics", f"Many {n}", {}).data.create_item.id
        for n in range(30)
    ]
    fetched = sdk.items.fetch_items_by_id(created)
    assert [i.id for i in fetched] == created


def test_official_sdk_pages_boards_and_board_updates(sdk: Any) -> None:
    for n in range(3):
        _custom(
            sdk, f'mutation {{ create_board(board_name: "SDK {n}", board_kind: public) {{ id }} }}'
        )
    seen: list[str] = []
    for page in range(1, 20):
        boards = sdk.boards.fetch_boards(limit=2, page=page).data.boards
        if not boards:
            break
        seen += [b.id for b in boards]
    else:
        pytest.fail("boards pages never ran out")
    assert len(seen) == len(set(seen)) == 4  # the small board and three new ones
    # updates between two dates (from_date/to_date, 2026-01 and later): paged until an
    # empty page, which comes at once (the emulator keeps no updates)
    assert (
        sdk.updates.fetch_board_updates(BOARD, "2025-01-01T00:00:00", "2026-01-01T00:00:00") == []
    )


def test_monday_client_pages_boards(client: Any) -> None:
    from monday.resources.types import BoardsOrderBy

    for n in range(3):
        client.boards.create_board(f"Paged {n}", BoardKind.PUBLIC)
    seen: list[str] = []
    for page in range(1, 20):
        boards = client.boards.fetch_boards(limit=2, page=page, order_by=BoardsOrderBy.CREATED_AT)
        boards = boards["data"]["boards"]
        if not boards:
            break
        seen += [b["id"] for b in boards]
    else:
        pytest.fail("boards pages never ran out")
    assert len(seen) == len(set(seen)) == 4
    assert seen[0] != BOARD  # newest first


def test_monday_client_on_newer_versions(
    emu: ThreadedEmulator, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The ``monday`` client pins API 2026-01. Sent with 2026-10, its ``me`` helper asks
    for User fields monday removed in 2026-10 and fails as it would on monday; its
    column read (``settings_str``) fails once ``remove_settings_str`` is on."""
    if monday is None:
        pytest.skip("the monday package is not installed")
    from monday.exceptions import MondayQueryError

    monkeypatch.setitem(monday_base._URLS, "prod", emu.url)
    pinned = monday.MondayClient(emu.token)
    newer = monday.MondayClient(emu.token, headers={"API-Version": "2026-10"})
    assert pinned.me.get_details()["data"]["me"]["is_admin"] is True
    with pytest.raises(MondayQueryError, match="Field '[a-z_]+' doesn't exist on type 'User'"):
        newer.me.get_details()
    assert newer.boards.fetch_columns_by_board_id(BOARD)["data"]["boards"][0]["columns"]
    emu.call(lambda: emu.state.update_settings({"remove_settings_str": True}))
    with pytest.raises(
        MondayQueryError, match="Field 'settings_str' doesn't exist on type 'Column'"
    ):
        newer.boards.fetch_columns_by_board_id(BOARD)
