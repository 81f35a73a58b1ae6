"""Recovery benchmark: a real sync killed (SIGKILL) at random write counts, then finished.

    python bench/recovery.py [--orders 150] [--kills 20] [--seed 1] [--latency-ms 20]

The emulator runs in its own process; each sync is a real ``sync-order-list sync``
process on a SQLite file. A sync is killed once the emulator has executed the next of
``--kills`` random write counts, and the next one is started at once; after the last
kill a sync runs to the end. It prints:

- mutations needed (what one clean run makes monday execute: groups, items, subitems),
  mutations sent (what monday executed over all the runs, replays under an
  Idempotency-Key excluded, as they execute nothing) and their ratio (target <= 1.05);
- documents replayed and rows looked up by the runs that followed a kill;
- duplicates and missing items on the board (target: 0 and 0);
- seconds from each kill until the next run had taken the dead run's rows over.
"""

from __future__ import annotations

import argparse
import statistics
import tempfile
import time
from pathlib import Path

from sqlalchemy import select

from _support import TOKEN, Emulator, cli_config, items_by_key
from sync_order_list.chaos import (
    SyncTarget,
    emulator_stats,
    executed_mutations,
    finish,
    kill_at,
    kill_points,
    spawn_sync,
)
from sync_order_list.config import config_for
from sync_order_list.db import init_db, make_engine
from sync_order_list.merge import run_merge
from sync_order_list.report.runs import runs_table
from sync_order_list.sample.generator import generate


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--orders", type=int, default=150)
    parser.add_argument("--kills", type=int, default=20)
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--latency-ms", type=float, default=20.0)
    args = parser.parse_args()

    with (
        tempfile.TemporaryDirectory() as tmp_name,
        Emulator([f"faults.latency_ms={args.latency_ms}"]) as emu,
    ):
        tmp = Path(tmp_name)
        url = f"sqlite:///{tmp}/recovery.db"
        config = cli_config(
            tmp,
            {
                "items_per_request = 100 ": "items_per_request = 10 ",
                "subitems_per_request = 200": "subitems_per_request = 20",
                "heartbeat_seconds = 10 ": "heartbeat_seconds = 1 ",
            },
        )
        cfg = config_for(config, url, environ={"MONDAY_API_TOKEN": TOKEN})
        engine = make_engine(url)
        init_db(engine, cfg, order_tables=True)
        generate(engine, cfg, orders=args.orders, seed=args.seed)
        merge = run_merge(engine, cfg)
        groups = _distinct_groups(engine, cfg)
        needed = groups + merge.inserted + merge.lines_upserted
        emu.reset()
        target = SyncTarget(config, url, emu.url, TOKEN, tmp)
        points = kill_points(needed, args.kills, args.seed)
        takeovers: list[float] = []
        kills = 0
        started = time.perf_counter()
        proc = spawn_sync(target)
        for point in points:
            if not kill_at(
                proc, lambda p=point: executed_mutations(emulator_stats(emu.admin)) >= p
            ):
                proc = spawn_sync(target)  # it finished before this point: nothing to kill
                break
            kills += 1
            killed_at = time.perf_counter()
            proc = spawn_sync(target)  # at once: no claim to wait out
            takeovers.append(_taken_over(engine, cfg, kills, killed_at))
        code, _out, err = finish(proc)
        wall = time.perf_counter() - started
        stats = emu.stats()
        sent = executed_mutations(stats)
        board = emu.get(f"/boards/{cfg.env.items_board_id}?state=active")
        by_key = items_by_key(board, cfg.settings.monday.business_key_column)
        keys = _order_keys(engine, cfg)
        duplicates = sum(len(v) - 1 for v in by_key.values() if len(v) > 1)
        missing = len([k for k in keys if k not in by_key])
        engine.dispose()

    idem = stats.get("idempotency", {})
    print(f"recovery benchmark: {args.orders} orders, {kills} kills (SIGKILL), seed {args.seed}")
    print(f"  last run exit code   {code}" + (f"  ({err.strip()[-200:]})" if code else ""))
    print(f"  mutations needed     {needed:8,}   ({groups} groups, {merge.inserted} items, "
          f"{merge.lines_upserted} subitems)")  # fmt: skip
    print(f"  mutations sent       {sent:8,}   (executed by monday; replays excluded)")
    print(f"  sent / needed        {sent / needed:8.3f}   (target <= 1.05)")
    print(f"  replayed documents   {idem.get('replays', idem.get('replayed', 'n/a'))!s:>8}")
    print(f"  duplicates           {duplicates:8}   (target 0)")
    print(f"  missing              {missing:8}   (target 0)")
    if takeovers:
        print(
            f"  takeover after kill  {statistics.median(takeovers):8.2f} s median, "
            f"{max(takeovers):.2f} s max (until the next run had marked the killed one "
            "abandoned and claimed its rows)"
        )
    print(f"  wall time            {wall:8.1f} s")


def _taken_over(engine, cfg, kills: int, killed_at: float) -> float:  # type: ignore[no-untyped-def]
    """Seconds from a kill until the next run (started at once) has marked the killed
    one abandoned, which releases its rows to the claim that follows."""
    from sqlalchemy import func

    runs = runs_table(engine, cfg)
    deadline = time.perf_counter() + 120
    while time.perf_counter() < deadline:
        with engine.connect() as conn:
            abandoned = conn.execute(
                select(func.count()).select_from(runs).where(runs.c.outcome == "abandoned")
            ).scalar()
        if (abandoned or 0) >= kills:
            return time.perf_counter() - killed_at
        time.sleep(0.02)
    return float("nan")


def _distinct_groups(engine, cfg) -> int:  # type: ignore[no-untyped-def]
    from sqlalchemy import MetaData, Table, func

    table = Table(cfg.env.target_table, MetaData(), autoload_with=engine)
    with engine.connect() as conn:
        return int(conn.execute(select(func.count(func.distinct(table.c.group_name)))).scalar())


def _order_keys(engine, cfg) -> list[str]:  # type: ignore[no-untyped-def]
    from sqlalchemy import MetaData, Table

    table = Table(cfg.env.target_table, MetaData(), autoload_with=engine)
    key = table.c[cfg.settings.merge.business_key]
    with engine.connect() as conn:
        return [str(k) for (k,) in conn.execute(select(key).where(table.c.action_type != "DELETE"))]


if __name__ == "__main__":
    main()
