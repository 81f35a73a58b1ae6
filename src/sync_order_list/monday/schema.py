"""The board schema: columns (type, title, parsed settings with labels) and groups of
the items board and its subitems board, fetched once per run.

The planner and the encoders need it to validate before sending: a status label that
does not exist fails the whole ``create_item`` on monday's side, so it is cheaper to
catch it here and mark only that row ERROR. ``BoardSchema.from_response`` is pure so
tests build schemas from JSON.

Column settings come from ``Column.settings`` (JSON, API 2025-10 and later) or, on
older versions, from ``settings_str`` (a JSON string, deprecated since 2025-10 and to
be removed). The document that fetches them is picked by the configured API version
(``board_schema_document``), so no request selects a field its version lacks.
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
#: The first API version with ``Column.settings`` (and ``settings_str`` deprecated).
SETTINGS_SINCE = "2025-10"


def board_schema_document(api_version: str) -> str:
    """The board-schema document for ``api_version``: ``board_schema_settings``
    (``Column.settings``) from 2025-10 on, ``board_schema`` (``settings_str``) before."""
    return "board_schema_settings" if api_version >= SETTINGS_SINCE else "board_schema"


def _parse_settings(value: Any) -> dict[str, Any]:
    if isinstance(value, Mapping):
        return dict(value)
    if isinstance(value, str):
        try:
            parsed = json.loads(value or "{}")
        except ValueError:
            return {}
        return parsed if isinstance(parsed, dict) else {}
    return {}


@dataclass(frozen=True)
class Column:
    """One board column. ``labels`` maps status index / dropdown id -> label text."""

    id: str
    title: str
    type: str
    settings: Mapping[str, Any] = field(default_factory=dict, repr=False)

    @classmethod
    def from_json(cls, raw: Mapping[str, Any]) -> Column:
        """From a ``columns`` entry: ``settings`` (JSON) when the response has it, else
        ``settings_str``; unparseable settings count as none."""
        settings = raw.get("settings")
        parsed = _parse_settings(settings if settings is not None else raw.get("settings_str"))
        return cls(
            id=str(raw["id"]),
            title=str(raw.get("title") or raw["id"]),
            type=str(raw.get("type") or ""),
            settings=MappingProxyType(parsed),
        )

    @property
    def labels(self) -> dict[int, str]:
        """Status: index -> label; dropdown: id -> name. Unnamed and deactivated labels
        are left out: a deactivated label must not be written.

        Accepts every settings shape monday has used: ``settings_str``'s
        ``{"0": "Done"}`` (status) and ``[{"id": 1, "name": "A"}]`` (dropdown), with a
        ``deactivated_labels`` list; and ``settings``' list of
        ``{"id", "label", "index", "is_deactivated"}`` objects, whose ``id`` is the
        index a write names (``index`` there is the label's position; it stands in
        for a missing ``id``).
        """
        return {key: name for key, name, dead in self._label_entries() if not dead}

    @property
    def deactivated_labels(self) -> dict[int, str]:
        """Labels that exist but are deactivated: never written."""
        active = self.labels
        return {
            key: name
            for key, name, dead in self._label_entries()
            if dead and key not in active and name
        }

    def _label_entries(self) -> list[tuple[int, str, bool]]:
        """(index or id, name, deactivated) of every named label."""
        raw = self.settings.get("labels")
        out: list[tuple[int, str, bool]] = []
        if isinstance(raw, Mapping):
            for key, name in raw.items():
                dead = False
                if isinstance(name, Mapping):
                    dead = name.get("is_deactivated") is True
                    name = name.get("name") or name.get("label")
                if name and str(key).lstrip("-").isdigit():
                    out.append((int(key), str(name), dead))
        elif isinstance(raw, list):
            for entry in raw:
                if not isinstance(entry, Mapping):
                    continue
                name = entry.get("label") if entry.get("label") is not None else entry.get("name")
                key = entry.get("id") if entry.get("id") is not None else entry.get("index")
                if not name or key is None:
                    continue
                try:
                    out.append((int(key), str(name), entry.get("is_deactivated") is True))
                except (TypeError, ValueError):
                    continue
        names = {key: name for key, name, _ in out}
        deactivated = self.settings.get("deactivated_labels")
        if isinstance(deactivated, list):
            dead_keys: dict[int, str] = {}
            for dead in deactivated:
                try:
                    key = int(dead["id"] if isinstance(dead, Mapping) else dead)
                except (KeyError, TypeError, ValueError):
                    continue
                name = (
                    (dead.get("name") or dead.get("label")) if isinstance(dead, Mapping) else None
                )
                dead_keys[key] = str(name or names.get(key) or "")
            out = [(k, n, d or k in dead_keys) for k, n, d in out]
            out += [(k, n, True) for k, n in dead_keys.items() if k not in names and n]
        return out

    def label_id(self, name: str) -> int | None:
        """The index/id of an existing active label, matched exactly (case-sensitive)."""
        for key, label in self.labels.items():
            if label == name:
                return key
        return None

    def is_deactivated(self, name: str) -> bool:
        """Whether ``name`` is a deactivated label (and no active label has that name)."""
        return self.label_id(name) is None and name in self.deactivated_labels.values()

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
    doc = documents.single(board_schema_document(client.api_version), {"board_ids": list(ids)})
    response = await client.execute(doc, idempotent=True)
    if response.errors:
        first = response.errors[0]
        raise MondayApiError(first.message, code=first.code, error_data=dict(first.error_data))
    return [b for b in (response.data or {}).get("boards") or [] if b]
