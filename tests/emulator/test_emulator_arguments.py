"""Arguments the emulator honours as monday documents them (beyond paging, which
test_emulator_paging.py walks): ``boards`` filters and order, ``items`` order and
``exclude_nonactive``, ``capabilities`` filters, ``create_board(item_nickname)``, and
the arguments it refuses because it lacks what they act on."""

from __future__ import annotations

from emu_helpers import SMALL_BOARD_ID, Api

V2026_10 = {"API-Version": "2026-10"}


async def _board(api: Api, name: str, extra: str = "") -> str:
    data = await api.ok(
        f'mutation {{ create_board(board_name: "{name}", board_kind: public{extra}) {{ id }} }}'
    )
    return data["create_board"]["id"]


async def test_boards_order_and_filters(api: Api) -> None:
    first = await _board(api, "First")
    api.clock.advance(10)
    second = await _board(api, "Second", ', workspace_id: "77"')
    api.clock.advance(10)
    await api.ok(
        f'mutation {{ create_group(board_id: {first}, group_name: "Touch") {{ id }} }}'
    )  # the first board is now the most recently used

    async def ids(args: str, headers: dict[str, str] | None = None) -> list[str]:
        arguments = f"({args})" if args else ""
        reply = await api.gql(f"{{ boards{arguments} {{ id }} }}", headers=headers)
        assert not reply.errors, reply.errors
        return [b["id"] for b in reply.data["boards"]]

    assert await ids("") == [SMALL_BOARD_ID, first, second]
    assert await ids("order_by: created_at") == [second, first, SMALL_BOARD_ID]
    assert (await ids("order_by: used_at"))[0] == first
    assert await ids('workspace_ids: ["77"]') == [second]
    assert await ids("workspace_ids: [null]") == [SMALL_BOARD_ID, first]
    assert await ids("latest: true") == [SMALL_BOARD_ID, first, second]
    assert await ids("hierarchy_types: [classic]", V2026_10) == [SMALL_BOARD_ID, first, second]
    assert await ids("hierarchy_types: [multi_level]", V2026_10) == []
    reply = await api.gql("{ boards(hierarchy_types: [classic]) { id } }")
    assert reply.codes() == ["argumentNotAccepted"]  # 2025-04 has no such argument


async def test_items_order_and_exclude_nonactive(api: Api) -> None:
    ids = [await api.create_item(f"I{n}") for n in range(3)]
    await api.ok(f"mutation {{ archive_item(item_id: {ids[1]}) {{ id }} }}")
    listed = f"[{', '.join(ids)}]"
    data = await api.ok(f"{{ items(ids: {listed}) {{ id state }} }}")
    assert [i["id"] for i in data["items"]] == ids  # the archived one included
    data = await api.ok(f"{{ items(ids: {listed}, exclude_nonactive: true) {{ id }} }}")
    assert [i["id"] for i in data["items"]] == [ids[0], ids[2]]
    data = await api.ok(f"{{ items(ids: {listed}, newest_first: true) {{ id }} }}")
    assert [i["id"] for i in data["items"]] == ids[::-1]


async def test_capabilities_filters(api: Api) -> None:
    """The emulator's columns have no capabilities: a list of capabilities finds none,
    ``null`` (columns without capabilities) and no argument find them all."""
    item = await api.create_item("Caps", {"text": "x"})

    async def count(args: str) -> tuple[int, int]:
        reply = await api.gql(
            f"{{ boards(ids: [{SMALL_BOARD_ID}]) {{ columns{args} {{ id }} }}"
            f" items(ids: [{item}]) {{ column_values{args} {{ id }} }} }}",
            headers=V2026_10,
        )
        assert not reply.errors, reply.errors
        return len(reply.data["boards"][0]["columns"]), len(reply.data["items"][0]["column_values"])

    everything = await count("")
    assert everything[0] > 1 and everything[1] > 1
    assert await count("(capabilities: null)") == everything
    assert await count("(capabilities: [CALCULATED])") == (0, 0)
    reply = await api.gql(
        f"{{ boards(ids: [{SMALL_BOARD_ID}]) {{ columns(capabilities: null) {{ id }} }} }}"
    )
    assert reply.codes() == ["argumentNotAccepted"]  # 2025-04: before capabilities


async def test_create_board_item_nickname_and_prompt(api: Api) -> None:
    reply = await api.gql(
        'mutation { create_board(board_name: "Orders", board_kind: public,'
        ' item_nickname: {singular: "order", plural: "orders"}) { id item_terminology } }',
        headers=V2026_10,
    )
    assert reply.data["create_board"]["item_terminology"] == "order"
    before = len(api.state.store.boards)
    reply = await api.gql(
        'mutation { create_board(board_name: "AI", board_kind: public, prompt: "a CRM") { id } }',
        headers=V2026_10,
    )
    assert reply.codes() == ["InvalidArgumentException"]
    assert "prompt" in reply.errors[0]["message"]
    assert len(api.state.store.boards) == before


async def test_create_column_capabilities_refused(api: Api) -> None:
    query = (
        f'mutation {{ create_column(board_id: {SMALL_BOARD_ID}, title: "Sum", column_type: numbers,'
        " capabilities: {calculated: {function: SUM}}) { id } }"
    )
    reply = await api.gql(query, headers=V2026_10)
    assert reply.codes() == ["InvalidArgumentException"]
    assert "capabilities" in reply.errors[0]["message"]
    assert (await api.gql(query, headers={"API-Version": "2025-07"})).codes() == [
        "argumentNotAccepted"
    ]
