"""Bad input never crashes the emulator: every reply is a JSON object in monday's
error shapes, and a request that fails changes nothing."""

from __future__ import annotations

import json
from typing import Any

import pytest
from emu_helpers import SMALL_BOARD_ID, Api

CREATE = f'mutation($v: JSON) {{ create_item(board_id: {SMALL_BOARD_ID}, item_name: "x", column_values: $v) {{ id }} }}'


async def _snapshot(api: Api) -> tuple[Any, Any]:
    _, boards = await api.admin("GET", "/boards")
    _, board = await api.admin("GET", f"/boards/{SMALL_BOARD_ID}")
    return boards, board


async def _still_serves(api: Api) -> None:
    assert (await api.ok("{ me { id } }"))["me"]["id"]


# ---------------------------------------------------------------- the HTTP body


@pytest.mark.parametrize(
    "raw",
    [
        b"{not json",
        b'{"query": "{ me { id } }", "variables": NaN}',
        b'{"query": "{ me { id } }", "variables": {"a": Infinity}}',
        b'{"query": "{ me { id } }", "variables": {"a": 1' + b"0" * 5000 + b"}}",
        b'{"query": "{ me { id } }", "variables": ' + b"[" * 50_000 + b"]" * 50_000 + b"}",
        b'{"query": "{ me { id } }", "variables": {"v": ' + b"[" * 100 + b"]" * 100 + b"}}",
        b'{"query": "\xff\xfe"}',
    ],
    ids=["syntax", "nan", "infinity", "huge-int", "very-deep", "deep", "bad-utf8"],
)
async def test_malformed_json_body_is_400_json_parse_exception(api: Api, raw: bytes) -> None:
    reply = await api.gql("", raw=raw)
    assert reply.status == 400
    assert reply.codes() == ["JsonParseException"]
    assert reply.body["extensions"]["request_id"]
    await _still_serves(api)


@pytest.mark.parametrize(
    ("raw", "message"),
    [
        (b"[1, 2]", "The request body must be a JSON object"),
        (b'[{"query": "{ me { id } }"}]', "The request body must be a JSON object"),
        (b'"{ me { id } }"', "The request body must be a JSON object"),
        (b"42", "The request body must be a JSON object"),
        (b"", "The request body must be a JSON object"),
        (b'{"variables": {}}', "No query string was present"),
        (b'{"query": ""}', "No query string was present"),
        (b'{"query": 5}', "No query string was present"),
        (b'{"query": "{ me { id } }", "operationName": 5}', "operationName must be a string"),
    ],
)
async def test_body_of_the_wrong_shape_is_400(api: Api, raw: bytes, message: str) -> None:
    reply = await api.gql("", raw=raw)
    assert reply.status == 400
    assert reply.errors[0]["message"] == message
    assert reply.codes() == ["BadRequest"]


async def test_variables_must_be_an_object(api: Api) -> None:
    """monday documents ``variables`` as a JSON object; a JSON-encoded string (which
    some GraphQL servers decode) is refused, and so is an array."""
    for variables in ('{"b": 1}', [1], 3):
        raw = json.dumps({"query": "{ me { id } }", "variables": variables}).encode()
        reply = await api.gql("", raw=raw)
        assert reply.status == 400, variables
        assert "variables must be a JSON object" in reply.errors[0]["message"]
    raw = json.dumps({"query": "{ me { id } }", "variables": None}).encode()
    assert (await api.gql("", raw=raw)).status == 200


async def test_oversized_body_is_413_json(api: Api) -> None:
    raw = b'{"query": "' + b"a" * (21 * 1024 * 1024) + b'"}'
    reply = await api.gql("", raw=raw)
    assert reply.status == 413
    assert reply.codes() == ["RequestEntityTooLarge"]
    await _still_serves(api)


# ---------------------------------------------------------------- documents


async def test_syntax_errors_in_graphql_ruby_wording(api: Api) -> None:
    reply = await api.gql("{ me { id } ]")
    assert reply.status == 200
    assert reply.errors == [
        {
            "message": 'Parse error on "]" (RBRACKET) at [1, 13]',
            "locations": [{"line": 1, "column": 13}],
            "extensions": {"code": "ParseError"},
        }
    ]
    reply = await api.gql('{ boards(ids: 1) { name "x" } }')
    assert reply.errors[0]["message"] == 'Parse error on "x" (STRING) at [1, 25]'
    reply = await api.gql("{ me { id }")
    assert reply.errors[0]["message"] == "Unexpected end of document"
    reply = await api.gql("query Q { me { id } } }")
    assert reply.errors[0]["message"] == 'Parse error on "}" (RCURLY) at [1, 23]'
    reply = await api.gql("{ me { id } } fragment on on User { id }")
    assert reply.errors[0]["message"] == 'Parse error on "on" (ON) at [1, 24]'


async def test_unknown_field_has_mondays_undefined_field_shape(api: Api) -> None:
    reply = await api.gql("query { boards(ids: [1]) { id pos } }")
    assert reply.status == 200
    assert "data" not in reply.body
    assert reply.errors == [
        {
            "message": "Field 'pos' doesn't exist on type 'Board'",
            "locations": [{"line": 1, "column": 31}],
            "path": ["query", "boards", "pos"],
            "extensions": {"code": "undefinedField", "typeName": "Board", "fieldName": "pos"},
        }
    ]
    reply = await api.gql("query Mine { me { a: nope } }")
    assert reply.errors[0]["path"] == ["query Mine", "me", "a"]


async def test_argument_errors(api: Api) -> None:
    reply = await api.gql('{ boards(limit: "ten") { id } }')
    assert reply.errors[0] == {
        "message": "Argument 'limit' on Field 'boards' has an invalid value (\"ten\"). Expected type 'Int'.",
        "locations": [{"line": 1, "column": 17}],
        "path": ["query", "boards", "limit"],
        "extensions": {
            "code": "argumentLiteralsIncompatible",
            "typeName": "Field",
            "argumentName": "limit",
        },
    }
    reply = await api.gql("{ boards(sort: 1) { id } }")
    assert reply.codes() == ["argumentNotAccepted"]
    assert reply.errors[0]["message"] == "Field 'boards' doesn't accept argument 'sort'"
    reply = await api.gql("mutation { create_item { id } }")
    assert reply.errors[0]["message"] == (
        "Field 'create_item' is missing required arguments: board_id, item_name"
    )
    assert reply.errors[0]["extensions"]["code"] == "missingRequiredArguments"
    reply = await api.gql("{ boards(limit: 99999999999) { id } }")
    assert reply.codes() == ["argumentLiteralsIncompatible"]
    reply = await api.gql(
        '{ boards { items_page(query_params: {rules: [{column_id: "x"}]}) { cursor } } }'
    )
    assert reply.codes() == ["missingRequiredInputObjectAttribute"]


async def test_selection_and_variable_errors(api: Api) -> None:
    reply = await api.gql("{ boards { id { x } } }")
    assert reply.errors[0]["message"] == (
        "Selections can't be made on scalars (field 'id' returns ID but has selections [\"x\"])"
    )
    reply = await api.gql("{ boards }")
    assert reply.errors[0]["extensions"] == {
        "code": "selectionMismatch",
        "nodeName": "field 'boards'",
        "typeName": "Board",
    }
    reply = await api.gql("{ boards(ids: [$b]) { id } }")
    assert reply.errors[0]["message"] == "Variable $b is used by anonymous query but not declared"
    reply = await api.gql("query Q($b: ID) { me { id } }")
    assert reply.errors[0]["message"] == "Variable $b is declared by Q but not used"
    reply = await api.gql("query($b: String) { boards(ids: [$b]) { id } }")
    assert reply.errors[0]["message"] == (
        "Type mismatch on variable $b and argument ids (String / ID!)"
    )
    reply = await api.gql("query($l: Int) { boards(limit: $l) { id } }", {"l": "ten"})
    error = reply.errors[0]
    assert error["message"] == "Variable $l of type Int was provided invalid value"
    assert error["extensions"]["value"] == "ten"
    assert error["extensions"]["problems"][0]["path"] == []
    reply = await api.gql("query($b: ID!) { boards(ids: [$b]) { id } }", {})
    assert reply.errors[0]["extensions"]["problems"][0]["explanation"] == (
        "Expected value to not be null"
    )


async def test_operation_choice(api: Api) -> None:
    two = "query A { me { id } } query B { account { id } }"
    reply = await api.gql(two)
    assert reply.errors[0]["message"] == "An operation name is required"
    raw = json.dumps({"query": two, "operationName": "C"}).encode()
    assert (await api.gql("", raw=raw)).errors[0]["message"] == 'No operation named "C"'
    raw = json.dumps({"query": two, "operationName": "B"}).encode()
    assert (await api.gql("", raw=raw)).body["data"]["account"]["id"]


async def test_huge_and_deep_documents_are_refused(api: Api) -> None:
    wide = "{ " + " ".join(f"a{i}: me {{ id }}" for i in range(30_000)) + " }"
    reply = await api.gql(wide)
    assert reply.codes() == ["maxTokensExceeded"]
    deep = "{ items { " + "parent_item { " * 40 + "id" + " }" * 40 + " } }"
    reply = await api.gql(deep)
    assert reply.codes() == ["maxDepthExceeded"]
    assert reply.errors[0]["message"] == "Query has depth of 42, which exceeds max depth of 30"
    deeper = "{ items { " + "parent_item { " * 800 + "id" + " }" * 800 + " } }"
    assert (await api.gql(deeper)).codes() == ["maxDepthExceeded"]
    fragments = " ".join(
        f"fragment F{i} on Item {{ id parent_item {{ ...F{i + 1} }} }}" for i in range(40)
    )
    chain = "{ items { ...F0 } } " + fragments + " fragment F40 on Item { id }"
    assert (await api.gql(chain)).codes() == ["maxDepthExceeded"]
    cycle = "{ me { ...F } } fragment F on User { id ...G } fragment G on User { ...F }"
    assert (await api.gql(cycle)).codes() == ["infiniteLoop"]
    await _still_serves(api)


# ---------------------------------------------------------------- values


async def test_column_values_that_are_not_json_change_nothing(api: Api) -> None:
    before = await _snapshot(api)
    for raw in ("not json", "{'text': 1}", '{"text": NaN}', "[" * 5000, '{"text": 1e999}'):
        reply = await api.gql(CREATE, {"v": raw})
        assert reply.status == 200
        assert reply.codes() == ["JsonParseException"], raw
        assert reply.errors[0]["message"] == "Syntax error in JSON input"
        assert reply.errors[0]["extensions"]["status_code"] == 400
        assert reply.data == {"create_item": None}
    reply = await api.gql(CREATE, {"v": "[1, 2]"})
    assert reply.codes() == ["InvalidArgumentException"]
    assert await _snapshot(api) == before


WRONG_SHAPES: dict[str, list[Any]] = {
    "text": [{"a": 1}, [1], True],
    "notes": [[1], True, {"text": {"x": 1}}],
    "qty": ["ten", {"number": 1}, True, "1e999"],
    "status": [{"index": "x"}, {"index": 99}, {"foo": 1}, [1], True],
    "tags": [{"ids": ["x"]}, {"ids": [9]}, {"ids": [1], "labels": ["Alpha"]}, True],
    "due": ["2025-13-45", {"date": "tomorrow"}, {"date": "2025-01-01", "time": "25:00"}, 5],
    "done": [{"checked": 5}, "maybe", [True]],
    "email": ["not-an-email", {"email": "x"}, 5],
    "link": [5, [1]],
    "phone": ["abc", {"phone": "1", "countryShortName": "USA"}, 7],
    "span": ["2025-01-01", {"from": "2025-02-01", "to": "2025-01-01"}, {"from": "x", "to": "y"}],
    "subitems": [{"x": 1}, "a"],
    "nope": ["x"],
    "name": ["", "x" * 256],
}


async def test_values_of_the_wrong_shape_fail_per_field_and_change_nothing(api: Api) -> None:
    item = await api.create_item("Keep", {"text": "k", "qty": "3"})
    before = await _snapshot(api)
    change = (
        "mutation($i: ID, $v: JSON!) { change_multiple_column_values(board_id: $b, "
        "item_id: $i, column_values: $v) { id } }"
    ).replace("$b", SMALL_BOARD_ID)
    for column, values in WRONG_SHAPES.items():
        for value in values:
            for query, variables in (
                (CREATE, {"v": json.dumps({column: value})}),
                (change, {"i": item, "v": json.dumps({column: value})}),
                (CREATE, {"v": {column: value}}),  # a JSON variable may be an object
            ):
                reply = await api.gql(query, variables)
                assert reply.status == 200, (column, value)
                codes = reply.codes()
                assert len(codes) == 1 and codes[0] in {
                    "ColumnValueException",
                    "InvalidColumnIdException",
                    "ItemNameTooLongException",
                }, (column, value, reply.errors)
    assert await _snapshot(api) == before


async def test_bad_create_column_defaults_and_group_positions(api: Api) -> None:
    before = await _snapshot(api)
    for kind, defaults in (
        ("status", {"labels": {"a": "x"}}),
        ("status", {"labels": [{"index": "x"}]}),
        ("status", {"labels": 5}),
        ("dropdown", {"labels": [{"id": "x"}]}),
        ("dropdown", {"labels": {"a": 1}}),
        ("dropdown", {"settings": {"labels": [None]}}),
    ):
        reply = await api.gql(
            'mutation($d: JSON) { create_column(board_id: BOARD, title: "c", '
            f"column_type: {kind}, defaults: $d) {{ id }} }}".replace("BOARD", SMALL_BOARD_ID),
            {"d": json.dumps(defaults)},
        )
        assert reply.codes() == ["InvalidArgumentException"], (kind, defaults)
    for position in ("nan", "inf", "-inf", "x"):
        reply = await api.gql(
            'mutation($p: String) { create_group(board_id: BOARD, group_name: "g", '
            "position: $p) { id } }".replace("BOARD", SMALL_BOARD_ID),
            {"p": position},
        )
        assert reply.codes() == ["InvalidArgumentException"], position
        reply = await api.gql(
            'mutation($p: String!) { update_group(board_id: BOARD, group_id: "topics", '
            "group_attribute: position, new_value: $p) { id } }".replace("BOARD", SMALL_BOARD_ID),
            {"p": position},
        )
        assert reply.codes() == ["InvalidArgumentException"], position
    assert await _snapshot(api) == before


async def test_a_failing_alias_leaves_its_siblings_applied_and_itself_absent(api: Api) -> None:
    reply = await api.gql(
        (
            'mutation { ok: create_item(board_id: BOARD, item_name: "fine") { id } '
            'bad: create_item(board_id: BOARD, item_name: "bad", column_values: "{oops") { id } }'
        ).replace("BOARD", SMALL_BOARD_ID)
    )
    assert reply.data["ok"]["id"] and reply.data["bad"] is None
    assert reply.errors[0]["path"] == ["bad"]
    _, board = await api.admin("GET", f"/boards/{SMALL_BOARD_ID}")
    assert [i["name"] for i in board["items"]] == ["fine"]
