"""A read-only board viewer: ``GET /`` shows every board, ``GET /boards/{id}`` one.

Server-side rendered HTML from the emulator's state, laid out as monday shows a
board: the board name and counts, one block per group under a header in the group's
colour, one row per item with its column values as monday's ``text`` shows them
(status labels in their colours, dropdown labels as chips), and each item's subitems
folded under it in a ``<details>`` element.

Every value is HTML-escaped, colours are used only when they are ``#rgb``-style hex,
and the page carries a Content-Security-Policy that allows no script at all.

Query parameters: ``limit`` (items shown per group, default 500) and ``expand=1``
(subitems unfolded, e.g. for screenshots).

Registered by ``create_app`` after any ``setup`` hook, so a hook that serves its own
``GET /`` keeps it.
"""

from __future__ import annotations

import html
import re
from urllib.parse import quote

from aiohttp import web

from ..state import EmulatorState
from ..store.columns import dropdown_labels, text_of
from ..store.model import ACTIVE, DELETED, Board, Column, Group, Item
from ..store.store import Store

DEFAULT_LIMIT = 500
HIDDEN_TYPES = ("name", "subtasks")
_HEX = re.compile(r"^#[0-9a-fA-F]{3,8}$")
DEFAULT_COLOR = "#579bfc"
CSP = "default-src 'none'; style-src 'unsafe-inline'; img-src data:; base-uri 'none'"

STYLE = """
*{box-sizing:border-box}
body{margin:0;font:14px/1.4 -apple-system,"Segoe UI",Roboto,Helvetica,Arial,sans-serif;
color:#323338;background:#f6f7fb}
header.page{background:#292f4c;color:#fff;padding:10px 24px;display:flex;gap:16px;
align-items:baseline}
header.page h1{font-size:18px;margin:0}
header.page a{color:#cfd2e6}
nav.boards{padding:8px 24px;font-size:13px}
nav.boards a{margin-right:14px;color:#0073ea;text-decoration:none}
section.board{background:#fff;margin:12px 16px 24px;padding:16px 20px;border-radius:8px;
box-shadow:0 1px 3px rgba(0,0,0,.08)}
h2.board-name{font-size:22px;margin:0 0 2px}
h2.board-name a{color:inherit;text-decoration:none}
p.counts{margin:0 0 14px;color:#676879;font-size:13px}
div.group{margin:0 0 22px;border-left:4px solid var(--group-color)}
h3.group-title{margin:0;padding:4px 10px;font-size:16px;color:var(--group-color)}
h3.group-title .count{color:#676879;font-weight:400;font-size:12px;margin-left:8px}
div.scroll{overflow-x:auto}
table{border-collapse:collapse;font-size:13px}
th,td{border:1px solid #e6e9ef;padding:5px 8px;text-align:left;white-space:nowrap;
max-width:260px;overflow:hidden;text-overflow:ellipsis}
th{background:#f5f6f8;font-weight:500;color:#676879}
table.items>tbody>tr.item>td.item-name,table.items>thead>tr>th.item-name{position:sticky;
left:0;background:#fff;min-width:240px;max-width:360px;font-weight:500;z-index:1}
table.items>thead>tr>th.item-name{background:#f5f6f8}
tr.subitems>td{background:#fafbfd;padding:2px 8px 6px 28px;white-space:normal;max-width:none}
details>summary{cursor:pointer;color:#0073ea;font-size:12px;padding:2px 0}
table.subitems th{background:#eef0f5}
span.status{display:inline-block;min-width:80px;padding:1px 8px;border-radius:3px;color:#fff;
text-align:center;background:var(--label-color)}
span.chip{display:inline-block;padding:0 8px;margin-right:4px;border-radius:10px;
background:#e5f4ff;border:1px solid #a9d7ff;font-size:12px}
td.numbers{text-align:right;font-variant-numeric:tabular-nums}
p.more,p.empty{color:#676879;font-size:12px;margin:4px 10px}
"""


def _e(value: object) -> str:
    return html.escape("" if value is None else str(value), quote=True)


def _color(value: object, default: str = DEFAULT_COLOR) -> str:
    text = str(value or "")
    return text if _HEX.match(text) else default


def _board_href(board_id: str) -> str:
    return "/boards/" + quote(str(board_id), safe="")


def top_level_boards(store: Store) -> list[Board]:
    return [b for b in store.boards.values() if b.state != DELETED and b.type != "sub_items_board"]


def _shown_columns(board: Board) -> list[Column]:
    return [c for c in board.columns.values() if c.type not in HIDDEN_TYPES and not c.archived]


def render_value(column: Column, stored: object) -> str:
    """One cell's inner HTML: monday's text for the value, escaped."""
    if stored is None:
        return ""
    if column.type == "status" and isinstance(stored, dict) and "index" in stored:
        label = text_of(column, stored)
        if not label:
            return ""
        colors = column.settings.get("labels_colors") or {}
        entry = colors.get(str(stored["index"])) or {}
        color = _color(entry.get("color") if isinstance(entry, dict) else None, "#c4c4c4")
        return f'<span class="status" style="--label-color:{color}">{_e(label)}</span>'
    if column.type == "dropdown" and isinstance(stored, dict):
        names = dropdown_labels(column)
        chips = [names[i] for i in stored.get("ids") or [] if i in names]
        return "".join(f'<span class="chip">{_e(n)}</span>' for n in chips)
    return _e(text_of(column, stored))


def _cells(columns: list[Column], item: Item) -> str:
    out = []
    for column in columns:
        cls = f' class="{_e(column.type)}"' if column.type == "numbers" else ""
        out.append(
            f'<td{cls} data-column-id="{_e(column.id)}">'
            f"{render_value(column, item.values.get(column.id))}</td>"
        )
    return "".join(out)


def _subitems_html(
    store: Store, sub_board: Board | None, subitems: list[Item], expand: bool
) -> str:
    columns = _shown_columns(sub_board) if sub_board is not None else []
    head = "".join(f'<th data-column-id="{_e(c.id)}">{_e(c.title)}</th>' for c in columns)
    rows = "".join(
        f'<tr class="subitem" data-item-id="{_e(s.id)}"><td class="subitem-name">{_e(s.name)}'
        f"</td>{_cells(columns, s)}</tr>"
        for s in subitems
    )
    noun = "subitem" if len(subitems) == 1 else "subitems"
    opened = " open" if expand else ""
    return (
        f"<details{opened}><summary>{len(subitems)} {noun}</summary>"
        f'<table class="subitems"><thead><tr><th>Subitem</th>{head}</tr></thead>'
        f"<tbody>{rows}</tbody></table></details>"
    )


def _group_html(
    store: Store,
    board: Board,
    group: Group,
    items: list[Item],
    columns: list[Column],
    sub_board: Board | None,
    limit: int,
    expand: bool,
) -> str:
    color = _color(group.color)
    noun = "item" if len(items) == 1 else "items"
    head = "".join(
        f'<th data-column-id="{_e(c.id)}" title="{_e(c.type)}">{_e(c.title)}</th>' for c in columns
    )
    name_title = board.columns["name"].title if "name" in board.columns else "Name"
    rows = []
    for item in items[:limit]:
        rows.append(
            f'<tr class="item" data-item-id="{_e(item.id)}">'
            f'<td class="item-name">{_e(item.name)}</td>{_cells(columns, item)}</tr>'
        )
        subitems = store.subitems_of(item)
        if subitems:
            rows.append(
                f'<tr class="subitems" data-parent-id="{_e(item.id)}">'
                f'<td colspan="{len(columns) + 1}">'
                f"{_subitems_html(store, sub_board, subitems, expand)}</td></tr>"
            )
    hidden = len(items) - limit
    more = (
        f'<p class="more">{hidden} more item{"s" * (hidden != 1)} not shown (raise ?limit=)</p>'
        if hidden > 0
        else ""
    )
    body = (
        f'<div class="scroll"><table class="items"><thead><tr>'
        f'<th class="item-name">{_e(name_title)}</th>{head}</tr></thead>'
        f"<tbody>{''.join(rows)}</tbody></table></div>"
        if items
        else '<p class="empty">No items</p>'
    )
    return (
        f'<div class="group" data-group-id="{_e(group.id)}" style="--group-color:{color}">'
        f'<h3 class="group-title">{_e(group.title)}'
        f'<span class="count">{len(items)} {noun}</span></h3>{body}{more}</div>'
    )


def board_html(
    store: Store, board: Board, *, limit: int = DEFAULT_LIMIT, expand: bool = False
) -> str:
    """One board as a ``<section>``."""
    groups = board.active_groups()
    by_group: dict[str, list[Item]] = {g.id: [] for g in groups}
    for item in store.board_item_list(board.id, (ACTIVE,)):
        if item.group_id in by_group:
            by_group[item.group_id].append(item)
    shown = sum(len(v) for v in by_group.values())
    sub_board = store.subitems_board_of(board)
    subitem_count = sum(len(store.subitems_of(i)) for v in by_group.values() for i in v)
    columns = _shown_columns(board)
    parts = [
        _group_html(store, board, g, by_group[g.id], columns, sub_board, limit, expand)
        for g in groups
    ]
    counts = (
        f"{shown} item{'s' * (shown != 1)} · {subitem_count} "
        f"subitem{'s' * (subitem_count != 1)} · {len(groups)} group{'s' * (len(groups) != 1)}"
        f" · board {_e(board.id)}"
    )
    return (
        f'<section class="board" id="board-{_e(board.id)}" data-board-id="{_e(board.id)}">'
        f'<h2 class="board-name"><a href="{_e(_board_href(board.id))}">{_e(board.name)}</a></h2>'
        f'<p class="counts">{counts}</p>{"".join(parts)}</section>'
    )


def page(title: str, body: str, boards: list[Board]) -> str:
    nav = "".join(f'<a href="{_e(_board_href(b.id))}">{_e(b.name)}</a>' for b in boards)
    return (
        '<!doctype html><html lang="en"><head><meta charset="utf-8">'
        '<meta name="viewport" content="width=device-width, initial-scale=1">'
        f"<title>{_e(title)}</title><style>{STYLE}</style></head><body>"
        '<header class="page"><h1>monday emulator</h1><a href="/">all boards</a>'
        "<span>read-only view</span></header>"
        f'<nav class="boards">{nav}</nav>{body}</body></html>'
    )


def _options(request: web.Request) -> tuple[int, bool]:
    try:
        limit = max(0, int(request.query.get("limit", DEFAULT_LIMIT)))
    except ValueError:
        limit = DEFAULT_LIMIT
    expand = request.query.get("expand", "") not in ("", "0", "false", "no")
    return limit, expand


def _html(text: str, status: int = 200) -> web.Response:
    return web.Response(
        status=status,
        text=text,
        content_type="text/html",
        charset="utf-8",
        headers={
            "Content-Security-Policy": CSP,
            "X-Content-Type-Options": "nosniff",
            "Cache-Control": "no-store",
        },
    )


def register_viewer(app: web.Application, state: EmulatorState) -> None:
    """Add ``GET /`` and ``GET /boards/{board_id}`` unless those paths are taken."""
    store = state.store
    taken = {
        route.resource.canonical
        for route in app.router.routes()
        if route.method in ("GET", "*") and route.resource is not None
    }

    async def index(request: web.Request) -> web.Response:
        limit, expand = _options(request)
        boards = top_level_boards(store)
        body = "".join(board_html(store, b, limit=limit, expand=expand) for b in boards)
        if not boards:
            body = '<p class="empty">The emulator holds no boards.</p>'
        return _html(page("monday emulator: boards", body, boards))

    async def one_board(request: web.Request) -> web.Response:
        limit, expand = _options(request)
        board = store.boards.get(request.match_info["board_id"])
        boards = top_level_boards(store)
        if board is None or board.state == DELETED:
            body = f'<p class="empty">No board {_e(request.match_info["board_id"])}.</p>'
            return _html(page("monday emulator: no such board", body, boards), status=404)
        body = board_html(store, board, limit=limit, expand=expand)
        return _html(page(f"{board.name}: monday emulator", body, boards))

    if "/" not in taken:
        app.router.add_get("/", index)
    if "/boards/{board_id}" not in taken:
        app.router.add_get("/boards/{board_id}", one_board)
