"""First-load benchmark: the regular path against monday's bulk import, same emulator.

    python bench/first_load.py [--orders 10000] [--speed 100] [--paths regular,ingest,backfill]

Each path loads ``--orders`` generated orders with their size lines into an empty
board, on the same emulator settings: monday's complexity budget (10,000,000 points a
60 s window, 10,000 a mutation), its server time per mutation (the emulator's
default), the 60 s call limit, the board lock, and the bulk import's rules (100 jobs
and 19,000 ingest_items item writes an hour per account, 10,000 / 20,000 rows a job)
with the emulator's processing rate, ``bulk_rows_per_second`` (default 50: an
assumption, monday publishes none), one job of the account at a time
(``--jobs-at-once``, the emulator's ``bulk_jobs_at_once``: also an assumption). ``--speed N`` runs the emulator's clock N times
faster than wall time and compresses the engine's time settings with it, so every
figure is also given in monday time (wall x N).

For each path it prints wall time, requests, complexity points, bulk jobs, the share
of the account's hourly budgets the run used, the bound each limit sets and which
one binds.
"""

from __future__ import annotations

import argparse
import asyncio
import math
import tempfile
import time
from typing import Any

from _support import BUDGET, CONFIG_PATH, TOKEN, WINDOW, Emulator, monday_rules
from sync_order_list.config import config_for
from sync_order_list.config.timescale import compressed
from sync_order_list.db import init_db, make_engine
from sync_order_list.merge import run_merge
from sync_order_list.sample.generator import generate
from sync_order_list.sync import SyncOptions, run_sync

JOBS_PER_HOUR = 100
INGEST_ITEMS_PER_HOUR = 19_000
HOUR = 3600.0


def emulator(args: argparse.Namespace) -> Emulator:
    return Emulator(
        [
            *monday_rules(args.speed, args.latency_ms),
            f"bulk_rows_per_second={args.rows_per_second}",
            f"bulk_jobs_at_once={args.jobs_at_once or 'null'}",
            f"items_per_board={max(100_000, args.orders * 2)}",
        ]
    )


def load(emu: Emulator, args: argparse.Namespace, path: str) -> dict[str, Any]:
    with tempfile.TemporaryDirectory() as tmp:
        url = f"sqlite:///{tmp}/bench.db"
        environ = {"MONDAY_API_TOKEN": TOKEN, "MONDAY_API_URL": emu.url}
        base = config_for(CONFIG_PATH, url, environ=environ)
        update: dict[str, Any] = compressed(base.settings, args.speed)
        bulk = dict(update.get("bulk", {}))
        bulk["mode"] = "off" if path == "regular" else path
        update["bulk"] = bulk
        cfg = config_for(CONFIG_PATH, url, environ=environ, settings_update=update)
        engine = make_engine(url)
        init_db(engine, cfg, order_tables=True)
        generate(engine, cfg, orders=args.orders, seed=1)
        merge = run_merge(engine, cfg)
        emu.reset()
        started = time.perf_counter()
        report = asyncio.run(run_sync(engine, cfg, SyncOptions()))
        wall = time.perf_counter() - started
        engine.dispose()
    return {
        "path": path,
        "outcome": report.outcome,
        "errors": report.tally.total().errors,
        "orders": args.orders,
        "lines": merge.lines_upserted,
        "wall": wall,
        "report": report,
        "stats": emu.stats(),
        "share": cfg.settings.rate.budget_share,
        "hourly_share": cfg.settings.bulk.hourly_share,
        "concurrent_jobs": cfg.settings.bulk.concurrent_jobs,
    }


def bounds(r: dict[str, Any], args: argparse.Namespace) -> dict[str, float]:
    """What each limit alone would cost in monday time (s)."""
    stats = r["stats"]
    bulk = stats.get("bulk", {})
    charged = int(stats["complexity_charged"])
    windows = max(1, math.ceil(charged / (BUDGET * r["share"])))
    server = stats.get("server_time", {}).get("seconds_by_board") or {}
    rows = int(bulk.get("rows_processed", 0))
    jobs = int(bulk.get("jobs_started_total", 0))
    ingest_rows = rows if r["path"] == "ingest" else 0
    item_budget = INGEST_ITEMS_PER_HOUR * r["hourly_share"]
    job_budget = JOBS_PER_HOUR * r["hourly_share"]
    return {
        "complexity budget": (windows - 1) * WINDOW,
        "server time (busiest board)": max(server.values(), default=0.0),
        "bulk processing": rows / args.rows_per_second / (args.jobs_at_once or 1)
        if args.rows_per_second
        else 0.0,
        "hourly item budget": max(0, math.ceil(ingest_rows / item_budget) - 1) * HOUR,
        "hourly job budget": max(0, math.ceil(jobs / job_budget) - 1) * HOUR,
    }


def show(r: dict[str, Any], args: argparse.Namespace) -> None:
    stats, report = r["stats"], r["report"]
    bulk = stats.get("bulk", {})
    hourly = bulk.get("hourly", {})
    b = bounds(r, args)
    binds = max(b, key=lambda k: b[k])
    wall_monday = r["wall"] * args.speed
    print(f"{r['path']}:")
    print(f"  outcome               {r['outcome']}, {r['errors']} errors")
    print(f"  work                  {r['orders']:,} orders + {r['lines']:,} lines")
    print(f"  wall time             {r['wall']:9.1f} s   ({wall_monday:,.0f} s = "
          f"{wall_monday / HOUR:.2f} h in monday time)")  # fmt: skip
    print(f"  requests              {int(stats['requests']):9,}   "
          f"({int(stats['requests']) / r['orders']:.3f} per order)")  # fmt: skip
    print(f"  complexity points     {int(stats['complexity_charged']):9,}")
    print(f"  mutations executed    {int(stats.get('mutations_executed_total', 0)):9,}")
    print(f"  bulk jobs             {int(bulk.get('jobs_started_total', 0)):9,}   "
          f"rows {int(bulk.get('rows_processed', 0)):,}; by the bulk lane: "
          f"{report.bulk.get('items_made', 0):,} items, "
          f"{report.bulk.get('subitems_made', 0):,} subitems")  # fmt: skip
    jobs = int(bulk.get("jobs_started_total", 0))
    ingest_rows = int(bulk.get("rows_processed", 0)) if r["path"] == "ingest" else 0
    hours = max(wall_monday / HOUR, 1.0)  # a run under an hour still spends one hour's budget
    print(f"  hourly budgets        jobs {jobs} = {jobs / hours:,.1f} an hour "
          f"({jobs / hours / JOBS_PER_HOUR:.0%} of {JOBS_PER_HOUR}); ingest items "
          f"{ingest_rows:,} = {ingest_rows / hours:,.0f} an hour "
          f"({ingest_rows / hours / INGEST_ITEMS_PER_HOUR:.0%} of {INGEST_ITEMS_PER_HOUR:,}); "
          f"the rolling hour at the end: {int(hourly.get('job_starts_used', 0))} jobs, "
          f"{int(hourly.get('ingest_items_used', 0)):,} items")  # fmt: skip
    print("  bounds (monday time)  " + "; ".join(f"{k} {v:,.0f} s" for k, v in b.items()))
    print(f"                        (bulk processing: rows / rate / the jobs monday "
          f"processes at once = {args.jobs_at_once or 'all'})")  # fmt: skip
    if report.bulk:
        print(f"  bulk lane             {report.bulk.get('label_carriers', 0)} label carriers "
              f"first, {report.bulk.get('returned', 0)} rows returned, "
              f"{report.bulk.get('budget_wait_seconds', 0) * args.speed:,.0f} s waiting "
              f"for the hourly budgets (monday time)")  # fmt: skip
    print(f"  binds                 {binds}; wall / that bound = "
          f"{wall_monday / b[binds] if b[binds] else float('nan'):.2f}")  # fmt: skip


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--orders", type=int, default=10_000)
    parser.add_argument("--speed", type=float, default=100.0, help="emulator clock speed-up")
    parser.add_argument("--latency-ms", type=float, default=150.0)
    parser.add_argument(
        "--rows-per-second",
        type=float,
        default=50.0,
        help="the emulator's bulk processing rate (an assumption: monday publishes none)",
    )
    parser.add_argument(
        "--jobs-at-once",
        type=int,
        default=1,
        help="jobs the emulator processes at once (an assumption: 1, in turn; 0: all)",
    )
    parser.add_argument("--paths", default="regular,ingest,backfill")
    args = parser.parse_args()
    print(
        f"first-load benchmark: {args.orders:,} orders; monday's budget ({BUDGET:,} per "
        f"{WINDOW:g} s), server time per mutation, the 60 s limit, the board lock and the "
        f"bulk import's hourly budgets on; bulk processing {args.rows_per_second:g} rows/s "
        f"(assumption); {args.latency_ms:g} ms latency; clock x{args.speed:g}"
    )
    with emulator(args) as emu:
        for path in args.paths.split(","):
            show(load(emu, args, path.strip()), args)


if __name__ == "__main__":
    main()
