"""What the planner decides and the executor carries out.

An ``Operation`` is one monday mutation for one row (a group has no row). Values that
only exist at send time (the id of a group created earlier in the run, the item id of
a parent created in the previous phase) are named, not filled: ``group_title`` and
``parent_record`` are resolved by the executor just before sending.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Mapping
from dataclasses import dataclass, field
from enum import StrEnum
from typing import Any

from sync_order_list.sync.rows import RowRef


class OpKind(StrEnum):
    CREATE_GROUP = "create_group"
    ARCHIVE_GROUP = "archive_group"
    CREATE_ITEM = "create_item"
    UPDATE_ITEM = "update_item"
    MOVE_ITEM = "move_item"
    ARCHIVE_ITEM = "archive_item"
    DELETE_ITEM = "delete_item"
    CREATE_SUBITEM = "create_subitem"
    UPDATE_SUBITEM = "update_subitem"
    ARCHIVE_SUBITEM = "archive_subitem"
    DELETE_SUBITEM = "delete_subitem"

    @property
    def document(self) -> str:
        """The ``.graphql`` document that carries this operation."""
        return {
            OpKind.UPDATE_ITEM: "change_multiple_column_values",
            OpKind.MOVE_ITEM: "move_item_to_group",
            OpKind.UPDATE_SUBITEM: "change_multiple_column_values",
            OpKind.ARCHIVE_SUBITEM: "archive_item",
            OpKind.DELETE_SUBITEM: "delete_item",
        }.get(self, self.value)

    @property
    def removes(self) -> bool:
        return self in (
            OpKind.ARCHIVE_ITEM,
            OpKind.DELETE_ITEM,
            OpKind.ARCHIVE_SUBITEM,
            OpKind.DELETE_SUBITEM,
        )

    @property
    def creates(self) -> bool:
        """Not idempotent: re-sending after an unknown outcome could duplicate."""
        return self in (OpKind.CREATE_GROUP, OpKind.CREATE_ITEM, OpKind.CREATE_SUBITEM)


@dataclass(frozen=True)
class Operation:
    kind: OpKind
    row: RowRef | None
    variables: Mapping[str, Any]
    group_title: str | None = None  # resolved to group_id when sent
    parent_record: str | None = None  # record_uuid whose item id becomes parent_item_id
    synced: Mapping[str, str] | None = None  # the row's synced values after success
    sent_hash: str | None = None  # order row_hash this operation brings to the board
    sent_qty: int | None = None  # line qty this operation brings to the board
    match: str | None = None  # how a create is found again: the order key, the size code

    @property
    def document(self) -> str:
        return self.kind.document


@dataclass(frozen=True)
class Settle:
    """A row that needs no API call: nothing changed, or nothing exists to delete."""

    row: RowRef
    reason: str
    sent_hash: str | None = None
    sent_qty: int | None = None
    deleted: bool = False
    synced: Mapping[str, str] | None = None


@dataclass(frozen=True)
class RowFailure:
    row: RowRef
    message: str
    column: str | None = None  # the database column at fault, when one is


@dataclass
class Plan:
    groups: list[str] = field(default_factory=list)
    item_ops: list[Operation] = field(default_factory=list)
    line_ops: list[Operation] = field(default_factory=list)
    settles: list[Settle] = field(default_factory=list)
    failures: list[RowFailure] = field(default_factory=list)

    def counts(self) -> dict[str, int]:
        counter: Counter[str] = Counter()
        counter["create_group"] = len(self.groups)
        for op in self.item_ops + self.line_ops:
            counter[op.kind.value] += 1
        counter["unchanged"] = len(self.settles)
        counter["invalid"] = len(self.failures)
        return {k: v for k, v in counter.items() if v}

    @property
    def is_empty(self) -> bool:
        return not (self.groups or self.item_ops or self.line_ops or self.settles or self.failures)
