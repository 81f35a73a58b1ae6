"""report.html renders in a real browser with the network cut off (Debian's chromium)."""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path

import pytest

from sync_order_list.report.reports import write_run_reports
from tests.conftest import make_config

CHROMIUM = shutil.which("chromium") or shutil.which("chromium-browser")


@pytest.mark.browser
@pytest.mark.skipif(CHROMIUM is None, reason="chromium is not installed")
def test_report_html_renders_offline(tmp_path: Path) -> None:
    run = {
        "run_id": "11111111-2222-3333-4444-555555555555",
        "environment": "development",
        "started_at": "2026-01-01T10:00:00",
        "finished_at": "2026-01-01T10:00:09",
        "outcome": "partial",
        "phases": {"schema": 0.2, "claim": 0.3, "plan": 0.5, "execute": 7.5, "release": 0.1},
        "customers": {
            "GREYSON": {"orders": 10, "created": 9, "subitems_created": 40, "errors": 1},
            "RHONE": {"orders": 4, "updated": 4, "subitems_updated": 7},
        },
        "errors": [
            {
                "key": "GRE-1",
                "customer": "GREYSON",
                "table": "order",
                "message": "bad",
                "column": "X",
            }
        ],
        "budget_timeline": [[0.5, 9_900_000, 100_000], [2.0, 9_000_000, 900_000]],
        "api": {"requests": 2, "complexity_charged": 1_000_000},
    }
    cfg = make_config(f"sqlite:///{tmp_path / 'x.db'}")
    page = write_run_reports(run, cfg, directory=tmp_path / "reports") / "report.html"
    result = subprocess.run(
        [
            str(CHROMIUM),
            "--headless",
            "--no-sandbox",
            "--disable-gpu",
            "--proxy-server=http://127.0.0.1:9",  # nothing may be fetched
            "--host-resolver-rules=MAP * ~NOTFOUND",
            "--dump-dom",
            page.as_uri(),
        ],
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert result.returncode == 0, result.stderr[-2000:]
    dom = result.stdout
    for marker in ('id="customer-bars"', 'id="phase-timeline"', 'id="budget-chart"', "GRE-1"):
        assert marker in dom
