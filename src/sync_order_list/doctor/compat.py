"""Which monday column types can take which database column types.

Every database column falls in one *kind* (from the type the database reports); every
pair (kind, monday column type) has a verdict:

``ok``     every value of that kind can be written (text into a text column).
``check``  only values of the right form can be written (a text column into a numbers
           column holds "1.25" or "TBC"): the doctor reads the distinct values the
           tables hold now and reports a warning when they all convert, an error
           naming examples when some do not. A value that does not convert fails its
           row at sync time; the rest of the batch goes on.
``no``     the pairing cannot work (a date into a numbers column): an error.

The table is documented in docs/doctor.md; keep the two in step.
"""

from __future__ import annotations

import datetime as dt
import decimal
import re
from typing import Literal

from sync_order_list.db.introspect import LiveColumn
from sync_order_list.monday.encoders import SUPPORTED_TYPES

DbKind = Literal["text", "numeric", "datetime", "boolean", "unknown"]
Verdict = Literal["ok", "check", "no"]

OK: Verdict = "ok"
CHECK: Verdict = "check"
NO: Verdict = "no"

#: kind -> monday column type -> verdict; a type missing from a row is ``no``.
COMPATIBILITY: dict[DbKind, dict[str, Verdict]] = {
    "text": {
        "text": OK,
        "long_text": OK,
        "dropdown": OK,
        "status": OK,
        "name": OK,
        "numbers": CHECK,
        "date": CHECK,
        "timeline": CHECK,
        "checkbox": CHECK,
        "email": CHECK,
        "link": CHECK,
        "phone": CHECK,
    },
    "numeric": {
        "numbers": OK,
        "text": OK,
        "long_text": OK,
        "name": OK,
        "dropdown": CHECK,
        "status": CHECK,
        "checkbox": CHECK,
        "phone": CHECK,
    },
    "datetime": {
        "date": OK,
        "timeline": OK,
        "text": OK,
        "long_text": OK,
        "name": OK,
    },
    "boolean": {
        "checkbox": OK,
        "text": OK,
        "long_text": OK,
        "status": CHECK,
        "dropdown": CHECK,
    },
}

#: What a kind is called in messages.
KIND_NAMES: dict[DbKind, str] = {
    "text": "text",
    "numeric": "numeric",
    "datetime": "date/time",
    "boolean": "yes/no",
    "unknown": "unrecognised",
}

_TEXT_SQL = re.compile(r"CHAR|TEXT|CLOB|STRING|UNIQUEIDENTIFIER|UUID|XML|JSON", re.I)
_NUMERIC_SQL = re.compile(r"INT|DEC|NUM|REAL|FLOAT|DOUBLE|MONEY", re.I)
_DATETIME_SQL = re.compile(r"DATE|TIME", re.I)
_BOOLEAN_SQL = re.compile(r"^\s*(BIT|BOOL|BOOLEAN)\b", re.I)


def db_kind(column: LiveColumn) -> DbKind:
    """The kind of a live database column, from its Python type or its SQL type."""
    try:
        python_type = column.type.python_type
    except NotImplementedError:
        python_type = None
    if python_type is bool:
        return "boolean"
    if python_type is not None:
        if issubclass(python_type, int | float | decimal.Decimal):
            return "numeric"
        if issubclass(python_type, dt.date | dt.datetime | dt.time):
            return "datetime"
        if issubclass(python_type, str):
            return "text"
    sql = column.type_sql or str(column.type)
    if _BOOLEAN_SQL.search(sql):
        return "boolean"
    if _DATETIME_SQL.search(sql):
        return "datetime"
    if _NUMERIC_SQL.search(sql):
        return "numeric"
    if _TEXT_SQL.search(sql):
        return "text"
    return "unknown"


def verdict(kind: DbKind, monday_type: str) -> Verdict:
    """The verdict for writing a database column of ``kind`` into ``monday_type``."""
    if monday_type not in SUPPORTED_TYPES:
        return NO
    if kind == "unknown":
        return CHECK
    return COMPATIBILITY[kind].get(monday_type, NO)


def writable(monday_type: str) -> bool:
    """Whether this tool can write the monday column type at all."""
    return monday_type in SUPPORTED_TYPES
