"""The file of one bulk job, and the report monday gives back. Pure.

One file holds the orders of one group: an item row per order (``name`` and the
board's column ids) followed by its size lines as classic subitem rows (``name`` empty,
``name.subitem`` and ``<column>.subitem`` cells), which monday attaches to the nearest
item row above. ``row_map`` says which database row each data row carries, so the
report's per-row errors land on the right order or line.
"""

from __future__ import annotations

import csv
import io
import json
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from sync_order_list.bulk.cells import NotImportable, cell, parse_column_values
from sync_order_list.monday.schema import Column
from sync_order_list.sync.operations import Operation, OpKind
from sync_order_list.sync.rows import RowRef

SUBITEM = ".subitem"
NULL_CELL = "<NULL>"  # monday: in UPSERT mode this clears the value


@dataclass(frozen=True)
class JobOrder:
    """An order for a job: its create and its lines' creates."""

    create: Operation
    lines: tuple[Operation, ...] = ()

    @property
    def rows(self) -> int:
        return 1 + len(self.lines)


@dataclass(frozen=True)
class MappedRow:
    """Data row ``number`` (1-based, after the header) carries ``ref``."""

    number: int
    ref: RowRef


@dataclass
class BulkFile:
    text: str
    row_map: list[MappedRow] = field(default_factory=list)

    @property
    def item_rows(self) -> int:
        return sum(1 for r in self.row_map if r.ref.table == "order")

    @property
    def rows(self) -> int:
        return len(self.row_map)

    def row_map_json(self) -> str:
        return json.dumps(
            [[r.number, r.ref.table, r.ref.id, r.ref.key, r.ref.size] for r in self.row_map],
            ensure_ascii=False,
        )

    @staticmethod
    def parse_row_map(raw: str) -> list[MappedRow]:
        out = []
        for number, table, ident, key, size in json.loads(raw or "[]"):
            out.append(MappedRow(int(number), RowRef(table, str(ident), key, None, size)))
        return out


def importable(
    order: JobOrder, items: Mapping[str, Column], subitems: Mapping[str, Column]
) -> str | None:
    """Why this order can't go in a bulk file (None: it can)."""
    for op, columns in ((order.create, items), *((ln, subitems) for ln in order.lines)):
        if str(op.variables.get("item_name", "")).strip() == NULL_CELL:
            return f"the name {NULL_CELL} means 'clear' in a bulk file"
        try:
            values = parse_column_values(op.variables.get("column_values"))
            for column_id, value in values.items():
                column = columns.get(column_id)
                if column is None:
                    return f"column {column_id!r} is not on the board"
                if cell(column, value).strip() == NULL_CELL:
                    return f"column {column_id!r} holds {NULL_CELL}, which a bulk file reads as 'clear'"
        except (NotImportable, ValueError) as exc:
            return str(exc)
    return None


def build_file(
    orders: Sequence[JobOrder],
    items: Mapping[str, Column],
    subitems: Mapping[str, Column],
    *,
    match_column: str | None = None,
) -> BulkFile:
    """The CSV of ``orders`` (each importable). ``match_column`` is always a header
    column (monday refuses a file without the ``on_match`` column)."""
    decoded = [
        (
            order,
            parse_column_values(order.create.variables.get("column_values")),
            [parse_column_values(ln.variables.get("column_values")) for ln in order.lines],
        )
        for order in orders
    ]
    item_ids = _columns([values for _, values, _ in decoded], match_column)
    sub_ids = _columns([v for _, _, lines in decoded for v in lines], None)
    header = ["name", *item_ids]
    if any(order.lines for order in orders):
        header += ["name" + SUBITEM, *(c + SUBITEM for c in sub_ids)]
    width = len(header)
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(header)
    row_map: list[MappedRow] = []
    for order, values, line_values in decoded:
        row = [str(order.create.variables["item_name"])]
        row += [cell(items[c], values.get(c)) for c in item_ids]
        writer.writerow(row + [""] * (width - len(row)))
        row_map.append(MappedRow(len(row_map) + 1, _ref(order.create)))
        for line, lv in zip(order.lines, line_values, strict=True):
            sub = [""] * (1 + len(item_ids))
            sub += [str(line.variables["item_name"])]
            sub += [cell(subitems[c], lv.get(c)) for c in sub_ids]
            writer.writerow(sub)
            row_map.append(MappedRow(len(row_map) + 1, _ref(line)))
    return BulkFile(out.getvalue(), row_map)


def _columns(values: Iterable[Mapping[str, Any]], first: str | None) -> list[str]:
    ids: dict[str, None] = {}
    if first:
        ids[first] = None
    for v in values:
        for column_id in v:
            ids.setdefault(column_id, None)
    return list(ids)


def _ref(op: Operation) -> RowRef:
    if op.row is None or op.kind not in (OpKind.CREATE_ITEM, OpKind.CREATE_SUBITEM):
        raise ValueError(f"a bulk file carries creates of rows, not {op.kind}")
    return op.row


@dataclass(frozen=True)
class ReportRow:
    number: int
    outcome: str  # created, updated, skipped, invalid, failed
    item_id: str | None
    error: str | None


def parse_report(text: str) -> dict[int, ReportRow]:
    """monday's per-row report, by data row number. Columns are found by name
    (``row_number``, ``outcome``, ``item_id``, ``error``); a report without
    ``row_number`` is read in file order."""
    reader = csv.DictReader(io.StringIO(text.lstrip("\ufeff")))
    out: dict[int, ReportRow] = {}
    for position, raw in enumerate(reader, start=1):
        row = {str(k).strip().lower(): (v or "").strip() for k, v in raw.items() if k}
        try:
            number = int(row.get("row_number") or position)
        except ValueError:
            number = position
        out[number] = ReportRow(
            number,
            (row.get("outcome") or row.get("status") or "").lower(),
            row.get("item_id") or None,
            row.get("error") or row.get("message") or None,
        )
    return out
