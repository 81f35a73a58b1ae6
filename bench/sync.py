"""Sync benchmark: how close the engine comes to monday's complexity budget.

    python bench/sync.py [--orders 500] [--latency-ms 150] [--scale 1.0] [--no-single]

The emulator runs in its own process with monday's costs (10,000 points per item
mutation) and a budget of 10,000,000 points per 60 s window; ``--scale 0.1`` shrinks
the budget and the window together (1,000,000 per 6 s: the same rate) and says so.
Every request gets ``--latency-ms`` of added latency. The benchmark syncs
``--orders`` generated orders with their size lines into an empty board and prints:

- wall time of the sync, and the lower bound the budget allows for the points the run
  charged (the start of the last budget window it needs; everything in a window could
  go at once), and their ratio (target: within 1.15x);
- requests per order (target on an initial load: at most 0.05);
- complexity charged per write against the mutation's own cost (overhead target < 5%);
- the same run in ``--mode single`` (one operation per request).
"""

from __future__ import annotations

import argparse
import asyncio
import json
import math
import subprocess
import sys
import tempfile
import time
import urllib.request
from pathlib import Path
from typing import Any

from sync_order_list.config import config_for
from sync_order_list.db import init_db, make_engine
from sync_order_list.merge import run_merge
from sync_order_list.sample.generator import generate
from sync_order_list.sync import SyncOptions, run_sync

CONFIG_PATH = Path(__file__).resolve().parents[1] / "configs" / "sync_order_list.toml"
TOKEN = "bench-token-0123456789"
MUTATION_COST = 10_000
BUDGET = 10_000_000
WINDOW = 60.0


class Emulator:
    """The emulator in a process of its own (it must not share our GIL)."""

    def __init__(self, budget: int, window: float, latency_ms: float) -> None:
        settings = [
            f"complexity_budget={budget}",
            f"window_seconds={window}",
            f"faults.latency_ms={latency_ms}",
        ]
        self.proc = subprocess.Popen(
            [
                sys.executable,
                "-m",
                "monday_emulator",
                "serve",
                "--port",
                "0",
                "--token",
                TOKEN,
                "--settings",
                *settings,
            ],  # fmt: skip
            stdout=subprocess.PIPE,
            text=True,
        )
        line = self.proc.stdout.readline() if self.proc.stdout else ""
        if "listening on" not in line:
            self.proc.kill()
            raise RuntimeError(f"emulator did not start: {line!r}")
        self.url = line.strip().rsplit(" ", 1)[-1]
        self.admin = self.url.rsplit("/", 1)[0] + "/admin"

    def post(self, path: str, payload: Any) -> Any:
        request = urllib.request.Request(
            self.admin + path,
            data=json.dumps(payload).encode(),
            headers={"Content-Type": "application/json"},
        )
        with urllib.request.urlopen(request, timeout=30) as response:
            return json.loads(response.read() or b"null")

    def stats(self) -> dict[str, Any]:
        with urllib.request.urlopen(self.admin + "/stats", timeout=30) as response:
            return json.loads(response.read())

    def reset(self) -> None:
        self.post("/reset", {"demo": True})
        self.post("/limits/reset", {})
        self.post("/stats/reset", {})

    def stop(self) -> None:
        self.proc.terminate()
        self.proc.wait(timeout=10)


def run_once(emu: Emulator, orders: int, mode: str, budget: int, window: float) -> dict[str, Any]:
    with tempfile.TemporaryDirectory() as tmp:
        url = f"sqlite:///{tmp}/bench.db"
        cfg = config_for(
            CONFIG_PATH,
            url,
            environ={"MONDAY_API_TOKEN": TOKEN, "MONDAY_API_URL": emu.url},
            settings_update={"rate": {"complexity_budget": budget, "window_seconds": window}},
        )
        engine = make_engine(url)
        init_db(engine, cfg, order_tables=True)
        generate(engine, cfg, orders=orders, seed=1)
        merge = run_merge(engine, cfg)
        emu.reset()
        started = time.perf_counter()
        report = asyncio.run(run_sync(engine, cfg, SyncOptions(mode=mode)))  # type: ignore[arg-type]
        wall = time.perf_counter() - started
        engine.dispose()
    stats = emu.stats()
    writes = int(stats["mutations_applied_total"])
    charged = int(stats["complexity_charged"])
    windows = max(1, math.ceil(charged / budget))
    bound = (windows - 1) * window
    total = report.tally.total()
    return {
        "mode": mode,
        "outcome": report.outcome,
        "orders": orders,
        "lines": merge.lines_upserted,
        "writes": writes,
        "requests": int(stats["requests"]),
        "charged": charged,
        "wall": wall,
        "bound": bound,
        "errors": total.errors,
        "budget_wait": report.api.get("budget_wait_seconds", 0.0),
        "rate_limited": report.api.get("rate_limited", 0),
    }


def show(r: dict[str, Any], budget: int, window: float) -> None:
    per_write = r["charged"] / max(r["writes"], 1)
    overhead = per_write / MUTATION_COST - 1
    ratio = r["wall"] / r["bound"] if r["bound"] else float("nan")
    print(f"--mode {r['mode']}: {r['outcome']}, {r['errors']} errors, {r['rate_limited']} 429s")
    print(f"  {r['orders']} orders + {r['lines']} lines -> {r['writes']:,} monday writes")
    print(
        f"  wall time            {r['wall']:8.1f} s   ({r['wall'] / r['orders']:.3f} s per order)"
    )
    print(
        f"  budget lower bound   {r['bound']:8.1f} s   ({r['charged']:,} points at "
        f"{budget:,} per {window:g} s)"
    )
    print(f"  wall / bound         {ratio:8.3f}     (target <= 1.15)")
    print(f"  waiting for budget   {r['budget_wait']:8.1f} s")
    print(
        f"  requests per order   {r['requests'] / r['orders']:8.3f}     "
        f"({r['requests']} requests; target <= 0.05 on an initial load)"
    )
    print(
        f"  points per write     {per_write:10,.0f}   (mutation's own cost {MUTATION_COST:,}: "
        f"overhead {overhead:.2%}, target < 5%)"
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--orders", type=int, default=500)
    parser.add_argument("--latency-ms", type=float, default=150.0)
    parser.add_argument(
        "--scale", type=float, default=1.0, help="shrink budget and window together"
    )
    parser.add_argument("--no-single", action="store_true", help="skip the --mode single run")
    args = parser.parse_args()
    budget, window = int(BUDGET * args.scale), WINDOW * args.scale
    print(
        f"sync benchmark: emulator with {MUTATION_COST:,} points per item mutation, "
        f"a budget of {budget:,} points per {window:g} s"
        + (f" (monday's 10,000,000 per 60 s scaled by {args.scale:g})" if args.scale != 1 else "")
        + f", {args.latency_ms:g} ms added latency per request"
    )
    emu = Emulator(budget, window, args.latency_ms)
    try:
        show(run_once(emu, args.orders, "batch", budget, window), budget, window)
        if not args.no_single:
            show(run_once(emu, args.orders, "single", budget, window), budget, window)
    finally:
        emu.stop()


if __name__ == "__main__":
    main()
