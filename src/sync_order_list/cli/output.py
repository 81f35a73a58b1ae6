"""How a run looks to a person: progress bars on a terminal, plain lines elsewhere,
a summary table per customer at the end."""

from __future__ import annotations

import time
from typing import Any

from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn
from rich.table import Table

from sync_order_list.sync import SyncReport
from sync_order_list.sync.operations import Plan
from sync_order_list.sync.run import sample_operations


class ProgressDisplay:
    """Receives ``(phase, rows_done)`` from the executor."""

    def __init__(self, console: Console, *, enabled: bool) -> None:
        self.console = console
        self.enabled = enabled
        self.totals: dict[str, int] = {}
        self.done: dict[str, int] = {}
        self._bar: Progress | None = None
        self._tasks: dict[str, Any] = {}
        self._last_line = 0.0

    def start(self, plan: Plan) -> None:
        item_rows = {op.row for op in plan.item_ops}
        line_rows = {op.row for op in plan.line_ops}
        self.totals = {"items": len(item_rows), "subitems": len(line_rows)}
        if not self.enabled:
            return
        if self.console.is_terminal:
            self._bar = Progress(
                TextColumn("{task.description:>9}"),
                BarColumn(),
                MofNCompleteColumn(),
                TimeElapsedColumn(),
                console=self.console,
                transient=False,
            )
            self._bar.start()
            for name, total in self.totals.items():
                if total:
                    self._tasks[name] = self._bar.add_task(name, total=total)

    def __call__(self, phase: str, rows: int) -> None:
        self.done[phase] = self.done.get(phase, 0) + rows
        if not self.enabled:
            return
        if self._bar is not None and phase in self._tasks:
            self._bar.advance(self._tasks[phase], rows)
            return
        now = time.monotonic()
        total = self.totals.get(phase, 0)
        if now - self._last_line >= 2.0 or self.done[phase] >= total:
            self._last_line = now
            self.console.print(f"{phase}: {self.done[phase]}/{total} rows", highlight=False)

    def stop(self) -> None:
        if self._bar is not None:
            self._bar.stop()
            self._bar = None


def summary_table(report: SyncReport) -> Table:
    title = f"sync {report.run_id[:8]} ({report.environment}): {report.outcome}"
    table = Table(title=title, header_style="bold", show_footer=True)
    total = report.tally.total()
    table.caption = "sub +/~/-: subitems created, updated, deleted; s: seconds spent"
    columns = [
        ("customer", "total", "left"),
        ("orders", total.orders, "right"),
        ("new", total.created, "right"),
        ("upd", total.updated, "right"),
        ("arch", total.archived, "right"),
        ("sub +", total.subitems_created, "right"),
        ("sub ~", total.subitems_updated, "right"),
        ("sub -", total.subitems_deleted, "right"),
        ("err", total.errors, "right"),
        ("s", f"{total.seconds:.1f}", "right"),
    ]
    for header, footer, justify in columns:
        table.add_column(
            header,
            footer=str(footer),
            justify=justify,  # type: ignore[arg-type]
            no_wrap=header == "customer",
        )
    for name, t in sorted(report.tally.customers.items()):
        table.add_row(
            name,
            str(t.orders),
            str(t.created),
            str(t.updated),
            str(t.archived),
            str(t.subitems_created),
            str(t.subitems_updated),
            str(t.subitems_deleted),
            f"[red]{t.errors}[/]" if t.errors else "0",
            f"{t.seconds:.1f}",
        )
    return table


def api_line(report: SyncReport) -> str:
    api = report.api
    budget_wait = api.get("budget_wait_seconds", 0.0)
    return (
        f"{api.get('requests', 0)} requests, {api.get('complexity_charged', 0):,} complexity points, "
        f"{api.get('retries', 0)} retries, {api.get('rate_limited', 0)} rate-limited, "
        f"{budget_wait:.1f} s waiting for the budget; {report.seconds:.1f} s in all"
    )


def plan_table(plan: Plan) -> Table:
    table = Table(title="dry run: what a sync would do", header_style="bold")
    table.add_column("operation")
    table.add_column("count", justify="right")
    table.add_column("sample")
    samples = sample_operations(plan)
    if plan.groups:
        table.add_row("create_group", str(len(plan.groups)), ", ".join(plan.groups[:3]))
    for kind, count in plan.counts().items():
        if kind in ("create_group", "unchanged", "invalid"):
            continue
        ops = samples.get(kind, [])
        sample = "; ".join(_describe(op) for op in ops)
        table.add_row(kind, str(count), sample)
    if plan.settles:
        table.add_row("no change", str(len(plan.settles)), "")
    if plan.failures:
        table.add_row("[red]invalid[/]", str(len(plan.failures)), plan.failures[0].message[:120])
    return table


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
