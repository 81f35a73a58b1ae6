"""What ``verify`` reads (the board, the database) and what it finds, as plain data.

Keys are compared with ``str.strip().casefold()`` on both sides (``key_of``): monday's
key lookups are case-insensitive, and the merge normalises keys.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Mapping
from dataclasses import asdict, dataclass, field
from typing import Any

# Kinds of difference, in the order the table shows them.
MISSING = "missing"  # the order's item is not on the board at all
ARCHIVED = "archived"  # ... it is archived
DELETED = "deleted"  # ... it is deleted
UNLINKED = "unlinked"  # an item carries the order's key, but the database points elsewhere
DUPLICATE = "duplicate"  # a second (third...) active item for one order's key
ORPHAN = "orphan"  # an active item whose key belongs to no order
VALUE_DIFFERS = "value_differs"  # a mapped column (or the name, or a qty) differs
WRONG_GROUP = "wrong_group"  # the item is in another group than the order's
SUBITEM_MISSING = "subitem_missing"  # a size line's subitem is gone
SUBITEM_UNLINKED = "subitem_unlinked"  # a subitem of that size exists, another id
SUBITEM_DUPLICATE = "subitem_duplicate"  # a second subitem for one size
SUBITEM_EXTRA = "subitem_extra"  # a subitem whose size has no line

KINDS = (
    MISSING,
    ARCHIVED,
    DELETED,
    UNLINKED,
    DUPLICATE,
    ORPHAN,
    VALUE_DIFFERS,
    WRONG_GROUP,
    SUBITEM_MISSING,
    SUBITEM_UNLINKED,
    SUBITEM_DUPLICATE,
    SUBITEM_EXTRA,
)
# never changed by --repair: a person decides (the tool does not own them)
REPORT_ONLY = frozenset({ORPHAN, SUBITEM_EXTRA})

NAME_COLUMN = "name"  # value_differs on the item name


def key_of(text: Any) -> str:
    """The comparable form of a business key."""
    return "" if text is None else str(text).strip().casefold()


# --------------------------------------------------------------------------- the board


@dataclass(frozen=True)
class BoardSubitem:
    id: str
    name: str
    values: Mapping[str, str | None]  # subitem column id -> text


@dataclass(frozen=True)
class BoardItem:
    id: str
    name: str
    group_id: str | None
    values: Mapping[str, str | None]  # column id -> text (the columns the tool maps)
    subitems: tuple[BoardSubitem, ...] = ()


@dataclass(frozen=True)
class BoardSnapshot:
    """The active items of the items board, with what verify needs to judge them."""

    board_id: str
    items: tuple[BoardItem, ...]
    groups: Mapping[str, str]  # group id -> title
    column_types: Mapping[str, str]  # items board column id -> type
    subitem_column_types: Mapping[str, str] = field(default_factory=dict)
    # item id -> "archived" / "deleted" for ids the database points at that are not
    # among the active items (absent: not found at all)
    states: Mapping[str, str] = field(default_factory=dict)
    pages: int = 0

    @property
    def subitem_count(self) -> int:
        return sum(len(i.subitems) for i in self.items)


# --------------------------------------------------------------------------- the database


@dataclass(frozen=True)
class DbLine:
    line_id: str
    size: str
    qty: int
    subitem_id: str | None
    state: str
    action: str
    synced_qty: int | None = None

    @property
    def live(self) -> bool:
        return self.action != "DELETE"


@dataclass(frozen=True)
class DbOrder:
    """One order as the database has it; ``values``: monday column id -> raw value."""

    record_uuid: str
    key: str
    customer: str | None
    item_id: str | None
    state: str
    action: str
    item_name: str | None
    group_name: str | None
    values: Mapping[str, Any]
    synced_values: Mapping[str, str] | None = None
    claimed: bool = False  # a running sync holds it: not judged now
    lines: tuple[DbLine, ...] = ()

    @property
    def live(self) -> bool:
        return self.action != "DELETE"


# --------------------------------------------------------------------------- findings


@dataclass(frozen=True)
class Finding:
    """One difference between the board and the database."""

    kind: str
    key: str
    detail: str
    customer: str | None = None
    record_uuid: str | None = None
    item_id: str | None = None  # the board item concerned
    column: str | None = None  # monday column id (value_differs), "name"
    size: str | None = None
    line_id: str | None = None
    subitem_id: str | None = None
    board_value: str | None = None  # comparable text on the board
    db_value: str | None = None  # comparable text in the database

    @property
    def repairable(self) -> bool:
        return self.kind not in REPORT_ONLY

    def as_dict(self) -> dict[str, Any]:
        return {k: v for k, v in asdict(self).items() if v is not None}


@dataclass
class Drift:
    """Everything ``compare`` found, and how much it looked at."""

    findings: list[Finding] = field(default_factory=list)
    orders_checked: int = 0
    orders_skipped: int = 0  # claimed by a running sync
    items_read: int = 0
    subitems_read: int = 0

    def counts(self) -> dict[str, int]:
        found = Counter(f.kind for f in self.findings)
        return {kind: found[kind] for kind in KINDS if found[kind]}

    @property
    def total(self) -> int:
        return len(self.findings)

    def of(self, *kinds: str) -> list[Finding]:
        return [f for f in self.findings if f.kind in kinds]
