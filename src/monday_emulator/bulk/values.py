"""CSV cells to column values.

A cell is turned into the value the regular mutations take (so items made by a job
store exactly what ``create_item`` would), then checked with the store's own parser.
The CSV forms, by column type (monday's supported types that the emulator has):

| type | cell |
| --- | --- |
| text | the text |
| long_text | the text |
| numbers | a plain decimal number: ``12``, ``-3.5`` |
| status | an existing label, case-sensitive |
| dropdown | existing labels, comma-separated, case-sensitive |
| date | ``YYYY-MM-DD`` or ``YYYY-MM-DD HH:MM[:SS]`` (UTC) |
| email | ``address`` or ``address display text`` |
| link | ``https://url`` or ``https://url display text`` |
| phone | ``+number`` or ``+number CC`` (ISO country code) |
| timeline | ``YYYY-MM-DD - YYYY-MM-DD`` |

Labels are never created. Other types (checkbox, the subitems column) can't be
imported: a row with a value in such a column is invalid.
"""

from __future__ import annotations

import re
from typing import Any

from ..errors import MondayError
from ..store.columns import WriteContext, parse_write, status_labels
from ..store.model import Column
from .csvfile import NULL_CELL

SUPPORTED_TYPES = (
    "text",
    "long_text",
    "numbers",
    "status",
    "dropdown",
    "date",
    "email",
    "link",
    "phone",
    "timeline",
)

_NUMBER = re.compile(r"^-?(\d+(\.\d*)?|\.\d+)$")
_DATE = re.compile(r"^\d{4}-\d{2}-\d{2}( \d{2}:\d{2}(:\d{2})?)?$")
_TIMELINE = re.compile(r"^(\d{4}-\d{2}-\d{2}) - (\d{4}-\d{2}-\d{2})$")


class BadCell(ValueError):
    """A cell that can't be imported; the message names the column and the value."""


def write_value(column: Column, cell: str, ctx: WriteContext) -> Any:
    """The value ``create_item``'s ``column_values`` would take for ``cell`` (not
    empty), checked against the column (labels included)."""
    kind = column.type
    if kind not in SUPPORTED_TYPES:
        raise BadCell(
            f"column '{column.id}' is a {kind} column, which bulk import can't write "
            f"(supported: {', '.join(SUPPORTED_TYPES)}): leave its cells empty"
        )
    raw: Any
    if kind == "numbers":
        if not _NUMBER.match(cell):
            raise BadCell(f"column '{column.id}': '{cell}' is not a number (write 12 or -3.5)")
        raw = cell
    elif kind == "status":
        labels = status_labels(column)
        found = [i for i, name in sorted(labels.items()) if name == cell and name != ""]
        if not found:
            existing = ", ".join(name for _, name in sorted(labels.items()) if name)
            raise BadCell(
                f"column '{column.id}': the status label '{cell}' doesn't exist "
                f"(labels are case-sensitive and are not created; existing: {existing})"
            )
        raw = {"index": found[0]}
    elif kind == "dropdown":
        names = [part.strip() for part in cell.split(",") if part.strip()]
        if not names:
            raise BadCell(f"column '{column.id}': '{cell}' names no dropdown label")
        raw = {"labels": names}
    elif kind == "date":
        if not _DATE.match(cell):
            raise BadCell(
                f"column '{column.id}': '{cell}' is not a date (write YYYY-MM-DD or "
                "YYYY-MM-DD HH:MM:SS)"
            )
        raw = cell
    elif kind == "timeline":
        match = _TIMELINE.match(cell)
        if not match:
            raise BadCell(
                f"column '{column.id}': '{cell}' is not a timeline (write YYYY-MM-DD - YYYY-MM-DD)"
            )
        raw = {"from": match.group(1), "to": match.group(2)}
    elif kind == "link":
        if not cell.startswith(("http://", "https://")):
            raise BadCell(f"column '{column.id}': '{cell}' is not a link (start it with https://)")
        raw = cell
    elif kind == "long_text":
        raw = {"text": cell}
    else:  # text, email, phone: monday's simple string forms
        raw = cell
    try:
        parse_write(column, raw, ctx)
    except MondayError as exc:
        raise BadCell(f"column '{column.id}': {exc.message}") from None
    return raw


def row_values(
    columns: dict[str, Column], cells: dict[str, str], ctx: WriteContext, *, clearing: bool
) -> dict[str, Any]:
    """``{column id: value}`` for the filled cells of one row. An empty cell is left
    out (keeps the old value on an update); ``<NULL>`` clears the value when
    ``clearing`` (an update), and is left out otherwise (a new item has nothing to
    clear)."""
    values: dict[str, Any] = {}
    for column_id, cell in cells.items():
        if cell == "":
            continue
        column = columns[column_id]
        if cell == NULL_CELL:
            if column.type not in SUPPORTED_TYPES:
                raise BadCell(
                    f"column '{column.id}' is a {column.type} column, which bulk import can't "
                    "write: leave its cells empty"
                )
            if clearing:
                values[column_id] = None
            continue
        values[column_id] = write_value(column, cell, ctx)
    return values
