"""Property-based fuzzing over real HTTP (hypothesis).

Random documents, random variables and random column values for every column type
are thrown at a running emulator. Whatever comes in:

- every reply is a JSON object (strict JSON: no NaN) holding ``errors`` or ``data``,
  with status 200, 400 or 413: never a 500 from an unhandled exception, never an
  ``INTERNAL_SERVER_ERROR`` inside a 200, never a hang (each request has a timeout,
  each example a deadline);
- the server keeps answering;
- a request whose mutations all failed changes nothing: the board dumps
  (``GET /admin/boards`` and ``GET /admin/boards/{id}``) are the same before and after.

The default runs are bounded (150 examples each, a deadline per example) and take a
few seconds; the ``slow``-marked variants run 400 examples each
(``EMULATOR_FUZZ_EXAMPLES`` changes that).
"""

from __future__ import annotations

import http.client
import json
import os
import string
from collections.abc import Iterator
from datetime import timedelta
from typing import Any
from urllib.parse import urlsplit

import pytest
from graphql import (
    GraphQLEnumType,
    GraphQLInputObjectType,
    GraphQLInterfaceType,
    GraphQLObjectType,
    get_named_type,
    get_nullable_type,
    is_list_type,
)

from monday_emulator import (
    SMALL_BOARD,
    EmulatorSettings,
    ThreadedEmulator,
    builtin_spec,
    run_in_thread,
)
from monday_emulator.graphql_api.schema import executable_schema  # noqa: E402

hypothesis = pytest.importorskip("hypothesis")
from hypothesis import HealthCheck, given, settings  # noqa: E402
from hypothesis import strategies as st  # noqa: E402

API_VERSION = "2026-10"  # the current version: the largest schema the emulator serves
TOKEN = "fuzz-token"
BOARD = "3000000001"
SUB_BOARD = "3000000002"
COLUMNS = {
    "text": "text", "notes": "long_text", "qty": "numbers", "status": "status",
    "tags": "dropdown", "due": "date", "done": "checkbox", "email": "email",
    "link": "link", "phone": "phone", "span": "timeline", "subitems": "subtasks",
    "name": "name",
}  # fmt: skip
REQUEST_TIMEOUT = 20.0
FAST = settings(
    max_examples=150,
    deadline=timedelta(seconds=5),
    database=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
)
# the long runs: 1,000 examples each (about half a minute each here), or
# EMULATOR_FUZZ_EXAMPLES=20000 for a soak
SLOW = settings(
    FAST,
    max_examples=int(os.environ.get("EMULATOR_FUZZ_EXAMPLES", "400")),
    deadline=timedelta(seconds=10),
)


# ---------------------------------------------------------------- the server


class Http:
    """A keep-alive HTTP/1.1 client for the emulator (reconnects when needed)."""

    def __init__(self, url: str) -> None:
        parts = urlsplit(url)
        self.host, self.port = parts.hostname or "127.0.0.1", parts.port or 80
        self.conn: http.client.HTTPConnection | None = None

    def request(
        self,
        method: str,
        path: str,
        body: bytes | None = None,
        headers: dict[str, str] | None = None,
    ) -> tuple[int, str, bytes]:
        for attempt in range(2):
            if self.conn is None:
                self.conn = http.client.HTTPConnection(
                    self.host, self.port, timeout=REQUEST_TIMEOUT
                )
            try:
                self.conn.request(method, path, body=body, headers=headers or {})
                resp = self.conn.getresponse()
                return resp.status, resp.getheader("Content-Type", ""), resp.read()
            except (ConnectionError, http.client.HTTPException):
                self.conn.close()
                self.conn = None
                if attempt:
                    raise
        raise AssertionError("unreachable")

    def api(self, body: bytes) -> tuple[int, str, bytes]:
        return self.request(
            "POST",
            "/v2",
            body,
            {
                "Authorization": TOKEN,
                "Content-Type": "application/json",
                "API-Version": API_VERSION,
            },
        )

    def admin(self, path: str) -> Any:
        status, _, raw = self.request("GET", f"/admin{path}")
        assert status == 200, raw[:300]
        return json.loads(raw)

    def snapshot(self) -> Any:
        return (
            self.admin("/boards"),
            self.admin(f"/boards/{BOARD}"),
            self.admin(f"/boards/{SUB_BOARD}"),
        )


def _limits_off() -> EmulatorSettings:
    return EmulatorSettings(
        token=TOKEN,
        complexity_budget=2**31 - 1,
        requests_per_minute=None,
        max_concurrency=None,
        ip_requests_per_10s=None,
        items_per_board=1_000_000,
        mutation_ms_mean=0,  # no server time: random documents at the server's own pace
        query_ms_mean=0,
        bulk_jobs_per_hour=None,  # random documents may start many import jobs
    )


@pytest.fixture(scope="module")
def emu() -> Iterator[ThreadedEmulator]:
    with run_in_thread(_limits_off(), boards=[builtin_spec(SMALL_BOARD)]) as running:
        yield running


@pytest.fixture(scope="module")
def client(emu: ThreadedEmulator) -> Iterator[Http]:
    http_client = Http(emu.url)
    yield http_client
    if http_client.conn is not None:
        http_client.conn.close()


@pytest.fixture(scope="module")
def doc_client() -> Iterator[Http]:
    """A server of its own for random documents (which may archive groups, delete
    items or create boards), so the column-value fuzzing keeps a usable board."""
    with run_in_thread(_limits_off(), boards=[builtin_spec(SMALL_BOARD)]) as running:
        http_client = Http(running.url)
        yield http_client
        if http_client.conn is not None:
            http_client.conn.close()


def _strict(raw: bytes) -> Any:
    def refuse(name: str) -> Any:
        raise ValueError(f"{name} in a reply")

    return json.loads(raw, parse_constant=refuse)


def check_reply(status: int, content_type: str, raw: bytes) -> dict[str, Any]:
    """The properties every reply has, whatever was sent."""
    assert status in (200, 400, 413), (status, raw[:500])
    assert content_type.startswith("application/json"), (content_type, raw[:200])
    body = _strict(raw)
    assert isinstance(body, dict), body
    assert "errors" in body or "data" in body, body
    if "errors" in body:
        assert isinstance(body["errors"], list) and body["errors"], body
        for error in body["errors"]:
            assert isinstance(error["message"], str) and error["message"], error
            code = (error.get("extensions") or {}).get("code")
            assert code != "INTERNAL_SERVER_ERROR", body
    return body


def applied(client: Http) -> int:
    """Mutations the emulator reports as applied so far."""
    return int(client.admin("/stats")["mutations_applied_total"])


def check_unchanged_unless_applied(client: Http, payload: Any) -> dict[str, Any]:
    """Send ``payload``; when none of its mutations went through (a mutation that
    changed state and then failed would be counted as not applied), the boards must
    be exactly as before."""
    before, count = client.snapshot(), applied(client)
    body = _send(client, payload)
    if applied(client) == count:
        assert client.snapshot() == before, (payload, body)
    return body


# ---------------------------------------------------------------- strategies

NAMES = [
    "boards", "items", "me", "account", "complexity", "version", "versions", "tags",
    "next_items_page", "items_page_by_column_values", "id", "name", "columns", "groups",
    "items_page", "items_count", "column_values", "text", "value", "type", "cursor",
    "subitems", "parent_item", "board", "group", "title", "settings_str", "state",
    "create_item", "create_subitem", "change_multiple_column_values", "change_column_value",
    "change_simple_column_value", "move_item_to_group", "archive_item", "delete_item",
    "create_group", "update_group", "delete_group", "archive_group", "create_board",
    "create_column", "nope", "__typename", "__schema", "ids", "limit", "board_id",
    "item_id", "item_name", "column_values", "query_params", "rules", "on", "query",
    "mutation", "fragment", "true", "null",
]  # fmt: skip
PUNCTUATION = ["{", "}", "(", ")", "[", "]", ":", "$", "!", "...", "@", "=", ",", "|", "&"]

json_scalars = (
    st.none()
    | st.booleans()
    | st.integers(min_value=-(2**70), max_value=2**70)
    | st.floats(allow_nan=False, allow_infinity=False)
    | st.text(max_size=40)
)
json_values = st.recursive(
    json_scalars,
    lambda children: (
        st.lists(children, max_size=4) | st.dictionaries(st.text(max_size=12), children, max_size=4)
    ),
    max_leaves=20,
)

graphql_literals = st.recursive(
    st.sampled_from(["1", "-5", "0.5", "1e999", "true", "null", "active", '"x"', '"{}"', "$v"])
    | st.integers(min_value=-(2**40), max_value=2**40).map(str)
    | st.text(max_size=20).map(json.dumps),
    lambda children: (
        st.lists(children, max_size=3).map(lambda xs: "[" + ", ".join(xs) + "]")
        | st.dictionaries(st.sampled_from(NAMES), children, max_size=3).map(
            lambda d: "{" + ", ".join(f"{k}: {v}" for k, v in d.items()) + "}"
        )
    ),
    max_leaves=8,
)


@st.composite
def selections(draw: Any, depth: int = 0) -> str:
    parts = []
    for _ in range(draw(st.integers(min_value=1, max_value=4))):
        name = draw(st.sampled_from(NAMES))
        alias = draw(st.sampled_from(["", "a: ", "b: ", f"{name}: "]))
        args = ""
        if draw(st.booleans()):
            pairs = draw(st.lists(st.tuples(st.sampled_from(NAMES), graphql_literals), max_size=3))
            args = "(" + ", ".join(f"{k}: {v}" for k, v in pairs) + ")"
        inner = ""
        if depth < 4 and draw(st.booleans()):
            inner = " { " + draw(selections(depth + 1)) + " }"
        if draw(st.integers(min_value=0, max_value=9)) == 0:
            parts.append(
                f"... on {draw(st.sampled_from(['Item', 'Board', 'TextValue', 'Nope']))}{inner or ' { id }'}"
            )
        else:
            parts.append(f"{alias}{name}{args}{inner}")
    return " ".join(parts)


@st.composite
def documents(draw: Any) -> str:
    kind = draw(st.sampled_from(["query", "mutation", "", "query Q($v: JSON)", "subscription"]))
    body = draw(selections())
    text = f"{kind} {{ {body} }}"
    if draw(st.integers(min_value=0, max_value=4)) == 0:
        # damage it: drop, duplicate or insert tokens
        tokens = text.split(" ")
        index = draw(st.integers(min_value=0, max_value=len(tokens) - 1))
        action = draw(st.sampled_from(["drop", "dup", "insert"]))
        if action == "drop":
            tokens.pop(index)
        elif action == "dup":
            tokens.insert(index, tokens[index])
        else:
            tokens.insert(index, draw(st.sampled_from(PUNCTUATION + NAMES)))
        text = " ".join(tokens)
    return text


SCHEMA = executable_schema(API_VERSION)  # the documents are built from what they're sent to
ITEM_IDS = st.integers(min_value=9_000_000_001, max_value=9_000_000_060).map(str)
BOARD_IDS = st.sampled_from([BOARD, SUB_BOARD, "1", "9000000001"])
GROUP_IDS = st.sampled_from(["topics", "group_two", "nope", ""])
COLUMN_IDS = st.sampled_from([*COLUMNS, "nope", "size", "sub_qty", "__last_updated__"])


def _scalar(draw: Any, type_name: str, arg: str) -> str:
    """A literal for a scalar argument, chosen by the argument's name and type."""
    if arg in ("column_values", "value", "defaults") and type_name in ("JSON", "String"):
        writes = draw(st.lists(column_writes(), max_size=3))
        text = json.dumps(dict(writes))
        return json.dumps(text if draw(st.integers(0, 5)) else text[: len(text) // 2])
    if arg.endswith("board_id") or arg == "ids" and type_name == "ID":
        return draw(BOARD_IDS | ITEM_IDS)
    if arg in ("item_id", "parent_item_id") or type_name == "ID":
        return draw(ITEM_IDS | BOARD_IDS)
    if arg in ("group_id", "relative_to") or (arg == "new_value" and draw(st.booleans())):
        return json.dumps(draw(GROUP_IDS))
    if arg in ("column_id", "after_column_id"):
        return json.dumps(draw(COLUMN_IDS))
    if type_name == "Int":
        return str(draw(st.integers(min_value=-3, max_value=600) | st.sampled_from([2**31, 0])))
    if type_name == "Float":
        return str(draw(st.floats(allow_nan=False, allow_infinity=False, width=32)))
    if type_name == "Boolean":
        return draw(st.sampled_from(["true", "false"]))
    if type_name == "CompareValue":
        return draw(graphql_literals)
    return json.dumps(draw(st.text(max_size=30) | st.sampled_from(["", "x" * 300, "1e5"])))


def _literal(draw: Any, type_: Any, arg: str, depth: int = 0) -> str:
    if draw(st.integers(min_value=0, max_value=14)) == 0:
        return draw(graphql_literals)  # anything at all, of any type
    nullable = get_nullable_type(type_)
    if is_list_type(nullable):
        items = [
            _literal(draw, nullable.of_type, arg, depth + 1)
            for _ in range(draw(st.integers(min_value=0, max_value=3)))
        ]
        return "[" + ", ".join(items) + "]"
    named = get_named_type(type_)
    if isinstance(named, GraphQLEnumType):
        return draw(st.sampled_from(sorted(named.values)))
    if isinstance(named, GraphQLInputObjectType):
        if depth > 3:
            return "{}"
        names = draw(st.lists(st.sampled_from(sorted(named.fields)), max_size=4, unique=True))
        return (
            "{"
            + ", ".join(f"{n}: {_literal(draw, named.fields[n].type, n, depth + 1)}" for n in names)
            + "}"
        )
    return _scalar(draw, named.name, arg)


def _arguments(draw: Any, field: Any) -> str:
    required = [n for n, a in field.args.items() if str(a.type).endswith("!")]
    optional = [n for n in field.args if n not in required]
    chosen = required if draw(st.integers(min_value=0, max_value=6)) else []
    chosen += draw(st.lists(st.sampled_from(optional), max_size=3, unique=True)) if optional else []
    if not chosen:
        return ""
    return "(" + ", ".join(f"{n}: {_literal(draw, field.args[n].type, n)}" for n in chosen) + ")"


def _selection(draw: Any, parent: Any, depth: int) -> str:
    fields = sorted(parent.fields)
    picked = draw(st.lists(st.sampled_from(fields), min_size=1, max_size=4, unique=True))
    parts = []
    for name in picked:
        field = parent.fields[name]
        target = get_named_type(field.type)
        text = name + _arguments(draw, field)
        if isinstance(target, GraphQLObjectType | GraphQLInterfaceType):
            if depth >= 3:
                text += " { id }" if "id" in target.fields else " { __typename }"
            else:
                text += " { " + _selection(draw, target, depth + 1)
                if isinstance(target, GraphQLInterfaceType) and draw(st.booleans()):
                    impl = draw(st.sampled_from(SCHEMA.get_possible_types(target)))
                    text += f" ... on {impl.name} {{ {_selection(draw, impl, depth + 1)} }}"
                text += " }"
        parts.append(text)
    return " ".join(parts)


@st.composite
def schema_documents(draw: Any) -> str:
    """Documents built from the schema: real fields, real arguments with random (and
    sometimes wrongly typed) values, aliased mutations. Most of them execute."""
    if draw(st.booleans()):
        root, kind = SCHEMA.mutation_type, "mutation"
    else:
        root, kind = SCHEMA.query_type, "query"
    assert root is not None
    roots = []
    for index in range(draw(st.integers(min_value=1, max_value=3))):
        name = draw(st.sampled_from(sorted(root.fields)))
        field = root.fields[name]
        text = f"op{index}: {name}{_arguments(draw, field)}"
        target = get_named_type(field.type)
        if isinstance(target, GraphQLObjectType | GraphQLInterfaceType):
            text += " { " + _selection(draw, target, 1) + " }"
        roots.append(text)
    return f"{kind} {{ {' '.join(roots)} }}"


garbage_documents = st.text(
    alphabet=string.printable + "{}()[]$!@…é\u0000", max_size=200
) | st.sampled_from(["", " ", "{", "}", "{ }", "query", "mutation {", "#comment", '"""'])

variables = st.none() | st.dictionaries(
    st.sampled_from(["v", "b", "x", "limit"]), json_values, max_size=3
)
bodies = st.one_of(
    st.builds(lambda q: {"query": q}, schema_documents()),
    st.builds(lambda q: {"query": q}, schema_documents()),
    st.builds(
        lambda q, v, op: {"query": q, "variables": v, **op},
        documents() | garbage_documents,
        variables | variables | json_values,
        st.just({})
        | st.fixed_dictionaries({"operationName": st.none() | st.text(max_size=5) | st.integers()}),
    ),
    json_values,  # not an object at all
)


@st.composite
def column_writes(draw: Any) -> tuple[str, Any]:
    """A column (of every type, plus unknown ids) and a value: random JSON, or a value
    shaped for that column type with random parts."""
    column = draw(st.sampled_from([*COLUMNS, "nope"]))
    shaped = {
        "status": st.fixed_dictionaries({}, optional={"label": json_values, "index": json_values}),
        "tags": st.fixed_dictionaries({}, optional={"labels": json_values, "ids": json_values}),
        "due": st.fixed_dictionaries({}, optional={"date": json_values, "time": json_values}),
        "done": st.fixed_dictionaries({}, optional={"checked": json_values}),
        "email": st.fixed_dictionaries({}, optional={"email": json_values, "text": json_values}),
        "link": st.fixed_dictionaries({}, optional={"url": json_values, "text": json_values}),
        "phone": st.fixed_dictionaries(
            {}, optional={"phone": json_values, "countryShortName": json_values}
        ),
        "span": st.fixed_dictionaries({}, optional={"from": json_values, "to": json_values}),
        "notes": st.fixed_dictionaries({}, optional={"text": json_values}),
        "name": st.text(max_size=300),
    }.get(column, json_values)
    return column, draw(shaped | json_values)


# ---------------------------------------------------------------- properties


def _send(client: Http, payload: Any) -> dict[str, Any]:
    return check_reply(*client.api(json.dumps(payload).encode()))


def _alive(client: Http) -> None:
    body = _send(client, {"query": "{ me { id } }"})
    assert body["data"]["me"]["id"]


def _random_documents(client: Http, payload: Any) -> None:
    check_unchanged_unless_applied(client, payload)


def _random_values(
    client: Http, writes: list[tuple[str, Any]], how: str, raw_text: str | None
) -> None:
    values: Any = dict(writes)
    encoded = raw_text if raw_text is not None else json.dumps(values)
    if how == "create":
        query = (
            'mutation($b: ID!, $v: JSON) { create_item(board_id: $b, item_name: "fz", '
            "column_values: $v, create_labels_if_missing: false) { id column_values { id text value } } }"
        )
        variables: dict[str, Any] = {"b": BOARD, "v": encoded}
        root = "create_item"
    elif how == "object":
        query = (
            'mutation($b: ID!, $v: JSON) { create_item(board_id: $b, item_name: "fz", '
            "column_values: $v) { id } }"
        )
        variables = {"b": BOARD, "v": values}
        root = "create_item"
    elif how == "change":
        query = (
            "mutation($b: ID!, $i: ID, $v: JSON!) { change_multiple_column_values("
            "board_id: $b, item_id: $i, column_values: $v) { id name column_values { id text value } } }"
        )
        variables = {"b": BOARD, "i": client.item, "v": encoded}  # type: ignore[attr-defined]
        root = "change_multiple_column_values"
    elif how == "one":
        column, value = writes[0]
        query = (
            "mutation($b: ID!, $i: ID, $c: String!, $v: JSON!) { change_column_value("
            "board_id: $b, item_id: $i, column_id: $c, value: $v) { id } }"
        )
        variables = {"b": BOARD, "i": client.item, "c": column, "v": json.dumps(value)}  # type: ignore[attr-defined]
        root = "change_column_value"
    else:  # simple
        column, value = writes[0]
        query = (
            "mutation($b: ID!, $i: ID, $c: String!, $v: String) { change_simple_column_value("
            "board_id: $b, item_id: $i, column_id: $c, value: $v) { id } }"
        )
        simple = value if isinstance(value, str) else json.dumps(value)
        variables = {"b": BOARD, "i": client.item, "c": column, "v": simple}  # type: ignore[attr-defined]
        root = "change_simple_column_value"
    body = check_unchanged_unless_applied(client, {"query": query, "variables": variables})
    data = body.get("data") or {}
    if data.get(root) is None:
        assert body.get("errors"), body  # a null result always comes with its error


@pytest.fixture(scope="module")
def target(client: Http) -> Http:
    """The client, with an item to change (created once for the module)."""
    body = _send(
        client,
        {"query": f'mutation {{ create_item(board_id: {BOARD}, item_name: "target") {{ id }} }}'},
    )
    client.item = body["data"]["create_item"]["id"]  # type: ignore[attr-defined]
    return client


def _documents_test(target: Http, payload: Any) -> None:
    _random_documents(target, payload)


def _values_test(target: Http, writes: Any, how: str, raw_text: str | None) -> None:
    _random_values(target, writes, how, raw_text)


raw_texts = (
    st.none()
    | st.none()
    | st.text(max_size=60)
    | json_values.map(json.dumps).map(lambda s: s[: max(1, len(s) // 2)])
)
writes_lists = st.lists(column_writes(), min_size=1, max_size=4)
hows = st.sampled_from(["create", "object", "change", "one", "simple"])


@FAST
@given(payload=bodies)
def test_random_documents_and_variables(doc_client: Http, payload: Any) -> None:
    _documents_test(doc_client, payload)


@FAST
@given(writes=writes_lists, how=hows, raw_text=raw_texts)
def test_random_column_values_for_every_type(
    target: Http, writes: Any, how: str, raw_text: str | None
) -> None:
    _values_test(target, writes, how, raw_text)


@FAST
@given(raw=st.binary(max_size=300) | bodies.map(lambda b: json.dumps(b).encode()[:-1]))
def test_random_bytes(target: Http, raw: bytes) -> None:
    check_reply(*target.api(raw))


def test_still_answering_after_the_fuzzing(target: Http, doc_client: Http) -> None:
    _alive(target)
    _alive(doc_client)


@pytest.mark.slow
@SLOW
@given(payload=bodies)
def test_random_documents_long_run(doc_client: Http, payload: Any) -> None:
    _documents_test(doc_client, payload)


@pytest.mark.slow
@SLOW
@given(writes=writes_lists, how=hows, raw_text=raw_texts)
def test_random_column_values_long_run(
    target: Http, writes: Any, how: str, raw_text: str | None
) -> None:
    _values_test(target, writes, how, raw_text)
