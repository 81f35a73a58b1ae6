"""The rows a sync run works on, as the database hands them to the planner."""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, Literal

Action = Literal["INSERT", "UPDATE", "DELETE"]

NAME_KEY = "__name"
GROUP_KEY = "__group"


@dataclass(frozen=True)
class RowRef:
    """Which row an operation or a result belongs to."""

    table: Literal["order", "line"]
    id: str  # record_uuid of an order, line_id of a line
    key: str  # the order's business key (for messages and reports)
    customer: str | None = None
    size: str | None = None  # a line's size code

    def label(self) -> str:
        if self.table == "order":
            return f"order {self.key!r}"
        if self.size is not None:
            return f"size {self.size!r} of order {self.key!r}"
        return f"line {self.id} of order {self.key!r}"


@dataclass(frozen=True)
class OrderRow:
    """One claimed order: its sync columns and the values of its mapped columns."""

    record_uuid: str
    key: str
    action: Action
    item_id: str | None
    group_name: str | None
    item_name: str | None
    row_hash: str | None
    synced_values: Mapping[str, str] | None
    values: Mapping[str, Any]
    customer: str | None = None
    in_flight: bool = False
    retry_count: int = 0
    state: str = "PENDING"

    @property
    def ref(self) -> RowRef:
        return RowRef("order", self.record_uuid, self.key, self.customer)

    @staticmethod
    def parse_synced(raw: str | None) -> dict[str, str] | None:
        if not raw:
            return None
        try:
            parsed = json.loads(raw)
        except ValueError:
            return None
        return {str(k): str(v) for k, v in parsed.items()} if isinstance(parsed, dict) else None


@dataclass(frozen=True)
class LineRow:
    """One claimed size line with what the planner needs of its order."""

    line_id: str
    record_uuid: str
    order_key: str
    size_code: str
    size_position: int
    qty: int
    action: Action
    subitem_id: str | None
    synced_qty: int | None
    parent_item_id: str | None
    parent_action: Action | None
    customer: str | None = None
    in_flight: bool = False
    retry_count: int = 0

    @property
    def ref(self) -> RowRef:
        return RowRef("line", self.line_id, self.order_key, self.customer, self.size_code)


@dataclass
class ClaimedRows:
    orders: list[OrderRow] = field(default_factory=list)
    lines: list[LineRow] = field(default_factory=list)
    claimed_at: datetime | None = None
    expires_at: datetime | None = None

    def __bool__(self) -> bool:
        return bool(self.orders or self.lines)
