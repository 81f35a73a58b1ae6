"""Issue 8: padded and case-variant business keys, with responses lost after monday
applied them, make no duplicate items.

Staging holds keys with spaces, a newline and a pair that differs only by case. The
emulator runs over HTTP and drops the response of most requests after applying them.
The pair is rejected at merge, naming both raw keys; every other order becomes
exactly one item whose key column holds exactly the canonical key.
"""

from __future__ import annotations

import json
import os
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner
from sqlalchemy import text

from sync_order_list.cli import cli
from sync_order_list.sample.generator import generate_rows
from tests.conftest import CONFIG_PATH
from tests.sync.harness import TOKEN, Pipeline

KEY = "AAG ORDER NUMBER"
TRICKY = {
    "  X-PAD  ": "X-PAD",
    "X-TRAIL ": "X-TRAIL",
    "X-CASEKEY": None,  # collides with the next one: both rejected
    "x-casekey": None,
    "K\nNL": "K NL",
    "\tm-tab\u00a0": "M-TAB",
}
NORMAL = 7
COLLISION = "business key collides after normalising: 'X-CASEKEY', 'x-casekey'"


def staged_rows() -> list[dict[str, Any]]:
    rows = generate_rows(NORMAL + len(TRICKY), 3)
    for row, raw in zip(rows[NORMAL:], TRICKY, strict=True):
        row[KEY] = raw
    return rows


def expected_keys(rows: list[dict[str, Any]]) -> set[str]:
    keys = {r[KEY] for r in rows[:NORMAL]}
    return keys | {canonical for canonical in TRICKY.values() if canonical}


def faulty(pipeline: Pipeline) -> None:
    pipeline.configure(
        batch={
            "items_per_request": 3,
            "subitems_per_request": 6,
            "timeout_seconds": 2.0,
            "backoff_base_seconds": 0.01,
            "backoff_max_seconds": 0.05,
            "max_retries": 12,
        },
        sync={"max_error_retries": 20},
    )


def assert_one_item_per_key_holding_the_canonical_key(pipeline: Pipeline, want: set[str]) -> None:
    pipeline.faults()  # off, so the comparison reads cleanly
    items = pipeline.board_items_by_key()
    duplicates = {k: len(v) for k, v in items.items() if len(v) > 1}
    assert not duplicates, f"duplicate items: {duplicates}"
    assert set(items) == want  # the key column holds exactly the canonical key
    every = pipeline.board(active_only=False)["items"]
    assert len(every) == len(want)  # nothing archived or deleted along the way either
    pipeline.assert_board_matches_database()
    assert set(pipeline.orders()) == want


@pytest.mark.slow
@pytest.mark.parametrize("seed", [11, 12, 13])
def test_tricky_keys_with_lost_responses_make_no_duplicates(pipeline: Pipeline, seed: int) -> None:
    rows = staged_rows()
    pipeline.stage(rows)
    faulty(pipeline)
    merge = pipeline.merge()
    (reject,) = merge.rejected
    assert (reject.key, reject.reason, reject.count) == ("X-CASEKEY", COLLISION, 2)
    assert merge.rejected_rows == 2 and merge.inserted == len(expected_keys(rows))

    pipeline.faults(seed=seed, drop_after_apply_rate=0.6)
    for _ in range(8):  # bounded: rows a run leaves in ERROR are taken by the next
        report = pipeline.sync()
        assert report.outcome != "failed", report.message
        states = {o["sync_state"] for o in pipeline.orders().values()}
        if states == {"SYNCED"}:
            break
    dropped = pipeline.admin("/stats")["faults_injected"].get("drop_after_apply", 0)
    assert dropped >= 5, dropped  # the faults did happen
    assert_one_item_per_key_holding_the_canonical_key(pipeline, expected_keys(rows))


def write_config(pipeline: Pipeline, tmp: Path) -> Path:
    """The shipped config for this database, with small batches and many retries."""
    source = CONFIG_PATH.read_text(encoding="utf-8")
    schema = pipeline.cfg.env.db_schema
    if schema:
        source = source.replace(
            "[environments.development]\n", f'[environments.development]\nschema = "{schema}"\n', 1
        )
    for old, new in (
        ("items_per_request = 100 ", "items_per_request = 3 "),
        ("subitems_per_request = 200", "subitems_per_request = 6"),
        ("max_retries = 5", "max_retries = 12"),
        ("backoff_base_seconds = 0.5", "backoff_base_seconds = 0.01"),
        ("backoff_max_seconds = 30", "backoff_max_seconds = 0.05"),
        ("max_error_retries = 3 ", "max_error_retries = 20 "),
    ):
        assert old in source, old
        source = source.replace(old, new, 1)
    path = tmp / "sync.toml"
    path.write_text(source, encoding="utf-8")
    return path


@pytest.mark.slow
def test_sync_command_exits_1_for_the_rejected_keys(pipeline: Pipeline, tmp_path: Path) -> None:
    """`sync-order-list sync` as users run it: lost responses at 50%, re-run until the
    board is complete; the run that synced everything still exits 1, because the two
    colliding staging rows were not merged, and says which keys."""
    rows = staged_rows()
    pipeline.stage(rows)
    config = write_config(pipeline, tmp_path)
    env = {k: v for k, v in os.environ.items() if not k.startswith(("SYNC_ORDER_LIST", "MONDAY_"))}
    env.update(
        {
            "SYNC_ORDER_LIST_DB_URL": pipeline.cfg.database_url,
            "MONDAY_API_URL": pipeline.emu.url,
            "MONDAY_API_TOKEN": TOKEN,
        }
    )
    pipeline.faults(seed=5, drop_after_apply_rate=0.5)
    runner = CliRunner()
    for _ in range(6):
        result = runner.invoke(
            cli, ["sync", "--config", str(config), "--json"], env=env, catch_exceptions=False
        )
        assert result.exit_code == 1, result.output
        out = json.loads(result.stdout)
        rejected = out["merge"]["rejected"]
        assert [(r["key"], r["reason"], r["count"]) for r in rejected] == [
            ("X-CASEKEY", COLLISION, 2)
        ]
        assert out["merge"]["rejected_rows"] == 2
        if not out["errors"]:
            break
    assert out["outcome"] == "success" and not out["errors"]  # exit 1: the rejects alone
    assert TOKEN not in result.output
    with pipeline.engine.connect() as conn:
        staged = conn.execute(text(f"SELECT COUNT(*) FROM {qualified(pipeline)}")).scalar()
    assert staged == len(rows)  # the rejected rows wait in staging
    assert_one_item_per_key_holding_the_canonical_key(pipeline, expected_keys(rows))


def qualified(pipeline: Pipeline) -> str:
    schema = pipeline.cfg.env.db_schema
    table = f'"{pipeline.cfg.env.source_table}"'
    return f'"{schema}".{table}' if schema else table


def test_keys_an_older_version_wrote_are_rewritten_on_the_board(pipeline: Pipeline) -> None:
    """Orders and items whose key an older version stored as staging spelled it: the
    merge rewrites the key, and the sync rewrites the board's key column (the same
    items, nothing created)."""
    from sqlalchemy import update

    from monday_emulator import DEMO_BOARD_ID

    rows = generate_rows(6, 4)
    pipeline.stage(rows)
    pipeline.merge()
    assert pipeline.sync().outcome == "success"
    key_column = pipeline.cfg.settings.monday.business_key_column
    old = {rows[0][KEY]: rows[0][KEY].lower() + " ", rows[1][KEY]: " " + rows[1][KEY]}
    orders_table, lines_table = pipeline.tables()
    before = pipeline.orders()
    with pipeline.engine.begin() as conn:
        for canonical, spelled in old.items():
            synced = json.loads(before[canonical]["synced_values"])
            synced[key_column] = spelled.strip()  # as the encoder sent it then
            conn.execute(
                update(orders_table)
                .where(orders_table.c[KEY] == canonical)
                .values({KEY: spelled, "synced_values": json.dumps(synced)})
            )
            conn.execute(
                update(lines_table)
                .where(lines_table.c.order_key == canonical)
                .values(order_key=spelled)
            )
            item_id = before[canonical]["monday_item_id"]
            pipeline.api(
                "mutation ($b: ID!, $i: ID!, $c: String!, $v: String!) "
                "{ change_simple_column_value(board_id: $b, item_id: $i, column_id: $c, "
                "value: $v) { id } }",
                {"b": DEMO_BOARD_ID, "i": item_id, "c": key_column, "v": spelled.strip()},
            )
    assert set(pipeline.board_items_by_key()) >= {s.strip() for s in old.values()}

    merge = pipeline.merge()
    assert merge.keys_normalised == 2 and not merge.key_collisions
    report = pipeline.sync()
    assert report.outcome == "success", report.tally.errors
    after = pipeline.orders()
    for canonical in old:
        assert after[canonical]["monday_item_id"] == before[canonical]["monday_item_id"]
    assert_one_item_per_key_holding_the_canonical_key(pipeline, {r[KEY] for r in rows})
