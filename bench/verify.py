"""What ``verify`` costs on a full board: requests, complexity points, seconds.

    python bench/verify.py [--orders 10000] [--latency-ms 0] [--drift 100] [--db URL]

The emulator runs in its own process. The board is filled quickly by a sync with an
unlimited budget (and an items limit raised for the subitems board, which holds about
38,000 subitems); then the budget goes back to monday's (10,000,000 points per 60 s)
and verify reads the whole board, twice:

1. the board as the sync left it (no difference);
2. after ``--drift`` items were deleted through the API, with ``--repair`` (one
   ``items_state`` lookup per 100 ids the database points at, and the repair's
   database work).

Prints, for each: requests, complexity points charged, seconds, pages, items and
subitems read, differences found.

``--db``: a PostgreSQL URL (the tables go into a schema of their own, dropped at the
end); default a SQLite file in a temporary directory. Filling 10,000 orders through a
sync on SQLite is slow (the sync's claim grows with the square of the rows there), so
the figures in the docs come from PostgreSQL; verify itself reads the same either way.
"""

from __future__ import annotations

import argparse
import asyncio
import dataclasses
import json
import os
import subprocess
import sys
import tempfile
import time
import urllib.request
from pathlib import Path
from typing import Any

from pydantic import SecretStr
from sqlalchemy import column, select, table, text

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "src"))

from sync_order_list.config import AppConfig, load_config  # noqa: E402
from sync_order_list.db import init_db, make_engine  # noqa: E402
from sync_order_list.merge import run_merge  # noqa: E402
from sync_order_list.sample.generator import generate  # noqa: E402
from sync_order_list.sync import SyncOptions, run_sync  # noqa: E402
from sync_order_list.verify import VerifyOptions, VerifyReport, run_verify  # noqa: E402

REPO = Path(__file__).resolve().parents[1]
TOKEN = "bench-verify-token-0123456789"
BUDGET = 10_000_000
WINDOW = 60.0
UNLIMITED = 2_000_000_000  # GraphQL Int: the largest budget the API can report


class Emulator:
    """The emulator in a process of its own (it must not share our GIL)."""

    def __init__(self, latency_ms: float) -> None:
        settings = [
            f"complexity_budget={UNLIMITED}",
            f"max_complexity_per_query={UNLIMITED}",
            "items_per_board=1000000",
            "requests_per_minute=null",
            f"faults.latency_ms={latency_ms}",
        ]
        self.proc = subprocess.Popen(
            [sys.executable, "-m", "monday_emulator", "serve", "--port", "0", "--token", TOKEN,
             "--settings", *settings],
            stdout=subprocess.PIPE,
            text=True,
        )  # fmt: skip
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
            method="POST",
        )
        with urllib.request.urlopen(request, timeout=30) as response:
            return json.loads(response.read() or b"null")

    def api(self, query: str, variables: dict[str, Any]) -> Any:
        request = urllib.request.Request(
            self.url,
            data=json.dumps({"query": query, "variables": variables}).encode(),
            headers={"Authorization": TOKEN, "Content-Type": "application/json"},
        )
        with urllib.request.urlopen(request, timeout=60) as response:
            return json.loads(response.read())

    def monday_budget(self) -> None:
        """monday's limits from now on, in fresh windows."""
        self.post(
            "/settings",
            {"complexity_budget": BUDGET, "max_complexity_per_query": 5_000_000,
             "window_seconds": WINDOW},
        )  # fmt: skip
        self.post("/limits/reset", {})

    def stop(self) -> None:
        self.proc.terminate()
        self.proc.wait(timeout=10)


def config(db_url: str, emu: Emulator, *, unlimited: bool, schema: str | None = None) -> AppConfig:
    cfg = load_config(REPO / "configs" / "sync_order_list.toml", database_url=db_url, environ={})
    env = cfg.env.model_copy(update={"db_schema": schema})
    settings = cfg.settings.model_copy(
        update={"environments": {**cfg.settings.environments, cfg.env_name: env}}
    )
    if unlimited:
        rate = settings.rate.model_copy(
            update={
                "complexity_budget": UNLIMITED,
                "max_query_complexity": UNLIMITED,
                "requests_per_minute": 1_000_000,
            }
        )
        batch = settings.batch.model_copy(update={"items_per_request": 200, "concurrency": 2})
        settings = settings.model_copy(update={"rate": rate, "batch": batch})
    return dataclasses.replace(
        cfg, env=env, settings=settings, api_url=emu.url, token=SecretStr(TOKEN)
    )


def fill(emu: Emulator, db_url: str, orders: int, schema: str | None) -> None:
    cfg = config(db_url, emu, unlimited=True, schema=schema)
    engine = make_engine(db_url)
    t0 = time.perf_counter()
    init_db(engine, cfg, order_tables=True)
    generate(engine, cfg, orders=orders, seed=1)
    merge = run_merge(engine, cfg)
    print(f"database: {merge.inserted:,} orders, {merge.lines_upserted:,} lines "
          f"({time.perf_counter() - t0:.1f} s)")  # fmt: skip
    t0 = time.perf_counter()
    report = asyncio.run(run_sync(engine, cfg, SyncOptions(), lookup_delay=0.0))
    total = report.tally.total()
    print(
        f"board filled by a sync: {total.created:,} items, {total.subitems_created:,} subitems, "
        f"outcome {report.outcome} ({time.perf_counter() - t0:.1f} s)"
    )
    engine.dispose()


def verify(
    emu: Emulator, db_url: str, schema: str | None, *, repair: bool
) -> tuple[VerifyReport, float]:
    cfg = config(db_url, emu, unlimited=False, schema=schema)
    engine = make_engine(db_url)
    t0 = time.perf_counter()
    report = asyncio.run(run_verify(engine, cfg, VerifyOptions(repair=repair)))
    seconds = time.perf_counter() - t0
    engine.dispose()
    return report, seconds


def show(label: str, report: VerifyReport, seconds: float) -> dict[str, Any]:
    data = report.as_dict()
    api, checked = data["api"], data["checked"]
    row = {
        "case": label,
        "requests": api["requests"],
        "complexity": api["complexity_charged"],
        "seconds": round(seconds, 1),
        "budget_wait_seconds": round(api["budget_wait_seconds"], 1),
        "pages": checked["pages"],
        "items": checked["items"],
        "subitems": checked["subitems"],
        "found": data["found"],
        "phases": data["phases"],
    }
    print(
        f"{label}: {row['requests']} requests, {row['complexity']:,} complexity points, "
        f"{row['seconds']} s ({row['budget_wait_seconds']} s waiting for the budget); "
        f"{row['pages']} pages, {row['items']:,} items, {row['subitems']:,} subitems; "
        f"found {row['found'] or 'nothing'}; phases {row['phases']}"
    )
    return row


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--orders", type=int, default=10_000)
    parser.add_argument("--latency-ms", type=float, default=0.0)
    parser.add_argument("--drift", type=int, default=100, help="items deleted for case 2")
    parser.add_argument("--db", help="PostgreSQL URL (default: a SQLite file)")
    args = parser.parse_args()
    emu = Emulator(args.latency_ms)
    try:
        with tempfile.TemporaryDirectory() as tmp:
            db_url = args.db or f"sqlite:///{Path(tmp) / 'orders.db'}"
            schema = create_schema(db_url) if args.db else None
            try:
                rows = measure(emu, db_url, schema, args.orders, args.drift)
            finally:
                if schema:
                    drop_schema(db_url, schema)
            print(json.dumps(rows, indent=2))
    finally:
        emu.stop()


def measure(
    emu: Emulator, db_url: str, schema: str | None, orders: int, drift: int
) -> list[dict[str, Any]]:
    fill(emu, db_url, orders, schema)
    emu.monday_budget()
    rows = [show("clean board", *verify(emu, db_url, schema, repair=False))]
    cfg = config(db_url, emu, unlimited=False, schema=schema)
    engine = make_engine(db_url)
    orders_table = table(
        cfg.env.target_table, column("monday_item_id"), column("AAG ORDER NUMBER"), schema=schema
    )
    with engine.connect() as conn:
        query = (
            select(orders_table.c.monday_item_id)
            .order_by(orders_table.c["AAG ORDER NUMBER"])
            .limit(drift)
        )
        ids = [r[0] for r in conn.execute(query)]
    engine.dispose()
    for item_id in ids:
        emu.api("mutation($i: ID!) { delete_item(item_id: $i) { id } }", {"i": item_id})
    emu.post("/limits/reset", {})
    label = f"{len(ids)} items deleted, --repair"
    rows.append(show(label, *verify(emu, db_url, schema, repair=True)))
    return rows


def create_schema(db_url: str) -> str:
    schema = f"bench_verify_{os.getpid()}"
    engine = make_engine(db_url)
    with engine.begin() as conn:
        conn.execute(text(f'CREATE SCHEMA "{schema}"'))
    engine.dispose()
    return schema


def drop_schema(db_url: str, schema: str) -> None:
    engine = make_engine(db_url)
    with engine.begin() as conn:
        conn.execute(text(f'DROP SCHEMA "{schema}" CASCADE'))
    engine.dispose()


if __name__ == "__main__":
    main()
