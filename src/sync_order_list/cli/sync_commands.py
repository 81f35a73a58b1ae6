"""Commands of the sync stage: sync, retry, status."""

from __future__ import annotations

import asyncio
import sys

import click
from rich.markup import escape
from rich.table import Table

from sync_order_list.cli.context import (
    EXIT_OK,
    CliState,
    common_options,
    execute_option,
    handle_errors,
    pass_state,
    require_execute,
)
from sync_order_list.cli.db_commands import report_merge
from sync_order_list.cli.output import ProgressDisplay, api_line, plan_table, summary_table
from sync_order_list.config import AppConfig
from sync_order_list.merge import run_merge
from sync_order_list.report.readonly import read_only_engine, reading
from sync_order_list.report.status import STATES, read_status
from sync_order_list.sync import SyncOptions, SyncReport, run_sync
from sync_order_list.sync.retry import reset_errors
from sync_order_list.sync.signals import StopRequest, install_stop_handlers


@click.command("sync")
@click.option("--dry-run", is_flag=True, help="Print the plan; write nothing anywhere.")
@click.option("--limit", type=click.IntRange(min=1), help="Sync at most N orders.")
@click.option("--customer", help="Only this customer's orders.")
@click.option(
    "--mode",
    type=click.Choice(["batch", "single"]),
    default="batch",
    show_default=True,
    help="single: one operation per request (diagnosis).",
)
@click.option("--skip-merge", is_flag=True, help="Sync what is pending; do not merge first.")
@execute_option
@common_options
@pass_state
@handle_errors
def sync_command(
    state: CliState,
    dry_run: bool,
    limit: int | None,
    customer: str | None,
    mode: str,
    skip_merge: bool,
    execute: bool,
) -> None:
    """Merge staging, then make the monday board match the pending orders."""
    cfg = state.config()
    if not dry_run:
        require_execute(cfg, execute, "sync")
    engine = state.engine()
    # SIGTERM/SIGINT: finish what is in flight, release the rows, exit 143/130; the
    # handlers stay until the process exits, so a second signal always exits at once
    stop = install_stop_handlers(StopRequest(), cfg.settings.sync.grace_seconds)
    merge = None
    if not skip_merge and not dry_run:
        merge = run_merge(engine, cfg)
        report_merge(state, merge)

    display = ProgressDisplay(state.console, enabled=not (state.quiet or state.output_json))
    options = SyncOptions(dry_run=dry_run, limit=limit, customer=customer, mode=mode)  # type: ignore[arg-type]
    try:
        report = asyncio.run(
            run_sync(
                engine,
                cfg,
                options,
                progress=display,
                on_plan=display.start,
                merge=merge,
                stop=stop,
            )
        )
    finally:
        display.stop()

    if dry_run:
        if report.plan is not None:
            state.say(plan_table(report.plan))
        state.say(f"{report.claimed_orders} orders and {report.claimed_lines} lines pending")
        if report.held_by_other_runs:
            state.say(
                f"{report.held_by_other_runs} more orders are held by another run in progress"
            )
        state.emit_json(report.as_dict())
        sys.exit(EXIT_OK)
    after_run(state, cfg, report)
    state.say(summary_table(report))
    state.say(api_line(report))
    if report.report_path:
        state.say(f"report: {report.report_path}")
    if report.tally.errors:
        state.say(f"[red]{len(report.tally.errors)} row(s) in ERROR:[/]")
        for error in report.tally.errors[:20]:
            state.say(f"  - {error.message}", markup=False)
        if len(report.tally.errors) > 20:
            state.say(
                f"  ... and {len(report.tally.errors) - 20} more (see `sync-order-list report`)"
            )
    if report.message:
        state.say(f"[red]{escape(report.message)}[/]")
    state.emit_json(report.as_dict())
    if report.outcome == "interrupted":
        sys.exit(report.exit_code)  # 128 + the signal: 143 for SIGTERM, 130 for SIGINT
    # rows the merge had to leave in staging count like rows in ERROR
    sys.exit(max(report.exit_code, 1 if merge is not None and merge.rejected else 0))


def after_run(state: CliState, cfg: AppConfig, report: SyncReport) -> None:
    """Write the run's reports and metrics; a failure here never hides the run's result."""
    from sync_order_list.report.metrics import write_metrics
    from sync_order_list.report.reports import write_run_reports

    try:
        report.report_path = write_run_reports(report, cfg) / "report.html"
    except Exception as exc:  # the run is done and recorded: say so, don't crash
        state.console.print(f"[yellow]could not write the run's reports:[/] {escape(str(exc))}")
    metrics_file = cfg.settings.monitoring.metrics_file
    if metrics_file:
        try:
            write_metrics(report, cfg, metrics_file)
        except Exception as exc:
            state.console.print(
                f"[yellow]could not write metrics to {metrics_file}:[/] {escape(str(exc))}"
            )


@click.command("retry")
@click.option("--customer", help="Only this customer's rows.")
@click.option(
    "--max-retries",
    type=click.IntRange(min=0),
    help="Only rows that have failed at most N times.",
)
@common_options
@pass_state
@handle_errors
def retry_command(state: CliState, customer: str | None, max_retries: int | None) -> None:
    """Put ERROR rows back to PENDING for the next sync."""
    result = reset_errors(
        state.engine(), state.config(), customer=customer, max_retries=max_retries
    )
    state.say(f"{result.orders} orders and {result.lines} lines set back to PENDING")
    state.emit_json(result.__dict__)


@click.command("status")
@click.option("--customer", help="Only this customer's rows.")
@common_options
@pass_state
@handle_errors
def status_command(state: CliState, customer: str | None) -> None:
    """Counts by state and customer; rows in flight for too long."""
    cfg = state.config()
    engine = read_only_engine(cfg.database_url)  # status never writes, nor locks
    try:
        report = reading(
            engine,
            lambda: read_status(engine, cfg, customer=customer),
            what="read the sync state",
            url=cfg.database_url,
        )
    finally:
        engine.dispose()
    table = Table(title="orders by state", header_style="bold")
    table.add_column("customer")
    for s in STATES:
        table.add_column(s, justify="right")
    for name, counts in sorted(report.orders_by_customer.items()):
        table.add_row(name, *(str(counts.get(s, 0)) for s in STATES))
    totals = report.order_totals()
    table.add_row("[bold]total[/]", *(f"[bold]{totals[s]}[/]" for s in STATES))
    state.say(table)
    lines = ", ".join(f"{s} {report.lines_by_state.get(s, 0)}" for s in STATES)
    state.say(f"lines: {lines}")
    if report.claimed_now:
        state.say(f"{report.claimed_now} orders are claimed by a run in progress")
    if report.in_flight_too_long:
        minutes = cfg.settings.monitoring.in_flight_max_age_minutes
        state.say(
            f"[yellow]{len(report.in_flight_too_long)} row(s) in flight for more than "
            f"{minutes:g} minutes[/] (the next sync looks them up by key):"
        )
        for table_name, key, since in report.in_flight_too_long[:20]:
            state.say(f"  - {table_name} {key!r} since {since:%Y-%m-%d %H:%M:%S}", markup=False)
    state.emit_json(report.as_dict())
