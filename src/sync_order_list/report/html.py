"""``report.html``: one self-contained page (inline CSS, inline SVG; no script, no
external file of any kind), readable offline and attachable to an e-mail.

Charts, each an ``<svg>`` with an ``id``; every mark carries ``data-*`` attributes with
the number it draws, and a ``<title>`` for the tooltip:

- ``customer-bars``: per customer, a stacked bar of the items (created, updated,
  archived, unchanged, or failed: each order once) and one of the size lines (subitems
  created, updated, deleted, failed);
- ``phase-timeline``: the run's phases one after another, as long as each took;
- ``budget-chart``: the complexity budget left after each request over the run, with
  each request's cost.

Above them: the rejected staging rows (``rejects``) and the errors grouped by cause
(``error-groups``), the first rows folded under them (``errors``).
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Sequence
from html import escape as _escape
from typing import Any

from sync_order_list.report.reports import (
    ATTENTION,
    FAILED,
    SUCCESS,
    CustomerReport,
    ErrorRow,
    RunReport,
    group_errors,
)
from sync_order_list.sync.tally import CUSTOMER_FIELDS

ITEM_SEGMENTS = (
    ("created", "created", "#2f9e5b"),
    ("updated", "updated", "#3b7dd8"),
    ("archived", "archived", "#7d8590"),
    ("unchanged", "unchanged", "#c5ccd6"),
    ("failed", "items failed", "#d64545"),
)
LINE_SEGMENTS = (
    ("subitems_created", "subitems created", "#49b3a5"),
    ("subitems_updated", "subitems updated", "#8fb8ee"),
    ("subitems_deleted", "subitems deleted", "#a7adb5"),
    ("line_errors", "lines failed", "#ef8a8a"),
)
PHASE_COLOURS = (
    "#3b7dd8",
    "#2f9e5b",
    "#e0a11b",
    "#8e5bd0",
    "#d6604d",
    "#49b3a5",
    "#7d8590",
    "#c2528b",
    "#5a8f29",
    "#b07d2b",
)
STATUS_CLASS = {SUCCESS: "ok", ATTENTION: "warn", FAILED: "bad"}

CSS = """
:root { color-scheme: light; --ink: #1f2328; --muted: #656d76; --line: #d0d7de;
  --ok: #1a7f37; --warn: #9a6700; --bad: #cf222e; }
* { box-sizing: border-box; }
body { margin: 0; padding: 24px; font: 14px/1.45 -apple-system, "Segoe UI", Roboto,
  "Helvetica Neue", Arial, sans-serif; color: var(--ink); background: #f6f8fa; }
main { max-width: 1080px; margin: 0 auto; }
section, header { background: #fff; border: 1px solid var(--line); border-radius: 8px;
  padding: 16px 20px; margin-bottom: 16px; }
h1 { font-size: 20px; margin: 0 0 8px; } h2 { font-size: 16px; margin: 0 0 12px; }
code { font: 12px ui-monospace, SFMono-Regular, Menlo, Consolas, monospace; }
.meta { display: grid; grid-template-columns: repeat(auto-fill, minmax(190px, 1fr));
  gap: 8px 20px; margin-top: 12px; }
.meta div { display: flex; flex-direction: column; }
.meta span:first-child { color: var(--muted); font-size: 12px; }
.badge { display: inline-block; padding: 1px 9px; border-radius: 999px; font-size: 12px;
  font-weight: 600; color: #fff; white-space: nowrap; vertical-align: middle; }
.badge.ok { background: var(--ok); } .badge.warn { background: var(--warn); }
.badge.bad { background: var(--bad); }
table { border-collapse: collapse; width: 100%; font-size: 13px; }
th, td { border-bottom: 1px solid var(--line); padding: 5px 8px; text-align: left;
  vertical-align: top; }
th { color: var(--muted); font-weight: 600; }
td.n, th.n { text-align: right; font-variant-numeric: tabular-nums; }
tfoot td { font-weight: 600; }
svg { width: 100%; height: auto; display: block; font-size: 12px; }
svg text { fill: var(--ink); } svg .muted { fill: var(--muted); }
svg .axis { stroke: var(--line); }
.legend { display: flex; flex-wrap: wrap; gap: 6px 14px; margin: 8px 0 0; padding: 0;
  list-style: none; font-size: 12px; color: var(--muted); }
.legend i { display: inline-block; width: 10px; height: 10px; border-radius: 2px;
  margin-right: 5px; vertical-align: -1px; }
.note { color: var(--muted); font-size: 12px; margin: 8px 0 0; }
.scroll { overflow-x: auto; }
"""


def esc(value: Any) -> str:
    return _escape("" if value is None else str(value), quote=True)


def _num(value: float) -> str:
    """Short SVG coordinates."""
    return f"{value:.1f}".rstrip("0").rstrip(".") or "0"


def _badge(status: str) -> str:
    return f'<span class="badge {STATUS_CLASS.get(status, "bad")}">{esc(status)}</span>'


def _pct(share: float) -> str:
    return f"{share * 100:.1f}%"


def _legend(entries: Iterable[tuple[str, str]]) -> str:
    items = "".join(f'<li><i style="background:{c}"></i>{esc(label)}</li>' for label, c in entries)
    return f'<ul class="legend">{items}</ul>'


def nice_ticks(maximum: float, count: int = 5) -> list[float]:
    """Round tick values from 0 to at least ``maximum``."""
    if maximum <= 0:
        return [0.0, 1.0]
    raw = maximum / count
    magnitude = 10 ** math.floor(math.log10(raw))
    step = next(m * magnitude for m in (1, 2, 2.5, 5, 10) if m * magnitude >= raw)
    n = math.ceil(maximum / step - 1e-9)
    return [round(i * step, 10) for i in range(n + 1)]


def _short(value: float) -> str:
    for limit, suffix in ((1e9, "G"), (1e6, "M"), (1e3, "k")):
        if abs(value) >= limit:
            return f"{value / limit:g}{suffix}"
    return f"{value:g}"


# --------------------------------------------------------------------------- charts


def _customer_values(c: CustomerReport) -> dict[str, int]:
    """Each bar counts every row once: an item's create, update, archive or no change,
    or its failure (orders whose own row is in ERROR); a line's subitem or its failure.
    An order whose item was created but one of its sizes failed is one "created" item
    and one failed line, never a created and a failed order."""
    values = dict(c.counts)
    values["failed"] = len({e.key for e in c.errors if e.table == "order"})
    values["line_errors"] = c.line_errors
    return values


def customer_bars_svg(customers: Sequence[CustomerReport]) -> str:
    if not customers:
        return '<p class="note">No customer had anything to do in this run.</p>'
    width, label_w, value_w = 960, 230, 150
    bar_w = width - label_w - value_w
    bar_h, gap, block_gap = 14, 4, 14
    block = 2 * bar_h + gap + block_gap
    height = len(customers) * block + 24
    values = [_customer_values(c) for c in customers]
    max_items = max(max(sum(v[k] for k, _, _ in ITEM_SEGMENTS) for v in values), 1)
    max_lines = max(max(sum(v[k] for k, _, _ in LINE_SEGMENTS) for v in values), 1)
    out = [
        f'<svg id="customer-bars" viewBox="0 0 {width} {height}" role="img" '
        f'aria-label="What was done and what failed, per customer">'
    ]
    for i, (c, v) in enumerate(zip(customers, values, strict=True)):
        top = 8 + i * block
        cls = STATUS_CLASS.get(c.status, "bad")
        colour = {"ok": "#1a7f37", "warn": "#9a6700", "bad": "#cf222e"}[cls]
        out.append(
            f'<g class="customer" data-customer="{esc(c.name)}" data-status="{esc(c.status)}" '
            f'data-share="{c.share:.4f}">'
        )
        out.append(f"<title>{esc(c.name)}: {esc(c.status)}, {_pct(c.share)} synced</title>")
        out.append(
            f'<circle cx="8" cy="{top + bar_h}" r="5" fill="{colour}"/>'
            f'<text x="20" y="{top + bar_h + 4}">{esc(_clip(c.name, 26))}</text>'
        )
        for row, (segments, scale, unit) in enumerate(
            ((ITEM_SEGMENTS, max_items, "items"), (LINE_SEGMENTS, max_lines, "lines"))
        ):
            y = top + row * (bar_h + gap)
            x = float(label_w)
            out.append(
                f'<rect class="track" x="{label_w}" y="{y}" width="{bar_w}" height="{bar_h}" '
                f'fill="#f0f2f5"/>'
            )
            for key, label, fill in segments:
                n = v[key]
                if n <= 0:
                    continue
                w = bar_w * n / scale
                out.append(
                    f'<rect class="seg seg-{key}" data-kind="{key}" data-value="{n}" '
                    f'x="{_num(x)}" y="{y}" width="{_num(w)}" height="{bar_h}" fill="{fill}">'
                    f"<title>{esc(c.name)}: {n} {esc(label)}</title></rect>"
                )
                x += w
            done = sum(v[k] for k, _, _ in segments if k not in ("failed", "line_errors"))
            bad = v["failed"] if unit == "items" else v["line_errors"]
            text = f"{done} {unit}" + (f", {bad} failed" if bad else "")
            out.append(
                f'<text class="muted" x="{label_w + bar_w + 8}" y="{y + bar_h - 3}">'
                f"{esc(text)}</text>"
            )
        out.append("</g>")
    out.append("</svg>")
    legend = _legend((label, c) for _, label, c in ITEM_SEGMENTS + LINE_SEGMENTS)
    return (
        "".join(out)
        + legend
        + (
            '<p class="note">Upper bar: items (one per order: created, updated, archived, '
            "unchanged, or failed), scaled to the largest customer; lower bar: size lines "
            "(subitems), on their own scale. Each row is counted once.</p>"
        )
    )


def _clip(text: str, n: int) -> str:
    return text if len(text) <= n else text[: n - 1] + "\u2026"


def phase_timeline_svg(phases: dict[str, float]) -> str:
    total = sum(phases.values())
    if not phases or total <= 0:
        return '<p class="note">No phase timings were recorded.</p>'
    width, left, right = 960, 10, 10
    span = width - left - right
    height = 74
    out = [
        f'<svg id="phase-timeline" viewBox="0 0 {width} {height}" role="img" '
        f'aria-label="Phases of the run over time">'
    ]
    start = 0.0
    for i, (name, seconds) in enumerate(phases.items()):
        colour = PHASE_COLOURS[i % len(PHASE_COLOURS)]
        x = left + span * start / total
        w = span * seconds / total
        out.append(
            f'<rect class="phase" data-phase="{esc(name)}" data-start="{start:.3f}" '
            f'data-seconds="{seconds:.3f}" x="{_num(x)}" y="6" width="{_num(max(w, 0.5))}" '
            f'height="28" fill="{colour}">'
            f"<title>{esc(name)}: {seconds:.3f} s (from {start:.3f} s)</title></rect>"
        )
        label = f"{name} {seconds:.2f}s"
        if w >= len(label) * 7 + 8:
            out.append(f'<text x="{_num(x + 5)}" y="24" style="fill:#fff">{esc(label)}</text>')
        start += seconds
    out.append(f'<line class="axis" x1="{left}" y1="40" x2="{width - right}" y2="40"/>')
    for t in nice_ticks(total, 6):
        if t > total + 1e-9:
            break
        x = left + span * t / total
        anchor = "end" if x > width - 40 else "middle" if t else "start"
        out.append(
            f'<line class="axis" x1="{_num(x)}" y1="40" x2="{_num(x)}" y2="45"/>'
            f'<text class="muted" x="{_num(x)}" y="58" text-anchor="{anchor}">{t:g} s</text>'
        )
    out.append("</svg>")
    legend = _legend(
        (f"{name}: {seconds:.3f} s", PHASE_COLOURS[i % len(PHASE_COLOURS)])
        for i, (name, seconds) in enumerate(phases.items())
    )
    return "".join(out) + legend


def budget_chart_svg(timeline: Sequence[tuple[float, int, int]]) -> str:
    if not timeline:
        return '<p class="note">No API request reported its complexity in this run.</p>'
    width, height = 960, 280
    ml, mr, mt, mb = 70, 20, 14, 40
    pw, ph = width - ml - mr, height - mt - mb
    capacity = max(left + cost for _, left, cost in timeline)
    t_max = max(t for t, _, _ in timeline) or 1.0
    x_ticks = nice_ticks(t_max, 8)
    y_ticks = nice_ticks(capacity, 4)
    x_max, y_max = x_ticks[-1] or 1.0, y_ticks[-1] or 1.0

    def px(t: float) -> float:
        return ml + pw * t / x_max

    def py(v: float) -> float:
        return mt + ph * (1 - v / y_max)

    out = [
        f'<svg id="budget-chart" viewBox="0 0 {width} {height}" role="img" '
        f'aria-label="Complexity budget left over the run" data-capacity="{capacity}" '
        f'data-points="{len(timeline)}">'
    ]
    for v in y_ticks:
        y = py(v)
        out.append(
            f'<line class="axis" x1="{ml}" y1="{_num(y)}" x2="{width - mr}" y2="{_num(y)}"/>'
            f'<text class="muted" x="{ml - 6}" y="{_num(y + 4)}" text-anchor="end">'
            f"{_short(v)}</text>"
        )
    for t in x_ticks:
        x = px(t)
        out.append(
            f'<line class="axis" x1="{_num(x)}" y1="{mt + ph}" x2="{_num(x)}" y2="{mt + ph + 5}"/>'
            f'<text class="muted" x="{_num(x)}" y="{mt + ph + 18}" text-anchor="middle">'
            f"{t:g} s</text>"
        )
    out.append(
        f'<text class="muted" x="{ml + pw / 2:.0f}" y="{height - 4}" text-anchor="middle">'
        "seconds since the start of the sync</text>"
    )
    # each request's cost: a bar from the axis, on the budget's scale
    for t, _left, cost in timeline:
        h = ph * cost / y_max
        out.append(
            f'<rect class="cost" x="{_num(px(t) - 1.5)}" y="{_num(mt + ph - h)}" width="3" '
            f'height="{_num(max(h, 1))}" fill="#e0a11b" opacity="0.7"/>'
        )
    # the budget only changes when a request is charged: a step line
    points = [(px(0), py(capacity))]
    for t, left, _ in timeline:
        points += [(px(t), points[-1][1]), (px(t), py(left))]
    path = " ".join(f"{_num(x)},{_num(y)}" for x, y in points)
    area = f"{_num(px(0))},{mt + ph} {path} {_num(points[-1][0])},{mt + ph}"
    out.append(f'<polygon points="{area}" fill="#3b7dd8" opacity="0.12"/>')
    out.append(
        f'<polyline class="budget-left" points="{path}" fill="none" stroke="#3b7dd8" '
        f'stroke-width="2"/>'
    )
    if len(timeline) <= 300:
        for t, left, cost in timeline:
            out.append(
                f'<circle class="request" data-t="{t:.3f}" data-left="{left}" '
                f'data-cost="{cost}" cx="{_num(px(t))}" cy="{_num(py(left))}" r="3" '
                f'fill="#3b7dd8"><title>{t:.3f} s: {left:,} left after a request costing '
                f"{cost:,}</title></circle>"
            )
    out.append("</svg>")
    used = capacity - min(left for _, left, _ in timeline)
    return (
        "".join(out)
        + _legend((("budget left after each request", "#3b7dd8"), ("request cost", "#e0a11b")))
        + (
            f'<p class="note">{len(timeline)} requests; budget at the start about '
            f"{capacity:,} points; at most {used:,} points used at once "
            f"({used / capacity * 100 if capacity else 0:.1f}% of the window's budget).</p>"
        )
    )


# --------------------------------------------------------------------------- page


def _customer_table(report: RunReport) -> str:
    heads = [
        ("Customer", ""),
        ("Status", ""),
        ("Share synced", "n"),
        ("Orders", "n"),
        ("Created", "n"),
        ("Updated", "n"),
        ("Archived", "n"),
        ("Unchanged", "n"),
        ("Subitems created", "n"),
        ("Subitems updated", "n"),
        ("Subitems deleted", "n"),
        ("Errors", "n"),
        ("Seconds", "n"),
    ]
    keys = CUSTOMER_FIELDS
    head = "".join(f'<th class="{c}">{esc(h)}</th>' for h, c in heads)
    rows = []
    for c in report.customers:
        cells = [
            f"<td>{esc(c.name)}</td>",
            f"<td>{_badge(c.status)}</td>",
            f'<td class="n">{_pct(c.share)}</td>',
        ]
        cells += [f'<td class="n" data-key="{k}">{c.counts[k]}</td>' for k in keys]
        cells.append(f'<td class="n" data-key="seconds">{c.seconds:.2f}</td>')
        rows.append(
            f'<tr data-customer="{esc(c.name)}" data-status="{esc(c.status)}">{"".join(cells)}</tr>'
        )
    total = report.total
    foot = [
        "<td>Total</td>",
        f"<td>{_badge(report.status)}</td>",
        f'<td class="n">{_pct(report.share)}</td>',
    ]
    foot += [f'<td class="n" data-key="{k}">{total[k]}</td>' for k in keys]
    foot.append(f'<td class="n" data-key="seconds">{total["seconds"]:.2f}</td>')
    return (
        f'<div class="scroll"><table id="customers"><thead><tr>{head}</tr></thead>'
        f"<tbody>{''.join(rows)}</tbody><tfoot><tr>{''.join(foot)}</tr></tfoot></table></div>"
    )


ERROR_ROWS_LISTED = 200


def _errors_html(errors: Sequence[ErrorRow]) -> str:
    """Errors grouped by cause with counts and examples, then (folded) the first
    ``ERROR_ROWS_LISTED`` rows; every row is in summary.json."""
    if not errors:
        return '<p class="note">No errors.</p>'
    groups = group_errors(list(errors))
    body = "".join(
        f'<tr class="error-group" data-count="{g.count}" data-orders="{g.orders}">'
        f'<td class="n">{g.count:,}</td><td class="n">{g.orders:,}</td><td>{esc(g.table)}</td>'
        f"<td>{esc(g.column or '-')}</td><td>{esc(g.reason)}</td>"
        f"<td>{esc(', '.join(e.where for e in g.examples))}</td></tr>"
        for g in groups
    )
    grouped = (
        '<div class="scroll"><table id="error-groups"><thead><tr><th class="n">Rows</th>'
        '<th class="n">Orders</th><th>Row</th><th>Column</th><th>Reason</th>'
        f"<th>Examples</th></tr></thead><tbody>{body}</tbody></table></div>"
    )
    shown = list(errors)[:ERROR_ROWS_LISTED]
    rows = "".join(
        f'<tr data-key="{esc(e.key)}"><td>{esc(e.key)}</td><td>{esc(e.size or "-")}</td>'
        f"<td>{esc(e.customer)}</td><td>{esc(e.column or '-')}</td><td>{esc(e.reason)}</td></tr>"
        for e in shown
    )
    more = (
        f'<p class="note">The first {len(shown):,} of {len(errors):,} rows; all of them are '
        "in summary.json.</p>"
        if len(errors) > len(shown)
        else ""
    )
    listed = (
        f"<details><summary>Every row ({len(errors):,})</summary>"
        '<div class="scroll"><table id="errors"><thead><tr><th>Order</th><th>Size</th>'
        "<th>Customer</th><th>Column</th><th>Reason</th></tr></thead>"
        f"<tbody>{rows}</tbody></table></div>{more}</details>"
    )
    return grouped + listed


def _rejects_html(report: RunReport) -> str:
    if not report.rejects:
        return ""
    rows = "".join(
        f'<tr class="reject" data-key="{esc(r.key or "")}"><td>{esc(r.key or "(empty key)")}</td>'
        f"<td>{esc(r.reason)}</td><td>{esc(r.column or '-')}</td><td>{esc(r.value or '-')}</td>"
        f'<td class="n">{r.count}</td></tr>'
        for r in report.rejects
    )
    return (
        f'<section id="rejects-section"><h2>Rejected staging rows ({report.rejected_rows})</h2>'
        '<p class="note">The merge left these staging rows out; fix them in the staging '
        "table and the next merge takes them.</p>"
        '<div class="scroll"><table id="rejects"><thead><tr><th>Order</th><th>Reason</th>'
        '<th>Column</th><th>Value</th><th class="n">Rows</th></tr></thead>'
        f"<tbody>{rows}</tbody></table></div></section>"
    )


def _api_table(report: RunReport) -> str:
    api = report.api
    rows = [
        ("requests", "Requests", api.get("requests", 0)),
        ("retries", "Retries", api.get("retries", 0)),
        ("rate_limited", "Rate-limited", api.get("rate_limited", 0)),
        ("transport_errors", "Transport errors", api.get("transport_errors", 0)),
        ("complexity_charged", "Complexity charged", api.get("complexity_charged", 0)),
        ("budget_wait_seconds", "Waiting for the budget (s)", api.get("budget_wait_seconds", 0)),
    ]
    body = "".join(
        f'<tr><th>{esc(label)}</th><td class="n" data-key="{key}" data-value="{esc(value)}">'
        f"{esc(_fmt(value))}</td></tr>"
        for key, label, value in rows
    )
    return f'<table id="api">{body}</table>'


def _fmt(value: Any) -> str:
    if isinstance(value, float):
        return f"{value:,.2f}"
    if isinstance(value, int):
        return f"{value:,}"
    return str(value)


def _time(value: Any) -> str:
    return str(value).replace("T", " ")[:19] + " UTC" if value else "-"


def render_html(report: RunReport) -> str:
    run = report.run
    th = report.thresholds
    meta = [
        ("Environment", esc(run.get("environment") or "-")),
        ("Run", esc(report.result)),
        ("Share synced", f"{_pct(report.share)} of {report.to_do} orders"),
        ("Started", esc(_time(run.get("started_at")))),
        ("Finished", esc(_time(run.get("finished_at")))),
        ("Duration", f"{report.seconds:.2f} s"),
        ("Orders with errors", str(report.failed_orders)),
        ("API requests", esc(report.api.get("requests", 0))),
    ]
    meta_html = "".join(f"<div><span>{k}</span><span>{v}</span></div>" for k, v in meta)
    message = f'<p class="note">{esc(run.get("message"))}</p>' if run.get("message") else ""
    title = f"Sync run {report.run_id} \u2014 {report.status}"
    return f"""<!DOCTYPE html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<meta name="generator" content="sync-order-list">
<title>{esc(title)}</title>
<style>{CSS}</style>
</head>
<body>
<main>
<header id="run" data-run-id="{esc(report.run_id)}" data-status="{esc(report.status)}" \
data-share="{report.share:.4f}" data-outcome="{esc(report.outcome)}">
<h1>Sync run <code>{esc(report.run_id)}</code> {_badge(report.status)}</h1>
<div class="meta">{meta_html}</div>
{message}
<p class="note">Status: "success" when no row ended in ERROR and no staging row was \
rejected; otherwise "needs attention" when at least {_pct(th.attention)} of the orders to \
do were synced, "failed" below (or when the run did not finish). An order counts as \
synced when neither it nor any of its size lines ended in ERROR.</p>
</header>
{_rejects_html(report)}
<section id="errors-section">
<h2>Errors ({len(report.errors):,})</h2>
{_errors_html(report.errors)}
</section>
<section id="customers-section">
<h2>Customers</h2>
{customer_bars_svg(report.customers)}
{_customer_table(report)}
</section>
<section id="phases-section">
<h2>Phases</h2>
{phase_timeline_svg(report.phases)}
</section>
<section id="budget-section">
<h2>Complexity budget</h2>
{budget_chart_svg(report.budget_timeline)}
</section>
<section id="api-section">
<h2>API</h2>
{_api_table(report)}
</section>
</main>
</body>
</html>
"""
