"""``verify [--repair] [--customer NAME]``: does the board still match the database?

Exit codes: 0 no difference; 1 differences found (repaired or not); 2 could not check
(configuration, database, monday unreachable or the token refused; one line on stderr).
Every run is recorded in the run history; ``check`` reads the last one.
"""

from __future__ import annotations

import asyncio
import sys

import click

from sync_order_list.cli.context import (
    CliState,
    common_options,
    execute_option,
    handle_errors,
    pass_state,
    require_execute,
)
from sync_order_list.cli.sync_commands import warn_unknown_customer
from sync_order_list.cli.tables import Grid, GridColumn
from sync_order_list.verify import KINDS, REPORT_ONLY, VerifyOptions, VerifyReport, run_verify

EXAMPLES_SHOWN = 20


@click.command("verify")
@click.option(
    "--repair",
    is_flag=True,
    help="Put what differs back on the sync path (and archive duplicates).",
)
@click.option("--customer", help="Only this customer's orders (any case).")
@execute_option
@common_options
@pass_state
@handle_errors
def verify_command(state: CliState, repair: bool, customer: str | None, execute: bool) -> None:
    """Compare the board with the database; --repair puts differences on the sync path.

    Exit codes: 0 the board matches, 1 differences found, 2 could not check.
    """
    cfg = state.config()
    if repair:
        require_execute(cfg, execute, "repair the board")
    engine = state.engine()
    if customer is not None:
        warn_unknown_customer(state, cfg, customer)
    report = asyncio.run(run_verify(engine, cfg, VerifyOptions(repair=repair, customer=customer)))
    state.show(verify_table(report))
    for line in describe(report):
        state.say(line, markup=False)
    state.emit_json(report.as_dict())
    sys.exit(report.exit_code)


def verify_table(report: VerifyReport) -> Grid:
    found, repaired, left = report.found(), report.repaired_counts(), report.left()
    drift = report.drift
    checked = (
        f"{drift.orders_checked} orders, {drift.items_read} items, {drift.subitems_read} subitems"
        if drift
        else "nothing"
    )
    columns = [GridColumn("difference"), GridColumn("found", "right")]
    if report.repair:
        columns += [GridColumn("repaired", "right"), GridColumn("left", "right")]
    grid = Grid(columns, title=f"verify {report.run_id[:8]} ({report.environment}): {checked}")
    for kind in KINDS:
        if kind not in found:
            continue
        row = [kind.replace("_", " "), str(found[kind])]
        if report.repair:
            row += [str(repaired.get(kind, 0)), str(left.get(kind, 0))]
        grid.add_row(*row)
    total = [str(sum(found.values()))]
    if report.repair:
        total += [str(sum(repaired.values())), str(sum(left.values()))]
    grid.footer = ["total", *total]
    return grid


def describe(report: VerifyReport) -> list[str]:
    """What the person should know, in plain lines."""
    drift = report.drift
    if drift is None:
        return []
    lines: list[str] = []
    if drift.orders_skipped:
        lines.append(f"{drift.orders_skipped} orders held by a running sync were not checked")
    if not drift.total:
        return lines + ["the board matches the database"]
    for finding in drift.findings[:EXAMPLES_SHOWN]:
        where = finding.key + (f" size {finding.size}" if finding.size else "")
        lines.append(
            f"  - {finding.kind.replace('_', ' ')}: {where or '(no key)'}: {finding.detail}"
        )
    if drift.total > EXAMPLES_SHOWN:
        lines.append(f"  ... and {drift.total - EXAMPLES_SHOWN} more (see --json)")
    result = report.repaired
    if result is None:
        fixable = sum(1 for f in drift.findings if f.kind not in REPORT_ONLY)
        if fixable:
            lines.append(
                f"{fixable} can be put back with `sync-order-list verify --repair`, then `sync`"
            )
    else:
        lines.append(
            f"repair: {result.orders_changed} orders and {result.lines_changed} lines put back "
            f"on the sync path, {len(result.archived)} duplicates archived; "
            "`sync-order-list sync` writes the rest"
        )
        if result.skipped:
            lines.append(
                f"{len(result.skipped)} rows changed since they were read and were left alone: "
                "run verify again after the next sync"
            )
        for finding, error in result.failed:
            lines.append(f"could not archive item {finding.item_id}: {error}")
    report_only = [f for f in drift.findings if f.kind in REPORT_ONLY]
    if report_only:
        lines.append(
            f"{len(report_only)} orphans or extra subitems are for a person: verify never "
            "deletes what it does not own"
        )
    return lines
