"""Column value codecs, one per column type: parse what a client writes (JSON or
monday's simple string format), and render what reads return (``text`` and
``value``, the latter a JSON string or null), as monday does.

Parsing never mutates the board: labels that ``create_labels_if_missing`` would add
come back as new column settings for the caller to apply once everything is valid.
"""

from __future__ import annotations

import copy
import json
import math
import re
from collections.abc import Callable
from dataclasses import dataclass
from datetime import date
from typing import Any

from .. import strict_json
from ..errors import MondayError, column_value_error, invalid_argument
from .model import Column, Item

# Column types the emulator stores values for, and the GraphQL object type of each.
VALUE_TYPES: dict[str, str] = {
    "text": "TextValue",
    "long_text": "LongTextValue",
    "numbers": "NumbersValue",
    "status": "StatusValue",
    "dropdown": "DropdownValue",
    "date": "DateValue",
    "checkbox": "CheckboxValue",
    "email": "EmailValue",
    "link": "LinkValue",
    "phone": "PhoneValue",
    "timeline": "TimelineValue",
    "subtasks": "SubtasksValue",
}

# monday's internal name for a column type, as it appears in error_data.column_type.
INTERNAL_TYPE = {"status": "color", "checkbox": "boolean", "timeline": "timerange"}

# Prefixes monday gives generated column ids (``text_mkr5wya6``).
ID_PREFIX = {
    "text": "text",
    "long_text": "long_text",
    "numbers": "numeric",
    "status": "color",
    "dropdown": "dropdown",
    "date": "date",
    "checkbox": "boolean",
    "email": "email",
    "link": "link",
    "phone": "phone",
    "timeline": "timerange",
    "subtasks": "subtasks",
}

CREATABLE_TYPES = frozenset(VALUE_TYPES)

STATUS_PALETTE = [
    "#fdab3d", "#00c875", "#df2f4a", "#007eb5", "#9d50dd", "#c4c4c4", "#037f4c",
    "#579bfc", "#cab641", "#ffcb00", "#333333", "#bb3354", "#ff158a", "#ff5ac4",
    "#784bd1", "#9cd326", "#66ccff", "#808080", "#7f5347", "#ff642e",
]  # fmt: skip

DEFAULT_STATUS_LABELS = {"0": "Working on it", "1": "Done", "2": "Stuck", "5": ""}
DEFAULT_STATUS_POSITIONS = {"0": 0, "1": 2, "2": 1, "5": 3}


@dataclass
class Parsed:
    """A parsed write: the stored value (None clears) and, when labels were
    created, the column's new settings."""

    stored: Any
    new_settings: dict[str, Any] | None = None


@dataclass
class WriteContext:
    create_labels: bool
    changed_at: str
    status_labels_max: int = 40
    long_text_max_chars: int | None = 2000


# ---------------------------------------------------------------- settings


def default_settings(column_type: str, defaults: dict[str, Any] | None = None) -> dict[str, Any]:
    """settings_str content of a new column, honouring create_column ``defaults``.
    Defaults of the wrong shape are an ``InvalidArgumentException``."""
    defaults = defaults or {}
    if "settings" in defaults and isinstance(defaults["settings"], dict):
        defaults = defaults["settings"]
    if column_type == "status":
        labels = defaults.get("labels")
        if labels is None:
            return status_settings(dict(DEFAULT_STATUS_LABELS))
        return status_settings(_status_default_labels(labels))
    if column_type == "dropdown":
        return {
            "hide_footer": False,
            "labels": _dropdown_default_labels(defaults.get("labels") or []),
            "deactivated_labels": [],
        }
    return {}


def _bad_defaults(column_type: str, labels: Any) -> MondayError:
    return invalid_argument(
        f"defaults.labels of a {column_type} column must be "
        + (
            'an object of index to label ({"1": "Done"}) or a list of {"index", "label"}'
            if column_type == "status"
            else 'a list of label names or of {"id", "name"}'
        ),
        defaults={"labels": strict_json.echo(labels)},
    )


def _label_index(value: Any) -> int | None:
    if isinstance(value, bool):
        return None
    if isinstance(value, int):
        return value if value >= 0 else None
    if isinstance(value, str) and value.strip().isdigit():
        return int(value.strip())
    return None


def _label_text(value: Any) -> str | None:
    if isinstance(value, bool) or value is None:
        return None
    if isinstance(value, str):
        return value
    if isinstance(value, int | float):
        return _num_str(value)
    return None


def _status_default_labels(labels: Any) -> dict[str, str]:
    pairs: list[tuple[Any, Any]]
    if isinstance(labels, dict):
        pairs = list(labels.items())
    elif isinstance(labels, list):
        if not all(isinstance(lab, dict) for lab in labels):
            raise _bad_defaults("status", labels)
        pairs = [(lab.get("index", i), lab.get("label", "")) for i, lab in enumerate(labels)]
    else:
        raise _bad_defaults("status", labels)
    out: dict[str, str] = {}
    for raw_index, raw_label in pairs:
        index, label = _label_index(raw_index), _label_text(raw_label)
        if index is None or label is None:
            raise _bad_defaults("status", labels)
        out[str(index)] = label
    return out


def _dropdown_default_labels(labels: Any) -> list[dict[str, Any]]:
    if not isinstance(labels, list):
        raise _bad_defaults("dropdown", labels)
    out: list[dict[str, Any]] = []
    for i, lab in enumerate(labels, start=1):
        if isinstance(lab, dict):
            index = _label_index(lab.get("id", i))
            name = _label_text(lab.get("name") if "name" in lab else lab.get("label"))
        else:
            index, name = i, _label_text(lab)
        if index is None or name is None:
            raise _bad_defaults("dropdown", labels)
        out.append({"id": index, "name": name})
    return out


def status_settings(
    labels: dict[str, str], positions: dict[str, int] | None = None
) -> dict[str, Any]:
    """settings_str content of a status column. ``positions`` (the labels' places in
    the column's picker, ``labels_positions_v2``) are kept for the labels that have
    one; other labels go last, in index order. monday's default labels sit as in its
    changelog's example: Working on it, Stuck, Done, then the blank label, so a
    label's place differs from its index."""
    ordered = dict(sorted(labels.items(), key=lambda kv: int(kv[0])))
    if positions is None and ordered == DEFAULT_STATUS_LABELS:
        positions = DEFAULT_STATUS_POSITIONS
    placed = {k: int(v) for k, v in (positions or {}).items() if k in ordered}
    for key in ordered:
        if key not in placed:
            placed[key] = max(placed.values(), default=-1) + 1
    return {
        "done_colors": [1],
        "labels": ordered,
        "labels_positions_v2": placed,
        "labels_colors": {
            k: {
                "color": STATUS_PALETTE[int(k) % len(STATUS_PALETTE)],
                "border": STATUS_PALETTE[int(k) % len(STATUS_PALETTE)],
            }
            for k in ordered
        },
    }


def subtasks_settings(subitems_board_id: str) -> dict[str, Any]:
    return {
        "allowMultipleItems": True,
        "itemTypeName": "column.subtasks.title",
        "displayType": "BOARD_INLINE",
        "boardIds": [int(subitems_board_id)],
    }


def settings_json(column: Column) -> dict[str, Any]:
    """``Column.settings`` (API 2025-10 and later): what ``settings_str`` holds, as a
    JSON object, with the labels as a list of objects, as monday's changelog
    ("Deprecating settings_str field on columns", 2025-10) shows them:

    - status: ``{"labels": [{"id", "color", "label", "index", "is_done",
      "is_deactivated"}]}``, where ``id`` is the label's index in values (what
      ``{"index": N}`` writes and ``StatusValue.index`` reads), ``index`` its place in
      the column's picker (``labels_positions_v2``) and ``color`` its colour's number;
    - dropdown: the labels as ``{"id", "label", "is_deactivated"}`` (monday's
      ``DropdownLabel``), the other keys as in ``settings_str``;
    - any other column (the subtasks column's ``boardIds`` for one): ``settings_str``'s
      content unchanged."""
    raw = copy.deepcopy(column.settings)
    if column.type == "status":
        positions = raw.get("labels_positions_v2") or {}
        colours = raw.get("labels_colors") or {}
        done = {int(i) for i in raw.get("done_colors") or [1]}
        deactivated = {int(i) for i in raw.get("deactivated_labels") or []}
        labels = []
        for key, text in sorted((raw.get("labels") or {}).items(), key=lambda kv: int(kv[0])):
            index = int(key)
            colour = (colours.get(key) or {}).get("color")
            labels.append(
                {
                    "id": index,
                    "color": STATUS_PALETTE.index(colour)
                    if colour in STATUS_PALETTE
                    else index % len(STATUS_PALETTE),
                    "label": text,
                    "index": int(positions.get(key, index)),
                    "is_done": index in done,
                    "is_deactivated": index in deactivated,
                }
            )
        return {"labels": labels}
    if column.type == "dropdown":
        deactivated = {int(i) for i in raw.pop("deactivated_labels", None) or []}
        raw["labels"] = [
            {
                "id": int(lab["id"]),
                "label": lab["name"],
                "is_deactivated": int(lab["id"]) in deactivated,
            }
            for lab in raw.get("labels") or []
        ]
    return raw


def status_labels(column: Column) -> dict[int, str]:
    return {int(k): v for k, v in (column.settings.get("labels") or {}).items()}


def dropdown_labels(column: Column) -> dict[int, str]:
    return {int(lab["id"]): lab["name"] for lab in column.settings.get("labels") or []}


# ---------------------------------------------------------------- parsing


def is_clear(raw: Any) -> bool:
    return raw is None or raw == "" or raw == {} or raw == []


def parse_write(column: Column, raw: Any, ctx: WriteContext) -> Parsed:
    """Parse one written value for ``column``. ``raw`` is what the client put in
    ``column_values`` (a simple string or a JSON object)."""
    if column.type == "subtasks":
        raise column_value_error(
            "The subitems column can't be changed through column values",
            column.id,
            column.type,
            raw,
            "unsupportedColumnType",
        )
    if is_clear(raw):
        return Parsed(None)
    parser = _PARSERS.get(column.type)
    if parser is None:
        raise column_value_error(
            f"Column type {column.type} is not supported", column.id, column.type, raw
        )
    return parser(column, raw, ctx)


def _bad(column: Column, raw: Any, message: str, code: str | None = None) -> MondayError:
    return column_value_error(
        message, column.id, INTERNAL_TYPE.get(column.type, column.type), raw, code
    )


def _parse_text(column: Column, raw: Any, ctx: WriteContext) -> Parsed:
    if isinstance(raw, bool) or not isinstance(raw, str | int | float):
        raise _bad(column, raw, "Text column value must be a string")
    return Parsed(_num_str(raw) if not isinstance(raw, str) else raw)


def _parse_long_text(column: Column, raw: Any, ctx: WriteContext) -> Parsed:
    if isinstance(raw, dict):
        text = raw.get("text")
        if text is None or text == "":
            return Parsed(None)
    else:
        text = raw
    if isinstance(text, bool) or not isinstance(text, str | int | float):
        raise _bad(column, raw, 'Long text column value must be a string or {"text": ...}')
    text = text if isinstance(text, str) else _num_str(text)
    if ctx.long_text_max_chars is not None and len(text) > ctx.long_text_max_chars:
        raise _bad(
            column, raw, f"Long text is limited to {ctx.long_text_max_chars} characters", "tooLong"
        )
    return Parsed({"text": text, "changed_at": ctx.changed_at})


def _parse_numbers(column: Column, raw: Any, ctx: WriteContext) -> Parsed:
    if isinstance(raw, bool) or not isinstance(raw, str | int | float):
        raise _bad(column, raw, "Numbers column value must be a number")
    if isinstance(raw, str):
        text = raw.strip()
        if text == "":
            return Parsed(None)
        try:
            number = float(text)
        except ValueError:
            raise _bad(column, raw, f"{raw!r} is not a valid number", "invalidNumber") from None
        if not math.isfinite(number):
            raise _bad(column, raw, f"{raw!r} is not a valid number", "invalidNumber")
        return Parsed(text)
    if isinstance(raw, float) and not math.isfinite(raw):
        raise _bad(column, raw, "not a valid number", "invalidNumber")
    return Parsed(_num_str(raw))


def _num_str(value: int | float) -> str:
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return str(value)


def _parse_status(column: Column, raw: Any, ctx: WriteContext) -> Parsed:
    labels = status_labels(column)
    index: int | None = None
    label: str | None = None
    if isinstance(raw, dict):
        if "index" in raw and raw["index"] not in (None, ""):
            try:
                index = int(raw["index"])
            except (TypeError, ValueError):
                raise _bad(column, raw, "Status index must be a number") from None
        elif "label" in raw:
            if raw["label"] in (None, ""):
                return Parsed(None)
            label = str(raw["label"])
        else:
            raise _bad(column, raw, "Status value needs a label or an index")
    elif isinstance(raw, int) and not isinstance(raw, bool):
        index = raw
    elif isinstance(raw, str):
        label = raw
    else:
        raise _bad(column, raw, "Status value needs a label or an index")
    if label is not None and label.strip().isdigit():
        index = int(label.strip())  # a numeric label is read as an index, as monday does
        label = None
    new_settings = None
    if index is not None:
        if index not in labels:
            raise _missing_status(column, raw, labels)
    else:
        assert label is not None
        found = [i for i, name in labels.items() if name == label]
        if found:
            index = found[0]
        elif not ctx.create_labels:
            raise _missing_status(column, raw, labels)
        else:
            named = [i for i, name in labels.items() if name != ""]
            if len(named) >= ctx.status_labels_max:
                raise _bad(
                    column,
                    raw,
                    f"Status columns are limited to {ctx.status_labels_max} labels",
                    "tooManyLabels",
                )
            index = next(i for i in range(0, 1000) if i not in labels and i != 5)
            new_labels = {str(k): v for k, v in labels.items()}
            new_labels[str(index)] = label
            new_settings = copy.deepcopy(column.settings)
            new_settings.update(
                status_settings(new_labels, column.settings.get("labels_positions_v2"))
            )
    return Parsed({"index": index, "post_id": None, "changed_at": ctx.changed_at}, new_settings)


def _missing_status(column: Column, raw: Any, labels: dict[int, str]) -> MondayError:
    existing = ", ".join(f"{i}: {name}" for i, name in sorted(labels.items()))
    return _bad(
        column,
        raw,
        f"This status label doesn't exist, possible statuses are: {{{existing}}}",
        "missingLabel",
    )


def _parse_dropdown(column: Column, raw: Any, ctx: WriteContext) -> Parsed:
    labels = dropdown_labels(column)
    ids: list[int] = []
    names: list[str] = []
    if isinstance(raw, dict):
        has_ids = raw.get("ids") not in (None, [], "")
        has_labels = raw.get("labels") not in (None, [], "")
        if has_ids and has_labels:
            raise _bad(column, raw, "Dropdown values can't mix labels and ids", "mixedLabelsAndIds")
        if not has_ids and not has_labels:
            if "ids" in raw or "labels" in raw:
                return Parsed(None)
            raise _bad(column, raw, "Dropdown value needs labels or ids")
        if has_ids:
            raw_ids = raw["ids"] if isinstance(raw["ids"], list) else str(raw["ids"]).split(",")
            for value in raw_ids:
                try:
                    ids.append(int(str(value).strip()))
                except ValueError:
                    raise _bad(column, raw, f"Dropdown id {value!r} is not a number") from None
        else:
            raw_labels = raw["labels"] if isinstance(raw["labels"], list) else [raw["labels"]]
            names = [str(v) for v in raw_labels if str(v) != ""]
    elif isinstance(raw, str):
        names = [part.strip() for part in raw.split(",") if part.strip()]
    elif isinstance(raw, int) and not isinstance(raw, bool):
        ids = [raw]
    else:
        raise _bad(column, raw, "Dropdown value needs labels or ids")

    new_settings = None
    if ids:
        missing = [i for i in ids if i not in labels]
        if missing:
            raise _missing_dropdown(column, raw, labels, str(missing[0]))
    else:
        by_name = {name: i for i, name in labels.items()}
        missing_names = [n for n in dict.fromkeys(names) if n not in by_name]
        if missing_names and not ctx.create_labels:
            raise _missing_dropdown(column, raw, labels, missing_names[0])
        if missing_names:
            new_settings = copy.deepcopy(column.settings)
            new_settings.setdefault("labels", [])
            next_id = max(labels, default=0) + 1
            for name in missing_names:
                new_settings["labels"].append({"id": next_id, "name": name})
                by_name[name] = next_id
                next_id += 1
        ids = [by_name[n] for n in names]
    ids = list(dict.fromkeys(ids))
    if not ids:
        return Parsed(None)
    return Parsed({"ids": ids}, new_settings)


def _missing_dropdown(
    column: Column, raw: Any, labels: dict[int, str], missing: str
) -> MondayError:
    existing = ", ".join(f"{i}: {name}" for i, name in sorted(labels.items()))
    return _bad(
        column,
        raw,
        f"The dropdown label '{missing}' does not exist, possible labels are: {{{existing}}}",
        "missingLabel",
    )


_TIME_RE = re.compile(r"^(\d{1,2}):(\d{2})(?::(\d{2}))?$")


def _parse_date(column: Column, raw: Any, ctx: WriteContext) -> Parsed:
    if isinstance(raw, dict):
        day = raw.get("date")
        time = raw.get("time")
        if day in (None, ""):
            return Parsed(None)
    elif isinstance(raw, str):
        day, _, time = raw.strip().partition(" ")
        time = time or None
    else:
        raise _bad(column, raw, 'Date value must be {"date": "YYYY-MM-DD"}')
    try:
        date.fromisoformat(str(day))
        if not re.match(r"^\d{4}-\d{2}-\d{2}$", str(day)):
            raise ValueError
    except ValueError:
        raise _bad(
            column, raw, f"{day!r} is not a valid date (YYYY-MM-DD)", "invalidDate"
        ) from None
    stored: dict[str, Any] = {"date": str(day), "icon": None, "changed_at": ctx.changed_at}
    if time not in (None, ""):
        match = _TIME_RE.match(str(time))
        if not match or int(match.group(1)) > 23 or int(match.group(2)) > 59:
            raise _bad(column, raw, f"{time!r} is not a valid time (HH:MM:SS)", "invalidTime")
        stored["time"] = f"{int(match.group(1)):02d}:{match.group(2)}:{match.group(3) or '00'}"
    return Parsed(stored)


def _parse_checkbox(column: Column, raw: Any, ctx: WriteContext) -> Parsed:
    value = raw.get("checked") if isinstance(raw, dict) else raw
    if isinstance(value, str):
        value = value.strip().lower()
        if value in ("true", "v", "1", "yes"):
            checked = True
        elif value in ("false", "0", "no", ""):
            checked = False
        else:
            raise _bad(column, raw, 'Checkbox value must be {"checked": "true"}')
    elif isinstance(value, bool):
        checked = value
    elif value is None:
        checked = False
    else:
        raise _bad(column, raw, 'Checkbox value must be {"checked": "true"}')
    if not checked:
        return Parsed(None)
    return Parsed({"checked": True, "changed_at": ctx.changed_at})


def _split_simple(raw: str) -> tuple[str, str]:
    first, _, rest = raw.strip().partition(" ")
    return first, rest.strip()


def _parse_email(column: Column, raw: Any, ctx: WriteContext) -> Parsed:
    if isinstance(raw, dict):
        email, text = raw.get("email"), raw.get("text")
    elif isinstance(raw, str):
        email, text = _split_simple(raw)
    else:
        raise _bad(column, raw, 'Email value must be {"email": ..., "text": ...}')
    if email in (None, ""):
        return Parsed(None)
    email = str(email).strip()
    if not re.match(r"^[^@\s]+@[^@\s]+$", email):
        raise _bad(column, raw, f"{email!r} is not a valid email address", "invalidEmail")
    return Parsed(
        {"email": email, "text": str(text) if text else email, "changed_at": ctx.changed_at}
    )


def _parse_link(column: Column, raw: Any, ctx: WriteContext) -> Parsed:
    if isinstance(raw, dict):
        url, text = raw.get("url"), raw.get("text")
    elif isinstance(raw, str):
        url, text = _split_simple(raw)
    else:
        raise _bad(column, raw, 'Link value must be {"url": ..., "text": ...}')
    if url in (None, ""):
        return Parsed(None)
    return Parsed(
        {"url": str(url), "text": str(text) if text else str(url), "changed_at": ctx.changed_at}
    )


def _parse_phone(column: Column, raw: Any, ctx: WriteContext) -> Parsed:
    if isinstance(raw, dict):
        phone, country = raw.get("phone"), raw.get("countryShortName")
    elif isinstance(raw, str):
        phone, country = _split_simple(raw)
    else:
        raise _bad(column, raw, 'Phone value must be {"phone": ..., "countryShortName": ...}')
    if phone in (None, ""):
        return Parsed(None)
    phone = str(phone).strip()
    if not re.match(r"^\+?[0-9][0-9 ()\-]{3,24}$", phone):
        raise _bad(column, raw, f"{phone!r} is not a valid phone number", "invalidPhone")
    if country and not re.match(r"^[A-Za-z]{2}$", str(country)):
        raise _bad(column, raw, f"{country!r} is not a valid country code", "invalidCountry")
    stored = {"phone": phone, "countryShortName": str(country).upper() if country else None}
    stored["changed_at"] = ctx.changed_at
    return Parsed(stored)


def _parse_timeline(column: Column, raw: Any, ctx: WriteContext) -> Parsed:
    if not isinstance(raw, dict):
        raise _bad(column, raw, 'Timeline value must be {"from": ..., "to": ...}')
    start, end = raw.get("from"), raw.get("to")
    if start in (None, "") and end in (None, ""):
        return Parsed(None)
    try:
        d_from = date.fromisoformat(str(start))
        d_to = date.fromisoformat(str(end))
    except ValueError:
        raise _bad(column, raw, "Timeline dates must be YYYY-MM-DD", "invalidDate") from None
    if d_to < d_from:
        raise _bad(column, raw, "Timeline end is before its start", "invalidRange")
    return Parsed({"from": str(start), "to": str(end), "changed_at": ctx.changed_at})


_PARSERS: dict[str, Callable[[Column, Any, WriteContext], Parsed]] = {
    "text": _parse_text,
    "long_text": _parse_long_text,
    "numbers": _parse_numbers,
    "status": _parse_status,
    "dropdown": _parse_dropdown,
    "date": _parse_date,
    "checkbox": _parse_checkbox,
    "email": _parse_email,
    "link": _parse_link,
    "phone": _parse_phone,
    "timeline": _parse_timeline,
}


def decode_json_argument(raw: Any, argument: str) -> Any:
    """A ``JSON`` argument arrives as a JSON-encoded string (or, from variables, as
    an already-decoded object). Text that is not strict JSON is monday's
    ``JsonParseException`` ("Syntax error in JSON input", ``error_data.json``)."""
    if isinstance(raw, str):
        try:
            return strict_json.loads(raw)
        except strict_json.JsonRejected as exc:
            raise MondayError(
                "JsonParseException",
                "Syntax error in JSON input",
                400,
                {"json": raw if len(raw) <= 1000 else raw[:1000] + "...", "detail": str(exc)},
            ) from None
    if strict_json.too_deep(raw):
        raise invalid_argument(
            f"{argument} is nested more than {strict_json.MAX_DEPTH} levels deep",
            argument=argument,
        )
    return raw


# ---------------------------------------------------------------- reading


def value_json(stored: Any) -> str | None:
    if stored is None:
        return None
    return json.dumps(stored, separators=(",", ":"), ensure_ascii=False)


def text_of(column: Column, stored: Any, subitems: list[Item] | None = None) -> str | None:
    """The ``text`` monday returns for a stored value."""
    kind = column.type
    if kind == "subtasks":
        return ", ".join(i.name for i in subitems or []) if subitems else ""
    if stored is None:
        return None if kind in ("status", "dropdown") else ""
    if kind in ("text", "numbers"):
        return str(stored)
    if kind == "long_text":
        return stored.get("text", "")
    if kind == "status":
        return status_labels(column).get(int(stored["index"]), "")
    if kind == "dropdown":
        names = dropdown_labels(column)
        return ", ".join(names.get(i, "") for i in stored["ids"] if i in names)
    if kind == "date":
        if stored.get("time"):
            return f"{stored['date']} {stored['time'][:5]}"
        return stored["date"]
    if kind == "checkbox":
        return "v"
    if kind == "email":
        return stored["email"]
    if kind == "link":
        if stored.get("text") and stored["text"] != stored["url"]:
            return f"{stored['text']} - {stored['url']}"
        return stored["url"]
    if kind == "phone":
        return stored["phone"]
    if kind == "timeline":
        return f"{stored['from']} - {stored['to']}"
    return value_json(stored) or ""


def render(column: Column, stored: Any, subitems: list[Item] | None = None) -> dict[str, Any]:
    """A ColumnValue object for GraphQL (``__typename`` picks the implementation)."""
    kind = column.type
    if kind == "subtasks":
        subitems = subitems or []
        stored = (
            {"linkedPulseIds": [{"linkedPulseId": int(i.id)} for i in subitems]}
            if subitems
            else None
        )
    out: dict[str, Any] = {
        "__typename": VALUE_TYPES.get(kind, "UnsupportedValue"),
        "id": column.id,
        "type": kind,
        "column": column,
        "text": text_of(column, stored, subitems),
        "value": value_json(stored),
        "updated_at": stored.get("changed_at") if isinstance(stored, dict) else None,
    }
    if kind == "status":
        index = int(stored["index"]) if stored else None
        out["index"] = index
        out["label"] = out["text"]
        out["is_done"] = index in (column.settings.get("done_colors") or [1]) if stored else False
        colours = (column.settings.get("labels_colors") or {}).get(str(index)) if stored else None
        out["label_style"] = (
            {"color": colours["color"], "border": colours.get("border") or colours["color"]}
            if colours
            else None
        )
    elif kind == "dropdown":
        names = dropdown_labels(column)
        ids = stored["ids"] if stored else []
        out["values"] = [{"id": str(i), "label": names[i]} for i in ids if i in names]
    elif kind == "numbers":
        out["number"] = float(stored) if stored not in (None, "") else None
        out["symbol"] = column.settings.get("unit", {}).get("symbol") if column.settings else None
        out["direction"] = None
    elif kind == "date":
        out["date"] = stored["date"] if stored else None
        out["time"] = stored.get("time") if stored else None
        out["icon"] = None
    elif kind == "checkbox":
        out["checked"] = bool(stored)
    elif kind == "email":
        out["email"] = stored["email"] if stored else None
        out["label"] = stored.get("text") if stored else None
    elif kind == "link":
        out["url"] = stored["url"] if stored else None
        out["url_text"] = stored.get("text") if stored else None
    elif kind == "phone":
        out["phone"] = stored["phone"] if stored else None
        out["country_short_name"] = stored.get("countryShortName") if stored else None
    elif kind == "timeline":
        out["from"] = stored["from"] if stored else None
        out["to"] = stored["to"] if stored else None
        out["visualization_type"] = None
    elif kind == "subtasks":
        out["subitems"] = subitems
        out["subitems_ids"] = [i.id for i in subitems or []]
        out["display_value"] = out["text"] or ""
    return out


def sortable(column: Column, stored: Any) -> Any:
    """A key for ordering and numeric comparisons."""
    if stored is None:
        return None
    if column.type == "numbers":
        try:
            return float(stored)
        except ValueError:
            return None
    if column.type == "date":
        return f"{stored['date']} {stored.get('time', '')}".strip()
    if column.type == "status":
        return int(stored["index"])
    return text_of(column, stored)
