"""Reading a response: which rows of a document succeeded, which failed and why. Pure.

monday answers an aliased document with one result per alias: an alias that failed is
``null`` in ``data`` with its errors under ``path: [alias]``, and its siblings stand.
So a failure marks only the row its alias belongs to.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

from sync_order_list.sync.operations import Operation, OpKind
from sync_order_list.sync.rows import RowRef

# the item an update, move or archive names no longer exists on the board
VANISHED_CODES = frozenset({"InvalidItemIdException", "ResourceNotFoundException"})


@dataclass
class RowResult:
    """Outcome of one row's operations in one document."""

    ops: list[Operation]
    item_id: str | None = None
    errors: list[str] = field(default_factory=list)
    vanished: bool = False
    column: str | None = None


def row_results(
    ops: Sequence[Operation], aliases: Sequence[str], response: Any
) -> dict[RowRef, RowResult]:
    """Per row: its operations, the id a create returned, or the errors it met."""
    errors = errors_by_alias(response)
    codes = _codes_by_alias(response)
    columns = _columns_by_alias(response)
    data = response.data or {}
    results: dict[RowRef, RowResult] = {}
    for index, op in enumerate(ops):
        if op.row is None:
            continue
        alias = aliases[index]
        result = results.setdefault(op.row, RowResult(ops=[]))
        result.ops.append(op)
        value = data.get(alias)
        if alias in errors or value is None:
            gone = bool(codes.get(alias, set()) & VANISHED_CODES)
            if gone and op.kind.removes:
                continue  # already gone from the board: what a removal wants
            if gone and op.kind in (OpKind.UPDATE_ITEM, OpKind.MOVE_ITEM, OpKind.UPDATE_SUBITEM):
                result.vanished = True
            result.errors.extend(errors.get(alias, ["monday returned no result"]))
            column = columns.get(alias)
            result.column = result.column or (f"monday column {column}" if column else None)
        elif op.kind.creates:
            result.item_id = str(value.get("id"))
    return results


def errors_by_alias(response: Any) -> dict[str, list[str]]:
    out: dict[str, list[str]] = {}
    for error in getattr(response, "errors", ()) or ():
        if error.alias:
            code = f"[{error.code}] " if error.code else ""
            out.setdefault(error.alias, []).append(f"{code}{error.message}")
    return out


def _codes_by_alias(response: Any) -> dict[str, set[str]]:
    out: dict[str, set[str]] = {}
    for error in getattr(response, "errors", ()) or ():
        if error.alias and error.code:
            out.setdefault(error.alias, set()).add(error.code)
    return out


def _columns_by_alias(response: Any) -> dict[str, str]:
    out: dict[str, str] = {}
    for error in getattr(response, "errors", ()) or ():
        data = getattr(error, "error_data", None) or {}
        column = data.get("column_id") if isinstance(data, dict) else None
        if error.alias and column:
            out.setdefault(error.alias, str(column))
    return out
