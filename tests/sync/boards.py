"""Board schemas for planner tests, built from the shipped mapping (no network)."""

from __future__ import annotations

import json
from typing import Any

from sync_order_list.config import Settings
from sync_order_list.monday.schema import BoardSchema

ITEMS_BOARD = "8709134353"
SUBITEMS_BOARD = "8709134376"
PREFIX_TYPES = {
    "text_": "text",
    "long_text_": "long_text",
    "dropdown_": "dropdown",
    "date_": "date",
    "numeric_": "numbers",
    "color_": "status",
}
LABELS = {
    "dropdown_mkr542p2": [
        "GREYSON",
        "TITLE NINE",
        "JOHNNIE-O",
        "RHONE",
        "BORN PRIMITIVE",
        "WHITE FOX",
        "MACK WELDON",
        "CAFÉ DU CYCLISTE",
    ],
    "dropdown_mkr518fc": ["ACTIVE", "CANCELLED", "DEVELOPMENT", "REPLENISHMENT", "BULK"],
}
STATUS = {"color_mkr5yf27": {"0": "EACH", "1": "PACK", "2": "SET", "3": "PAIR"}}


def column_type(column_id: str) -> str:
    for prefix, type_ in PREFIX_TYPES.items():
        if column_id.startswith(prefix):
            return type_
    raise ValueError(column_id)


def _column(column_id: str, title: str) -> dict[str, Any]:
    type_ = column_type(column_id)
    settings: dict[str, Any] = {}
    if type_ == "dropdown":
        names = LABELS.get(column_id, [])
        settings = {"labels": [{"id": i + 1, "name": n} for i, n in enumerate(names)]}
    if type_ == "status":
        settings = {"labels": STATUS.get(column_id, {})}
    return {"id": column_id, "title": title, "type": type_, "settings_str": json.dumps(settings)}


def board_schema(settings: Settings, groups: dict[str, str] | None = None) -> BoardSchema:
    items_cols = [{"id": "name", "title": "Name", "type": "name", "settings_str": "{}"}]
    items_cols.append(
        {
            "id": "subitems",
            "title": "Subitems",
            "type": "subtasks",
            "settings_str": json.dumps({"boardIds": [int(SUBITEMS_BOARD)]}),
        }
    )
    for db_col, col_id in settings.monday.items.columns.items():
        items_cols.append(_column(col_id, db_col))
    sub_cols = [{"id": "name", "title": "Name", "type": "name", "settings_str": "{}"}]
    for db_col, col_id in settings.monday.subitems.columns.items():
        sub_cols.append(_column(col_id, db_col))
    data = {
        "boards": [
            {
                "id": ITEMS_BOARD,
                "name": "orders",
                "type": "board",
                "columns": items_cols,
                "groups": [{"id": gid, "title": t} for t, gid in (groups or {}).items()],
            },
            {
                "id": SUBITEMS_BOARD,
                "name": "Subitems of orders",
                "type": "sub_items_board",
                "columns": sub_cols,
                "groups": [{"id": "topics", "title": "Subitems"}],
            },
        ]
    }
    return BoardSchema.from_response(data, ITEMS_BOARD)
