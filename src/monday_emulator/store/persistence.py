"""Optional SQLite persistence (stdlib sqlite3). The store keeps everything in memory
and writes what a request changed through to the database before the response is
sent, so an acknowledged write survives a SIGKILL of the server."""

from __future__ import annotations

import sqlite3
import threading
from collections.abc import Iterable
from pathlib import Path

from .model import Board, Item

_SCHEMA = """
CREATE TABLE IF NOT EXISTS meta (key TEXT PRIMARY KEY, value TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS boards (id TEXT PRIMARY KEY, data TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS items (
    id TEXT PRIMARY KEY,
    board_id TEXT NOT NULL,
    data TEXT NOT NULL
);
CREATE INDEX IF NOT EXISTS items_board ON items (board_id);
"""


class SqliteBackend:
    def __init__(self, path: str | Path) -> None:
        self.path = str(path)
        self._lock = threading.Lock()
        self._conn = sqlite3.connect(self.path, check_same_thread=False, isolation_level=None)
        self._conn.execute("PRAGMA journal_mode=WAL")
        self._conn.execute("PRAGMA synchronous=NORMAL")
        self._conn.executescript(_SCHEMA)

    def load(self) -> tuple[list[Board], list[Item], dict[str, str]]:
        with self._lock:
            boards = [Board.from_json(r[0]) for r in self._conn.execute("SELECT data FROM boards")]
            items = [
                Item.from_json(r[0])
                for r in self._conn.execute("SELECT data FROM items ORDER BY CAST(id AS INTEGER)")
            ]
            meta = dict(self._conn.execute("SELECT key, value FROM meta").fetchall())
        return boards, items, meta

    def write(
        self,
        boards: Iterable[Board],
        items: Iterable[Item],
        deleted_boards: Iterable[str],
        meta: dict[str, str],
    ) -> None:
        board_rows = [(b.id, b.to_json()) for b in boards]
        item_rows = [(i.id, i.board_id, i.to_json()) for i in items]
        gone = [(b,) for b in deleted_boards]
        with self._lock:
            cur = self._conn.cursor()
            cur.execute("BEGIN IMMEDIATE")
            try:
                if board_rows:
                    cur.executemany(
                        "INSERT OR REPLACE INTO boards (id, data) VALUES (?, ?)", board_rows
                    )
                if item_rows:
                    cur.executemany(
                        "INSERT OR REPLACE INTO items (id, board_id, data) VALUES (?, ?, ?)",
                        item_rows,
                    )
                for row in gone:
                    cur.execute("DELETE FROM items WHERE board_id = ?", row)
                    cur.execute("DELETE FROM boards WHERE id = ?", row)
                cur.executemany(
                    "INSERT OR REPLACE INTO meta (key, value) VALUES (?, ?)", list(meta.items())
                )
                cur.execute("COMMIT")
            except BaseException:
                cur.execute("ROLLBACK")
                raise

    def clear(self) -> None:
        with self._lock:
            self._conn.execute("BEGIN IMMEDIATE")
            self._conn.execute("DELETE FROM items")
            self._conn.execute("DELETE FROM boards")
            self._conn.execute("DELETE FROM meta")
            self._conn.execute("COMMIT")

    def close(self) -> None:
        with self._lock:
            self._conn.close()
