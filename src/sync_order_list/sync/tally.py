"""What a run did, per customer: the numbers behind the summary table and the reports."""

from __future__ import annotations

from collections import defaultdict
from dataclasses import asdict, dataclass, field
from typing import Any

from sync_order_list.sync.operations import OpKind
from sync_order_list.sync.rows import RowRef

# what a run did to rows, per customer (the report, the metrics and the table use these)
ROW_ACTIONS = (
    "created",
    "updated",
    "archived",
    "unchanged",
    "subitems_created",
    "subitems_updated",
    "subitems_deleted",
)
COUNTERS = (*ROW_ACTIONS, "errors")
CUSTOMER_FIELDS = ("orders", *COUNTERS)

_BY_KIND = {
    OpKind.CREATE_ITEM: "created",
    OpKind.UPDATE_ITEM: "updated",
    OpKind.MOVE_ITEM: "updated",
    OpKind.ARCHIVE_ITEM: "archived",
    OpKind.DELETE_ITEM: "archived",
    OpKind.CREATE_SUBITEM: "subitems_created",
    OpKind.UPDATE_SUBITEM: "subitems_updated",
    OpKind.ARCHIVE_SUBITEM: "subitems_deleted",
    OpKind.DELETE_SUBITEM: "subitems_deleted",
}


@dataclass
class CustomerTally:
    orders: int = 0
    created: int = 0
    updated: int = 0
    archived: int = 0
    unchanged: int = 0
    subitems_created: int = 0
    subitems_updated: int = 0
    subitems_deleted: int = 0
    errors: int = 0
    seconds: float = 0.0


@dataclass(frozen=True)
class RowErrorRecord:
    key: str
    customer: str | None
    table: str
    message: str
    column: str | None = None
    size: str | None = None  # a line's size code


@dataclass
class Tally:
    customers: dict[str, CustomerTally] = field(default_factory=lambda: defaultdict(CustomerTally))
    errors: list[RowErrorRecord] = field(default_factory=list)
    groups_created: int = 0
    groups_repaired: int = 0  # duplicate groups merged into the one the database knows
    adopted: int = 0
    replayed: int = 0  # documents resent under their Idempotency-Key
    pending_left: int = 0

    @staticmethod
    def _name(ref: RowRef) -> str:
        return ref.customer or "(no customer)"

    def order_seen(self, ref: RowRef) -> None:
        self.customers[self._name(ref)].orders += 1

    def done(self, ref: RowRef, kinds: set[OpKind]) -> None:
        tally = self.customers[self._name(ref)]
        counted: set[str] = set()
        for kind in kinds:
            name = _BY_KIND.get(kind)
            if name and name not in counted:
                counted.add(name)
                setattr(tally, name, getattr(tally, name) + 1)

    def unchanged(self, ref: RowRef) -> None:
        if ref.table == "order":
            self.customers[self._name(ref)].unchanged += 1

    def failed(self, ref: RowRef, message: str, column: str | None = None) -> None:
        self.customers[self._name(ref)].errors += 1
        self.errors.append(
            RowErrorRecord(ref.key, ref.customer, ref.table, message, column, ref.size)
        )

    def seconds(self, refs: list[RowRef], duration: float) -> None:
        if not refs:
            return
        share = duration / len(refs)
        for ref in refs:
            self.customers[self._name(ref)].seconds += share

    def total(self) -> CustomerTally:
        out = CustomerTally()
        for tally in self.customers.values():
            for name, value in asdict(tally).items():
                setattr(out, name, getattr(out, name) + value)
        return out

    def as_dict(self) -> dict[str, Any]:
        return {
            "customers": {k: asdict(v) for k, v in sorted(self.customers.items())},
            "total": asdict(self.total()),
            "errors": [asdict(e) for e in self.errors],
            "groups_created": self.groups_created,
            "groups_repaired": self.groups_repaired,
            "adopted": self.adopted,
            "replayed": self.replayed,
        }
