"""``sync-order-list report``: printing, regenerating from SYNC_RUNS, bad input."""

from __future__ import annotations

import dataclasses
import json
import shutil
from pathlib import Path

from sync_order_list.report.reports import write_run_reports
from tests.report.support import Page, Pipeline, assert_clean_failure, md_tables


def test_report_prints_and_regenerates(pipeline: Pipeline) -> None:
    run = pipeline.run(orders=12, bogus=2)
    # no directory yet: `report` rebuilds it from SYNC_RUNS
    assert not pipeline.reports_dir.exists()
    result = pipeline.cli("report")
    assert result.exit_code == 0, result.output
    run_dir = pipeline.reports_dir / run.run_id
    assert (run_dir / "summary.md").read_text() == result.stdout
    rows = {r["Customer"]: r for r in md_tables(result.stdout)["Customers"]}
    assert int(rows["Total"]["Errors"]) == 2

    # json, by id, by unique prefix, and --json as --format json
    for args in (
        ["report", run.run_id, "--format", "json"],
        ["report", run.run_id[:8], "--format", "json"],
        ["report", "latest", "--json"],
    ):
        result = pipeline.cli(*args)
        assert result.exit_code == 0, result.output
        data = json.loads(result.stdout)
        assert data["run_id"] == run.run_id
        assert data["total"]["errors"] == 2

    # one customer, by name in any case, md and json
    name = next(e.customer for e in run.tally.errors)
    result = pipeline.cli("report", "--customer", name.lower())
    assert result.exit_code == 0, result.output
    assert result.stdout.startswith(f"# {name}: sync run {run.run_id}")
    result = pipeline.cli("report", "latest", "--customer", name, "--format", "json")
    data = json.loads(result.stdout)
    assert data["customer"] == name
    assert data["errors"] == run.tally.customers[name].errors
    assert {e["key"] for e in data["error_rows"]} == {
        e.key for e in run.tally.errors if e.customer == name
    }

    # html: the path of the page, which exists and is the run's
    result = pipeline.cli("report", run.run_id, "--format", "html")
    assert result.exit_code == 0, result.output
    page_path = Path(result.stdout.strip())
    assert page_path == (run_dir / "report.html").resolve()
    assert Page(page_path.read_text()).by_id("run").attrs["data-run-id"] == run.run_id

    # a second run: `latest` moves on; the first stays reachable by id
    second = pipeline.sync()
    result = pipeline.cli("report", "--format", "json")
    assert json.loads(result.stdout)["run_id"] == second.run_id
    result = pipeline.cli("report", run.run_id, "--format", "json")
    assert json.loads(result.stdout)["run_id"] == run.run_id

    # a deleted directory is rebuilt from SYNC_RUNS
    shutil.rmtree(run_dir)
    result = pipeline.cli("report", run.run_id, "--format", "html")
    assert result.exit_code == 0, result.output
    assert (run_dir / "summary.json").is_file() and (run_dir / "report.html").is_file()


def test_report_bad_input(pipeline: Pipeline, tmp_path: Path) -> None:
    run = pipeline.run(orders=8, bogus=1)
    run_dir = write_run_reports(run, pipeline.cfg)

    assert_clean_failure(
        pipeline.cli("report", "0badc0de-0000-0000-0000-000000000000"), contains="unknown run id"
    )
    assert_clean_failure(pipeline.cli("report", "../../etc"), contains="not a run id")
    line = assert_clean_failure(
        pipeline.cli("report", "--customer", "NOBODY INC"), contains="has no rows in run"
    )
    assert run.run_id in line and "customers in this run:" in line
    assert_clean_failure(
        pipeline.cli("report", run.run_id, "--customer", "x", "--format", "html"),
        contains="has no rows",
    )

    # corrupt: summary.json not JSON, not a report, another run's; a file missing
    summary = run_dir / "summary.json"
    good = summary.read_text()
    for bad, message in (
        ("{not json", "not valid JSON"),
        ('{"hello": 1}', "not a run report"),
        (good.replace(run.run_id, "someone-else"), "is for run 'someone-else'"),
    ):
        summary.write_text(bad)
        line = assert_clean_failure(pipeline.cli("report", run.run_id), contains="is corrupt")
        assert message in line and "--regenerate" in line
    summary.unlink()
    assert_clean_failure(pipeline.cli("report", run.run_id), contains="summary.json is missing")
    # --regenerate repairs it from SYNC_RUNS
    result = pipeline.cli("report", run.run_id, "--regenerate", "--format", "json")
    assert result.exit_code == 0, result.output
    assert json.loads(summary.read_text())["run_id"] == run.run_id
    (run_dir / "summary.md").unlink()
    assert_clean_failure(pipeline.cli("report", run.run_id), contains="summary.md is missing")
    (run_dir / "report.html").unlink()
    assert_clean_failure(
        pipeline.cli("report", run.run_id, "--format", "html"), contains="report.html is missing"
    )
    # an unknown run id on a directory with other runs, and no run at all
    assert_clean_failure(pipeline.cli("report", "ffffffff"), contains="unknown run id")


def test_report_without_runs_or_database(pipeline: Pipeline, tmp_path: Path) -> None:
    assert_clean_failure(pipeline.cli("report"), contains="no run recorded yet")
    missing = dataclasses.replace(pipeline.cfg, database_url=f"sqlite:///{tmp_path / 'nope.db'}")
    assert_clean_failure(pipeline.cli("report", cfg=missing), contains="no database")
    assert not (tmp_path / "nope.db").exists()  # not even created
    assert_clean_failure(pipeline.cli("report", "some-run", cfg=missing), contains="no database")
