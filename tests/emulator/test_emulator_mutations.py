"""Mutations: items, subitems, groups, boards, columns; aliased partial failure;
monday's error codes."""

from __future__ import annotations

import json

from emu_helpers import SMALL_BOARD_ID, SMALL_SUBITEMS_BOARD_ID, Api


async def _dump(api: Api, board_id: str = SMALL_BOARD_ID) -> dict:
    status, body = await api.admin("GET", f"/boards/{board_id}")
    assert status == 200
    return body


async def test_create_item_in_top_group_and_named_group(api: Api) -> None:
    data = await api.ok(
        """mutation($b: ID!) {
          a: create_item(board_id: $b, item_name: "Top") { id group { id } board { id } state }
          b: create_item(board_id: $b, item_name: "Two", group_id: "group_two") { id group { id title } }
        }""",
        {"b": SMALL_BOARD_ID},
    )
    assert data["a"]["group"] == {"id": "topics"}
    assert data["a"]["state"] == "active"
    assert data["b"]["group"] == {"id": "group_two", "title": "Second group"}
    assert int(data["a"]["id"]) > 1_000_000_000


async def test_create_item_unknown_group_errors_and_creates_nothing(api: Api) -> None:
    reply = await api.gql(
        """mutation($b: ID!) { create_item(board_id: $b, item_name: "X", group_id: "nope") { id } }""",
        {"b": SMALL_BOARD_ID},
    )
    assert reply.status == 200
    assert reply.codes() == ["ResourceNotFoundException"]
    assert (await _dump(api))["items"] == []


async def test_aliased_mutations_fail_independently(api: Api) -> None:
    reply = await api.gql(
        """mutation($b: ID!) {
          ok1: create_item(board_id: $b, item_name: "One", column_values: "{\\"status\\": {\\"label\\": \\"Done\\"}}") { id }
          bad: create_item(board_id: $b, item_name: "Two", column_values: "{\\"status\\": {\\"label\\": \\"Nope\\"}}") { id }
          ok2: create_item(board_id: $b, item_name: "Three") { id }
        }""",
        {"b": SMALL_BOARD_ID},
    )
    assert reply.status == 200
    assert reply.data["ok1"]["id"] and reply.data["ok2"]["id"]
    assert reply.data["bad"] is None
    (error,) = reply.errors
    assert error["path"] == ["bad"]
    assert error["locations"]
    ext = error["extensions"]
    assert ext["code"] == "ColumnValueException"
    assert ext["status_code"] == 200
    assert ext["error_data"] == {
        "column_id": "status",
        "column_type": "color",
        "column_value": {"label": "Nope"},
        "column_validation_error_code": "missingLabel",
    }
    assert "Working on it" in error["message"] and "Done" in error["message"]
    names = [i["name"] for i in (await _dump(api))["items"]]
    assert names == ["One", "Three"]
    assert "request_id" in reply.body["extensions"]


async def test_create_labels_if_missing(api: Api) -> None:
    data = await api.ok(
        """mutation($b: ID!) { create_item(board_id: $b, item_name: "L", create_labels_if_missing: true,
            column_values: "{\\"status\\": {\\"label\\": \\"Blocked\\"}, \\"tags\\": {\\"labels\\": [\\"Alpha\\", \\"Delta\\"]}}") {
            column_values(ids: ["status", "tags"]) { id text value } } }""",
        {"b": SMALL_BOARD_ID},
    )
    values = {v["id"]: v for v in data["create_item"]["column_values"]}
    assert values["status"]["text"] == "Blocked"
    assert json.loads(values["status"]["value"])["index"] == 3
    assert values["tags"]["text"] == "Alpha, Delta"
    assert json.loads(values["tags"]["value"]) == {"ids": [1, 4]}
    board = await _dump(api)
    columns = {c["id"]: c for c in board["columns"]}
    assert json.loads(columns["status"]["settings_str"])["labels"]["3"] == "Blocked"
    assert {"id": 4, "name": "Delta"} in json.loads(columns["tags"]["settings_str"])["labels"]


async def test_failing_create_adds_no_labels(api: Api) -> None:
    reply = await api.gql(
        """mutation($b: ID!) { create_item(board_id: $b, item_name: "L", create_labels_if_missing: true,
            column_values: "{\\"tags\\": {\\"labels\\": [\\"Zeta\\"]}, \\"qty\\": \\"abc\\"}") { id } }""",
        {"b": SMALL_BOARD_ID},
    )
    assert reply.codes() == ["ColumnValueException"]
    board = await _dump(api)
    tags = next(c for c in board["columns"] if c["id"] == "tags")
    assert "Zeta" not in tags["settings_str"]
    assert board["items"] == []


async def test_item_name_limits(api: Api) -> None:
    reply = await api.gql(
        """mutation($b: ID!, $n: String!) { create_item(board_id: $b, item_name: $n) { id } }""",
        {"b": SMALL_BOARD_ID, "n": "x" * 256},
    )
    assert reply.codes() == ["ItemNameTooLongException"]
    reply = await api.gql(
        """mutation($b: ID!, $n: String!) { create_item(board_id: $b, item_name: $n) { id } }""",
        {"b": SMALL_BOARD_ID, "n": ""},
    )
    assert reply.codes() == ["ItemNameTooLongException"]
    ok = await api.gql(
        """mutation($b: ID!, $n: String!) { create_item(board_id: $b, item_name: $n) { name } }""",
        {"b": SMALL_BOARD_ID, "n": "x" * 255},
    )
    assert ok.data["create_item"]["name"] == "x" * 255


async def test_items_per_board_limit(api: Api) -> None:
    status, _ = await api.admin("POST", "/settings", {"items_per_board": 2})
    assert status == 200
    await api.create_item("1")
    await api.create_item("2")
    reply = await api.gql(
        """mutation($b: ID!) { create_item(board_id: $b, item_name: "3") { id } }""",
        {"b": SMALL_BOARD_ID},
    )
    assert reply.codes() == ["ItemsLimitationException"]


async def test_unknown_ids_give_monday_codes(api: Api) -> None:
    item = await api.create_item("Known")
    cases = [
        (
            'mutation { create_item(board_id: 42, item_name: "x") { id } }',
            "InvalidBoardIdException",
        ),
        (
            f'mutation {{ change_multiple_column_values(board_id: {SMALL_BOARD_ID}, item_id: 42, column_values: "{{}}") {{ id }} }}',
            "ResourceNotFoundException",
        ),
        (
            f'mutation {{ change_column_value(board_id: {SMALL_BOARD_ID}, item_id: {item}, column_id: "zzz", value: "\\"x\\"") {{ id }} }}',
            "InvalidColumnIdException",
        ),
        (
            f'mutation {{ change_multiple_column_values(board_id: {SMALL_SUBITEMS_BOARD_ID}, item_id: {item}, column_values: "{{}}") {{ id }} }}',
            "ResourceNotFoundException",
        ),
        ("mutation { delete_item(item_id: 42) { id } }", "InvalidItemIdException"),
        ("mutation { archive_item(item_id: 42) { id } }", "InvalidItemIdException"),
        (
            f'mutation {{ move_item_to_group(item_id: {item}, group_id: "zzz") {{ id }} }}',
            "ResourceNotFoundException",
        ),
        (
            f'mutation {{ delete_group(board_id: {SMALL_BOARD_ID}, group_id: "zzz") {{ id }} }}',
            "ResourceNotFoundException",
        ),
        (
            f'mutation {{ change_multiple_column_values(board_id: {SMALL_BOARD_ID}, item_id: {item}, column_values: "not json") {{ id }} }}',
            "JsonParseException",
        ),
        (
            'mutation { create_subitem(parent_item_id: 42, item_name: "x") { id } }',
            "InvalidItemIdException",
        ),
    ]
    for query, code in cases:
        reply = await api.gql(query)
        assert reply.status == 200, query
        assert reply.codes() == [code], (query, reply.errors)
    reply = await api.gql('mutation { create_item(board_id: 42, item_name: "x") { id } }')
    assert reply.errors[0]["extensions"]["error_data"] == {"board_id": 42}


async def test_change_values_and_rename(api: Api) -> None:
    item = await api.create_item("Before", {"text": "a"})
    data = await api.ok(
        """mutation($b: ID!, $i: ID) {
          m: change_multiple_column_values(board_id: $b, item_id: $i, column_values: "{\\"name\\": \\"After\\", \\"text\\": \\"b\\", \\"qty\\": 4}") { name }
          c: change_column_value(board_id: $b, item_id: $i, column_id: "status", value: "{\\"index\\": 2}") { id }
          s: change_simple_column_value(board_id: $b, item_id: $i, column_id: "tags", value: "Alpha,Gamma") { id }
        }""",
        {"b": SMALL_BOARD_ID, "i": item},
    )
    assert data["m"]["name"] == "After"
    dump = await _dump(api)
    values = dump["items"][0]["column_values"]
    assert dump["items"][0]["name"] == "After"
    assert values["text"] == {"text": "b", "value": '"b"'}
    assert values["qty"] == {"text": "4", "value": '"4"'}
    assert values["status"]["text"] == "Stuck"
    assert values["tags"]["text"] == "Alpha, Gamma"


async def test_change_on_archived_item_fails(api: Api) -> None:
    item = await api.create_item("Old")
    await api.ok("mutation($i: ID) { archive_item(item_id: $i) { id state } }", {"i": item})
    reply = await api.gql(
        """mutation($b: ID!, $i: ID) { change_multiple_column_values(board_id: $b, item_id: $i, column_values: "{\\"text\\": \\"x\\"}") { id } }""",
        {"b": SMALL_BOARD_ID, "i": item},
    )
    assert reply.errors[0]["message"] == "Cannot change column value for inactive items"


async def test_archive_and_delete_item(api: Api) -> None:
    keep = await api.create_item("Keep")
    arch = await api.create_item("Archive")
    dele = await api.create_item("Delete")
    data = await api.ok(
        """mutation($a: ID, $d: ID) { a: archive_item(item_id: $a) { id state } d: delete_item(item_id: $d) { id state } }""",
        {"a": arch, "d": dele},
    )
    assert data == {"a": {"id": arch, "state": "archived"}, "d": {"id": dele, "state": "deleted"}}
    page = await api.ok(
        "query($b: [ID!]) { boards(ids: $b) { items_count items_page { items { id } } } }",
        {"b": [SMALL_BOARD_ID]},
    )
    board = page["boards"][0]
    assert board["items_count"] == 1
    assert [i["id"] for i in board["items_page"]["items"]] == [keep]
    items = await api.ok("query($i: [ID!]) { items(ids: $i) { id state } }", {"i": [arch, dele]})
    assert {i["id"]: i["state"] for i in items["items"]} == {arch: "archived", dele: "deleted"}


async def test_move_item_to_group(api: Api) -> None:
    item = await api.create_item("Mover")
    data = await api.ok(
        'mutation($i: ID) { move_item_to_group(item_id: $i, group_id: "group_two") { group { id } } }',
        {"i": item},
    )
    assert data["move_item_to_group"]["group"]["id"] == "group_two"


async def test_groups(api: Api) -> None:
    data = await api.ok(
        """mutation($b: ID!) { create_group(board_id: $b, group_name: "GREYSON SS25") { id title color position archived deleted } }""",
        {"b": SMALL_BOARD_ID},
    )
    group = data["create_group"]
    assert group["id"].startswith("group_mk")
    assert group["title"] == "GREYSON SS25"
    assert group["archived"] is False and group["deleted"] is False
    top = await api.ok(
        "query($b: [ID!]) { boards(ids: $b) { top_group { id } groups { id } } }",
        {"b": [SMALL_BOARD_ID]},
    )
    assert top["boards"][0]["top_group"]["id"] == group["id"]  # new groups go on top, as on monday
    item = await api.create_item("No group given")
    dump = await _dump(api)
    assert next(i for i in dump["items"] if i["id"] == item)["group"]["id"] == group["id"]
    long = await api.gql(
        "mutation($b: ID!, $n: String!) { create_group(board_id: $b, group_name: $n) { id } }",
        {"b": SMALL_BOARD_ID, "n": "g" * 256},
    )
    assert long.codes() == ["InvalidArgumentException"]
    archived = await api.ok(
        "mutation($b: ID!, $g: String!) { archive_group(board_id: $b, group_id: $g) { id archived } }",
        {"b": SMALL_BOARD_ID, "g": group["id"]},
    )
    assert archived["archive_group"]["archived"] is True
    deleted = await api.ok(
        'mutation($b: ID!) { delete_group(board_id: $b, group_id: "group_two") { id deleted } }',
        {"b": SMALL_BOARD_ID},
    )
    assert deleted["delete_group"]["deleted"] is True
    groups = await api.ok(
        "query($b: [ID!]) { boards(ids: $b) { groups { id } } }", {"b": [SMALL_BOARD_ID]}
    )
    assert [g["id"] for g in groups["boards"][0]["groups"]] == ["topics"]
    last = await api.gql(
        'mutation($b: ID!) { delete_group(board_id: $b, group_id: "topics") { id } }',
        {"b": SMALL_BOARD_ID},
    )
    assert last.codes() == ["DeleteLastGroupException"]


async def test_subitems(api: Api) -> None:
    parent = await api.create_item("Parent")
    data = await api.ok(
        """mutation($p: ID!) {
          s1: create_subitem(parent_item_id: $p, item_name: "Size S", column_values: "{\\"size\\": {\\"labels\\": [\\"S\\"]}, \\"sub_qty\\": \\"3\\"}") { id board { id } parent_item { id } }
          s2: create_subitem(parent_item_id: $p, item_name: "Size XL", create_labels_if_missing: true, column_values: "{\\"size\\": {\\"labels\\": [\\"XL\\"]}}") { id }
        }""",
        {"p": parent},
    )
    assert data["s1"]["board"]["id"] == SMALL_SUBITEMS_BOARD_ID
    assert data["s1"]["parent_item"]["id"] == parent
    read = await api.ok(
        """query($i: [ID!]) { items(ids: $i) { subitems { id name column_values(ids: ["sub_qty"]) { text } }
             column_values(ids: ["subitems"]) { text value ... on SubtasksValue { subitems_ids } } } }""",
        {"i": [parent]},
    )
    item = read["items"][0]
    assert [s["name"] for s in item["subitems"]] == ["Size S", "Size XL"]
    assert item["subitems"][0]["column_values"] == [{"text": "3"}]
    (subtasks,) = item["column_values"]
    assert subtasks["text"] == "Size S, Size XL"
    assert subtasks["subitems_ids"] == [data["s1"]["id"], data["s2"]["id"]]
    assert json.loads(subtasks["value"]) == {
        "linkedPulseIds": [
            {"linkedPulseId": int(data["s1"]["id"])},
            {"linkedPulseId": int(data["s2"]["id"])},
        ]
    }
    # updates on the subitems board go through the ordinary mutations
    await api.ok(
        """mutation($b: ID!, $i: ID) { change_multiple_column_values(board_id: $b, item_id: $i, column_values: "{\\"sub_qty\\": \\"9\\"}") { id } }""",
        {"b": SMALL_SUBITEMS_BOARD_ID, "i": data["s1"]["id"]},
    )
    sub_page = await api.ok(
        "query($b: [ID!]) { boards(ids: $b) { items_page { items { id parent_item { id } } } } }",
        {"b": [SMALL_SUBITEMS_BOARD_ID]},
    )
    assert len(sub_page["boards"][0]["items_page"]["items"]) == 2
    dump = await _dump(api)
    assert dump["items"][0]["subitems"][0]["column_values"]["sub_qty"]["text"] == "9"
    await api.ok("mutation($i: ID) { delete_item(item_id: $i) { id } }", {"i": parent})
    gone = await api.ok("query($i: [ID!]) { items(ids: $i) { state } }", {"i": [data["s1"]["id"]]})
    assert gone["items"][0]["state"] == "deleted"


async def test_first_subitem_creates_subitems_board(api: Api) -> None:
    board = await api.ok(
        'mutation { create_board(board_name: "Fresh", board_kind: public) { id type board_kind columns { id type } groups { id title } } }'
    )
    fresh = board["create_board"]
    assert fresh["columns"] == [{"id": "name", "type": "name"}]
    assert fresh["groups"] == [{"id": "topics", "title": "Topics"}]
    item = await api.ok(
        'mutation($b: ID!) { create_item(board_id: $b, item_name: "P") { id } }', {"b": fresh["id"]}
    )
    sub = await api.ok(
        'mutation($p: ID!) { create_subitem(parent_item_id: $p, item_name: "S") { id board { id type } } }',
        {"p": item["create_item"]["id"]},
    )
    sub_board = sub["create_subitem"]["board"]
    assert sub_board["type"] == "sub_items_board"
    cols = await api.ok(
        "query($b: [ID!]) { boards(ids: $b) { columns(types: [subtasks]) { id title settings_str } } }",
        {"b": [fresh["id"]]},
    )
    (subtasks,) = cols["boards"][0]["columns"]
    assert subtasks["title"] == "Subitems"
    assert json.loads(subtasks["settings_str"])["boardIds"] == [int(sub_board["id"])]


async def test_create_column_including_subtasks(api: Api) -> None:
    board = (
        await api.ok('mutation { create_board(board_name: "Cols", board_kind: private) { id } }')
    )["create_board"]["id"]
    data = await api.ok(
        """mutation($b: ID!) {
          s: create_column(board_id: $b, title: "State", column_type: status, defaults: "{\\"labels\\": {\\"0\\": \\"New\\", \\"1\\": \\"Old\\"}}") { id type title settings_str }
          d: create_column(board_id: $b, title: "Kind", column_type: dropdown, id: "kind") { id type }
          t: create_column(board_id: $b, title: "Subitems", column_type: subtasks) { id type settings_str }
        }""",
        {"b": board},
    )
    assert data["s"]["id"].startswith("color_mk")
    assert json.loads(data["s"]["settings_str"])["labels"] == {"0": "New", "1": "Old"}
    assert data["d"] == {"id": "kind", "type": "dropdown"}
    sub_id = json.loads(data["t"]["settings_str"])["boardIds"][0]
    sub = await api.ok("query($b: [ID!]) { boards(ids: $b) { type } }", {"b": [str(sub_id)]})
    assert sub["boards"] == [{"type": "sub_items_board"}]
    unsupported = await api.gql(
        'mutation($b: ID!) { create_column(board_id: $b, title: "P", column_type: people) { id } }',
        {"b": board},
    )
    assert unsupported.codes() == ["InvalidArgumentException"]


async def test_create_item_on_subitems_board_rejected(api: Api) -> None:
    reply = await api.gql(
        'mutation($b: ID!) { create_item(board_id: $b, item_name: "x") { id } }',
        {"b": SMALL_SUBITEMS_BOARD_ID},
    )
    assert reply.codes() == ["InvalidArgumentException"]


async def test_variables_as_objects_accepted(api: Api) -> None:
    data = await api.ok(
        'mutation($b: ID!, $v: JSON) { create_item(board_id: $b, item_name: "V", column_values: $v) { column_values(ids: ["text"]) { text } } }',
        {"b": SMALL_BOARD_ID, "v": {"text": "from an object"}},
    )
    assert data["create_item"]["column_values"] == [{"text": "from an object"}]


async def test_update_group_and_board_lifecycle(api: Api) -> None:
    renamed = await api.ok(
        'mutation($b: ID!) { update_group(board_id: $b, group_id: "group_two", group_attribute: title, new_value: "Renamed") { id title } }',
        {"b": SMALL_BOARD_ID},
    )
    assert renamed["update_group"] == {"id": "group_two", "title": "Renamed"}
    moved = await api.ok(
        'mutation($b: ID!) { update_group(board_id: $b, group_id: "group_two", group_attribute: relative_position_before, new_value: "topics") { id } }',
        {"b": SMALL_BOARD_ID},
    )
    assert moved["update_group"]["id"] == "group_two"
    top = await api.ok(
        "query($b: [ID!]) { boards(ids: $b) { top_group { id } } }", {"b": [SMALL_BOARD_ID]}
    )
    assert top["boards"][0]["top_group"]["id"] == "group_two"
    title = await api.ok(
        'mutation($b: ID!) { change_column_title(board_id: $b, column_id: "text", title: "Code") { id title } }',
        {"b": SMALL_BOARD_ID},
    )
    assert title["change_column_title"] == {"id": "text", "title": "Code"}
    board = (
        await api.ok(
            'mutation { create_board(board_name: "Temp", board_kind: share) { id board_kind } }'
        )
    )["create_board"]
    assert board["board_kind"] == "share"
    archived = await api.ok(
        "mutation($b: ID!) { archive_board(board_id: $b) { state } }", {"b": board["id"]}
    )
    assert archived["archive_board"]["state"] == "archived"
    listed = await api.ok("{ boards { id } }")
    assert board["id"] not in [b["id"] for b in listed["boards"]]
    listed = await api.ok("{ boards(state: all) { id } }")
    assert board["id"] in [b["id"] for b in listed["boards"]]
    deleted = await api.ok(
        "mutation($b: ID!) { delete_board(board_id: $b) { state } }", {"b": board["id"]}
    )
    assert deleted["delete_board"]["state"] == "deleted"
    gone = await api.gql(
        'mutation($b: ID!) { create_item(board_id: $b, item_name: "x") { id } }', {"b": board["id"]}
    )
    assert gone.codes() == ["InvalidBoardIdException"]


async def test_deleted_items_free_board_capacity(api: Api) -> None:
    await api.admin("POST", "/settings", {"items_per_board": 1})
    first = await api.create_item("1")
    await api.ok("mutation($i: ID) { delete_item(item_id: $i) { id } }", {"i": first})
    assert await api.create_item("2")
