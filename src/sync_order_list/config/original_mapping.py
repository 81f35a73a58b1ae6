"""Turn the original pipeline's board mapping (``original_board_mapping.json``) into
our settings, so ``doctor`` can judge that mapping as it was.

The JSON lists, per board, monday columns with the database columns feeding each
(``db_columns``), label creation per column, the group/item/subitem name rules, the
size markers and the business key. Everything else (environments, batch sizes,
tables, ...) comes from ``base_settings``. Defects are kept, not repaired: a monday
column fed by two database columns becomes two entries pointing at the same id, for
``mapping_findings`` to report.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from pydantic import ValidationError

from sync_order_list.config.models import Settings
from sync_order_list.errors import ConfigError

SOURCE = "original_board_mapping.json"


def _board_mapping(board: Mapping[str, Any], where: str) -> dict[str, Any]:
    columns: dict[str, str] = {}
    for entry in board.get("columns") or []:
        for db_column in entry.get("db_columns") or []:
            if db_column in columns and columns[db_column] != entry["id"]:
                raise ConfigError(
                    f"database column {db_column!r} feeds both {columns[db_column]!r} and "
                    f"{entry['id']!r}",
                    key=f"{where}.columns",
                    file=SOURCE,
                )
            columns[db_column] = str(entry["id"])
    flags = {str(k): bool(v) for k, v in (board.get("create_labels_if_missing") or {}).items()}
    return {"columns": columns, "create_labels_if_missing": flags}


def from_original_mapping(data: Mapping[str, Any], base_settings: Settings) -> Settings:
    """``base_settings`` with the mapping, names, size markers and business key of the
    original JSON. Raises ConfigError when the JSON lacks a part or cannot be a mapping."""
    try:
        items = _board_mapping(data["items_board"], "items_board")
        subitems = _board_mapping(data["subitems_board"], "subitems_board")
        key = str(data["business_key"])
        group = data["group_name"]
        item = data["item_name"]
    except (KeyError, TypeError) as exc:
        raise ConfigError(f"not an original board mapping: missing {exc}", file=SOURCE) from None
    key_column = items["columns"].get(key)
    if key_column is None:
        raise ConfigError(
            f"the business key {key!r} is not mapped to any items column",
            key="business_key",
            file=SOURCE,
        )

    raw = base_settings.model_dump(by_alias=True)
    raw["merge"]["business_key"] = key
    sizes = data.get("size_columns") or {}
    for marker in ("start_after", "end_before"):
        if marker in sizes:
            raw["merge"]["size_columns"][marker] = str(sizes[marker])
    raw["names"]["group"] = {
        "columns": list(group["columns"]),
        "fallback_columns": list(group.get("fallback_columns") or []),
        "separator": str(group.get("separator", " ")),
        "fallback_value": str(group.get("fallback_value", "check")),
    }
    raw["names"]["item"] = {
        "columns": list(item["columns"]),
        "separator": str(item.get("separator", " ")),
        "fallback_value": item.get("fallback_value"),
    }
    if data.get("subitem_name"):
        raw["names"]["subitem"] = {"template": str(data["subitem_name"])}
    raw["monday"]["business_key_column"] = key_column
    raw["monday"]["items"] = items
    raw["monday"]["subitems"] = subitems
    try:
        return Settings.model_validate(raw)
    except ValidationError as exc:
        problems = "; ".join(
            f"[{'.'.join(str(p) for p in e['loc'])}] {e['msg']}" for e in exc.errors()
        )
        raise ConfigError(
            f"the original mapping does not convert: {problems}", file=SOURCE
        ) from None
