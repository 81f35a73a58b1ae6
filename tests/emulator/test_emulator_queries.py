"""Queries: boards, columns, groups, items_page and cursors, query_params rules,
items, items_page_by_column_values, version, me, complexity."""

from __future__ import annotations

import json

from emu_helpers import SMALL_BOARD_ID, SMALL_SUBITEMS_BOARD_ID, Api

BOARD_QUERY = """
query($ids: [ID!]) {
  boards(ids: $ids) {
    id name type board_kind state items_count
    columns { id title type settings_str archived }
    groups { id title color position archived deleted }
    top_group { id }
  }
}"""


async def test_boards_shape(api: Api) -> None:
    data = await api.ok(BOARD_QUERY, {"ids": [SMALL_BOARD_ID]})
    (board,) = data["boards"]
    assert board["id"] == SMALL_BOARD_ID
    assert board["type"] == "board"
    assert board["board_kind"] == "public"
    assert board["state"] == "active"
    assert board["items_count"] == 0
    ids = [c["id"] for c in board["columns"]]
    assert ids[:2] == ["name", "subitems"]
    status = next(c for c in board["columns"] if c["id"] == "status")
    assert json.loads(status["settings_str"])["labels"]["1"] == "Done"
    dropdown = next(c for c in board["columns"] if c["id"] == "tags")
    labels = json.loads(dropdown["settings_str"])["labels"]
    assert labels[0] == {"id": 1, "name": "Alpha"}
    subtasks = next(c for c in board["columns"] if c["id"] == "subitems")
    assert json.loads(subtasks["settings_str"])["boardIds"] == [int(SMALL_SUBITEMS_BOARD_ID)]
    assert [g["id"] for g in board["groups"]] == ["topics", "group_two"]
    assert board["top_group"]["id"] == "topics"


async def test_subitems_board_is_queryable(api: Api) -> None:
    data = await api.ok(BOARD_QUERY, {"ids": [SMALL_SUBITEMS_BOARD_ID]})
    (board,) = data["boards"]
    assert board["type"] == "sub_items_board"
    assert [c["id"] for c in board["columns"]] == ["name", "size", "sub_qty"]


async def test_unknown_board_ids_give_empty_list(api: Api) -> None:
    data = await api.ok(BOARD_QUERY, {"ids": ["1"]})
    assert data["boards"] == []


async def test_columns_and_groups_filters(api: Api) -> None:
    data = await api.ok(
        """query($b: [ID!]) { boards(ids: $b) {
             a: columns(ids: ["text", "qty"]) { id }
             b: columns(types: [status, dropdown]) { id type }
             groups(ids: ["group_two"]) { id title }
        } }""",
        {"b": [SMALL_BOARD_ID]},
    )
    board = data["boards"][0]
    assert [c["id"] for c in board["a"]] == ["text", "qty"]
    assert {c["id"] for c in board["b"]} == {"status", "tags"}
    assert board["groups"] == [{"id": "group_two", "title": "Second group"}]


async def test_items_page_cursor_pagination(api: Api) -> None:
    ids = [await api.create_item(f"Item {n}") for n in range(7)]
    query = """query($b: [ID!]) { boards(ids: $b) { items_page(limit: 3) { cursor items { id name } } } }"""
    page = (await api.ok(query, {"b": [SMALL_BOARD_ID]}))["boards"][0]["items_page"]
    seen = [i["id"] for i in page["items"]]
    cursor = page["cursor"]
    assert cursor and len(seen) == 3
    while cursor:
        nxt = (
            await api.ok(
                "query($c: String!) { next_items_page(cursor: $c, limit: 3) { cursor items { id } } }",
                {"c": cursor},
            )
        )["next_items_page"]
        seen += [i["id"] for i in nxt["items"]]
        cursor = nxt["cursor"]
    assert seen == ids


async def test_cursor_expires_after_60_minutes(api: Api) -> None:
    for n in range(3):
        await api.create_item(f"Item {n}")
    query = """query($b: [ID!]) { boards(ids: $b) { items_page(limit: 1) { cursor } } }"""
    cursor = (await api.ok(query, {"b": [SMALL_BOARD_ID]}))["boards"][0]["items_page"]["cursor"]
    api.clock.advance(3601)
    reply = await api.gql(
        "query($c: String!) { next_items_page(cursor: $c) { items { id } } }", {"c": cursor}
    )
    assert reply.codes() == ["CursorExpiredError"]
    assert "CursorExpiredError" in reply.errors[0]["message"]  # what clients match on
    reply = await api.gql(
        "query($c: String!) { next_items_page(cursor: $c) { items { id } } }", {"c": "bogus"}
    )
    assert reply.codes() == ["InvalidArgumentException"]


async def test_query_params_with_cursor_rejected(api: Api) -> None:
    reply = await api.gql(
        """query($b: [ID!]) { boards(ids: $b) { items_page(cursor: "abc", query_params: {rules: [{column_id: "text", compare_value: ["x"]}]}) { cursor } } }""",
        {"b": [SMALL_BOARD_ID]},
    )
    assert reply.status == 200
    assert reply.codes() == ["InvalidArgumentException"]
    assert "cursor" in reply.errors[0]["message"]


async def test_items_page_limit_over_500_rejected(api: Api) -> None:
    reply = await api.gql(
        "query($b: [ID!]) { boards(ids: $b) { items_page(limit: 501) { cursor } } }",
        {"b": [SMALL_BOARD_ID]},
    )
    assert reply.codes() == ["InvalidArgumentException"]


async def _seed(api: Api) -> dict[str, str]:
    return {
        "a": await api.create_item(
            "Alpha order",
            {
                "text": "ABC-1",
                "qty": "5",
                "status": {"label": "Done"},
                "tags": {"labels": ["Alpha"]},
                "due": {"date": "2025-01-10"},
            },
        ),
        "b": await api.create_item(
            "Beta order",
            {
                "text": "abc-2",
                "qty": "15",
                "status": {"label": "Stuck"},
                "tags": {"labels": ["Beta", "Gamma"]},
                "due": {"date": "2025-03-01"},
            },
        ),
        "c": await api.create_item("Empty order", {}),
    }


async def _filter(api: Api, query_params: str) -> list[str]:
    data = await api.ok(
        f"""query($b: [ID!]) {{ boards(ids: $b) {{ items_page(limit: 100, query_params: {query_params}) {{ items {{ id }} }} }} }}""",
        {"b": [SMALL_BOARD_ID]},
    )
    return [i["id"] for i in data["boards"][0]["items_page"]["items"]]


async def test_query_params_operators(api: Api) -> None:
    ids = await _seed(api)
    a, b, c = ids["a"], ids["b"], ids["c"]
    cases = {
        '{rules: [{column_id: "text", compare_value: ["ABC-1"], operator: any_of}]}': [a],
        '{rules: [{column_id: "text", compare_value: ["ABC-1"], operator: not_any_of}]}': [b, c],
        '{rules: [{column_id: "text", compare_value: [], operator: is_empty}]}': [c],
        '{rules: [{column_id: "text", compare_value: [], operator: is_not_empty}]}': [a, b],
        '{rules: [{column_id: "text", compare_value: "abc", operator: contains_text}]}': [a, b],
        '{rules: [{column_id: "text", compare_value: "-2", operator: not_contains_text}]}': [a, c],
        '{rules: [{column_id: "qty", compare_value: 10, operator: greater_than}]}': [b],
        '{rules: [{column_id: "qty", compare_value: 10, operator: lower_than}]}': [a],
        '{rules: [{column_id: "qty", compare_value: [1, 5], operator: between}]}': [a],
        '{rules: [{column_id: "status", compare_value: [1]}]}': [a],
        '{rules: [{column_id: "status", compare_value: [5]}]}': [c],
        '{rules: [{column_id: "tags", compare_value: [3]}]}': [b],
        '{rules: [{column_id: "due", compare_value: ["2025-02-01"], operator: greater_than}]}': [b],
        '{rules: [{column_id: "name", compare_value: "beta", operator: contains_text}]}': [b],
        '{rules: [{column_id: "group", compare_value: ["topics"]}]}': [a, b, c],
        '{rules: [{column_id: "group", compare_value: ["group_two"]}]}': [],
        '{operator: or, rules: [{column_id: "status", compare_value: [1]}, {column_id: "status", compare_value: [2]}]}': [
            a,
            b,
        ],
        '{operator: and, rules: [{column_id: "text", compare_value: "abc", operator: contains_text}, {column_id: "qty", compare_value: 10, operator: greater_than}]}': [
            b
        ],
        f"{{ids: [{a}, {c}]}}": [a, c],
        '{rules: [], order_by: [{column_id: "qty", direction: desc}]}': [b, a, c],
    }
    for params, expected in cases.items():
        assert await _filter(api, params) == expected, params


async def test_query_params_unknown_column(api: Api) -> None:
    reply = await api.gql(
        """query($b: [ID!]) { boards(ids: $b) { items_page(query_params: {rules: [{column_id: "nope", compare_value: [1]}]}) { cursor } } }""",
        {"b": [SMALL_BOARD_ID]},
    )
    assert reply.codes() == ["InvalidColumnIdException"]


async def test_filtered_pages_follow_the_query(api: Api) -> None:
    wanted = [await api.create_item(f"Keep {n}", {"text": "keep"}) for n in range(5)]
    for n in range(4):
        await api.create_item(f"Drop {n}", {"text": "drop"})
    data = await api.ok(
        """query($b: [ID!]) { boards(ids: $b) { items_page(limit: 2, query_params: {rules: [{column_id: "text", compare_value: ["keep"]}]}) { cursor items { id } } } }""",
        {"b": [SMALL_BOARD_ID]},
    )
    page = data["boards"][0]["items_page"]
    seen = [i["id"] for i in page["items"]]
    cursor = page["cursor"]
    for _ in range(10):
        if not cursor:
            break
        nxt = (
            await api.ok(
                "query($c: String!) { next_items_page(cursor: $c, limit: 2) { cursor items { id } } }",
                {"c": cursor},
            )
        )["next_items_page"]
        seen += [i["id"] for i in nxt["items"]]
        cursor = nxt["cursor"]
    assert seen == wanted


async def test_group_items_page(api: Api) -> None:
    first = await api.create_item("First")
    second = await api.create_item("Second")
    await api.ok(
        'mutation($i: ID) { move_item_to_group(item_id: $i, group_id: "group_two") { id } }',
        {"i": second},
    )
    data = await api.ok(
        """query($b: [ID!]) { boards(ids: $b) { groups { id items_page { items { id group { id title } } } } } }""",
        {"b": [SMALL_BOARD_ID]},
    )
    by_group = {
        g["id"]: [i["id"] for i in g["items_page"]["items"]] for g in data["boards"][0]["groups"]
    }
    assert by_group == {"topics": [first], "group_two": [second]}


async def test_items_by_ids(api: Api) -> None:
    one = await api.create_item("One", {"text": "x"})
    data = await api.ok(
        """query($i: [ID!]) { items(ids: $i) { id name state created_at updated_at group { id title } board { id } column_values(ids: ["text"]) { id text value column { title } } } }""",
        {"i": [one, "1"]},
    )
    (item,) = data["items"]
    assert item["name"] == "One"
    assert item["state"] == "active"
    assert item["board"] == {"id": SMALL_BOARD_ID}
    assert item["group"] == {"id": "topics", "title": "Topics"}
    assert item["created_at"].endswith("Z")
    assert item["column_values"] == [
        {"id": "text", "text": "x", "value": '"x"', "column": {"title": "Text"}}
    ]


async def test_items_more_than_100_ids_rejected(api: Api) -> None:
    reply = await api.gql(
        "query($i: [ID!]) { items(ids: $i) { id } }", {"i": [str(n) for n in range(101)]}
    )
    assert reply.codes() == ["InvalidArgumentException"]
    assert reply.data == {"items": None}


async def test_items_page_by_column_values(api: Api) -> None:
    ids = await _seed(api)
    query = """query($b: ID!, $cols: [ItemsPageByColumnValuesQuery!]) {
      items_page_by_column_values(board_id: $b, columns: $cols, limit: 50) { cursor items { id } } }"""

    async def search(cols: list[dict]) -> list[str]:
        data = await api.ok(query, {"b": SMALL_BOARD_ID, "cols": cols})
        return [i["id"] for i in data["items_page_by_column_values"]["items"]]

    assert await search([{"column_id": "text", "column_values": ["abc-1"]}]) == [ids["a"]]
    assert await search([{"column_id": "text", "column_values": ["ABC"]}]) == []
    assert await search([{"column_id": "text", "column_values": ["abc-1", "ABC-2"]}]) == [
        ids["a"],
        ids["b"],
    ]
    assert await search(
        [
            {"column_id": "text", "column_values": ["abc-1", "abc-2"]},
            {"column_id": "status", "column_values": ["stuck"]},
        ]
    ) == [ids["b"]]
    assert await search([{"column_id": "name", "column_values": ["empty ORDER"]}]) == [ids["c"]]
    assert await search([{"column_id": "tags", "column_values": ["Gamma"]}]) == [ids["b"]]
    reply = await api.gql(
        query, {"b": SMALL_BOARD_ID, "cols": [{"column_id": "zzz", "column_values": ["1"]}]}
    )
    assert reply.codes() == ["InvalidColumnIdException"]
    reply = await api.gql(query, {"b": "42", "cols": []})
    assert reply.codes() == ["InvalidBoardIdException"]


async def test_items_page_by_column_values_pages(api: Api) -> None:
    ids = [await api.create_item(f"Same {n}", {"text": "same"}) for n in range(5)]
    data = await api.ok(
        """query($b: ID!) { items_page_by_column_values(board_id: $b, limit: 2, columns: [{column_id: "text", column_values: ["same"]}]) { cursor items { id } } }""",
        {"b": SMALL_BOARD_ID},
    )
    page = data["items_page_by_column_values"]
    seen = [i["id"] for i in page["items"]]
    cursor = page["cursor"]
    for _ in range(5):
        if not cursor:
            break
        nxt = (
            await api.ok(
                "query($b: ID!, $c: String) { items_page_by_column_values(board_id: $b, cursor: $c, limit: 2) { cursor items { id } } }",
                {"b": SMALL_BOARD_ID, "c": cursor},
            )
        )["items_page_by_column_values"]
        seen += [i["id"] for i in nxt["items"]]
        cursor = nxt["cursor"]
    assert seen == ids


async def test_version_versions_me(api: Api) -> None:
    data = await api.ok(
        "{ version { kind value display_name } versions { kind value } me { id name email } }"
    )
    assert data["version"]["value"] == "2025-04"
    assert data["version"]["kind"] == "maintenance"
    assert {"kind": "current", "value": "2026-10"} in data["versions"]
    assert data["me"]["email"] == api.server.settings.user_email
    reply = await api.gql("{ version { value } }", headers={"API-Version": "2025-07"})
    assert reply.data["version"]["value"] == "2025-07"


async def test_column_value_fragments(api: Api) -> None:
    item = await api.create_item(
        "Fragments",
        {
            "status": {"label": "Done"},
            "tags": {"labels": ["Beta"]},
            "qty": "3.5",
            "done": {"checked": "true"},
        },
    )
    data = await api.ok(
        """query($i: [ID!]) { items(ids: $i) { column_values(ids: ["status", "tags", "qty", "done"]) {
            id type
            ... on StatusValue { label index is_done }
            ... on DropdownValue { values { id label } }
            ... on NumbersValue { number }
            ... on CheckboxValue { checked }
        } } }""",
        {"i": [item]},
    )
    values = {v["id"]: v for v in data["items"][0]["column_values"]}
    assert values["status"] == {
        "id": "status",
        "type": "status",
        "label": "Done",
        "index": 1,
        "is_done": True,
    }
    assert values["tags"]["values"] == [{"id": "2", "label": "Beta"}]
    assert values["qty"]["number"] == 3.5
    assert values["done"]["checked"] is True


async def test_complexity_block_is_exact(api: Api) -> None:
    first = await api.gql("{ complexity { before after query reset_in_x_seconds } me { id } }")
    block = first.data["complexity"]
    assert block["before"] == api.server.settings.complexity_budget
    assert block["query"] > 0
    assert block["after"] == block["before"] - block["query"]
    assert block["reset_in_x_seconds"] == 60
    second = await api.gql("{ complexity { before after query } me { id } }")
    again = second.data["complexity"]
    assert again["before"] == block["after"]
    assert again["query"] == block["query"]
    assert again["after"] == again["before"] - again["query"]
