"""Column values -> bulk import CSV cells. Pure.

The planner encodes a value once, as ``create_item``'s ``column_values`` take it; a
bulk file carries the same value in monday's simple string form for the column's type
(docs/emulator.md "The file" lists them). A value that has no such form (a checkbox,
a label with a comma in a dropdown, an index without a known label) raises
``NotImportable``: that order goes through the regular path.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from typing import Any

from sync_order_list.monday.schema import Column

IMPORTABLE_TYPES = frozenset(
    {"text", "long_text", "numbers", "status", "dropdown", "date", "email", "link", "phone",
     "timeline", "name"}
)  # fmt: skip


class NotImportable(ValueError):
    """This value can't be written by a bulk import; the message says why."""


def parse_column_values(raw: Any) -> dict[str, Any]:
    """``column_values`` as the planner put them (a JSON string or a mapping)."""
    if raw is None or raw == "":
        return {}
    if isinstance(raw, Mapping):
        return dict(raw)
    value = json.loads(raw)
    if not isinstance(value, dict):
        raise NotImportable("column_values is not a JSON object")
    return value


def cell(column: Column, value: Any) -> str:
    """The CSV cell for ``value`` in ``column`` ('' for no value)."""
    if value is None or value == "" or value == {}:
        return ""
    kind = column.type
    if kind not in IMPORTABLE_TYPES:
        raise NotImportable(
            f"column {column.id!r} is a {kind} column, which bulk import can't write"
        )
    if kind in ("text", "numbers", "name"):
        return _plain(column, value)
    if kind == "long_text":
        return _plain(column, value.get("text") if isinstance(value, Mapping) else value)
    if kind == "status":
        return _status(column, value)
    if kind == "dropdown":
        return _dropdown(column, value)
    if kind == "date":
        return _date(column, value)
    if kind == "email":
        return _pair(column, value, "email", "text")
    if kind == "link":
        return _pair(column, value, "url", "text")
    if kind == "phone":
        return _pair(column, value, "phone", "countryShortName")
    # timeline
    if not isinstance(value, Mapping) or not value.get("from") or not value.get("to"):
        raise NotImportable(f"column {column.id!r}: {value!r} is not a timeline")
    return f"{value['from']} - {value['to']}"


def _plain(column: Column, value: Any) -> str:
    if isinstance(value, (Mapping, list)):
        raise NotImportable(f"column {column.id!r}: {value!r} is not a plain value")
    return str(value)


def _status(column: Column, value: Any) -> str:
    if isinstance(value, str):
        return value
    if isinstance(value, Mapping) and "label" in value:
        return str(value["label"])
    if isinstance(value, Mapping) and "index" in value:
        label = column.labels.get(int(value["index"]))
        if label:
            return label
    raise NotImportable(f"column {column.id!r}: {value!r} names no existing status label")


def _dropdown(column: Column, value: Any) -> str:
    if isinstance(value, Mapping) and "labels" in value:
        names = [str(n) for n in value["labels"]]
    elif isinstance(value, Mapping) and "ids" in value:
        labels = column.labels
        try:
            names = [labels[int(i)] for i in value["ids"]]
        except (KeyError, ValueError):
            raise NotImportable(f"column {column.id!r}: {value!r} names an unknown label") from None
    else:
        raise NotImportable(f"column {column.id!r}: {value!r} is not a dropdown value")
    if any("," in n for n in names):
        raise NotImportable(f"column {column.id!r}: a label with a comma can't be imported")
    return ",".join(names)


def _date(column: Column, value: Any) -> str:
    if isinstance(value, str):
        return value
    if isinstance(value, Mapping) and value.get("date"):
        time = value.get("time")
        return f"{value['date']} {time}" if time else str(value["date"])
    raise NotImportable(f"column {column.id!r}: {value!r} is not a date")


def _pair(column: Column, value: Any, first: str, second: str) -> str:
    if isinstance(value, str):
        return value
    if not isinstance(value, Mapping) or not value.get(first):
        raise NotImportable(f"column {column.id!r}: {value!r} has no {first}")
    main, extra = str(value[first]), value.get(second)
    if " " in main:
        raise NotImportable(f"column {column.id!r}: {main!r} holds a space")
    return f"{main} {extra}" if extra and str(extra) != main else main


def labels_used(column: Column, value: Any) -> list[str]:
    """Status or dropdown labels a value names (for the labels-exist check)."""
    if value is None or column.type not in ("status", "dropdown"):
        return []
    text = cell(column, value)
    if not text:
        return []
    return [text] if column.type == "status" else text.split(",")
