"""Run reports from real runs: the Markdown, JSON and HTML agree with the run."""

from __future__ import annotations

import json
import os
import re
from pathlib import Path
from typing import Any

import pytest

from sync_order_list.config import AppConfig
from sync_order_list.report.reports import (
    ATTENTION,
    FAILED,
    SUCCESS,
    Thresholds,
    build_report,
    error_reason,
    share_synced,
    slugify,
    write_run_reports,
)
from sync_order_list.report.runs import get_run
from tests.report.support import Page, Pipeline, md_tables, plain_config

COUNTS = (
    "orders",
    "created",
    "updated",
    "archived",
    "unchanged",
    "subitems_created",
    "subitems_updated",
    "subitems_deleted",
    "errors",
)


def test_reports_match_the_run(pipeline: Pipeline) -> None:
    run = pipeline.run(orders=16, bogus=3)
    assert run.outcome == "partial"
    record = run.as_dict()
    failed_keys = {e["key"] for e in record["errors"]}
    assert len(failed_keys) == 3

    path = write_run_reports(run, pipeline.cfg)
    assert path == pipeline.reports_dir / run.run_id
    assert sorted(p.name for p in path.iterdir()) == [
        "customers",
        "report.html",
        "summary.json",
        "summary.md",
    ]

    # summary.json: the record as stored, plus the grading
    summary = json.loads((path / "summary.json").read_text())
    for key in ("run_id", "environment", "outcome", "phases", "api", "plan", "budget_timeline"):
        assert summary[key] == json.loads(json.dumps(record[key])), key
    assert summary["total"]["created"] == record["total"]["created"]
    assert summary["total"]["errors"] == 3
    assert summary["to_do"] == 16 and summary["failed_orders"] == 3
    assert summary["share_synced"] == pytest.approx(13 / 16, abs=1e-4)
    assert summary["status"] == ATTENTION  # 0.8125: >= 0.80, < 0.95
    assert {e["key"] for e in summary["errors"]} == failed_keys
    for name, tally in record["customers"].items():
        for key in COUNTS:
            assert summary["customers"][name][key] == tally[key], (name, key)

    # summary.md: the customers table carries the same numbers
    tables = md_tables((path / "summary.md").read_text())
    rows = {r["Customer"]: r for r in tables["Customers"]}
    assert set(rows) == set(record["customers"]) | {"Total"}
    for name, tally in record["customers"].items():
        assert int(rows[name]["Orders"]) == tally["orders"]
        assert int(rows[name]["Items created"]) == tally["created"]
        assert int(rows[name]["Subitems created"]) == tally["subitems_created"]
        assert int(rows[name]["Errors"]) == tally["errors"]
        assert rows[name]["Status"] == summary["customers"][name]["status"]
    assert int(rows["Total"]["Items created"]) == record["total"]["created"]
    assert rows["Total"]["Status"] == ATTENTION
    assert {r["Order"] for r in tables["Errors"]} == failed_keys
    assert all(r["Column"].startswith("ORDER TYPE") for r in tables["Errors"])
    assert {r["Phase"] for r in tables["Phases"]} == set(record["phases"])

    # customers/<slug>.md and .json: one per customer with the errors of its orders
    for name, tally in record["customers"].items():
        slug = summary["customers"][name]["slug"]
        data = json.loads((path / "customers" / f"{slug}.json").read_text())
        assert data["customer"] == name and data["run_id"] == run.run_id
        for key in COUNTS:
            assert data[key] == tally[key]
        expected = [e for e in record["errors"] if e["customer"] == name]
        assert [e["key"] for e in data["error_rows"]] == [e["key"] for e in expected]
        for row in data["error_rows"]:
            assert row["column"] == "ORDER TYPE -> dropdown_mkr518fc"
            assert "NO-SUCH-TYPE" in row["reason"]
            assert not row["reason"].startswith("order ")  # the prefix is in key/column
        md = md_tables((path / "customers" / f"{slug}.md").read_text())
        facts = {r["Field"]: r["Value"] for r in md[""]}
        assert int(facts["Orders"]) == tally["orders"]
        assert int(facts["Subitems created"]) == tally["subitems_created"]
        assert int(facts["Errors"]) == tally["errors"]
        assert facts["Status"].startswith(data["status"])
        if expected:
            assert [r["Order"] for r in md["Errors"]] == [e["key"] for e in expected]
            assert all("NO-SUCH-TYPE" in r["Reason"] for r in md["Errors"])
        else:
            assert "Errors" not in md

    check_html(path / "report.html", record, summary)


def check_html(path: Path, record: dict[str, Any], summary: dict[str, Any]) -> None:
    source = path.read_text()
    assert_self_contained(source)
    page = Page(source)
    header = page.by_id("run")
    assert header.attrs["data-run-id"] == record["run_id"]
    assert header.attrs["data-status"] == summary["status"]

    # the table, per customer
    rows = {
        r.attrs["data-customer"]: r
        for r in page.find("tr", within="customers")
        if "data-customer" in r.attrs
    }
    assert set(rows) == set(record["customers"])
    for name, tally in record["customers"].items():
        cells = {
            c.attrs["data-key"]: c.text
            for c in _children(page, rows[name])
            if c.tag == "td" and "data-key" in c.attrs
        }
        for key in COUNTS:
            assert int(cells[key]) == tally[key], (name, key)
        assert rows[name].attrs["data-status"] == summary["customers"][name]["status"]

    # the bars: what each segment draws is the run's number
    groups = {g.attrs["data-customer"]: g for g in page.find("g", within="customer-bars")}
    assert set(groups) == set(record["customers"])
    for name, tally in record["customers"].items():
        segs = [s for s in _children(page, groups[name]) if s.tag == "rect"]
        drawn = {
            s.attrs["data-kind"]: int(s.attrs["data-value"]) for s in segs if "data-kind" in s.attrs
        }
        for key in ("created", "updated", "archived", "unchanged", "subitems_created"):
            assert drawn.get(key, 0) == tally[key], (name, key)
        assert drawn.get("failed", 0) == summary["customers"][name]["failed_orders"]

    # the phases, in order, as long as each took
    phases = page.find("rect", within="phase-timeline")
    assert [p.attrs["data-phase"] for p in phases] == list(record["phases"])
    for p in phases:
        assert float(p.attrs["data-seconds"]) == pytest.approx(
            record["phases"][p.attrs["data-phase"]], abs=1e-3
        )

    # the budget: one point per request that reported its complexity
    chart = page.by_id("budget-chart")
    assert int(chart.attrs["data-points"]) == len(record["budget_timeline"])
    circles = page.find("circle", within="budget-chart")
    assert [(int(c.attrs["data-left"]), int(c.attrs["data-cost"])) for c in circles] == [
        (left, cost) for _, left, cost in record["budget_timeline"]
    ]
    api = {c.attrs["data-key"]: c.attrs["data-value"] for c in page.find("td", within="api")}
    assert int(api["requests"]) == record["api"]["requests"]
    assert int(api["complexity_charged"]) == record["api"]["complexity_charged"]
    errors = page.find("tr", within="errors")
    assert {e.attrs["data-key"] for e in errors if "data-key" in e.attrs} == {
        e["key"] for e in record["errors"]
    }


def _children(page: Page, parent: Any) -> list[Any]:
    """Elements after ``parent`` up to its end (the parser keeps document order)."""
    start = page.elements.index(parent)
    depth_marker = parent.parents + [parent.attrs.get("id", parent.tag)]
    out = []
    for el in page.elements[start + 1 :]:
        if el.parents[: len(depth_marker)] != depth_marker:
            break
        out.append(el)
    return out


def assert_self_contained(source: str) -> None:
    """No script, no external stylesheet, font, image or frame: renders offline."""
    lowered = source.lower()
    assert "<script" not in lowered
    assert "<link" not in lowered
    assert "@import" not in lowered
    assert "<iframe" not in lowered and "<img" not in lowered
    assert not re.search(r"""(src|href)\s*=\s*["']?(https?:)?//""", lowered)
    assert not re.search(r"url\(\s*['\"]?(https?:)?//", lowered)
    assert "<style>" in lowered and "<svg" in lowered


def test_report_from_the_run_history_is_the_same(pipeline: Pipeline) -> None:
    run = pipeline.run(orders=8, bogus=1)
    from_report = write_run_reports(run, pipeline.cfg, directory=pipeline.tmp / "a")
    record = get_run(pipeline.engine, pipeline.cfg, "latest")
    assert record is not None and record.run_id == run.run_id
    from_record = write_run_reports(record, pipeline.cfg, directory=pipeline.tmp / "b")
    a = json.loads((from_report / "summary.json").read_text())
    b = json.loads((from_record / "summary.json").read_text())
    assert b.pop("command") == "sync"
    assert a == b
    names = sorted(p.name for p in (from_report / "customers").iterdir())
    assert names == sorted(p.name for p in (from_record / "customers").iterdir())
    for name in names:
        assert (from_report / "customers" / name).read_text() == (
            from_record / "customers" / name
        ).read_text()

    # writing again replaces the directory whole: no stale customer file survives
    (from_record / "customers" / "stale.md").write_text("old")
    write_run_reports(record, pipeline.cfg, directory=pipeline.tmp / "b")
    assert not (from_record / "customers" / "stale.md").exists()
    assert not [p for p in (pipeline.tmp / "b").iterdir() if p.name.startswith(".")]

    # a run with nothing to do (no such customer) is a success, with no customer at all
    again = pipeline.sync(customer="NO SUCH CUSTOMER")
    assert again.outcome == "nothing"
    path = write_run_reports(again, pipeline.cfg)
    summary = json.loads((path / "summary.json").read_text())
    assert summary["status"] == SUCCESS and summary["share_synced"] == 1.0
    assert summary["customers"] == {}
    assert list((path / "customers").iterdir()) == []
    assert "Nothing to do" in (path / "summary.md").read_text()
    assert_self_contained((path / "report.html").read_text())


# --------------------------------------------------------------------------- pure


def run_dict(
    customers: dict[str, dict[str, int]], errors: list[dict[str, Any]], **extra: Any
) -> dict[str, Any]:
    return {
        "run_id": "00000000-0000-0000-0000-000000000001",
        "environment": "development",
        "started_at": "2026-01-01T10:00:00",
        "finished_at": "2026-01-01T10:00:05",
        "outcome": "partial" if errors else "success",
        "phases": {"claim": 1.0, "execute": 4.0},
        "customers": customers,
        "errors": errors,
        **extra,
    }


def err(key: str, customer: str, table: str = "order") -> dict[str, Any]:
    return {
        "key": key,
        "customer": customer,
        "table": table,
        "message": f"order {key!r}, column 'QTY': not a number",
        "column": "QTY",
    }


def test_share_and_status_thresholds() -> None:
    th = Thresholds(success=0.95, attention=0.80)
    assert share_synced(0, 0) == 1.0
    assert share_synced(20, 1) == 0.95 and th.grade(1.0) == SUCCESS
    # success only with nothing in ERROR and nothing rejected, whatever the share
    assert th.grade(1.0, clean=False) == ATTENTION and th.grade(0.95, clean=False) == ATTENTION
    assert th.grade(0.80, clean=False) == ATTENTION and th.grade(0.7999, clean=False) == FAILED

    customers = {
        "A": {"orders": 20, "created": 19, "errors": 1},
        "B": {"orders": 5, "created": 3, "subitems_created": 4, "errors": 3},
        "C": {"orders": 0},
    }
    # B: one order failed at order level, another through two of its size lines
    errors = [err("A1", "A"), err("B1", "B"), err("B2", "B", "line"), err("B2", "B", "line")]
    report = build_report(run_dict(customers, errors), th)
    by = {c.name: c for c in report.customers}
    assert (by["A"].share, by["A"].status) == (0.95, ATTENTION)  # one error: not a success
    assert (by["B"].failed_orders, by["B"].to_do, by["B"].share) == (2, 5, 0.6)
    assert by["B"].status == FAILED
    assert (by["C"].share, by["C"].status) == (1.0, SUCCESS)  # nothing to do
    assert (report.to_do, report.failed_orders) == (25, 3)
    assert report.share == pytest.approx(22 / 25) and report.status == ATTENTION

    # a run that stopped early is failed whatever its share; so is one with no end
    for outcome in ("failed", "running"):
        assert build_report(run_dict(customers, [], outcome=outcome), th).status == FAILED

    # lines of an order the run did not claim still count the order as to do
    report = build_report(run_dict({"D": {"orders": 0}}, [err("D1", "D", "line")]), th)
    assert (report.customers[0].to_do, report.customers[0].share) == (1, 0.0)


def test_custom_thresholds_come_from_the_config(tmp_path: Path) -> None:
    cfg = plain_config(tmp_path, reports={"success_threshold": 0.5, "attention_threshold": 0.2})
    customers = {"A": {"orders": 4, "created": 2, "errors": 2}}
    report = build_report(run_dict(customers, [err("A1", "A"), err("A2", "A")]), cfg)
    assert report.customers[0].status == ATTENTION  # 0.5 >= 0.2, with errors
    assert report.thresholds.as_dict() == {"success": 0.5, "attention": 0.2}
    customers = {"A": {"orders": 10, "created": 1, "errors": 9}}
    errors = [err(f"A{i}", "A") for i in range(9)]
    assert build_report(run_dict(customers, errors), cfg).status == FAILED  # 0.1 < 0.2


def test_rejected_staging_rows_are_never_a_success(tmp_path: Path, cfg: AppConfig) -> None:
    merge = {
        "rejected_rows": 2,
        "rejected": [
            {
                "key": None,
                "reason": "empty business key",
                "count": 1,
                "column": None,
                "value": None,
            },
            {
                "key": "GRE-7",
                "reason": "size quantity is not a whole number >= 0",
                "count": 1,
                "column": "XL",
                "value": "abc",
            },
        ],
    }
    run = run_dict({"A": {"orders": 3, "created": 3}}, [], merge=merge)
    report = build_report(run, cfg)
    assert report.status == ATTENTION and report.share == 1.0 and report.rejected_rows == 2
    assert "2 staging rows rejected" in report.result
    path = write_run_reports(run, cfg, directory=tmp_path)
    tables = md_tables((path / "summary.md").read_text())
    rejected = tables["Rejected staging rows (2)"]
    assert [(r["Order"], r["Column"], r["Value"]) for r in rejected] == [
        ("(empty key)", "-", "-"),
        ("GRE-7", "XL", "abc"),
    ]
    facts = {r["Field"]: r["Value"] for r in tables[""]}
    assert "Outcome" not in facts and facts["Status"].startswith(ATTENTION)
    page = Page((path / "report.html").read_text())
    keys = [r.attrs["data-key"] for r in page.find("tr") if "reject" in r.attrs.get("class", "")]
    assert keys == ["", "GRE-7"]
    summary = json.loads((path / "summary.json").read_text())
    assert summary["rejected_rows"] == 2 and summary["rejected"][1]["value"] == "abc"


def test_slugs_and_reasons() -> None:
    assert slugify("CAFÉ DU CYCLISTE") == "cafe-du-cycliste"
    assert slugify("(no customer)") == "no-customer"
    assert slugify("../../etc/passwd") == "etc-passwd"
    assert slugify("日本") == "customer"
    customers = {"A/B": {"orders": 1}, "a b": {"orders": 1}, "A-B": {"orders": 1}}
    report = build_report(run_dict(customers, []), Thresholds())
    assert sorted(c.slug for c in report.customers) == ["a-b", "a-b-2", "a-b-3"]
    msg = "order 'K1', column 'X', monday column 'x1': bad value"
    assert error_reason(msg, "K1") == "bad value"
    assert error_reason("connection reset", "K1") == "connection reset"


def test_markdown_cells_cannot_break_a_table(tmp_path: Path, cfg: AppConfig) -> None:
    name = "A|B *bold* [x](y) \\ line\nbreak"
    customers = {name: {"orders": 1, "errors": 1}}
    errors = [err("K|1", name) | {"message": "pipe | and\nnewline"}]
    path = write_run_reports(run_dict(customers, errors), cfg, directory=tmp_path)
    rows = md_tables((path / "summary.md").read_text())
    assert rows["Customers"][0]["Customer"] == "A|B *bold* [x](y) \\ line break"
    assert rows["Errors"][0]["Order"] == "K|1"
    assert rows["Errors"][0]["Reason"] == "pipe | and newline"
    page = Page((path / "report.html").read_text())
    rows = [r for r in page.find("tr", within="customers") if "data-customer" in r.attrs]
    assert rows[0].attrs["data-customer"] == name


def test_a_dead_run_record_still_makes_a_report(tmp_path: Path, cfg: AppConfig) -> None:
    """A run that died left only its start in SYNC_RUNS: counts are empty."""
    from datetime import datetime

    from sync_order_list.report.runs import RunRecord

    record = RunRecord(
        run_id="dead-run-1",
        environment="development",
        command="sync",
        started_at=datetime(2026, 1, 1, 10, 0),
        finished_at=None,
        outcome="running",
        dry_run=False,
        phases={},
        counts={},
        api_requests=None,
        complexity_charged=None,
        retries=None,
        rate_limited=None,
        synced_rows=None,
        error_rows=None,
        message=None,
    )
    path = write_run_reports(record, cfg, directory=tmp_path)
    summary = json.loads((path / "summary.json").read_text())
    assert (summary["run_id"], summary["outcome"], summary["status"]) == (
        "dead-run-1",
        "running",
        FAILED,
    )
    assert summary["started_at"] == "2026-01-01T10:00:00" and summary["finished_at"] is None
    page = Page((path / "report.html").read_text())
    assert page.by_id("run").attrs["data-status"] == FAILED
    assert "No phase timings" in (path / "report.html").read_text()


def test_old_run_directories_beyond_keep_runs_are_removed(tmp_path: Path) -> None:
    cfg = plain_config(tmp_path, reports={"keep_runs": 3})
    written = []
    for i in range(5):
        run = run_dict({"A": {"orders": 1, "created": 1}}, [])
        run["run_id"] = f"00000000-0000-0000-0000-00000000000{i}"
        path = write_run_reports(run, cfg, directory=tmp_path / "r")
        os.utime(path, (1_000_000 + i, 1_000_000 + i))  # written one after another
        written.append(path.name)
    kept = sorted(p.name for p in (tmp_path / "r").iterdir() if not p.name.startswith("."))
    assert kept == written[-3:]


def test_line_errors_name_the_size_and_errors_group_by_cause(
    tmp_path: Path, cfg: AppConfig
) -> None:
    errors = [
        {
            "key": f"K{i}",
            "customer": "A",
            "table": "line",
            "size": "XL",
            "message": f"size 'XL' of order 'K{i}': [ColumnValueException] bad qty",
        }
        for i in range(1_200)
    ] + [err("K9999", "A")]
    report = build_report(run_dict({"A": {"orders": 1_201, "errors": 1_201}}, errors), cfg)
    groups = report.error_groups
    assert [(g.count, g.orders, g.table) for g in groups] == [
        (1_200, 1_200, "line"),
        (1, 1, "order"),
    ]
    assert groups[0].reason == "[ColumnValueException] bad qty"
    assert [e.where for e in groups[0].examples] == ["K0 size XL", "K1 size XL", "K2 size XL"]
    path = write_run_reports(report.run, cfg, directory=tmp_path)
    md = md_tables((path / "summary.md").read_text())
    (by_cause,) = [v for k, v in md.items() if k.startswith("Errors by cause")]
    assert by_cause[0]["Rows"] == "1200" and by_cause[0]["Examples"].startswith("K0 size XL")
    assert len(md["Errors"]) == 100 and md["Errors"][0]["Size"] == "XL"
