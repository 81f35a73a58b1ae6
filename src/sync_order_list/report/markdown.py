"""``summary.md`` and ``customers/<slug>.md``: plain GitHub-flavoured Markdown tables.

Cell text is escaped so a customer name or an error message cannot break a table:
``\\ | * ` [ ] <`` and a ``_`` at the edge of a word get a backslash (the standard
Markdown escape), line breaks become spaces.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence
from typing import Any

from sync_order_list.report.reports import CustomerReport, RunReport, group_errors

_SPECIAL = re.compile(r"([\\|`*\[\]<]|(?<!\w)_|_(?!\w))")

COUNT_COLUMNS = (
    ("orders", "Orders"),
    ("created", "Items created"),
    ("updated", "Items updated"),
    ("archived", "Items archived"),
    ("unchanged", "Unchanged"),
    ("subitems_created", "Subitems created"),
    ("subitems_updated", "Subitems updated"),
    ("subitems_deleted", "Subitems deleted"),
    ("errors", "Errors"),
)


def escape(value: Any) -> str:
    text = "" if value is None else str(value)
    text = " ".join(text.splitlines())
    return _SPECIAL.sub(r"\\\1", text)


def pct(share: float) -> str:
    return f"{share * 100:.1f}%"


def table(headers: Sequence[str], rows: Iterable[Sequence[Any]], align: str = "") -> str:
    """A Markdown table; ``align`` holds one of ``l``/``r`` per column (default ``l``)."""
    align = align or "l" * len(headers)
    out = ["| " + " | ".join(escape(h) for h in headers) + " |"]
    out.append("|" + "|".join("---:" if a == "r" else "---" for a in align) + "|")
    for row in rows:
        out.append("| " + " | ".join(escape(c) for c in row) + " |")
    return "\n".join(out)


def _status_text(status: str, share: float) -> str:
    return f"{status} ({pct(share)} synced)"


def _time(value: Any) -> str:
    if not value:
        return "-"
    return str(value).replace("T", " ")[:19] + " UTC"


def render_summary_md(report: RunReport) -> str:
    run = report.run
    th = report.thresholds
    parts = [f"# Sync run {escape(report.run_id)}", ""]
    facts = [
        ("Status", _status_text(report.status, report.share)),
        ("Run", report.result),
        ("Environment", run.get("environment") or "-"),
        ("Started", _time(run.get("started_at"))),
        ("Finished", _time(run.get("finished_at"))),
        ("Duration", f"{report.seconds:.2f} s"),
        ("Orders to do", report.to_do),
        ("Orders with errors", report.failed_orders),
        ("Groups created", run.get("groups_created", 0)),
        ("In-flight rows reconciled", run.get("in_flight_reconciled", 0)),
        ("Adopted from the board", run.get("adopted", 0)),
    ]
    if run.get("dry_run"):
        facts.append(("Dry run", "yes"))
    if run.get("message"):
        facts.append(("Message", run["message"]))
    parts += [table(("Field", "Value"), facts), ""]
    parts += [_grading_note(th), ""]

    parts += ["## Customers", ""]
    headers = ["Customer", "Status", "Share synced"] + [h for _, h in COUNT_COLUMNS] + ["Seconds"]
    rows: list[list[Any]] = []
    for c in report.customers:
        rows.append(
            [c.name, c.status, pct(c.share)]
            + [c.counts[k] for k, _ in COUNT_COLUMNS]
            + [f"{c.seconds:.2f}"]
        )
    total = report.total
    rows.append(
        ["Total", report.status, pct(report.share)]
        + [total[k] for k, _ in COUNT_COLUMNS]
        + [f"{total['seconds']:.2f}"]
    )
    parts += [table(headers, rows, "lll" + "r" * (len(headers) - 3)), ""]
    if not report.customers:
        parts += ["Nothing to do in this run.", ""]

    parts += ["## Phases", ""]
    parts += [
        table(("Phase", "Seconds"), [(k, f"{v:.3f}") for k, v in report.phases.items()], "lr"),
        "",
    ]

    api = report.api
    parts += ["## API", ""]
    api_rows = [
        ("Requests", api.get("requests", 0)),
        ("Retries", api.get("retries", 0)),
        ("Rate-limited", api.get("rate_limited", 0)),
        ("Transport errors", api.get("transport_errors", 0)),
        ("Complexity charged", f"{int(api.get('complexity_charged', 0) or 0):,}"),
        ("Waiting for the budget (s)", f"{float(api.get('budget_wait_seconds', 0) or 0):.2f}"),
    ]
    parts += [table(("Measure", "Value"), api_rows, "lr"), ""]

    plan = run.get("plan") or {}
    if plan:
        parts += ["## Plan", ""]
        parts += [table(("Operation", "Count"), sorted(plan.items()), "lr"), ""]

    merge = run.get("merge")
    if isinstance(merge, dict):
        parts += ["## Merge", ""]
        keys = ("inserted", "updated", "deleted", "lines_upserted", "lines_deleted")
        keys += ("staging_rows", "rejected_rows", "keys_normalised")
        parts += [
            table(("Measure", "Rows"), [(k.replace("_", " "), merge.get(k, 0)) for k in keys], "lr")
        ]
        parts += [""]

    parts += _rejects_section(report)
    parts += _errors_section(report.errors, with_customer=True)
    parts += ["Per customer: `customers/<name>.md`; charts: `report.html`.", ""]
    return "\n".join(parts)


def _grading_note(th: Any) -> str:
    return (
        "Grading: success when no row ended in ERROR and no staging row was rejected; "
        f"otherwise needs attention with at least {pct(th.attention)} of the orders synced, "
        "failed below (or when the run did not finish)."
    )


ERROR_ROWS_LISTED = 100


def _rejects_section(report: RunReport) -> list[str]:
    if not report.rejects and not report.rejected_rows:
        return []
    parts = [f"## Rejected staging rows ({report.rejected_rows})", ""]
    parts += [
        "The merge left these staging rows out; fix them in the staging table and the "
        "next merge takes them.",
        "",
    ]
    rows = [
        [r.key or "(empty key)", r.reason, r.column or "-", r.value or "-", r.count]
        for r in report.rejects
    ]
    parts += [table(("Order", "Reason", "Column", "Value", "Rows"), rows, "llllr"), ""]
    return parts


def _errors_section(errors: Sequence[Any], *, with_customer: bool) -> list[str]:
    """Errors grouped by cause (count, a few examples), then the rows themselves up to
    ``ERROR_ROWS_LISTED`` (every one is in the JSON)."""
    if not errors:
        return ["## Errors", "", "No errors.", ""]
    groups = group_errors(list(errors))
    rows = [
        [
            g.count,
            g.orders,
            g.table,
            g.column or "-",
            g.reason,
            ", ".join(e.where for e in g.examples),
        ]
        for g in groups
    ]
    parts = [f"## Errors by cause ({len(errors)} rows, {len(groups)} causes)", ""]
    parts += [table(("Rows", "Orders", "Row", "Column", "Reason", "Examples"), rows, "rrllll"), ""]
    shown = list(errors)[:ERROR_ROWS_LISTED]
    headers = ["Order", "Size", "Customer", "Column", "Reason"]
    body = [[e.key, e.size or "-", e.customer, e.column or "-", e.reason] for e in shown]
    if not with_customer:
        headers.pop(2)
        for row in body:
            row.pop(2)
    parts += ["## Errors", "", table(headers, body), ""]
    if len(errors) > len(shown):
        parts += [f"The first {len(shown)} of {len(errors)} rows; all of them are in the JSON.", ""]
    return parts


def render_customer_md(report: RunReport, customer: CustomerReport) -> str:
    parts = [f"# {escape(customer.name)}: sync run {escape(report.run_id)}", ""]
    facts: list[tuple[str, Any]] = [
        ("Status", _status_text(customer.status, customer.share)),
        ("Environment", report.run.get("environment") or "-"),
        ("Run started", _time(report.run.get("started_at"))),
        ("Run", f"{report.status}: {report.result}"),
    ]
    facts += [(label, customer.counts[key]) for key, label in COUNT_COLUMNS]
    facts += [
        ("Orders with errors", customer.failed_orders),
        ("Seconds", f"{customer.seconds:.2f}"),
    ]
    parts += [table(("Field", "Value"), facts), ""]
    parts += [_grading_note(report.thresholds), ""]
    parts += _errors_section(customer.errors, with_customer=False)
    return "\n".join(parts)
