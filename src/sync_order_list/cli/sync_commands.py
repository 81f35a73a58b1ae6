"""Commands of the sync stage: sync, retry, status."""

from __future__ import annotations

import asyncio
import sys

import click
from rich.markup import escape

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
from sync_order_list.cli.output import api_line, plan_table, progress_for, summary_table
from sync_order_list.cli.tables import Grid, GridColumn
from sync_order_list.config import AppConfig
from sync_order_list.db.filters import customer_warning
from sync_order_list.merge import run_merge
from sync_order_list.report.readonly import reading
from sync_order_list.report.status import STATES, read_status
from sync_order_list.sync import SyncOptions, SyncReport, run_sync
from sync_order_list.sync.retry import reset_errors
from sync_order_list.sync.signals import StopRequest, install_stop_handlers


@click.command("sync")
@click.option("--dry-run", is_flag=True, help="Print the plan; write nothing anywhere.")
@click.option("--limit", type=click.IntRange(min=1), help="Sync at most N orders.")
@click.option("--customer", help="Only this customer's orders (any case).")
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
    if customer is not None:
        warn_unknown_customer(state, cfg, customer)

    display = progress_for(
        state.console,
        quiet=state.quiet,
        output_json=state.output_json,
        log_format=state.log_format,
    )
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
            state.show(plan_table(report.plan))
        state.say(f"{report.claimed_orders} orders and {report.claimed_lines} lines pending")
        if report.held_by_other_runs:
            state.say(
                f"{report.held_by_other_runs} more orders are held by another run in progress"
            )
        state.emit_json(report.as_dict())
        sys.exit(EXIT_OK)
    status = after_run(state, cfg, report)
    state.show(summary_table(report, status))
    state.say(api_line(report))
    if report.report_path:
        state.say(f"report: {report.report_path}")
    elif report.outcome == "nothing":
        state.say("nothing to do: no report written (the run is in the run history)")
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


def warn_unknown_customer(state: CliState, cfg: AppConfig, customer: str) -> None:
    """Say (on stderr) when ``--customer`` matches no order; the command goes on."""
    message = customer_warning(
        state.engine(),
        cfg.env.target_table,
        cfg.env.db_schema,
        cfg.settings.merge.customer_column,
        customer,
    )
    if message:
        state.warn(message)


def after_run(state: CliState, cfg: AppConfig, report: SyncReport) -> str:
    """Write the run's reports and metrics; return the run's grade (the one word the
    reports use). A failure here never hides the run's result. A run with nothing to
    do writes no report directory (``report RUN_ID`` rebuilds it from the history)."""
    from sync_order_list.report.metrics import write_metrics
    from sync_order_list.report.reports import build_report, needs_report, write_run_reports

    status = build_report(report, cfg).status
    if needs_report(report):
        try:
            report.report_path = write_run_reports(report, cfg) / "report.html"
        except Exception as exc:  # the run is done and recorded: say so, don't crash
            state.warn(f"could not write the run's reports: {exc}")
    metrics_file = cfg.settings.monitoring.metrics_file
    if metrics_file:
        try:
            write_metrics(report, cfg, metrics_file)
        except Exception as exc:
            state.warn(f"could not write metrics to {metrics_file}: {exc}")
    return status


@click.command("retry")
@click.option("--customer", help="Only this customer's rows (any case).")
@click.option(
    "--max-retries",
    type=click.IntRange(min=0),
    help="Only rows that have failed at most N times.",
)
@execute_option
@common_options
@pass_state
@handle_errors
def retry_command(
    state: CliState, customer: str | None, max_retries: int | None, execute: bool
) -> None:
    """Put ERROR rows back to PENDING for the next sync."""
    cfg = state.config()
    require_execute(cfg, execute, "put rows in ERROR back to PENDING")
    engine = state.engine()
    result = reset_errors(engine, cfg, customer=customer, max_retries=max_retries)
    if customer is not None and not (result.orders or result.lines):
        warn_unknown_customer(state, cfg, customer)
    state.say(f"{result.orders} orders and {result.lines} lines set back to PENDING")
    state.emit_json(result.__dict__)


@click.command("status")
@click.option("--customer", help="Only this customer's rows (any case).")
@common_options
@pass_state
@handle_errors
def status_command(state: CliState, customer: str | None) -> None:
    """Counts by state and customer; rows in flight for too long."""
    cfg = state.config()
    engine = state.read_only_engine()  # status never writes, nor locks
    try:
        report = reading(
            engine,
            lambda: read_status(engine, cfg, customer=customer),
            what="read the sync state",
            url=cfg.database_url,
        )
    finally:
        engine.dispose()
    if report.customer_message:
        state.warn(report.customer_message)
    grid = Grid(
        [GridColumn("customer"), *(GridColumn(s, "right") for s in STATES)],
        title="orders by state",
    )
    for name, counts in sorted(report.orders_by_customer.items()):
        grid.add_row(name, *(counts.get(s, 0) for s in STATES))
    totals = report.order_totals()
    grid.footer = ["total", *(str(totals[s]) for s in STATES)]
    state.show(grid)
    lines = ", ".join(f"{s} {report.lines_by_state.get(s, 0)}" for s in STATES)
    state.say(f"lines: {lines}")
    state.say(f"{report.to_sync_now} orders to sync now (what `sync --dry-run` would take)")
    if report.held_by_live_runs:
        state.say(f"{report.held_by_live_runs} more orders are held by another run in progress")
    if report.in_flight_too_long:
        minutes = cfg.settings.monitoring.in_flight_max_age_minutes
        state.say(
            f"[yellow]{len(report.in_flight_too_long)} row(s) in flight for more than "
            f"{minutes:g} minutes[/] (the next sync looks them up by key):"
        )
        for table_name, key, since in report.in_flight_too_long[:20]:
            state.say(f"  - {table_name} {key!r} since {since:%Y-%m-%d %H:%M:%S}", markup=False)
    state.emit_json(report.as_dict())
