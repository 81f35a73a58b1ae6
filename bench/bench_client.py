"""Benchmark the monday client and its scheduler against the local emulator.

Two measurements:

* ``throughput`` (real time): N creates in aliased batches against an emulator with
  monday's limits and a simulated network latency; reports items per second,
  requests, complexity charged and time spent waiting.
* ``budget`` (virtual time, the emulator and the client share one clock that jumps
  only while no request is in flight): N creates against a small complexity budget
  spanning many windows; reports how much of each window's budget was spent and
  how many 429s came back (the target: none).

    .venv/bin/python bench/bench_client.py throughput --items 2000 --latency-ms 40
    .venv/bin/python bench/bench_client.py budget --items 1000 --budget 1000000
"""

from __future__ import annotations

import argparse
import asyncio
import json
import math
import time
from typing import Any

from monday_emulator import DEMO_BOARD_ID, EmulatorServer, EmulatorSettings
from monday_emulator.clock import Clock as EmulatorClock
from monday_emulator.clock import SharedClock  # the client and emulator share one clock
from sync_order_list.config.models import BatchSettings, RateSettings
from sync_order_list.monday import MondayClient, Op, column_values_json, compose

TOKEN = "bench-token"
KEY_COLUMN = "text_mkr5wya6"


def create_op(key: str) -> Op:
    return Op(
        "create_item",
        {
            "board_id": DEMO_BOARD_ID,
            "item_name": f"Order {key}",
            "column_values": column_values_json({KEY_COLUMN: key}),
        },
    )


async def run_creates(client: MondayClient, items: int, batch: BatchSettings) -> dict[str, Any]:
    queue = [f"K{i:06d}" for i in range(items)]
    sizes: list[int] = []
    failures = 0

    async def worker() -> None:
        nonlocal failures
        while queue:
            slot = await client.reserve("create_item", batch.items_per_request)
            chunk, queue[: slot.ops] = queue[: slot.ops], []
            if not chunk:
                slot.cancel()
                return
            sizes.append(len(chunk))
            doc = compose([create_op(k) for k in chunk])
            response = await client.execute(doc, idempotent=False, slot=slot)
            failures += sum(0 if response.ok(a) else 1 for a in doc.aliases)

    await asyncio.gather(*(worker() for _ in range(batch.concurrency)))
    return {"documents": len(sizes), "largest_document": max(sizes), "failed_aliases": failures}


async def throughput(args: argparse.Namespace) -> dict[str, Any]:
    settings = EmulatorSettings(
        token=TOKEN,
        items_per_board=max(10_000, args.items + 100),
        mutation_ms_mean=0,  # no server time: the client's own throughput
        query_ms_mean=0,
    )
    settings.update({"faults.latency_ms": args.latency_ms})
    batch = BatchSettings(items_per_request=args.batch, concurrency=args.concurrency)
    async with EmulatorServer(settings) as emu:
        async with MondayClient(
            emu.url, TOKEN, "2025-04", batch=batch, rate=RateSettings()
        ) as client:
            start = time.perf_counter()
            result = await run_creates(client, args.items, batch)
            elapsed = time.perf_counter() - start
            stats = client.stats.as_dict()
        emulator = emu.state.stats.to_dict()
    return {
        "mode": "throughput",
        "items": args.items,
        "batch": args.batch,
        "concurrency": args.concurrency,
        "latency_ms": args.latency_ms,
        "seconds": round(elapsed, 3),
        "items_per_second": round(args.items / elapsed, 1),
        "seconds_per_item": round(elapsed / args.items, 5),
        **result,
        "client": stats,
        "emulator_429s": emulator["rate_limited"],
    }


async def budget(args: argparse.Namespace) -> dict[str, Any]:
    clock = EmulatorClock()
    settings = EmulatorSettings(
        token=TOKEN,
        complexity_budget=args.budget,
        window_seconds=args.window,
        max_complexity_per_query=min(args.budget, 5_000_000),
        items_per_board=max(10_000, args.items + 100),
        mutation_ms_mean=0,  # no server time: the budget, not monday's pace
        query_ms_mean=0,
    )
    rate = RateSettings(
        complexity_budget=args.budget,
        window_seconds=args.window,
        max_query_complexity=min(args.budget, 5_000_000),
    )
    batch = BatchSettings(items_per_request=args.batch, concurrency=args.concurrency)
    shared = SharedClock(clock)
    async with EmulatorServer(settings, clock=clock) as emu:
        client = MondayClient(emu.url, TOKEN, "2025-04", batch=batch, rate=rate, clock=shared)
        shared.in_flight = lambda: client.scheduler.in_flight
        async with client:
            real_start, start = time.perf_counter(), clock.monotonic()
            result = await run_creates(client, args.items, batch)
            virtual, real = clock.monotonic() - start, time.perf_counter() - real_start
            stats = client.stats.as_dict()
        emulator = emu.state.stats.to_dict()
    charged = emulator["complexity_charged"]
    windows = math.floor(virtual / args.window) + 1
    ideal = math.ceil(charged / args.budget)
    return {
        "mode": "budget",
        "items": args.items,
        "budget": args.budget,
        "window_seconds": args.window,
        "virtual_seconds": round(virtual, 2),
        "real_seconds": round(real, 3),
        "complexity_charged": charged,
        "windows_used": windows,
        "windows_ideal": ideal,
        "budget_utilisation": round(charged / (windows * args.budget), 3),
        "learned_cost_per_create": client.scheduler.costs.per_op("create_item"),
        **result,
        "client": stats,
        "emulator_429s": emulator["rate_limited"],
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("mode", choices=["throughput", "budget"])
    parser.add_argument("--items", type=int, default=2_000)
    parser.add_argument("--batch", type=int, default=50)
    parser.add_argument("--concurrency", type=int, default=4)
    parser.add_argument("--latency-ms", type=float, default=40.0)
    parser.add_argument("--budget", type=int, default=1_000_000)
    parser.add_argument("--window", type=float, default=60.0)
    args = parser.parse_args()
    runner = throughput if args.mode == "throughput" else budget
    print(json.dumps(asyncio.run(runner(args)), indent=2))


if __name__ == "__main__":
    main()
