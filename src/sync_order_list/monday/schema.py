"""The board schema: columns (type, title, parsed settings with labels) and groups of
the items board and its subitems board, fetched once per run.

The planner and the encoders need it to validate before sending: a status label that
does not exist fails the whole ``create_item`` on monday's side, so it is cheaper to
catch it here and mark only that row ERROR. ``BoardSchema.from_response`` is pure so
tests build schemas from JSON.
"""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from types import MappingProxyType
from typing import TYPE_CHECKING, Any

from sync_order_list.errors import MondayApiError

from . import documents

if TYPE_CHECKING:
    from .client import MondayClient

SUBTASKS_TYPE = "subtasks"


@dataclass(frozen=True)
class Column:
    """One board column. ``labels`` maps status index / dropdown id -> label text."""

    id: str
    title: str
    type: str
    settings: Mapping[str, Any] = field(default_factory=dict, repr=False)

    @classmethod
    def from_json(cls, raw: Mapping[str, Any]) -> Column:
        settings = raw.get("settings_str") or "{}"
        try:
            parsed = json.loads(settings) if isinstance(settings, str) else dict(settings)
        except ValueError:
            parsed = {}
        return cls(
            id=str(raw["id"]),
            title=str(raw.get("title") or raw["id"]),
            type=str(raw.get("type") or ""),
            settings=MappingProxyType(parsed if isinstance(parsed, dict) else {}),
        )

    @property
    def labels(self) -> dict[int, str]:
        """Status: index -> label; dropdown: id -> name. Unnamed labels are left out.

        Accepts both settings shapes monday has used: ``{"0": "Done"}`` and
        ``[{"id": 1, "name": "A"}]``.
        """
        raw = self.settings.get("labels")
        out: dict[int, str] = {}
        if isinstance(raw, Mapping):
            for key, name in raw.items():
                if isinstance(name, Mapping):
                    name = name.get("name") or name.get("label")
                if name and str(key).lstrip("-").isdigit():
                    out[int(key)] = str(name)
        elif isinstance(raw, list):
            for entry in raw:
                if isinstance(entry, Mapping) and entry.get("name") is not None:
                    try:
                        out[int(entry["id"])] = str(entry["name"])
                    except (KeyError, TypeError, ValueError):
                        continue
        deactivated = self.settings.get("deactivated_labels")
        if isinstance(deactivated, list):
            for dead in deactivated:
                try:
                    out.pop(int(dead["id"] if isinstance(dead, Mapping) else dead), None)
                except (KeyError, TypeError, ValueError):
                    continue
        return out

    def label_id(self, name: str) -> int | None:
        """The index/id of an existing label, matched exactly (case-sensitive)."""
        for key, label in self.labels.items():
            if label == name:
                return key
        return None

    @property
    def linked_board_ids(self) -> list[str]:
        """Board ids a subtasks (or connect) column points at."""
        ids = self.settings.get("boardIds") or self.settings.get("board_ids") or []
        if not isinstance(ids, list):
            return []
        return [str(i) for i in ids]


@dataclass(frozen=True)
class Group:
    id: str
    title: str


@dataclass(frozen=True)
class Board:
    id: str
    name: str
    type: str | None
    columns: Mapping[str, Column]
    groups: tuple[Group, ...]

    @classmethod
    def from_json(cls, raw: Mapping[str, Any]) -> Board:
        columns = {c.id: c for c in (Column.from_json(c) for c in raw.get("columns") or [])}
        groups = tuple(
            Group(id=str(g["id"]), title=str(g.get("title") or "")) for g in raw.get("groups") or []
        )
        return cls(
            id=str(raw["id"]),
            name=str(raw.get("name") or ""),
            type=raw.get("type"),
            columns=MappingProxyType(columns),
            groups=groups,
        )

    @property
    def groups_by_title(self) -> dict[str, Group]:
        """Title -> group; with duplicate titles (monday allows them) the first wins."""
        out: dict[str, Group] = {}
        for group in self.groups:
            out.setdefault(group.title, group)
        return out

    @property
    def duplicate_group_titles(self) -> list[str]:
        seen: set[str] = set()
        dupes: list[str] = []
        for group in self.groups:
            if group.title in seen and group.title not in dupes:
                dupes.append(group.title)
            seen.add(group.title)
        return dupes

    def column(self, column_id: str) -> Column:
        try:
            return self.columns[column_id]
        except KeyError:
            raise KeyError(f"board {self.id} ({self.name}) has no column {column_id!r}") from None

    @property
    def subtasks_column(self) -> Column | None:
        return next((c for c in self.columns.values() if c.type == SUBTASKS_TYPE), None)


@dataclass(frozen=True)
class BoardSchema:
    """The items board and (if any) its subitems board."""

    items: Board
    subitems: Board | None = None

    @property
    def items_board_id(self) -> str:
        return self.items.id

    @property
    def subitems_board_id(self) -> str | None:
        if self.subitems is not None:
            return self.subitems.id
        return discover_subitems_board_id(self.items)

    @classmethod
    def from_response(
        cls,
        data: Mapping[str, Any],
        items_board_id: str | int,
        subitems_board_id: str | int | None = None,
    ) -> BoardSchema:
        """Build from the ``data`` of one or more ``board_schema`` responses (their
        ``boards`` lists concatenated). The subitems board id, when not given, comes
        from the items board's ``subtasks`` column settings (``boardIds``)."""
        boards = {str(b["id"]): b for b in data.get("boards") or [] if b}
        raw_items = boards.get(str(items_board_id))
        if raw_items is None:
            raise MondayApiError(
                f"items board {items_board_id} not found (or the token cannot read it)",
                code="InvalidBoardIdException",
            )
        items = Board.from_json(raw_items)
        sub_id = str(subitems_board_id) if subitems_board_id else discover_subitems_board_id(items)
        raw_sub = boards.get(sub_id) if sub_id else None
        return cls(items=items, subitems=Board.from_json(raw_sub) if raw_sub else None)


def discover_subitems_board_id(items: Board) -> str | None:
    column = items.subtasks_column
    ids = column.linked_board_ids if column else []
    return ids[0] if ids else None


async def fetch_board_schema(
    client: MondayClient,
    items_board_id: str | int,
    subitems_board_id: str | int | None = None,
) -> BoardSchema:
    """Fetch both boards' columns and groups: one request, or two when the subitems
    board id must first be discovered from the items board."""
    ids = [str(items_board_id)] + ([str(subitems_board_id)] if subitems_board_id else [])
    boards = await _fetch_boards(client, ids)
    schema = BoardSchema.from_response({"boards": boards}, items_board_id, subitems_board_id)
    wanted = schema.subitems_board_id
    if wanted and schema.subitems is None:
        boards += await _fetch_boards(client, [wanted])
        schema = BoardSchema.from_response({"boards": boards}, items_board_id, wanted)
        if schema.subitems is None:
            raise MondayApiError(
                f"subitems board {wanted} not found (or the token cannot read it)",
                code="InvalidBoardIdException",
            )
    return schema


async def fetch_groups(client: MondayClient, board_id: str | int) -> tuple[Group, ...]:
    """The board's groups as they are now (before creating one, so a re-run reuses it)."""
    doc = documents.single("board_groups", {"board_ids": [str(board_id)]})
    response = await client.execute(doc, idempotent=True)
    boards = (response.data or {}).get("boards") or []
    if not boards:
        raise MondayApiError(f"board {board_id} not found", code="InvalidBoardIdException")
    return Board.from_json({**boards[0], "columns": []}).groups


async def _fetch_boards(client: MondayClient, ids: Sequence[str]) -> list[dict[str, Any]]:
    doc = documents.single("board_schema", {"board_ids": list(ids)})
    response = await client.execute(doc, idempotent=True)
    if response.errors:
        first = response.errors[0]
        raise MondayApiError(first.message, code=first.code, error_data=dict(first.error_data))
    return [b for b in (response.data or {}).get("boards") or [] if b]
