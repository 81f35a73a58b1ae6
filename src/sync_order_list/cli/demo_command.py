"""``demo``: the whole pipeline on embedded defaults, for a newcomer."""

from __future__ import annotations

import click

from sync_order_list.cli.context import CliState, common_options, handle_errors, pass_state
from sync_order_list.cli.db_commands import report_merge
from sync_order_list.db import init_db, redact_url
from sync_order_list.merge import run_merge
from sync_order_list.sample.generator import generate


@click.command("demo")
@click.option("--orders", type=click.IntRange(min=1), default=300, show_default=True)
@common_options
@pass_state
@handle_errors
def demo_command(state: CliState, orders: int) -> None:
    """Create a SQLite database, generate sample orders, merge them, print a summary."""
    cfg = state.config()
    engine = state.engine()
    state.say(f"[bold]database[/] {redact_url(cfg.database_url)}")
    init_db(engine, cfg, order_tables=True)
    generate(engine, cfg, orders=orders, seed=1)
    report_merge(state, run_merge(engine, cfg))
    state.say("[bold]second run[/]: the same orders with a few changed (seed 2)")
    generate(engine, cfg, orders=orders, seed=2)
    report_merge(state, run_merge(engine, cfg))
