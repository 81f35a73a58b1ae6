"""Merge benchmark: first load, unchanged re-merge, 1%-changed re-merge.

    python bench/merge.py --orders 100000 [--backend sqlite|postgresql|both]

Prints orders per second for each merge and the process's peak memory (RSS). The
staging load is generated and written in chunks and is not part of the timings.
Targets (issue 2, 2-core machine): first load >= 2,000 orders/s, unchanged re-merge
>= 10,000 orders/s, peak memory < 500 MB.
"""

from __future__ import annotations

import argparse
import os
import resource
import tempfile
import time
import uuid
from pathlib import Path

from sqlalchemy import bindparam, create_engine, text

from sync_order_list.config import config_for
from sync_order_list.db import init_db, make_engine
from sync_order_list.merge import run_merge
from sync_order_list.sample.generator import iter_rows, order_key, write_staging

CONFIG_PATH = Path(__file__).resolve().parents[1] / "configs" / "sync_order_list.toml"
PG_ADMIN = os.environ.get("BENCH_PG_URL", "postgresql+psycopg://postgres@127.0.0.1:5432/test")


def peak_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def bench(url: str, orders: int, schema: str | None) -> list[tuple[str, float, float]]:
    cfg = config_for(CONFIG_PATH, url, schema=schema)
    engine = make_engine(url)
    init_db(engine, cfg, order_tables=True)
    t0 = time.perf_counter()
    write_staging(engine, cfg, iter_rows(orders, 1))
    print(f"  staging load of {orders:,} orders: {time.perf_counter() - t0:.1f} s (not timed)")
    results = []

    def timed(label: str) -> None:
        start = time.perf_counter()
        result = run_merge(engine, cfg)
        seconds = time.perf_counter() - start
        rate = orders / seconds
        results.append((label, seconds, rate))
        print(
            f"  {label:<22} {seconds:7.2f} s  {rate:9,.0f} orders/s  "
            f"(+{result.inserted:,} ~{result.updated:,} lines {result.lines_upserted:,})  "
            f"peak RSS {peak_mb():.0f} MB"
        )

    timed("first load")
    timed("unchanged re-merge")
    changed = [order_key(i) for i in range(0, orders, 100)]
    staging = cfg.env.source_table
    table = f'"{schema}"."{staging}"' if schema else f'"{staging}"'
    with engine.begin() as conn:
        stmt = text(
            f'UPDATE {table} SET "NOTES" = :note WHERE "AAG ORDER NUMBER" IN :keys'  # noqa: S608
        ).bindparams(bindparam("keys", expanding=True))
        for start in range(0, len(changed), 500):
            conn.execute(stmt, {"note": "benchmark change", "keys": changed[start : start + 500]})
    timed("1% changed re-merge")
    engine.dispose()
    return results


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--orders", type=int, default=100_000)
    parser.add_argument("--backend", choices=["sqlite", "postgresql", "both"], default="both")
    args = parser.parse_args()
    print(f"merge benchmark: {args.orders:,} orders, 245 size columns, {os.cpu_count()} cores")
    if args.backend in ("sqlite", "both"):
        with tempfile.TemporaryDirectory() as tmp:
            print("SQLite (file)")
            bench(f"sqlite:///{tmp}/bench.db", args.orders, None)
    if args.backend in ("postgresql", "both"):
        schema = f"bench_{uuid.uuid4().hex[:8]}"
        admin = create_engine(PG_ADMIN, isolation_level="AUTOCOMMIT")
        with admin.connect() as conn:
            conn.execute(text(f'CREATE SCHEMA "{schema}"'))
        try:
            print(f"PostgreSQL ({PG_ADMIN.split('@')[-1]}, schema {schema})")
            bench(PG_ADMIN, args.orders, schema)
        finally:
            with admin.connect() as conn:
                conn.execute(text(f'DROP SCHEMA "{schema}" CASCADE'))
            admin.dispose()
    print(f"peak memory of this process: {peak_mb():.0f} MB")


if __name__ == "__main__":
    main()
