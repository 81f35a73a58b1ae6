"""The emulator's state: boards, columns, groups, items and subitems, with monday's
rules for each change. Every operation validates everything first and only then
applies, so a failing call changes nothing. ``flush()`` writes what changed to the
persistence backend (if any)."""

from __future__ import annotations

import math
from collections.abc import Iterable
from typing import Any

from .. import errors
from ..clock import Clock, iso_z, stamps
from ..settings import EmulatorSettings
from .columns import (
    CREATABLE_TYPES,
    ID_PREFIX,
    WriteContext,
    default_settings,
    parse_write,
    subtasks_settings,
)
from .ids import IdSequence, column_id, group_id
from .model import ACTIVE, ARCHIVED, DELETED, Board, Column, Group, Item
from .persistence import SqliteBackend

GROUP_COLORS = [
    "#579bfc", "#00c875", "#fdab3d", "#df2f4a", "#a25ddc", "#037f4c", "#ffcb00",
    "#ff642e", "#66ccff", "#784bd1", "#ff158a", "#9cd326", "#7f5347", "#c4c4c4",
]  # fmt: skip

POSITION_STEP = 65536.0


class Store:
    def __init__(
        self,
        settings: EmulatorSettings,
        clock: Clock,
        backend: SqliteBackend | None = None,
    ) -> None:
        self.settings = settings
        self.clock = clock
        self.backend = backend
        self.boards: dict[str, Board] = {}
        self.items: dict[str, Item] = {}
        self.board_items: dict[str, list[str]] = {}
        self.children: dict[str, list[str]] = {}
        self.seq = IdSequence()
        self._dirty_boards: set[str] = set()
        self._dirty_items: set[str] = set()
        self._live_counts: dict[str, int] = {}
        if backend is not None:
            self._load()

    # ------------------------------------------------------------ persistence

    def _load(self) -> None:
        assert self.backend is not None
        boards, items, meta = self.backend.load()
        for board in boards:
            self.boards[board.id] = board
            self.board_items.setdefault(board.id, [])
            self.seq.observe(board.id)
        for item in items:
            self._index_item(item)
        if "next_id" in meta:
            self.seq.next_id = max(self.seq.next_id, int(meta["next_id"]))

    def _index_item(self, item: Item) -> None:
        self.items[item.id] = item
        self.board_items.setdefault(item.board_id, []).append(item.id)
        if item.state != DELETED:
            self._live_counts[item.board_id] = self._live_counts.get(item.board_id, 0) + 1
        if item.parent_id:
            self.children.setdefault(item.parent_id, []).append(item.id)
        self.seq.observe(item.id)

    def flush(self) -> None:
        """Write what changed since the last flush (one transaction)."""
        if not self._dirty_boards and not self._dirty_items:
            return
        if self.backend is not None:
            self.backend.write(
                [self.boards[b] for b in self._dirty_boards if b in self.boards],
                [self.items[i] for i in self._dirty_items if i in self.items],
                [],
                {"next_id": str(self.seq.next_id)},
            )
        self._dirty_boards.clear()
        self._dirty_items.clear()

    def reset(self) -> None:
        self.boards.clear()
        self.items.clear()
        self.board_items.clear()
        self.children.clear()
        self._live_counts.clear()
        self._dirty_boards.clear()
        self._dirty_items.clear()
        self.seq = IdSequence()
        if self.backend is not None:
            self.backend.clear()

    def _touch_board(self, board: Board) -> None:
        board.updated_at = self._now()
        self._dirty_boards.add(board.id)

    def _touch_item(self, item: Item) -> None:
        item.updated_at = self._now()
        self._dirty_items.add(item.id)

    def _now(self) -> str:
        return iso_z(self.clock.now())

    # ------------------------------------------------------------ lookups

    def get_board(self, board_id: Any) -> Board:
        board = self.boards.get(str(board_id))
        if board is None or board.state == DELETED:
            raise errors.invalid_board(board_id)
        return board

    def get_item(self, item_id: Any, board_id: Any | None = None) -> Item:
        item = self.items.get(str(item_id)) if item_id is not None else None
        missing = item is None or item.state == DELETED
        if board_id is None:
            if missing:
                raise errors.invalid_item_id(item_id)
        elif missing or item.board_id != str(board_id):
            raise errors.item_not_found(item_id, board_id)
        assert item is not None
        return item

    def get_group(self, board: Board, gid: str) -> Group:
        group = board.groups.get(gid)
        if group is None or group.deleted:
            raise errors.group_not_found(gid, board.id)
        return group

    def board_item_list(self, board_id: str, states: Iterable[str] = (ACTIVE,)) -> list[Item]:
        wanted = set(states)
        return [
            self.items[i]
            for i in self.board_items.get(board_id, [])
            if self.items[i].state in wanted
        ]

    def subitems_of(self, item: Item, states: Iterable[str] = (ACTIVE,)) -> list[Item]:
        wanted = set(states)
        return [
            self.items[i] for i in self.children.get(item.id, []) if self.items[i].state in wanted
        ]

    def count_items(self, board_id: str, states: Iterable[str] = (ACTIVE, ARCHIVED)) -> int:
        wanted = set(states)
        return sum(1 for i in self.board_items.get(board_id, []) if self.items[i].state in wanted)

    def top_group(self, board: Board) -> Group:
        groups = board.active_groups()
        if not groups:
            raise errors.invalid_argument("The board has no active group", board_id=int(board.id))
        return groups[0]

    # ------------------------------------------------------------ boards

    def create_board(
        self,
        name: str,
        board_kind: str = "public",
        *,
        description: str | None = None,
        workspace_id: str | None = None,
        board_type: str = "board",
        board_id: str | None = None,
        default_group: tuple[str, str] | None = ("topics", "Topics"),
        parent_board_id: str | None = None,
        register: bool = True,
        item_terminology: str = "item",
    ) -> Board:
        if not name or not name.strip():
            raise errors.invalid_argument("Board name can't be blank")
        if board_id is not None and board_id in self.boards:
            raise errors.invalid_argument(f"Board {board_id} already exists", board_id=board_id)
        now = self._now()
        bid = board_id or self.seq.take()
        self.seq.observe(bid)
        board = Board(
            id=bid,
            name=name,
            board_kind=board_kind,
            type=board_type,
            description=description,
            workspace_id=workspace_id,
            created_at=now,
            updated_at=now,
            parent_board_id=parent_board_id,
            item_terminology=item_terminology,
        )
        board.columns["name"] = Column(id="name", title="Name", type="name")
        if default_group is not None:
            gid, title = default_group
            board.groups[gid] = Group(
                id=gid, title=title, color=GROUP_COLORS[0], position=POSITION_STEP
            )
        if register:
            self._register_board(board)
        return board

    def _register_board(self, board: Board) -> None:
        self.boards[board.id] = board
        self.board_items.setdefault(board.id, [])
        self._dirty_boards.add(board.id)

    def set_board_state(self, board: Board, state: str) -> Board:
        board.state = state
        self._touch_board(board)
        return board

    # ------------------------------------------------------------ columns

    def create_column(
        self,
        board: Board,
        column_type: str,
        title: str,
        *,
        col_id: str | None = None,
        defaults: dict[str, Any] | None = None,
        description: str | None = None,
        after_column_id: str | None = None,
        settings: dict[str, Any] | None = None,
        subitems_board_id: str | None = None,
    ) -> Column:
        if column_type not in CREATABLE_TYPES:
            raise errors.invalid_argument(
                f"Column type {column_type} is not supported by the emulator",
                column_type=column_type,
            )
        if not title or not title.strip():
            raise errors.invalid_argument("Column title can't be blank")
        if col_id is not None and col_id in board.columns:
            raise errors.invalid_argument(
                f"A column with id {col_id} already exists", column_id=col_id
            )
        if after_column_id is not None and after_column_id not in board.columns:
            raise errors.invalid_column(after_column_id, board.id)
        if column_type == "subtasks":
            if board.type == "sub_items_board":
                raise errors.invalid_argument("Subitems boards can't have subitems")
            if board.subtasks_column() is not None:
                raise errors.invalid_argument("The board already has a subitems column")
        cid = col_id or column_id(self.seq, ID_PREFIX[column_type])
        column = Column(
            id=cid,
            title=title,
            type=column_type,
            settings=settings if settings is not None else default_settings(column_type, defaults),
            description=description,
        )
        if column_type == "subtasks":
            sub = self._plan_subitems_board(board, subitems_board_id)
            self._register_board(sub)
            column.settings = {**subtasks_settings(sub.id), **(settings or {})}
            column.settings["boardIds"] = [int(sub.id)]
        columns = list(board.columns.values())
        position = len(columns)
        if after_column_id is not None:
            position = [c.id for c in columns].index(after_column_id) + 1
        columns.insert(position, column)
        board.columns = {c.id: c for c in columns}
        self._touch_board(board)
        return column

    def change_column_title(self, board: Board, cid: str, title: str) -> Column:
        column = board.columns.get(cid)
        if column is None:
            raise errors.invalid_column(cid, board.id)
        if not title.strip():
            raise errors.invalid_argument("Column title can't be blank")
        column.title = title
        self._touch_board(board)
        return column

    def _plan_subitems_board(self, board: Board, sub_id: str | None = None) -> Board:
        sub = self.create_board(
            f"Subitems of {board.name}",
            board.board_kind,
            board_type="sub_items_board",
            board_id=sub_id,
            default_group=("topics", "Subitems"),
            parent_board_id=board.id,
            workspace_id=board.workspace_id,
            register=False,
        )
        if sub_id is None:
            sub.columns["status"] = Column(
                id="status", title="Status", type="status", settings=default_settings("status")
            )
            sub.columns["date0"] = Column(id="date0", title="Date", type="date", settings={})
        return sub

    def subitems_board_of(self, board: Board) -> Board | None:
        column = board.subtasks_column()
        if column is None:
            return None
        ids = column.settings.get("boardIds") or []
        return self.boards.get(str(ids[0])) if ids else None

    # ------------------------------------------------------------ groups

    def create_group(
        self,
        board: Board,
        title: str,
        *,
        color: str | None = None,
        relative_to: str | None = None,
        method: str | None = None,
        position: str | None = None,
        gid: str | None = None,
    ) -> Group:
        self._check_group_title(title)
        groups = board.active_groups()
        if relative_to is not None:
            anchor = self.get_group(board, relative_to)
            ordered = [g.position for g in groups]
            idx = ordered.index(anchor.position)
            if method == "after_at":
                nxt = (
                    ordered[idx + 1]
                    if idx + 1 < len(ordered)
                    else anchor.position + 2 * POSITION_STEP
                )
                pos = (anchor.position + nxt) / 2
            else:
                prev = ordered[idx - 1] if idx > 0 else 0.0
                pos = (anchor.position + prev) / 2
        elif position is not None:
            pos = _position(position)
        else:
            # monday puts a new group at the top of the board
            pos = groups[0].position / 2 if groups else POSITION_STEP
        if gid is None:
            gid = group_id(self.seq)
        elif gid in board.groups:
            raise errors.invalid_argument(f"A group with id {gid} already exists", group_id=gid)
        group = Group(
            id=gid,
            title=title,
            color=color or GROUP_COLORS[len(board.groups) % len(GROUP_COLORS)],
            position=pos,
        )
        board.groups[gid] = group
        self._touch_board(board)
        return group

    def _check_group_title(self, title: str) -> None:
        if not title or not title.strip():
            raise errors.invalid_argument("Group name can't be blank")
        if len(title) > self.settings.name_max_chars:
            raise errors.invalid_argument(
                f"Group name is too long, maximum length is {self.settings.name_max_chars} characters",
                name_length=len(title),
            )

    def update_group(self, board: Board, gid: str, attribute: str, value: str) -> Group:
        group = self.get_group(board, gid)
        if attribute == "title":
            self._check_group_title(value)
            group.title = value
        elif attribute == "color":
            group.color = value
        elif attribute == "position":
            group.position = _position(value)
        elif attribute in ("relative_position_after", "relative_position_before"):
            anchor = self.get_group(board, value)
            delta = POSITION_STEP / 1024
            group.position = anchor.position + (
                delta if attribute == "relative_position_after" else -delta
            )
        self._touch_board(board)
        return group

    def archive_group(self, board: Board, gid: str) -> Group:
        group = self.get_group(board, gid)
        group.archived = True
        for item in self.board_item_list(board.id, (ACTIVE,)):
            if item.group_id == gid:
                self._set_item_state(item, ARCHIVED)
        self._touch_board(board)
        return group

    def delete_group(self, board: Board, gid: str) -> Group:
        group = self.get_group(board, gid)
        remaining = [g for g in board.active_groups() if g.id != gid]
        if not remaining and not group.archived:
            raise errors.MondayError(
                "DeleteLastGroupException",
                "The last group on a board can't be deleted",
                409,
                {"board_id": int(board.id), "group_id": gid},
            )
        group.deleted = True
        for item in self.board_item_list(board.id, (ACTIVE, ARCHIVED)):
            if item.group_id == gid:
                self._set_item_state(item, DELETED)
        self._touch_board(board)
        return group

    # ------------------------------------------------------------ items

    def _check_name(self, name: str) -> None:
        limit = self.settings.name_max_chars
        if not isinstance(name, str) or not name.strip() or len(name) > limit:
            raise errors.item_name_invalid(name or "", limit)

    def _check_capacity(self, board: Board) -> None:
        limit = self.settings.items_per_board
        if self._live_counts.get(board.id, 0) >= limit:
            raise errors.items_limit(board.id, limit)

    def _prepare_values(
        self,
        board: Board,
        values: dict[str, Any],
        create_labels: bool,
        changed_at: str | None = None,
    ) -> tuple[dict[str, Any], dict[str, dict[str, Any]], str | None]:
        """Parse every value against ``board``; nothing is changed yet."""
        if not isinstance(values, dict):
            raise errors.invalid_argument(
                "column_values must be a JSON object of column ids to values"
            )
        ctx = WriteContext(
            create_labels=bool(create_labels),
            changed_at=changed_at or stamps(self.clock.now())[1],
            status_labels_max=self.settings.status_labels_max,
            long_text_max_chars=self.settings.long_text_max_chars,
        )
        stored: dict[str, Any] = {}
        new_settings: dict[str, dict[str, Any]] = {}
        new_name: str | None = None
        for cid, raw in values.items():
            column = board.columns.get(cid)
            if column is None or column.archived:
                raise errors.invalid_column(cid, board.id)
            if column.type == "name":
                name = raw.get("name") if isinstance(raw, dict) else raw
                self._check_name(name if isinstance(name, str) else "")
                new_name = name
                continue
            parsed = parse_write(column, raw, ctx)
            stored[cid] = parsed.stored
            if parsed.new_settings is not None:
                new_settings[cid] = parsed.new_settings
        return stored, new_settings, new_name

    def _apply_settings(self, board: Board, new_settings: dict[str, dict[str, Any]]) -> None:
        if not new_settings:
            return
        for cid, settings in new_settings.items():
            board.columns[cid].settings = settings
        self._touch_board(board)

    @staticmethod
    def _store_values(item: Item, stored: dict[str, Any]) -> None:
        for cid, value in stored.items():
            if value is None:
                item.values.pop(cid, None)
            else:
                item.values[cid] = value

    def create_item(
        self,
        board: Board,
        name: str,
        group_id_: str | None,
        values: dict[str, Any] | None,
        create_labels: bool,
    ) -> Item:
        if group_id_ is not None:
            group = self.get_group(board, group_id_)
            if group.archived:
                raise errors.invalid_argument("The group is archived", group_id=group_id_)
        else:
            group = self.top_group(board)
        self._check_name(name)
        self._check_capacity(board)
        now, changed_at = stamps(self.clock.now())
        stored, new_settings, new_name = self._prepare_values(
            board, values or {}, create_labels, changed_at
        )
        return self._insert_item(board, group, new_name or name, stored, new_settings, None, now)

    def _insert_item(
        self,
        board: Board,
        group: Group,
        name: str,
        stored: dict[str, Any],
        new_settings: dict[str, dict[str, Any]],
        parent: Item | None,
        now: str | None = None,
    ) -> Item:
        self._apply_settings(board, new_settings)
        now = now or self._now()
        item = Item(
            id=self.seq.take(),
            board_id=board.id,
            group_id=group.id,
            name=name,
            created_at=now,
            updated_at=now,
            parent_id=parent.id if parent else None,
            creator_id=str(self.settings.user_id),
        )
        self._store_values(item, stored)
        self._index_item(item)
        self._dirty_items.add(item.id)
        return item

    def create_subitem(
        self, parent_id: Any, name: str, values: dict[str, Any] | None, create_labels: bool
    ) -> Item:
        parent = self.get_item(parent_id)
        parent_board = self.get_board(parent.board_id)
        if parent_board.type == "sub_items_board":
            raise errors.invalid_argument("Subitems can't have subitems", item_id=int(parent.id))
        if parent.state != ACTIVE:
            raise errors.inactive_items(parent.id)
        self._check_name(name)
        sub = self.subitems_board_of(parent_board)
        created = sub is None
        if sub is None:
            sub = self._plan_subitems_board(parent_board)
        self._check_capacity(sub)
        stored, new_settings, new_name = self._prepare_values(sub, values or {}, create_labels)
        if created:
            # first subitem on this board: add the subitems board and the subtasks column
            self._register_board(sub)
            column = Column(
                id="subitems", title="Subitems", type="subtasks", settings=subtasks_settings(sub.id)
            )
            parent_board.columns = {
                "name": parent_board.columns["name"],
                "subitems": column,
                **{k: v for k, v in parent_board.columns.items() if k != "name"},
            }
            self._touch_board(parent_board)
        group = self.top_group(sub)
        item = self._insert_item(sub, group, new_name or name, stored, new_settings, parent)
        self._touch_item(parent)
        return item

    def change_values(
        self, board: Board, item_id: Any, values: dict[str, Any], create_labels: bool
    ) -> Item:
        item = self.get_item(item_id, board.id)
        if item.state != ACTIVE:
            raise errors.inactive_items(item.id)
        stored, new_settings, new_name = self._prepare_values(board, values, create_labels)
        self._apply_settings(board, new_settings)
        self._store_values(item, stored)
        if new_name is not None:
            item.name = new_name
        self._touch_item(item)
        return item

    def move_item(self, item_id: Any, gid: str) -> Item:
        item = self.get_item(item_id)
        board = self.get_board(item.board_id)
        group = self.get_group(board, gid)
        if group.archived:
            raise errors.invalid_argument("The group is archived", group_id=gid)
        item.group_id = group.id
        self._touch_item(item)
        return item

    def _set_item_state(self, item: Item, state: str) -> None:
        self._change_state(item, state)
        for child_id in self.children.get(item.id, []):
            child = self.items[child_id]
            if child.state != DELETED:
                self._change_state(child, state)

    def _change_state(self, item: Item, state: str) -> None:
        if state == DELETED and item.state != DELETED:
            self._live_counts[item.board_id] = self._live_counts.get(item.board_id, 1) - 1
        item.state = state
        self._touch_item(item)

    def archive_item(self, item_id: Any) -> Item:
        item = self.get_item(item_id)
        self._set_item_state(item, ARCHIVED)
        return item

    def delete_item(self, item_id: Any) -> Item:
        item = self.get_item(item_id)
        self._set_item_state(item, DELETED)
        return item


def _position(value: str) -> float:
    """A group position given as text: a finite number."""
    try:
        number = float(value)
    except ValueError:
        number = math.nan
    if not math.isfinite(number):
        raise errors.invalid_argument("position must be a number", position=value)
    return number
