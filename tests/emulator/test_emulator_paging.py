"""Every paged field the emulator serves pages as monday's do: a client that asks for
the next page until an empty page (``limit``/``page``) or until no cursor comes back
(``limit``/``cursor``) sees every element once, and stops.

A public client found the bug this guards against: ``items(ids: [...], limit: 25,
page: N)`` answered the same items on every page, so a client paging until an empty
page looped until it was rate limited. The fields are found in the schema (every
field with a ``page`` or a ``cursor`` argument, in every version), so a paged field
added later without a driver here fails ``test_every_paged_field_is_driven``.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Any

from emu_helpers import SMALL_BOARD_ID, Api
from graphql import GraphQLObjectType

from monday_emulator.graphql_api import versions
from monday_emulator.graphql_api.schema import executable_schema

MAX_PAGES = 60  # far more than any walk below needs: hitting it means a loop


def paged_fields() -> set[str]:
    found = set()
    for version in versions.SCHEMA_VERSIONS:
        schema = executable_schema(version)
        for name, kind in schema.type_map.items():
            if name.startswith("__") or not isinstance(kind, GraphQLObjectType):
                continue
            for field_name, field in kind.fields.items():
                if "page" in field.args or "cursor" in field.args:
                    found.add(f"{name}.{field_name}")
    return found


Page = tuple[list[str], str | None]  # (ids on the page, cursor or None)


async def walk_pages(fetch: Callable[[int], Awaitable[list[str]]]) -> list[list[str]]:
    """page 1, 2, ... until an empty page."""
    pages: list[list[str]] = []
    for page in range(1, MAX_PAGES + 1):
        ids = await fetch(page)
        if not ids:
            return pages
        pages.append(ids)
    raise AssertionError(f"still not empty after {MAX_PAGES} pages: {pages[:3]}...")


async def walk_cursor(
    first: Callable[[], Awaitable[Page]], more: Callable[[str], Awaitable[Page]]
) -> list[list[str]]:
    """the first page, then by cursor until no cursor comes back."""
    ids, cursor = await first()
    pages = [ids]
    while cursor is not None:
        assert len(pages) < MAX_PAGES, f"still a cursor after {MAX_PAGES} pages"
        ids, cursor = await more(cursor)
        pages.append(ids)
    return pages


def assert_pages(pages: list[list[str]], expected: list[str], size: int) -> None:
    seen = [i for page in pages for i in page]
    assert len(seen) == len(set(seen)), f"pages overlap: {pages}"
    assert sorted(seen) == sorted(expected), (pages, expected)
    assert all(len(page) <= size for page in pages)
    assert all(len(page) == size for page in pages[:-1]), f"a short page before the end: {pages}"


async def _items(api: Api, n: int, group: str = "topics") -> list[str]:
    ids = []
    for k in range(n):
        data = await api.ok(
            "mutation($b: ID!, $g: String, $n: String!) {"
            ' create_item(board_id: $b, group_id: $g, item_name: $n, column_values: "{\\"text\\": \\"same\\"}") { id } }',
            {"b": SMALL_BOARD_ID, "g": group, "n": f"Paged {k}"},
        )
        ids.append(data["create_item"]["id"])
    return ids


# ---------------------------------------------------------------- limit / page


async def drive_query_items(api: Api) -> None:
    ids = await _items(api, 7)
    for limit in (1, 2, 3, 25):

        async def by_ids(page: int, limit: int = limit) -> list[str]:
            data = await api.ok(
                "query($i: [ID!], $l: Int, $p: Int) { items(ids: $i, limit: $l, page: $p) { id } }",
                {"i": ids, "l": limit, "p": page},
            )
            return [i["id"] for i in data["items"]]

        assert_pages(await walk_pages(by_ids), ids, limit)

    async def everything(page: int) -> list[str]:
        data = await api.ok("query($p: Int) { items(limit: 2, page: $p) { id } }", {"p": page})
        return [i["id"] for i in data["items"]]

    assert_pages(await walk_pages(everything), list(api.state.store.items), 2)

    # newest_first reverses the order; the pages still cover the ids once each
    data = await api.ok(
        "query($i: [ID!]) { items(ids: $i, limit: 3, newest_first: true) { id } }", {"i": ids}
    )
    assert [i["id"] for i in data["items"]] == ids[::-1][:3]


async def drive_query_boards(api: Api) -> None:
    for n in range(4):
        await api.ok(
            f'mutation {{ create_board(board_name: "Paged {n}", board_kind: public) {{ id }} }}'
        )
    expected = [b.id for b in api.state.store.boards.values() if b.type == "board"]

    async def fetch(page: int) -> list[str]:
        data = await api.ok("query($p: Int) { boards(limit: 2, page: $p) { id } }", {"p": page})
        return [b["id"] for b in data["boards"]]

    assert_pages(await walk_pages(fetch), expected, 2)

    async def by_ids(page: int) -> list[str]:
        data = await api.ok(
            "query($i: [ID!], $p: Int) { boards(ids: $i, limit: 2, page: $p) { id } }",
            {"i": expected, "p": page},
        )
        return [b["id"] for b in data["boards"]]

    assert_pages(await walk_pages(by_ids), expected, 2)


async def drive_updates(api: Api, owner: str) -> None:
    """``updates`` are always empty here: page 1 is empty, and a walk stops there."""
    item = (await _items(api, 1))[0]
    query = (
        f"query($p: Int) {{ boards(ids: [{SMALL_BOARD_ID}]) {{ updates(limit: 2, page: $p) {{ id }} }} }}"
        if owner == "Board"
        else f"query($p: Int) {{ items(ids: [{item}]) {{ updates(limit: 2, page: $p) {{ id }} }} }}"
    )
    key = "boards" if owner == "Board" else "items"

    async def fetch(page: int) -> list[str]:
        data = await api.ok(query, {"p": page})
        return [u["id"] for u in data[key][0]["updates"]]

    assert await walk_pages(fetch) == []


# ---------------------------------------------------------------- limit / cursor

ITEMS_PAGE = "cursor items { id }"


async def _next(api: Api, cursor: str, limit: int) -> Page:
    data = await api.ok(
        f"query($c: String!, $l: Int!) {{ next_items_page(cursor: $c, limit: $l) {{ {ITEMS_PAGE} }} }}",
        {"c": cursor, "l": limit},
    )
    page = data["next_items_page"]
    return [i["id"] for i in page["items"]], page["cursor"]


async def drive_board_items_page(api: Api) -> None:
    ids = await _items(api, 7)
    for limit in (1, 3, 500):

        async def first(limit: int = limit) -> Page:
            data = await api.ok(
                f"query($b: [ID!], $l: Int!) {{ boards(ids: $b) {{ items_page(limit: $l) {{ {ITEMS_PAGE} }} }} }}",
                {"b": [SMALL_BOARD_ID], "l": limit},
            )
            page = data["boards"][0]["items_page"]
            return [i["id"] for i in page["items"]], page["cursor"]

        async def nested(cursor: str, limit: int = limit) -> Page:
            # the cursor handed back to the same field, as monday also allows
            data = await api.ok(
                "query($b: [ID!], $c: String, $l: Int!) {"
                f" boards(ids: $b) {{ items_page(cursor: $c, limit: $l) {{ {ITEMS_PAGE} }} }} }}",
                {"b": [SMALL_BOARD_ID], "c": cursor, "l": limit},
            )
            page = data["boards"][0]["items_page"]
            return [i["id"] for i in page["items"]], page["cursor"]

        async def root(cursor: str, limit: int = limit) -> Page:
            return await _next(api, cursor, limit)

        assert_pages(await walk_cursor(first, root), ids, limit)
        assert_pages(await walk_cursor(first, nested), ids, limit)


async def drive_group_items_page(api: Api) -> None:
    await _items(api, 2, "topics")
    ids = await _items(api, 5, "group_two")

    async def first() -> Page:
        data = await api.ok(
            'query($b: [ID!]) { boards(ids: $b) { groups(ids: ["group_two"]) {'
            f" items_page(limit: 2) {{ {ITEMS_PAGE} }} }} }} }}",
            {"b": [SMALL_BOARD_ID]},
        )
        page = data["boards"][0]["groups"][0]["items_page"]
        return [i["id"] for i in page["items"]], page["cursor"]

    async def more(cursor: str) -> Page:
        return await _next(api, cursor, 2)

    assert_pages(await walk_cursor(first, more), ids, 2)


async def drive_items_page_by_column_values(api: Api) -> None:
    ids = await _items(api, 5)

    async def first() -> Page:
        data = await api.ok(
            "query($b: ID!) { items_page_by_column_values(board_id: $b, limit: 2,"
            f' columns: [{{column_id: "text", column_values: ["same"]}}]) {{ {ITEMS_PAGE} }} }}',
            {"b": SMALL_BOARD_ID},
        )
        page = data["items_page_by_column_values"]
        return [i["id"] for i in page["items"]], page["cursor"]

    async def nested(cursor: str) -> Page:
        data = await api.ok(
            "query($b: ID!, $c: String) { items_page_by_column_values(board_id: $b, limit: 2,"
            f" cursor: $c) {{ {ITEMS_PAGE} }} }}",
            {"b": SMALL_BOARD_ID, "c": cursor},
        )
        page = data["items_page_by_column_values"]
        return [i["id"] for i in page["items"]], page["cursor"]

    async def root(cursor: str) -> Page:
        return await _next(api, cursor, 2)

    assert_pages(await walk_cursor(first, nested), ids, 2)
    assert_pages(await walk_cursor(first, root), ids, 2)


DRIVERS: dict[str, Callable[[Api], Awaitable[None]]] = {
    "Query.items": drive_query_items,
    "Query.boards": drive_query_boards,
    "Board.updates": lambda api: drive_updates(api, "Board"),
    "Item.updates": lambda api: drive_updates(api, "Item"),
    "Board.items_page": drive_board_items_page,
    "Group.items_page": drive_group_items_page,
    "Query.items_page_by_column_values": drive_items_page_by_column_values,
    "Query.next_items_page": drive_board_items_page,  # every cursor walk ends there
}


def test_every_paged_field_is_driven() -> None:
    assert paged_fields() == set(DRIVERS)


async def test_query_items_pages(api: Api) -> None:
    await DRIVERS["Query.items"](api)


async def test_query_boards_pages(api: Api) -> None:
    await DRIVERS["Query.boards"](api)


async def test_updates_pages(api: Api) -> None:
    await DRIVERS["Board.updates"](api)
    await DRIVERS["Item.updates"](api)


async def test_board_items_page_cursor(api: Api) -> None:
    await DRIVERS["Board.items_page"](api)


async def test_group_items_page_cursor(api: Api) -> None:
    await DRIVERS["Group.items_page"](api)


async def test_items_page_by_column_values_cursor(api: Api) -> None:
    await DRIVERS["Query.items_page_by_column_values"](api)


async def test_page_and_limit_below_one_are_refused(api: Api) -> None:
    for args in ("limit: 0", "page: 0", "limit: -1, page: 2"):
        for root in ("items", "boards"):
            reply = await api.gql(f"{{ {root}({args}) {{ id }} }}")
            assert reply.codes() == ["InvalidArgumentException"], (root, args)


async def test_items_limit_is_capped_at_100(api: Api) -> None:
    """The official Python SDK: ``items`` returns at most 100 items a page. A larger
    ``limit`` gives pages of 100 that still don't overlap."""
    await _items(api, 5)
    data = await api.ok("{ items(limit: 500) { id } }")
    assert len(data["items"]) == len(api.state.store.items)
    api.state.settings.items_ids_max = 2  # a smaller cap shows the paging
    seen: list[Any] = []
    for page in (1, 2):
        data = await api.ok("query($p: Int) { items(limit: 500, page: $p) { id } }", {"p": page})
        assert len(data["items"]) == 2
        seen += [i["id"] for i in data["items"]]
    assert len(set(seen)) == 4
