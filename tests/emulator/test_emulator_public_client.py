"""A public monday client from PyPI (``monday``, 2.x) runs unchanged against the
emulator; only its endpoint URL is pointed at the emulator."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from monday_emulator import (
    SMALL_BOARD,
    EmulatorSettings,
    ThreadedEmulator,
    builtin_spec,
    run_in_thread,
)

monday = pytest.importorskip("monday")

BOARD = "3000000001"


@pytest.fixture
def emu() -> Iterator[ThreadedEmulator]:
    with run_in_thread(
        EmulatorSettings(token="client-token"), boards=[builtin_spec(SMALL_BOARD)]
    ) as running:
        yield running


@pytest.fixture
def client(emu: ThreadedEmulator) -> object:
    client = monday.MondayClient(emu.token)
    for resource in vars(client).values():
        inner = getattr(resource, "client", None)
        if inner is not None:
            inner.endpoint = emu.url
    return client


def test_monday_client_items(client: object, emu: ThreadedEmulator) -> None:
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


def test_monday_client_raises_on_errors(client: object) -> None:
    from monday.exceptions import MondayQueryError

    with pytest.raises(MondayQueryError) as info:
        client.items.create_item(
            board_id=BOARD,
            group_id="topics",
            item_name="x",
            column_values={"status": {"label": "Nope"}},
        )
    assert "status label" in str(info.value)
