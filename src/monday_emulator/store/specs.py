"""Board specs: load a board (columns, labels, groups, subitems board, items) from a
JSON document, and dump a board with its items for tests and the admin API.

Spec format (one board; a file may also hold ``{"boards": [spec, ...]}``)::

    {
      "id": "8709134353",                 # optional, generated when absent
      "name": "ORDER LIST (development)",
      "board_kind": "public",             # optional: public | private | share
      "groups": [{"id": "topics", "title": "Topics"}],   # optional, default as shown
      "columns": [                        # the "name" column is implicit
        {"id": "text_mkr5wya6", "title": "AAG ORDER NUMBER", "type": "text"},
        {"id": "dropdown_mkr542p2", "title": "CUSTOMER NAME", "type": "dropdown",
         "labels": ["GREYSON", "RHONE"]},                       # dropdown: ids 1..n
        {"id": "color_mkr5yf27", "title": "UNIT OF MEASURE", "type": "status",
         "labels": {"0": "EACH", "1": "PACK", "5": ""}},        # status: index -> label
        {"id": "subitems", "title": "Subitems", "type": "subtasks"}
      ],
      "subitems": {                       # the subitems board (needs a subtasks column)
        "id": "8709134376", "name": "Subitems of ORDER LIST (development)",
        "columns": [{"id": "numeric_mkra7j8e", "title": "Order Qty", "type": "numbers"}]
      },
      "items": [                          # optional; values in monday's write format
        {"name": "Order 1", "group": "topics", "values": {"text_mkr5wya6": "A1"},
         "subitems": [{"name": "Size S", "values": {"numeric_mkra7j8e": "3"}}]}
      ]
    }
"""

from __future__ import annotations

import json
from importlib import resources
from pathlib import Path
from typing import Any

from .columns import default_settings, render, status_settings
from .model import ACTIVE, Board, Item
from .store import Store

DEMO_BOARD = "demo_board.json"
SMALL_BOARD = "small_board.json"


def builtin_spec(name: str) -> dict[str, Any]:
    """A spec shipped in ``monday_emulator/store/boards/``."""
    text = resources.files("monday_emulator.store").joinpath("boards", name).read_text("utf-8")
    return json.loads(text)


def read_specs(path: str | Path) -> list[dict[str, Any]]:
    data = json.loads(Path(path).read_text("utf-8"))
    return specs_of(data)


def specs_of(data: Any) -> list[dict[str, Any]]:
    if isinstance(data, dict) and "boards" in data:
        return list(data["boards"])
    if isinstance(data, list):
        return list(data)
    return [data]


def _column_settings(spec: dict[str, Any]) -> dict[str, Any] | None:
    if "settings" in spec:
        return dict(spec["settings"])
    kind = spec["type"]
    labels = spec.get("labels")
    if kind == "status" and labels is not None:
        if isinstance(labels, list):
            labels = {str(i): str(label) for i, label in enumerate(labels)}
        return status_settings({str(k): str(v) for k, v in labels.items()})
    if kind == "dropdown" and labels is not None:
        return default_settings("dropdown", {"labels": labels})
    return None


def load_board(store: Store, spec: dict[str, Any]) -> Board:
    """Create the board a spec describes (raises MondayError/ValueError if invalid)."""
    if not isinstance(spec, dict) or not spec.get("name"):
        raise ValueError("a board spec needs a name")
    groups = spec.get("groups")
    board = store.create_board(
        spec["name"],
        spec.get("board_kind", "public"),
        description=spec.get("description"),
        board_id=str(spec["id"]) if spec.get("id") is not None else None,
        default_group=None if groups else ("topics", "Topics"),
    )
    for position, group in enumerate(groups or []):
        created = store.create_group(
            board,
            group["title"],
            color=group.get("color"),
            gid=group.get("id"),
            position=str(65536.0 * (position + 1)),
        )
        created.archived = bool(group.get("archived", False))
    sub_spec = spec.get("subitems")
    for column in spec.get("columns", []):
        if column["type"] == "name":
            board.columns["name"].title = column.get("title", "Name")
            continue
        sub_id = None
        if column["type"] == "subtasks" and sub_spec and sub_spec.get("id") is not None:
            sub_id = str(sub_spec["id"])
        store.create_column(
            board,
            column["type"],
            column["title"],
            col_id=column.get("id"),
            description=column.get("description"),
            settings=_column_settings(column),
            subitems_board_id=sub_id,
        )
    sub_board = store.subitems_board_of(board)
    if sub_spec:
        if sub_board is None:
            raise ValueError("'subitems' needs a column of type subtasks")
        if sub_spec.get("name"):
            sub_board.name = sub_spec["name"]
        for column in sub_spec.get("columns", []):
            if column["type"] == "name":
                continue
            store.create_column(
                sub_board,
                column["type"],
                column["title"],
                col_id=column.get("id"),
                settings=_column_settings(column),
            )
    create_labels = bool(spec.get("create_labels_if_missing", True))
    for item_spec in spec.get("items", []):
        item = store.create_item(
            board, item_spec["name"], item_spec.get("group"), item_spec.get("values"), create_labels
        )
        if item_spec.get("state") == "archived":
            store.archive_item(item.id)
        elif item_spec.get("state") == "deleted":
            store.delete_item(item.id)
        for sub in item_spec.get("subitems", []):
            store.create_subitem(item.id, sub["name"], sub.get("values"), create_labels)
    store.flush()
    return board


def dump_item(store: Store, board: Board, item: Item, with_subitems: bool = True) -> dict[str, Any]:
    group = board.groups.get(item.group_id)
    values = {}
    for column in board.columns.values():
        if column.type == "name":
            continue
        subitems = store.subitems_of(item) if column.type == "subtasks" else None
        rendered = render(column, item.values.get(column.id), subitems)
        values[column.id] = {"text": rendered["text"], "value": rendered["value"]}
    out: dict[str, Any] = {
        "id": item.id,
        "name": item.name,
        "state": item.state,
        "group": {"id": item.group_id, "title": group.title if group else None},
        "parent_item_id": item.parent_id,
        "created_at": item.created_at,
        "updated_at": item.updated_at,
        "column_values": values,
    }
    if with_subitems and item.parent_id is None:
        sub_board = store.subitems_board_of(board)
        out["subitems"] = (
            [
                dump_item(store, sub_board, child, with_subitems=False)
                for child in store.subitems_of(item, (ACTIVE, "archived", "deleted"))
            ]
            if sub_board
            else []
        )
    return out


def dump_board(store: Store, board: Board, states: tuple[str, ...] | None = None) -> dict[str, Any]:
    """The board with its columns, groups, items, subitems and values."""
    wanted = states or (ACTIVE, "archived", "deleted")
    sub_board = store.subitems_board_of(board)
    return {
        "id": board.id,
        "name": board.name,
        "type": board.type,
        "board_kind": board.board_kind,
        "state": board.state,
        "parent_board_id": board.parent_board_id,
        "items_count": store.count_items(board.id, (ACTIVE,)),
        "columns": [
            {
                "id": c.id,
                "title": c.title,
                "type": c.type,
                "settings_str": c.settings_str,
                "settings": c.settings,
            }
            for c in board.columns.values()
        ],
        "groups": [
            {
                "id": g.id,
                "title": g.title,
                "color": g.color,
                "position": g.position_str,
                "archived": g.archived,
                "deleted": g.deleted,
            }
            for g in sorted(board.groups.values(), key=lambda g: g.position)
        ],
        "subitems_board": (
            {
                "id": sub_board.id,
                "name": sub_board.name,
                "columns": [
                    {"id": c.id, "title": c.title, "type": c.type, "settings_str": c.settings_str}
                    for c in sub_board.columns.values()
                ],
            }
            if sub_board
            else None
        ),
        "items": [
            dump_item(store, board, item) for item in store.board_item_list(board.id, wanted)
        ],
    }
