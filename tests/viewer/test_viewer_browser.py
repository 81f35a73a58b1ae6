"""The board viewer in a real browser (Debian's headless chromium) after a real sync
of a few orders into the emulator.

Set UPDATE_SCREENSHOTS=1 to rewrite docs/images/board-viewer.png from this run.
Without chromium the test skips, except under CI=true, where it fails.
"""

from __future__ import annotations

import asyncio
import os
import shutil
import subprocess
from html.parser import HTMLParser
from pathlib import Path

import pytest
from sqlalchemy import text

from monday_emulator import EmulatorSettings, run_in_thread
from sync_order_list.merge import run_merge
from sync_order_list.sample.generator import generate
from sync_order_list.sync import SyncOptions, run_sync
from tests.conftest import REPO_ROOT, Database
from tests.doctor.support import pointed_at

CHROMIUM = "/usr/bin/chromium"
SCREENSHOT = REPO_ROOT / "docs" / "images" / "board-viewer.png"
TOKEN = "viewer-token-123"
FLAGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]

pytestmark = [pytest.mark.browser, pytest.mark.slow]


def chromium() -> str:
    path = CHROMIUM if os.access(CHROMIUM, os.X_OK) else shutil.which("chromium")
    if path is None:
        message = "chromium is not installed (apt-get install -y chromium)"
        if os.environ.get("CI") == "true":
            pytest.fail(message + " and CI=true")
        pytest.skip(message)
    return path


class Rows(HTMLParser):
    """Text of every ``tr`` by class, of group titles and of the board counts."""

    def __init__(self) -> None:
        super().__init__()
        self.rows: dict[str, list[list[str]]] = {}
        self.group_titles: list[str] = []
        self.counts: list[str] = []
        self._row: list[str] | None = None
        self._row_class = ""
        self._cell: list[str] | None = None
        self._capture: list[str] | None = None
        self._capture_into: list[str] | None = None
        self._capture_tag = ""

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        cls = dict(attrs).get("class") or ""
        if tag == "tr":
            self._row, self._row_class = [], cls
        elif tag == "td" and self._row is not None:
            self._cell = []
        elif tag == "h3" and "group-title" in cls:
            self._capture, self._capture_into, self._capture_tag = [], self.group_titles, tag
        elif tag == "p" and cls == "counts":
            self._capture, self._capture_into, self._capture_tag = [], self.counts, tag
        elif tag == "span" and cls == "count" and self._capture is not None:
            self._capture.append("\x00")  # the group's item count follows the title

    def handle_endtag(self, tag: str) -> None:
        if tag == "td" and self._cell is not None and self._row is not None:
            self._row.append("".join(self._cell).strip())
            self._cell = None
        elif tag == "tr" and self._row is not None:
            self.rows.setdefault(self._row_class, []).append(self._row)
            self._row = None
        elif tag == self._capture_tag and self._capture is not None:
            assert self._capture_into is not None
            self._capture_into.append("".join(self._capture).split("\x00")[0].strip())
            self._capture = None

    def handle_data(self, data: str) -> None:
        if self._cell is not None:
            self._cell.append(data)
        if self._capture is not None:
            self._capture.append(data)


def browse(binary: str, url: str, profile: Path, *extra: str) -> subprocess.Popen[str]:
    return subprocess.Popen(
        [binary, *FLAGS, f"--user-data-dir={profile}", *extra, url],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )


def test_board_viewer_in_headless_chromium(sqlite_database: Database, tmp_path: Path) -> None:
    binary = chromium()
    db = sqlite_database
    generate(db.engine, db.cfg, orders=5, seed=4)
    run_merge(db.engine, db.cfg)
    with run_in_thread(EmulatorSettings(token=TOKEN, mutation_ms_mean=0.0)) as emu:
        cfg = pointed_at(db.cfg, emu, token=TOKEN)
        report = asyncio.run(run_sync(db.engine, cfg, SyncOptions()))
        assert report.outcome == "success", report.message

        shot = tmp_path / "board.png"
        dom_run = browse(binary, emu.base_url + "/", tmp_path / "p1", "--dump-dom")
        shot_run = browse(
            binary,
            emu.base_url + f"/boards/{cfg.env.items_board_id}?expand=1",
            tmp_path / "p2",
            f"--screenshot={shot}",
            "--window-size=1400,900",
        )
        dom, dom_err = dom_run.communicate(timeout=60)
        _, shot_err = shot_run.communicate(timeout=60)
    assert dom_run.returncode == 0, dom_err[-2000:]
    assert shot_run.returncode == 0, shot_err[-2000:]

    with db.engine.connect() as conn:
        orders = conn.execute(
            text('SELECT group_name, item_name, "AAG ORDER NUMBER" FROM "ORDER_LIST"')
        ).all()
        lines = conn.execute(
            text('SELECT order_key, size_code, qty FROM "ORDER_LIST_LINES" ORDER BY line_id')
        ).all()
    page = Rows()
    page.feed(dom)

    # the board's groups are the orders' groups (plus the demo board's own "Topics")
    assert set(page.group_titles) == {o.group_name for o in orders} | {"Topics"}
    assert page.counts and page.counts[0].startswith(f"{len(orders)} items · {len(lines)} subitems")
    items = {row[0]: row for row in page.rows["item"]}
    for order in orders:
        assert order.item_name in items
        assert order[2] in items[order.item_name]  # the AAG ORDER NUMBER column's text
    # a subitem shows its size and quantity, folded under its item
    subitems = page.rows["subitem"]
    assert len(subitems) == len(lines)
    first = lines[0]
    assert [f"Size {first.size_code}", first.size_code, str(first.qty)] in subitems
    assert dom.count("<details") == len(orders) and "<details open" not in dom

    png = shot.read_bytes()
    assert png.startswith(b"\x89PNG\r\n\x1a\n") and len(png) > 10_000
    if os.environ.get("UPDATE_SCREENSHOTS") == "1":
        SCREENSHOT.parent.mkdir(parents=True, exist_ok=True)
        SCREENSHOT.write_bytes(png)
