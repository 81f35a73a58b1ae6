"""Groups exactly once across processes (issue 8): the database first, then the board."""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterator
from pathlib import Path

import pytest

from monday_emulator import EmulatorSettings, run_in_thread
from sync_order_list.sample.generator import generate_rows
from tests.conftest import Database
from tests.sync.harness import TOKEN, Pipeline
from tests.sync.test_processes import start_sync, write_config


@pytest.fixture
def pg_pipeline(pg_database: Database) -> Iterator[Pipeline]:
    settings = EmulatorSettings(token=TOKEN, mutation_ms_mean=20.0, query_ms_mean=0.0)
    with run_in_thread(settings) as emu:
        yield Pipeline(pg_database, emu)


def _titles(pipeline: Pipeline) -> Counter[str]:
    """Titles of the board's live groups (archived and deleted ones left out)."""
    groups = pipeline.board()["groups"]
    return Counter(g["title"] for g in groups if not g.get("archived") and not g.get("deleted"))


@pytest.mark.slow
@pytest.mark.postgres
@pytest.mark.parametrize("trial", range(5))
def test_three_syncs_at_once_create_each_group_once(
    pg_pipeline: Pipeline, tmp_path: Path, trial: int
) -> None:
    pipeline = pg_pipeline
    rows = generate_rows(36, 100 + trial)
    for i, row in enumerate(rows):  # 6 groups, each needed by all three runs' slices
        row["CUSTOMER NAME"], row["CUSTOMER SEASON"] = "GREYSON", f"2026 DROP {i % 6}"
    pipeline.stage(rows)
    pipeline.merge()
    config = write_config(pipeline, tmp_path)
    procs = [start_sync(pipeline, config, tmp_path, "--limit", "12") for _ in range(3)]
    for proc in procs:
        _, err = proc.communicate(timeout=180)
        assert proc.returncode == 0, err.decode()
    titles = _titles(pipeline)
    assert all(n == 1 for n in titles.values()), titles
    assert pipeline.admin("/stats")["mutations_applied"].get("create_group") == 6
    pipeline.assert_board_matches_database()


def test_a_duplicate_group_title_on_the_board_is_repaired(pipeline: Pipeline) -> None:
    pipeline.settings(mutation_ms_mean=0.0, query_ms_mean=0.0)
    rows = generate_rows(8, 3)
    for row in rows:
        row["CUSTOMER NAME"], row["CUSTOMER SEASON"] = "RHONE", "2026 SPRING"
    pipeline.stage(rows)
    pipeline.merge()
    pipeline.sync()
    board_id = pipeline.cfg.env.items_board_id
    # someone (or an older version) made the title again and put an order's item there
    made = pipeline.api(
        'mutation ($b: ID!) { create_group(board_id: $b, group_name: "RHONE 2026 SPRING") { id } }',
        {"b": board_id},
    )
    duplicate = made["data"]["create_group"]["id"]
    order = next(iter(pipeline.orders().values()))
    pipeline.api(
        "mutation ($i: ID!, $g: String!) { move_item_to_group(item_id: $i, group_id: $g) { id } }",
        {"i": order["monday_item_id"], "g": duplicate},
    )
    assert _titles(pipeline)["RHONE 2026 SPRING"] == 2
    # a new order of that customer and season: the sync needs the group and repairs it
    extra = generate_rows(9, 3)[8]
    extra["CUSTOMER NAME"], extra["CUSTOMER SEASON"] = "RHONE", "2026 SPRING"
    pipeline.stage([*rows, extra])
    pipeline.merge()
    report = pipeline.sync()
    assert report.outcome == "success", report.tally.errors
    assert report.tally.groups_repaired == 1
    assert _titles(pipeline)["RHONE 2026 SPRING"] == 1
    everything = pipeline.board(active_only=False)
    (gone,) = [g for g in everything["groups"] if g["id"] == duplicate]
    assert gone.get("archived") is True
    pipeline.assert_board_matches_database()
