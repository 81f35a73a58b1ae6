"""A job's report: one CSV line per data row of the uploaded file, in file order.

``row_number,row_type,name,outcome,item_id,error``

- ``row_number``: the row's 1-based number among the data rows (the header is not
  counted), what a client maps results back by;
- ``row_type``: ``item`` or ``subitem``;
- ``name``: the row's ``name`` (``name.subitem`` for a subitem row);
- ``outcome``: ``created``, ``updated``, ``skipped``, ``invalid`` or ``failed``;
- ``item_id``: the item (or subitem) the row created, updated or matched; empty for
  an invalid or failed row;
- ``error``: why the row is invalid or failed (empty otherwise).
"""

from __future__ import annotations

import csv
import io
from dataclasses import dataclass

COLUMNS = ("row_number", "row_type", "name", "outcome", "item_id", "error")
OUTCOMES = ("created", "updated", "skipped", "invalid", "failed")


@dataclass
class RowResult:
    number: int
    row_type: str
    name: str
    outcome: str
    item_id: str | None = None
    error: str = ""


def render(results: list[RowResult]) -> str:
    out = io.StringIO(newline="")
    writer = csv.writer(out, lineterminator="\r\n")
    writer.writerow(COLUMNS)
    for r in sorted(results, key=lambda r: r.number):
        writer.writerow([r.number, r.row_type, r.name, r.outcome, r.item_id or "", r.error])
    return out.getvalue()
