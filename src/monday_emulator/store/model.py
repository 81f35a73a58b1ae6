"""The data model: boards, columns, groups and items, as plain dataclasses with
JSON round trips (used by the SQLite persistence and the admin dump)."""

from __future__ import annotations

import json
from dataclasses import asdict, dataclass, field
from typing import Any

ACTIVE = "active"
ARCHIVED = "archived"
DELETED = "deleted"


@dataclass
class Column:
    id: str
    title: str
    type: str
    settings: dict[str, Any] = field(default_factory=dict)
    description: str | None = None
    archived: bool = False
    width: int | None = None

    @property
    def settings_str(self) -> str:
        return json.dumps(self.settings, separators=(",", ":"), ensure_ascii=False)


@dataclass
class Group:
    id: str
    title: str
    color: str = "#579bfc"
    position: float = 65536.0
    archived: bool = False
    deleted: bool = False

    @property
    def position_str(self) -> str:
        return (
            f"{self.position:.1f}"
            if self.position != int(self.position)
            else str(int(self.position))
        )


@dataclass
class Board:
    id: str
    name: str
    board_kind: str = "public"
    type: str = "board"
    state: str = ACTIVE
    description: str | None = None
    workspace_id: str | None = None
    created_at: str = ""
    updated_at: str = ""
    parent_board_id: str | None = None
    item_terminology: str = "item"
    columns: dict[str, Column] = field(default_factory=dict)
    groups: dict[str, Group] = field(default_factory=dict)

    def active_groups(self) -> list[Group]:
        groups = [g for g in self.groups.values() if not g.archived and not g.deleted]
        return sorted(groups, key=lambda g: g.position)

    def subtasks_column(self) -> Column | None:
        for column in self.columns.values():
            if column.type == "subtasks":
                return column
        return None

    def to_json(self) -> str:
        return json.dumps(asdict(self), ensure_ascii=False)

    @classmethod
    def from_json(cls, text: str) -> Board:
        data = json.loads(text)
        data["columns"] = {c["id"]: Column(**c) for c in data["columns"].values()}
        data["groups"] = {g["id"]: Group(**g) for g in data["groups"].values()}
        return cls(**data)


@dataclass
class Item:
    id: str
    board_id: str
    group_id: str
    name: str
    state: str = ACTIVE
    created_at: str = ""
    updated_at: str = ""
    parent_id: str | None = None
    creator_id: str = ""
    values: dict[str, Any] = field(default_factory=dict)

    def to_json(self) -> str:
        return json.dumps(asdict(self), ensure_ascii=False)

    @classmethod
    def from_json(cls, text: str) -> Item:
        return cls(**json.loads(text))
