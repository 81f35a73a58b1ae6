"""Resolvers: the API's queries and mutations on top of the store."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from graphql import GraphQLResolveInfo, GraphQLSchema

from .. import errors
from ..store.columns import VALUE_TYPES, decode_json_argument, render, settings_json
from ..store.filters import ItemFilter, matches_column_values, order_items
from ..store.model import ACTIVE, ARCHIVED, DELETED, Board, Group, Item
from ..store.store import Store
from . import versions
from .context import RequestContext

Resolver = Callable[..., Any]

# graphql-core passes an argument the document sent as null, and leaves out one it
# didn't send: some of monday's arguments tell the two apart.
OMITTED: Any = object()


def _ctx(info: GraphQLResolveInfo) -> RequestContext:
    return info.context


def _store(info: GraphQLResolveInfo) -> Store:
    return _ctx(info).store


# ---------------------------------------------------------------- views


def group_view(board: Board, group: Group) -> dict[str, Any]:
    return {
        "id": group.id,
        "title": group.title,
        "color": group.color,
        "position": group.position_str,
        "archived": group.archived,
        "deleted": group.deleted,
        "_board": board,
        "_group": group,
    }


def _user(info: GraphQLResolveInfo) -> dict[str, Any]:
    s = _ctx(info).settings
    return {
        "id": str(s.user_id),
        "name": s.user_name,
        "email": s.user_email,
        "enabled": True,
        "is_admin": s.user_is_admin,
        "is_guest": False,
        "is_pending": False,
        "is_verified": True,
        "is_view_only": False,
        "created_at": "2024-01-01T00:00:00Z",
        "join_date": "2024-01-01",
        "url": f"https://{s.account_slug}.monday.com/users/{s.user_id}",
        "time_zone_identifier": "Etc/UTC",
        "utc_hours_diff": 0,
        "current_language": "en",
        "account": _account(info),
        "teams": [],  # the token's user is in no team
        "title": "",
        # the 2026-07 shape (monday's "Migrating the User entity" guide)
        "account_id": str(s.account_id),
        "kind": "admin" if s.user_is_admin else "member",
        "status": "ACTIVE",
        "is_deleted": False,
        "is_email_confirmed": True,
        "became_active_at": "2024-01-01T00:00:00Z",
        "photo_url": None,
    }


def _account(info: GraphQLResolveInfo) -> dict[str, Any]:
    s = _ctx(info).settings
    return {
        "id": str(s.account_id),
        "name": s.account_name,
        "slug": s.account_slug,
        "tier": "enterprise",
        "first_day_of_the_week": "monday",
        "show_timeline_weekends": True,
        "country_code": None,
        "logo": None,
    }


# ---------------------------------------------------------------- paging


def _page_slice(info: GraphQLResolveInfo, limit: int | None, page: int | None) -> slice:
    """The ``limit``/``page`` window of a page-numbered list (``boards``, ``items``):
    page N holds elements (N-1)*limit to N*limit-1, so pages never overlap and run out.
    A limit or a page below 1 is an ``InvalidArgumentException`` (monday's docs say
    pages start at 1; the harsher reading of anything else)."""
    limit = 25 if limit is None else limit
    page = 1 if page is None else page
    if limit < 1:
        raise errors.invalid_argument("limit must be at least 1", limit=limit)
    if page < 1:
        raise errors.invalid_argument("page must be at least 1 (pages start at 1)", page=page)
    return slice((page - 1) * limit, page * limit)


def _check_limit(info: GraphQLResolveInfo, limit: int) -> None:
    maximum = _ctx(info).settings.items_page_max_limit
    if limit < 1 or limit > maximum:
        raise errors.invalid_argument(
            f"limit must be between 1 and {maximum}", limit=limit, max_limit=maximum
        )


def _page(info: GraphQLResolveInfo, board: Board, ids: list[str], limit: int) -> dict[str, Any]:
    store = _store(info)
    items = [store.items[i] for i in ids[:limit]]
    cursor = _ctx(info).cursors.issue(board.id, ids[limit:])
    return {"cursor": cursor, "items": items}


def _continue(info: GraphQLResolveInfo, cursor: str, limit: int) -> dict[str, Any]:
    context = _ctx(info)
    cursor_state = context.cursors.take(cursor)
    store = context.store
    remaining = [
        i for i in cursor_state.remaining if i in store.items and store.items[i].state == ACTIVE
    ]
    board = store.boards.get(cursor_state.board_id)
    if board is None:
        raise errors.invalid_board(cursor_state.board_id)
    return _page(info, board, remaining, limit)


def _items_page(
    info: GraphQLResolveInfo,
    board: Board,
    group_id: str | None,
    limit: int,
    cursor: str | None,
    query_params: dict[str, Any] | None,
) -> dict[str, Any]:
    _check_limit(info, limit)
    if cursor is not None and query_params is not None:
        raise errors.invalid_argument(
            "cursor and query_params can't be used together: "
            "the cursor already holds the query of the first page"
        )
    if cursor is not None:
        return _continue(info, cursor, limit)
    item_filter = ItemFilter(board, query_params, group_id)
    items = [i for i in _store(info).board_item_list(board.id) if item_filter.matches(i)]
    items = order_items(board, items, (query_params or {}).get("order_by"))
    return _page(info, board, [i.id for i in items], limit)


# ---------------------------------------------------------------- Query


def q_boards(
    _root: Any,
    info: GraphQLResolveInfo,
    ids: list[str] | None = None,
    limit: int | None = 25,
    page: int | None = 1,
    state: str | None = "active",
    board_kind: str | None = None,
    order_by: str | None = None,
    workspace_ids: Any = OMITTED,
    hierarchy_types: list[str] | None = None,
    latest: bool | None = None,  # every read is the latest data here
) -> list[Board]:
    """monday's ``boards``: the boards of ``ids`` (any type) or else every board (not
    the subitems boards), filtered by ``state`` (active by default), ``board_kind``,
    ``workspace_ids`` (null in the list: the main workspace) and ``hierarchy_types``
    (every board here is classic; without ``ids`` and without the argument only
    classic boards are listed, as monday documents), in id order or ``order_by``
    (``created_at`` or ``used_at``, newest first), then one ``limit``/``page`` page."""
    window = _page_slice(info, limit, page)
    store = _store(info)
    if ids is not None:
        wanted = [str(i) for i in ids]
        boards = [store.boards[i] for i in dict.fromkeys(wanted) if i in store.boards]
    else:
        boards = [b for b in store.boards.values() if b.type == "board"]
        boards.sort(key=lambda b: int(b.id) if b.id.isdigit() else 0)
    if state not in (None, "all"):
        boards = [b for b in boards if b.state == state]
    if board_kind is not None:
        boards = [b for b in boards if b.board_kind == board_kind]
    if workspace_ids is not OMITTED and workspace_ids is not None:
        spaces = {None if w is None else str(w) for w in workspace_ids}
        boards = [b for b in boards if b.workspace_id in spaces]
    if hierarchy_types is not None and "classic" not in hierarchy_types:
        boards = []  # the emulator has no multi-level boards
    if order_by == "created_at":
        boards.sort(key=lambda b: (b.created_at, int(b.id) if b.id.isdigit() else 0), reverse=True)
    elif order_by == "used_at":
        boards.sort(key=lambda b: (b.updated_at, int(b.id) if b.id.isdigit() else 0), reverse=True)
    return boards[window]


def q_items(
    _root: Any,
    info: GraphQLResolveInfo,
    ids: list[str] | None = None,
    limit: int | None = 25,
    page: int | None = 1,
    newest_first: bool | None = None,
    exclude_nonactive: bool | None = None,
) -> list[Item]:
    """monday's ``items``: the items of ``ids`` (at most 100) or else every item, in id
    order (oldest first; ``newest_first`` reverses it), without the archived and
    deleted ones when ``exclude_nonactive``, then one ``limit``/``page`` page. A page
    holds at most 100 items (``items_ids_max``): the official Python SDK says so of
    ``items`` ("at most 100 ids per request, which is also the largest page it will
    return"), and that without a limit 25 ids give the 25 lowest. The ids are a filter,
    not the pages: ``items(ids: [a, b], limit: 1, page: 2)`` is ``b``, and page 3 is
    empty."""
    store = _store(info)
    maximum = _ctx(info).settings.items_ids_max
    if limit is not None and limit > maximum:
        limit = maximum
    window = _page_slice(info, limit, page)
    if ids is not None:
        if len(ids) > maximum:
            raise errors.invalid_argument(
                f"The ids argument accepts at most {maximum} ids", ids_count=len(ids)
            )
        found = [store.items[str(i)] for i in dict.fromkeys(ids) if str(i) in store.items]
    else:
        found = list(store.items.values())
    if exclude_nonactive:
        found = [i for i in found if i.state == ACTIVE]
    found.sort(key=lambda i: int(i.id), reverse=bool(newest_first))
    return found[window]


def q_items_page_by_column_values(
    _root: Any,
    info: GraphQLResolveInfo,
    board_id: str,
    limit: int = 25,
    columns: list[dict[str, Any]] | None = None,
    cursor: str | None = None,
    hierarchy_scope_config: str | None = None,  # one-level boards: nothing to scope
) -> dict[str, Any]:
    _check_limit(info, limit)
    store = _store(info)
    board = store.get_board(board_id)
    if cursor is not None:
        return _continue(info, cursor, limit)
    columns = columns or []
    for spec in columns:
        cid = spec["column_id"]
        if cid != "name" and cid not in board.columns:
            raise errors.invalid_column(cid, board.id)
    items = [i for i in store.board_item_list(board.id) if matches_column_values(board, i, columns)]
    return _page(info, board, [i.id for i in items], limit)


def q_next_items_page(
    _root: Any, info: GraphQLResolveInfo, cursor: str, limit: int = 25
) -> dict[str, Any]:
    _check_limit(info, limit)
    return _continue(info, cursor, limit)


def q_complexity(_root: Any, info: GraphQLResolveInfo) -> dict[str, int]:
    charge = _ctx(info).charge
    assert charge is not None  # charged before execution starts
    return {
        "before": charge.before,
        "query": charge.query,
        "after": charge.after,
        "reset_in_x_seconds": charge.reset_in_x_seconds,
    }


def _version(value: str) -> dict[str, str]:
    kind = versions.kind_of(value)
    return {"value": value, "kind": kind, "display_name": versions.display_name(kind)}


def q_version(_root: Any, info: GraphQLResolveInfo) -> dict[str, str]:
    return _version(_ctx(info).api_version)


def q_versions(_root: Any, info: GraphQLResolveInfo) -> list[dict[str, str]]:
    return [_version(value) for value, _ in versions.RELEASES]


# ---------------------------------------------------------------- Board / Group / Item fields


def _without_capabilities(capabilities: Any) -> bool:
    """Whether a ``capabilities`` filter keeps the emulator's columns, none of which has
    a capability: omitted (every column) or null (the columns without capabilities, as
    monday documents) keeps them; a list asks for columns having one of those."""
    return capabilities is OMITTED or capabilities is None


def board_columns(
    board: Board,
    info: GraphQLResolveInfo,
    ids: list[str] | None = None,
    types: list[str] | None = None,
    capabilities: Any = OMITTED,
) -> list[Any]:
    if not _without_capabilities(capabilities):
        return []
    columns = [c for c in board.columns.values() if not c.archived]
    if ids is not None:
        wanted = set(ids)
        columns = [c for c in columns if c.id in wanted]
    if types is not None:
        kinds = set(types)
        columns = [c for c in columns if c.type in kinds]
    return columns


def board_groups(board: Board, info: GraphQLResolveInfo, ids: list[str] | None = None) -> list[Any]:
    groups = board.active_groups()
    if ids is not None:
        wanted = set(ids)
        groups = [
            g for g in sorted(board.groups.values(), key=lambda g: g.position) if g.id in wanted
        ]
    return [group_view(board, g) for g in groups]


def board_items_page(
    board: Board,
    info: GraphQLResolveInfo,
    limit: int = 25,
    cursor: str | None = None,
    query_params: dict[str, Any] | None = None,
    hierarchy_scope_config: str | None = None,  # one-level boards: nothing to scope
) -> dict[str, Any]:
    return _items_page(info, board, None, limit, cursor, query_params)


def group_items_page(
    group: dict[str, Any],
    info: GraphQLResolveInfo,
    limit: int = 25,
    cursor: str | None = None,
    query_params: dict[str, Any] | None = None,
    hierarchy_scope_config: str | None = None,  # one-level boards: nothing to scope
) -> dict[str, Any]:
    return _items_page(info, group["_board"], group["id"], limit, cursor, query_params)


def board_items_count(board: Board, info: GraphQLResolveInfo) -> int:
    return _store(info).count_items(board.id, (ACTIVE,))


def board_top_group(board: Board, info: GraphQLResolveInfo) -> dict[str, Any]:
    return group_view(board, _store(info).top_group(board))


def board_url(board: Board, info: GraphQLResolveInfo) -> str:
    slug = _ctx(info).settings.account_slug
    return f"https://{slug}.monday.com/boards/{board.id}"


def item_board(item: Item, info: GraphQLResolveInfo) -> Board | None:
    return _store(info).boards.get(item.board_id)


def item_group(item: Item, info: GraphQLResolveInfo) -> dict[str, Any] | None:
    board = _store(info).boards.get(item.board_id)
    if board is None or item.group_id not in board.groups:
        return None
    return group_view(board, board.groups[item.group_id])


def item_column_values(
    item: Item,
    info: GraphQLResolveInfo,
    ids: list[str] | None = None,
    types: list[str] | None = None,
    capabilities: Any = OMITTED,
) -> list[dict[str, Any]]:
    store = _store(info)
    board = store.boards.get(item.board_id)
    if board is None or not _without_capabilities(capabilities):
        return []
    wanted = set(ids) if ids is not None else None
    kinds = set(types) if types is not None else None
    is_leaf = not store.subitems_of(item)  # ColumnValue.is_leaf (2026-10)
    out = []
    for column in board.columns.values():
        if column.type == "name" or column.archived:
            continue
        if wanted is not None and column.id not in wanted:
            continue
        if kinds is not None and column.type not in kinds:
            continue
        subitems = store.subitems_of(item) if column.type == "subtasks" else None
        value = render(column, item.values.get(column.id), subitems)
        value["is_leaf"] = is_leaf
        out.append(value)
    return out


def item_subitems(item: Item, info: GraphQLResolveInfo) -> list[Item]:
    return _store(info).subitems_of(item)


def item_parent(item: Item, info: GraphQLResolveInfo) -> Item | None:
    return _store(info).items.get(item.parent_id) if item.parent_id else None


def item_url(item: Item, info: GraphQLResolveInfo) -> str:
    slug = _ctx(info).settings.account_slug
    return f"https://{slug}.monday.com/boards/{item.board_id}/pulses/{item.id}"


def item_relative_link(item: Item, info: GraphQLResolveInfo) -> str:
    return f"/boards/{item.board_id}/pulses/{item.id}"


def column_value_type(value: dict[str, Any], *_: Any) -> str:
    return value.get("__typename") or VALUE_TYPES.get(value.get("type", ""), "UnsupportedValue")


# ---------------------------------------------------------------- Mutations


def _values(raw: Any, argument: str) -> dict[str, Any]:
    decoded = decode_json_argument(raw, argument)
    if decoded is None:
        return {}
    if not isinstance(decoded, dict):
        raise errors.invalid_argument(
            f"{argument} must be a JSON object of column ids to values", argument=argument
        )
    return decoded


def m_create_item(
    _root: Any,
    info: GraphQLResolveInfo,
    board_id: str,
    item_name: str,
    group_id: str | None = None,
    column_values: Any = None,
    create_labels_if_missing: bool | None = None,
    **_: Any,
) -> Item:
    store = _store(info)
    board = store.get_board(board_id)
    if board.type == "sub_items_board":
        raise errors.invalid_argument(
            "Items of a subitems board are created with create_subitem", board_id=int(board.id)
        )
    values = _values(column_values, "column_values") if column_values is not None else {}
    return store.create_item(board, item_name, group_id, values, bool(create_labels_if_missing))


def m_create_subitem(
    _root: Any,
    info: GraphQLResolveInfo,
    parent_item_id: str,
    item_name: str,
    column_values: Any = None,
    create_labels_if_missing: bool | None = None,
) -> Item:
    values = _values(column_values, "column_values") if column_values is not None else {}
    return _store(info).create_subitem(
        parent_item_id, item_name, values, bool(create_labels_if_missing)
    )


def m_change_multiple_column_values(
    _root: Any,
    info: GraphQLResolveInfo,
    board_id: str,
    column_values: Any,
    item_id: str | None = None,
    create_labels_if_missing: bool | None = None,
) -> Item:
    store = _store(info)
    board = store.get_board(board_id)
    values = _values(column_values, "column_values")
    return store.change_values(board, item_id, values, bool(create_labels_if_missing))


def m_change_column_value(
    _root: Any,
    info: GraphQLResolveInfo,
    board_id: str,
    column_id: str,
    value: Any,
    item_id: str | None = None,
    create_labels_if_missing: bool | None = None,
) -> Item:
    store = _store(info)
    board = store.get_board(board_id)
    decoded = decode_json_argument(value, "value")
    return store.change_values(board, item_id, {column_id: decoded}, bool(create_labels_if_missing))


def m_change_simple_column_value(
    _root: Any,
    info: GraphQLResolveInfo,
    board_id: str,
    column_id: str,
    value: str | None = None,
    item_id: str | None = None,
    create_labels_if_missing: bool | None = None,
) -> Item:
    store = _store(info)
    board = store.get_board(board_id)
    return store.change_values(board, item_id, {column_id: value}, bool(create_labels_if_missing))


def m_move_item_to_group(
    _root: Any, info: GraphQLResolveInfo, group_id: str, item_id: str | None = None
) -> Item:
    return _store(info).move_item(item_id, group_id)


def m_archive_item(_root: Any, info: GraphQLResolveInfo, item_id: str | None = None) -> Item:
    return _store(info).archive_item(item_id)


def m_delete_item(_root: Any, info: GraphQLResolveInfo, item_id: str | None = None) -> Item:
    return _store(info).delete_item(item_id)


def m_create_group(
    _root: Any,
    info: GraphQLResolveInfo,
    board_id: str,
    group_name: str,
    group_color: str | None = None,
    relative_to: str | None = None,
    position_relative_method: str | None = None,
    position: str | None = None,
) -> dict[str, Any]:
    store = _store(info)
    board = store.get_board(board_id)
    group = store.create_group(
        board,
        group_name,
        color=group_color,
        relative_to=relative_to,
        method=position_relative_method,
        position=position,
    )
    return group_view(board, group)


def m_update_group(
    _root: Any,
    info: GraphQLResolveInfo,
    board_id: str,
    group_id: str,
    group_attribute: str,
    new_value: str,
) -> dict[str, Any]:
    store = _store(info)
    board = store.get_board(board_id)
    return group_view(board, store.update_group(board, group_id, group_attribute, new_value))


def m_archive_group(
    _root: Any, info: GraphQLResolveInfo, board_id: str, group_id: str
) -> dict[str, Any]:
    store = _store(info)
    board = store.get_board(board_id)
    return group_view(board, store.archive_group(board, group_id))


def m_delete_group(
    _root: Any, info: GraphQLResolveInfo, board_id: str, group_id: str
) -> dict[str, Any]:
    store = _store(info)
    board = store.get_board(board_id)
    return group_view(board, store.delete_group(board, group_id))


def m_create_board(
    _root: Any,
    info: GraphQLResolveInfo,
    board_name: str,
    board_kind: str,
    description: str | None = None,
    workspace_id: str | None = None,
    item_nickname: dict[str, Any] | None = None,
    prompt: str | None = None,
    **_: Any,
) -> Board:
    if prompt is not None:
        raise errors.invalid_argument(
            "The emulator can't build a board from a prompt (monday's AI board creation): "
            "create it without prompt",
            argument="prompt",
        )
    terminology = (item_nickname or {}).get("singular") or "item"
    return _store(info).create_board(
        board_name,
        board_kind,
        description=description,
        workspace_id=workspace_id,
        item_terminology=terminology,
    )


def m_archive_board(_root: Any, info: GraphQLResolveInfo, board_id: str) -> Board:
    store = _store(info)
    return store.set_board_state(store.get_board(board_id), ARCHIVED)


def m_delete_board(_root: Any, info: GraphQLResolveInfo, board_id: str) -> Board:
    store = _store(info)
    return store.set_board_state(store.get_board(board_id), DELETED)


def m_create_column(
    _root: Any,
    info: GraphQLResolveInfo,
    board_id: str,
    title: str,
    column_type: str,
    defaults: Any = None,
    description: str | None = None,
    id: str | None = None,  # noqa: A002 - monday's argument name
    after_column_id: str | None = None,
    capabilities: dict[str, Any] | None = None,
) -> Any:
    if capabilities is not None:
        raise errors.invalid_argument(
            "The emulator's boards have one level, so its columns have no capabilities "
            "(calculated values of multi-level boards): create the column without them",
            argument="capabilities",
        )
    store = _store(info)
    board = store.get_board(board_id)
    decoded = decode_json_argument(defaults, "defaults") if defaults is not None else None
    return store.create_column(
        board,
        column_type,
        title,
        col_id=id,
        defaults=decoded if isinstance(decoded, dict) else None,
        description=description,
        after_column_id=after_column_id,
    )


def m_change_column_title(
    _root: Any, info: GraphQLResolveInfo, board_id: str, column_id: str, title: str
) -> Any:
    store = _store(info)
    return store.change_column_title(store.get_board(board_id), column_id, title)


def _counted(name: str, resolver: Resolver) -> Resolver:
    def wrapped(root: Any, info: GraphQLResolveInfo, **kwargs: Any) -> Any:
        result = resolver(root, info, **kwargs)
        _ctx(info).mutations_ok.append(name)
        return result

    return wrapped


QUERY_RESOLVERS: dict[str, Resolver] = {
    "boards": q_boards,
    "items": q_items,
    "items_page_by_column_values": q_items_page_by_column_values,
    "next_items_page": q_next_items_page,
    "complexity": q_complexity,
    "me": lambda _r, info: _user(info),
    "account": lambda _r, info: _account(info),
    "version": q_version,
    "versions": q_versions,
    "tags": lambda _r, info, **_: [],
}

MUTATION_RESOLVERS: dict[str, Resolver] = {
    "create_item": m_create_item,
    "create_subitem": m_create_subitem,
    "change_multiple_column_values": m_change_multiple_column_values,
    "change_column_value": m_change_column_value,
    "change_simple_column_value": m_change_simple_column_value,
    "move_item_to_group": m_move_item_to_group,
    "archive_item": m_archive_item,
    "delete_item": m_delete_item,
    "create_group": m_create_group,
    "update_group": m_update_group,
    "archive_group": m_archive_group,
    "delete_group": m_delete_group,
    "create_board": m_create_board,
    "archive_board": m_archive_board,
    "delete_board": m_delete_board,
    "create_column": m_create_column,
    "change_column_title": m_change_column_title,
}

FIELD_RESOLVERS: dict[str, dict[str, Resolver]] = {
    "Board": {
        "columns": board_columns,
        "groups": board_groups,
        "items_page": board_items_page,
        "items_count": board_items_count,
        "items_limit": lambda b, info: _ctx(info).settings.items_per_board,
        "top_group": board_top_group,
        "url": board_url,
        "permissions": lambda b, info: "everyone",
        "item_terminology": lambda b, info: b.item_terminology,
        "tags": lambda b, info: [],
        "updates": lambda b, info, limit=25, page=1, **_: [][_page_slice(info, limit, page)],
        "creator": lambda b, info: _user(info),
        "owners": lambda b, info: [_user(info)],
        "subscribers": lambda b, info: [_user(info)],
        "board_folder_id": lambda b, info: None,
    },
    "Group": {"items_page": group_items_page},
    "Column": {"settings": lambda column, info: settings_json(column)},
    "Item": {
        "board": item_board,
        "group": item_group,
        "column_values": item_column_values,
        "subitems": item_subitems,
        "parent_item": item_parent,
        "url": item_url,
        "relative_link": item_relative_link,
        "email": lambda i, info: f"pulse-{i.id}@{_ctx(info).settings.account_slug}.monday.com",
        "creator": lambda i, info: _user(info),
        "subscribers": lambda i, info: [_user(info)],
        "updates": lambda i, info, limit=25, page=1, **_: [][_page_slice(info, limit, page)],
    },
}


def install(schema: GraphQLSchema) -> None:
    """Attach the resolvers to a schema built from ``schema.graphql``."""
    query = schema.query_type
    mutation = schema.mutation_type
    assert query is not None and mutation is not None
    for name, resolver in QUERY_RESOLVERS.items():
        query.fields[name].resolve = resolver
    for name, resolver in MUTATION_RESOLVERS.items():
        mutation.fields[name].resolve = _counted(name, resolver)
    mutation.fields["complexity"].resolve = q_complexity
    for type_name, resolvers in FIELD_RESOLVERS.items():
        fields = schema.get_type(type_name).fields  # type: ignore[union-attr]
        for field_name, resolver in resolvers.items():
            if field_name in fields:  # versions differ in their fields
                fields[field_name].resolve = resolver
    column_value = schema.get_type("ColumnValue")
    column_value.resolve_type = column_value_type  # type: ignore[union-attr]
