"""verify's board side: every active item of the items board, page by page, with the
columns the tool maps and its subitems' size and quantity; then what became of items
the database points at that are not among them (archived, deleted, gone).

Reads only, through the normal client: the scheduler spends monday's complexity budget
(a 500-item page with 45 columns and subitems costs about 135,000 points in the
emulator, so a full 10,000-item board is about 2.7 M, well inside one minute's 10 M).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any

from sync_order_list.config import Settings
from sync_order_list.errors import MondayApiError
from sync_order_list.monday import MondayClient, single
from sync_order_list.monday.schema import BoardSchema
from sync_order_list.verify.model import BoardItem, BoardSnapshot, BoardSubitem

PAGE_LIMIT = 500  # monday's largest items page
STATE_CHUNK = 100  # items(ids:) takes at most 100 ids
SUBITEMS_PER_ITEM = 25  # how monday prices an unbounded subitems list


def page_cost_estimate(limit: int, columns: int, subitem_columns: int) -> int:
    """An upper bound of one page's complexity, before monday has said what it costs."""
    per_subitem = 3 + 3 * subitem_columns
    per_item = 6 + 3 * columns + SUBITEMS_PER_ITEM * per_subitem
    return limit * per_item + 10


async def read_board(
    client: MondayClient,
    schema: BoardSchema,
    settings: Settings,
    *,
    page_limit: int = PAGE_LIMIT,
) -> BoardSnapshot:
    """Every active item of the items board (and its subitems), by pages."""
    columns = list(dict.fromkeys(settings.monday.items.columns.values()))
    sub_columns = list(dict.fromkeys(settings.monday.subitems.columns.values()))
    variables: dict[str, Any] = {
        "limit": page_limit,
        "column_ids": columns,
        "subitem_column_ids": sub_columns,
    }
    estimate = page_cost_estimate(page_limit, len(columns), len(sub_columns))
    board_id = schema.items.id
    first = single("verify_items_page", {"board_id": board_id, **variables})
    response = await client.execute(first, idempotent=True, estimated_cost=estimate)
    _raise_errors(response.errors)
    boards = (response.data or {}).get("boards") or []
    if not boards:
        raise MondayApiError(f"board {board_id} not found", code="InvalidBoardIdException")
    page = boards[0].get("items_page") or {}
    items: list[BoardItem] = []
    pages = 1
    while True:
        items += [_item(raw) for raw in page.get("items") or []]
        cursor = page.get("cursor")
        if not cursor:
            break
        nxt = single("verify_next_items_page", {"cursor": cursor, **variables})
        response = await client.execute(nxt, idempotent=True, estimated_cost=estimate)
        _raise_errors(response.errors)
        page = (response.data or {}).get("next_items_page") or {}
        pages += 1
    subitems = schema.subitems
    return BoardSnapshot(
        board_id=board_id,
        items=tuple(items),
        groups={g.id: g.title for g in schema.items.groups},
        column_types={c.id: c.type for c in schema.items.columns.values()},
        subitem_column_types={c.id: c.type for c in subitems.columns.values()} if subitems else {},
        pages=pages,
    )


async def item_states(client: MondayClient, board_id: str, ids: Iterable[str]) -> dict[str, str]:
    """Item id -> its state (``active``, ``archived``, ``deleted``) for the ids monday
    still knows on this board; an id it does not know is left out."""
    wanted = list(dict.fromkeys(i for i in ids if i))
    out: dict[str, str] = {}
    for start in range(0, len(wanted), STATE_CHUNK):
        chunk = wanted[start : start + STATE_CHUNK]
        doc = single("items_state", {"item_ids": chunk, "limit": len(chunk)})
        response = await client.execute(doc, idempotent=True)
        _raise_errors(response.errors)
        for item in (response.data or {}).get("items") or []:
            if item and str((item.get("board") or {}).get("id")) == str(board_id):
                out[str(item["id"])] = str(item.get("state") or "")
    return out


def _item(raw: Mapping[str, Any]) -> BoardItem:
    return BoardItem(
        id=str(raw["id"]),
        name=str(raw.get("name") or ""),
        group_id=str((raw.get("group") or {}).get("id") or "") or None,
        values=_values(raw.get("column_values")),
        subitems=tuple(
            BoardSubitem(
                id=str(sub["id"]),
                name=str(sub.get("name") or ""),
                values=_values(sub.get("column_values")),
            )
            for sub in raw.get("subitems") or []
            if sub
        ),
    )


def _values(raw: Any) -> dict[str, str | None]:
    out: dict[str, str | None] = {}
    for value in raw or []:
        text = value.get("text")
        out[str(value.get("id"))] = None if text is None else str(text)
    return out


def _raise_errors(errors: Any) -> None:
    if errors:
        first = errors[0]
        raise MondayApiError(
            f"reading the board: {first.message}",
            code=first.code,
            error_data=dict(first.error_data),
        )
