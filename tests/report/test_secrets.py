"""The API token never appears in a report, a metric, a command's output or a log line,
even when the data itself carries it (here: a customer name that contains it)."""

from __future__ import annotations

import json
from pathlib import Path

from sync_order_list.logs import REDACTED
from sync_order_list.report.metrics import write_metrics
from sync_order_list.report.reports import write_run_reports
from sync_order_list.report.runs import get_run
from tests.report.support import TOKEN, Pipeline


def all_text(root: Path) -> str:
    parts = []
    for path in sorted(root.rglob("*")):
        parts.append(str(path))
        if path.is_file():
            parts.append(path.read_text(encoding="utf-8"))
    return "\n".join(parts)


def test_the_token_never_leaves(pipeline: Pipeline) -> None:
    p = pipeline
    leaky = f"ACME {TOKEN}"
    p.load(orders=8, **{"CUSTOMER NAME": leaky})
    run = p.sync()
    # the precondition: the run's own record does carry the token
    assert leaky in run.tally.customers
    assert any(TOKEN in e.message for e in run.tally.errors)

    written = write_run_reports(run, p.cfg)
    record = get_run(p.engine, p.cfg, run.run_id)
    assert record is not None
    write_run_reports(record, p.cfg, directory=p.tmp / "from-record")
    write_metrics(run, p.cfg)
    outputs = [
        p.cli(*args, "--log-format", "json")
        for args in (
            ["report", run.run_id],
            ["report", run.run_id, "--format", "json"],
            ["report", run.run_id, "--format", "html"],
            ["report", run.run_id, "--customer", f"ACME {REDACTED}"],
            ["report", run.run_id, "--customer", "acme-redacted", "--format", "json"],
            ["report", run.run_id, "--customer", leaky],
            ["check"],
            ["check", "--json"],
        )
    ]
    assert [o.exit_code for o in outputs[:5]] == [0] * 5

    everything = "\n".join(
        [all_text(p.reports_dir), all_text(p.tmp / "from-record"), all_text(p.metrics_file.parent)]
        + [o.output for o in outputs]
    )
    assert TOKEN not in everything
    assert REDACTED in everything
    summary = json.loads((written / "summary.json").read_text())
    assert f"ACME {REDACTED}" in summary["customers"]
    assert (written / "customers" / "acme-redacted.md").is_file()
