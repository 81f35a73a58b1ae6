"""Exactly once: find on the board what a create whose outcome is unknown may have made.

Every item carries its order's business key in a text column, so an order whose create
may have landed (a document cut by monday's 60 s limit, a 500 after some aliases ran, a
document too old to replay) is looked up by key before anything is created again; a
size line by its parent's subitems and their size. What is found comes back with the
values it holds, so the caller adopts it and sends only what differs.
"""

from __future__ import annotations

import logging
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from sync_order_list.merge.keys import key_match_form
from sync_order_list.monday import MondayClient, single
from sync_order_list.monday.schema import Board
from sync_order_list.sync.rows import GROUP_KEY, NAME_KEY

log = logging.getLogger("sync_order_list.sync")

LOOKUP_CHUNK = 100  # keys per items_page_by_column_values request
PAGE_LIMIT = 500
PARENTS_CHUNK = 100  # items(ids:) takes at most 100 ids


def lookup_form(key: str) -> str:
    """How keys compare on monday's side: exact text, case-insensitive; with the
    merge's whitespace rule (the canonical business key), so a key matches itself."""
    return key_match_form(key)


@dataclass(frozen=True)
class BoardItem:
    """An item as the board holds it: id, name, group, column texts by id."""

    id: str
    name: str
    group_id: str | None
    group_title: str | None
    texts: Mapping[str, str | None]

    def snapshot(self, board: Board, column_ids: Iterable[str]) -> dict[str, str]:
        """What the board holds, in the planner's comparable form (``synced_values``)."""
        from sync_order_list.monday.encoders import comparable

        out: dict[str, str] = {}
        for column_id in column_ids:
            column = board.columns.get(column_id)
            out[column_id] = comparable(self.texts.get(column_id), column.type if column else None)
        out[NAME_KEY] = comparable(self.name, "name")
        out[GROUP_KEY] = self.group_title or ""
        return out


@dataclass
class Found:
    """Key -> the item found (the oldest when several); keys that matched more than one."""

    items: dict[str, BoardItem] = field(default_factory=dict)
    duplicates: dict[str, list[str]] = field(default_factory=dict)

    @property
    def ids(self) -> dict[str, str]:
        return {key: item.id for key, item in self.items.items()}


async def find_items_by_key(
    client: MondayClient,
    board_id: str,
    key_column: str,
    keys: Iterable[str],
    *,
    column_ids: Sequence[str] | None = None,
) -> Found:
    """Look keys up in the board's key column (exact, case-insensitive on monday).

    ``column_ids``: the columns whose values to bring back (the key column always).
    """
    wanted = {lookup_form(k): k for k in keys}
    columns = list(dict.fromkeys([key_column, *(column_ids or ())]))
    found = Found()
    matches: dict[str, list[BoardItem]] = {}
    key_list = list(wanted.values())
    for start in range(0, len(key_list), LOOKUP_CHUNK):
        chunk = key_list[start : start + LOOKUP_CHUNK]
        doc = single(
            "items_by_column_values",
            {
                "board_id": board_id,
                "column_id": key_column,
                "values": chunk,
                "limit": PAGE_LIMIT,
                "column_ids": columns,
            },
        )
        response = await client.execute(doc, idempotent=True, operation="lookup_items_by_key")
        page = (response.data or {}).get("items_page_by_column_values") or {}
        while True:
            for raw in page.get("items") or []:
                item = _board_item(raw)
                text = item.texts.get(key_column)
                if text is not None and lookup_form(text) in wanted:
                    matches.setdefault(wanted[lookup_form(text)], []).append(item)
            cursor = page.get("cursor")
            if not cursor:
                break
            nxt = single(
                "next_items_page", {"cursor": cursor, "limit": PAGE_LIMIT, "column_ids": columns}
            )
            response = await client.execute(nxt, idempotent=True, operation="lookup_next_page")
            page = (response.data or {}).get("next_items_page") or {}
    for key, items in matches.items():
        ordered = sorted({i.id: i for i in items}.values(), key=lambda i: int(i.id))
        found.items[key] = ordered[0]
        if len(ordered) > 1:
            found.duplicates[key] = [i.id for i in ordered]
            log.warning(
                "order %r has %d items on the board: %s",
                key,
                len(ordered),
                [i.id for i in ordered],
            )
    return found


@dataclass(frozen=True)
class BoardSubitem:
    id: str
    qty: int | None


async def find_subitems(
    client: MondayClient,
    parent_ids: Iterable[str],
    size_column: str | None,
    name_of: Mapping[str, str] | None = None,
    qty_column: str | None = None,
) -> dict[tuple[str, str], BoardSubitem]:
    """(parent item id, size code) -> the subitem, for the given parents.

    A subitem is matched by its size column's text, or else by its name (the configured
    subitem name of that size, given in ``name_of``: name -> size code); the oldest
    wins when a size appears twice.
    """
    result: dict[tuple[str, str], BoardSubitem] = {}
    parents = list(dict.fromkeys(parent_ids))
    columns = [c for c in (size_column, qty_column) if c]
    for start in range(0, len(parents), PARENTS_CHUNK):
        chunk = parents[start : start + PARENTS_CHUNK]
        variables: dict[str, Any] = {"item_ids": chunk, "limit": len(chunk)}
        if columns:
            variables["column_ids"] = columns
        response = await client.execute(
            single("subitems_of_items", variables), idempotent=True, operation="lookup_subitems"
        )
        for item in (response.data or {}).get("items") or []:
            for sub in item.get("subitems") or []:
                texts = _texts(sub)
                size = texts.get(size_column) if size_column else None
                if not size and name_of:
                    size = name_of.get(str(sub.get("name")))
                if not size:
                    continue
                ident = (str(item["id"]), str(size).strip())
                current = result.get(ident)
                if current is None or int(sub["id"]) < int(current.id):
                    qty = _int_or_none(texts.get(qty_column)) if qty_column else None
                    result[ident] = BoardSubitem(str(sub["id"]), qty)
    return result


async def find_groups(client: MondayClient, board_id: str) -> dict[str, list[str]]:
    """Title -> group ids with that title, as the board has them now (board order)."""
    from sync_order_list.monday import fetch_groups

    groups: dict[str, list[str]] = {}
    for group in await fetch_groups(client, board_id):
        groups.setdefault(group.title, []).append(group.id)
    return groups


async def group_item_ids(client: MondayClient, board_id: str, group_id: str) -> list[str]:
    """Every item id in one group."""
    doc = single("group_items", {"board_ids": [board_id], "group_ids": [group_id], "limit": 500})
    response = await client.execute(doc, idempotent=True, operation="group_items")
    ids: list[str] = []
    page: Mapping[str, Any] = {}
    for board in (response.data or {}).get("boards") or []:
        for group in board.get("groups") or []:
            page = group.get("items_page") or {}
    while True:
        ids += [str(i["id"]) for i in page.get("items") or []]
        cursor = page.get("cursor")
        if not cursor:
            return ids
        nxt = single("next_items_page", {"cursor": cursor, "limit": 500, "column_ids": []})
        response = await client.execute(nxt, idempotent=True, operation="group_items_next")
        page = (response.data or {}).get("next_items_page") or {}


def _board_item(raw: Mapping[str, Any]) -> BoardItem:
    group = raw.get("group") or {}
    return BoardItem(
        id=str(raw["id"]),
        name=str(raw.get("name") or ""),
        group_id=str(group["id"]) if group.get("id") is not None else None,
        group_title=group.get("title"),
        texts=_texts(raw),
    )


def _texts(item: Mapping[str, Any]) -> dict[str, str | None]:
    out: dict[str, str | None] = {}
    for value in item.get("column_values") or []:
        text = value.get("text")
        out[str(value.get("id"))] = None if text is None else str(text).strip()
    return out


def _int_or_none(text: str | None) -> int | None:
    if text is None or not text.strip():
        return None
    try:
        number = float(text)
    except ValueError:
        return None
    return int(number) if number.is_integer() else None
