"""Opt-in: a small sync against a REAL monday.com board, cleaned up afterwards.

Skipped unless both are set:
- ``MONDAY_API_TOKEN``: a token for an account where you may create and delete items;
- ``SYNC_ORDER_LIST_LIVE_CONFIG``: a config file whose environment (``--env`` name in
  ``SYNC_ORDER_LIST_LIVE_ENV``, default ``development``) points at a *test* board that
  has the mapped columns (make one with the column ids of your mapping).

It generates three orders, merges and syncs them on a temporary SQLite file, checks
each item by its key on the board, re-runs to see that nothing is written, then deletes
the items and the groups the run created. Never point it at a production board.
"""

from __future__ import annotations

import asyncio
import os
from pathlib import Path

import pytest

from sync_order_list.config import load_config
from sync_order_list.db import init_db, make_engine
from sync_order_list.merge import run_merge
from sync_order_list.monday import MondayClient, single
from sync_order_list.sample.generator import generate
from sync_order_list.sync import SyncOptions, run_sync
from sync_order_list.sync.reconcile import find_items_by_key
from sync_order_list.sync.store import reflect_tables

pytestmark = pytest.mark.skipif(
    not (os.environ.get("MONDAY_API_TOKEN") and os.environ.get("SYNC_ORDER_LIST_LIVE_CONFIG")),
    reason="set MONDAY_API_TOKEN and SYNC_ORDER_LIST_LIVE_CONFIG to run against real monday",
)


def test_small_sync_against_a_real_board(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'live.db'}"
    cfg = load_config(
        os.environ["SYNC_ORDER_LIST_LIVE_CONFIG"],
        env_name=os.environ.get("SYNC_ORDER_LIST_LIVE_ENV", "development"),
        database_url=url,
    )
    assert not cfg.env.protected, "the live test refuses a protected environment"
    engine = make_engine(url)
    init_db(engine, cfg, order_tables=True)
    generate(engine, cfg, orders=3, seed=1)
    run_merge(engine, cfg)
    report = asyncio.run(run_sync(engine, cfg, SyncOptions()))
    try:
        assert report.outcome == "success", [e.message for e in report.tally.errors]
        again = asyncio.run(run_sync(engine, cfg, SyncOptions()))
        assert again.outcome == "nothing"
        keys = [e for e in _keys(engine, cfg)]
        found = asyncio.run(_lookup(cfg, keys))
        assert set(found) == set(keys)
    finally:
        asyncio.run(_clean_up(engine, cfg))
        engine.dispose()


def _keys(engine, cfg):  # type: ignore[no-untyped-def]
    from sqlalchemy import select

    t = reflect_tables(engine, cfg)
    with engine.connect() as conn:
        return [r[0] for r in conn.execute(select(t.orders.c[t.key]))]


def _client(cfg) -> MondayClient:  # type: ignore[no-untyped-def]
    s = cfg.settings
    return MondayClient(
        cfg.api_url, cfg.require_token(), s.monday.api_version, batch=s.batch, rate=s.rate
    )


async def _lookup(cfg, keys):  # type: ignore[no-untyped-def]
    async with _client(cfg) as client:
        found = await find_items_by_key(
            client, cfg.env.items_board_id, cfg.settings.monday.business_key_column, keys
        )
        return found.ids


async def _clean_up(engine, cfg) -> None:  # type: ignore[no-untyped-def]
    """Delete every item the test created and the groups its runs made."""
    from sqlalchemy import select

    t = reflect_tables(engine, cfg)
    with engine.connect() as conn:
        items = [r[0] for r in conn.execute(select(t.orders.c.monday_item_id)) if r[0]]
        groups = [r[0] for r in conn.execute(select(t.groups.c.group_id))]
    async with _client(cfg) as client:
        for item_id in items:
            await client.execute(single("delete_item", {"item_id": item_id}), idempotent=True)
        for group_id in groups:
            await client.execute(
                "mutation ($b: ID!, $g: String!) { delete_group(board_id: $b, group_id: $g) { id } }",
                {"b": cfg.env.items_board_id, "g": group_id},
                idempotent=True,
                operation="delete_group",
            )
