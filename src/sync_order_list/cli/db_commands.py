"""Commands of the first half of the pipeline: init-db, generate, merge."""

from __future__ import annotations

import sys

import click

from sync_order_list.cli.context import (
    EXIT_OK,
    EXIT_ROW_ERRORS,
    CliState,
    common_options,
    execute_option,
    handle_errors,
    pass_state,
    require_execute,
)
from sync_order_list.cli.tables import Grid, GridColumn
from sync_order_list.db import init_db, redact_url
from sync_order_list.merge import MergeResult, run_merge
from sync_order_list.sample.generator import generate


@click.command("init-db")
@click.option(
    "--order-tables",
    is_flag=True,
    help="Also create the staging and orders tables with the real 410 columns (demos, tests).",
)
@execute_option
@common_options
@pass_state
@handle_errors
def init_db_command(state: CliState, order_tables: bool, execute: bool) -> None:
    """Create the tool's tables and add the sync columns to the orders table."""
    cfg = state.config()
    require_execute(cfg, execute, "change the database")
    report = init_db(state.engine(), cfg, order_tables=order_tables)
    state.say(f"database: {redact_url(cfg.database_url)}")
    if report.created_tables:
        state.say(f"created tables: {', '.join(report.created_tables)}")
    if report.added_columns:
        state.say(
            f"added sync columns to {cfg.env.target_table}: {', '.join(report.added_columns)}"
        )
    for warning in report.warnings:
        state.say(f"[yellow]warning:[/] {warning}", markup=True)
    if not report.created_tables and not report.added_columns:
        state.say("already set up: nothing to do")
    state.emit_json(
        {"created_tables": report.created_tables, "added_columns": report.added_columns}
    )


@click.command("generate")
@click.option("--orders", type=click.IntRange(min=0), default=300, show_default=True)
@click.option("--seed", type=int, default=1, show_default=True)
@execute_option
@common_options
@pass_state
@handle_errors
def generate_command(state: CliState, orders: int, seed: int, execute: bool) -> None:
    """Fill the staging table with deterministic sample orders (replaces its rows)."""
    cfg = state.config()
    require_execute(cfg, execute, "replace the staging table's rows")
    result = generate(state.engine(), cfg, orders=orders, seed=seed)
    state.say(
        f"wrote {result.orders} sample orders (seed {result.seed}) to {result.table}; "
        f"{result.volatile} of them change with the seed"
    )
    state.emit_json(result.__dict__)


def merge_table(result: MergeResult) -> Grid:
    grid = Grid([GridColumn("what"), GridColumn("count", "right")], title="merge")
    for label, value in (
        ("staging rows", result.staging_rows),
        ("size columns", result.size_columns),
        ("new orders", result.inserted),
        ("changed orders", result.updated),
        ("deleted orders", result.deleted),
        ("lines inserted/changed", result.lines_upserted),
        ("lines deleted", result.lines_deleted),
        ("rejected staging rows", result.rejected_rows),
        ("order keys normalised", result.keys_normalised),
    ):
        grid.add_row(label, value)
    return grid


def report_merge(state: CliState, result: MergeResult) -> None:
    state.show(merge_table(result))
    if result.rejected:
        state.say(
            f"[yellow]{len(result.rejected)} problem(s) in staging; those rows were not merged:[/]"
        )
        for rejected in result.rejected[:50]:
            state.say(f"  - {rejected.line()}", markup=False)
        if len(result.rejected) > 50:
            state.say(f"  ... and {len(result.rejected) - 50} more (see --json)")
    if result.key_collisions:
        state.say(
            f"[yellow]{len(result.key_collisions)} business key(s) in the orders table collide "
            "after normalising; those orders were left as they are (docs/troubleshooting.md):[/]"
        )
        for collision in result.key_collisions[:50]:
            state.say(f"  - {collision.line()}", markup=False)
        if len(result.key_collisions) > 50:
            state.say(f"  ... and {len(result.key_collisions) - 50} more (see --json)")


@click.command("merge")
@execute_option
@common_options
@pass_state
@handle_errors
def merge_command(state: CliState, execute: bool) -> None:
    """Merge the staging table into the orders and lines tables (one transaction)."""
    cfg = state.config()
    require_execute(cfg, execute, "merge")
    result = run_merge(state.engine(), cfg)
    report_merge(state, result)
    state.emit_json(result.as_dict())
    sys.exit(EXIT_ROW_ERRORS if result.rejected else EXIT_OK)
