"""A real sync killed (SIGKILL) at 20 random write counts, then finished (issue 8).

Target: the mutations monday executed over all the runs are at most 1.05 x the
mutations one clean run needs (replays under an Idempotency-Key execute nothing),
with 0 duplicates and 0 missing. ``bench/recovery.py`` prints the same figures for a
larger load.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from sync_order_list.chaos import (
    SyncTarget,
    emulator_stats,
    executed_mutations,
    finish,
    kill_at,
    kill_points,
    spawn_sync,
)
from tests.sync.harness import TOKEN, Pipeline
from tests.sync.test_processes import write_config

ORDERS = 40
KILLS = 20


@pytest.mark.slow
def test_twenty_kills_cost_at_most_five_percent_extra_writes(
    pipeline: Pipeline, tmp_path: Path
) -> None:
    pipeline.settings(mutation_ms_mean=0.0, query_ms_mean=0.0)
    pipeline.faults(latency_ms=15)  # documents are out long enough to be killed in flight
    pipeline.generate(ORDERS, seed=4)
    merge = pipeline.merge()
    groups = len({o["group_name"] for o in pipeline.orders().values()})
    needed = groups + merge.inserted + merge.lines_upserted
    config = write_config(pipeline, tmp_path)
    target = SyncTarget(config, pipeline.cfg.database_url, pipeline.emu.url, TOKEN, tmp_path)
    admin = pipeline.emu.admin_url
    kills = 0
    proc = spawn_sync(target)
    for point in kill_points(needed, KILLS, seed=4):
        if not kill_at(proc, lambda p=point: executed_mutations(emulator_stats(admin)) >= p):
            proc = spawn_sync(target)
            break
        kills += 1
        proc = spawn_sync(target)  # at once: the dead run's rows are taken over
    code, _, err = finish(proc)
    assert code == 0, err
    assert kills >= KILLS - 2, f"only {kills} kills landed before the sync finished"
    sent = executed_mutations(pipeline.admin("/stats"))
    assert sent <= 1.05 * needed, (sent, needed)
    pipeline.faults()
    pipeline.assert_board_matches_database()  # 0 duplicates, 0 missing
