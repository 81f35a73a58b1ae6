"""How a run looks to a person: progress (``cli.progress``), then a summary per
customer, drawn as a table on a terminal and as plain lines anywhere else."""

from __future__ import annotations

from typing import Any

from sync_order_list.cli.progress import ProgressDisplay, progress_for
from sync_order_list.cli.tables import Grid, GridColumn
from sync_order_list.sync import SyncReport
from sync_order_list.sync.operations import Plan
from sync_order_list.sync.run import sample_operations

__all__ = ["ProgressDisplay", "api_line", "plan_table", "progress_for", "summary_table"]


def summary_table(report: SyncReport, status: str | None = None) -> Grid:
    """The run per customer. ``status``: the run's grade (the word the reports use);
    without it, the run's outcome."""
    word = status or report.outcome
    title = f"sync {report.run_id[:8]} ({report.environment}): {word}"
    total = report.tally.total()
    columns = [
        GridColumn("customer", no_wrap=True),
        GridColumn("orders", "right"),
        GridColumn("new", "right", plain="items created"),
        GridColumn("upd", "right", plain="updated"),
        GridColumn("arch", "right", plain="archived"),
        GridColumn("sub +", "right", plain="subitems created"),
        GridColumn("sub ~", "right", plain="subitems updated"),
        GridColumn("sub -", "right", plain="subitems deleted"),
        GridColumn("err", "right", plain="errors"),
        GridColumn("s", "right", plain="seconds"),
    ]
    grid = Grid(
        columns,
        title=title,
        caption="sub +/~/-: subitems created, updated, deleted; s: seconds spent",
        footer=[
            "total",
            str(total.orders),
            str(total.created),
            str(total.updated),
            str(total.archived),
            str(total.subitems_created),
            str(total.subitems_updated),
            str(total.subitems_deleted),
            str(total.errors),
            f"{total.seconds:.1f}",
        ],
    )
    for name, t in sorted(report.tally.customers.items()):
        grid.add_row(
            name,
            t.orders,
            t.created,
            t.updated,
            t.archived,
            t.subitems_created,
            t.subitems_updated,
            t.subitems_deleted,
            f"[red]{t.errors}[/]" if t.errors else "0",
            f"{t.seconds:.1f}",
        )
    return grid


def api_line(report: SyncReport) -> str:
    api = report.api
    budget_wait = api.get("budget_wait_seconds", 0.0)
    return (
        f"{api.get('requests', 0)} requests, {api.get('complexity_charged', 0):,} complexity points, "
        f"{api.get('retries', 0)} retries, {api.get('rate_limited', 0)} rate-limited, "
        f"{budget_wait:.1f} s waiting for the budget; {report.seconds:.1f} s in all"
    )


def plan_table(plan: Plan) -> Grid:
    grid = Grid(
        [GridColumn("operation"), GridColumn("count", "right"), GridColumn("sample")],
        title="dry run: what a sync would do",
    )
    samples = sample_operations(plan)
    if plan.groups:
        grid.add_row("create_group", len(plan.groups), ", ".join(plan.groups[:3]))
    for kind, count in plan.counts().items():
        if kind in ("create_group", "unchanged", "invalid"):
            continue
        ops = samples.get(kind, [])
        grid.add_row(kind, count, "; ".join(_describe(op) for op in ops))
    if plan.settles:
        grid.add_row("no change", len(plan.settles), "")
    if plan.failures:
        grid.add_row("[red]invalid[/]", len(plan.failures), plan.failures[0].message[:120])
    return grid


def _describe(op: Any) -> str:
    row = op.row.key if op.row else ""
    if op.kind.value in ("create_item", "update_item", "update_subitem"):
        values = op.variables.get("column_values", "")
        return f"{row} {str(values)[:60]}"
    if op.kind.value == "create_subitem":
        return f"{row} {op.variables.get('item_name')}"
    if op.kind.value == "move_item":
        return f"{row} -> {op.group_title}"
    return row
