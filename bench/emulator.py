"""Benchmark the monday emulator itself: item mutations per second over real HTTP.

The emulator runs in one process, pinned to one core; the load generator runs in
another process, pinned to the other core. Latency, faults, server time and every
limit are off (budget, per-minute, mutations per minute, per-IP, concurrency and items
per board are huge or disabled), so the figure is the emulator's own cost: HTTP,
parsing, validation, pricing, execution and the JSON reply.

``--server-time-ms 400`` turns monday's server time on (each alias 400 ms on average,
on the emulator's clock, run ``--clock-speed`` times faster than wall time): the
figure is then bounded by server time, by design. All documents write to one board,
so with the board lock on (``--board-lock 423``, monday's rule) only one runs at a
time and the others get 423 (counted, not retried): use ``--concurrency 1`` for one
writer, or ``--board-lock off`` to see concurrent writers.

Each request is one aliased document of ``--batch`` ``create_item`` mutations (25 by
default) in the shape this project's client sends: one operation whose variables are
renamed per alias (``$op0_item_name`` ...), a ``complexity`` block, and a JSON
``column_values`` with a text, a dropdown, a status, a number, a date and a long text.
``--literal`` inlines the values instead, so every document text is new (no reuse of
parsed documents).

    .venv/bin/python bench/emulator.py                 # 10 s, 25 per document
    .venv/bin/python bench/emulator.py --seconds 20 --concurrency 16
    .venv/bin/python bench/emulator.py --literal       # every document text differs
    .venv/bin/python bench/emulator.py --profile /tmp/emu.prof   # cProfile the server
    .venv/bin/python bench/emulator.py --server-time-ms 400 --concurrency 1 --clock-speed 10

It prints its figures (one JSON object) and is not a test.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import multiprocessing as mp
import os
import statistics
import sys
import time
from typing import Any

import aiohttp

TOKEN = "bench-token"
BOARD_ID = "8709134353"  # the demo board
VALUES = {
    "text_mkr5wya6": None,  # the key, filled per item
    "dropdown_mkr542p2": {"labels": ["GREYSON"]},
    "color_mkr5yf27": {"label": "EACH"},
    "numeric_mktb1d19": "120",
    "date_mkr5zp5": {"date": "2025-03-14"},
    "long_text_mkr5hass": {"text": "Bench order"},
}


def _cpu_seconds(pid: int) -> float | None:
    """User + system CPU time of process ``pid`` so far (Linux ``/proc``), else None."""
    try:
        with open(f"/proc/{pid}/stat", encoding="ascii") as stat:
            fields = stat.read().rpartition(")")[2].split()
    except OSError:
        return None
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def _pin(core: int) -> int | None:
    """Pin this process to ``core`` (modulo the cores it may use); None if it can't."""
    if not hasattr(os, "sched_setaffinity"):
        return None
    allowed = sorted(os.sched_getaffinity(0))
    if len(allowed) < 2:
        return None
    chosen = allowed[core % len(allowed)]
    os.sched_setaffinity(0, {chosen})
    return chosen


# ---------------------------------------------------------------- server process


def _serve(
    port_queue: Any, stop: Any, core: int | None, profile: str | None, timing: dict[str, Any]
) -> None:
    pinned = _pin(core) if core is not None else None
    from monday_emulator import EmulatorServer, EmulatorSettings

    settings = EmulatorSettings(
        token=TOKEN,
        # the Complexity fields are GraphQL Int (32-bit): the largest budget they can report
        complexity_budget=2**31 - 1,
        max_complexity_per_query=2**31 - 1,
        requests_per_minute=None,
        max_concurrency=None,
        ip_requests_per_10s=None,
        daily_limit=None,
        items_per_board=10**9,
        mutations_per_minute=None,
        mutation_ms_mean=timing["server_time_ms"],
        query_ms_mean=0,
        clock_speed=timing["clock_speed"],
        board_lock=timing["board_lock"],
    )

    async def main() -> None:
        async with EmulatorServer(settings) as srv:
            port_queue.put({"port": srv.port, "core": pinned})
            while not stop.is_set():
                await asyncio.sleep(0.05)
            state = srv.state
            assert state is not None
            port_queue.put(
                {
                    "items_created": sum(1 for i in state.store.items.values()),
                    "errors": dict(state.stats.errors),
                    "server_time": state.stats.to_dict()["server_time"],
                    "board_lock": state.stats.to_dict()["board_lock"],
                }
            )

    if profile:
        import cProfile

        profiler = cProfile.Profile()
        profiler.enable()
        asyncio.run(main())
        profiler.disable()
        profiler.dump_stats(profile)
    else:
        asyncio.run(main())


# ---------------------------------------------------------------- documents


def variables_document(batch: int) -> str:
    defs = []
    fields = []
    for i in range(batch):
        a = f"op{i}"
        defs.append(
            f"${a}_board_id: ID!, ${a}_group_id: String, ${a}_item_name: String!, "
            f"${a}_column_values: JSON, ${a}_create_labels_if_missing: Boolean"
        )
        fields.append(
            f"{a}: create_item(board_id: ${a}_board_id, group_id: ${a}_group_id, "
            f"item_name: ${a}_item_name, column_values: ${a}_column_values, "
            f"create_labels_if_missing: ${a}_create_labels_if_missing) {{ id name }}"
        )
    fields.append("complexity { before query after reset_in_x_seconds }")
    return f"mutation batch_create_item({', '.join(defs)}) {{ {' '.join(fields)} }}"


def _values(key: str) -> str:
    return json.dumps({**VALUES, "text_mkr5wya6": key})


def variables_payload(query: str, batch: int, first: int) -> dict[str, Any]:
    variables: dict[str, Any] = {}
    for i in range(batch):
        key = f"K{first + i:08d}"
        variables.update(
            {
                f"op{i}_board_id": BOARD_ID,
                f"op{i}_group_id": "topics",
                f"op{i}_item_name": f"Order {key}",
                f"op{i}_column_values": _values(key),
                f"op{i}_create_labels_if_missing": False,
            }
        )
    return {"query": query, "variables": variables}


def literal_payload(batch: int, first: int) -> dict[str, Any]:
    fields = []
    for i in range(batch):
        key = f"K{first + i:08d}"
        fields.append(
            f'op{i}: create_item(board_id: {BOARD_ID}, group_id: "topics", '
            f"item_name: {json.dumps('Order ' + key)}, "
            f"column_values: {json.dumps(_values(key))}) {{ id name }}"
        )
    fields.append("complexity { before query after reset_in_x_seconds }")
    return {"query": f"mutation {{ {' '.join(fields)} }}"}


# ---------------------------------------------------------------- load generator


async def _load(url: str, args: argparse.Namespace, server_pid: int) -> dict[str, Any]:
    query = variables_document(args.batch)
    counter = 0
    created = 0
    failed = 0
    refused: dict[int, int] = {}
    latencies: list[float] = []
    headers = {"Authorization": TOKEN, "API-Version": "2025-04", "Content-Type": "application/json"}
    connector = aiohttp.TCPConnector(limit=args.concurrency)

    def payload() -> bytes:
        nonlocal counter
        first = counter
        counter += args.batch
        body = (
            literal_payload(args.batch, first)
            if args.literal
            else variables_payload(query, args.batch, first)
        )
        return json.dumps(body).encode()

    # Bodies are encoded before the clock starts, so the load generator spends its
    # time sending and reading, not building JSON; they are used in turn. In
    # --literal mode there are more of them than the emulator's document cache holds
    # (256), so no document text is ever seen twice while it is still cached.
    count = max(args.bodies, 300) if args.literal else args.bodies
    bodies = [payload() for _ in range(count)]
    next_body = 0

    def take() -> bytes:
        nonlocal next_body
        body = bodies[next_body % len(bodies)]
        next_body += 1
        return body

    async with aiohttp.ClientSession(connector=connector) as session:

        async def one(body: bytes) -> dict[str, Any]:
            async with session.post(url, data=body, headers=headers) as resp:
                if resp.status in (423, 429, 504):  # the writers' rules: counted
                    refused[resp.status] = refused.get(resp.status, 0) + 1
                    return {}
                if resp.status != 200:
                    raise RuntimeError(f"HTTP {resp.status}: {(await resp.text())[:300]}")
                return await resp.json()

        # warm-up (not counted)
        warm_until = time.perf_counter() + args.warmup
        while time.perf_counter() < warm_until:
            await one(take())

        deadline = time.perf_counter() + args.seconds

        async def worker() -> None:
            nonlocal created, failed
            while time.perf_counter() < deadline:
                body = take()
                start = time.perf_counter()
                reply = await one(body)
                latencies.append(time.perf_counter() - start)
                data = reply.get("data") or {}
                ok = sum(1 for i in range(args.batch) if data.get(f"op{i}"))
                created += ok
                failed += args.batch - ok if data else 0

        cpu_before = _cpu_seconds(server_pid)
        own_before = time.process_time()
        start = time.perf_counter()
        await asyncio.gather(*(worker() for _ in range(args.concurrency)))
        elapsed = time.perf_counter() - start
        cpu_after = _cpu_seconds(server_pid)
        own_cpu = time.process_time() - own_before

    latencies.sort()
    server_cpu = (
        cpu_after - cpu_before if cpu_before is not None and cpu_after is not None else None
    )
    return {
        "seconds": round(elapsed, 3),
        "requests": len(latencies),
        "item_mutations": created,
        "failed_item_mutations": failed,
        "refused_documents_by_status": refused,
        "item_mutations_per_second": round(created / elapsed, 1),
        "server_cpu_seconds": round(server_cpu, 3) if server_cpu is not None else None,
        "server_cpu_share": round(server_cpu / elapsed, 3) if server_cpu else None,
        "load_generator_cpu_share": round(own_cpu / elapsed, 3),
        # throughput per second of the server's own core time: the figure that does not
        # depend on what else this machine is running
        "item_mutations_per_server_cpu_second": (
            round(created / server_cpu, 1) if server_cpu else None
        ),
        "requests_per_second": round(len(latencies) / elapsed, 1),
        "latency_ms": {
            "mean": round(statistics.fmean(latencies) * 1000, 2) if latencies else None,
            "p50": round(latencies[len(latencies) // 2] * 1000, 2) if latencies else None,
            "p95": round(latencies[int(len(latencies) * 0.95)] * 1000, 2) if latencies else None,
        },
    }


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seconds", type=float, default=10.0, help="measured duration")
    parser.add_argument("--warmup", type=float, default=1.0, help="unmeasured warm-up seconds")
    parser.add_argument("--batch", type=int, default=25, help="create_item aliases per document")
    parser.add_argument("--concurrency", type=int, default=8, help="requests in flight")
    parser.add_argument("--literal", action="store_true", help="inline values (no variables)")
    parser.add_argument(
        "--bodies", type=int, default=400, help="distinct request bodies built in advance"
    )
    parser.add_argument("--no-pin", action="store_true", help="don't pin the processes to cores")
    parser.add_argument("--profile", metavar="FILE", help="cProfile the server into FILE")
    parser.add_argument(
        "--server-time-ms", type=float, default=0.0, help="mean server time per alias (0: none)"
    )
    parser.add_argument("--clock-speed", type=float, default=1.0, help="emulated s per wall s")
    parser.add_argument(
        "--board-lock", default="423", choices=["423", "off", "corrupt"], help="board_lock"
    )
    args = parser.parse_args(argv)
    timing = {
        "server_time_ms": args.server_time_ms,
        "clock_speed": args.clock_speed,
        "board_lock": args.board_lock,
    }

    ctx = mp.get_context("spawn")
    port_queue = ctx.Queue()
    stop = ctx.Event()
    server = ctx.Process(
        target=_serve,
        args=(port_queue, stop, None if args.no_pin else 0, args.profile, timing),
        daemon=True,
    )
    server.start()
    try:
        started = port_queue.get(timeout=30)
        client_core = None if args.no_pin else _pin(1)
        url = f"http://127.0.0.1:{started['port']}/v2"
        assert server.pid is not None
        result = asyncio.run(_load(url, args, server.pid))
    finally:
        stop.set()
    server_report = port_queue.get(timeout=30)
    server.join(timeout=30)
    affinity = sorted(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else None
    report = {
        "benchmark": "emulator item mutations over HTTP",
        "batch": args.batch,
        "concurrency": args.concurrency,
        "documents": "literal values" if args.literal else "variables (same text each time)",
        "server_time": timing,
        "cores": {
            "available": os.cpu_count(),
            "server_pinned_to": started["core"],  # None: not pinned
            "load_generator_pinned_to": client_core,
            "load_generator_affinity": affinity,
        },
        **result,
        "server": server_report,
        "python": sys.version.split()[0],
    }
    print(json.dumps(report, indent=2))
    return 0


if __name__ == "__main__":
    sys.exit(main())
