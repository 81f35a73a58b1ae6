"""Database values -> monday column values, validated before anything is sent.

Pure functions, no I/O. A value monday would refuse (a number column holding "TBC",
an unparseable date, a status label the board does not have) raises ``RowError``
naming the database column and the monday column, so the caller marks that one row
ERROR (adding its order key) and the rest of the batch goes on — instead of monday
failing the whole ``create_item``.

Formats follow MONDAY_API.md (and monday's column-type reference where it is silent):

========== ============================================== ==============
type       write                                          clear
========== ============================================== ==============
text       ``"abc"``                                      ``""``
long_text  ``{"text": "..."}`` (at most 2,000 characters) ``""``
numbers    ``"10.5"`` (a string)                          ``""``
status     ``{"label": "Done"}``; numeric labels by       ``None``
           ``{"index": N}``
dropdown   ``{"ids": [1, 2]}`` when all exist, else       ``None``
           ``{"labels": [...]}`` (creates them)
date       ``{"date": "YYYY-MM-DD"[, "time": "HH:MM:SS"]}`` (UTC)  ``None``
checkbox   ``{"checked": "true"}``; false clears          ``None``
email      ``{"email": e, "text": e}``                    ``None``
link       ``{"url": u, "text": u}``                      ``None``
phone      ``{"phone": "+123", "countryShortName": "US"}`` ``None``
timeline   ``{"from": "YYYY-MM-DD", "to": "YYYY-MM-DD"}`` ``None``
name       item name (cleaned, 1..255 characters)         (not clearable)
========== ============================================== ==============
"""

from __future__ import annotations

import json
import math
import re
from collections.abc import Callable, Mapping, Sequence
from datetime import UTC, date, datetime, time, timedelta
from decimal import Decimal, InvalidOperation
from typing import Any

from sync_order_list.errors import RowError

from .schema import Board, Column

DbValue = str | int | float | Decimal | date | datetime | bool | None

NAME_MAX_CHARS = 255
LONG_TEXT_MAX_CHARS = 2_000
STATUS_MAX_LABELS = 40

CLEAR_VALUES: dict[str, Any] = {
    "text": "",
    "long_text": "",
    "numbers": "",
    "status": None,
    "dropdown": None,
    "date": None,
    "checkbox": None,
    "email": None,
    "link": None,
    "phone": None,
    "timeline": None,
}
SUPPORTED_TYPES = frozenset(CLEAR_VALUES) | {"name"}

_WS = re.compile(r"\s+")
_NUMBER = re.compile(r"^[+-]?(\d+(\.\d*)?|\.\d+)([eE][+-]?\d+)?$")
_EMAIL = re.compile(r"^[^@\s<>(),;:\"]+@[^@\s<>(),;:\"]+\.[^@\s<>(),;:\"]+$")
_URL = re.compile(r"^(https?|ftp)://[^\s/$.?#][^\s]*$", re.IGNORECASE)
_DOMAIN = re.compile(r"^[A-Za-z0-9-]+(\.[A-Za-z0-9-]+)+(/\S*)?$")
_PHONE_CHARS = re.compile(r"[\s().\-/]")
_PHONE = re.compile(r"^\+?\d{4,20}$")
_DATETIME = re.compile(
    r"^(\d{4})-(\d{2})-(\d{2})"
    r"(?:[T ](\d{2}):(\d{2})(?::(\d{2})(?:\.\d+)?)?)?"
    r"\s*(Z|[+-]\d{2}:?\d{2})?$"
)
_RANGE_SPLIT = re.compile(r"\s+(?:-|to|–)\s+|/|\s*,\s*|\s*;\s*")
_TRUE = {"true", "t", "yes", "y", "1", "x", "v", "checked", "on"}
_FALSE = {"false", "f", "no", "n", "0", "", "off", "unchecked"}


# -- names -----------------------------------------------------------------------------


def clean_name(value: DbValue, *, db_column: str | None = None, what: str = "item name") -> str:
    """An item, subitem or group name: whitespace collapsed, stripped, 1..255 chars.

    monday refuses longer names (``ItemNameTooLongException``) and empty ones; both
    are row errors here rather than truncation, which would hide data.
    """
    text = "" if value is None else _WS.sub(" ", _as_text(value)).strip()
    if not text:
        raise RowError(f"{what} is empty", db_column=db_column)
    if len(text) > NAME_MAX_CHARS:
        raise RowError(
            f"{what} has {len(text)} characters, monday allows at most {NAME_MAX_CHARS}: "
            f"{text[:40]!r}...",
            db_column=db_column,
        )
    return text


# -- encoding --------------------------------------------------------------------------


def clear_value(column_type: str) -> Any:
    """What clears a column of this type."""
    if column_type not in CLEAR_VALUES:
        raise ValueError(f"column type {column_type!r} cannot be written by this tool")
    return CLEAR_VALUES[column_type]


def is_empty(value: Any) -> bool:
    return value is None or (isinstance(value, str) and not value.strip())


def encode_value(
    value: DbValue | Sequence[DbValue],
    column: Column,
    *,
    db_column: str | None = None,
    create_labels: bool = False,
) -> Any:
    """Encode one database value for ``column`` (the JSON value to put under the
    column id in ``column_values``). ``None`` / blank encodes to the clear value.

    ``create_labels``: whether ``create_labels_if_missing`` is on for this column;
    when off, a status/dropdown label the board lacks is a ``RowError``.
    """
    encoder = _ENCODERS.get(column.type)
    if encoder is None:
        raise RowError(
            f"column type {column.type!r} of {column.title!r} is not supported for writing "
            f"(supported: {', '.join(sorted(SUPPORTED_TYPES))})",
            db_column=db_column,
            monday_column=column.id,
        )
    if column.type != "name" and _is_blank(value):
        return CLEAR_VALUES[column.type]
    try:
        return encoder(value, column, create_labels)
    except _Invalid as exc:
        raise RowError(str(exc), db_column=db_column, monday_column=column.id) from None


def encode_column_values(
    row: Mapping[str, DbValue],
    mapping: Mapping[str, str],
    board: Board,
    *,
    creates_labels: Callable[[str], bool] = lambda _column_id: False,
    skip_empty: bool = False,
) -> dict[str, Any]:
    """Encode the mapped database columns of one row: monday column id -> value.

    ``mapping`` is database column -> monday column id (``BoardMapping.columns``);
    only database columns present in ``row`` are encoded (pass just the changed ones
    for an update). ``skip_empty`` leaves blanks out (a create has nothing to clear).
    Every invalid column is reported in one ``RowError``.
    """
    out: dict[str, Any] = {}
    problems: list[RowError] = []
    for db_column, column_id in mapping.items():
        if db_column not in row:
            continue
        value = row[db_column]
        if skip_empty and _is_blank(value):
            continue
        try:
            column = board.column(column_id)
        except KeyError as exc:
            problems.append(
                RowError(str(exc.args[0]), db_column=db_column, monday_column=column_id)
            )
            continue
        try:
            out[column_id] = encode_value(
                value, column, db_column=db_column, create_labels=creates_labels(column_id)
            )
        except RowError as exc:
            problems.append(exc)
    if len(problems) == 1:
        raise problems[0]
    if problems:
        first = problems[0]
        raise RowError(
            f"{len(problems)} columns invalid: " + "; ".join(p.message for p in problems),
            db_column=first.db_column,
            monday_column=first.monday_column,
        )
    return out


def column_values_json(values: Mapping[str, Any]) -> str:
    """The ``column_values`` argument: a JSON string, keys sorted (stable for logs and
    comparisons)."""
    return json.dumps(values, ensure_ascii=False, separators=(",", ":"), sort_keys=True)


# -- change detection --------------------------------------------------------------------


def comparable(value: DbValue, column_type: str | None = None) -> str:
    """A canonical text form of a database value, for "did it change since the last
    sync": blank and ``None`` are equal, ``Decimal("10.50")``, ``10.5`` and ``"10.5"``
    are equal for a numbers column, a datetime at midnight equals its date.

    Values a column type cannot encode fall back to their stripped text, so a change
    from "TBC" to "TBA" is still seen.
    """
    if _is_blank(value):
        return ""
    if isinstance(value, bool | int | float | Decimal | datetime | date):
        return _scalar_text(value)
    text = _as_text(value).strip()
    try:
        if column_type == "numbers":
            return _number_text(text)
        if column_type in ("date", "timeline") and _DATETIME.match(text):
            return _datetime_text(_parse_datetime(text))
        if column_type == "checkbox":
            return "true" if _parse_bool(text) else ""
    except _Invalid:
        pass
    if column_type == "name":
        return _WS.sub(" ", text)
    return text


# -- per type --------------------------------------------------------------------------


class _Invalid(ValueError):
    """A value this column type cannot hold (becomes a RowError with column names)."""


def _encode_text(value: Any, column: Column, _create: bool) -> str:
    if isinstance(value, list | tuple):
        return ", ".join(_scalar_text(v) for v in value if not _is_blank(v))
    return _scalar_text(value)


def _encode_long_text(value: Any, column: Column, _create: bool) -> dict[str, str]:
    text = _encode_text(value, column, _create)
    if len(text) > LONG_TEXT_MAX_CHARS:
        raise _Invalid(
            f"text of {len(text)} characters is over the long text limit of "
            f"{LONG_TEXT_MAX_CHARS} for {column.title!r}"
        )
    return {"text": text}


def _encode_numbers(value: Any, column: Column, _create: bool) -> str:
    try:
        return _number_text(value)
    except _Invalid as exc:
        raise _Invalid(f"{exc} for numbers column {column.title!r}") from None


def _encode_status(value: Any, column: Column, create: bool) -> dict[str, Any]:
    if isinstance(value, list | tuple):
        raise _Invalid(f"status column {column.title!r} holds one label, got {len(value)}")
    label = _scalar_text(value)
    _refuse_deactivated([label], column)
    labels = column.labels
    index = column.label_id(label)
    numeric = label.isdigit()
    if index is not None:
        # monday reads a numeric label as an index, so those go by index explicitly.
        return {"index": index} if numeric else {"label": label}
    existing = _label_list(labels.values())
    if not create:
        raise _Invalid(
            f"status label {label!r} does not exist on {column.title!r} and "
            f"create_labels_if_missing is off; existing: {existing}{_near(label, labels)}"
        )
    if numeric:
        raise _Invalid(
            f"numeric status label {label!r} does not exist on {column.title!r}; monday "
            "reads a number as a label index, so add the label on the board first"
        )
    if len(labels) >= STATUS_MAX_LABELS:
        raise _Invalid(
            f"status column {column.title!r} already has {len(labels)} labels (monday's "
            f"limit is {STATUS_MAX_LABELS}); cannot create {label!r}"
        )
    return {"label": label}


def _encode_dropdown(value: Any, column: Column, create: bool) -> dict[str, Any]:
    raw = value if isinstance(value, list | tuple) else [value]
    names = list(dict.fromkeys(_scalar_text(v) for v in raw if not _is_blank(v)))
    _refuse_deactivated(names, column)
    ids = [column.label_id(n) for n in names]
    if all(i is not None for i in ids):
        return {"ids": ids}
    missing = [n for n, i in zip(names, ids, strict=True) if i is None]
    if not create:
        labels = column.labels
        raise _Invalid(
            f"dropdown label {missing[0]!r} does not exist on {column.title!r} (labels match "
            f"case-sensitively) and create_labels_if_missing is off; existing: "
            f"{_label_list(labels.values())}{_near(missing[0], labels)}"
        )
    return {"labels": names}


def _refuse_deactivated(names: list[str], column: Column) -> None:
    """A deactivated label is never written (nor created again under its name)."""
    dead = next((n for n in names if column.is_deactivated(n)), None)
    if dead is not None:
        raise _Invalid(
            f"label {dead!r} is deactivated on {column.title!r}: reactivate it on the "
            "board, or change the value in the database"
        )


def _encode_date(value: Any, column: Column, _create: bool) -> dict[str, str]:
    moment = _to_datetime(value, column)
    out = {"date": moment.date().isoformat()}
    if isinstance(moment, datetime) and moment.time() != time(0, 0):
        out["time"] = moment.strftime("%H:%M:%S")
    return out


def _encode_checkbox(value: Any, column: Column, _create: bool) -> dict[str, str] | None:
    try:
        checked = _parse_bool(value)
    except _Invalid:
        raise _Invalid(
            f"{value!r} is not a yes/no value for checkbox column {column.title!r}"
        ) from None
    return {"checked": "true"} if checked else None


def _encode_email(value: Any, column: Column, _create: bool) -> dict[str, str]:
    email = _scalar_text(value)
    if not _EMAIL.match(email):
        raise _Invalid(f"{email!r} is not an email address for column {column.title!r}")
    return {"email": email, "text": email}


def _encode_link(value: Any, column: Column, _create: bool) -> dict[str, str]:
    url = _scalar_text(value)
    if not _URL.match(url):
        if _DOMAIN.match(url):
            url = "https://" + url
        else:
            raise _Invalid(f"{url!r} is not a link (http(s) URL) for column {column.title!r}")
    return {"url": url, "text": url}


def _encode_phone(value: Any, column: Column, _create: bool) -> dict[str, str]:
    text = _scalar_text(value)
    country = None
    match = re.match(r"^(.*?)\s+([A-Za-z]{2})$", text)
    if match:
        text, country = match.group(1), match.group(2).upper()
    number = _PHONE_CHARS.sub("", text)
    if number.startswith("00"):
        number = "+" + number[2:]
    if not _PHONE.match(number):
        raise _Invalid(f"{_scalar_text(value)!r} is not a phone number for column {column.title!r}")
    out = {"phone": number}
    if country:
        out["countryShortName"] = country
    return out


def _encode_timeline(value: Any, column: Column, _create: bool) -> dict[str, str]:
    if isinstance(value, list | tuple):
        if len(value) != 2:
            raise _Invalid(f"timeline {column.title!r} needs (from, to), got {len(value)} values")
        start, end = value
    elif isinstance(value, date | datetime):
        start = end = value
    else:
        text = _scalar_text(value)
        parts = [p for p in _RANGE_SPLIT.split(text) if p]
        if len(parts) == 1:
            start = end = parts[0]
        elif len(parts) == 2:
            start, end = parts
        else:
            raise _Invalid(f"{text!r} is not a date range (from - to) for {column.title!r}")
    day_from = _to_datetime(start, column).date()
    day_to = _to_datetime(end, column).date()
    if day_to < day_from:
        raise _Invalid(f"timeline {column.title!r} ends ({day_to}) before it starts ({day_from})")
    return {"from": day_from.isoformat(), "to": day_to.isoformat()}


def _encode_name(value: Any, column: Column, _create: bool) -> str:
    try:
        return clean_name(value)
    except RowError as exc:
        raise _Invalid(exc.message) from None


_ENCODERS: dict[str, Callable[[Any, Column, bool], Any]] = {
    "text": _encode_text,
    "long_text": _encode_long_text,
    "numbers": _encode_numbers,
    "status": _encode_status,
    "dropdown": _encode_dropdown,
    "date": _encode_date,
    "checkbox": _encode_checkbox,
    "email": _encode_email,
    "link": _encode_link,
    "phone": _encode_phone,
    "timeline": _encode_timeline,
    "name": _encode_name,
}


# -- helpers ---------------------------------------------------------------------------


def _is_blank(value: Any) -> bool:
    if isinstance(value, list | tuple):
        return all(_is_blank(v) for v in value)
    return is_empty(value)


def _as_text(value: Any) -> str:
    return value if isinstance(value, str) else _scalar_text(value)


def _scalar_text(value: Any) -> str:
    """Text of one value as a person would write it (no float noise, ISO dates)."""
    if isinstance(value, str):
        return value.strip()
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int | float | Decimal):
        try:
            return _number_text(value)
        except _Invalid:
            return str(value)
    if isinstance(value, datetime | date):
        return _datetime_text(value)
    return str(value).strip()


def _number_text(value: Any) -> str:
    """Canonical decimal text: no exponent, no trailing zeros, ``-0`` -> ``0``."""
    if isinstance(value, bool):
        raise _Invalid(f"{value!r} is a yes/no value, not a number")
    if isinstance(value, int):
        return str(value)
    if isinstance(value, float):
        if not math.isfinite(value):
            raise _Invalid(f"{value!r} is not a finite number")
        number = Decimal(repr(value))
    elif isinstance(value, Decimal):
        number = value
    else:
        text = str(value).strip().replace("\u00a0", "")
        if not _NUMBER.match(text):
            raise _Invalid(f"{str(value).strip()!r} is not a number")
        try:
            number = Decimal(text)
        except InvalidOperation:
            raise _Invalid(f"{text!r} is not a number") from None
    if not number.is_finite():
        raise _Invalid(f"{value!r} is not a finite number")
    text = format(number.normalize(), "f")
    if "." in text:
        text = text.rstrip("0").rstrip(".")
    return "0" if text in ("-0", "") else text


def _parse_datetime(text: str) -> datetime:
    match = _DATETIME.match(text.strip())
    if not match:
        raise _Invalid(f"{text!r} is not a date (expected YYYY-MM-DD[ HH:MM[:SS]])")
    year, month, day, hour, minute, second, zone = match.groups()
    try:
        moment = datetime(
            int(year), int(month), int(day), int(hour or 0), int(minute or 0), int(second or 0)
        )
    except ValueError as exc:
        raise _Invalid(f"{text!r} is not a valid date ({exc})") from None
    if zone and zone != "Z":
        sign = 1 if zone[0] == "+" else -1
        digits = zone[1:].replace(":", "")
        offset = timedelta(hours=int(digits[:2]), minutes=int(digits[2:]))
        moment = moment - sign * offset
    return moment


def _to_datetime(value: Any, column: Column) -> datetime:
    """A naive UTC datetime. Naive database datetimes are taken as UTC (monday's
    date column time is UTC); aware ones are converted."""
    if isinstance(value, datetime):
        if value.tzinfo is not None:
            value = value.astimezone(UTC).replace(tzinfo=None)
        return value.replace(microsecond=0)
    if isinstance(value, date):
        return datetime(value.year, value.month, value.day)
    if isinstance(value, str):
        try:
            return _parse_datetime(value)
        except _Invalid as exc:
            raise _Invalid(f"{exc} for date column {column.title!r}") from None
    raise _Invalid(f"{value!r} is not a date for column {column.title!r}")


def _datetime_text(value: date | datetime) -> str:
    if isinstance(value, datetime):
        if value.tzinfo is not None:
            value = value.astimezone(UTC).replace(tzinfo=None)
        if value.time() == time(0, 0):
            return value.date().isoformat()
        return value.replace(microsecond=0).isoformat(sep=" ")
    return value.isoformat()


def _parse_bool(value: Any) -> bool:
    if isinstance(value, bool):
        return value
    if isinstance(value, int | float | Decimal) and value in (0, 1):
        return bool(value)
    if value is None:
        return False
    text = str(value).strip().lower()
    if text in _TRUE:
        return True
    if text in _FALSE:
        return False
    raise _Invalid(f"{value!r} is not a yes/no value")


def _label_list(labels: Any, limit: int = 12) -> str:
    names = sorted(str(n) for n in labels)
    shown = ", ".join(repr(n) for n in names[:limit])
    more = f" and {len(names) - limit} more" if len(names) > limit else ""
    return (shown + more) if names else "(none)"


def _near(label: str, labels: Mapping[int, str]) -> str:
    folded = label.casefold().strip()
    close = [n for n in labels.values() if n.casefold().strip() == folded]
    return f" (did you mean {close[0]!r}?)" if close else ""
