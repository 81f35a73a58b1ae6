"""A real pipeline for tests: a database (SQLite file or PostgreSQL schema), the local
monday emulator on a loopback port, and helpers to generate, merge, sync and compare."""

from __future__ import annotations

import asyncio
import dataclasses
import json
import urllib.request
from collections.abc import Iterator
from typing import Any

import pytest
from sqlalchemy import MetaData, Table, select, type_coerce
from sqlalchemy.sql.sqltypes import NullType

from monday_emulator import DEMO_BOARD_ID, EmulatorSettings, ThreadedEmulator, run_in_thread
from sync_order_list.config import AppConfig
from sync_order_list.merge import MergeResult, run_merge
from sync_order_list.monday.encoders import comparable
from sync_order_list.sample.generator import generate, write_staging
from sync_order_list.sync import SyncOptions, SyncReport, run_sync
from tests.conftest import Database

TOKEN = "emulator-test-token-5c1d"


class Pipeline:
    def __init__(self, db: Database, emu: ThreadedEmulator) -> None:
        self.db = db
        self.emu = emu
        self.cfg = self._with_api(db.cfg)

    def _with_api(self, cfg: AppConfig) -> AppConfig:
        from pydantic import SecretStr

        return dataclasses.replace(cfg, api_url=self.emu.url, token=SecretStr(TOKEN))

    def configure(self, **settings_update: Any) -> AppConfig:
        self.cfg = self._with_api(self.db.configure(**settings_update))
        return self.cfg

    @property
    def engine(self) -> Any:
        return self.db.engine

    # -- pipeline --------------------------------------------------------------------
    def generate(self, orders: int, seed: int = 1) -> None:
        generate(self.engine, self.cfg, orders=orders, seed=seed)

    def stage(self, rows: list[dict[str, Any]]) -> None:
        write_staging(self.engine, self.cfg, rows)

    def merge(self) -> MergeResult:
        return run_merge(self.engine, self.cfg)

    def sync(self, options: SyncOptions | None = None, **kwargs: Any) -> SyncReport:
        kwargs.setdefault("lookup_delay", 0.0)
        return asyncio.run(run_sync(self.engine, self.cfg, options or SyncOptions(), **kwargs))

    # -- the emulator ----------------------------------------------------------------
    def admin(self, path: str, payload: Any = None) -> Any:
        data = None if payload is None else json.dumps(payload).encode()
        request = urllib.request.Request(
            self.emu.admin_url + path,
            data=data,
            method="POST" if payload is not None else "GET",
            headers={"Content-Type": "application/json"},
        )
        with urllib.request.urlopen(request, timeout=10) as response:
            return json.loads(response.read() or b"null")

    def api(self, query: str, variables: dict[str, Any] | None = None) -> Any:
        body = json.dumps({"query": query, "variables": variables or {}}).encode()
        request = urllib.request.Request(
            self.emu.url,
            data=body,
            headers={"Authorization": TOKEN, "Content-Type": "application/json"},
        )
        with urllib.request.urlopen(request, timeout=10) as response:
            return json.loads(response.read())

    def board(self, active_only: bool = True) -> dict[str, Any]:
        suffix = "?state=active" if active_only else ""
        return self.admin(f"/boards/{DEMO_BOARD_ID}{suffix}")

    def mutations(self) -> int:
        return int(self.admin("/stats")["mutations_applied_total"])

    def faults(self, **faults: Any) -> None:
        self.admin("/faults", faults)

    def settings(self, **changes: Any) -> None:
        self.admin("/settings", changes)

    # -- comparisons -----------------------------------------------------------------
    def tables(self) -> tuple[Table, Table]:
        md = MetaData(schema=self.cfg.env.db_schema)
        with self.engine.connect() as conn:
            return (
                Table(self.cfg.env.target_table, md, autoload_with=conn),
                Table(self.cfg.env.lines_table, md, autoload_with=conn),
            )

    def orders(self) -> dict[str, Any]:
        orders, _ = self.tables()
        names = [c.name for c in orders.columns]
        raw = [type_coerce(c, NullType()).label(f"c{i}") for i, c in enumerate(orders.columns)]
        with self.engine.connect() as conn:  # values as stored: no type processing
            rows = [dict(zip(names, r, strict=True)) for r in conn.execute(select(*raw))]
        return {r["AAG ORDER NUMBER"]: r for r in rows}

    def lines(self) -> dict[tuple[str, str], Any]:
        _, lines = self.tables()
        with self.engine.connect() as conn:
            return {(r.order_key, r.size_code): r for r in conn.execute(select(lines))}

    def board_items_by_key(self, board: dict[str, Any] | None = None) -> dict[str, list[Any]]:
        board = board or self.board()
        key_col = self.cfg.settings.monday.business_key_column
        out: dict[str, list[Any]] = {}
        for item in board["items"]:
            key = item["column_values"].get(key_col, {}).get("text")
            out.setdefault(key, []).append(item)
        return out

    def assert_board_matches_database(self, except_columns: frozenset[str] = frozenset()) -> None:
        """Every live order is exactly one item, in its group, with its name, every mapped
        value and its subitems (size and qty) as the database has them.

        ``except_columns``: monday columns a test changed on the board on purpose.
        """
        board = self.board()
        types = {c["id"]: c["type"] for c in board["columns"]}
        mapping = self.cfg.settings.monday.items.columns
        groups = {g["id"]: g["title"] for g in board["groups"]}
        items = self.board_items_by_key(board)
        duplicates = {k: len(v) for k, v in items.items() if len(v) > 1}
        assert not duplicates, f"duplicate items on the board: {duplicates}"
        orders = self.orders()
        live = {k: o for k, o in orders.items() if o["action_type"] != "DELETE"}
        assert set(items) == set(live), set(items) ^ set(live)
        lines = self.lines()
        size_col = self.cfg.settings.monday.subitems.columns["size_code"]
        qty_col = self.cfg.settings.monday.subitems.columns["qty"]
        for key, order in live.items():
            (item,) = items[key]
            assert order["sync_state"] == "SYNCED", (key, order["sync_state"], order["sync_error"])
            assert item["id"] == order["monday_item_id"]
            assert (
                groups[item["group"]["id"] if isinstance(item["group"], dict) else item["group"]]
                == order["group_name"]
            )
            assert item["name"] == order["item_name"]
            for db_column, column_id in mapping.items():
                if column_id in except_columns:
                    continue
                on_board = (item["column_values"].get(column_id) or {}).get("text")
                want_value = comparable(order[db_column], types[column_id])
                got_value = comparable(on_board, types[column_id])
                assert got_value == want_value, (key, db_column, column_id, on_board)
            subs = {
                s["column_values"][size_col]["text"]: s["column_values"][qty_col]["text"]
                for s in item.get("subitems", [])
                if s.get("state", "active") == "active"
            }
            want = {
                size: str(line.qty)
                for (k, size), line in lines.items()
                if k == key and line.action_type != "DELETE"
            }
            assert subs == want, (key, subs, want)


@pytest.fixture
def emulator() -> Iterator[ThreadedEmulator]:
    # no server time: these tests are about the engine, not monday's timing
    with run_in_thread(EmulatorSettings(token=TOKEN, mutation_ms_mean=0, query_ms_mean=0)) as emu:
        yield emu


@pytest.fixture
def pipeline(database: Database, emulator: ThreadedEmulator) -> Pipeline:
    return Pipeline(database, emulator)


def run(coro: Any) -> Any:
    return asyncio.run(coro)
