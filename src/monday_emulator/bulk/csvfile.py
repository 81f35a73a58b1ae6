"""The uploaded file: UTF-8 CSV text, a header of ``name`` and column ids, data rows.

``read_file`` checks what makes the whole file invalid (monday's ``INVALID_UPLOAD``:
"bad header, wrong column separator, malformed rows"): not UTF-8, not CSV, no header,
a header that doesn't start with ``name``, a column id the board doesn't have, a
repeated column, the match column missing, a row with more or fewer cells than the
header, more rows than the job takes. Rows are checked one by one later, when they
are processed (``values.py``).

Header cells, exactly as written (no trimming, ids are case-sensitive):

- ``name``: the item's name, always first;
- ``<column id>``: a column of the board;
- ``name.subitem`` and ``<column id>.subitem``: a classic subitem's name and a column
  of the board's subitems board.
"""

from __future__ import annotations

import csv
import io
from dataclasses import dataclass, field

from ..store.model import Board

SUBITEM_SUFFIX = ".subitem"
NULL_CELL = "<NULL>"  # in UPSERT mode: clear the value (an empty cell keeps it)


class InvalidUpload(ValueError):
    """The whole file is refused (``INVALID_UPLOAD``); the message says what to fix."""


@dataclass
class CsvFile:
    """A file whose header fits the board. ``rows`` are the data rows (1-based row
    number ``n`` is ``rows[n - 1]``), each as long as the header."""

    header: list[str]
    rows: list[list[str]]
    item_columns: dict[str, int] = field(default_factory=dict)  # column id -> cell index
    subitem_columns: dict[str, int] = field(default_factory=dict)  # subitems board column
    subitem_name: int | None = None  # cell index of name.subitem


def decode(data: bytes) -> str:
    """The file's text: UTF-8, with or without a byte order mark."""
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        raise InvalidUpload(
            f"The file is not UTF-8 text (byte {exc.start} can't be decoded): save the CSV as UTF-8"
        ) from None


def records(text: str) -> list[list[str]]:
    """The CSV records (comma-separated, double quotes). Blank lines are no records."""
    try:
        parsed = list(csv.reader(io.StringIO(text, newline=""), strict=True))
    except csv.Error as exc:
        raise InvalidUpload(f"The file is not valid CSV: {exc}") from None
    return [r for r in parsed if r]


def read_file(
    data: bytes,
    board: Board,
    subitems_board: Board | None,
    match_column: str | None,
    max_rows: int,
    operation: str,
) -> CsvFile:
    """Parse and check the file against ``board``, or raise ``InvalidUpload``."""
    rows = records(decode(data))
    if not rows:
        raise InvalidUpload("The file is empty: it needs a header row (name, then column ids)")
    header, body = rows[0], rows[1:]
    parsed = CsvFile(header=header, rows=body)
    _read_header(parsed, board, subitems_board)
    if match_column is not None and match_column not in parsed.item_columns:
        raise InvalidUpload(
            f"The match column '{match_column}' (on_match.match_column_id) is not in the "
            "header: add it, the rows are matched on its values"
        )
    for number, row in enumerate(body, start=1):
        if len(row) != len(header):
            raise InvalidUpload(
                f"Row {number} has {len(row)} cells but the header has {len(header)}: "
                "every row needs one cell per header column (check the separator and the quoting)"
            )
    if len(body) > max_rows:
        raise InvalidUpload(
            f"The file has {len(body)} rows: {operation} takes at most {max_rows} rows a job "
            "(subitem rows count too)"
        )
    return parsed


def _read_header(parsed: CsvFile, board: Board, subitems_board: Board | None) -> None:
    header = parsed.header
    if header[0] != "name":
        raise InvalidUpload(
            f"The header starts with '{header[0]}': its first column must be 'name', "
            "then the board's column ids"
        )
    seen: set[str] = set()
    for index, cell in enumerate(header):
        position = index + 1
        if cell in seen:
            raise InvalidUpload(f"Column '{cell}' appears twice in the header (column {position})")
        seen.add(cell)
        if index == 0:
            continue
        if cell.endswith(SUBITEM_SUFFIX):
            base = cell[: -len(SUBITEM_SUFFIX)]
            if base == "name":
                parsed.subitem_name = index
                continue
            if subitems_board is None or not _is_column(subitems_board, base):
                where = (
                    f"the subitems board {subitems_board.id}"
                    if subitems_board is not None
                    else "a subitems board (the board has none yet)"
                )
                raise InvalidUpload(
                    f"Unknown column '{cell}' in the header (column {position}): "
                    f"'{base}' is not a column of {where}"
                )
            parsed.subitem_columns[base] = index
            continue
        if cell == "name" or not _is_column(board, cell):
            raise InvalidUpload(
                f"Unknown column id '{cell}' in the header (column {position}): "
                f"board {board.id} has no such column (ids are case-sensitive)"
            )
        parsed.item_columns[cell] = index
    if parsed.subitem_columns and parsed.subitem_name is None:
        raise InvalidUpload("The header has subitem columns but no 'name.subitem' column")


def _is_column(board: Board, column_id: str) -> bool:
    column = board.columns.get(column_id)
    return column is not None and not column.archived and column.type != "name"
