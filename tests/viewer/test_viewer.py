"""The emulator's board viewer over HTTP (no browser): content, counts, escaping,
404, read-only, and a ``setup`` hook that serves its own ``GET /`` keeps it."""

from __future__ import annotations

import urllib.error
import urllib.request
from html.parser import HTMLParser
from typing import Any

import pytest
from aiohttp import web

from monday_emulator import (
    SMALL_BOARD,
    EmulatorSettings,
    EmulatorState,
    builtin_spec,
    create_app,
    run_in_thread,
)

TOKEN = "viewer-token-123"
EVIL = '<script>alert("x")</script>'


def get(url: str) -> tuple[int, str, dict[str, str]]:
    try:
        with urllib.request.urlopen(url, timeout=10) as resp:
            return resp.status, resp.read().decode("utf-8"), dict(resp.headers)
    except urllib.error.HTTPError as exc:
        return exc.code, exc.read().decode("utf-8"), dict(exc.headers)


class Tags(HTMLParser):
    """Every start tag with its attributes, and the text of the document."""

    def __init__(self) -> None:
        super().__init__()
        self.tags: list[tuple[str, dict[str, Any]]] = []
        self.text: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.tags.append((tag, dict(attrs)))

    def handle_data(self, data: str) -> None:
        self.text.append(data)


def parse(page: str) -> Tags:
    tags = Tags()
    tags.feed(page)
    return tags


def spec_with_values() -> dict[str, Any]:
    return {
        "id": "7100000001",
        "name": "Viewer board",
        "groups": [
            {"id": "g_new", "title": "New orders", "color": "#00c875"},
            {"id": "g_done", "title": "Done orders", "color": "#e2445c"},
        ],
        "columns": [
            {"id": "subitems", "title": "Subitems", "type": "subtasks"},
            {"id": "text_key", "title": "Order", "type": "text"},
            {"id": "num_total", "title": "Total", "type": "numbers"},
            {"id": "status_uom", "title": "Unit", "type": "status", "labels": {"0": "EACH"}},
            {"id": "drop_cust", "title": "Customer", "type": "dropdown", "labels": ["RHONE"]},
            {"id": "date_eta", "title": "ETA", "type": "date"},
        ],
        "subitems": {
            "id": "7100000002",
            "columns": [
                {"id": "drop_size", "title": "Size", "type": "dropdown", "labels": ["M"]},
                {"id": "num_qty", "title": "Qty", "type": "numbers"},
            ],
        },
        "items": [
            {
                "name": "Order one",
                "group": "g_new",
                "values": {
                    "text_key": "A-1",
                    "num_total": "42",
                    "status_uom": {"label": "EACH"},
                    "drop_cust": {"labels": ["RHONE"]},
                    "date_eta": {"date": "2025-03-04"},
                },
                "subitems": [
                    {"name": "Size M", "values": {"drop_size": {"labels": ["M"]}, "num_qty": "7"}},
                    {"name": "Size L", "values": {"drop_size": {"labels": ["L"]}, "num_qty": "3"}},
                ],
            },
            {"name": "Order two", "group": "g_done", "values": {"text_key": "A-2"}},
            {"name": "Archived order", "group": "g_done", "state": "archived"},
        ],
    }


def test_index_and_board_pages_show_groups_items_values_and_subitems() -> None:
    with run_in_thread(EmulatorSettings(token=TOKEN), boards=[spec_with_values()]) as emu:
        status, page, headers = get(emu.base_url + "/")
        assert status == 200
        assert headers["Content-Type"].startswith("text/html")
        assert "script-src" not in headers["Content-Security-Policy"]  # no script at all
        assert "default-src 'none'" in headers["Content-Security-Policy"]
        doc = parse(page)
        text = " ".join(" ".join(doc.text).split())
        assert "Viewer board" in text
        assert "2 items · 2 subitems · 2 groups" in text  # the archived item is not shown
        assert "New orders 1 item" in text and "Done orders 1 item" in text
        assert "Order one" in text and "Order two" in text and "Archived order" not in text
        for value in ("A-1", "42", "EACH", "RHONE", "2025-03-04", "Size M", "Size L"):
            assert value in text, value
        groups = [a for t, a in doc.tags if t == "div" and "group" in (a.get("class") or "")]
        assert [g["data-group-id"] for g in groups] == ["g_new", "g_done"]
        assert "--group-color:#00c875" in groups[0]["style"]
        assert sum(1 for t, _ in doc.tags if t == "details") == 1
        subitems = [a for t, a in doc.tags if t == "tr" and a.get("class") == "subitem"]
        assert len(subitems) == 2
        # the subitems board is shown under its parent, not as a board of its own
        assert sum(1 for t, a in doc.tags if t == "section") == 1

        status, one, _ = get(emu.base_url + "/boards/7100000001?expand=1")
        assert status == 200 and "Order one" in one and "<details open>" in one
        status, limited, _ = get(emu.base_url + "/boards/7100000001?limit=0")
        assert "1 more item not shown" in limited

        status, missing, _ = get(emu.base_url + "/boards/999")
        assert status == 404 and "No board 999" in missing


def test_every_value_is_escaped() -> None:
    spec = {
        "id": "7200000001",
        "name": f"Board {EVIL}",
        "groups": [{"id": "g1", "title": f"Group {EVIL}", "color": "red;}</style><script>x"}],
        "columns": [
            {"id": "subitems", "title": "Subitems", "type": "subtasks"},
            {"id": "t1", "title": f"Title {EVIL}", "type": "text"},
            {"id": "s1", "title": "Status", "type": "status", "labels": {"0": EVIL}},
            {"id": "d1", "title": "Drop", "type": "dropdown", "labels": [EVIL]},
        ],
        "subitems": {"id": "7200000002", "columns": [{"id": "st", "title": EVIL, "type": "text"}]},
        "items": [
            {
                "name": f"Item {EVIL}",
                "group": "g1",
                "values": {"t1": f'"><img src=x onerror=alert(1)>{EVIL}', "s1": {"index": 0}},
                "subitems": [{"name": EVIL, "values": {"st": EVIL}}],
            }
        ],
    }
    spec["items"][0]["values"]["d1"] = {"labels": [EVIL]}
    with run_in_thread(EmulatorSettings(token=TOKEN), boards=[spec]) as emu:
        for path in ("/", "/boards/7200000001", "/boards/%3Cscript%3E"):
            _, page, _ = get(emu.base_url + path)
            lowered = page.lower()
            assert "<script" not in lowered and "<img" not in lowered
            assert "</style><" not in lowered.split("</style>", 1)[1]
        _, page, _ = get(emu.base_url + "/")
    assert page.count("&lt;script&gt;") >= 8
    group = next(a for t, a in parse(page).tags if t == "div" and a.get("data-group-id") == "g1")
    assert group["style"] == "--group-color:#579bfc"  # an unsafe colour falls back


def test_viewer_is_read_only_and_off_the_api() -> None:
    with run_in_thread(EmulatorSettings(token=TOKEN), boards=[builtin_spec(SMALL_BOARD)]) as emu:
        before = emu.call(lambda: emu.state.stats.requests)
        get(emu.base_url + "/")
        request = urllib.request.Request(emu.base_url + "/", data=b"{}", method="POST")
        with pytest.raises(urllib.error.HTTPError) as exc:
            urllib.request.urlopen(request, timeout=10)
        assert exc.value.code == 405
        assert emu.call(lambda: emu.state.stats.requests) == before  # not API requests


def test_a_setup_hook_keeps_its_own_root_page() -> None:
    def setup(app: web.Application, state: EmulatorState) -> None:
        async def index(request: web.Request) -> web.Response:
            return web.Response(text="custom")

        app.router.add_get("/", index)

    app = create_app(EmulatorState(EmulatorSettings(token=TOKEN)), setup)
    routes = {(r.method, r.resource.canonical) for r in app.router.routes() if r.resource}
    assert ("GET", "/") in routes and ("GET", "/boards/{board_id}") in routes
    handler = next(
        r.handler for r in app.router.routes() if r.method == "GET" and r.resource.canonical == "/"
    )
    assert handler.__qualname__.startswith("test_a_setup_hook_keeps_its_own_root_page")


def test_empty_emulator_says_so() -> None:
    with run_in_thread(EmulatorSettings(token=TOKEN), load_demo=False) as emu:
        status, page, _ = get(emu.base_url + "/")
    assert status == 200 and "holds no boards" in page
