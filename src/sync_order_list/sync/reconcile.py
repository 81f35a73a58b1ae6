"""Exactly once: find on the board what a create whose outcome is unknown may have made.

Every item carries its order's business key in a text column, so an order whose create
may have landed (a dead run left it in flight, or a request timed out after sending) is
looked up by key before anything is created again; a size line by its parent's
subitems and their size. What is found is adopted; only what is really missing is
created.
"""

from __future__ import annotations

import logging
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from sync_order_list.merge.keys import key_match_form
from sync_order_list.monday import MondayClient, single

log = logging.getLogger("sync_order_list.sync")

LOOKUP_CHUNK = 100  # keys per items_page_by_column_values request
PAGE_LIMIT = 500
PARENTS_CHUNK = 100  # items(ids:) takes at most 100 ids


@dataclass
class Found:
    """Key -> item id found on the board; keys that matched more than one item."""

    ids: dict[str, str] = field(default_factory=dict)
    duplicates: dict[str, list[str]] = field(default_factory=dict)


async def find_items_by_key(
    client: MondayClient, board_id: str, key_column: str, keys: Iterable[str]
) -> Found:
    """Look keys up in the board's key column (exact, case-insensitive on monday)."""
    wanted = {key_match_form(k): k for k in keys}
    found = Found()
    matches: dict[str, list[str]] = {}
    key_list = list(wanted.values())
    for start in range(0, len(key_list), LOOKUP_CHUNK):
        chunk = key_list[start : start + LOOKUP_CHUNK]
        doc = single(
            "items_by_column_values",
            {"board_id": board_id, "column_id": key_column, "values": chunk, "limit": PAGE_LIMIT},
        )
        response = await client.execute(doc, idempotent=True, operation="lookup_items_by_key")
        page = (response.data or {}).get("items_page_by_column_values") or {}
        while True:
            for item in page.get("items") or []:
                text = _column_text(item, key_column)
                if text is not None and key_match_form(text) in wanted:
                    matches.setdefault(wanted[key_match_form(text)], []).append(str(item["id"]))
            cursor = page.get("cursor")
            if not cursor:
                break
            nxt = single(
                "next_items_page",
                {"cursor": cursor, "limit": PAGE_LIMIT, "column_id": key_column},
            )
            response = await client.execute(nxt, idempotent=True, operation="lookup_next_page")
            page = (response.data or {}).get("next_items_page") or {}
    for key, ids in matches.items():
        ordered = sorted(set(ids), key=int)
        found.ids[key] = ordered[0]
        if len(ordered) > 1:
            found.duplicates[key] = ordered
            log.warning("order %r has %d items on the board: %s", key, len(ordered), ordered)
    return found


async def find_subitems(
    client: MondayClient,
    parent_ids: Iterable[str],
    size_column: str | None,
    name_of: Mapping[str, str] | None = None,
) -> dict[tuple[str, str], str]:
    """(parent item id, size code) -> subitem id, for the given parents.

    A subitem is matched by its size column's text, or else by its name (the configured
    subitem name of that size, given in ``name_of``: name -> size code).
    """
    result: dict[tuple[str, str], str] = {}
    parents = list(dict.fromkeys(parent_ids))
    for start in range(0, len(parents), PARENTS_CHUNK):
        chunk = parents[start : start + PARENTS_CHUNK]
        variables: dict[str, Any] = {"item_ids": chunk, "limit": len(chunk)}
        if size_column:
            variables["column_ids"] = [size_column]
        response = await client.execute(
            single("subitems_of_items", variables), idempotent=True, operation="lookup_subitems"
        )
        for item in (response.data or {}).get("items") or []:
            for sub in item.get("subitems") or []:
                size = _column_text(sub, size_column) if size_column else None
                if not size and name_of:
                    size = name_of.get(str(sub.get("name")))
                if size:
                    ident = (str(item["id"]), size)
                    current = result.get(ident)
                    if current is None or int(sub["id"]) < int(current):
                        result[ident] = str(sub["id"])
    return result


async def find_groups(client: MondayClient, board_id: str) -> dict[str, str]:
    """Title -> group id as the board has them now (first wins on duplicate titles)."""
    from sync_order_list.monday import fetch_groups

    groups: dict[str, str] = {}
    for group in await fetch_groups(client, board_id):
        groups.setdefault(group.title, group.id)
    return groups


def _column_text(item: Mapping[str, Any], column_id: str | None) -> str | None:
    for value in item.get("column_values") or []:
        if value.get("id") == column_id:
            text = value.get("text")
            return None if text is None else str(text).strip()
    return None


def chunks(seq: Sequence[Any], size: int) -> list[Sequence[Any]]:
    return [seq[i : i + size] for i in range(0, len(seq), max(1, size))]
