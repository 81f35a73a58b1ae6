"""Sync benchmark: how close the engine comes to the bound monday's rules set.

    python bench/sync.py [--orders 500] [--latency-ms 150] [--speed 10] [--no-plain]

The emulator runs in its own process with monday's rules on: its costs (10,000 points a
mutation), the budget of 10,000,000 points per 60 s window, server time per mutation
(the emulator's default distribution), the 60-second call limit and the board write
lock (423). ``--speed N`` runs the emulator's clock N times faster than wall time, and
divides the added network latency by N too, so a run keeps monday's proportions and
every figure is also printed in monday time (wall x N); the engine's time settings
(the call limit, the document target, the budget window) are divided by N with it.

It syncs ``--orders`` generated orders with their size lines into an empty board and
prints, next to the same work done by two plain clients on the same settings (one
mutation per request, one at a time; and one mutation per request from 8 concurrent
workers on the same board, retrying 423s):

- wall time, and the physical bound: the larger of the budget bound (the start of the
  last budget window the run's points need, at the share of the budget the tool may
  use) and the server-time bound of the busiest lane (the monday time that board's
  mutations took, one document at a time); which one binds; their ratio (target:
  <= 1.15);
- requests per order (target on an initial load: <= 0.05);
- documents over the ``batch.document_seconds`` target (target: 0);
- board-lock overlaps the emulator counted (target: 0).
"""

from __future__ import annotations

import argparse
import asyncio
import json
import math
import tempfile
import time
import urllib.request
from pathlib import Path
from typing import Any

from sqlalchemy import MetaData, Table, select

from _support import BUDGET, CONFIG_PATH, TOKEN, WINDOW, Emulator, monday_rules
from sync_order_list.config import config_for
from sync_order_list.config.timescale import compressed
from sync_order_list.db import init_db, make_engine
from sync_order_list.merge import run_merge
from sync_order_list.sample.generator import generate
from sync_order_list.sync import SyncOptions, run_sync

MUTATION_COST = 10_000
ITEMS_BOARD = "8709134353"
KEY_COLUMN = "text_mkr5wya6"


def emulator(args: argparse.Namespace) -> Emulator:
    return Emulator(
        monday_rules(args.speed, args.latency_ms)
        + ([f"mutation_ms_mean={args.mutation_ms}"] if args.mutation_ms is not None else [])
    )


def prepared(tmp: Path, orders: int, emu: Emulator, speed: float = 1.0) -> tuple[Any, Any, Any]:
    url = f"sqlite:///{tmp}/bench.db"
    cfg = config_for(
        CONFIG_PATH,
        url,
        environ={"MONDAY_API_TOKEN": TOKEN, "MONDAY_API_URL": emu.url},
    )
    if speed != 1:
        cfg = config_for(
            CONFIG_PATH,
            url,
            environ={"MONDAY_API_TOKEN": TOKEN, "MONDAY_API_URL": emu.url},
            settings_update=compressed(cfg.settings, speed),
        )
    engine = make_engine(url)
    init_db(engine, cfg, order_tables=True)
    generate(engine, cfg, orders=orders, seed=1)
    merge = run_merge(engine, cfg)
    emu.reset()
    return cfg, engine, merge


def ours(emu: Emulator, args: argparse.Namespace) -> dict[str, Any]:
    with tempfile.TemporaryDirectory() as tmp:
        cfg, engine, merge = prepared(Path(tmp), args.orders, emu, args.speed)
        started = time.perf_counter()
        report = asyncio.run(run_sync(engine, cfg, SyncOptions()))
        wall = time.perf_counter() - started
        target = cfg.settings.batch.document_seconds * args.speed  # monday time
        share = cfg.settings.rate.budget_share
        engine.dispose()
    stats = emu.stats()
    by_5s = stats["server_time"].get("documents_by_5s", {})
    over = sum(n for start, n in by_5s.items() if int(start) >= target)
    return {
        "name": "sync-order-list",
        "outcome": report.outcome,
        "orders": args.orders,
        "lines": merge.lines_upserted,
        "wall": wall,
        "requests": int(stats["requests"]),
        "stats": stats,
        "documents": report.documents,
        "over_target": over,
        "target": target,
        "share": share,
        "lanes": report.lanes,
        "errors": report.tally.total().errors,
    }


# -- plain clients -------------------------------------------------------------------


def _post(url: str, query: str, variables: dict[str, Any]) -> tuple[int, dict[str, str], Any]:
    body = json.dumps({"query": query, "variables": variables}).encode()
    request = urllib.request.Request(
        url, data=body, headers={"Authorization": TOKEN, "Content-Type": "application/json"}
    )
    try:
        with urllib.request.urlopen(request, timeout=120) as response:
            return response.status, dict(response.headers), json.loads(response.read())
    except urllib.error.HTTPError as exc:
        return exc.code, dict(exc.headers), None


def plain(emu: Emulator, args: argparse.Namespace, workers: int) -> dict[str, Any]:
    """A client as people write them: one create_item (then create_subitem) per
    request, ``workers`` at a time, waiting out 423s and 429s as told."""
    import concurrent.futures

    with tempfile.TemporaryDirectory() as tmp:
        cfg, engine, merge = prepared(Path(tmp), args.orders, emu)
        orders = Table(cfg.env.target_table, MetaData(), autoload_with=engine)
        lines = Table(cfg.env.lines_table, MetaData(), autoload_with=engine)
        key = orders.c[cfg.settings.merge.business_key]
        with engine.connect() as conn:
            keys = [str(k) for (k,) in conn.execute(select(key))]
            sizes: dict[str, list[str]] = {}
            for k, size in conn.execute(select(lines.c.order_key, lines.c.size_code)):
                sizes.setdefault(str(k), []).append(str(size))
        engine.dispose()
    create = (
        "mutation ($b: ID!, $n: String!, $v: JSON) { create_item(board_id: $b, "
        "item_name: $n, column_values: $v) { id } complexity { after } }"
    )
    sub = (
        "mutation ($p: ID!, $n: String!) { create_subitem(parent_item_id: $p, "
        "item_name: $n) { id } }"
    )

    def send(query: str, variables: dict[str, Any]) -> Any:
        while True:
            status, headers, body = _post(emu.url, query, variables)
            if status in (423, 429, 409):
                time.sleep(float(headers.get("Retry-After", "1")))
                continue
            return body

    def one_order(k: str) -> None:
        body = send(create, {"b": ITEMS_BOARD, "n": k, "v": json.dumps({KEY_COLUMN: k})})
        item = ((body or {}).get("data") or {}).get("create_item") or {}
        for size in sizes.get(k, []):
            send(sub, {"p": item.get("id"), "n": f"Size {size}"})

    started = time.perf_counter()
    with concurrent.futures.ThreadPoolExecutor(max_workers=workers) as pool:
        list(pool.map(one_order, keys))
    wall = time.perf_counter() - started
    stats = emu.stats()
    return {
        "name": f"plain, {workers} at a time" if workers > 1 else "plain, one at a time",
        "orders": args.orders,
        "lines": merge.lines_upserted,
        "wall": wall,
        "requests": int(stats["requests"]),
        "stats": stats,
    }


# -- figures -------------------------------------------------------------------------


def bounds(result: dict[str, Any], args: argparse.Namespace) -> dict[str, float]:
    stats = result["stats"]
    share = result.get("share", 1.0)
    charged = int(stats["complexity_charged"])
    usable = BUDGET * share
    windows = max(1, math.ceil(charged / usable))
    budget_bound = (windows - 1) * WINDOW / args.speed
    per_board = stats.get("server_time", {}).get("seconds_by_board") or {}
    busiest = max(per_board.values(), default=stats.get("server_time", {}).get("seconds", 0.0))
    server_bound = busiest / args.speed
    return {"budget": budget_bound, "server": server_bound, "charged": charged}


def show(result: dict[str, Any], args: argparse.Namespace) -> None:
    b = bounds(result, args)
    bound = max(b["budget"], b["server"])
    binds = "budget" if b["budget"] >= b["server"] else "server time of the busiest lane"
    stats = result["stats"]
    writes = int(stats.get("mutations_executed_total", stats["mutations_applied_total"]))
    lock = stats.get("board_lock", {})
    print(f"{result['name']}:")
    if "outcome" in result:
        print(f"  outcome              {result['outcome']}, {result['errors']} errors")
    print(f"  work                 {result['orders']} orders + {result['lines']} lines -> "
          f"{writes:,} mutations executed")  # fmt: skip
    print(f"  wall time            {result['wall']:8.1f} s   "
          f"({result['wall'] * args.speed:,.0f} s in monday time)")  # fmt: skip
    print(f"  budget bound         {b['budget']:8.1f} s   ({b['charged']:,} points, "
          f"{result.get('share', 1.0):.0%} of {BUDGET:,} per {WINDOW:g} s)")  # fmt: skip
    print(f"  server-time bound    {b['server']:8.1f} s   (busiest board)")
    print(f"  wall / bound         {result['wall'] / bound if bound else float('nan'):8.3f}"
          f"     ({binds} binds; target <= 1.15)")  # fmt: skip
    print(f"  requests per order   {result['requests'] / result['orders']:8.3f}     "
          f"({result['requests']} requests; target <= 0.05)")  # fmt: skip
    if "documents" in result:
        print(f"  documents            {result['documents']:8}     "
              f"({result['over_target']} over the {result['target']:g} s target; target 0)")  # fmt: skip
        by_5s = result["stats"]["server_time"].get("documents_by_5s", {})
        spread = ", ".join(f"{k}-{int(k) + 5} s: {n}" for k, n in by_5s.items())
        print(f"    monday time a document took: {spread}")
        for name, lane in result["lanes"].items():
            print(f"    {name:<9} lane     {lane['documents']:8} documents, "
                  f"{lane['seconds_per_mutation'] * args.speed:.3f} s a mutation (monday time)")  # fmt: skip
    print(f"  board-lock overlaps  {lock.get('overlaps', 'n/a')!s:>8}     "
          f"(423s: {lock.get('rejected', 'n/a')}; target 0)")  # fmt: skip


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--orders", type=int, default=500)
    parser.add_argument("--latency-ms", type=float, default=150.0)
    parser.add_argument("--speed", type=float, default=10.0, help="emulator clock speed-up")
    parser.add_argument(
        "--mutation-ms", type=float, default=None, help="server time per mutation (mean)"
    )
    parser.add_argument("--no-plain", action="store_true", help="skip the plain clients")
    args = parser.parse_args()
    print(
        f"sync benchmark: monday's budget ({BUDGET:,} per {WINDOW:g} s, {MUTATION_COST:,} a "
        f"mutation), server time per mutation, the 60 s limit and the board lock on; "
        f"{args.latency_ms:g} ms latency; clock x{args.speed:g}"
    )
    with emulator(args) as emu:
        show(ours(emu, args), args)
        if not args.no_plain:
            show(plain(emu, args, 1), args)
            show(plain(emu, args, 8), args)


if __name__ == "__main__":
    main()
